/* validate.c: the rules that look across steps.
 *
 * References: ids are unique, a generate step's model exists, 'of' names an
 * earlier generate step. Authority, on which the product rests: nothing is
 * shipped or approved before a check has looked at it, and an artifact
 * that has an approve step is shipped only after it. Templates: a prompt
 * names only the contract, declared inputs and earlier generate steps.
 * Each rule is one pass over the steps, with an id index, so a flow of
 * 100 000 steps loads in linear time. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "context/template.h"
#include "core/err.h"
#include "spec/spec_int.h"

static const char *label(const struct spec_flow *f, size_t i, char *buf, size_t size)
{
	if (f->steps[i].id)
		snprintf(buf, size, "step '%s'", f->steps[i].id);
	else
		snprintf(buf, size, "step %zu", i + 1);
	return buf;
}

/* Ids of the generate steps before step i, for suggestions. */
static const char **earlier_generates(struct ld *ld, size_t i, size_t *n)
{
	const char **ids = arena_alloc(ld->a, (i + 1) * sizeof(*ids));

	*n = 0;
	if (!ids) {
		ld->oom = 1;
		return NULL;
	}
	for (size_t j = 0; j < i; j++)
		if (ld->xs[j].kind_ok && ld->flow->steps[j].kind == STEP_GENERATE &&
		    ld->flow->steps[j].id)
			ids[(*n)++] = ld->flow->steps[j].id;
	return ids;
}

static const char *suggest_step(struct ld *ld, size_t i, const char *id)
{
	const char **ids;
	size_t n;

	if (!ld_wants_more(ld))
		return NULL;
	ids = earlier_generates(ld, i, &n);
	return ids ? spec_suggest(id, ids, n) : NULL;
}

/* --- references --- */

static void index_steps(struct ld *ld)
{
	struct spec_flow *f = ld->flow;
	struct ld_index *ix = arena_alloc(ld->a, sizeof(*ix));

	if (!ix || ld_index_init(ld, ix, f->n_steps) < 0) {
		ld->oom = 1;
		return;
	}
	f->step_index = ix;
	for (size_t i = 0; i < f->n_steps; i++) {
		int j;

		if (!ld->xs[i].has_id)
			continue;
		j = ld_index_put(ix, f->steps[i].id, (int)i);
		if (j >= 0)
			ld_problem(ld, ld->xs[i].id_pos, "duplicate step id '%s' (first at line %d)",
			           f->steps[i].id, ld->xs[j].id_pos.line);
	}
}

static void resolve_model(struct ld *ld, size_t i, const char **names)
{
	struct spec_step *st = &ld->flow->steps[i];
	const char *sug;
	int j;

	if (!st->model || !ld->has_models)
		return;
	j = ld_index_get(&ld->models, st->model);
	if (j >= 0) {
		st->model_index = j;
		return;
	}
	sug = names ? spec_suggest(st->model, names, ld->flow->n_models) : NULL;
	if (sug)
		ld_problem(ld, ld->xs[i].model_pos, "unknown model '%.80s' (did you mean '%s'?)",
		           st->model, sug);
	else
		ld_problem(ld, ld->xs[i].model_pos, "unknown model '%.80s' (not under 'models')",
		           st->model);
}

