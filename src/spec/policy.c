/* policy.c: the organisation policy file, found and read.
 *
 *     # warrant.policy.yaml
 *     version: 1
 *     providers: [openai, local]          # the only providers workflows may use
 *     models: ["gpt-4o-mini*"]            # the only model ids (globs)
 *     budget: {cost_usd: 2, calls: 40}    # maxima for every run
 *     ship:
 *       approval: required                # a person approves before any ship
 *       checks: {"*.json": [schema], "*": [json]}   # per destination
 *     tools:
 *       deny: [network, write_file]       # tool names, kinds or effects
 *       approval: [write, external]       # effects a person approves per call
 *       max_calls: 10
 *       read: [data]                      # tools read only beneath these (and
 *       write: [out]                      #  where the workflow allows)
 *     never_send:                         # joins every workflow's context.exclude
 *       files: ["*.pem", "*.env"]
 *       patterns: ['sk-[A-Za-z0-9]{20,}']
 *     lock: required                      # runs must match warrant.lock
 *
 * Problems in the file are reported at its own line and column; what it
 * forbids in a workflow is reported by policy_apply.c at the workflow's. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/os.h"
#include "spec/policy.h"

#define POLICY_FILE "warrant.policy.yaml"

int spec_policy_find(const char *flow_path, const char *given, char *buf, size_t size,
                     struct wr_err *err)
{
	char dir[PATH_MAX], abs[PATH_MAX], cand[PATH_MAX + 32];
	const char *env = getenv("WARRANT_POLICY");
	char *slash;

	buf[0] = '\0';
	if (given && !*given)
		return 0;
	if (!given && env && *env)
		given = env;
	if (given) {
		if (access(given, R_OK) != 0)
			return err_set(err, WR_EIO, "policy %s: %s", given, strerror(errno));
		if (snprintf(buf, size, "%s", given) >= (int)size)
			return err_set(err, WR_ETOOBIG, "policy %s: path too long", given);
		return 0;
	}
	if (os_dirname(flow_path, dir, sizeof(dir)) < 0 || !realpath(dir, abs))
		return 0;
	for (;;) {
		snprintf(cand, sizeof(cand), "%s/%s", strcmp(abs, "/") ? abs : "", POLICY_FILE);
		if (access(cand, F_OK) == 0) {
			if (snprintf(buf, size, "%s", cand) >= (int)size)
				return err_set(err, WR_ETOOBIG, "policy %s: path too long", cand);
			return 0;
		}
		if (!strcmp(abs, "/") || !(slash = strrchr(abs, '/')))
			return 0;
		if (slash == abs)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* --- reading --- */

static const char *const top_keys[] = { "version", "providers", "models", "budget", "ship",
                                        "tools", "never_send", "lock", NULL };
static const char *const ship_keys[] = { "approval", "checks", NULL };
static const char *const tool_keys[] = { "deny", "approval", "max_calls", "read", "write",
                                         NULL };
static const char *const never_keys[] = { "files", "patterns", NULL };

/* "required" or "none" (or true/false). */
static int get_required(struct ld *ld, const struct ld_kv *kv, int *out)
{
	const char *s;

	if (ld_get_str(ld, kv, 1, &s) < 0)
		return -1;
	if (!strcmp(s, "required") || !strcmp(s, "true"))
		*out = 1;
	else if (!strcmp(s, "none") || !strcmp(s, "false"))
		*out = 0;
	else {
		ld_problem(ld, kv->vpos, "'%s' must be 'required' or 'none'", kv->key);
		return -1;
	}
	return 0;
}

static int check_kind_of(const char *name)
{
	for (int k = 0; k < CHECK_KIND_COUNT_; k++)
		if (!strcmp(spec_check_kind_name((enum check_kind)k), name))
			return k;
	return -1;
}

static void walk_ship_checks(struct ld *ld, const struct ld_kv *top, struct spec_policy *p)
{
	const char *kinds[CHECK_KIND_COUNT_ + 1];
	struct ld_kv kv;
	void *it = NULL;
	size_t n = 0, cap;

	if (ld_need_mapping(ld, top, "a mapping of destination globs to check kinds") < 0)
		return;
	cap = (size_t)fy_node_mapping_item_count(top->v);
	if (!(p->ship = arena_alloc(ld->a, (cap ? cap : 1) * sizeof(*p->ship)))) {
		ld->oom = 1;
		return;
	}
	for (int k = 0; k < CHECK_KIND_COUNT_; k++)
		kinds[k] = spec_check_kind_name((enum check_kind)k);
	kinds[CHECK_KIND_COUNT_] = NULL;
	while (ld_next_pair(ld, top->v, &it, &kv) && n < cap) {
		struct spec_policy_ship *r = &p->ship[n];
		const char **names;
		size_t m;

		if (!(names = ld_str_list(ld, &kv, &m)))
			continue;
		r->glob = kv.key;
		r->pos = kv.kpos;
		r->checks = 0;
		for (size_t i = 0; i < m; i++) {
			int k = check_kind_of(names[i]);
			const char *near;

			if (k >= 0) {
				r->checks |= SPEC_CHECK_BIT(k);
				continue;
			}
			near = spec_suggest(names[i], kinds, CHECK_KIND_COUNT_);
			ld_problem(ld, kv.vpos, "unknown check kind '%s'%s%s%s", names[i],
			           near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		}
		n++;
	}
	p->n_ship = n;
}

static void walk_ship(struct ld *ld, const struct ld_kv *top, struct spec_policy *p)
{
	struct ld_kv kv;
	void *it = NULL;

	if (ld_need_mapping(ld, top, "a mapping (approval, checks)") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "approval")) {
			get_required(ld, &kv, &p->ship_approval);
			p->ship_approval_pos = kv.kpos;
		} else if (!strcmp(kv.key, "checks")) {
			walk_ship_checks(ld, &kv, p);
		} else {
			ld_unknown_key(ld, &kv, " in ship", ship_keys);
		}
	}
}

