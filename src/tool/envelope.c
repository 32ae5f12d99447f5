/* envelope.c: whether one tool request fits its permission envelope.
 *
 * Every rule is deterministic and reads only the workflow; the order is
 * fixed (offered, allowed, budget, JSON, schema, values, paths, command
 * arguments) so a denial always names the first rule broken. A call that
 * passes and whose tool needs approval then waits for a person: that is the
 * engine's (src/engine/tools.c), as it needs the run's ledger. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/schema.h"
#include "core/err.h"
#include "tool/tool.h"

/* --- the environment --- */

static const char *const default_params[TOOL_KIND_COUNT_] = {
	[TOOL_READ_FILE] = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
	                   "\"required\":[\"path\"]}",
	[TOOL_LIST_DIR] = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
	                  "\"required\":[\"path\"]}",
	[TOOL_SEARCH_SOURCE] = "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":"
	                       "\"string\"}},\"required\":[\"query\"]}",
	[TOOL_WRITE_FILE] = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},"
	                    "\"content\":{\"type\":\"string\"}},\"required\":[\"path\",\"content\"]}",
	[TOOL_COMMAND] = "{\"type\":\"object\"}",
	[TOOL_MCP] = "{\"type\":\"object\"}",
};

int tool_offer_add(struct tool_env *env, const char *name, int ti, const char *remote,
                   const char *description, const char *params, void *schema)
{
	struct tool_offer *o;

	if (env->n_offers == env->cap_offers) {
		size_t cap = env->cap_offers ? env->cap_offers * 2 : 8;

		if (!(o = realloc(env->offers, cap * sizeof(*o)))) {
			schema_free(schema);
			return WR_ENOMEM;
		}
		env->offers = o;
		env->cap_offers = cap;
	}
	o = &env->offers[env->n_offers];
	memset(o, 0, sizeof(*o));
	o->ti = ti;
	o->schema = schema;
	o->name = strdup(name);
	o->remote = remote ? strdup(remote) : NULL;
	o->description = description ? strdup(description) : NULL;
	o->params = strdup(params);
	env->n_offers++;
	if (!o->name || !o->params || (remote && !o->remote) || (description && !o->description))
		return WR_ENOMEM;
	return 0;
}

int tool_env_init(struct tool_env *env, const struct spec_flow *flow,
                  const struct spec_step *step, struct store *st, struct wr_err *err)
{
	struct schema_params p = schema_default_params();
	size_t n = flow->n_tools ? flow->n_tools : 1;

	memset(env, 0, sizeof(*env));
	env->flow = flow;
	env->step = step;
	env->st = st;
	if (!realpath(flow->dir && flow->dir[0] ? flow->dir : ".", env->root))
		return err_set(err, WR_EIO, "%s: cannot resolve the workflow's folder: %s",
		               flow->dir, strerror(errno));
	env->schemas = calloc(n, sizeof(*env->schemas));
	env->used = calloc(n, sizeof(*env->used));
	if (!env->schemas || !env->used)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < step->n_tools; i++) {
		const struct spec_tool *t = &flow->tools[step->tools[i]];
		json_t *j;
		int rc;

		if (!t->schema_json || env->schemas[step->tools[i]])
			continue;
		if (!(j = json_loads(t->schema_json, 0, NULL)))
			return err_set(err, WR_ENOMEM, "out of memory");
		rc = schema_compile(j, &p, (struct schema **)&env->schemas[step->tools[i]], err);
		json_decref(j);
		if (rc < 0)
			return err_wrap(err, "tool '%s'", t->name);
	}
	for (size_t i = 0; i < step->n_tools; i++) {
		const struct spec_tool *t = &flow->tools[step->tools[i]];
		int rc;

		if (t->kind == TOOL_MCP)
			rc = tool_mcp_list(env, step->tools[i], err);
		else if ((rc = tool_offer_add(env, t->name, step->tools[i], NULL, t->description,
		                              t->schema_json ? t->schema_json
		                              : default_params[t->kind], NULL)) < 0)
			err_set(err, rc, "out of memory");
		if (rc < 0)
			return rc;
	}
	return 0;
}

