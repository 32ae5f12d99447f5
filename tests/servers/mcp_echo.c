/* mcp_echo.c: a tiny MCP server over stdio for the tests (no dependencies).
 *
 * JSON-RPC 2.0, one message a line. Tools:
 *   echo  {text}    returns the text
 *   add   {a, b}    returns a + b
 *   peek  {path}    returns the first bytes of a file, or the error: to
 *                   show what the sandbox lets a server read
 *   wipe  {}        a tool a workflow should not offer
 * It exits at the end of stdin. The parsing is deliberately naive: it only
 * has to understand warrant's compact requests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The raw (still escaped) string after "key":" in s, into out. */
static int str_field(const char *s, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if (!(p = strstr(s, pat)))
		return -1;
	for (p += strlen(pat); *p && *p != '"' && n + 2 < size; p++) {
		if (*p == '\\' && p[1])
			out[n++] = *p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

static double num_field(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	return (p = strstr(s, pat)) ? strtod(p + strlen(pat), NULL) : 0;
}

static long id_of(const char *s)
{
	const char *p = strstr(s, "\"id\":");

	return p ? strtol(p + 5, NULL, 10) : -1;
}

static void escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
}

static void text_result(long id, const char *text, int is_error)
{
	printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"content\":[{\"type\":\"text\","
	       "\"text\":\"%s\"}],\"isError\":%s}}\n", id, text, is_error ? "true" : "false");
}

static void call(const char *line, long id)
{
	char name[64], arg[4096], buf[256];

	if (str_field(line, "name", name, sizeof(name)) < 0) {
		printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"error\":{\"code\":-32602,\"message\":"
		       "\"no name\"}}\n", id);
	} else if (!strcmp(name, "echo") && str_field(line, "text", arg, sizeof(arg)) == 0) {
		text_result(id, arg, 0);
	} else if (!strcmp(name, "add")) {
		snprintf(buf, sizeof(buf), "%g", num_field(line, "a") + num_field(line, "b"));
		text_result(id, buf, 0);
	} else if (!strcmp(name, "peek") && str_field(line, "path", arg, sizeof(arg)) == 0) {
		FILE *f = fopen(arg, "r");
		size_t n;

		printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"content\":[{\"type\":\"text\","
		       "\"text\":\"", id);
		if (f) {
			n = fread(buf, 1, sizeof(buf), f);
			escaped(buf, n);
			fclose(f);
		} else {
			printf("cannot open: %s", strerror(errno));
		}
		printf("\"}],\"isError\":%s}}\n", f ? "false" : "true");
	} else if (!strcmp(name, "wipe")) {
		text_result(id, "wiped", 0);
	} else {
		printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"error\":{\"code\":-32602,\"message\":"
		       "\"unknown tool\"}}\n", id);
	}
}

int main(void)
{
	static char line[1 << 16];
	char method[64];

	while (fgets(line, sizeof(line), stdin)) {
		long id = id_of(line);

		if (str_field(line, "method", method, sizeof(method)) < 0)
			continue;
		if (!strcmp(method, "initialize"))
			printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"protocolVersion\":"
			       "\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":"
			       "\"mcp_echo\",\"version\":\"1\"}}}\n", id);
		else if (!strcmp(method, "tools/list"))
			printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"tools\":["
			       "{\"name\":\"echo\",\"description\":\"says it back\",\"inputSchema\":"
			       "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\","
			       "\"maxLength\":100}},\"required\":[\"text\"]}},"
			       "{\"name\":\"add\",\"inputSchema\":{\"type\":\"object\",\"properties\":"
			       "{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"}},"
			       "\"required\":[\"a\",\"b\"]}},"
			       "{\"name\":\"peek\",\"inputSchema\":{\"type\":\"object\",\"properties\":"
			       "{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}},"
			       "{\"name\":\"wipe\",\"inputSchema\":{\"type\":\"object\"}}]}}\n", id);
		else if (!strcmp(method, "tools/call"))
			call(line, id);
		else if (id >= 0)
			printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"error\":{\"code\":-32601,\"message\":"
			       "\"method not found\"}}\n", id);
		fflush(stdout);
	}
	return 0;
}
