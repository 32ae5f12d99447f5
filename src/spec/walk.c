/* walk.c: from the YAML document to the structs of spec.h.
 *
 * Each section has its own function that knows its keys; a key it does not
 * know is a problem with a suggestion, a value of the wrong type is a
 * problem naming the type it needs. Rules that look across steps
 * (references, authority, templates) are in validate.c. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/err.h"
#include "core/os.h"
#include "local/grammar.h"
#include "model/provider.h"
#include "spec/spec_int.h"

/* Next pair with a string key; 0 at the end. Keys that are not strings
 * were reported by the scan in spec.c and are skipped here. */
int ld_next_pair(struct ld *ld, struct fy_node *map, void **it, struct ld_kv *kv)
{
	struct fy_node_pair *pair;
	const char *s;
	size_t len;

	while ((pair = fy_node_mapping_iterate(map, it)) != NULL) {
		kv->k = fy_node_pair_key(pair);
		kv->v = fy_node_pair_value(pair);
		s = ld_scalar(ld, kv->k, &len);
		if (!s)
			continue;
		kv->key = arena_strndup(ld->a, s, len);
		if (!kv->key) {
			ld->oom = 1;
			return 0;
		}
		kv->kpos = ld_pos(kv->k, ld->root_pos);
		kv->vpos = ld_pos(kv->v, kv->kpos);
		return 1;
	}
	return 0;
}

size_t ld_count(const char *const *names)
{
	size_t n = 0;

	while (names[n])
		n++;
	return n;
}

/* "unknown key 'promt' in step 'draft' (did you mean 'prompt'?)" */
void ld_unknown_key(struct ld *ld, const struct ld_kv *kv, const char *where,
                        const char *const *valid)
{
	const char *sug = ld_wants_more(ld) ? spec_suggest(kv->key, valid, ld_count(valid))
	                                    : NULL;

	if (sug)
		ld_problem(ld, kv->kpos, "unknown key '%.80s'%s (did you mean '%s'?)", kv->key,
		           where, sug);
	else
		ld_problem(ld, kv->kpos, "unknown key '%.80s'%s", kv->key, where);
}

/* --- typed values --- */

int ld_is_alias(struct fy_node *n)
{
	return n && fy_node_is_alias(n);  /* reported once by the scan */
}

/* A string; empty ones refused when nonempty. */
int ld_get_str(struct ld *ld, const struct ld_kv *kv, int nonempty, const char **out)
{
	const char *s;
	size_t len;

	if (ld_is_alias(kv->v))
		return -1;
	s = ld_scalar(ld, kv->v, &len);
	if (!s || ld_is_null(kv->v)) {
		ld_problem(ld, kv->vpos, "'%s' must be a %sstring", kv->key,
		           nonempty ? "non-empty " : "");
		return -1;
	}
	if (nonempty && len == 0) {
		ld_problem(ld, kv->vpos, "'%s' must be a non-empty string", kv->key);
		return -1;
	}
	*out = arena_strndup(ld->a, s, len);
	if (!*out) {
		ld->oom = 1;
		return -1;
	}
	return 0;
}

int ld_get_bool(struct ld *ld, const struct ld_kv *kv, int *out)
{
	const char *s;
	size_t len;

	if (ld_is_alias(kv->v))
		return -1;
	s = ld_scalar(ld, kv->v, &len);
	if (!s || !ld_is_plain(kv->v) || ld_parse_bool(s, len, out) < 0) {
		ld_problem(ld, kv->vpos, "'%s' must be true or false", kv->key);
		return -1;
	}
	return 0;
}

int ld_get_int(struct ld *ld, const struct ld_kv *kv, long long min, const char *what,
                   long long *out)
{
	const char *s;
	size_t len;

	if (ld_is_alias(kv->v))
		return -1;
	s = ld_scalar(ld, kv->v, &len);
	if (!s || !ld_is_plain(kv->v) || ld_parse_int(s, len, out) < 0 || *out < min) {
		ld_problem(ld, kv->vpos, "'%s' must be %s", kv->key, what);
		return -1;
	}
	return 0;
}

