/* steps.c: the steps: list, one step and its checks.
 *
 * A key belongs to some step kinds only; using it on another kind is a
 * problem of its own ("'checks' is not valid for a generate step") rather
 * than an unknown key. References between steps are checked later, in
 * validate.c, once every id is known. */
#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "core/err.h"
#include "core/os.h"
#include "spec/spec_int.h"

static const char *const kind_names[] = { "generate", "check", "approve", "ship", "retrieve",
                                          NULL };

enum {
	K_ID, K_KIND, K_MODEL, K_PROMPT, K_PROMPT_FILE, K_OF, K_CHECKS, K_TO, K_APPEND,
	K_OVERWRITE, K_REQUIRES, K_OUTPUT_SCHEMA, K_REVISE, K_BEST_OF, K_QUERY, K_SOURCES,
	K_TOP_K, K_FILTER, K_TOOLS, K_MAX_TOOL_ROUNDS, K_COUNT_
};
static const char *const step_keys[] = {
	"id", "kind", "model", "prompt", "prompt_file", "of", "checks", "to", "append",
	"overwrite", "requires", "output_schema", "revise", "best_of", "query", "sources",
	"top_k", "filter", "tools", "max_tool_rounds", NULL
};
#define B(k) (1u << (k))
#define COMMON (B(K_ID) | B(K_KIND))
static const unsigned kind_keys[STEP_KIND_COUNT_] = {
	[STEP_GENERATE] = COMMON | B(K_MODEL) | B(K_PROMPT) | B(K_PROMPT_FILE) |
	                  B(K_OUTPUT_SCHEMA) | B(K_REVISE) | B(K_BEST_OF) |
	                  B(K_TOOLS) | B(K_MAX_TOOL_ROUNDS),
	[STEP_CHECK] = COMMON | B(K_OF) | B(K_CHECKS),
	[STEP_APPROVE] = COMMON | B(K_OF),
	[STEP_SHIP] = COMMON | B(K_OF) | B(K_TO) | B(K_APPEND) | B(K_OVERWRITE) | B(K_REQUIRES),
	[STEP_RETRIEVE] = COMMON | B(K_QUERY) | B(K_SOURCES) | B(K_TOP_K) | B(K_FILTER),
};

/* "step 'draft'" or, without a valid id, "step 3". */
static const char *label(const struct spec_step *s, size_t i, char *buf, size_t size)
{
	if (s->id)
		snprintf(buf, size, "step '%s'", s->id);
	else
		snprintf(buf, size, "step %zu", i + 1);
	return buf;
}

/* --- one step --- */

static void walk_requires(struct ld *ld, const struct ld_kv *kv, struct spec_step *st,
                          struct ld_step *x)
{
	static const char *const states[] = { "verified", "approved", NULL };
	const char *s, *sug;

	if (ld_get_str(ld, kv, 1, &s) < 0)
		return;
	x->requires_set = 1;
	x->requires_pos = kv->vpos;
	if (!strcmp(s, "verified")) {
		st->requires = WR_STATE_VERIFIED;
	} else if (!strcmp(s, "approved")) {
		st->requires = WR_STATE_APPROVED;
	} else if (!strcmp(s, "candidate")) {
		ld_problem(ld, kv->vpos, "an artifact can never be shipped as a candidate: "
		           "'requires' must be verified or approved");
	} else if ((sug = spec_suggest(s, states, 2)) != NULL) {
		ld_problem(ld, kv->vpos, "'requires' must be verified or approved, not "
		           "'%.80s' (did you mean '%s'?)", s, sug);
	} else {
		ld_problem(ld, kv->vpos, "'requires' must be verified or approved, not '%.80s'", s);
	}
}

static void walk_dest(struct ld *ld, const struct ld_kv *kv, struct spec_step *st,
                      struct ld_step *x)
{
	const char *s;
	char path[4096];

