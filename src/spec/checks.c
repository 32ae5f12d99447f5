/* checks.c: a check step's checks: list, and a generate step's
 * output_schema. Each check is a mapping with one kind key, whose value is
 * the check's argument, beside the options that kind takes:
 *
 *     - schema: schemas/invoice.json        (or an inline mapping)
 *     - cites: 'quotes[*]'                source: notes.txt | input: notes
 *     - expr: 'sum(items[*].amount) == total'
 *     - command: [python3, test.py]         timeout: 10
 *     - critique: reviewer                  rubric: rubric.md  threshold: 0.7
 *
 * Everything a check needs at run time is read and compiled here, so a
 * workflow that loads cannot fail later on a bad pattern or schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/err.h"
#include "spec/spec_int.h"

enum { O_NAME, O_SOURCE, O_INPUT, O_TIMEOUT, O_RUBRIC, O_THRESHOLD, O_RETRIEVED, O_COUNT_ };
static const char *const opt_names[] = { "name", "source", "input", "timeout", "rubric",
                                         "threshold", "retrieved", NULL };
#define B(k) (1u << (k))
static const unsigned kind_opts[CHECK_KIND_COUNT_] = {
	[CHECK_CITES] = B(O_SOURCE) | B(O_INPUT) | B(O_RETRIEVED),
	[CHECK_COMMAND] = B(O_TIMEOUT),
	[CHECK_CRITIQUE] = B(O_RUBRIC) | B(O_THRESHOLD),
	[CHECK_CHUNKS] = B(O_RETRIEVED),
};

static const char *const all_keys[] = { "json", "contains", "not_contains", "regex",
                                        "schema", "cites", "expr", "command", "critique",
                                        "chunks", "name", "source", "input", "timeout", "rubric",
                                        "threshold", NULL };

#define KIND_LIST "json, contains, not_contains, regex, schema, cites, expr, command, " \
                  "critique or chunks"

/* --- values --- */

/* A string, or a non-empty list of strings, into a NULL-terminated array. */
const char **ld_str_list(struct ld *ld, const struct ld_kv *kv, size_t *n)
{
	const char **out;
	struct fy_node *item;
	void *it = NULL;
	size_t len, cap = 1, i = 0;
	const char *s;

	if (kv->v && fy_node_is_sequence(kv->v))
		cap = (size_t)fy_node_sequence_item_count(kv->v);
	if (!(out = arena_alloc(ld->a, (cap + 1) * sizeof(*out)))) {
		ld->oom = 1;
		return NULL;
	}
	if (kv->v && fy_node_is_sequence(kv->v)) {
		while ((item = fy_node_sequence_iterate(kv->v, &it)) != NULL && i < cap) {
			if (!(s = ld_scalar(ld, item, &len)) || ld_is_null(item) || !len)
				goto bad;
			if (!(out[i++] = arena_strndup(ld->a, s, len)))
				goto oom;
		}
	} else {
		if (!(s = ld_scalar(ld, kv->v, &len)) || ld_is_null(kv->v) || !len)
			goto bad;
		if (!(out[i++] = arena_strndup(ld->a, s, len)))
			goto oom;
	}
	if (i == 0)
		goto bad;
	out[i] = NULL;
	*n = i;
	return out;
bad:
	ld_problem(ld, kv->vpos, "'%s' needs a non-empty string or a list of them", kv->key);
	return NULL;
oom:
	ld->oom = 1;
	return NULL;
}

/* A schema given inline (a mapping or true/false) or as a file name, into
 * c->arg as JSON text. */
static int schema_value(struct ld *ld, const struct ld_kv *kv, struct spec_check *c)
{
	const char *s, *bytes;
	size_t len;
	json_t *j;
	char *txt;

	if (kv->v && fy_node_is_mapping(kv->v)) {
		if (!(j = ld_node_json(ld, kv->v)))
			goto oom;
		txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
		json_decref(j);
		if (!txt)
			goto oom;
		c->arg = arena_strdup(ld->a, txt);
		free(txt);
		return c->arg ? 0 : (ld->oom = 1, -1);
	}
	s = ld_scalar(ld, kv->v, &len);
	if (!s || ld_is_null(kv->v) || len == 0) {
		ld_problem(ld, kv->vpos, "'%s' needs a schema file name or an inline schema "
		           "(a mapping)", kv->key);
		return -1;
	}
	if (!(c->file = arena_strndup(ld->a, s, len)))
		goto oom;
	if (ld_read_named(ld, c->file, kv->vpos, NULL, &bytes, &len) < 0)
		return -1;
	c->arg = bytes;
	return 0;
oom:
	ld->oom = 1;
	return -1;
}