int ld_get_num(struct ld *ld, const struct ld_kv *kv, double min, double max,
                   const char *what, double *out)
{
	const char *s;
	size_t len;

	if (ld_is_alias(kv->v))
		return -1;
	s = ld_scalar(ld, kv->v, &len);
	if (!s || !ld_is_plain(kv->v) || ld_parse_num(s, len, out) < 0 || *out < min ||
	    *out > max) {
		ld_problem(ld, kv->vpos, "'%s' must be %s", kv->key, what);
		return -1;
	}
	return 0;
}

int ld_need_mapping(struct ld *ld, const struct ld_kv *kv, const char *what)
{
	if (ld_is_alias(kv->v))
		return -1;
	if (!kv->v || !fy_node_is_mapping(kv->v)) {
		ld_problem(ld, kv->vpos, "'%s' must be %s", kv->key, what);
		return -1;
	}
	return 0;
}

int ld_id_ok(const char *s, int dash)
{
	size_t n = strlen(s);

	if (n == 0 || n > LD_ID_MAX || !((s[0] >= 'A' && s[0] <= 'Z') ||
	                              (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || (dash && c == '-')))
			return 0;
	}
	return 1;
}

/* --- contract --- */

static const char *const contract_keys[] = { "purpose", "audience", "constraints", "stop",
                                             NULL };

static void walk_constraints(struct ld *ld, const struct ld_kv *kv)
{
	struct spec_contract *c = &ld->flow->contract;
	struct fy_node *item;
	void *it = NULL;
	size_t n, i = 0;

	if (ld_is_null(kv->v))
		return;
	if (ld_is_alias(kv->v))
		return;
	if (!fy_node_is_sequence(kv->v)) {
		ld_problem(ld, kv->vpos, "'constraints' must be a list of strings");
		return;
	}
	n = (size_t)fy_node_sequence_item_count(kv->v);
	c->constraints = arena_alloc(ld->a, (n + 1) * sizeof(*c->constraints));
	if (!c->constraints) {
		ld->oom = 1;
		return;
	}
	while ((item = fy_node_sequence_iterate(kv->v, &it)) != NULL) {
		struct ld_kv ikv = { "constraints", NULL, item, kv->kpos, ld_pos(item, kv->vpos) };
		const char *s;

		if (ld_is_alias(item))
			continue;
		if (!fy_node_is_scalar(item) || ld_is_null(item)) {
			ld_problem(ld, ikv.vpos, "'constraints' must be a list of strings");
			continue;
		}
		if (ld_get_str(ld, &ikv, 0, &s) == 0)
			c->constraints[i++] = s;
	}
	c->n_constraints = i;
}

static void walk_contract(struct ld *ld, const struct ld_kv *top)
{
	struct spec_contract *c = &ld->flow->contract;
	struct ld_kv kv;
	void *it = NULL;

	int has_purpose = 0;

	if (ld_need_mapping(ld, top, "a mapping with at least 'purpose'") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "purpose")) {
			has_purpose = 1;
			ld_get_str(ld, &kv, 1, &c->purpose);
		} else if (!strcmp(kv.key, "audience"))
			ld_get_str(ld, &kv, 0, &c->audience);
		else if (!strcmp(kv.key, "constraints"))
			walk_constraints(ld, &kv);
		else if (!strcmp(kv.key, "stop"))
			ld_get_str(ld, &kv, 0, &c->stop);
		else
			ld_unknown_key(ld, &kv, " in contract", contract_keys);
	}
	if (!has_purpose)
		ld_problem_missing(ld, top->v, top->kpos, "contract: missing 'purpose' (what the workflow is for)");
}

/* --- inputs --- */

