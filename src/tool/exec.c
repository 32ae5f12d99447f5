/* exec.c: running a call tool_check allowed. The built-ins re-resolve the
 * path (it may have changed since the check) and open it without following
 * links; command tools run in the OS sandbox with only the envelope's
 * folders, no network unless the effect is network, and a clean
 * environment. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "tool/tool.h"

/* Appends at most what fits in TOOL_OUTPUT_MAX. */
static int add_capped(struct buf *out, const char *s, size_t n, int *truncated)
{
	size_t room = out->len < TOOL_OUTPUT_MAX ? TOOL_OUTPUT_MAX - out->len : 0;

	if (n > room) {
		n = room;
		*truncated = 1;
	}
	return buf_add(out, s, n) < 0 ? WR_ENOMEM : 0;
}

/* "cannot WHAT PATH: strerror(errno)" as the failed call's result. */
static int failed_with(struct buf *out, int *failed, const char *what, const char *arg)
{
	*failed = 1;
	buf_reset(out);
	return buf_printf(out, "cannot %s %s: %s", what, arg, strerror(errno)) < 0
	       ? WR_ENOMEM : 0;
}

static int path_of(struct tool_env *env, const struct spec_tool *t, json_t *args, int w,
                   char *path, struct buf *out, int *failed)
{
	json_t *p = json_object_get(args, "path");
	char reason[TOOL_REASON_MAX];

	if (tool_path_allowed(env->root, w ? t->write : t->read, json_string_value(p),
	                      json_string_length(p), w, path, PATH_MAX, reason, sizeof(reason)))
		return 1;
	*failed = 1;
	buf_reset(out);
	return buf_adds(out, reason) < 0 ? WR_ENOMEM : 0;
}

static int read_file(struct tool_env *env, const struct spec_tool *t, json_t *args,
                     struct buf *out, int *truncated, int *failed)
{
	char path[PATH_MAX], chunk[8192];
	ssize_t n;
	int fd, rc;

	if ((rc = path_of(env, t, args, 0, path, out, failed)) != 1)
		return rc;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return failed_with(out, failed, "open", json_string_value(
		                   json_object_get(args, "path")));
	rc = 0;
	while (!*truncated && (n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((rc = add_capped(out, chunk, (size_t)n, truncated)) < 0)
			break;
	if (n < 0 && !*truncated && rc == 0)
		rc = failed_with(out, failed, "read",
		                 json_string_value(json_object_get(args, "path")));
	close(fd);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(struct tool_env *env, const struct spec_tool *t, json_t *args,
                    struct buf *out, int *truncated, int *failed)
{
	char path[PATH_MAX], **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;
	int rc;

	if ((rc = path_of(env, t, args, 0, path, out, failed)) != 1)
		return rc;
	if (!(dir = opendir(path)))
		return failed_with(out, failed, "list",
		                   json_string_value(json_object_get(args, "path")));
	rc = 0;
	while ((d = readdir(dir)) != NULL && n < 10000) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (n == cap) {
			char **m = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*m));

			if (!m) {
				rc = WR_ENOMEM;
				goto out;
			}
			names = m;
		}
		if (!(names[n] = strdup(d->d_name))) {
			rc = WR_ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = add_capped(out, names[i], strlen(names[i]), truncated)) == 0)
			rc = add_capped(out, "\n", 1, truncated);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return rc;
}

static int write_file(struct tool_env *env, const struct spec_tool *t, json_t *args,
                      struct buf *out, int *failed)
{
	json_t *c = json_object_get(args, "content");
	const char *p = json_string_value(c);
	size_t left = json_string_length(c);
	char path[PATH_MAX];
	ssize_t n;
	int fd, rc;

	if ((rc = path_of(env, t, args, 1, path, out, failed)) != 1)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0)
		return failed_with(out, failed, "open for writing",
		                   json_string_value(json_object_get(args, "path")));
	while (left && (n = write(fd, p, left)) > 0) {
		p += n;
		left -= (size_t)n;
	}
	if (left || fsync(fd) < 0) {
		rc = failed_with(out, failed, "write",
		                 json_string_value(json_object_get(args, "path")));
		close(fd);
		return rc;
	}
	close(fd);
	return buf_printf(out, "wrote %zu bytes to %s", json_string_length(c),
	                  json_string_value(json_object_get(args, "path"))) < 0 ? WR_ENOMEM : 0;
}

struct hits {
	struct buf *out;
	int *truncated;
};

static int on_hit(void *ud, const struct wr_hit *h)
{
	struct hits *hs = ud;
	char head[700];
	int n = snprintf(head, sizeof(head), "%s[%s#%lld]\n", hs->out->len ? "\n" : "",
	                 h->source, (long long)h->start);

	if (add_capped(hs->out, head, n > 0 && (size_t)n < sizeof(head) ? (size_t)n : 0,
	               hs->truncated) < 0 ||
	    add_capped(hs->out, h->text, h->text_len, hs->truncated) < 0)
		return WR_ENOMEM;
	return 0;
}

