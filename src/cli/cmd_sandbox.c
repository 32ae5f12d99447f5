/* cmd_sandbox.c: warrant sandbox [OPTIONS] -- PROGRAM [ARGS...]
 *
 * Runs one program under the OS sandbox (wr_sandbox_run) and passes on its
 * output and exit status; --probe says which layers this kernel gives. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define EXIT_TIMEOUT 124
#define EXIT_SANDBOX 125
#define MAX_LIST 64
#define STDIN_MAX ((size_t)64 << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: warrant sandbox [OPTIONS] -- PROGRAM [ARGS...]\n"
	        "       warrant sandbox --probe\n"
	        "\n"
	        "Runs PROGRAM confined by Landlock (files, TCP), a new network namespace,\n"
	        "seccomp, rlimits, a wall timeout and a clean environment, as nobody when\n"
	        "called as root. Its stdout and stderr are captured (capped) and printed\n"
	        "after it ends. Refuses to run when the kernel lacks a layer, unless\n"
	        "--allow-weaker.\n"
	        "\n"
	        "  --read PATH        may read and execute beneath PATH (repeatable)\n"
	        "  --write PATH       may also write, create and remove beneath PATH\n"
	        "  --cwd DIR          work dir, HOME and TMPDIR (default: the first --write,\n"
	        "                     else /)\n"
	        "  --net              allow the network (no namespace, no TCP rules)\n"
	        "  --timeout S        wall-clock limit in seconds (default 30)\n"
	        "  --cpu S            CPU seconds (default 30)\n"
	        "  --memory MB        address space (default 1024; 0: no limit)\n"
	        "  --fsize MB         largest file it may write (default 64; 0: no limit)\n"
	        "  --procs N          processes (default 64; 0: no limit)\n"
	        "  --files N          open files (default 256)\n"
	        "  --max-output N     bytes kept of stdout and of stderr each (default 1048576)\n"
	        "  --env NAME[=VAL]   pass a variable (credentials are refused); the\n"
	        "                     program gets only PATH, LANG, HOME, TMPDIR and these\n"
	        "  --stdin FILE       feed FILE to its stdin ('-': ours); default empty\n"
	        "  --user UID:GID     as root, run as these ids (default 65534:65534);\n"
	        "                     'root' keeps root, which leaves --procs unenforced\n"
	        "  --no-system-paths  do not grant /usr, /lib*, /bin, /dev/null ...\n"
	        "  --allow-weaker     run with whatever layers the kernel gives\n"
	        "  --verbose          print the layers in force to stderr\n"
	        "  --json             print one JSON object instead of the program's output:\n"
	        "                     status, signal, timed_out, stdout, stderr, truncation,\n"
	        "                     layers applied and missing, landlock_abi, seconds\n"
	        "  --probe            print the layers this kernel gives, and why any lack\n"
	        "\n"
	        "exit: PROGRAM's status; 124 timed out; 125 the sandbox refused or failed,\n"
	        "or bad usage; 126 cannot execute; 127 not found; 128+N killed by signal N\n"
	        "(128+24 CPU limit). --probe: 0 every layer, 1 some missing.\n");
}

static int probe(void)
{
	struct wr_sandbox_probe pr;

	wr_sandbox_probe(&pr);
	printf("landlock ABI %d\n", pr.landlock_abi);
	for (unsigned b = 1; b <= WR_SBX_ALL; b <<= 1)
		printf("%-15s %s\n", wr_sandbox_layer_name(b), pr.available & b ? "yes" : "no");
	if (pr.why[0])
		printf("missing: %s\n", pr.why);
	return pr.available == WR_SBX_ALL ? 0 : 1;
}

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = s ? strtod(s, &end) : 0;
	if (!s || errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "warrant sandbox: %s needs a number from %g to %g, not '%s'\n",
		        opt, min, max, s ? s : "");
		return -1;
	}
	return 0;
}

static int add(const char **list, int *n, const char *opt, const char *v)
{
	if (!v) {
		fprintf(stderr, "warrant sandbox: %s needs a value\n", opt);
		return -1;
	}
	if (*n >= MAX_LIST) {
		fprintf(stderr, "warrant sandbox: at most %d of %s\n", MAX_LIST, opt);
		return -1;
	}
	list[(*n)++] = v;
	list[*n] = NULL;
	return 0;
}

/* NAME alone takes its value from our environment. */
static const char *env_entry(const char *arg, char *out, size_t size)
{
	const char *v;

	if (strchr(arg, '='))
		return arg;
	if (!(v = getenv(arg))) {
		fprintf(stderr, "warrant sandbox: --env %s: not set\n", arg);
		return NULL;
	}
	if (snprintf(out, size, "%s=%s", arg, v) >= (int)size) {
		fprintf(stderr, "warrant sandbox: --env %s: too long\n", arg);
		return NULL;
	}
	return out;
}

