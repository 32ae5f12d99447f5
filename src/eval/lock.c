/* lock.c: warrant.lock, what a passing eval accepted.
 *
 * The lock sits beside the workflows it pins and holds, per workflow file
 * name, the version hash (the file and every file it names: prompts,
 * schemas, scripts), the hash of the file alone, each model's whole
 * mapping (provider, model id, temperature, ...) and the eval result that
 * accepted them. Checking a workflow against it names what changed, so a
 * run can refuse to go ahead with something no eval has seen. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"

#define LOCK_MAX_FILE ((size_t)4 << 20)

int wr_lock_path(const char *flow_path, char *buf, size_t size)
{
	char dir[4096];

	if (os_dirname(flow_path, dir, sizeof(dir)) < 0)
		return WR_ETOOBIG;
	return os_join(dir, "warrant.lock", buf, size);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The models of a flow: {name: {the model's mapping}}. */
static json_t *models_json(const struct spec_flow *f)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < f->n_models; i++) {
		json_t *m = f->models[i].options ? json_loads(f->models[i].options, 0, NULL) : NULL;

		json_object_set_new(o, f->models[i].name, m ? m : json_object());
	}
	return o;
}

/* What a person reads in a diff: {STEP: prompt template} of the generate
 * steps, and {STEP: schema} of their output schemas and schema checks
 * ("STEP#N" for the Nth check of a check step). */
static json_t *prompts_json(const struct spec_flow *f)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < f->n_steps; i++)
		if (f->steps[i].kind == STEP_GENERATE && f->steps[i].prompt)
			json_object_set_new(o, f->steps[i].id, json_string(f->steps[i].prompt));
	return o;
}

/* A schema as indented text with sorted keys, so a diff shows lines. */
static json_t *schema_text(const char *arg)
{
	json_t *doc = json_loads(arg, JSON_DECODE_ANY, NULL), *s;
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	                                   JSON_REAL_PRECISION(15)) : NULL;

	s = json_string(text ? text : arg);
	free(text);
	json_decref(doc);
	return s;
}

static json_t *schemas_json(const struct spec_flow *f)
{
	json_t *o = json_object();
	char key[WR_ID_MAX + 16];

	for (size_t i = 0; o && i < f->n_steps; i++) {
		const struct spec_step *s = &f->steps[i];

		if (s->output_schema && s->output_schema->arg)
			json_object_set_new(o, s->id, schema_text(s->output_schema->arg));
		for (size_t k = 0; k < s->n_checks; k++) {
			if (s->checks[k].kind != CHECK_SCHEMA || !s->checks[k].arg)
				continue;
			snprintf(key, sizeof(key), "%s#%zu", s->id, k + 1);
			json_object_set_new(o, key, schema_text(s->checks[k].arg));
		}
	}
	return o;
}

/* The lock's JSON, or a new empty one when the file is missing. */
static int lock_read(const char *path, json_t **out, int missing_ok, struct wr_err *err)
{
	struct buf b = BUF_INIT;
	json_error_t je;
	int rc;

	*out = NULL;
	if ((rc = os_read_file(path, LOCK_MAX_FILE, &b, err)) < 0) {
		buf_release(&b);
		if (!missing_ok)
			return err_set(err, WR_ENOTFOUND, "%s: no lock file (write one with 'warrant lock "
			               "SUITE.yaml' after a passing eval)", path);
		*out = json_pack("{s:i,s:{}}", "version", 1, "workflows");
		return *out ? 0 : err_set(err, WR_ENOMEM, "out of memory");
	}
	*out = json_loadb(b.data, b.len, 0, &je);
	buf_release(&b);
	if (!json_is_object(*out) || !json_is_object(json_object_get(*out, "workflows"))) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, WR_ESPEC, "%s:%d:%d: not a lock file: %s", path,
		               je.line > 0 ? je.line : 1, je.column > 0 ? je.column : 1,
		               je.text[0] ? je.text : "no 'workflows' object");
	}
	return 0;
}