/* Compiles c, reporting a problem at the value (at the offending byte of an
 * expression on one line). */
static void compile(struct ld *ld, struct spec_check *c)
{
	struct wr_err e = { 0, "" };
	size_t off = 0;
	struct spec_pos at = c->vpos;

	if (check_compile_at(c, &off, &e) == 0)
		return;
	if (c->kind == CHECK_EXPR && !strchr(c->arg, '\n') && at.line)
		at.col += (int)off;  /* vpos is past an opening quote */
	if (c->file && c->kind == CHECK_SCHEMA)
		ld_problem(ld, at, "schema '%.200s': %s", c->file, e.msg);
	else
		ld_problem(ld, at, "%s", e.msg);
}

/* --- one check --- */

/* The kind's value: into c. 0, or -1 after a problem. */
static int kind_value(struct ld *ld, const struct ld_kv *kv, struct spec_check *c)
{
	const char *s;
	size_t len;
	int b;

	if (c->kind == CHECK_SCHEMA)
		return schema_value(ld, kv, c);
	if (c->kind == CHECK_CITES || c->kind == CHECK_CHUNKS)
		return (c->paths = ld_str_list(ld, kv, &c->n_paths)) ? 0 : -1;
	if (c->kind == CHECK_COMMAND) {
		size_t n;

		if (!(c->argv = ld_str_list(ld, kv, &n)))
			return -1;
		c->arg = c->argv[0];
		if (kv->v && !fy_node_is_sequence(kv->v)) {   /* a shell line */
			const char **argv = arena_alloc(ld->a, 4 * sizeof(*argv));

			if (!argv)
				return ld->oom = 1, -1;
			argv[0] = "/bin/sh";
			argv[1] = "-c";
			argv[2] = c->arg;
			argv[3] = NULL;
			c->argv = argv;
		}
		return 0;
	}
	s = ld_scalar(ld, kv->v, &len);
	if (c->kind == CHECK_JSON) {
		if (!s || !ld_is_plain(kv->v) || ld_parse_bool(s, len, &b) < 0 || !b) {
			ld_problem(ld, kv->vpos, "'json' takes true");
			return -1;
		}
		return 0;
	}
	if (!s || ld_is_null(kv->v) || len == 0) {
		ld_problem(ld, kv->vpos, "'%s' needs a non-empty string", kv->key);
		return -1;
	}
	if (!(c->arg = arena_strndup(ld->a, s, len)))
		return ld->oom = 1, -1;
	return 0;
}

static int option(struct ld *ld, const struct ld_kv *kv, int o, struct spec_check *c)
{
	const char *s, *bytes;
	size_t len;

	switch (o) {
	case O_NAME:
		return ld_get_str(ld, kv, 1, &c->label);
	case O_SOURCE:
		if (ld_get_str(ld, kv, 1, &c->file) < 0 ||
		    ld_read_named(ld, c->file, kv->vpos, NULL, &bytes, &len) < 0)
			return -1;
		c->source = bytes;
		return 0;
	case O_INPUT:
		return ld_get_str(ld, kv, 1, &c->input);
	case O_RETRIEVED:
		return ld_get_str(ld, kv, 1, &c->retrieved);
	case O_TIMEOUT:
		return ld_get_num(ld, kv, 0.001, 86400, "a number of seconds (up to 86400)",
		                  &c->timeout);
	case O_RUBRIC:
		if (ld_get_str(ld, kv, 1, &s) < 0 ||
		    ld_read_named(ld, s, kv->vpos, NULL, &bytes, &len) < 0 ||
		    ld_check_text(ld, s, bytes, len, kv->vpos) < 0)
			return -1;
		c->file = s;
		c->rubric = bytes;
		return 0;
	case O_THRESHOLD:
		return ld_get_num(ld, kv, 0, 1, "a number from 0 to 1", &c->threshold);
	}
	return -1;
}

static void walk_check(struct ld *ld, struct fy_node *item, struct spec_check *c,
                       struct spec_pos fallback)
{
	struct ld_kv kv, kind_kv, opts[O_COUNT_];
	void *it = NULL;
	int kind = -1, bad = 0;
	unsigned seen = 0;

