/* baseline.c: a report kept by name in the eval store, and the drift of a
 * new report from it.
 *
 * A baseline is JSON in a blob (content-addressed), named by the meta key
 * "eval_baseline:NAME". It holds each run's outcome by variant, case name
 * and repeat, so a later report pairs its runs with the baseline's (the
 * same case and repeat ran with the same seed) and the exact McNemar test
 * on the pairs that changed says whether a variant got worse beyond chance.
 * Models are compared as their servers named them (api_model and
 * system_fingerprint): a provider that silently moves a model shows here
 * even when the pass rate holds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "eval/stats.h"
#include "store/store.h"

#define BASELINE_MAX_NOTES 200

/* --- saving --- */

static json_t *report_json(const struct wr_eval_report *r)
{
	json_t *o = json_object(), *vs = json_array(), *ms = json_array();
	int per = r->cases * r->repeats;

	if (!o || !vs || !ms)
		goto fail;
	json_object_set_new(o, "suite", json_string(r->suite));
	json_object_set_new(o, "saved_ms", json_integer(os_now_ms()));
	json_object_set_new(o, "repeats", json_integer(r->repeats));
	json_object_set_new(o, "variants", vs);
	json_object_set_new(o, "models", ms);
	for (int v = 0; v < r->n_variants; v++) {
		json_t *x = json_object(), *cs = json_array();

		if (!x || !cs || json_array_append_new(vs, x) < 0) {
			json_decref(cs);
			goto fail;
		}
		json_object_set_new(x, "name", json_string(r->variants[v].name));
		json_object_set_new(x, "flow_hash", json_string(r->variants[v].flow_hash));
		json_object_set_new(x, "runs", json_integer(r->variants[v].runs));
		json_object_set_new(x, "passed", json_integer(r->variants[v].passed));
		json_object_set_new(x, "cases", cs);
		for (int i = 0; i < r->cases; i++) {
			char met[1001];
			int n = r->repeats < 1000 ? r->repeats : 1000;

			for (int k = 0; k < n; k++)
				met[k] = r->met[v * per + i * r->repeats + k] ? '1' : '0';
			met[n] = 0;
			json_array_append_new(cs, json_pack("{s:s,s:s}", "name",
			                                    r->case_results[v * r->cases + i].name,
			                                    "met", met));
		}
	}
	for (int m = 0; m < r->n_models; m++)
		json_array_append_new(ms, json_pack("{s:s,s:s,s:s}", "model", r->models[m].model,
		                                    "api_model", r->models[m].api_model,
		                                    "system_fingerprint",
		                                    r->models[m].system_fingerprint));
	return o;
fail:
	json_decref(o);
	json_decref(vs);
	json_decref(ms);
	return NULL;
}

static int meta_key(const char *name, char *key, size_t size, struct wr_err *err)
{
	if (!name || !*name || strlen(name) > 63)
		return err_set(err, WR_EINVAL, "a baseline's name is 1 to 63 characters");
	snprintf(key, size, "eval_baseline:%s", name);
	return 0;
}

int wr_eval_baseline_save(const char *store_path, const char *name,
                          const struct wr_eval_report *r, struct wr_err *err)
{
	struct store *st = NULL;
	json_t *j = NULL;
	char *text = NULL, key[96], hash[HASH_HEX];
	int rc;

	if ((rc = meta_key(name, key, sizeof(key), err)) < 0)
		return rc;
	if (!store_path)
		store_path = r->store_path;
	if (!(j = report_json(r)) || !(text = json_dumps(j, JSON_COMPACT))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_open(store_path, &st, err)) < 0 ||
	    (rc = store_blob_put(st, text, strlen(text), hash, err)) < 0 ||
	    (rc = store_meta_set(st, key, hash, err)) < 0)
		goto out;
out:
	store_free(st);
	free(text);
	json_decref(j);
	return rc;
}

/* --- comparing --- */

__attribute__((format(printf, 2, 3)))
static void note(struct wr_eval_drift *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n_notes >= BASELINE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(d->notes[d->n_notes++], sizeof(d->notes[0]), fmt, ap);
	va_end(ap);
}

static json_t *find_named(json_t *list, const char *key, const char *name)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x) {
		const char *n = json_string_value(json_object_get(x, key));

		if (n && !strcmp(n, name))
			return x;
	}
	return NULL;
}

static void drift_variant(const struct wr_eval_report *r, int v, json_t *then,
                          struct wr_eval_drift *d)
{
	struct wr_eval_drift_variant *dv = &d->variants[v];
	const char *vname = r->variants[v].name, *hash;
	int per = r->cases * r->repeats, met_then = 0, met_now = 0;

