/* suite.c: loading an eval suite (see suite.h). Every problem is reported
 * as file:line:col: message. */
#include "eval/suite.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"

#define SUITE_MAX_FILE ((size_t)64 << 20)
#define SUITE_MAX_CASES 100000

struct load {
	struct wr_suite *s;
	const char *file;            /* for messages */
	struct wr_err *err;
	int failed;
	char *prompt, *model, *schema;   /* a single prompt and model (single.c) */
	struct fy_node *prompt_node;
};

/* Where a node starts: its token, or its first scalar inside. */
static const struct fy_mark *start_of(struct fy_node *n)
{
	for (int depth = 0; n && depth < 64; depth++) {
		void *it = NULL;

		if (fy_node_is_scalar(n)) {
			struct fy_token *t = fy_node_get_scalar_token(n);

			return t ? fy_token_start_mark(t) : NULL;
		}
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);

			n = pair ? fy_node_pair_key(pair) : NULL;
		} else {
			n = fy_node_sequence_iterate(n, &it);
		}
	}
	return NULL;
}

__attribute__((format(printf, 3, 4)))
static int bad(struct load *l, struct fy_node *n, const char *fmt, ...)
{
	const struct fy_mark *m = start_of(n);
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!l->failed)
		err_set(l->err, WR_ESPEC, "%s:%d:%d: %s", l->file, m ? m->line + 1 : 1,
		        m ? m->column + 1 : 1, msg);
	l->failed = 1;
	return WR_ESPEC;
}

static char *scalar(struct fy_node *n)
{
	size_t len;
	const char *s = n && fy_node_is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;

	return s ? strndup(s, len) : NULL;
}

static int number(struct load *l, struct fy_node *n, const char *what, double lo, double hi,
                  double *out)
{
	char *s = scalar(n), *end;
	double v;

	if (!s)
		return bad(l, n, "%s must be a number", what);
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || errno || v < lo || v > hi) {
		free(s);
		return bad(l, n, "%s must be a number from %g to %g", what, lo, hi);
	}
	free(s);
	*out = v;
	return 0;
}

/* "pass", "fail" or a failure class. */
static int expectation(struct suite_case *c, const char *v)
{
	int f;

	c->expect_pass = 1;
	c->expect_failure = -1;
	if (!v || !strcmp(v, "pass"))
		return 0;
	c->expect_pass = 0;
	if (!strcmp(v, "fail"))
		return 0;
	if ((f = wr_failure_parse(v)) <= 0)
		return -1;
	c->expect_failure = f;
	return 0;
}

static struct suite_case *new_case(struct load *l)
{
	struct wr_suite *s = l->s;
	struct suite_case *p;

	if (s->n_cases >= SUITE_MAX_CASES)
		return NULL;
	if (!(p = realloc(s->cases, (s->n_cases + 1) * sizeof(*p))))
		return NULL;
	s->cases = p;
	p = &s->cases[s->n_cases++];
	memset(p, 0, sizeof(*p));
	p->expect_pass = 1;
	p->expect_failure = -1;
	return p;
}

static int add_input(struct suite_case *c, const char *name, const char *value)
{
	struct wr_input *p = realloc(c->inputs, (c->n_inputs + 1) * sizeof(*p));

	if (!p)
		return -1;
	c->inputs = p;
	p[c->n_inputs].name = strdup(name);
	p[c->n_inputs].value = strdup(value);
	c->n_inputs++;
	return p[c->n_inputs - 1].name && p[c->n_inputs - 1].value ? 0 : -1;
}

static void default_name(struct suite_case *c, size_t i)
{
	char n[32];

	if (!c->name) {
		snprintf(n, sizeof(n), "case %zu", i + 1);
		c->name = strdup(n);
	}
}

/* --- assertions --- */