static int search_source(struct tool_env *env, const struct spec_tool *t, json_t *args,
                         struct buf *out, int *truncated, int *failed)
{
	struct hits hs = { out, truncated };
	struct wr_err e = { 0, "" };
	int rc;

	rc = wr_retrieve((struct wr_store *)env->st, json_string_value(json_object_get(args,
	                 "query")), 5, t->filter, on_hit, &hs, &e);
	if (rc == WR_ENOMEM)
		return rc;
	if (rc < 0) {
		*failed = 1;
		buf_reset(out);
		return buf_printf(out, "search failed: %s", e.msg) < 0 ? WR_ENOMEM : 0;
	}
	if (!out->len && buf_adds(out, "no matches") < 0)
		return WR_ENOMEM;
	return 0;
}

char **tool_folders(const char *root, const char *const *rel, size_t n, const char *extra)
{
	char **v = calloc(n + 2, sizeof(*v)), joined[PATH_MAX];

	for (size_t i = 0; v && i < n; i++) {
		snprintf(joined, sizeof(joined), "%s%s%s", rel[i][0] == '/' ? "" : root,
		         rel[i][0] == '/' ? "" : "/", rel[i]);
		if (!(v[i] = strdup(joined))) {
			tool_argv_free(v);
			return NULL;
		}
	}
	if (v && extra && !(v[n] = strdup(extra))) {
		tool_argv_free(v);
		return NULL;
	}
	return v;
}

static int command(struct tool_env *env, const struct spec_tool *t, json_t *args,
                   struct buf *out, int *truncated, int *failed, struct wr_err *err)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	char reason[TOOL_REASON_MAX], **argv = NULL, **rd = NULL, **wr = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = tool_command_argv(t, args, &argv, reason, sizeof(reason))) != 1) {
		if (rc < 0)
			return rc;
		*failed = 1;
		return buf_adds(out, reason) < 0 ? WR_ENOMEM : 0;
	}
	rd = tool_folders(env->root, t->read, t->n_read, NULL);
	wr = tool_folders(env->root, t->write, t->n_write, NULL);
	if (!rd || !wr) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	p.argv = (const char *const *)argv;
	p.read_paths = (const char *const *)rd;
	p.write_paths = (const char *const *)wr;
	p.cwd = wr[0] ? wr[0] : rd[0];
	p.net = t->effect == EFFECT_NETWORK;
	p.timeout_s = t->timeout > 0 ? t->timeout : 30;
	p.max_output = TOOL_OUTPUT_MAX;
	p.allow_weaker = t->allow_weaker;
	if (t->memory_mb > 0)
		p.memory_bytes = (size_t)t->memory_mb << 20;
	if ((rc = wr_sandbox_run(&p, &r, err)) < 0) {
		err_wrap(err, "tool '%s'", t->name);
		goto out;
	}
	*truncated = r.out_truncated;
	if ((rc = add_capped(out, r.out, r.out_len, truncated)) < 0)
		goto out;
	if (r.status != 0) {
		*failed = 1;
		rc = buf_printf(out, "%s[%s %s %d] %.500s", out->len ? "\n" : "",
		                r.timed_out ? "timed out" : r.signal ? "killed by signal" : "exit status",
		                t->name, r.signal ? r.signal : r.status, r.err ? r.err : "");
		rc = rc < 0 ? WR_ENOMEM : 0;
	}
out:
	wr_sandbox_result_release(&r);
	tool_argv_free(argv);
	tool_argv_free(rd);
	tool_argv_free(wr);
	return rc;
}

int tool_run(struct tool_env *env, int oi, json_t *args, struct buf *out, int *truncated,
             int *failed, struct wr_err *err)
{
	const struct tool_offer *o = &env->offers[oi];
	const struct spec_tool *t = &env->flow->tools[o->ti];
	int rc = 0;

	*truncated = *failed = 0;
	switch (t->kind) {
	case TOOL_READ_FILE: rc = read_file(env, t, args, out, truncated, failed); break;
	case TOOL_LIST_DIR: rc = list_dir(env, t, args, out, truncated, failed); break;
	case TOOL_WRITE_FILE: rc = write_file(env, t, args, out, failed); break;
	case TOOL_SEARCH_SOURCE: rc = search_source(env, t, args, out, truncated, failed); break;
	case TOOL_COMMAND: return command(env, t, args, out, truncated, failed, err);
	case TOOL_MCP:
		return tool_mcp_call(env, t, o->remote, args, out, truncated, failed, err);
	default: rc = WR_EINVAL; break;
	}
	if (rc < 0)
		return err_set(err, rc, "tool '%s': %s", t->name, rc == WR_ENOMEM ? "out of memory"
		               : "cannot run this kind");
	return 0;
}