static const char *const input_keys[] = { "description", "required", "default", NULL };

static void walk_input(struct ld *ld, const struct ld_kv *top, struct spec_input *in)
{
	struct ld_kv kv;
	void *it = NULL;
	int required = -1;
	char where[120];

	in->name = top->key;
	in->pos = top->kpos;
	if (!ld_id_ok(top->key, 0))
		ld_problem(ld, top->kpos, "input name '%.80s' must match [A-Za-z_][A-Za-z0-9_]*",
		           top->key);
	if (ld_is_null(top->v)) {
		in->required = 1;
		return;
	}
	if (ld_need_mapping(ld, top, "a mapping (description, required, default) or empty") < 0)
		return;
	snprintf(where, sizeof(where), " in input '%.80s'", top->key);
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "description"))
			ld_get_str(ld, &kv, 0, &in->description);
		else if (!strcmp(kv.key, "required"))
			ld_get_bool(ld, &kv, &required);
		else if (!strcmp(kv.key, "default"))
			ld_get_str(ld, &kv, 0, &in->default_value);
		else
			ld_unknown_key(ld, &kv, where, input_keys);
	}
	in->required = required >= 0 ? required : in->default_value == NULL;
}

static void walk_inputs(struct ld *ld, const struct ld_kv *top)
{
	struct spec_flow *f = ld->flow;
	struct ld_kv kv;
	void *it = NULL;
	size_t n;

	if (ld_is_null(top->v))
		return;
	if (ld_need_mapping(ld, top, "a mapping of input names to their settings") < 0)
		return;
	n = (size_t)fy_node_mapping_item_count(top->v);
	f->inputs = arena_alloc(ld->a, (n + 1) * sizeof(*f->inputs));
	if (!f->inputs || ld_index_init(ld, &ld->inputs, n) < 0) {
		ld->oom = 1;
		return;
	}
	while (ld_next_pair(ld, top->v, &it, &kv) && f->n_inputs < n) {
		struct spec_input *in = &f->inputs[f->n_inputs];

		walk_input(ld, &kv, in);
		if (ld_index_put(&ld->inputs, in->name, (int)f->n_inputs) >= 0)
			ld_problem(ld, kv.kpos, "duplicate input '%.80s'", in->name);
		else
			f->n_inputs++;
	}
}

/* --- models --- */

static const char *const model_keys[] = {
	"provider", "model", "file", "temperature", "top_p", "max_tokens", "seed", "stop",
	"price", "base_url", "api_key_env", "timeout", "connect_timeout", "max_attempts",
	"backoff_ms", "backoff_max_ms", "max_concurrency", "rpm", "tpm",
	"max_response_bytes", "cache", "command", "max_output_bytes", "options", "path", "threads",
	"context", "top_k", "prompt_format", "grammar", "constrain", NULL
};
static const char *const price_keys[] = { "input", "output", NULL };

/* A YAML node as JSON: plain scalars typed (null, bool, int, number),
 * everything else a string. NULL when out of memory. */