/* list (a JSON array, or one object) into *out; -1 with the reason in why. */
static int asserts_json(json_t *list, struct suite_assert **out, size_t *n, char *why,
                        size_t size)
{
	size_t count = json_is_array(list) ? json_array_size(list) : 1;

	if (!json_is_array(list) && !json_is_object(list)) {
		snprintf(why, size, "assert is a list of assertions");
		return -1;
	}
	if (!(*out = calloc(count ? count : 1, sizeof(**out)))) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	for (*n = 0; *n < count; (*n)++) {
		json_t *o = json_is_array(list) ? json_array_get(list, *n) : list;
		char msg[300];

		if (assert_parse(o, &(*out)[*n], msg, sizeof(msg)) < 0) {
			assert_release(&(*out)[*n]);
			snprintf(why, size, "assertion %zu: %s", *n + 1, msg);
			return -1;
		}
	}
	return 0;
}

static void asserts_free(struct suite_assert *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_release(&a[i]);
	free(a);
}

/* An assert: node of the suite or of a case. */
static int yaml_asserts(struct load *l, struct fy_node *v, struct suite_assert **out,
                        size_t *n)
{
	char *text = fy_emit_node_to_string(v, FYECF_MODE_JSON_TP | FYECF_WIDTH_INF);
	json_t *list = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	char why[400];
	int rc = 0;

	if (*out)
		rc = bad(l, v, "assert is given twice");
	else if (!list)
		rc = text ? bad(l, v, "assert is a list of assertions")
		          : err_set(l->err, WR_ENOMEM, "out of memory");
	else if (asserts_json(list, out, n, why, sizeof(why)) < 0)
		rc = bad(l, v, "%s", why);
	json_decref(list);
	free(text);
	return rc;
}

/* --- inline cases --- */

static int yaml_case(struct load *l, struct fy_node *n)
{
	struct suite_case *c;
	struct fy_node_pair *pair;
	void *it = NULL;

	if (!fy_node_is_mapping(n))
		return bad(l, n, "a case is a mapping: name, inputs, expect");
	if (!(c = new_case(l)))
		return err_set(l->err, WR_ENOMEM, "too many cases or out of memory");
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		char *key = scalar(k), *val;
		int rc = 0;

		if (!key)
			return bad(l, k, "keys must be strings");
		if (!strcmp(key, "name")) {
			if (!(c->name = scalar(v)))
				rc = bad(l, v, "name must be a string");
		} else if (!strcmp(key, "expect")) {
			val = scalar(v);
			if (!val || expectation(c, val) < 0)
				rc = bad(l, v, "expect is pass, fail or a failure class (schema_invalid, "
				         "refusal, ...)");
			free(val);
		} else if (!strcmp(key, "inputs")) {
			struct fy_node_pair *ip;
			void *it2 = NULL;

			if (!fy_node_is_mapping(v))
				rc = bad(l, v, "inputs is a mapping of names to strings");
			while (!rc && (ip = fy_node_mapping_iterate(v, &it2))) {
				char *in = scalar(fy_node_pair_key(ip)), *iv = scalar(fy_node_pair_value(ip));

				if (!in || !iv)
					rc = bad(l, fy_node_pair_value(ip), "an input's value is a string");
				else if (add_input(c, in, iv) < 0)
					rc = err_set(l->err, WR_ENOMEM, "out of memory");
				free(in);
				free(iv);
			}
		} else if (!strcmp(key, "assert")) {
			rc = yaml_asserts(l, v, &c->asserts, &c->n_asserts);
		} else {
			rc = bad(l, k, "unknown key '%s' in a case (name, inputs, expect, assert)", key);
		}
		free(key);
		if (rc)
			return rc;
	}
	return 0;
}

/* --- case files --- */

static int json_case(struct load *l, json_t *o, int line)
{
	struct suite_case *c;
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return err_set(l->err, WR_ESPEC, "%s:%d:1: a case is an object: name, inputs, "
		               "expect", l->file, line);
	if (!(c = new_case(l)))
		return err_set(l->err, WR_ENOMEM, "too many cases or out of memory");
	if (json_is_string(json_object_get(o, "name")))
		c->name = strdup(json_string_value(json_object_get(o, "name")));
	if (json_object_get(o, "expect") &&
	    (!json_is_string(json_object_get(o, "expect")) ||
	     expectation(c, json_string_value(json_object_get(o, "expect"))) < 0))
		return err_set(l->err, WR_ESPEC, "%s:%d:1: expect is pass, fail or a failure class",
		               l->file, line);
	if (json_object_get(o, "assert")) {
		char why[400];

		if (asserts_json(json_object_get(o, "assert"), &c->asserts, &c->n_asserts, why,
		                 sizeof(why)) < 0)
			return err_set(l->err, WR_ESPEC, "%s:%d:1: %s", l->file, line, why);
	}
	json_object_foreach(json_object_get(o, "inputs"), k, v) {
		char *text = json_is_string(v) ? strdup(json_string_value(v))
		                               : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc = text ? add_input(c, k, text) : -1;

		free(text);
		if (rc < 0)
			return err_set(l->err, WR_ENOMEM, "out of memory");
	}
	return 0;
}

