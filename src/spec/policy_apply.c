/* policy_apply.c: a workflow narrowed by the organisation policy.
 *
 * Narrowing never widens: a tool the policy denies is denied, an effect it
 * wants approved waits for a person, a call budget only shrinks, file
 * tools must satisfy both the workflow's paths and the policy's, and its
 * never_send rules join the workflow's context.exclude. What narrowing
 * cannot fix is a problem at the workflow's line: a provider or model the
 * policy does not allow, a budget above its maximum, a ship without the
 * checks or approval it requires, a command tool reaching outside its
 * paths. */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/os.h"
#include "spec/policy.h"

/* "the organisation policy (PATH:LINE:COL)" */
static const char *where(struct ld *ld, const struct spec_policy *p, struct spec_pos pos)
{
	char s[PATH_MAX + 64];
	const char *out;

	snprintf(s, sizeof(s), "the organisation policy (%s:%d:%d)", p->path, pos.line, pos.col);
	if (!(out = arena_strdup(ld->a, s)))
		ld->oom = 1;
	return out ? out : "the organisation policy";
}

static int listed(const char *const *list, const char *s, int glob)
{
	for (size_t i = 0; list && list[i]; i++)
		if (glob ? fnmatch(list[i], s, 0) == 0 : !strcmp(list[i], s))
			return 1;
	return 0;
}

static void list_text(const char *const *list, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; list && list[i] && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", list[i]);
}

static void apply_models(struct ld *ld, const struct spec_policy *p)
{
	char allowed[256];

	for (size_t i = 0; i < ld->flow->n_models; i++) {
		const struct spec_model *m = &ld->flow->models[i];

		if (p->providers && !listed(p->providers, m->provider, 0)) {
			list_text(p->providers, allowed, sizeof(allowed));
			ld_problem(ld, m->pos, "model '%s': provider '%s' is not allowed by %s, which "
			           "allows %s", m->name, m->provider, where(ld, p, p->providers_pos),
			           allowed);
		}
		if (p->models && m->model && !listed(p->models, m->model, 1)) {
			list_text(p->models, allowed, sizeof(allowed));
			ld_problem(ld, m->pos, "model '%s': model id '%s' is not allowed by %s, which "
			           "allows %s", m->name, m->model, where(ld, p, p->models_pos), allowed);
		}
	}
}

/* One budget limit: unset takes the policy's maximum; above it is a problem. */
static void narrow_limit(struct ld *ld, const struct spec_policy *p, struct spec_pos pos,
                         const char *name, double max, double *v)
{
	if (max <= 0)
		return;
	if (*v <= 0)
		*v = max;
	else if (*v > max)
		ld_problem(ld, pos, "budget %s %g is above the maximum %g set by %s", name, *v, max,
		           where(ld, p, p->budget_pos));
}

static void apply_budget(struct ld *ld, const struct spec_policy *p)
{
	struct spec_budget *b = &ld->flow->budget;
	struct fy_node *n = ld->root ? fy_node_by_path(ld->root, "/budget", FY_NT,
	                                                FYNWF_DONT_FOLLOW) : NULL;
	struct spec_pos pos = ld_pos(n, ld->root_pos);
	double tokens = (double)b->tokens, calls = (double)b->calls;

	narrow_limit(ld, p, pos, "tokens", (double)p->budget.tokens, &tokens);
	narrow_limit(ld, p, pos, "calls", (double)p->budget.calls, &calls);
	narrow_limit(ld, p, pos, "cost_usd", p->budget.cost_usd, &b->cost_usd);
	narrow_limit(ld, p, pos, "seconds", p->budget.seconds, &b->seconds);
	b->tokens = (int64_t)tokens;
	b->calls = (int64_t)calls;
}

/* Check kinds that have run on step gen's artifact before step upto. */
static unsigned checks_before(const struct spec_flow *f, int gen, size_t upto, int *approved)
{
	unsigned bits = f->steps[gen].output_schema ? SPEC_CHECK_BIT(CHECK_SCHEMA) : 0;

	*approved = 0;
	for (size_t j = 0; j < upto; j++) {
		const struct spec_step *s = &f->steps[j];

		if (s->of_index != gen)
			continue;
		if (s->kind == STEP_APPROVE)
			*approved = 1;
		for (size_t k = 0; s->kind == STEP_CHECK && k < s->n_checks; k++)
			bits |= SPEC_CHECK_BIT(s->checks[k].kind);
	}
	return bits;
}

static void apply_ship(struct ld *ld, const struct spec_policy *p)
{
	const struct spec_flow *f = ld->flow;

	for (size_t i = 0; i < f->n_steps; i++) {
		const struct spec_step *s = &f->steps[i];
		int approved;
		unsigned have;

		if (s->kind != STEP_SHIP || s->of_index < 0)
			continue;
		have = checks_before(f, s->of_index, i, &approved);
		if (p->ship_approval && (!approved || s->requires != WR_STATE_APPROVED))
			ld_problem(ld, s->pos, "ship '%s' needs an approve step of '%s' before it: %s "
			           "requires a person's approval before anything ships", s->id, s->of,
			           where(ld, p, p->ship_approval_pos));
		for (size_t r = 0; r < p->n_ship; r++) {
			unsigned missing = p->ship[r].checks & ~have;

			if (!s->to || fnmatch(p->ship[r].glob, s->to, 0) != 0 || !missing)
				continue;
			for (int k = 0; k < CHECK_KIND_COUNT_; k++)
				if (missing & SPEC_CHECK_BIT(k))
					ld_problem(ld, s->pos, "ship '%s' (%s) needs a '%s' check of '%s' "
					           "before it: %s requires it for '%s'", s->id, s->to,
					           spec_check_kind_name((enum check_kind)k), s->of,
					           where(ld, p, p->ship[r].pos), p->ship[r].glob);
		}
	}
}