	c->model_index = -1;
	c->threshold = -1;
	if (ld_is_alias(item))
		return;
	if (!item || !fy_node_is_mapping(item)) {
		ld_problem(ld, ld_pos(item, fallback),
		           "each check must be a mapping like '- json: true' or "
		           "'- contains: \"total\"'");
		return;
	}
	memset(&kind_kv, 0, sizeof(kind_kv));
	while (ld_next_pair(ld, item, &it, &kv)) {
		int k = name_index(all_keys, CHECK_KIND_COUNT_, kv.key);
		int o = name_index(opt_names, O_COUNT_, kv.key);

		if (k >= 0 && kind >= 0) {
			ld_problem(ld, kv.kpos, "a check has both '%s' and '%s': use one kind per "
			           "item", all_keys[kind], kv.key);
			bad = 1;
		} else if (k >= 0) {
			kind = k;
			kind_kv = kv;
		} else if (o >= 0) {
			seen |= B(o);
			opts[o] = kv;
		} else {
			ld_unknown_key(ld, &kv, " in check", all_keys);
			bad = 1;
		}
	}
	if (kind < 0) {
		ld_problem(ld, ld_pos(item, fallback), "a check needs one of " KIND_LIST);
		return;
	}
	c->kind = (enum check_kind)kind;
	c->pos = kind_kv.kpos;
	c->vpos = kind_kv.vpos;
	for (int o = 0; o < O_COUNT_; o++) {
		if (!(seen & B(o)))
			continue;
		if (o != O_NAME && !(kind_opts[kind] & B(o))) {
			ld_problem(ld, opts[o].kpos, "'%s' is not valid for a %s check", opt_names[o],
			           all_keys[kind]);
			bad = 1;
		} else if (option(ld, &opts[o], o, c) < 0) {
			bad = 1;
		}
	}
	if (ld_is_alias(kind_kv.v) || kind_value(ld, &kind_kv, c) < 0)
		return;
	if (kind == CHECK_CITES && !(seen & (B(O_SOURCE) | B(O_INPUT) | B(O_RETRIEVED)))) {
		ld_problem(ld, c->pos, "a cites check needs 'source' (a file), 'input' (an "
		           "input's name) or 'retrieved' (a retrieve step)");
		bad = 1;
	} else if (kind == CHECK_CITES && !!(seen & B(O_SOURCE)) + !!(seen & B(O_INPUT)) +
	                                  !!(seen & B(O_RETRIEVED)) > 1) {
		ld_problem(ld, c->pos, "a cites check takes one of 'source', 'input' and "
		           "'retrieved'");
		bad = 1;
	}
	if (kind == CHECK_CHUNKS && !(seen & B(O_RETRIEVED))) {
		ld_problem(ld, c->pos, "a chunks check needs 'retrieved' (the retrieve step whose "
		           "chunk ids are allowed)");
		bad = 1;
	}
	if (kind == CHECK_CRITIQUE) {
		if (!(seen & B(O_RUBRIC))) {
			ld_problem(ld, c->pos, "a critique check needs 'rubric' (a file)");
			bad = 1;
		}
		if (c->threshold < 0)
			c->threshold = 0.5;
	}
	if (!bad)
		compile(ld, c);
}

void ld_walk_checks(struct ld *ld, const struct ld_kv *top, struct spec_step *st)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (ld_is_alias(top->v))
		return;
	if (!top->v || !fy_node_is_sequence(top->v) ||
	    fy_node_sequence_item_count(top->v) == 0) {
		ld_problem(ld, top->vpos, "'checks' must be a non-empty list of checks");
		return;
	}
	n = (size_t)fy_node_sequence_item_count(top->v);
	st->checks = arena_alloc(ld->a, n * sizeof(*st->checks));
	if (!st->checks) {
		ld->oom = 1;
		return;
	}
	memset(st->checks, 0, n * sizeof(*st->checks));
	while ((item = fy_node_sequence_iterate(top->v, &it)) != NULL && st->n_checks < n)
		walk_check(ld, item, &st->checks[st->n_checks++], top->vpos);
}

void ld_walk_output_schema(struct ld *ld, const struct ld_kv *kv, struct spec_step *st)
{
	struct spec_check *c;

	if (ld_is_alias(kv->v))
		return;
	if (!(c = arena_alloc(ld->a, sizeof(*c)))) {
		ld->oom = 1;
		return;
	}
	memset(c, 0, sizeof(*c));
	c->kind = CHECK_SCHEMA;
	c->label = "output_schema";
	c->model_index = -1;
	c->pos = kv->kpos;
	c->vpos = kv->vpos;
	if (schema_value(ld, kv, c) < 0)
		return;
	compile(ld, c);
	if (c->compiled)
		st->output_schema = c;
}