static json_t *node_json(struct ld *ld, struct fy_node *n, int depth)
{
	const char *s;
	size_t len;
	long long i;
	double d;
	int b;
	json_t *j;
	void *it = NULL;

	if (!n || depth > 100)
		return json_null();
	if (fy_node_is_mapping(n)) {
		struct fy_node_pair *pair;

		j = json_object();
		while (j && (pair = fy_node_mapping_iterate(n, &it)) != NULL) {
			s = ld_scalar(ld, fy_node_pair_key(pair), &len);
			if (!s)
				continue;
			if (json_object_setn_new(j, s, len, node_json(ld, fy_node_pair_value(pair),
			                                              depth + 1)) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	if (fy_node_is_sequence(n)) {
		struct fy_node *c;

		j = json_array();
		while (j && (c = fy_node_sequence_iterate(n, &it)) != NULL) {
			if (json_array_append_new(j, node_json(ld, c, depth + 1)) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	s = ld_scalar(ld, n, &len);
	if (!s || ld_is_null(n))
		return json_null();
	if (ld_is_plain(n)) {
		if (ld_parse_bool(s, len, &b) == 0)
			return json_boolean(b);
		if (ld_parse_int(s, len, &i) == 0)
			return json_integer(i);
		if (ld_parse_num(s, len, &d) == 0)
			return json_real(d);
	}
	return json_stringn(s, len);
}

json_t *ld_node_json(struct ld *ld, struct fy_node *n)
{
	return node_json(ld, n, 0);
}

static void model_options(struct ld *ld, struct fy_node *map, struct spec_model *m,
                          struct spec_pos pos)
{
	json_t *j = node_json(ld, map, 0);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15)) : NULL;

	if (s) {
		m->options = arena_strdup(ld->a, s);
		if (!m->options)
			ld->oom = 1;
	} else {
		ld_problem(ld, pos, "model '%.80s' cannot be written as JSON", m->name);
	}
	free(s);
	json_decref(j);
}

/* A local model's `grammar:` file: read (it is part of the workflow's hash)
 * and parsed, so a bad grammar is refused before any run. */
static void walk_grammar(struct ld *ld, const struct ld_kv *kv)
{
	struct wr_err e = { 0, "" };
	struct grammar *g = NULL;
	const char *s, *bytes;
	size_t len;

	if (ld_get_str(ld, kv, 1, &s) < 0 || ld_read_named(ld, s, kv->vpos, NULL, &bytes, &len) < 0)
		return;
	if (grammar_parse(bytes, len, s, &g, &e) < 0) {
		if (e.code == WR_ENOMEM)
			ld->oom = 1;
		else
			ld_problem(ld, kv->vpos, "grammar %s", e.msg);
	}
	grammar_free(g);
}

static void walk_price(struct ld *ld, const struct ld_kv *top, struct spec_model *m)
{
	struct ld_kv kv;
	void *it = NULL;
	const char *what = "a non-negative number (USD per million tokens)";

	if (ld_need_mapping(ld, top, "a mapping like {input: 0.15, output: 0.60}") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "input"))
			ld_get_num(ld, &kv, 0, 1e12, what, &m->price_in);
		else if (!strcmp(kv.key, "output"))
			ld_get_num(ld, &kv, 0, 1e12, what, &m->price_out);
		else
			ld_unknown_key(ld, &kv, " in price", price_keys);
	}
}

/* stop: one string or a list of at most max non-empty strings (command:
 * any number, at least one). */
static void walk_strings(struct ld *ld, const struct ld_kv *kv, size_t max, const char *what)
{
	struct fy_node *c;
	void *it = NULL;
	const char *s;
	size_t len, n = 0;

	if (ld_is_alias(kv->v))
		return;
	if (kv->v && fy_node_is_sequence(kv->v)) {
		while ((c = fy_node_sequence_iterate(kv->v, &it)) != NULL) {
			s = fy_node_is_scalar(c) ? ld_scalar(ld, c, &len) : NULL;
			if (!s || ld_is_null(c) || !len || ++n > max) {
				ld_problem(ld, ld_pos(c, kv->vpos), "%s", what);
				return;
			}
		}
		if (!n)
			ld_problem(ld, kv->vpos, "%s", what);
		return;
	}
	s = kv->v && fy_node_is_scalar(kv->v) ? ld_scalar(ld, kv->v, &len) : NULL;
	if (!s || ld_is_null(kv->v) || !len)
		ld_problem(ld, kv->vpos, "%s", what);
}

/* Transport and cache settings the HTTP providers read (remote.h). */
static int walk_transport(struct ld *ld, const struct ld_kv *kv)
{
	static const struct { const char *key; double min, max; const char *what; } nums[] = {
		{ "connect_timeout", 0.001, 86400, "a positive number of seconds" },
		{ "max_attempts", 1, 16, "an integer from 1 to 16" },
		{ "backoff_ms", 0, 3600000, "a number of milliseconds (0 to 3600000)" },
		{ "backoff_max_ms", 0, 3600000, "a number of milliseconds (0 to 3600000)" },
		{ "max_concurrency", 1, 4096, "an integer from 1 to 4096" },
		{ "rpm", 0, 1e9, "a non-negative number of requests per minute" },
		{ "tpm", 0, 1e12, "a non-negative number of tokens per minute" },
		{ "max_response_bytes", 1024, 1073741824.0, "a number of bytes (1024 to 1 GiB)" },
		{ "max_output_bytes", 1, 1073741824.0, "a number of bytes (up to 1 GiB)" },
	};
	double d;
	int b;

	if (!strcmp(kv->key, "stop")) {
		walk_strings(ld, kv, 4,
		             "'stop' must be a non-empty string or a list of at most 4 of them");
		return 1;
	}
	if (!strcmp(kv->key, "command")) {
		walk_strings(ld, kv, (size_t)-1, "'command' must be a non-empty string (run by "
		             "/bin/sh -c) or a list of them (argv)");
		return 1;
	}
	if (!strcmp(kv->key, "cache")) {
		ld_get_bool(ld, kv, &b);
		return 1;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(*nums); i++) {
		if (strcmp(kv->key, nums[i].key))
			continue;
		if (ld_get_num(ld, kv, nums[i].min, nums[i].max, nums[i].what, &d) == 0 &&
		    (!strcmp(kv->key, "max_attempts") || !strcmp(kv->key, "max_concurrency")) &&
		    d != (double)(long long)d)
			ld_problem(ld, kv->vpos, "'%s' must be %s", kv->key, nums[i].what);
		return 1;
	}
	return 0;
}

static void walk_provider(struct ld *ld, const struct ld_kv *kv, struct spec_model *m)
{
	const char *const *names = provider_names();
	const char *sug;

	if (ld_get_str(ld, kv, 1, &m->provider) < 0)
		return;
	if (name_index(names, (int)ld_count(names), m->provider) >= 0)
		return;
	sug = spec_suggest(m->provider, names, ld_count(names));
	if (sug)
		ld_problem(ld, kv->vpos, "unknown provider '%.80s' (did you mean '%s'?)",
		           m->provider, sug);
	else
		ld_problem(ld, kv->vpos, "unknown provider '%.80s'", m->provider);
}

static void walk_model(struct ld *ld, const struct ld_kv *top, struct spec_model *m)
{
	struct ld_kv kv;
	void *it = NULL;
	char where[120];
	struct spec_pos file_pos = { 0, 0 };
	long long v;
	double d;
	const char *s;
	int b, has_provider = 0, has_file = 0, has_command = 0, has_path = 0;

	m->name = top->key;
	m->pos = top->kpos;
	m->temperature = -1;
	if (ld_need_mapping(ld, top, "a mapping with at least 'provider'") < 0)
		return;
	snprintf(where, sizeof(where), " in model '%.80s'", top->key);
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "provider")) {
			has_provider = 1;
			walk_provider(ld, &kv, m);
		} else if (!strcmp(kv.key, "model")) {
			ld_get_str(ld, &kv, 1, &m->model);
		} else if (!strcmp(kv.key, "file")) {
			has_file = 1;
			if (ld_get_str(ld, &kv, 1, &m->file) == 0)
				file_pos = kv.kpos;
		} else if (!strcmp(kv.key, "temperature")) {
			ld_get_num(ld, &kv, 0, 2, "a number from 0 to 2", &m->temperature);
		} else if (!strcmp(kv.key, "top_p")) {
			ld_get_num(ld, &kv, 0, 1, "a number from 0 to 1", &d);
		} else if (!strcmp(kv.key, "max_tokens")) {
			if (ld_get_int(ld, &kv, 1, "a positive integer", &v) == 0) {
				if (v > 100000000)
					ld_problem(ld, kv.vpos, "'max_tokens' is too large");
				else
					m->max_tokens = (int)v;
			}
		} else if (!strcmp(kv.key, "seed")) {
			ld_get_int(ld, &kv, 0, "a non-negative integer", &v);
		} else if (!strcmp(kv.key, "price")) {
			walk_price(ld, &kv, m);
		} else if (!strcmp(kv.key, "base_url")) {
			if (ld_get_str(ld, &kv, 1, &s) == 0 && strncmp(s, "http://", 7) &&
			    strncmp(s, "https://", 8))
				ld_problem(ld, kv.vpos, "'base_url' must start with http:// or https://");
		} else if (!strcmp(kv.key, "api_key_env")) {
			ld_get_str(ld, &kv, 1, &s);
		} else if (!strcmp(kv.key, "timeout")) {
			ld_get_num(ld, &kv, 0.001, 86400, "a positive number of seconds", &d);
		} else if (!strcmp(kv.key, "options")) {
			ld_need_mapping(ld, &kv, "a mapping");
		} else if (!strcmp(kv.key, "path")) {   /* local: the GGUF file */
			has_path = 1;
			ld_get_str(ld, &kv, 1, &s);
		} else if (!strcmp(kv.key, "threads")) {
			if (ld_get_int(ld, &kv, 1, "an integer from 1 to 256", &v) == 0 && v > 256)
				ld_problem(ld, kv.vpos, "'threads' must be an integer from 1 to 256");
		} else if (!strcmp(kv.key, "context")) {
			if (ld_get_int(ld, &kv, 1, "a positive number of tokens", &v) == 0 &&
			    v > (1 << 20))
				ld_problem(ld, kv.vpos, "'context' is too large (at most 1048576 tokens)");
		} else if (!strcmp(kv.key, "top_k")) {
			ld_get_int(ld, &kv, 0, "a non-negative integer", &v);
		} else if (!strcmp(kv.key, "prompt_format")) {
			ld_get_str(ld, &kv, 1, &s);
		} else if (!strcmp(kv.key, "grammar")) {   /* local: a GBNF file */
			walk_grammar(ld, &kv);
		} else if (!strcmp(kv.key, "constrain")) { /* local: hold output to its schema */
			ld_get_bool(ld, &kv, &b);
		} else if (walk_transport(ld, &kv)) {
			has_command |= !strcmp(kv.key, "command");
		} else {
			ld_unknown_key(ld, &kv, where, model_keys);
		}
	}
	if (!has_provider)
		ld_problem_missing(ld, top->v, top->kpos, "model '%.80s': missing 'provider'", m->name);
	if (m->provider && (!strcmp(m->provider, "openai") || !strcmp(m->provider, "anthropic")) &&
	    !m->model)
		ld_problem_missing(ld, top->v, top->kpos,
		           "model '%.80s': missing 'model' (the %s model id, like %s)", m->name,
		           m->provider, !strcmp(m->provider, "openai") ? "gpt-4o-mini"
		                                                       : "claude-sonnet-4-5");
	if (m->provider && !strcmp(m->provider, "command") && !has_command)
		ld_problem_missing(ld, top->v, top->kpos,
		           "model '%.80s': missing 'command' (the program to run)", m->name);
	if (m->provider && !strcmp(m->provider, "replay") && !has_file)
		ld_problem_missing(ld, top->v, top->kpos,
		           "model '%.80s': missing 'file' (the replay provider's cassette)",
		           m->name);
	if (m->provider && !strcmp(m->provider, "local") && !has_path)
		ld_problem_missing(ld, top->v, top->kpos,
		           "model '%.80s': missing 'path' (the local provider's GGUF file)", m->name);
	if (m->provider && !strcmp(m->provider, "script") && !has_file)
		ld_problem_missing(ld, top->v, top->kpos,
		           "model '%.80s': missing 'file' (the script provider's responses file)",
		           m->name);
	if (m->file) {
		const char *bytes;
		size_t len;

		ld_read_named(ld, m->file, file_pos, NULL, &bytes, &len);
	}
	model_options(ld, top->v, m, top->kpos);
}