int wr_lock_write(const char *flow_path, const struct wr_eval_report *r, struct wr_err *err)
{
	struct wr_flow *flow = NULL;
	const struct wr_eval_variant *v = NULL;
	json_t *lock = NULL, *entry = NULL, *served;
	char path[4096], src_hash[HASH_HEX], stamp[32], *text = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (wr_lock_path(flow_path, path, sizeof(path)) < 0)
		return err_set(err, WR_ETOOBIG, "%s: path too long", flow_path);
	if ((rc = wr_flow_load(flow_path, NULL, &flow, err)) < 0)
		return rc;
	for (int i = 0; i < r->n_variants && !v; i++)
		if (!strcmp(r->variants[i].flow_hash, flow->spec->hash))
			v = &r->variants[i];
	if (!v) {
		rc = err_set(err, WR_ESTATE, "%s: the eval did not run this version of the "
		             "workflow (it changed since, or every variant overrides it)", flow_path);
		goto out;
	}
	if (!v->threshold_met) {
		rc = err_set(err, WR_ESTATE, "%s: the eval did not pass (%d/%d runs met their "
		             "cases), nothing locked", flow_path, v->passed, v->runs);
		goto out;
	}
	if ((rc = lock_read(path, &lock, 1, err)) < 0)
		goto out;
	hash_hex(flow->spec->source, flow->spec->source_len, src_hash);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	served = json_array();
	for (int i = 0; served && i < r->n_models; i++)
		json_array_append_new(served, json_pack("{s:s,s:s,s:s}", "model", r->models[i].model,
		                                        "api_model", r->models[i].api_model,
		                                        "system_fingerprint",
		                                        r->models[i].system_fingerprint));
	entry = json_pack("{s:s,s:s,s:o,s:o,s:o,s:s?,s:{s:s,s:s,s:s,s:i,s:i,s:f,s:[f,f],s:f,s:o}}",
	                  "flow_hash", flow->spec->hash, "source_hash", src_hash,
	                  "models", models_json(flow->spec), "prompts", prompts_json(flow->spec),
	                  "schemas", schemas_json(flow->spec), "policy_hash",
	                  flow->spec->policy ? flow->spec->policy->hash : NULL, "accepted_by",
	                  "suite", r->suite, "variant", v->name, "at", stamp, "runs", v->runs,
	                  "passed", v->passed, "pass_rate", v->rate, "ci95", v->lo, v->hi,
	                  "threshold", v->threshold, "served", served);
	if (!entry || json_object_set_new(json_object_get(lock, "workflows"),
	                                  base_name(flow_path), entry) < 0 ||
	    !(text = json_dumps(lock, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	rc = os_write_atomic(path, text, strlen(text), 1, err);
out:
	free(text);
	json_decref(lock);
	wr_flow_free(flow);
	return rc;
}

/* --- checking --- */

__attribute__((format(printf, 2, 3)))
static void change(struct buf *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_adds(out, line);
	buf_addc(out, '\n');
}

static char *value_text(json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS |
	                             JSON_REAL_PRECISION(10))
	         : strdup("(unset)");
}

static void model_changes(json_t *then, json_t *now, struct buf *out)
{
	const char *name, *k;
	json_t *m, *v;

	json_object_foreach(then, name, m) {
		json_t *n = json_object_get(now, name);

		if (!n) {
			change(out, "model '%s' was removed", name);
			continue;
		}
		json_object_foreach(m, k, v) {
			if (!json_equal(v, json_object_get(n, k))) {
				char *a = value_text(v), *b = value_text(json_object_get(n, k));

				change(out, "model '%s': %s %s then, %s now", name, k, a ? a : "?",
				       b ? b : "?");
				free(a);
				free(b);
			}
		}
		json_object_foreach(n, k, v) {
			if (!json_object_get(m, k)) {
				char *b = value_text(v);

				change(out, "model '%s': %s added (%s)", name, k, b ? b : "?");
				free(b);
			}
		}
	}
	json_object_foreach(now, name, m)
		if (!json_object_get(then, name))
			change(out, "model '%s' was added", name);
}

/* Text values of then and now ({KEY: text}) compared; each change named
 * and, where both sides exist, diffed line by line. */
static void text_changes(json_t *then, json_t *now, const char *what, struct buf *out)
{
	const char *k;
	json_t *v;

	json_object_foreach(then, k, v) {
		json_t *n = json_object_get(now, k);

		if (!json_is_string(n)) {
			change(out, "%s of '%s' was removed", what, k);
		} else if (strcmp(json_string_value(v), json_string_value(n))) {
			change(out, "%s of '%s' changed:", what, k);
			if (diff_lines(json_string_value(v), json_string_value(n), 2, "    ", out) < 0)
				change(out, "    (out of memory while comparing)");
		}
	}
	json_object_foreach(now, k, v)
		if (!json_object_get(then, k))
			change(out, "%s of '%s' was added", what, k);
}

static void policy_change(json_t *entry, const struct spec_flow *f, struct buf *out)
{
	const char *then = json_string_value(json_object_get(entry, "policy_hash"));
	const char *now = f->policy ? f->policy->hash : NULL;

	if (then && !now)
		change(out, "no organisation policy applies now (one did then)");
	else if (!then && now)
		change(out, "the organisation policy %s applies now (none did then)",
		       f->policy->path);
	else if (then && strcmp(then, now))
		change(out, "the organisation policy %s changed", f->policy->path);
}

int wr_lock_check(const struct wr_flow *flow, char **changes, struct wr_err *err)
{
	const struct spec_flow *f = flow->spec;
	json_t *lock = NULL, *entry, *models = NULL, *prompts = NULL, *schemas = NULL, *by;
	struct buf out = BUF_INIT;
	char path[4096], src_hash[HASH_HEX];
	const char *h;
	int rc;

	*changes = NULL;
	if (wr_lock_path(f->path, path, sizeof(path)) < 0)
		return err_set(err, WR_ETOOBIG, "%s: path too long", f->path);
	if ((rc = lock_read(path, &lock, 0, err)) < 0)
		return rc;
	entry = json_object_get(json_object_get(lock, "workflows"), base_name(f->path));
	if (!json_is_object(entry)) {
		rc = err_set(err, WR_ENOTFOUND, "%s: %s is not locked (run 'warrant lock "
		             "SUITE.yaml' with a suite for it)", path, base_name(f->path));
		goto out;
	}
	if (!(models = models_json(f))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	hash_hex(f->source, f->source_len, src_hash);
	model_changes(json_object_get(entry, "models"), models, &out);
	prompts = prompts_json(f);
	schemas = schemas_json(f);
	if (json_object_get(entry, "prompts"))
		text_changes(json_object_get(entry, "prompts"), prompts, "the prompt", &out);
	if (json_object_get(entry, "schemas"))
		text_changes(json_object_get(entry, "schemas"), schemas, "the schema", &out);
	policy_change(entry, f, &out);
	h = json_string_value(json_object_get(entry, "source_hash"));
	if (!h || strcmp(h, src_hash))
		change(&out, "%s changed (steps, prompts, checks or models)", base_name(f->path));
	else if (!(h = json_string_value(json_object_get(entry, "flow_hash"))) ||
	         strcmp(h, f->hash))
		change(&out, "a file %s names changed (a prompt, schema or script file)",
		       base_name(f->path));
	rc = 0;
	if (out.len) {
		by = json_object_get(entry, "accepted_by");
		rc = err_set(err, WR_ESTATE, "%s: %s changed since the eval that accepted it (suite "
		             "'%s', %s, %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " runs met)",
		             path, base_name(f->path),
		             json_string_value(json_object_get(by, "suite")) ?
		             json_string_value(json_object_get(by, "suite")) : "?",
		             json_string_value(json_object_get(by, "at")) ?
		             json_string_value(json_object_get(by, "at")) : "?",
		             json_integer_value(json_object_get(by, "passed")),
		             json_integer_value(json_object_get(by, "runs")));
		*changes = buf_detach(&out, NULL);
	}
out:
	buf_release(&out);
	json_decref(models);
	json_decref(prompts);
	json_decref(schemas);
	json_decref(lock);
	return rc;
}