	if (ld_get_str(ld, kv, 1, &s) < 0)
		return;
	if (os_join(ld->flow->dir, s, path, sizeof(path)) < 0) {
		ld_problem(ld, kv->vpos, "path '%.80s' is too long", s);
		return;
	}
	if (!(st->to = arena_strdup(ld->a, path))) {
		ld->oom = 1;
		return;
	}
	st->append = !strcmp(kv->key, "append");
	x->to_pos = kv->vpos;
}

/* Finds id and kind first: the other keys are judged by the kind. */
static void walk_head(struct ld *ld, const struct ld_kv *kvs, size_t n,
                      struct spec_step *st, struct ld_step *x)
{
	const char *s, *sug;
	int k;

	for (size_t i = 0; i < n; i++) {
		struct ld_kv kv = kvs[i];

		if (!strcmp(kv.key, "id")) {
			if (ld_get_str(ld, &kv, 1, &s) < 0)
				continue;
			x->id_pos = kv.vpos;
			if (!ld_id_ok(s, 1)) {
				ld_problem(ld, kv.vpos, "step id '%.80s' must match [A-Za-z_][A-Za-z0-9_-]* "
				           "and be at most %d characters", s, LD_ID_MAX);
				continue;
			}
			st->id = s;
			x->has_id = 1;
		} else if (!strcmp(kv.key, "kind")) {
			if (ld_get_str(ld, &kv, 1, &s) < 0)
				continue;
			k = name_index(kind_names, STEP_KIND_COUNT_, s);
			if (k >= 0) {
				st->kind = (enum spec_step_kind)k;
				x->kind_ok = 1;
			} else if ((sug = spec_suggest(s, kind_names, STEP_KIND_COUNT_)) != NULL) {
				ld_problem(ld, kv.vpos, "unknown step kind '%.80s' (did you mean '%s'?)",
				           s, sug);
			} else {
				ld_problem(ld, kv.vpos, "unknown step kind '%.80s' (use generate, check, "
				           "approve or ship)", s);
			}
		}
	}
}

/* The pairs of a step's mapping, read once: in kvs when they fit. */
static struct ld_kv *step_pairs(struct ld *ld, struct fy_node *map, struct ld_kv *kvs,
                                size_t cap, size_t *n)
{
	size_t count = (size_t)fy_node_mapping_item_count(map);
	void *it = NULL;

	*n = 0;
	if (count > cap && !(kvs = arena_alloc(ld->a, count * sizeof(*kvs)))) {
		ld->oom = 1;
		return NULL;
	}
	while (*n < count && ld_next_pair(ld, map, &it, &kvs[*n]))
		(*n)++;
	return kvs;
}

/* Reads the prompt file of a generate step into st->prompt. */
static void read_prompt_file(struct ld *ld, const struct ld_kv *kv, struct spec_step *st,
                             struct ld_step *x)
{
	const char *rel, *bytes;
	size_t len;

	if (ld_get_str(ld, kv, 1, &rel) < 0)
		return;
	if (ld_read_named(ld, rel, kv->kpos, &x->prompt_path, &bytes, &len) < 0)
		return;
	if (ld_check_text(ld, x->prompt_path, bytes, len, kv->vpos) < 0)
		return;
	st->prompt = bytes;
	st->prompt_pos = kv->vpos;
}

