/* lint.c: a workflow scored against the seed's skill tree.
 *
 * Four levels, three nodes each (conditioning, authority, workflows,
 * compounding). Each node is present, weak or missing in the workflow as
 * loaded (the organisation policy applied), with what to add. A level is
 * reached when its nodes and those of every level below are present. The
 * judgement is about the file: whether the checks are good enough is what
 * the eval suite says. */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"

#define LINT_MAX_SUITE ((size_t)1 << 20)   /* suite files read to find this flow's */

__attribute__((format(printf, 5, 6)))
static void node(struct wr_lint_report *r, int level, const char *name, int status,
                 const char *fmt, ...)
{
	struct wr_lint_node *n = &r->nodes[r->n_nodes++];
	va_list ap;

	n->level = level;
	n->name = name;
	n->status = status;
	va_start(ap, fmt);
	vsnprintf(n->detail, sizeof(n->detail), fmt, ap);
	va_end(ap);
	n->add[0] = '\0';
}

static void add(struct wr_lint_report *r, const char *line)
{
	snprintf(r->nodes[r->n_nodes - 1].add, sizeof(r->nodes[0].add), "%s", line);
}

/* --- level 1: conditioning --- */

static void intent(const struct spec_flow *f, struct wr_lint_report *r)
{
	const struct spec_contract *c = &f->contract;
	int have = !!c->purpose + !!c->audience + !!c->n_constraints + !!c->stop;

	node(r, 1, "intent", have == 4 ? WR_LINT_PRESENT : have ? WR_LINT_WEAK : WR_LINT_MISSING,
	     "contract has %d of purpose, audience, constraints, stop", have);
	if (!c->audience)
		add(r, "contract: {audience: who reads the output and relies on it}");
	else if (!c->n_constraints)
		add(r, "contract: {constraints: [what the output must and must not do]}");
	else if (!c->stop)
		add(r, "contract: {stop: when the work is done}");
}

static void context(const struct spec_flow *f, struct wr_lint_report *r)
{
	int retrieve = 0, rules = f->context.n_exclude_files || f->context.n_exclude_patterns ||
	                          f->context.max_tokens;

	for (size_t i = 0; i < f->n_steps; i++)
		retrieve |= f->steps[i].kind == STEP_RETRIEVE;
	node(r, 1, "context", retrieve && rules ? WR_LINT_PRESENT : retrieve || rules ?
	     WR_LINT_WEAK : WR_LINT_MISSING, "%s; %s", retrieve ? "a retrieve step quotes sources"
	     : "no retrieve step", rules ? "context rules (exclude, max_tokens) set"
	     : "no context rules");
	if (!rules)
		add(r, "context: {exclude: {patterns: ['(?i)password|api[_-]?key']}, max_tokens: 8000}");
	else if (!retrieve)
		add(r, "- {id: find, kind: retrieve, query: \"{{inputs.question}}\", sources: [docs]}");
}

static void constraints(const struct spec_flow *f, struct wr_lint_report *r)
{
	const struct spec_budget *b = &f->budget;
	size_t gen = 0, shaped = 0;
	int budget = b->tokens || b->cost_usd || b->seconds || b->calls;

	for (size_t i = 0; i < f->n_steps; i++) {
		const struct spec_step *s = &f->steps[i];
		int has = s->output_schema != NULL;

		if (s->kind != STEP_GENERATE)
			continue;
		gen++;
		for (size_t j = i + 1; j < f->n_steps && !has; j++)
			for (size_t k = 0; f->steps[j].kind == STEP_CHECK &&
			                   f->steps[j].of_index == (int)i && k < f->steps[j].n_checks; k++)
				has |= f->steps[j].checks[k].kind == CHECK_SCHEMA;
		shaped += has;
	}
	node(r, 1, "constraints", gen && shaped == gen && budget ? WR_LINT_PRESENT :
	     shaped || budget ? WR_LINT_WEAK : WR_LINT_MISSING,
	     "%zu of %zu generate steps have a schema; %s", shaped, gen,
	     budget ? "a budget is set" : "no budget");
	if (shaped < gen)
		add(r, "output_schema: schema.json   (on each generate step)");
	else if (!budget)
		add(r, "budget: {calls: 20, cost_usd: 1}");
}

/* --- level 2: authority --- */

static int deterministic(enum check_kind k)
{
	return k != CHECK_CRITIQUE && k != CHECK_CONTAINS && k != CHECK_NOT_CONTAINS;
}

