/* mockllm.c: a deterministic OpenAI/Anthropic-compatible server for tests.
 *
 *     cc -O2 -o build/mockllm tests/servers/mockllm.c     (tests/servers/build.sh)
 *     mockllm [--port N] [--latency-ms N] [--reply TEXT] [--log FILE]
 *             [--require-key KEY] [--json-echo]
 *
 * Listens on 127.0.0.1 (port 0 picks one) and prints the port on stdout.
 * One thread, poll(2), HTTP/1.1 with keep-alive. Answers
 *
 *     POST /v1/chat/completions, /chat/completions   OpenAI Chat Completions
 *     POST /v1/messages                              Anthropic Messages
 *     GET  /stats    {"requests":N,"connections":N,"in_flight":N,"max_in_flight":N}
 *     POST /reset    zeroes the counters
 *
 * The reply is --reply, else "echo: " and the last "content" string of the
 * request; with --json-echo, the JSON text {"echo":"<that string>"}. Faults
 * come from an X-Mock header or a "[mock:...]" marker in the request body, a
 * comma-separated list of:
 *
 *     status=N         answer with HTTP N (an error body that quotes the key)
 *     fail=N           apply the faults only to the first N requests with
 *                      this exact body (so a retry can succeed)
 *     retry-after=S    Retry-After: S              retry-after-ms=MS  (OpenAI's)
 *     retry-after-date=S  Retry-After as an HTTP date S seconds ahead
 *     sleep=MS         wait before answering (timeouts)
 *     truncate         promise 100 more bytes than sent, then close
 *     malformed        a 200 whose body is not JSON
 *     refusal          the model declines      nousage   no usage object
 *     tool             answer with a tool call  big=N    N bytes of content
 *     finish=WORD      finish_reason / stop_reason
 *     echo-key         put the presented key in the reply (redaction tests)
 *
 * With --log every request appends "ms method path status fault" to FILE.
 * This is test code: it trusts its client and favours brevity. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_REQ (16 << 20)

struct sbuf {
	char *p;
	size_t len, cap;
};

struct conn {
	int fd;
	struct sbuf in, out;
	size_t out_off;
	int64_t respond_at;   /* ms; 0: not waiting */
	int close_after;
	int waiting;          /* a request is being held (latency/sleep) */
};

struct fault {
	int status, fail, sleep_ms, truncate, malformed, refusal, nousage, tool;
	int echo_key, big;
	long retry_after, retry_after_ms, retry_after_date;
	char finish[32];
};

static struct {
	int latency_ms, json_echo;
	const char *reply, *key;
	FILE *log;
	int64_t t0;
	long requests, connections, in_flight, max_in_flight;
	struct { uint64_t hash; int count; } seen[4096];
	size_t n_seen;
} g;