static char *read_input(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *data = NULL, *p;
	size_t cap = 0, n = 0, got;

	if (!f) {
		fprintf(stderr, "warrant sandbox: --stdin %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > STDIN_MAX || !(p = realloc(data, cap))) {
				fprintf(stderr, "warrant sandbox: --stdin %s: too large\n", path);
				free(data);
				data = NULL;
				break;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (f != stdin)
		fclose(f);
	*len = n;
	return data;
}

static void write_all(FILE *f, const char *d, size_t n)
{
	if (n && fwrite(d, 1, n, f) != n)
		fprintf(stderr, "warrant sandbox: writing output: %s\n", strerror(errno));
	fflush(f);
}

static void print_layers(const char *what, unsigned layers)
{
	fprintf(stderr, "warrant sandbox: %s:", what);
	for (unsigned b = 1; b <= WR_SBX_ALL; b <<= 1)
		if (layers & b)
			fprintf(stderr, " %s", wr_sandbox_layer_name(b));
	fprintf(stderr, "\n");
}

/* Length of the valid UTF-8 sequence at p (of n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!len || p[0] > 0xf4 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;  /* overlong, surrogate, past U+10FFFF */
	return len;
}

/* Bytes as a JSON string; what is not UTF-8 becomes U+FFFD. */
static void json_bytes(FILE *f, const char *d, size_t n)
{
	const unsigned char *p = (const unsigned char *)d;

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			fprintf(f, "\\u%04x", p[i]);
		else if (p[i] < 0x80)
			fputc(p[i], f);
		else if ((len = utf8_len(p + i, n - i))) {
			fwrite(p + i, 1, len, f);
			i += len - 1;
		} else {
			fputs("\\ufffd", f);
		}
	}
	fputc('"', f);
}

static void json_layers(FILE *f, unsigned layers)
{
	int first = 1;

	fputc('[', f);
	for (unsigned b = 1; b <= WR_SBX_ALL; b <<= 1)
		if (layers & b) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", wr_sandbox_layer_name(b));
			first = 0;
		}
	fputc(']', f);
}

static void print_json(const struct wr_sandbox_result *r)
{
	printf("{\"status\":%d,\"signal\":%d,\"timed_out\":%s,\"exec_error\":", r->status,
	       r->signal, r->timed_out ? "true" : "false");
	if (r->exec_errno)
		json_bytes(stdout, strerror(r->exec_errno), strlen(strerror(r->exec_errno)));
	else
		fputs("null", stdout);
	fputs(",\"stdout\":", stdout);
	json_bytes(stdout, r->out, r->out_len);
	fputs(",\"stderr\":", stdout);
	json_bytes(stdout, r->err, r->err_len);
	printf(",\"stdout_truncated\":%s,\"stderr_truncated\":%s,\"applied\":",
	       r->out_truncated ? "true" : "false", r->err_truncated ? "true" : "false");
	json_layers(stdout, r->applied);
	fputs(",\"missing\":", stdout);
	json_layers(stdout, r->missing);
	printf(",\"landlock_abi\":%d,\"seconds\":%.6f}\n", r->landlock_abi, r->seconds);
	fflush(stdout);
}

static int report(const struct wr_sandbox_params *p, const struct wr_sandbox_result *r,
                  int verbose, int json)
{
	if (json) {
		print_json(r);
	} else {
		write_all(stdout, r->out, r->out_len);
		write_all(stderr, r->err, r->err_len);
	}
	if (verbose)
		print_layers("in force", r->applied);
	if (r->missing)
		print_layers("ran WITHOUT", r->missing);
	if (r->out_truncated)
		fprintf(stderr, "warrant sandbox: stdout truncated at %zu bytes\n", p->max_output);
	if (r->err_truncated)
		fprintf(stderr, "warrant sandbox: stderr truncated at %zu bytes\n", p->max_output);
	if (r->exec_errno) {
		fprintf(stderr, "warrant sandbox: cannot run %s: %s\n", p->argv[0],
		        strerror(r->exec_errno));
		return r->status;
	}
	if (r->timed_out) {
		fprintf(stderr, "warrant sandbox: killed after the %g s timeout\n", p->timeout_s);
		return EXIT_TIMEOUT;
	}
	if (r->signal) {
		fprintf(stderr, "warrant sandbox: killed by signal %d (%s)%s\n", r->signal,
		        strsignal(r->signal), r->signal == SIGXCPU ? ": CPU limit" : "");
		return 128 + r->signal;
	}
	return r->status;
}