static int jsonl_cases(struct load *l, const char *text)
{
	int line = 0;

	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		json_error_t je;
		json_t *o;
		int rc;

		line++;
		if (len && strspn(p, " \t\r") < len) {
			if (!(o = json_loadb(p, len, 0, &je)))
				return err_set(l->err, WR_ESPEC, "%s:%d:%d: %s", l->file, line,
				               je.column > 0 ? je.column : 1, je.text);
			rc = json_case(l, o, line);
			json_decref(o);
			if (rc < 0)
				return rc;
		}
		p += len + (e != NULL);
	}
	return 0;
}

/* One CSV field at *p (quoted or not) into out; advances past its comma. */
static int csv_field(const char **p, struct buf *out)
{
	const char *s = *p;

	buf_reset(out);
	if (*s == '"') {
		for (s++; *s; s++) {
			if (*s == '"' && s[1] == '"')
				buf_addc(out, *s++);
			else if (*s == '"')
				break;
			else
				buf_addc(out, *s);
		}
		if (*s != '"')
			return -1;
		s++;
	} else {
		while (*s && *s != ',' && *s != '\n' && *s != '\r')
			buf_addc(out, *s++);
	}
	if (*s == ',')
		s++;
	*p = s;
	return 0;
}

/* An "assert" column: the assertions as JSON text. */
static int csv_assert(struct load *l, struct suite_case *c, const char *v, int line)
{
	json_t *list = json_loads(v, JSON_DECODE_ANY, NULL);
	char why[400];
	int rc = 0;

	if (!list)
		rc = err_set(l->err, WR_ESPEC, "%s:%d:1: the assert column holds JSON (a list of "
		             "assertions)", l->file, line);
	else if (asserts_json(list, &c->asserts, &c->n_asserts, why, sizeof(why)) < 0)
		rc = err_set(l->err, WR_ESPEC, "%s:%d:1: %s", l->file, line, why);
	json_decref(list);
	return rc;
}

static int csv_cases(struct load *l, const char *text)
{
	char *cols[256];
	size_t n_cols = 0;
	struct buf f = BUF_INIT;
	const char *p = text;
	int line = 1, rc = 0;

	while (*p && *p != '\n' && *p != '\r' && n_cols < 256) {
		if (csv_field(&p, &f) < 0 || !(cols[n_cols++] = strdup(f.data ? f.data : ""))) {
			rc = err_set(l->err, WR_ESPEC, "%s:1:1: a bad header row", l->file);
			goto out;
		}
	}
	while (rc == 0 && *p) {
		struct suite_case *c;

		while (*p == '\r' || *p == '\n')
			line += *p++ == '\n';
		if (!*p)
			break;
		if (!(c = new_case(l))) {
			rc = err_set(l->err, WR_ENOMEM, "too many cases or out of memory");
			break;
		}
		for (size_t i = 0; i < n_cols && rc == 0; i++) {
			const char *v;

			if (csv_field(&p, &f) < 0) {
				rc = err_set(l->err, WR_ESPEC, "%s:%d:1: an unterminated quote", l->file,
				             line);
				break;
			}
			v = f.data ? f.data : "";
			if (!strcmp(cols[i], "name"))
				c->name = strdup(v);
			else if (!strcmp(cols[i], "expect") && expectation(c, v[0] ? v : NULL) < 0)
				rc = err_set(l->err, WR_ESPEC, "%s:%d:1: expect is pass, fail or a failure "
				             "class, not '%s'", l->file, line, v);
			else if (!strcmp(cols[i], "assert") && v[0])
				rc = csv_assert(l, c, v, line);
			else if (strcmp(cols[i], "expect") && strcmp(cols[i], "assert") &&
			         add_input(c, cols[i], v) < 0)
				rc = err_set(l->err, WR_ENOMEM, "out of memory");
			if (*p == '\n' || *p == '\r')
				break;
		}
		while (*p && *p != '\n')
			p++;
	}
out:
	for (size_t i = 0; i < n_cols; i++)
		free(cols[i]);
	buf_release(&f);
	return rc;
}