static struct conn *conns[MAX_CONNS];
static int n_conns;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void sb_add(struct sbuf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			die("realloc");
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char small[512];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		die("malloc");
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/* --- requests --- */

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* How many times this exact body has been seen, this one included. */
static int seen_count(const char *body, size_t n)
{
	uint64_t h = fnv(body, n);

	for (size_t i = 0; i < g.n_seen; i++)
		if (g.seen[i].hash == h)
			return ++g.seen[i].count;
	if (g.n_seen < sizeof(g.seen) / sizeof(*g.seen)) {
		g.seen[g.n_seen].hash = h;
		g.seen[g.n_seen++].count = 1;
	}
	return 1;
}

static void parse_faults(const char *s, size_t n, struct fault *f)
{
	char spec[512], *tok, *save = NULL;

	if (n >= sizeof(spec))
		n = sizeof(spec) - 1;
	memcpy(spec, s, n);
	spec[n] = '\0';
	for (tok = strtok_r(spec, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(tok, '=');
		long v = eq ? strtol(eq + 1, NULL, 10) : 0;

		if (eq)
			*eq = '\0';
		if (!strcmp(tok, "status")) f->status = (int)v;
		else if (!strcmp(tok, "fail")) f->fail = (int)v;
		else if (!strcmp(tok, "sleep")) f->sleep_ms = (int)v;
		else if (!strcmp(tok, "retry-after")) f->retry_after = v;
		else if (!strcmp(tok, "retry-after-ms")) f->retry_after_ms = v;
		else if (!strcmp(tok, "retry-after-date")) f->retry_after_date = v;
		else if (!strcmp(tok, "truncate")) f->truncate = 1;
		else if (!strcmp(tok, "malformed")) f->malformed = 1;
		else if (!strcmp(tok, "refusal")) f->refusal = 1;
		else if (!strcmp(tok, "nousage")) f->nousage = 1;
		else if (!strcmp(tok, "tool")) f->tool = 1;
		else if (!strcmp(tok, "echo-key")) f->echo_key = 1;
		else if (!strcmp(tok, "big")) f->big = (int)v;
		else if (!strcmp(tok, "finish") && eq)
			snprintf(f->finish, sizeof(f->finish), "%s", eq + 1);
	}
}

static const char *header(const char *head, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		const char *v = p + 2;

		if (!strncasecmp(v, name, n) && v[n] == ':') {
			v += n + 1;
			while (*v == ' ')
				v++;
			*len = (size_t)(strstr(v, "\r\n") - v);
			return v;
		}
	}
	return NULL;
}

/* The last "content":"..." string, still JSON-escaped (so it can be pasted
 * into a JSON answer as it is). */
static const char *last_content(const char *body, size_t *len)
{
	const char *p = body, *hit = NULL, *q;

	while ((q = strstr(p, "\"content\":\"")) != NULL) {
		hit = q + 11;
		p = hit;
	}
	if (!hit)
		return *len = 0, "";
	for (q = hit; *q && *q != '"'; q++)
		if (*q == '\\' && q[1])
			q++;
	*len = (size_t)(q - hit);
	return hit;
}

static void reply_text(struct sbuf *t, const char *body, const struct fault *f,
                       const char *key, size_t key_len)
{
	size_t n;
	const char *c;

	if (f->big) {
		for (int i = 0; i < f->big; i++)
			sb_add(t, "x", 1);
		return;
	}
	if (g.reply) {
		sb_add(t, g.reply, strlen(g.reply));
	} else if (g.json_echo) {
		/* c is already escaped for a JSON string; escaped once more, the
		 * object is itself the content of one. */
		c = last_content(body, &n);
		sb_add(t, "{\\\"echo\\\":\\\"", 12);
		for (size_t i = 0; i < n; i++) {
			if (c[i] == '"' || c[i] == '\\')
				sb_add(t, "\\", 1);
			sb_add(t, c + i, 1);
		}
		sb_add(t, "\\\"}", 3);
	} else {
		c = last_content(body, &n);
		sb_add(t, "echo: ", 6);
		sb_add(t, c, n);
	}
	if (f->echo_key) {
		sb_add(t, " key=", 5);
		sb_add(t, key, key_len);
	}
}

/* The name forced by tool_choice {"type":"tool","name":...}, or "lookup". */
static void tool_name(const char *body, char *out, size_t size)
{
	const char *p = strstr(body, "\"type\":\"tool\",\"name\":\"");
	size_t n = 0;

	if (!p && (p = strstr(body, "\"function\":{\"name\":\"")))
		p += 20;
	else if (p)
		p += 22;
	while (p && p[n] && p[n] != '"' && n + 1 < size)
		n++;
	snprintf(out, size, "%.*s", (int)n, p ? p : "");
	if (!n)
		snprintf(out, size, "lookup");
}

static void body_openai(struct sbuf *o, const char *body, const struct fault *f,
                        const struct sbuf *text, const char *key, size_t key_len)
{
	const char *finish = f->finish[0] ? f->finish : f->tool ? "tool_calls" : "stop";
	char name[64];
	int schema = strstr(body, "\"response_format\"") != NULL;

	sb_printf(o, "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\","
	          "\"created\":1700000000,\"model\":\"mock-%.*s\","
	          "\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,"
	          "\"message\":{\"role\":\"assistant\",",
	          f->echo_key ? (int)key_len : 3, f->echo_key ? key : "gpt");
	if (f->refusal) {
		sb_printf(o, "\"content\":null,\"refusal\":\"I can't help with that.\"");
	} else if (f->tool) {
		tool_name(body, name, sizeof(name));
		sb_printf(o, "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
		          "\"function\",\"function\":{\"name\":\"%s\",\"arguments\":"
		          "\"{\\\"q\\\":\\\"x\\\"}\"}}]", name);
	} else if (schema) {
		sb_printf(o, "\"content\":\"{\\\"ok\\\":true}\"");
	} else {
		sb_printf(o, "\"content\":\"%s\"", text->p ? text->p : "");
	}
	sb_printf(o, "},\"finish_reason\":\"%s\"}]", finish);
	if (!f->nousage)
		sb_printf(o, ",\"usage\":{\"prompt_tokens\":%zu,\"completion_tokens\":%zu,"
		          "\"total_tokens\":%zu}", strlen(body) / 4, text->len / 4 + 1,
		          strlen(body) / 4 + text->len / 4 + 1);
	sb_add(o, "}", 1);
}

static void body_anthropic(struct sbuf *o, const char *body, const struct fault *f,
                           const struct sbuf *text)
{
	char name[64];
	const char *stop = f->finish[0] ? f->finish : f->refusal ? "refusal"
	                   : f->tool || strstr(body, "\"tool_choice\"") ? "tool_use" : "end_turn";

	sb_printf(o, "{\"id\":\"msg_mock\",\"type\":\"message\",\"role\":\"assistant\","
	          "\"model\":\"mock-claude\",\"content\":[");
	if (f->refusal) {
		sb_printf(o, "{\"type\":\"text\",\"text\":\"I can't help with that.\"}");
	} else if (f->tool || strstr(body, "\"tool_choice\"")) {
		tool_name(body, name, sizeof(name));
		sb_printf(o, "{\"type\":\"text\",\"text\":\"Calling.\"},{\"type\":\"tool_use\","
		          "\"id\":\"toolu_1\",\"name\":\"%s\",\"input\":{\"ok\":true}}", name);
	} else {
		sb_printf(o, "{\"type\":\"text\",\"text\":\"%s\"}", text->p ? text->p : "");
	}
	sb_printf(o, "],\"stop_reason\":\"%s\",\"stop_sequence\":null", stop);
	if (!f->nousage)
		sb_printf(o, ",\"usage\":{\"input_tokens\":%zu,\"output_tokens\":%zu}",
		          strlen(body) / 4, text->len / 4 + 1);
	sb_add(o, "}", 1);
}

static void respond(struct conn *c, int status, const char *extra, const char *body,
                    size_t len, int truncate)
{
	const char *reason = status == 200 ? "OK" : status == 429 ? "Too Many Requests"
	                     : status == 401 ? "Unauthorized" : status == 404 ? "Not Found"
	                     : "Error";

	sb_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	          "Content-Length: %zu\r\n%s%s\r\n", status, reason,
	          len + (truncate ? 100 : 0), extra, c->close_after ? "Connection: close\r\n" : "");
	sb_add(&c->out, body, len);
	if (truncate)
		c->close_after = 1;
}