/* Is folder (absolute) beneath one of the policy's globs? */
static int beneath(const char *const *globs, const char *folder)
{
	for (size_t i = 0; globs && globs[i]; i++) {
		char g[PATH_MAX];
		size_t n = strlen(globs[i]);

		if (n >= sizeof(g))
			continue;
		memcpy(g, globs[i], n + 1);
		while (n > 1 && g[n - 1] == '/')
			g[--n] = '\0';
		if (n >= 3 && !strcmp(g + n - 3, "/**"))
			g[n -= 3] = '\0';
		if (!strpbrk(g, "*?[") ? (!strncmp(folder, g, n) && (!folder[n] || folder[n] == '/'))
		                       : fnmatch(g, folder, FNM_PATHNAME | FNM_LEADING_DIR) == 0)
			return 1;
	}
	return 0;
}

/* A command or MCP tool's folders must lie beneath the policy's paths:
 * the sandbox grants folders, so there is nothing to intersect at call
 * time. */
static void check_folders(struct ld *ld, const struct spec_policy *p, const struct spec_tool *t,
                          const char *const *folders, const char *const *globs,
                          struct spec_pos gpos, const char *what)
{
	char root[PATH_MAX], abs[PATH_MAX];

	if (!globs || !realpath(ld->flow->dir, root))
		return;
	for (size_t i = 0; folders && folders[i]; i++) {
		if (folders[i][0] == '/')
			snprintf(abs, sizeof(abs), "%s", folders[i]);
		else if (os_join(root, folders[i], abs, sizeof(abs)) < 0)
			continue;
		if (!beneath(globs, abs))
			ld_problem(ld, t->pos, "tool '%s' may %s '%s', outside the paths %s allows",
			           t->name, what, folders[i], where(ld, p, gpos));
	}
}

static void apply_tools(struct ld *ld, const struct spec_policy *p)
{
	for (size_t i = 0; i < ld->flow->n_tools; i++) {
		struct spec_tool *t = &ld->flow->tools[i];

		if (listed(p->tool_deny, t->name, 0) ||
		    listed(p->tool_deny, spec_tool_kind_name(t->kind), 0) ||
		    listed(p->tool_deny, spec_effect_name(t->effect), 0)) {
			t->allow = 0;
			t->policy_deny = where(ld, p, p->tool_deny_pos);
		}
		if (p->tool_approval & (1u << t->effect))
			t->approval = 1;
		if (p->tool_max_calls && (!t->max_calls || t->max_calls > p->tool_max_calls))
			t->max_calls = p->tool_max_calls;
		if (t->kind == TOOL_READ_FILE || t->kind == TOOL_LIST_DIR ||
		    t->kind == TOOL_WRITE_FILE) {
			t->policy_read = p->tool_read;
			t->policy_write = p->tool_write;
		} else if (t->kind == TOOL_COMMAND || t->kind == TOOL_MCP) {
			check_folders(ld, p, t, t->read, p->tool_read, p->tool_read_pos, "read");
			check_folders(ld, p, t, t->write, p->tool_write, p->tool_write_pos, "write");
		}
	}
}

/* never_send joins context.exclude: files as globs, patterns compiled. */
static void apply_never(struct ld *ld, const struct spec_policy *p, const struct policy_never *nv)
{
	struct spec_context *c = &ld->flow->context;
	size_t n;

	if (nv->n_files) {
		const char **f = arena_alloc(ld->a, (c->n_exclude_files + nv->n_files + 1) *
		                                    sizeof(*f));

		if (!f) {
			ld->oom = 1;
			return;
		}
		for (n = 0; n < c->n_exclude_files; n++)
			f[n] = c->exclude_files[n];
		for (size_t i = 0; i < nv->n_files; i++)
			f[n++] = nv->files[i];
		f[n] = NULL;
		c->exclude_files = f;
		c->n_exclude_files = n;
	}
	if (nv->n_patterns) {
		struct spec_check *pc = arena_alloc(ld->a, (c->n_exclude_patterns + nv->n_patterns) *
		                                           sizeof(*pc));

		if (!pc) {
			ld->oom = 1;
			return;
		}
		memcpy(pc, c->exclude_patterns, c->n_exclude_patterns * sizeof(*pc));
		for (size_t i = 0; i < nv->n_patterns; i++) {
			struct spec_check *q = &pc[c->n_exclude_patterns];
			struct wr_err e = { 0, "" };
			size_t off = 0;

			memset(q, 0, sizeof(*q));
			q->kind = CHECK_REGEX;
			q->arg = nv->patterns[i];
			if (check_compile_at(q, &off, &e) < 0)
				ld_problem_in(ld, p->path, nv->patterns_pos, ld->root_pos,
				              "never_send pattern %zu: %s", i + 1, e.msg);
			else
				c->n_exclude_patterns++;
		}
		c->exclude_patterns = pc;
	}
}

void policy_apply(struct ld *ld, const struct spec_policy *p, const struct policy_never *nv)
{
	apply_models(ld, p);
	apply_budget(ld, p);
	apply_ship(ld, p);
	apply_tools(ld, p);
	apply_never(ld, p, nv);
}