/* An effect class by name, or -1. */
static int effect_of(const char *name)
{
	for (int e = 0; e < EFFECT_COUNT_; e++)
		if (!strcmp(spec_effect_name((enum spec_effect)e), name))
			return e;
	return -1;
}

static int tool_kind_of(const char *name)
{
	for (int k = 0; k < TOOL_KIND_COUNT_; k++)
		if (!strcmp(spec_tool_kind_name((enum spec_tool_kind)k), name))
			return k;
	return -1;
}

/* Path globs, made absolute against the policy's folder; a folder without
 * wildcards stands for everything beneath it. */
static const char **abs_globs(struct ld *ld, const struct ld_kv *kv, const char *dir)
{
	const char **g;
	size_t n;

	if (!(g = ld_str_list(ld, kv, &n)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char joined[PATH_MAX], tail[PATH_MAX + 4];

		/* a plain folder covers what is beneath it */
		if (!strpbrk(g[i], "*?[")) {
			snprintf(tail, sizeof(tail), "%s/**", g[i]);
			if (!(g[i] = arena_strdup(ld->a, tail))) {
				ld->oom = 1;
				return NULL;
			}
		}
		if (g[i][0] == '/')
			continue;
		if (os_join(dir, g[i], joined, sizeof(joined)) < 0) {
			ld_problem(ld, kv->vpos, "path '%s' is too long", g[i]);
			return NULL;
		}
		if (!(g[i] = arena_strdup(ld->a, joined))) {
			ld->oom = 1;
			return NULL;
		}
	}
	return g;
}

static void walk_tools(struct ld *ld, const struct ld_kv *top, struct spec_policy *p)
{
	struct ld_kv kv;
	void *it = NULL;
	long long v;
	size_t n;

	if (ld_need_mapping(ld, top, "a mapping (deny, approval, max_calls, read, write)") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "deny")) {
			p->tool_deny = ld_str_list(ld, &kv, &n);
			p->tool_deny_pos = kv.vpos;
		} else if (!strcmp(kv.key, "approval")) {
			const char **effects = ld_str_list(ld, &kv, &n);

			p->tool_approval_pos = kv.vpos;
			for (size_t i = 0; effects && i < n; i++) {
				int e = effect_of(effects[i]);

				if (e < 0)
					ld_problem(ld, kv.vpos, "'%s' is not an effect class (read, write, "
					           "network, external)", effects[i]);
				else
					p->tool_approval |= 1u << e;
			}
		} else if (!strcmp(kv.key, "max_calls")) {
			if (ld_get_int(ld, &kv, 1, "a positive integer", &v) == 0)
				p->tool_max_calls = v > INT_MAX ? INT_MAX : (int)v;
		} else if (!strcmp(kv.key, "read")) {
			p->tool_read = abs_globs(ld, &kv, p->dir);
			p->tool_read_pos = kv.vpos;
		} else if (!strcmp(kv.key, "write")) {
			p->tool_write = abs_globs(ld, &kv, p->dir);
			p->tool_write_pos = kv.vpos;
		} else {
			ld_unknown_key(ld, &kv, " in tools", tool_keys);
		}
	}
	for (size_t i = 0; p->tool_deny && p->tool_deny[i]; i++)
		if (effect_of(p->tool_deny[i]) < 0 && tool_kind_of(p->tool_deny[i]) < 0 &&
		    !ld_id_ok(p->tool_deny[i], 1))
			ld_problem(ld, p->tool_deny_pos, "'%s' is not a tool name, tool kind or effect "
			           "class", p->tool_deny[i]);
}

static void walk_never(struct ld *ld, const struct ld_kv *top, struct policy_never *nv)
{
	struct ld_kv kv;
	void *it = NULL;

	if (ld_need_mapping(ld, top, "a mapping (files, patterns)") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "files")) {
			nv->files = ld_str_list(ld, &kv, &nv->n_files);
		} else if (!strcmp(kv.key, "patterns")) {
			nv->patterns = ld_str_list(ld, &kv, &nv->n_patterns);
			nv->patterns_pos = kv.vpos;
		} else {
			ld_unknown_key(ld, &kv, " in never_send", never_keys);
		}
	}
}