static void handle(struct conn *c, const char *head, const char *body, size_t body_len)
{
	struct fault f = { 0 };
	struct sbuf text = { 0 }, out = { 0 }, extra = { 0 };
	char method[8] = "", path[128] = "", date[64];
	const char *v, *key = "";
	size_t n, key_len = 0;
	int status = 200, faulty, anthropic;
	time_t t;

	sscanf(head, "%7s %127s", method, path);
	if (!strcmp(path, "/stats")) {
		sb_printf(&out, "{\"requests\":%ld,\"connections\":%ld,\"in_flight\":%ld,"
		          "\"max_in_flight\":%ld}", g.requests, g.connections, g.in_flight,
		          g.max_in_flight);
		respond(c, 200, "", out.p, out.len, 0);
		goto out;
	}
	if (!strcmp(path, "/reset")) {
		g.requests = g.max_in_flight = 0;
		g.connections = 1;
		g.n_seen = 0;
		respond(c, 200, "", "{}", 2, 0);
		goto out;
	}
	g.requests++;
	if ((v = header(head, "X-Mock", &n)) != NULL)
		parse_faults(v, n, &f);
	if ((v = strstr(body, "[mock:")) != NULL)
		parse_faults(v + 6, strcspn(v + 6, "]"), &f);
	if ((v = header(head, "Authorization", &n)) != NULL && n > 7) {
		key = v + 7;
		key_len = n - 7;
	} else if ((v = header(head, "x-api-key", &n)) != NULL) {
		key = v;
		key_len = n;
	}
	faulty = !f.fail || seen_count(body, body_len) <= f.fail;
	anthropic = strstr(path, "/messages") != NULL;
	if (g.key && (key_len != strlen(g.key) || strncmp(key, g.key, key_len))) {
		status = 401;
		faulty = 1;
	} else if (strcmp(method, "POST") || (!anthropic && !strstr(path, "/chat/completions"))) {
		status = 404;
	} else if (faulty && f.status) {
		status = f.status;
	}
	if (faulty && f.retry_after)
		sb_printf(&extra, "Retry-After: %ld\r\n", f.retry_after);
	if (faulty && f.retry_after_ms)
		sb_printf(&extra, "retry-after-ms: %ld\r\n", f.retry_after_ms);
	if (faulty && f.retry_after_date) {
		t = time(NULL) + f.retry_after_date;
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
		sb_printf(&extra, "Retry-After: %s\r\n", date);
	}
	if (status != 200) {
		/* Like real servers, quote what the client sent: the key included. */
		sb_printf(&out, "{\"type\":\"error\",\"error\":{\"type\":\"mock_error\","
		          "\"message\":\"mock status %d for key %.*s\"}}", status,
		          (int)key_len, key);
	} else if (faulty && f.malformed) {
		sb_printf(&out, "{\"id\":\"chatcmpl-mock\",\"choices\":[{\"message\":");
	} else {
		reply_text(&text, body, &f, key, key_len);
		if (anthropic)
			body_anthropic(&out, body, &f, &text);
		else
			body_openai(&out, body, &f, &text, key, key_len);
	}
	respond(c, status, extra.p ? extra.p : "", out.p ? out.p : "", out.len,
	        faulty && f.truncate);
	if (g.log) {
		fprintf(g.log, "%lld %s %s %d %s\n", (long long)(now_ms() - g.t0), method, path,
		        status, faulty && (f.status || f.sleep_ms || f.truncate || f.malformed)
		        ? "fault" : "-");
		fflush(g.log);
	}
	c->respond_at = now_ms() + g.latency_ms + (faulty ? f.sleep_ms : 0);
	c->waiting = 1;
	if (++g.in_flight > g.max_in_flight)
		g.max_in_flight = g.in_flight;
out:
	free(text.p);
	free(out.p);
	free(extra.p);
}