static void walk_models(struct ld *ld, const struct ld_kv *top)
{
	struct spec_flow *f = ld->flow;
	struct ld_kv kv;
	void *it = NULL;
	size_t n;

	ld->has_models = 1;
	if (ld_need_mapping(ld, top, "a mapping of model names to their settings") < 0)
		return;
	n = (size_t)fy_node_mapping_item_count(top->v);
	f->models = arena_alloc(ld->a, (n + 1) * sizeof(*f->models));
	if (!f->models || ld_index_init(ld, &ld->models, n) < 0) {
		ld->oom = 1;
		return;
	}
	while (ld_next_pair(ld, top->v, &it, &kv) && f->n_models < n) {
		struct spec_model *m = &f->models[f->n_models];

		walk_model(ld, &kv, m);
		if (ld_index_put(&ld->models, m->name, (int)f->n_models) >= 0)
			ld_problem(ld, kv.kpos, "duplicate model '%.80s'", m->name);
		else
			f->n_models++;
	}
}

/* --- budget --- */

static const char *const budget_keys[] = { "tokens", "cost_usd", "seconds", "calls", NULL };

void ld_walk_budget(struct ld *ld, const struct ld_kv *top, struct spec_budget *b)
{
	struct ld_kv kv;
	void *it = NULL;
	long long v;

	if (ld_is_null(top->v))
		return;
	if (ld_need_mapping(ld, top, "a mapping (tokens, cost_usd, seconds, calls)") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		if (!strcmp(kv.key, "tokens")) {
			if (ld_get_int(ld, &kv, 0, "a non-negative integer", &v) == 0)
				b->tokens = v;
		} else if (!strcmp(kv.key, "calls")) {
			if (ld_get_int(ld, &kv, 0, "a non-negative integer", &v) == 0)
				b->calls = v;
		} else if (!strcmp(kv.key, "cost_usd")) {
			ld_get_num(ld, &kv, 0, 1e12, "a non-negative number", &b->cost_usd);
		} else if (!strcmp(kv.key, "seconds")) {
			ld_get_num(ld, &kv, 0, 1e12, "a non-negative number", &b->seconds);
		} else {
			ld_unknown_key(ld, &kv, " in budget", budget_keys);
		}
	}
}