	snprintf(dv->name, sizeof(dv->name), "%s", vname);
	dv->p_value = 1;
	if (!then) {
		note(d, "variant '%s' is not in the baseline", vname);
		return;
	}
	hash = json_string_value(json_object_get(then, "flow_hash"));
	if (hash && strcmp(hash, r->variants[v].flow_hash)) {
		dv->version_changed = 1;
		note(d, "%s%sworkflow version %.12s then, %.12s now", vname, *vname ? ": " : "",
		     hash, r->variants[v].flow_hash);
	}
	for (int i = 0; i < r->cases; i++) {
		const char *cname = r->case_results[v * r->cases + i].name, *s;
		json_t *c = find_named(json_object_get(then, "cases"), "name", cname);
		int lost = 0, gained = 0, n;

		if (!c || !(s = json_string_value(json_object_get(c, "met"))))
			continue;
		n = (int)strlen(s) < r->repeats ? (int)strlen(s) : r->repeats;
		for (int k = 0; k < n; k++) {
			int a = s[k] == '1', b = r->met[v * per + i * r->repeats + k];

			dv->paired++;
			met_then += a;
			met_now += b;
			lost += a && !b;
			gained += !a && b;
		}
		dv->lost += lost;
		dv->gained += gained;
		if (lost > gained)
			note(d, "%s%s%s: lost %d of %d runs' passes (gained %d)", vname,
			     *vname ? "/" : "", cname, lost, n, gained);
	}
	if (dv->paired) {
		dv->rate_then = (double)met_then / dv->paired;
		dv->rate_now = (double)met_now / dv->paired;
	}
	dv->p_value = stats_mcnemar(dv->lost, dv->gained);
	dv->regressed = dv->lost > dv->gained && dv->p_value < 0.05;
	d->regressed |= dv->regressed;
}

/* Each model seen now whose (api_model, fingerprint) the baseline never saw
 * for that model name. */
static void drift_models(const struct wr_eval_report *r, json_t *then_models,
                         struct wr_eval_drift *d)
{
	for (int m = 0; m < r->n_models; m++) {
		const struct wr_eval_model *now = &r->models[m];
		json_t *x, *first = NULL;
		size_t i;
		int same = 0;

		json_array_foreach(then_models, i, x) {
			const char *n = json_string_value(json_object_get(x, "model"));
			const char *a = json_string_value(json_object_get(x, "api_model"));
			const char *f = json_string_value(json_object_get(x, "system_fingerprint"));

			if (!n || !a || !f || strcmp(n, now->model))
				continue;
			if (!first)
				first = x;
			same |= !strcmp(a, now->api_model) && !strcmp(f, now->system_fingerprint);
		}
		if (same)
			continue;
		d->models_changed = 1;
		if (!first)
			note(d, "model '%s' (%s%s%s) was not in the baseline", now->model,
			     now->api_model, *now->system_fingerprint ? ", " : "",
			     now->system_fingerprint);
		else
			note(d, "model '%s' changed: api_model '%s' then, '%s' now; fingerprint "
			     "'%s' then, '%s' now", now->model,
			     json_string_value(json_object_get(first, "api_model")), now->api_model,
			     json_string_value(json_object_get(first, "system_fingerprint")),
			     now->system_fingerprint);
	}
}

int wr_eval_against(const char *store_path, const char *name,
                    const struct wr_eval_report *r, struct wr_eval_drift **out,
                    struct wr_err *err)
{
	struct store *st = NULL;
	struct wr_eval_drift *d = NULL;
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	json_error_t je;
	char key[96], hash[HASH_HEX];
	int rc;

	*out = NULL;
	if ((rc = meta_key(name, key, sizeof(key), err)) < 0)
		return rc;
	if (!store_path)
		store_path = r->store_path;
	if ((rc = store_open(store_path, &st, err)) < 0)
		goto out;
	if ((rc = store_meta_get(st, key, hash, sizeof(hash), err)) < 0) {
		if (rc == WR_ENOTFOUND)
			err_set(err, WR_ENOTFOUND, "no baseline '%s' in %s (keep one with "
			        "--save-baseline %s)", name, store_path, name);
		goto out;
	}
	if ((rc = store_blob_get_verified(st, hash, &b, err)) < 0)
		goto out;
	if (!(j = json_loadb(b.data, b.len, 0, &je)) || !json_is_object(j)) {
		rc = err_set(err, WR_ESTORE, "baseline '%s': %s", name, je.text);
		goto out;
	}
	if (!(d = calloc(1, sizeof(*d))) ||
	    !(d->variants = calloc((size_t)r->n_variants, sizeof(*d->variants))) ||
	    !(d->notes = calloc(BASELINE_MAX_NOTES, sizeof(*d->notes)))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(d->baseline, sizeof(d->baseline), "%s", name);
	d->saved_ms = json_integer_value(json_object_get(j, "saved_ms"));
	d->n_variants = r->n_variants;
	for (int v = 0; v < r->n_variants; v++)
		drift_variant(r, v, find_named(json_object_get(j, "variants"), "name",
		                               r->variants[v].name), d);
	drift_models(r, json_object_get(j, "models"), d);
	*out = d;
	d = NULL;
	rc = 0;
out:
	wr_eval_drift_free(d);
	json_decref(j);
	buf_release(&b);
	store_free(st);
	return rc;
}

void wr_eval_drift_free(struct wr_eval_drift *d)
{
	if (!d)
		return;
	free(d->variants);
	free(d->notes);
	free(d);
}