/* Handles one complete request at the front of c->in, if there is one. */
static int try_request(struct conn *c)
{
	char *end = c->in.p ? strstr(c->in.p, "\r\n\r\n") : NULL;
	const char *v;
	size_t head_len, body_len = 0, n;
	char save;

	if (!end)
		return 0;
	head_len = (size_t)(end - c->in.p) + 4;
	if ((v = header(c->in.p, "Content-Length", &n)) != NULL && v < end)
		body_len = strtoul(v, NULL, 10);
	if (c->in.len < head_len + body_len)
		return 0;
	if ((v = header(c->in.p, "Connection", &n)) != NULL && v < end &&
	    !strncasecmp(v, "close", 5))
		c->close_after = 1;
	save = c->in.p[head_len + body_len];
	c->in.p[head_len + body_len] = '\0';
	end[2] = '\0';  /* the head ends with its last header's CRLF */
	handle(c, c->in.p, c->in.p + head_len, body_len);
	c->in.p[head_len + body_len] = save;
	memmove(c->in.p, c->in.p + head_len + body_len, c->in.len - head_len - body_len);
	c->in.len -= head_len + body_len;
	c->in.p[c->in.len] = '\0';
	return 1;
}

/* --- the loop --- */

static void conn_close(int i)
{
	struct conn *c = conns[i];

	if (c->waiting)
		g.in_flight--;
	close(c->fd);
	free(c->in.p);
	free(c->out.p);
	free(c);
	conns[i] = conns[--n_conns];
}