void tool_env_release(struct tool_env *env)
{
	for (size_t i = 0; env->schemas && i < env->flow->n_tools; i++)
		schema_free(env->schemas[i]);
	for (size_t i = 0; i < env->n_offers; i++) {
		struct tool_offer *o = &env->offers[i];

		free(o->name);
		free(o->remote);
		free(o->description);
		free(o->params);
		schema_free(o->schema);
	}
	free(env->offers);
	env->offers = NULL;
	env->n_offers = 0;
	free(env->schemas);
	free(env->used);
	env->schemas = NULL;
	env->used = NULL;
}

/* --- paths --- */

static int glob_match(const char *root, const char *glob, const char *path)
{
	char pat[PATH_MAX + 16];
	size_t n;

	if (snprintf(pat, sizeof(pat), "%s%s%s", glob[0] == '/' ? "" : root,
	             glob[0] == '/' ? "" : "/", glob) >= (int)sizeof(pat))
		return 0;
	n = strlen(pat);
	while (n > 1 && pat[n - 1] == '/')   /* "docs/" is "docs" */
		pat[--n] = '\0';
	if (n >= 3 && !strcmp(pat + n - 3, "/**")) {
		pat[n - 3] = '\0';
		n -= 3;
		if (!strchr(pat, '*') && !strchr(pat, '?') && !strchr(pat, '['))
			return !strcmp(path, pat) || (!strncmp(path, pat, n) && path[n] == '/');
		/* a pattern before the two stars: try each leading part of path */
		for (char *s = strchr(path + 1, '/'); ; s = strchr(s + 1, '/')) {
			char head[PATH_MAX];
			size_t hn = s ? (size_t)(s - path) : strlen(path);

			if (hn >= sizeof(head))
				return 0;
			memcpy(head, path, hn);
			head[hn] = '\0';
			if (fnmatch(pat, head, FNM_PATHNAME) == 0)
				return 1;
			if (!s)
				return 0;
		}
	}
	return fnmatch(pat, path, FNM_PATHNAME) == 0;
}

int tool_path_allowed(const char *root, const char *const *globs, const char *arg,
                      size_t arg_len, int for_write, char *out, size_t size, char *reason,
                      size_t rsize)
{
	char joined[PATH_MAX], dir[PATH_MAX], *slash;
	const char *base;
	struct stat sb;

	if (!arg || !arg_len || strlen(arg) != arg_len) {
		snprintf(reason, rsize, "'path' must be a non-empty string without NUL bytes");
		return 0;
	}
	if (snprintf(joined, sizeof(joined), "%s%s%s", arg[0] == '/' ? "" : root,
	             arg[0] == '/' ? "" : "/", arg) >= (int)sizeof(joined)) {
		snprintf(reason, rsize, "path too long");
		return 0;
	}
	if (!for_write) {
		/* one answer for "missing" and "outside", so denials tell a model
		 * nothing about what exists beyond its envelope */
		if (!realpath(joined, out) || strlen(out) >= size)
			goto outside;
	} else {
		slash = strrchr(joined, '/');
		base = slash + 1;
		*slash = '\0';
		if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
			snprintf(reason, rsize, "path '%.80s' does not name a file", arg);
			return 0;
		}
		if (!realpath(joined[0] ? joined : "/", dir) ||
		    snprintf(out, size, "%s/%s", strcmp(dir, "/") ? dir : "", base) >= (int)size)
			goto outside;
	}
	for (size_t i = 0; globs && globs[i]; i++) {
		if (!glob_match(root, globs[i], out))
			continue;
		if (for_write && lstat(out, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			snprintf(reason, rsize, "path '%.80s' is a symbolic link; tools never write "
			         "through links", arg);
			return 0;
		}
		/* A second name for a file outside (a hard link) is not beneath
		 * anything: refuse regular files with more than one link. */
		if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_nlink > 1) {
			snprintf(reason, rsize, "path '%.80s' has other hard links; refused", arg);
			return 0;
		}
		return 1;
	}