static int case_file(struct load *l, struct fy_node *n)
{
	struct buf bytes = BUF_INIT;
	char *rel = scalar(n), path[4096];
	const char *dot;
	int rc;

	if (!rel || os_join(l->s->dir, rel, path, sizeof(path)) < 0) {
		free(rel);
		return bad(l, n, "cases is a list, or the path of a .jsonl or .csv file");
	}
	if ((rc = os_read_file(path, SUITE_MAX_FILE, &bytes, l->err)) < 0) {
		bad(l, n, "cannot read %s: %s", rel, l->err->msg);
		free(rel);
		return WR_ESPEC;
	}
	l->file = rel;
	dot = strrchr(rel, '.');
	if (dot && !strcmp(dot, ".csv"))
		rc = csv_cases(l, bytes.data);
	else if (dot && !strcmp(dot, ".jsonl"))
		rc = jsonl_cases(l, bytes.data);
	else
		rc = bad(l, n, "a case file ends in .jsonl or .csv");
	l->file = l->s->path;
	buf_release(&bytes);
	free(rel);
	return rc;
}

/* --- variants --- */

/* prompts: {STEP: text} or prompt_files: {STEP: file beside the suite},
 * into v->prompts (JSON {STEP: text}). */
static int yaml_prompts(struct load *l, struct fy_node *n, int files, struct suite_variant *v)
{
	json_t *o = v->prompts ? json_loads(v->prompts, 0, NULL) : json_object();
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc = 0;

	if (!o)
		return err_set(l->err, WR_ENOMEM, "out of memory");
	if (!fy_node_is_mapping(n)) {
		json_decref(o);
		return bad(l, n, files ? "prompt_files maps a generate step's id to a file: "
		           "{extract: prompts/extract-v2.txt}" : "prompts maps a generate step's id "
		           "to its prompt: {extract: \"Extract ...\"}");
	}
	while (!rc && (pair = fy_node_mapping_iterate(n, &it))) {
		char *step = scalar(fy_node_pair_key(pair)), *text = scalar(fy_node_pair_value(pair));
		struct buf b = BUF_INIT;
		char path[4096];

		if (!step || !text) {
			rc = bad(l, fy_node_pair_value(pair), "a prompt is a string");
		} else if (files) {
			if (os_join(l->s->dir, text, path, sizeof(path)) < 0 ||
			    os_read_file(path, SUITE_MAX_FILE, &b, l->err) < 0)
				rc = bad(l, fy_node_pair_value(pair), "cannot read prompt file '%s'", text);
			else if (json_object_set_new(o, step, json_stringn(b.data ? b.data : "",
			                                                   b.len)) < 0)
				rc = bad(l, fy_node_pair_value(pair), "prompt file '%s' is not UTF-8 text",
				         text);
		} else if (json_object_set_new(o, step, json_string(text)) < 0) {
			rc = bad(l, fy_node_pair_value(pair), "a prompt must be UTF-8 text");
		}
		buf_release(&b);
		free(step);
		free(text);
	}
	free(v->prompts);
	v->prompts = rc ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!rc && !v->prompts)
		return err_set(l->err, WR_ENOMEM, "out of memory");
	return rc;
}