static void verification(const struct spec_flow *f, struct wr_lint_report *r)
{
	size_t gen = 0, verified = 0, any = 0;

	for (size_t i = 0; i < f->n_steps; i++) {
		int strong = f->steps[i].output_schema != NULL, some = strong;

		if (f->steps[i].kind != STEP_GENERATE)
			continue;
		gen++;
		for (size_t j = 0; j < f->n_steps; j++)
			for (size_t k = 0; f->steps[j].kind == STEP_CHECK &&
			                   f->steps[j].of_index == (int)i && k < f->steps[j].n_checks; k++) {
				some = 1;
				strong |= deterministic(f->steps[j].checks[k].kind) &&
				          f->steps[j].checks[k].kind != CHECK_JSON;
			}
		verified += strong;
		any += some;
	}
	node(r, 2, "verification", gen && verified == gen ? WR_LINT_PRESENT : any ? WR_LINT_WEAK
	     : WR_LINT_MISSING, "%zu of %zu generated artifacts have a deterministic check "
	     "beyond 'is JSON'", verified, gen);
	if (verified < gen)
		add(r, "- {id: verify, kind: check, of: STEP, checks: [{schema: s.json}, {expr: "
		    "'total > 0'}]}");
}

static void provenance(const struct spec_flow *f, struct wr_lint_report *r)
{
	int cites = 0;

	for (size_t i = 0; i < f->n_steps; i++)
		for (size_t k = 0; f->steps[i].kind == STEP_CHECK && k < f->steps[i].n_checks; k++)
			cites |= f->steps[i].checks[k].kind == CHECK_CITES ||
			         f->steps[i].checks[k].kind == CHECK_CHUNKS;
	node(r, 2, "provenance", cites ? WR_LINT_PRESENT : WR_LINT_WEAK, "%s",
	     cites ? "claims are checked against their sources (cites), every decision is in the "
	     "hash-chained ledger" : "the ledger records every decision, but no claim is checked "
	     "against a source");
	if (!cites)
		add(r, "- {cites: 'quotes[*]', input: document}   (in a check step)");
}

static void permissions(const struct spec_flow *f, struct wr_lint_report *r)
{
	size_t effects = 0, gated = 0;

	for (size_t i = 0; i < f->n_tools; i++) {
		const struct spec_tool *t = &f->tools[i];

		if (!t->allow || t->effect == EFFECT_READ)
			continue;
		effects++;
		gated += t->approval;
	}
	for (size_t i = 0; i < f->n_steps; i++) {
		if (f->steps[i].kind != STEP_SHIP)
			continue;
		effects++;
		gated += f->steps[i].requires == WR_STATE_APPROVED;
	}
	node(r, 2, "permissions", gated == effects ? WR_LINT_PRESENT : gated ? WR_LINT_WEAK :
	     WR_LINT_MISSING, "%zu of %zu effects (ships, tools that write or reach out) wait "
	     "for a person", gated, effects);
	if (gated < effects)
		add(r, "- {id: review, kind: approve, of: STEP}   (or approval: required on the tool)");
}

/* --- level 3: workflows --- */

static void decomposition(const struct spec_flow *f, struct wr_lint_report *r)
{
	size_t gen = 0, made = 0;

	for (size_t i = 0; i < f->n_steps; i++) {
		gen += f->steps[i].kind == STEP_GENERATE;
		made += f->steps[i].kind == STEP_GENERATE || f->steps[i].kind == STEP_RETRIEVE;
	}
	node(r, 3, "decomposition", made >= 2 ? WR_LINT_PRESENT : gen ? WR_LINT_WEAK :
	     WR_LINT_MISSING, "%zu step%s make%s intermediate artifacts (generate, retrieve), "
	     "each checkpointed", made, made == 1 ? "" : "s", made == 1 ? "s" : "");
	if (made < 2)
		add(r, "split the work: retrieve, then generate; or outline, then draft");
}

static void taxonomy(const struct spec_flow *f, struct wr_lint_report *r)
{
	(void)f;
	node(r, 3, "failure taxonomy", WR_LINT_PRESENT, "built in: every failure gets one "
	     "class; 'warrant failures' aggregates them");
}

static void observability(const struct spec_flow *f, struct wr_lint_report *r)
{
	(void)f;
	node(r, 3, "observability", WR_LINT_PRESENT, "built in: spans for every step, call, "
	     "tool call and check ('warrant trace', --otlp)");
}

/* --- level 4: compounding --- */

/* 1 when the suite at path names flow_real as its workflow; *threshold set
 * when it has one. */
static int suite_names(const char *path, const char *flow_real, int *threshold)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	struct fy_document *doc;
	struct buf b = BUF_INIT;
	struct wr_err err;
	char dir[PATH_MAX], joined[PATH_MAX], real[PATH_MAX];
	const char *wf;
	int hit = 0;

	if (os_read_file(path, LINT_MAX_SUITE, &b, &err) < 0 || !b.len) {
		buf_release(&b);
		return 0;
	}
	doc = fy_document_build_from_string(&cfg, b.data, b.len);
	wf = doc ? fy_node_mapping_lookup_scalar0_by_simple_key(fy_document_root(doc),
	                                                          "workflow", 8) : NULL;
	if (wf && os_dirname(path, dir, sizeof(dir)) == 0 &&
	    os_join(dir, wf, joined, sizeof(joined)) == 0 && realpath(joined, real) &&
	    !strcmp(real, flow_real)) {
		hit = 1;
		*threshold = fy_node_mapping_lookup_by_string(fy_document_root(doc), "threshold",
		                                              FY_NT) != NULL;
	}
	fy_document_destroy(doc);
	buf_release(&b);
	return hit;
}

