/* bench_tools.c: the cost of one tool call under its envelope.
 *
 *     build/bench_tools [N] [DIR]
 *
 * Median and p99 over N calls of: the envelope decision alone (tool_check:
 * lookup, budget, JSON parse, schema, allow-list, realpath and globs) for an
 * allowed and for a denied (path traversal) read; a whole read_file call
 * (check and run); and a command tool (/bin/true) through the OS sandbox,
 * against the plain sandbox start-up bench_sandbox measures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/os.h"
#include "tool/tool.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n, const char *unit, double scale)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-34s median %8.2f %s   p99 %8.2f %s   (%d calls)\n", what, t[n / 2] * scale,
	       unit, t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * scale, unit, n);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 300;
	const char *dir = argc > 2 ? argv[2] : "build/bench";
	const char *read[] = { "notes/**", NULL }, *tpl[] = { "/bin/true", NULL };
	char path[4096], why[TOOL_REASON_MAX];
	struct spec_tool tools[2];
	struct spec_step st;
	struct spec_flow f;
	struct tool_env env;
	struct wr_err err = { 0, "" };
	int idx[2] = { 0, 1 }, oi, rc;
	double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t));
	FILE *fp;

	if (!t || n < 1)
		return 2;
	snprintf(path, sizeof(path), "%s/tools", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/tools/notes", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/tools/notes/a.txt", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs("a short note\n", fp);
		fclose(fp);
	}
	snprintf(path, sizeof(path), "%s/tools", dir);
	memset(tools, 0, sizeof(tools));
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	tools[0].name = "read_notes";
	tools[0].kind = TOOL_READ_FILE;
	tools[0].allow = 1;
	tools[0].read = read;
	tools[0].n_read = 1;
	tools[0].schema_json = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":"
	                       "\"string\",\"maxLength\":200}},\"required\":[\"path\"]}";
	tools[1].name = "noop";
	tools[1].kind = TOOL_COMMAND;
	tools[1].allow = 1;
	tools[1].argv = tpl;
	tools[1].n_argv = 1;
	f.dir = path;
	f.tools = tools;
	f.n_tools = 2;
	st.id = "bench";
	st.tools = idx;
	st.n_tools = 2;
	if (tool_env_init(&env, &f, &st, NULL, &err) < 0) {
		fprintf(stderr, "bench_tools: %s\n", err.msg);
		return 1;
	}
	for (int pass = 0; pass < 4; pass++) {
		const char *what[] = { "envelope check, allowed read", "envelope check, denied (..)",
		                       "read_file call (check + run)", "command call in the sandbox" };
		const char *args = pass == 1 ? "{\"path\":\"notes/../../../etc/passwd\"}"
		                   : "{\"path\":\"notes/a.txt\"}";
		int calls = pass == 3 ? (n < 300 ? n : 300) : n * 10;
		double *tt = pass == 3 ? t : realloc(t, (size_t)calls * sizeof(*t));

		if (!tt)
			return 2;
		t = tt;
		for (int i = 0; i < calls; i++) {
			struct buf out = BUF_INIT;
			json_t *parsed = NULL;
			int trunc, failed;
			uint64_t t0 = os_mono_ns();

			env.used[0] = env.used[1] = 0;
			rc = tool_check(&env, pass == 3 ? "noop" : "read_notes", pass == 3 ? "{}" : args,
			                &oi, &parsed, why, sizeof(why));
			if (rc == 1 && pass >= 2 &&
			    tool_run(&env, oi, parsed, &out, &trunc, &failed, &err) < 0) {
				fprintf(stderr, "bench_tools: %s\n", err.msg);
				return 1;
			}
			t[i] = (double)(os_mono_ns() - t0) / 1e9;
			json_decref(parsed);
			buf_release(&out);
			if (rc != (pass == 1 ? 0 : 1)) {
				fprintf(stderr, "bench_tools: unexpected decision: %s\n", why);
				return 1;
			}
		}
		if (pass == 3)
			report(what[pass], t, calls, "ms", 1e3);
		else
			report(what[pass], t, calls, "us", 1e6);
	}
	tool_env_release(&env);
	free(t);
	return 0;
}
