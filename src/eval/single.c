/* single.c: a suite that tests one prompt and one model, not a workflow.
 *
 *     name: greet
 *     prompt: "Say hello to {{inputs.name}} as JSON."
 *     model: {provider: openai, model: gpt-4o-mini, temperature: 0}
 *     schema: {type: object, required: [greeting]}     # optional
 *     cases:
 *       - {inputs: {name: Ada}, assert: [{contains: Ada}]}
 *
 * The suite's workflow is built from them: one generate step with the
 * prompt (and the schema as its output_schema), inputs named by the cases,
 * and written beside the suite as .NAME.flow.yaml, so that relative paths
 * in the model resolve as they would for a workflow there, and so a person
 * can read, run or lint what was evaluated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "eval/suite.h"

/* Every input a case names, once, as {name: {description, default: ""}}. */
static json_t *inputs_of(const struct wr_suite *s)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < s->n_cases; i++)
		for (size_t j = 0; j < s->cases[i].n_inputs; j++)
			if (!json_object_get(o, s->cases[i].inputs[j].name))
				json_object_set_new(o, s->cases[i].inputs[j].name,
				                    json_pack("{s:s,s:s}", "description", "a case's input",
				                              "default", ""));
	return o;
}

int suite_single_flow(struct wr_suite *s, const char *prompt, const char *model,
                      const char *schema, struct wr_err *err)
{
	json_t *m = json_loads(model, 0, NULL), *sc = schema ? json_loads(schema, JSON_DECODE_ANY,
	                                                                   NULL) : NULL;
	json_t *step = json_pack("{s:s,s:s,s:s,s:s}", "id", "answer", "kind", "generate", "model",
	                         "model", "prompt", prompt);
	json_t *flow = NULL;
	const char *base = strrchr(s->path, '/');
	char name[512], path[4096], *text = NULL;
	int rc;

	if (!json_is_object(m)) {
		rc = err_set(err, WR_ESPEC, "%s: model is a mapping (provider, model, ...)", s->path);
		goto out;
	}
	if (schema && !sc) {
		rc = err_set(err, WR_ESPEC, "%s: schema is a JSON Schema or a file name", s->path);
		goto out;
	}
	if (sc)
		json_object_set(step, "output_schema", sc);
	flow = json_pack("{s:s,s:{s:s},s:o,s:{s:O},s:[O]}", "name", s->name ? s->name : "suite",
	                 "contract", "purpose", "answer the prompt under evaluation", "inputs",
	                 inputs_of(s), "models", "model", m, "steps", step);
	base = base ? base + 1 : s->path;
	snprintf(name, sizeof(name), ".%.*s.flow.yaml",
	         (int)(strrchr(base, '.') ? (size_t)(strrchr(base, '.') - base) : strlen(base)),
	         base);
	/* JSON is YAML: the file is the flow in its flow style */
	if (!flow || !(text = json_dumps(flow, JSON_INDENT(2) | JSON_REAL_PRECISION(15))) ||
	    os_join(s->dir, name, path, sizeof(path)) < 0) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = os_write_atomic(path, text, strlen(text), 1, err)) < 0)
		goto out;
	free(s->workflow);
	rc = (s->workflow = strdup(path)) ? 0 : err_set(err, WR_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(flow);
	json_decref(step);
	json_decref(m);
	json_decref(sc);
	return rc;
}