/* A critique's model and a cites check's input must exist. */
static void resolve_checks(struct ld *ld, size_t i, const char **names)
{
	struct spec_flow *f = ld->flow;
	struct spec_step *st = &f->steps[i];
	const char *sug;

	for (size_t k = 0; k < st->n_checks; k++) {
		struct spec_check *c = &st->checks[k];

		if (c->kind == CHECK_CRITIQUE && c->arg && ld->has_models) {
			c->model_index = ld_index_get(&ld->models, c->arg);
			if (c->model_index >= 0)
				continue;
			sug = spec_suggest(c->arg, names, f->n_models);
			ld_problem(ld, c->vpos, "unknown model '%.80s'%s%s%s", c->arg,
			           sug ? " (did you mean '" : " (not under 'models')",
			           sug ? sug : "", sug ? "'?)" : "");
		} else if (c->kind == CHECK_CRITIQUE && c->arg) {
			ld_problem(ld, c->vpos, "a critique needs 'models': '%.80s' is not defined",
			           c->arg);
		} else if (c->kind == CHECK_CITES && c->input &&
		           ld_index_get(&ld->inputs, c->input) < 0) {
			const char **in = arena_alloc(ld->a, (f->n_inputs + 1) * sizeof(*in));

			for (size_t j = 0; in && j < f->n_inputs; j++)
				in[j] = f->inputs[j].name;
			sug = in ? spec_suggest(c->input, in, f->n_inputs) : NULL;
			ld_problem(ld, c->pos, "cites: no input named '%.80s'%s%s%s", c->input,
			           sug ? " (did you mean '" : " (declare it under 'inputs')",
			           sug ? sug : "", sug ? "'?)" : "");
		}
	}
}

static void resolve_of(struct ld *ld, size_t i)
{
	struct spec_flow *f = ld->flow;
	struct spec_step *st = &f->steps[i];
	struct spec_pos pos = ld->xs[i].of_pos;
	const char *sug;
	int j;

	if (!st->of)
		return;
	j = ld_index_get(f->step_index, st->of);
	if (j < 0) {
		if ((sug = suggest_step(ld, i, st->of)) != NULL)
			ld_problem(ld, pos, "'of' names unknown step '%.80s' (did you mean '%s'?)",
			           st->of, sug);
		else
			ld_problem(ld, pos, "'of' names unknown step '%.80s'", st->of);
	} else if ((size_t)j == i) {
		ld_problem(ld, pos, "'of' names this step itself: it must name an earlier "
		           "generate step");
	} else if ((size_t)j > i) {
		ld_problem(ld, pos, "'of' names step '%s', which comes later: it must name an "
		           "earlier generate step", st->of);
	} else if (!ld->xs[j].kind_ok) {
		/* its kind was already reported */
	} else if (f->steps[j].kind != STEP_GENERATE) {
		ld_problem(ld, pos, "'of' names '%s', %s %s step: it must name a generate step",
		           st->of, f->steps[j].kind == STEP_APPROVE ? "an" : "a",
		           spec_step_kind_name(f->steps[j].kind));
	} else {
		st->of_index = j;
	}
}

static void resolve(struct ld *ld)
{
	struct spec_flow *f = ld->flow;
	const char **names = arena_alloc(ld->a, (f->n_models + 1) * sizeof(*names));
	int generates = 0;

	if (!names) {
		ld->oom = 1;
		return;
	}
	for (size_t i = 0; i < f->n_models; i++)
		names[i] = f->models[i].name;
	for (size_t i = 0; i < f->n_steps; i++) {
		if (!ld->xs[i].kind_ok)
			continue;
		if (f->steps[i].kind == STEP_GENERATE) {
			generates = 1;
			resolve_model(ld, i, names);
		} else {
			resolve_of(ld, i);
			resolve_checks(ld, i, names);
		}
	}
	if (generates && !ld->has_models)
		ld_problem_missing(ld, ld->root, ld->root_pos, "missing 'models': generate steps need a model");
}

/* --- authority --- */