static int yaml_variant(struct load *l, struct fy_node *n)
{
	struct wr_suite *s = l->s;
	struct suite_variant *v;
	struct fy_node_pair *pair;
	void *it = NULL;

	if (!fy_node_is_mapping(n))
		return bad(l, n, "a variant is a mapping: name, models, threshold");
	if (s->n_variants >= SUITE_MAX_VARIANTS)
		return bad(l, n, "at most %d variants", SUITE_MAX_VARIANTS);
	if (!(v = realloc(s->variants, (s->n_variants + 1) * sizeof(*v))))
		return err_set(l->err, WR_ENOMEM, "out of memory");
	s->variants = v;
	v = &s->variants[s->n_variants++];
	memset(v, 0, sizeof(*v));
	v->threshold = -1;
	while ((pair = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);
		char *key = scalar(k);
		int rc = 0;

		if (!key)
			return bad(l, k, "keys must be strings");
		if (!strcmp(key, "name")) {
			if (!(v->name = scalar(val)))
				rc = bad(l, val, "name must be a string");
		} else if (!strcmp(key, "threshold")) {
			rc = number(l, val, "threshold", 0, 1, &v->threshold);
		} else if (!strcmp(key, "models")) {
			if (!fy_node_is_mapping(val))
				rc = bad(l, val, "models maps a model's name to the keys to change: "
				         "{extract: {model: m-2, temperature: 0.2}}");
			else if (!(v->overrides = fy_emit_node_to_string(
			                   val, FYECF_MODE_JSON_TP | FYECF_WIDTH_INF)))
				rc = err_set(l->err, WR_ENOMEM, "out of memory");
		} else if (!strcmp(key, "prompts") || !strcmp(key, "prompt_files")) {
			rc = yaml_prompts(l, val, key[6] == '_', v);
		} else {
			rc = bad(l, k, "unknown key '%s' in a variant (name, models, prompts, "
			         "prompt_files, threshold)", key);
		}
		free(key);
		if (rc)
			return rc;
	}
	if (!v->name)
		return bad(l, n, "a variant has a name");
	for (size_t i = 0; i + 1 < s->n_variants; i++)
		if (!strcmp(s->variants[i].name, v->name))
			return bad(l, n, "two variants named '%s'", v->name);
	return 0;
}

/* --- the suite --- */

static int top_key(struct load *l, const char *key, struct fy_node *k, struct fy_node *v)
{
	struct wr_suite *s = l->s;
	double d;
	int rc = 0;

	if (!strcmp(key, "name")) {
		free(s->name);
		if (!(s->name = scalar(v)))
			rc = bad(l, v, "name must be a string");
	} else if (!strcmp(key, "workflow")) {
		char *w = scalar(v), path[4096];

		if (!w || os_join(s->dir, w, path, sizeof(path)) < 0)
			rc = bad(l, v, "workflow is the path of the workflow file");
		else if (!(s->workflow = strdup(path)))
			rc = err_set(l->err, WR_ENOMEM, "out of memory");
		free(w);
	} else if (!strcmp(key, "repeats")) {
		if (!(rc = number(l, v, "repeats", 1, 1000, &d)))
			s->repeats = (int)d;
	} else if (!strcmp(key, "concurrency")) {
		if (!(rc = number(l, v, "concurrency", 1, 256, &d)))
			s->concurrency = (int)d;
	} else if (!strcmp(key, "threshold")) {
		rc = number(l, v, "threshold", 0, 1, &s->threshold);
	} else if (!strcmp(key, "cases")) {
		if (fy_node_is_sequence(v)) {
			struct fy_node *c;
			void *it = NULL;

			while (!rc && (c = fy_node_sequence_iterate(v, &it)))
				rc = yaml_case(l, c);
		} else {
			rc = case_file(l, v);
		}
	} else if (!strcmp(key, "variants")) {
		struct fy_node *c;
		void *it = NULL;

		if (!fy_node_is_sequence(v))
			rc = bad(l, v, "variants is a list of {name, models, threshold}");
		while (!rc && (c = fy_node_sequence_iterate(v, &it)))
			rc = yaml_variant(l, c);
	} else if (!strcmp(key, "assert")) {
		rc = yaml_asserts(l, v, &s->asserts, &s->n_asserts);
	} else if (!strcmp(key, "prompt")) {
		if (!(l->prompt = scalar(v)))
			rc = bad(l, v, "prompt is the prompt template, a string");
		l->prompt_node = v;
	} else if (!strcmp(key, "model") || !strcmp(key, "schema")) {
		char **dst = key[0] == 'm' ? &l->model : &l->schema;

		if (key[0] == 'm' && !fy_node_is_mapping(v))
			rc = bad(l, v, "model is a mapping: {provider: openai, model: gpt-4o-mini}");
		else if (fy_node_is_scalar(v) && key[0] == 's')
			rc = bad(l, v, "schema is written inline here (a mapping)");
		else if (!(*dst = fy_emit_node_to_string(v, FYECF_MODE_JSON_TP | FYECF_WIDTH_INF)))
			rc = err_set(l->err, WR_ENOMEM, "out of memory");
	} else {
		rc = bad(l, k, "unknown key '%s' (name, workflow, prompt, model, schema, repeats, "
		         "concurrency, threshold, assert, cases, variants)", key);
	}
	return rc;
}