int cmd_sandbox(int argc, char **argv)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r = { 0 };
	struct wr_err err = { 0 };
	const char *reads[MAX_LIST + 1] = { 0 }, *writes[MAX_LIST + 1] = { 0 };
	const char *envs[MAX_LIST + 1] = { 0 };
	static char env_bufs[MAX_LIST][4200];
	int nr = 0, nw = 0, ne = 0, verbose = 0, json = 0, i, rc = EXIT_SANDBOX;
	char *input = NULL;
	double v;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (cli_is_help(a)) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (a[0] != '-') {
			break;
		} else if (!strcmp(a, "--probe")) {
			return probe();
		} else if (!strcmp(a, "--net")) {
			p.net = 1;
		} else if (!strcmp(a, "--allow-weaker")) {
			p.allow_weaker = 1;
		} else if (!strcmp(a, "--no-system-paths")) {
			p.system_paths = 0;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			verbose = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--read") || !strcmp(a, "--write")) {
			if (a[2] == 'r' ? add(reads, &nr, a, next) : add(writes, &nw, a, next))
				goto out;
			i++;
		} else if (!strcmp(a, "--env")) {
			const char *e = next ? env_entry(next, env_bufs[ne < MAX_LIST ? ne : 0],
			                                 sizeof(env_bufs[0])) : NULL;
			if ((next && !e) || add(envs, &ne, a, e))
				goto out;
			i++;
		} else if (!strcmp(a, "--cwd")) {
			if (!(p.cwd = next)) {
				fprintf(stderr, "warrant sandbox: --cwd needs a directory\n");
				goto out;
			}
			i++;
		} else if (!strcmp(a, "--stdin")) {
			free(input);
			if (!next || !(input = read_input(next, &p.stdin_len)))
				goto out;
			p.stdin_data = input;
			i++;
		} else if (!strcmp(a, "--user")) {
			unsigned long u, g;
			char extra;

			if (next && !strcmp(next, "root")) {
				p.uid = p.gid = -1;
			} else if (!next || sscanf(next, "%lu:%lu%c", &u, &g, &extra) != 2 ||
			           u > 0xfffffffeul || g > 0xfffffffeul) {
				fprintf(stderr, "warrant sandbox: --user needs UID:GID or 'root'\n");
				goto out;
			} else {
				p.uid = (long)u;
				p.gid = (long)g;
			}
			i++;
		} else if (!strcmp(a, "--timeout") || !strcmp(a, "--cpu")) {
			if (parse_num(a, next, 0.001, 1e6, &v) < 0)
				goto out;
			*(a[2] == 't' ? &p.timeout_s : &p.cpu_s) = v;
			i++;
		} else if (!strcmp(a, "--memory") || !strcmp(a, "--fsize")) {
			if (parse_num(a, next, 0, 1 << 24, &v) < 0)
				goto out;
			*(a[2] == 'm' ? &p.memory_bytes : &p.file_bytes) = (size_t)(v * 1048576);
			i++;
		} else if (!strcmp(a, "--procs") || !strcmp(a, "--files")) {
			if (parse_num(a, next, 0, 1 << 20, &v) < 0)
				goto out;
			*(a[2] == 'p' ? &p.max_procs : &p.max_files) = (int)v;
			i++;
		} else if (!strcmp(a, "--max-output")) {
			if (parse_num(a, next, 0, 1u << 30, &v) < 0)
				goto out;
			p.max_output = (size_t)v;
			i++;
		} else {
			fprintf(stderr, "warrant sandbox: unknown option '%s'\n", a);
			usage(stderr);
			goto out;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "warrant sandbox: no program to run\n");
		usage(stderr);
		goto out;
	}
	p.argv = (const char *const *)(argv + i);
	p.read_paths = reads;
	p.write_paths = writes;
	p.env = envs;
	if (wr_sandbox_run(&p, &r, &err) < 0) {
		fprintf(stderr, "warrant %s\n", err.msg);
		goto out;
	}
	rc = report(&p, &r, verbose, json);
out:
	wr_sandbox_result_release(&r);
	free(input);
	return rc;
}