static void walk_policy(struct ld *ld, struct fy_node *root, struct spec_policy *p,
                        struct policy_never *nv)
{
	struct ld_kv top = { "policy", NULL, root, { 1, 1 }, { 1, 1 } }, kv;
	void *it = NULL;
	long long v;
	size_t n;

	if (ld_need_mapping(ld, &top, "a mapping (providers, models, budget, ship, tools, "
	                    "never_send, lock)") < 0)
		return;
	while (ld_next_pair(ld, root, &it, &kv)) {
		if (!strcmp(kv.key, "version")) {
			if (ld_get_int(ld, &kv, 1, "1", &v) == 0 && v != 1)
				ld_problem(ld, kv.vpos, "policy version %lld is newer than this warrant "
				           "reads (1)", v);
		} else if (!strcmp(kv.key, "providers")) {
			p->providers = ld_str_list(ld, &kv, &n);
			p->providers_pos = kv.vpos;
		} else if (!strcmp(kv.key, "models")) {
			p->models = ld_str_list(ld, &kv, &n);
			p->models_pos = kv.vpos;
		} else if (!strcmp(kv.key, "budget")) {
			ld_walk_budget(ld, &kv, &p->budget);
			p->budget_pos = kv.kpos;
		} else if (!strcmp(kv.key, "ship")) {
			walk_ship(ld, &kv, p);
		} else if (!strcmp(kv.key, "tools")) {
			walk_tools(ld, &kv, p);
		} else if (!strcmp(kv.key, "never_send")) {
			walk_never(ld, &kv, nv);
		} else if (!strcmp(kv.key, "lock")) {
			get_required(ld, &kv, &p->lock);
		} else {
			ld_unknown_key(ld, &kv, " in the policy", top_keys);
		}
	}
}

/* Reads the policy at path into *out (in the flow's arena), reporting its
 * problems through params. */
static int policy_read(struct ld *fl, const char *path, const struct spec_params *params,
                       struct spec_policy **out, struct policy_never *nv,
                       struct wr_err *err)
{
	struct ld ld;
	struct spec_policy *p;
	struct fy_parser *fyp = NULL;
	struct fy_diag *diag = NULL;
	struct fy_document *doc = NULL;
	struct buf b = BUF_INIT;
	char dir[PATH_MAX], abs[PATH_MAX];
	int rc;

	if ((rc = os_read_file(path, LD_MAX_FILE, &b, err)) < 0)
		return rc;
	memset(&ld, 0, sizeof(ld));
	ld.flow = fl->flow;
	ld.a = fl->a;
	ld.path = arena_strdup(fl->a, path);
	ld.root_pos.line = ld.root_pos.col = 1;
	p = arena_alloc(fl->a, sizeof(*p));
	ld.src = arena_strndup(fl->a, b.data ? b.data : "", b.len);
	ld.src_len = b.len;
	if (!p || !ld.src || !ld.path || os_dirname(path, dir, sizeof(dir)) < 0 ||
	    !realpath(dir, abs)) {
		rc = err_set(err, WR_ENOMEM, "policy %s: out of memory or unreadable folder", path);
		goto out;
	}
	memset(p, 0, sizeof(*p));
	p->path = ld.path;
	if (!(p->dir = arena_strdup(fl->a, abs))) {
		rc = err_set(err, WR_ENOMEM, "policy %s: out of memory", path);
		goto out;
	}
	hash_hex(ld.src, ld.src_len, p->hash);
	if (ld_check_text(&ld, NULL, ld.src, ld.src_len, ld.root_pos) == 0 &&
	    (doc = ld_parse_yaml(&ld, &fyp, &diag, "a policy needs at least one rule")))
		walk_policy(&ld, fy_document_root(doc), p, nv);
	if (ld.oom) {
		rc = err_set(err, WR_ENOMEM, "policy %s: out of memory", path);
		goto out;
	}
	if (ld.n_probs || ld.n_dropped) {
		rc = ld_report_problems(&ld, params, err);
		goto out;
	}
	*out = p;
	rc = 0;
out:
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	if (fyp)
		fy_parser_destroy(fyp);
	if (diag)
		fy_diag_destroy(diag);
	buf_release(&b);
	return rc;
}

int ld_policy(struct ld *ld, const struct spec_params *params, struct wr_err *err)
{
	struct policy_never nv = { 0 };
	struct spec_policy *p = NULL;
	char path[PATH_MAX];
	int rc;

	if ((rc = spec_policy_find(ld->path, params ? params->policy_path : NULL, path,
	                           sizeof(path), err)) < 0)
		return rc;
	if (!path[0])
		return 0;
	if ((rc = policy_read(ld, path, params, &p, &nv, err)) < 0)
		return rc;
	ld->flow->policy = p;
	policy_apply(ld, p, &nv);
	return 0;
}