static void authority(struct ld *ld)
{
	struct spec_flow *f = ld->flow;
	size_t n = f->n_steps;
	int *checked = arena_alloc(ld->a, n * sizeof(int));   /* first check on it, or -1 */
	int *approved = arena_alloc(ld->a, n * sizeof(int));  /* first approve on it */
	int *any_approve = arena_alloc(ld->a, n * sizeof(int));
	char name[96];

	if (!checked || !approved || !any_approve) {
		ld->oom = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		checked[i] = approved[i] = any_approve[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (f->steps[i].kind == STEP_APPROVE && f->steps[i].of_index >= 0 &&
		    any_approve[f->steps[i].of_index] < 0)
			any_approve[f->steps[i].of_index] = (int)i;
	for (size_t i = 0; i < n; i++) {
		struct spec_step *st = &f->steps[i];
		struct ld_step *x = &ld->xs[i];
		int j = st->of_index;

		if (!x->kind_ok || st->kind == STEP_GENERATE || j < 0)
			continue;
		switch (st->kind) {
		case STEP_CHECK:
			if (checked[j] < 0)
				checked[j] = (int)i;
			break;
		case STEP_APPROVE:
			if (checked[j] < 0)
				ld_problem(ld, st->pos, "approve %s: no check step on '%s' comes before "
				           "it (people approve only what checks have verified)",
				           label(f, i, name, sizeof(name)), st->of);
			if (approved[j] < 0)
				approved[j] = (int)i;
			break;
		case STEP_SHIP:
			if (!x->requires_set)
				st->requires = any_approve[j] >= 0 ? WR_STATE_APPROVED
				                                   : WR_STATE_VERIFIED;
			if (checked[j] < 0)
				ld_problem(ld, st->pos, "%s ships '%s', but no check step on '%s' comes "
				           "before it", label(f, i, name, sizeof(name)), st->of, st->of);
			if (any_approve[j] >= 0 && approved[j] < 0)
				ld_problem(ld, st->pos, "%s ships '%s' before its approve step '%s'",
				           label(f, i, name, sizeof(name)), st->of,
				           f->steps[any_approve[j]].id ? f->steps[any_approve[j]].id : "?");
			else if (st->requires == WR_STATE_APPROVED && approved[j] < 0)
				ld_problem(ld, x->requires_pos, "'requires: approved' but no approve step "
				           "on '%s' comes before this ship", st->of);
			break;
		default:
			break;
		}
	}
}

/* --- templates --- */

/* Maps offsets in a prompt to positions in the file, moving forward only:
 * variables come in order, so a prompt costs one pass. An inline prompt's
 * characters appear in the source in order, with indentation, quotes and
 * escapes between them; matching them one by one finds each in place.
 * When that fails (an escape that made a brace), the prompt's start is
 * used. */
struct cursor {
	const char *v;          /* the prompt */
	const char *src;        /* the file it is in (from the token's start) */
	size_t vi, si, s_end;
	struct spec_pos pos;    /* of src[si] */
	int dq;                 /* a double-quoted scalar: mind its escapes */
	int ok;
};

static void cursor_step(struct cursor *c)
{
	if (c->src[c->si] == '\n') {
		c->pos.line++;
		c->pos.col = 1;
	} else if (((unsigned char)c->src[c->si] & 0xC0) != 0x80) {
		c->pos.col++;
	}
	c->si++;
}

/* The escape at s (a backslash): its length in the source, and in *out
 * how many bytes it stands for in the value. */
static size_t escape_len(const char *s, size_t left, size_t *out)
{
	size_t digits = 0;
	unsigned long cp = 0;

	*out = 1;
	if (left < 2)
		return left;
	switch (s[1]) {
	case '\n': *out = 0; return 2;        /* an escaped line break */
	case 'N': case '_': *out = 2; return 2;
	case 'L': case 'P': *out = 3; return 2;
	case 'x': digits = 2; break;
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	default: return 2;
	}
	if (left < 2 + digits)
		return left;
	for (size_t i = 0; i < digits; i++) {
		char h = s[2 + i];

		cp = cp * 16 + (unsigned long)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
	}
	*out = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	return 2 + digits;
}

/* Position of prompt byte off. */
static struct spec_pos cursor_at(struct cursor *c, size_t off, struct spec_pos fallback)
{
	if (!c->ok || off < c->vi)
		return fallback;
	while (c->vi < off) {
		if (c->si >= c->s_end) {
			c->ok = 0;
			return fallback;
		}
		if (c->src[c->si] == c->v[c->vi]) {
			cursor_step(c);
			c->vi++;
		} else if (c->dq && c->src[c->si] == '\\') {
			size_t nv, ns = escape_len(c->src + c->si, c->s_end - c->si, &nv);

			while (ns--)
				cursor_step(c);
			c->vi += nv;
		} else {
			cursor_step(c);  /* indentation, quotes, folded breaks */
		}
	}
	while (c->si < c->s_end && c->src[c->si] != c->v[off])
		cursor_step(c);
	if (c->si >= c->s_end) {
		c->ok = 0;
		return fallback;
	}
	return c->pos;
}

static void cursor_init(struct ld *ld, struct cursor *c, const struct spec_step *st,
                        const struct ld_step *x)
{
	memset(c, 0, sizeof(*c));
	c->v = st->prompt;
	if (x->prompt_path) {           /* a prompt file: the prompt is the file */
		c->src = st->prompt;
		c->s_end = strlen(st->prompt);
		c->pos.line = c->pos.col = 1;
		c->ok = 1;
	} else {
		struct fy_token *t = fy_node_get_scalar_token(x->prompt);
		const struct fy_mark *a = t ? fy_token_start_mark(t) : NULL;
		const struct fy_mark *b = t ? fy_token_end_mark(t) : NULL;

		if (!a || !b || a->input_pos > b->input_pos || b->input_pos > ld->src_len)
			return;
		c->src = ld->src;
		c->si = a->input_pos;
		c->s_end = b->input_pos;
		c->pos.line = a->line + 1;
		c->pos.col = a->column + 1;
		c->dq = fy_node_get_style(x->prompt) == FYNS_DOUBLE_QUOTED;
		c->ok = 1;
	}
}

struct tpl_ctx {
	struct ld *ld;
	size_t step;
	struct cursor cur;
	int n_reported;
	int in_each;            /* inside an #each block */
	size_t each_off;        /* where it opened */
};

__attribute__((format(printf, 3, 4)))
static void tpl_problem(struct tpl_ctx *t, size_t off, const char *fmt, ...)
{
	struct ld *ld = t->ld;
	struct spec_step *st = &ld->flow->steps[t->step];
	struct ld_step *x = &ld->xs[t->step];
	const char *v = st->prompt;
	struct spec_pos pos;
	char msg[600];
	va_list ap;

	if (++t->n_reported > LD_MAX_REPORTED)
		return;
	while (off > 0 && !(v[off] == '{' && v[off + 1] == '{'))
		off--;  /* report where the variable starts: its "{{" */
	pos = cursor_at(&t->cur, off, st->prompt_pos);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->prompt_path)
		ld_problem_in(ld, x->prompt_path, pos, st->prompt_pos, "%s", msg);
	else
		ld_problem(ld, pos, "%s", msg);
}

static const char *const contract_vars[] = {
	"contract", "contract.purpose", "contract.audience", "contract.constraints",
	"contract.stop", "context", NULL
};

static void tpl_step_var(struct tpl_ctx *t, const char *name, const char *id, size_t off,
                         int quotes)
{
	struct ld *ld = t->ld;
	struct spec_flow *f = ld->flow;
	int j = ld_index_get(f->step_index, id);
	const char *sug;

	if (j < 0) {
		if ((sug = suggest_step(ld, t->step, id)) != NULL)
			tpl_problem(t, off, "template variable '%.80s' names unknown step '%.80s' "
			            "(did you mean '%s'?)", name, id, sug);
		else
			tpl_problem(t, off, "template variable '%.80s' names unknown step '%.80s'",
			            name, id);
	} else if ((size_t)j >= t->step) {
		tpl_problem(t, off, "template variable '%.80s' names step '%s', which does not "
		            "come before this one", name, id);
	} else if (ld->xs[j].kind_ok && quotes && f->steps[j].kind != STEP_RETRIEVE) {
		tpl_problem(t, off, "template variable '%.80s' names '%s', %s %s step: only "
		            "retrieve steps have quotes", name, id,
		            f->steps[j].kind == STEP_APPROVE ? "an" : "a",
		            spec_step_kind_name(f->steps[j].kind));
	} else if (ld->xs[j].kind_ok && f->steps[j].kind != STEP_GENERATE &&
	           f->steps[j].kind != STEP_RETRIEVE) {
		tpl_problem(t, off, "template variable '%.80s' names '%s', %s %s step: only "
		            "generate and retrieve steps have output", name, id,
		            f->steps[j].kind == STEP_APPROVE ? "an" : "a",
		            spec_step_kind_name(f->steps[j].kind));
	}
}

static void tpl_unknown(struct tpl_ctx *t, const char *name, size_t off)
{
	struct ld *ld = t->ld;
	struct spec_flow *f = ld->flow;
	const char **names, *sug = NULL;
	size_t n = 0;
	char *s;

	if (ld_wants_more(ld) &&
	    (names = arena_alloc(ld->a, (f->n_inputs + 6) * sizeof(*names))) != NULL) {
		for (; contract_vars[n]; n++)
			names[n] = contract_vars[n];
		for (size_t i = 0; i < f->n_inputs; i++) {
			size_t len = strlen(f->inputs[i].name) + 8;

			if ((s = arena_alloc(ld->a, len)) != NULL) {
				snprintf(s, len, "inputs.%s", f->inputs[i].name);
				names[n++] = s;
			}
		}
		sug = spec_suggest(name, names, n);
	}
	if (sug)
		tpl_problem(t, off, "unknown template variable '%.80s' (did you mean '%s'?)", name,
		            sug);
	else
		tpl_problem(t, off, "unknown template variable '%.80s' (use contract, "
		            "contract.purpose, inputs.NAME, steps.ID.output or steps.ID.quotes)",
		            name);
}

static int tpl_var(void *ud, const char *name, size_t len, size_t off)
{
	struct tpl_ctx *t = ud;
	const char *prompt = t->ld->flow->steps[t->step].prompt;
	char buf[256], id[256];
	size_t n;

	if (len == 0) {
		if (!strstr(prompt + off + 2, "}}"))
			tpl_problem(t, off, "unterminated '{{' in prompt (write '{{{{' for a "
			            "literal '{{')");
		else
			tpl_problem(t, off, "empty template variable '{{}}'");
		return 0;
	}
	if (len >= sizeof(buf)) {
		tpl_problem(t, off, "template variable is too long");
		return 0;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!strncmp(buf, "#each ", 6)) {
		char *sp;

		if (t->in_each) {
			tpl_problem(t, off, "'{{#each}}' inside another: blocks do not nest");
			return 0;
		}
		t->in_each = 1;
		t->each_off = off;
		memmove(buf, buf + 6, strlen(buf + 6) + 1);
		while (buf[0] == ' ')
			memmove(buf, buf + 1, strlen(buf));
		if ((sp = strchr(buf, ' ')) != NULL)
			*sp = '\0';  /* the keys after the name are checked when it renders */
	} else if (!strcmp(buf, "/each")) {
		if (!t->in_each)
			tpl_problem(t, off, "'{{/each}}' without an open '{{#each ...}}'");
		t->in_each = 0;
		return 0;
	} else if (buf[0] == '.') {
		if (!t->in_each)
			tpl_problem(t, off, "'{{%s}}' names an item, outside any '{{#each ...}}'", buf);
		return 0;
	}
	if (name_index(contract_vars, 6, buf) >= 0)
		return 0;
	if (!strncmp(buf, "inputs.", 7) && buf[7]) {
		if (ld_index_get(&t->ld->inputs, buf + 7) < 0)
			tpl_unknown(t, buf, off);
		return 0;
	}
	n = strlen(buf);
	if (!strncmp(buf, "steps.", 6) && n > 13 && !strcmp(buf + n - 7, ".output")) {
		memcpy(id, buf + 6, n - 13);
		id[n - 13] = '\0';
		tpl_step_var(t, buf, id, off, 0);
		return 0;
	}
	if (!strncmp(buf, "steps.", 6) && n > 13 && !strcmp(buf + n - 7, ".quotes")) {
		memcpy(id, buf + 6, n - 13);
		id[n - 13] = '\0';
		tpl_step_var(t, buf, id, off, 1);
		return 0;
	}
	tpl_unknown(t, buf, off);
	return 0;
}

static void templates(struct ld *ld)
{
	struct spec_flow *f = ld->flow;

	for (size_t i = 0; i < f->n_steps; i++) {
		struct tpl_ctx t;

		if (!ld->xs[i].kind_ok || !f->steps[i].prompt ||
		    (f->steps[i].kind != STEP_GENERATE && f->steps[i].kind != STEP_RETRIEVE))
			continue;
		memset(&t, 0, sizeof(t));
		t.ld = ld;
		t.step = i;
		cursor_init(ld, &t.cur, &f->steps[i], &ld->xs[i]);
		tpl_each_var(f->steps[i].prompt, tpl_var, &t);
		if (t.in_each)
			tpl_problem(&t, t.each_off, "'{{#each ...}}' is never closed with '{{/each}}'");
	}
}

/* context.drop names retrieve steps, and needs max_tokens. */
static void drop_refs(struct ld *ld)
{
	const struct spec_context *c = &ld->flow->context;

	if (c->n_drop && !c->max_tokens)
		ld_problem(ld, c->drop_pos, "'drop' needs 'max_tokens': chunks give way only to "
		           "a prompt budget");
	for (size_t i = 0; i < c->n_drop; i++) {
		int j = ld_index_get(ld->flow->step_index, c->drop[i]);

		if (j < 0)
			ld_problem(ld, c->drop_pos, "'drop' names unknown step '%.80s'", c->drop[i]);
		else if (ld->xs[j].kind_ok && ld->flow->steps[j].kind != STEP_RETRIEVE)
			ld_problem(ld, c->drop_pos, "'drop' names '%s', a %s step: only a retrieve "
			           "step's chunks can be dropped", c->drop[i],
			           spec_step_kind_name(ld->flow->steps[j].kind));
	}
}

/* A cites check's "retrieved:" names an earlier retrieve step. */
static void retrieved_refs(struct ld *ld)
{
	struct spec_flow *f = ld->flow;

	for (size_t i = 0; i < f->n_steps; i++) {
		for (size_t k = 0; k < f->steps[i].n_checks; k++) {
			const struct spec_check *c = &f->steps[i].checks[k];
			int j;

			if (!c->retrieved)
				continue;
			j = ld_index_get(f->step_index, c->retrieved);
			if (j < 0)
				ld_problem(ld, c->pos, "'retrieved' names unknown step '%.80s'",
				           c->retrieved);
			else if ((size_t)j >= i)
				ld_problem(ld, c->pos, "'retrieved' names step '%s', which does not come "
				           "before this one", c->retrieved);
			else if (ld->xs[j].kind_ok && f->steps[j].kind != STEP_RETRIEVE)
				ld_problem(ld, c->pos, "'retrieved' names '%s', a %s step: it must be a "
				           "retrieve step", c->retrieved, spec_step_kind_name(f->steps[j].kind));
		}
	}
}

void ld_validate(struct ld *ld)
{
	if (!ld->flow->n_steps)
		return;
	index_steps(ld);
	if (ld->oom)
		return;
	resolve(ld);
	ld_resolve_tools(ld);
	authority(ld);
	retrieved_refs(ld);
	drop_refs(ld);
	if (!ld->oom)
		templates(ld);
}
