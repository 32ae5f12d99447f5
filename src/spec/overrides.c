/* overrides.c: an eval variant's changes merged into a workflow's bytes
 * before it loads: model settings (models:) and prompts of generate steps.
 * The merged bytes are the flow's source, so its version hash and the bytes
 * kept with each run are the variant's. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libfyaml.h>

#include "core/buf.h"
#include "core/err.h"
#include "spec/spec_int.h"

#define OVERRIDE_MAX_VALUES 256

/* The JSON texts of the values: libfyaml keeps pointing into them until the
 * document is written out, so they live as long as it does. */
struct kept {
	char *text[OVERRIDE_MAX_VALUES];
	size_t n;
};

/* One model's keys from ov (a JSON object) set into its YAML mapping. */
static int override_model(struct fy_document *doc, struct fy_node *m, json_t *ov,
                          struct kept *kept, const char *path, const char *name,
                          struct wr_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach(ov, k, v) {
		char *text;
		struct fy_node *val;
		struct fy_node_pair *pair = fy_node_mapping_lookup_pair_by_string(m, k, FY_NT);
		int bad;

		if (kept->n >= OVERRIDE_MAX_VALUES)
			return err_set(err, WR_ESPEC, "%s: more than %d overridden values", path,
			               OVERRIDE_MAX_VALUES);
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		if (!text)
			return err_set(err, WR_ENOMEM, "out of memory");
		kept->text[kept->n++] = text;
		if (!(val = fy_node_build_from_string(doc, text, FY_NT)))
			return err_set(err, WR_ESPEC, "%s: override of model '%s': bad value for '%s'",
			               path, name, k);
		bad = pair ? fy_node_pair_set_value(pair, val)
		           : fy_node_mapping_append(m, fy_node_create_scalar_copy(doc, k, FY_NT), val);
		if (bad) {
			fy_node_free(val);
			return err_set(err, WR_ENOMEM, "%s: cannot override '%s' of model '%s'", path, k,
			               name);
		}
	}
	return 0;
}

/* {STEP: "prompt"}: each named generate step's prompt replaced (and its
 * prompt_file dropped). */
static int override_prompts(struct fy_document *doc, const char *overrides, struct kept *kept,
                            const char *path, struct wr_err *err)
{
	struct fy_node *steps = fy_node_by_path(fy_document_root(doc), "/steps", FY_NT,
	                                        FYNWF_DONT_FOLLOW);
	json_error_t je;
	json_t *o = json_loads(overrides, 0, &je), *v;
	const char *id;
	int rc = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, WR_EINVAL, "prompt overrides: not a JSON object: %s", je.text);
	}
	json_object_foreach(o, id, v) {
		struct fy_node *st = NULL, *item, *val;
		struct fy_node_pair *pair;
		void *it = NULL;

		while (steps && fy_node_is_sequence(steps) &&
		       (item = fy_node_sequence_iterate(steps, &it)) != NULL) {
			const char *sid = fy_node_mapping_lookup_scalar0_by_simple_key(item, "id", 2);

			if (fy_node_is_mapping(item) && sid && !strcmp(sid, id))
				st = item;
		}
		if (!st || !json_is_string(v)) {
			rc = err_set(err, WR_ESPEC, "%s: no step '%s' to give a prompt (or its prompt "
			             "is not a string)", path, id);
			break;
		}
		if (kept->n >= OVERRIDE_MAX_VALUES) {
			rc = err_set(err, WR_ESPEC, "%s: more than %d overridden values", path,
			             OVERRIDE_MAX_VALUES);
			break;
		}
		if (!(kept->text[kept->n] = json_dumps(v, JSON_ENCODE_ANY))) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			break;
		}
		/* a JSON string is a YAML double-quoted scalar */
		val = fy_node_build_from_string(doc, kept->text[kept->n++], FY_NT);
		if ((pair = fy_node_mapping_lookup_pair_by_string(st, "prompt_file", FY_NT)))
			fy_node_mapping_remove(st, pair);
		pair = fy_node_mapping_lookup_pair_by_string(st, "prompt", FY_NT);
		if (!val || (pair ? fy_node_pair_set_value(pair, val)
		                  : fy_node_mapping_append(st, fy_node_create_scalar_copy(doc,
		                                           "prompt", FY_NT), val))) {
			rc = err_set(err, WR_ENOMEM, "%s: cannot set the prompt of step '%s'", path, id);
			break;
		}
	}
	json_decref(o);
	return rc;
}

/* The file's bytes with a variant's overrides merged in (models: and the
 * steps' prompts), as new bytes in out. */
int ld_apply_overrides(const char *path, const struct buf *in,
                       const struct spec_params *params, struct buf *out, struct wr_err *err)
{
	const char *overrides = params->model_overrides ? params->model_overrides : "{}";
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	struct fy_document *doc = NULL;
	struct fy_node *models;
	json_error_t je;
	json_t *o = json_loads(overrides, 0, &je), *ov;
	struct kept kept = { { NULL }, 0 };
	const char *name;
	char *text = NULL;
	int rc = WR_ESPEC;

	if (!json_is_object(o)) {
		err_set(err, WR_EINVAL, "model overrides: not a JSON object: %s", je.text);
		goto out;
	}
	if (!(doc = fy_document_build_from_string(&cfg, in->data, in->len))) {
		err_set(err, WR_ESPEC, "%s: not YAML, so no variant can be merged into it", path);
		goto out;
	}
	models = doc ? fy_node_by_path(fy_document_root(doc), "/models", FY_NT, FYNWF_DONT_FOLLOW)
	             : NULL;
	json_object_foreach(o, name, ov) {
		struct fy_node *m = models ? fy_node_mapping_lookup_by_string(models, name, FY_NT)
		                           : NULL;

		if (!m || !fy_node_is_mapping(m) || !json_is_object(ov)) {
			err_set(err, WR_ESPEC, "%s: no model '%s' to override (or its override is not "
			        "a mapping)", path, name);
			goto out;
		}
		if ((rc = override_model(doc, m, ov, &kept, path, name, err)) < 0)
			goto out;
		rc = WR_ESPEC;
	}
	if (params->prompt_overrides &&
	    (rc = override_prompts(doc, params->prompt_overrides, &kept, path, err)) < 0)
		goto out;
	if (!(text = fy_emit_document_to_string(doc, FYECF_MODE_BLOCK | FYECF_WIDTH_INF))) {
		rc = err_set(err, WR_ENOMEM, "%s: cannot write the merged workflow", path);
		goto out;
	}
	buf_reset(out);
	buf_add(out, text, strlen(text));
	rc = 0;
out:
	free(text);
	fy_document_destroy(doc);
	for (size_t i = 0; i < kept.n; i++)
		free(kept.text[i]);
	json_decref(o);
	return rc;
}

