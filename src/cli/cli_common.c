/* cli_common.c: what every command needs: errors, stores, progress. */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "warrant: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_exit_for(int rc)
{
	switch (rc) {
	case WR_EINVAL:
	case WR_ESPEC:
	case WR_ENOTFOUND:
	case WR_ESTATE:
	case WR_EBUSY:
	case WR_ETOOBIG:
	case WR_EPROVIDER:
		return WR_EXIT_USAGE;
	}
	return WR_EXIT_INTERNAL;
}

int cli_bad_option(const char *usage, const char *arg)
{
	fputs(usage, stderr);
	return cli_fail(WR_EXIT_USAGE, "unknown or incomplete option '%s'", arg);
}

int cli_is_help(const char *s)
{
	return s && (!strcmp(s, "-h") || !strcmp(s, "--help"));
}

const char *cli_color(FILE *f, const char *code)
{
	static int no_color = -1;

	if (no_color < 0)
		no_color = getenv("NO_COLOR") != NULL;
	return !no_color && isatty(fileno(f)) ? code : "";
}

int cli_store_path(const char *opt, const char *flow_path, char *path, size_t size)
{
	const char *env = getenv("WARRANT_STORE");

	if (opt && opt[0]) {
		snprintf(path, size, "%s", opt);
	} else if (env && env[0]) {
		snprintf(path, size, "%s", env);
	} else if (flow_path) {
		if (wr_flow_store_path(flow_path, path, size) < 0)
			return cli_fail(WR_EXIT_USAGE, "%s: path too long", flow_path);
	} else {
		snprintf(path, size, ".warrant/warrant.db");
		if (access(path, F_OK) != 0)
			return cli_fail(WR_EXIT_USAGE, "no store here (.warrant/warrant.db); run "
			                "from the workflow's folder, or pass --store PATH or set "
			                "WARRANT_STORE");
	}
	return 0;
}

int cli_store_open(const char *opt, const char *flow_path, struct wr_store **out)
{
	struct wr_err err;
	char path[4096];
	int rc;

	*out = NULL;
	if ((rc = cli_store_path(opt, flow_path, path, sizeof(path))))
		return rc;
	if (wr_store_open(path, out, &err) < 0)
		return cli_fail(WR_EXIT_INTERNAL, "%s", err.msg);
	return 0;
}

int cli_store_open_signed(const char *opt, const char *flow_path, struct wr_store **out)
{
	const char *key = getenv("WARRANT_SIGNING_KEY");
	struct wr_err err;
	int rc;

	if ((rc = cli_store_open(opt, flow_path, out)))
		return rc;
	if (!key || !key[0] || wr_store_sign_with(*out, key, &err) == 0)
		return 0;
	wr_store_free(*out);
	*out = NULL;
	return cli_fail(err.code == WR_EIO ? WR_EXIT_USAGE : cli_exit_for(err.code),
	                "WARRANT_SIGNING_KEY: %s", err.msg);
}

void cli_on_event(void *ud, const struct wr_event *ev)
{
	const int *quiet = ud;
	const char *mark, *color;

	if (*quiet)
		return;
	switch (ev->kind) {
	case WR_EV_STEP_START:
		return;
	case WR_EV_SKIP:
		fprintf(stderr, "[%d/%d] %-12s %-8s skipped (done before)\n", ev->index + 1,
		        ev->total, ev->step_id, ev->step_kind);
		return;
	case WR_EV_WAITING:
		fprintf(stderr, "[%d/%d] %-12s %-8s %swaiting%s\n", ev->index + 1, ev->total,
		        ev->step_id, ev->step_kind, cli_color(stderr, "\033[33m"),
		        cli_color(stderr, "\033[0m"));
		return;
	case WR_EV_STEP_END:
		break;
	}
	mark = ev->failure ? wr_failure_name(ev->failure) : "ok";
	color = cli_color(stderr, ev->failure ? "\033[31m" : "\033[32m");
	fprintf(stderr, "[%d/%d] %-12s %-8s %s%s%s %s (%.3fs)\n", ev->index + 1, ev->total,
	        ev->step_id, ev->step_kind, color, mark, cli_color(stderr, "\033[0m"),
	        ev->message, ev->seconds);
}

int cli_report(const struct wr_run_result *res, int quiet)
{
	FILE *f = stdout;

	if (res->status == WR_RUN_DONE) {
		fprintf(f, "run %s: done\n", res->run_id);
	} else if (res->status == WR_RUN_WAITING) {
		fprintf(f, "run %s: waiting for approval at step '%s'\n", res->run_id,
		        res->failed_step);
		if (!quiet)
			fprintf(f, "  approve: warrant approve %s %s\n"
			           "  reject:  warrant reject %s %s --reason \"...\"\n",
			        res->run_id, res->failed_step, res->run_id, res->failed_step);
	} else if (res->status == WR_RUN_RUNNING) {
		fprintf(f, "run %s: paused (resume with: warrant resume %s)\n", res->run_id,
		        res->run_id);
	} else {
		fprintf(f, "run %s: %s at step '%s': %s\n  %s\n", res->run_id,
		        wr_run_status_name(res->status), res->failed_step,
		        wr_failure_name(res->failure), res->message);
	}
	return res->exit_code;
}

const char *cli_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && u[0])
		return u;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void cli_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}