static void on_accept(int lfd)
{
	int fd, one = 1;
	struct conn *c;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (n_conns == MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		conns[n_conns++] = c;
		g.connections++;
	}
}

/* Returns 0 to keep the connection, -1 to close it. */
static int on_read(struct conn *c)
{
	char chunk[65536];
	ssize_t r;

	while ((r = read(c->fd, chunk, sizeof(chunk))) > 0) {
		sb_add(&c->in, chunk, (size_t)r);
		if (c->in.len > MAX_REQ)
			return -1;
	}
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (!c->waiting)
		try_request(c);
	return 0;
}

static int on_write(struct conn *c)
{
	ssize_t w;

	while (c->out_off < c->out.len) {
		w = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)w;
	}
	c->out.len = c->out_off = 0;
	if (c->close_after)
		return -1;
	if (try_request(c) && c->respond_at <= now_ms())
		return on_write(c);
	return 0;
}

static void serve(int lfd)
{
	static struct pollfd pfd[MAX_CONNS + 1];
	int64_t now, next;
	int timeout;

	for (;;) {
		now = now_ms();
		next = -1;
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < n_conns; i++) {
			struct conn *c = conns[i];

			pfd[i + 1] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			if (c->waiting && c->respond_at > now && (next < 0 || c->respond_at < next))
				next = c->respond_at;
			if (!c->waiting && c->out.len)
				pfd[i + 1].events |= POLLOUT;
		}
		timeout = next < 0 ? -1 : (int)(next - now);
		if (poll(pfd, (nfds_t)n_conns + 1, timeout) < 0 && errno != EINTR)
			die("poll");
		if (pfd[0].revents & POLLIN)
			on_accept(lfd);
		now = now_ms();
		for (int i = n_conns - 1; i >= 0; i--) {
			struct conn *c = conns[i];
			int bad = 0;

			if (i + 1 <= n_conns && pfd[i + 1].fd == c->fd) {
				if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
					bad = on_read(c);
			}
			if (!bad && c->waiting && c->respond_at <= now_ms()) {
				c->waiting = 0;
				g.in_flight--;
			}
			if (!bad && !c->waiting && c->out.len)
				bad = on_write(c);
			if (bad)
				conn_close(i);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd, one = 1, port = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--port") && val)
			port = (int)strtol(val, NULL, 10);
		else if (!strcmp(arg, "--latency-ms") && val)
			g.latency_ms = (int)strtol(val, NULL, 10);
		else if (!strcmp(arg, "--reply") && val)
			g.reply = val;
		else if (!strcmp(arg, "--require-key") && val)
			g.key = val;
		else if (!strcmp(arg, "--json-echo")) {
			g.json_echo = 1;
			continue;
		}
		else if (!strcmp(arg, "--log") && val) {
			if (!(g.log = fopen(val, "a")))
				die(val);
		} else {
			fprintf(stderr, "usage: mockllm [--port N] [--latency-ms N] [--reply TEXT]"
			        " [--log FILE] [--require-key KEY] [--json-echo]\n");
			return 2;
		}
		i++;
	}
	signal(SIGPIPE, SIG_IGN);
	g.t0 = now_ms();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		die("bind");
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	serve(lfd);
	return 0;
}