const char *wr_suite_workflow(const struct wr_suite *s)
{
	return s->workflow;
}

void wr_suite_free(struct wr_suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_cases; i++) {
		for (size_t j = 0; j < s->cases[i].n_inputs; j++) {
			free((char *)s->cases[i].inputs[j].name);
			free((char *)s->cases[i].inputs[j].value);
		}
		free(s->cases[i].inputs);
		free(s->cases[i].name);
		asserts_free(s->cases[i].asserts, s->cases[i].n_asserts);
	}
	free(s->cases);
	asserts_free(s->asserts, s->n_asserts);
	for (size_t i = 0; i < s->n_variants; i++) {
		free(s->variants[i].name);
		free(s->variants[i].overrides);
		free(s->variants[i].prompts);
	}
	free(s->variants);
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->workflow);
	free(s);
}

int wr_suite_load(const char *path, struct wr_suite **out, struct wr_err *err)
{
	struct wr_suite *s = calloc(1, sizeof(*s));
	struct fy_document *doc = NULL;
	struct fy_node *root;
	struct fy_node_pair *pair;
	struct load l = { s, path, err, 0, NULL, NULL, NULL, NULL };
	struct buf bytes = BUF_INIT;
	char dir[4096];
	void *it = NULL;
	int rc;

	*out = NULL;
	if (!s || os_dirname(path, dir, sizeof(dir)) < 0 || !(s->path = strdup(path)) ||
	    !(s->dir = strdup(dir))) {
		wr_suite_free(s);
		return err_set(err, WR_ENOMEM, "out of memory");
	}
	s->repeats = 1;
	s->concurrency = 1;
	l.file = s->path;
	if ((rc = os_read_file(path, SUITE_MAX_FILE, &bytes, err)) < 0)
		goto out;
	{
		struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };

		doc = fy_document_build_from_string(&cfg, bytes.data, bytes.len);
	}
	if (!doc || !(root = fy_document_root(doc)) || !fy_node_is_mapping(root)) {
		rc = err_set(err, WR_ESPEC, "%s:1:1: a suite is a YAML mapping: name, workflow, "
		             "cases, ...", path);
		goto out;
	}
	while ((pair = fy_node_mapping_iterate(root, &it))) {
		char *key = scalar(fy_node_pair_key(pair));

		rc = key ? top_key(&l, key, fy_node_pair_key(pair), fy_node_pair_value(pair))
		         : bad(&l, fy_node_pair_key(pair), "keys must be strings");
		free(key);
		if (rc)
			goto out;
	}
	if (!s->workflow && l.prompt && l.model && s->n_cases)
		rc = suite_single_flow(s, l.prompt, l.model, l.schema, err);
	else if (s->workflow && (l.prompt || l.model))
		rc = bad(&l, l.prompt_node ? l.prompt_node : root, "a suite tests a workflow or a "
		         "prompt and model, not both");
	if (!rc && !s->workflow)
		rc = bad(&l, root, "a suite names its workflow ('workflow: flow.yaml'), or a prompt "
		         "and a model ('prompt: ...', 'model: {provider: ...}')");
	else if (!rc && !s->n_cases)
		rc = bad(&l, root, "a suite has at least one case");
	if (!rc && !s->name)
		s->name = strdup("suite");
	for (size_t i = 0; !rc && i < s->n_cases; i++)
		default_name(&s->cases[i], i);
out:
	free(l.prompt);
	free(l.model);
	free(l.schema);
	fy_document_destroy(doc);
	buf_release(&bytes);
	if (rc) {
		wr_suite_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