/* --- context --- */

static const char *const context_keys[] = { "exclude", "max_tokens", "drop", NULL };
static const char *const exclude_keys[] = { "files", "patterns", NULL };

static void walk_patterns(struct ld *ld, const struct ld_kv *kv)
{
	struct spec_context *c = &ld->flow->context;
	const char **pats;
	size_t n;

	if (!(pats = ld_str_list(ld, kv, &n)))
		return;
	if (!(c->exclude_patterns = arena_alloc(ld->a, n * sizeof(*c->exclude_patterns)))) {
		ld->oom = 1;
		return;
	}
	memset(c->exclude_patterns, 0, n * sizeof(*c->exclude_patterns));
	for (size_t i = 0; i < n; i++) {
		struct spec_check *p = &c->exclude_patterns[c->n_exclude_patterns];
		struct wr_err e = { 0, "" };
		size_t off = 0;

		p->kind = CHECK_REGEX;
		p->arg = pats[i];
		p->pos = p->vpos = kv->vpos;
		if (check_compile_at(p, &off, &e) < 0)
			ld_problem(ld, kv->vpos, "exclude pattern %zu: %s", i + 1, e.msg);
		else
			c->n_exclude_patterns++;
	}
}

static void walk_context(struct ld *ld, const struct ld_kv *top)
{
	struct spec_context *c = &ld->flow->context;
	struct ld_kv kv, ex;
	void *it = NULL, *it2 = NULL;

	if (ld_is_null(top->v))
		return;
	if (ld_need_mapping(ld, top, "a mapping (exclude)") < 0)
		return;
	while (ld_next_pair(ld, top->v, &it, &kv)) {
		long long v;

		if (!strcmp(kv.key, "max_tokens")) {
			if (ld_get_int(ld, &kv, 1, "a positive number of tokens", &v) == 0)
				c->max_tokens = v;
			continue;
		}
		if (!strcmp(kv.key, "drop")) {
			c->drop = ld_str_list(ld, &kv, &c->n_drop);
			c->drop_pos = kv.vpos;
			continue;
		}
		if (strcmp(kv.key, "exclude")) {
			ld_unknown_key(ld, &kv, " in context", context_keys);
			continue;
		}
		if (ld_need_mapping(ld, &kv, "a mapping (files, patterns)") < 0)
			continue;
		while (ld_next_pair(ld, kv.v, &it2, &ex)) {
			if (!strcmp(ex.key, "files"))
				c->exclude_files = ld_str_list(ld, &ex, &c->n_exclude_files);
			else if (!strcmp(ex.key, "patterns"))
				walk_patterns(ld, &ex);
			else
				ld_unknown_key(ld, &ex, " in exclude", exclude_keys);
		}
	}
}