outside:
	if (for_write)
		snprintf(reason, rsize, "path '%.80s' is not beneath the tool's write paths (or "
		         "its folder does not exist)", arg);
	else
		snprintf(reason, rsize, "path '%.80s' is not an existing file or folder beneath "
		         "the tool's read paths", arg);
	return 0;
}

/* --- command arguments --- */

void tool_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* The text of a scalar argument, or NULL. */
static const char *scalar_text(json_t *v, char *num, size_t size)
{
	if (json_is_string(v))
		return strlen(json_string_value(v)) == json_string_length(v)
		       ? json_string_value(v) : NULL;
	if (json_is_integer(v))
		snprintf(num, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, size, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, size, "%s", json_is_true(v) ? "true" : "false");
	else
		return NULL;
	return num;
}

static int expand(const char *tpl, json_t *args, struct buf *b, char *reason, size_t size)
{
	const char *p = tpl, *open, *close, *val;
	char name[64], num[64];
	size_t n;

	while ((open = strstr(p, "{{args.")) != NULL) {
		if (buf_add(b, p, (size_t)(open - p)) < 0)
			return WR_ENOMEM;
		if (!(close = strstr(open, "}}")) || (n = (size_t)(close - open - 7)) >= sizeof(name)) {
			snprintf(reason, size, "bad placeholder in the command template");
			return 0;
		}
		memcpy(name, open + 7, n);
		name[n] = '\0';
		if (!(val = scalar_text(json_object_get(args, name), num, sizeof(num)))) {
			snprintf(reason, size, "argument '%.40s' is missing or not a scalar", name);
			return 0;
		}
		if (val[0] == '-') {
			snprintf(reason, size, "argument '%.40s' starts with '-'; command arguments "
			         "may not look like options", name);
			return 0;
		}
		if (buf_adds(b, val) < 0)
			return WR_ENOMEM;
		p = close + 2;
	}
	return buf_adds(b, p) < 0 ? WR_ENOMEM : 1;
}

int tool_command_argv(const struct spec_tool *t, json_t *args, char ***argv_out,
                      char *reason, size_t size)
{
	char **argv = calloc(t->n_argv + 1, sizeof(*argv));
	int rc = WR_ENOMEM;

	*argv_out = NULL;
	if (!argv)
		return WR_ENOMEM;
	for (size_t i = 0; i < t->n_argv; i++) {
		struct buf b = BUF_INIT;

		rc = expand(t->argv[i], args, &b, reason, size);
		if (rc == 1 && !(argv[i] = buf_detach(&b, NULL)))
			rc = WR_ENOMEM;
		buf_release(&b);
		if (rc != 1)
			goto out;
	}
	*argv_out = argv;
	argv = NULL;
	rc = 1;
out:
	tool_argv_free(argv);
	return rc;
}

/* --- the decision --- */

static int values_ok(const struct spec_tool *t, json_t *args, char *reason, size_t size)
{
	json_t *allowed = t->values_json ? json_loads(t->values_json, 0, NULL) : NULL, *list, *v;
	const char *key;
	size_t i;
	int ok = 1;

	json_object_foreach(allowed, key, list) {
		json_t *got = json_object_get(args, key);
		int hit = 0;

		if (!got)
			continue;
		json_array_foreach(list, i, v)
			hit |= json_equal(v, got);
		if (!hit) {
			snprintf(reason, size, "argument '%.40s' is not one of the allowed values", key);
			ok = 0;
			break;
		}
	}
	json_decref(allowed);
	return ok;
}