static void walk_step(struct ld *ld, struct fy_node *map, size_t i)
{
	struct spec_step *st = &ld->flow->steps[i];
	struct ld_step *x = &ld->xs[i];
	struct ld_kv local[16], *kvs, kv, pfile;
	size_t n_kvs;
	struct spec_pos pos = ld_pos(map, ld->root_pos);
	char name[96], where[120];
	int has_prompt = 0, has_pfile = 0, has_to = 0, has_overwrite = 0;
	int overwrite = 0;
	long long loop;
	unsigned seen = 0;  /* B(k) for each key present */

	st->pos = pos;
	st->model_index = st->of_index = -1;
	if (ld_is_alias(map))
		return;
	if (!fy_node_is_mapping(map)) {
		ld_problem(ld, pos, "step %zu must be a mapping with 'id' and 'kind'", i + 1);
		return;
	}
	if (!(kvs = step_pairs(ld, map, local, 16, &n_kvs)))
		return;
	walk_head(ld, kvs, n_kvs, st, x);
	label(st, i, name, sizeof(name));
	snprintf(where, sizeof(where), " in %s", name);
	for (size_t p = 0; p < n_kvs; p++) {
		int k = name_index(step_keys, K_COUNT_, kvs[p].key);

		kv = kvs[p];
		if (k >= 0)
			seen |= B(k);
		if (k == K_ID || k == K_KIND)
			continue;
		if (k < 0) {
			const char *valid[K_COUNT_ + 1];
			size_t nv = 0;

			for (int j = 0; j < K_COUNT_; j++)
				if (!x->kind_ok || (kind_keys[st->kind] & B(j)))
					valid[nv++] = step_keys[j];
			valid[nv] = NULL;
			ld_unknown_key(ld, &kv, where, valid);
			continue;
		}
		if (!x->kind_ok)
			continue;
		if (!(kind_keys[st->kind] & B(k))) {
			ld_problem(ld, kv.kpos, "'%s' is not valid for %s %s step", kv.key,
			           st->kind == STEP_APPROVE ? "an" : "a", kind_names[st->kind]);
			continue;
		}
		switch (k) {
		case K_MODEL:
			if (ld_get_str(ld, &kv, 1, &st->model) == 0)
				x->model_pos = kv.vpos;
			break;
		case K_PROMPT:
			if (has_pfile) {
				ld_problem(ld, kv.kpos, "%s: use either 'prompt' or 'prompt_file', "
				           "not both", name);
			} else if (ld_get_str(ld, &kv, 1, &st->prompt) == 0) {
				x->prompt = kv.v;
				st->prompt_pos = kv.vpos;
			}
			has_prompt = 1;
			break;
		case K_PROMPT_FILE:
			if (has_prompt)
				ld_problem(ld, kv.kpos, "%s: use either 'prompt' or 'prompt_file', "
				           "not both", name);
			has_pfile = 1;
			pfile = kv;
			break;
		case K_OF:
			if (ld_get_str(ld, &kv, 1, &st->of) == 0)
				x->of_pos = kv.vpos;
			break;
		case K_CHECKS:
			ld_walk_checks(ld, &kv, st);
			break;
		case K_OUTPUT_SCHEMA:
			ld_walk_output_schema(ld, &kv, st);
			break;
		case K_REVISE:
		case K_BEST_OF:
			if (ld_get_int(ld, &kv, k == K_REVISE ? 0 : 1,
			               "a whole number of attempts (at most 20)", &loop) < 0)
				break;
			if (loop > 20) {
				ld_problem(ld, kv.vpos, "'%s' must be a whole number of attempts (at "
				           "most 20)", kv.key);
				break;
			}
			if (k == K_REVISE)
				st->revise = (int)loop;
			else
				st->best_of = (int)loop;
			if (st->revise && st->best_of)
				ld_problem(ld, kv.kpos, "%s: use either 'revise' or 'best_of', not both",
				           name);
			break;
		case K_TO:
		case K_APPEND:
			if (has_to)
				ld_problem(ld, kv.kpos, "%s: use either 'to' or 'append', not both", name);
			else
				walk_dest(ld, &kv, st, x);
			has_to = 1;
			break;
		case K_OVERWRITE:
			has_overwrite = ld_get_bool(ld, &kv, &overwrite) == 0;
			break;
		case K_QUERY:
			if (ld_get_str(ld, &kv, 1, &st->prompt) == 0) {
				x->prompt = kv.v;
				st->prompt_pos = kv.vpos;
			}
			break;
		case K_SOURCES:
			st->sources = ld_str_list(ld, &kv, &st->n_sources);
			break;
		case K_TOP_K:
			if (ld_get_int(ld, &kv, 1, "a whole number of chunks (at most 100)", &loop) < 0)
				break;
			if (loop > 100)
				ld_problem(ld, kv.vpos, "'top_k' must be a whole number of chunks (at "
				           "most 100)");
			else
				st->top_k = (int)loop;
			break;
		case K_FILTER:
			ld_get_str(ld, &kv, 1, &st->filter);
			break;
		case K_REQUIRES:
			walk_requires(ld, &kv, st, x);
			break;
		case K_TOOLS:
			x->tool_names = ld_str_list(ld, &kv, &st->n_tools);
			x->tools_pos = kv.vpos;
			break;
		case K_MAX_TOOL_ROUNDS:
			if (ld_get_int(ld, &kv, 1, "a whole number of rounds (at most 64)", &loop) < 0)
				break;
			if (loop > 64)
				ld_problem(ld, kv.vpos, "'max_tool_rounds' must be a whole number of "
				           "rounds (at most 64)");
			else
				st->max_tool_rounds = (int)loop;
			break;
		default:
			break;
		}
	}
	if (!x->kind_ok) {
		if (!(seen & B(K_KIND)))
			ld_problem_missing(ld, map, pos, "%s: missing 'kind' (generate, check, approve, "
			                   "ship or retrieve)", name);
	}
	if (!(seen & B(K_ID)))
		ld_problem_missing(ld, map, pos, "%s: missing 'id'", name);
	if (!x->kind_ok)
		return;
	switch (st->kind) {
	case STEP_GENERATE:
		if (!(seen & B(K_MODEL)))
			ld_problem_missing(ld, map, pos, "%s: missing 'model'", name);
		if (!has_prompt && !has_pfile)
			ld_problem_missing(ld, map, pos, "%s: missing 'prompt' (or 'prompt_file')", name);
		if (has_pfile && !has_prompt)
			read_prompt_file(ld, &pfile, st, x);
		break;
	case STEP_CHECK:
		if (!(seen & B(K_CHECKS)))
			ld_problem_missing(ld, map, pos, "%s: missing 'checks'", name);
		/* fall through */
	case STEP_APPROVE:
		if (!(seen & B(K_OF)))
			ld_problem_missing(ld, map, pos, "%s: missing 'of' (the generate step it acts on)", name);
		break;
	case STEP_SHIP:
		if (!(seen & B(K_OF)))
			ld_problem_missing(ld, map, pos, "%s: missing 'of' (the generate step it ships)", name);
		if (!has_to)
			ld_problem_missing(ld, map, pos, "%s: missing 'to' (or 'append')", name);
		if (has_overwrite && st->append)
			ld_problem(ld, pos, "%s: 'overwrite' is only valid with 'to'", name);
		st->overwrite = overwrite;
		break;
	case STEP_RETRIEVE:
		if (!(seen & B(K_QUERY)))
			ld_problem_missing(ld, map, pos, "%s: missing 'query'", name);
		if (!(seen & B(K_SOURCES)))
			ld_problem_missing(ld, map, pos, "%s: missing 'sources' (files or folders to "
			                   "search)", name);
		if (!st->top_k)
			st->top_k = 5;
		break;
	default:
		break;
	}
}

void ld_walk_steps(struct ld *ld, const struct ld_kv *top)
{
	struct spec_flow *f = ld->flow;
	struct fy_node *item;
	void *it = NULL;
	size_t n, i = 0;

	if (ld_is_alias(top->v))
		return;
	if (!top->v || !fy_node_is_sequence(top->v)) {
		ld_problem(ld, top->vpos, "'steps' must be a list of steps ('- id: ...')");
		return;
	}
	n = (size_t)fy_node_sequence_item_count(top->v);
	if (n == 0) {
		ld_problem(ld, top->vpos, "'steps' is empty: a workflow needs at least one step");
		return;
	}
	if (n > LD_MAX_STEPS) {
		ld_problem(ld, top->vpos, "too many steps (%zu; at most %d)", n, LD_MAX_STEPS);
		return;
	}
	f->steps = arena_alloc(ld->a, n * sizeof(*f->steps));
	ld->xs = arena_alloc(ld->a, n * sizeof(*ld->xs));
	if (!f->steps || !ld->xs) {
		ld->oom = 1;
		return;
	}
	f->n_steps = n;
	while ((item = fy_node_sequence_iterate(top->v, &it)) != NULL && i < n)
		walk_step(ld, item, i++);
}