/* A suite beside the workflow (or in evals/ there) that runs it. */
static int find_suite(const struct spec_flow *f, char *name, size_t size, int *threshold)
{
	const char *const subs[] = { "", "evals", "eval", NULL };
	char real[PATH_MAX];

	if (!realpath(f->path, real))
		return 0;
	for (int s = 0; subs[s]; s++) {
		char dir[PATH_MAX], path[PATH_MAX + 256];
		struct dirent *de;
		DIR *d;

		if (!*subs[s])
			snprintf(dir, sizeof(dir), "%s", *f->dir ? f->dir : ".");
		else if (os_join(f->dir, subs[s], dir, sizeof(dir)) < 0)
			continue;
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);

			if (n < 6 || (strcmp(de->d_name + n - 5, ".yaml") &&
			              strcmp(de->d_name + n - 4, ".yml")))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (strcmp(path, real) && suite_names(path, real, threshold)) {
				snprintf(name, size, "%s%s%s", subs[s], *subs[s] ? "/" : "", de->d_name);
				closedir(d);
				return 1;
			}
		}
		closedir(d);
	}
	return 0;
}

static void evals(const struct spec_flow *f, struct wr_lint_report *r)
{
	char name[300];
	int threshold = 0;

	if (!find_suite(f, name, sizeof(name), &threshold)) {
		node(r, 4, "evaluation", WR_LINT_MISSING, "no eval suite beside the workflow runs it");
		add(r, "eval.yaml: {workflow: FLOW.yaml, repeats: 3, threshold: 0.8, cases: cases.jsonl}");
		return;
	}
	node(r, 4, "evaluation", threshold ? WR_LINT_PRESENT : WR_LINT_WEAK, "suite %s%s", name,
	     threshold ? " with a threshold" : " has no threshold, so it gates nothing");
	if (!threshold)
		add(r, "threshold: 0.8   (in the suite: the 95% interval's lower bound must reach it)");
}

static void loops(const struct spec_flow *f, struct wr_lint_report *r)
{
	int revise = 0, critique = 0;

	for (size_t i = 0; i < f->n_steps; i++) {
		revise |= f->steps[i].revise > 0 || f->steps[i].best_of > 1;
		for (size_t k = 0; f->steps[i].kind == STEP_CHECK && k < f->steps[i].n_checks; k++)
			critique |= f->steps[i].checks[k].kind == CHECK_CRITIQUE;
	}
	node(r, 4, "feedback loops", revise ? WR_LINT_PRESENT : critique ? WR_LINT_WEAK :
	     WR_LINT_MISSING, "%s", revise ? "failed checks go back to the model (revise or "
	     "best_of)" : critique ? "a critique scores drafts, but nothing revises them"
	     : "a failed check ends the run; nothing revises");
	if (!revise)
		add(r, "revise: 2   (on the generate step: failures are fed back)");
}

static void drift(const struct wr_flow *flow, struct wr_lint_report *r)
{
	const struct spec_flow *f = flow->spec;
	struct wr_err err;
	char *changes = NULL;
	int rc = wr_lock_check(flow, &changes, &err);

	free(changes);
	if (rc == 0)
		node(r, 4, "drift governance", WR_LINT_PRESENT, "warrant.lock pins this version%s",
		     f->policy ? "; an organisation policy applies" : "");
	else if (rc == WR_ESTATE)
		node(r, 4, "drift governance", WR_LINT_WEAK, "warrant.lock pins an older version "
		     "('warrant diff' shows what changed)");
	else
		node(r, 4, "drift governance", WR_LINT_MISSING, "no warrant.lock pins it");
	if (rc)
		add(r, "warrant lock SUITE.yaml   (after a passing eval; then run with --locked)");
}

int wr_lint(const struct wr_flow *flow, struct wr_lint_report *r, struct wr_err *err)
{
	const struct spec_flow *f;

	if (!flow || !r)
		return err_set(err, WR_EINVAL, "wr_lint: flow and report are required");
	f = flow->spec;
	memset(r, 0, sizeof(*r));
	intent(f, r);
	context(f, r);
	constraints(f, r);
	verification(f, r);
	provenance(f, r);
	permissions(f, r);
	decomposition(f, r);
	taxonomy(f, r);
	observability(f, r);
	evals(f, r);
	loops(f, r);
	drift(flow, r);
	for (int level = 1; level <= 4; level++) {
		for (int i = 0; i < r->n_nodes; i++)
			if (r->nodes[i].level == level && r->nodes[i].status != WR_LINT_PRESENT)
				return 0;
		r->level = level;
	}
	return 0;
}