/* --- top level --- */

static const char *const top_keys[] = { "name", "description", "contract", "inputs",
                                        "models", "budget", "context", "tools", "steps",
                                        NULL };

void ld_walk(struct ld *ld, struct fy_node *root)
{
	struct spec_flow *f = ld->flow;
	struct ld_kv kv;
	void *it = NULL;
	int has_contract = 0, has_steps = 0;

	if (ld_is_alias(root))
		return;
	if (!fy_node_is_mapping(root)) {
		ld_problem(ld, ld->root_pos, "a workflow must be a mapping with 'contract' and "
		           "'steps', not a %s", fy_node_is_sequence(root) ? "list" : "scalar");
		return;
	}
	while (ld_next_pair(ld, root, &it, &kv)) {
		if (!strcmp(kv.key, "name")) {
			ld_get_str(ld, &kv, 1, &f->name);
		} else if (!strcmp(kv.key, "description")) {
			ld_get_str(ld, &kv, 0, &f->description);
		} else if (!strcmp(kv.key, "contract")) {
			has_contract = 1;
			walk_contract(ld, &kv);
		} else if (!strcmp(kv.key, "inputs")) {
			walk_inputs(ld, &kv);
		} else if (!strcmp(kv.key, "models")) {
			walk_models(ld, &kv);
		} else if (!strcmp(kv.key, "budget")) {
			ld_walk_budget(ld, &kv, &ld->flow->budget);
		} else if (!strcmp(kv.key, "context")) {
			walk_context(ld, &kv);
		} else if (!strcmp(kv.key, "tools")) {
			ld_walk_tools(ld, &kv);
		} else if (!strcmp(kv.key, "steps")) {
			has_steps = 1;
			ld_walk_steps(ld, &kv);
		} else {
			const char *sug = spec_suggest(kv.key, top_keys, ld_count(top_keys));

			if (sug)
				ld_problem(ld, kv.kpos,
				           "unknown top-level key '%.80s' (did you mean '%s'?)",
				           kv.key, sug);
			else
				ld_problem(ld, kv.kpos, "unknown top-level key '%.80s'", kv.key);
		}
	}
	if (!has_contract)
		ld_problem_missing(ld, root, ld->root_pos, "missing 'contract' (purpose, audience, "
		           "constraints, stop)");
	if (!has_steps)
		ld_problem_missing(ld, root, ld->root_pos, "missing 'steps'");
}