static int paths_ok(struct tool_env *env, const struct spec_tool *t, json_t *args,
                    char *reason, size_t size)
{
	char resolved[PATH_MAX], again[PATH_MAX];
	json_t *p = json_object_get(args, "path");
	int w = t->kind == TOOL_WRITE_FILE;

	if (t->kind != TOOL_READ_FILE && t->kind != TOOL_LIST_DIR && !w)
		return 1;
	if (!json_is_string(p)) {
		snprintf(reason, size, "'path' must be a string");
		return 0;
	}
	if (w && !json_is_string(json_object_get(args, "content"))) {
		snprintf(reason, size, "'content' must be a string");
		return 0;
	}
	if (!tool_path_allowed(env->root, w ? t->write : t->read, json_string_value(p),
	                       json_string_length(p), w, resolved, sizeof(resolved), reason, size))
		return 0;
	/* the organisation policy narrows: the resolved path must match its
	 * globs too (they are absolute) */
	if ((w ? t->policy_write : t->policy_read) &&
	    !tool_path_allowed("/", w ? t->policy_write : t->policy_read, resolved,
	                       strlen(resolved), w, again, sizeof(again), reason, size)) {
		snprintf(reason, size, "path '%.80s' is outside the paths the organisation policy "
		         "lets tools %s", json_string_value(p), w ? "write" : "read");
		return 0;
	}
	return 1;
}

int tool_check(struct tool_env *env, const char *name, const char *args, int *oi,
               json_t **args_out, char *reason, size_t size)
{
	int ti_, *ti = &ti_;
	const struct spec_step *s = env->step;
	const struct spec_tool *t = NULL;
	struct schema_error se;
	json_error_t je;
	json_t *doc = NULL;
	char **argv = NULL;
	int rc = 0, n = 0;

	*ti = *oi = -1;
	*args_out = NULL;
	for (size_t i = 0; i < env->n_offers; i++)
		if (!strcmp(env->offers[i].name, name)) {
			*oi = (int)i;
			*ti = env->offers[i].ti;
		}
	if (*ti < 0) {
		snprintf(reason, size, "tool '%.64s' is not offered to step '%s'", name, s->id);
		return 0;
	}
	t = &env->flow->tools[*ti];
	if (!t->allow) {
		if (t->policy_deny)
			snprintf(reason, size, "tool '%s' is denied by %s", t->name, t->policy_deny);
		else
			snprintf(reason, size, "tool '%s' is denied by the workflow (allow: false)",
			         t->name);
		return 0;
	}
	if (t->max_calls && env->used[*ti] >= t->max_calls) {
		snprintf(reason, size, "tool '%s' may be called at most %d times in a step",
		         t->name, t->max_calls);
		return 0;
	}
	doc = json_loads(args ? args : "", JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		snprintf(reason, size, "arguments are not a JSON object%s%.100s", doc ? "" : ": ",
		         doc ? "" : je.text);
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		const struct schema *sc = k ? env->offers[*oi].schema : env->schemas[*ti];

		if (!sc)
			continue;
		rc = schema_validate(sc, doc, &se, 1, &n);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			snprintf(reason, size, "arguments fail %s schema at '%.60s': %.100s",
			         k ? "the server's" : "the", se.instance_path[0] ? se.instance_path
			         : "/", se.message);
			goto out;
		}
		rc = 0;
	}
	if (!values_ok(t, doc, reason, size) || !paths_ok(env, t, doc, reason, size))
		goto out;
	if (t->kind == TOOL_SEARCH_SOURCE &&
	    !json_is_string(json_object_get(doc, "query"))) {
		snprintf(reason, size, "'query' must be a string");
		goto out;
	}
	if (t->kind == TOOL_COMMAND) {
		rc = tool_command_argv(t, doc, &argv, reason, size);
		tool_argv_free(argv);
		if (rc != 1)
			goto out;
	}
	env->used[*ti]++;
	*args_out = doc;
	doc = NULL;
	snprintf(reason, size, "within the envelope of tool '%s'", t->name);
	rc = 1;
out:
	json_decref(doc);
	return rc;
}
