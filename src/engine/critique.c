/* critique.c: a second model scores an artifact against a rubric.
 *
 * A critique is procedural evidence, not a proof: its score and findings go
 * to the checks table and the ledger, a score under the threshold fails the
 * check step, and a passing score adds nothing that could outweigh a failing
 * deterministic check (step_check decides on those alone first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"

#define CRITIQUE_SYSTEM \
	"You review an artifact against a rubric. Be strict and specific. Answer " \
	"with JSON only, in this form: {\"score\": a number from 0 (fails the rubric) " \
	"to 1 (meets every point), \"findings\": [\"one short finding per problem\"]}."

/* In the subset OpenAI's strict mode accepts (so no minimum/maximum: the
 * range is checked here). */
#define CRITIQUE_SCHEMA \
	"{\"type\":\"object\",\"required\":[\"score\",\"findings\"],\"additionalProperties\":false," \
	"\"properties\":{\"score\":{\"type\":\"number\"}," \
	"\"findings\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}"

/* The verdict inside a model's answer: the outermost {...}, as JSON. */
static json_t *verdict(const struct buf *text)
{
	const char *a = memchr(text->data, '{', text->len);
	const char *b;

	if (!a)
		return NULL;
	b = text->data + text->len - 1;
	while (b > a && *b != '}')
		b--;
	if (b <= a)
		return NULL;
	return json_loadb(a, (size_t)(b - a + 1), 0, NULL);
}

static void set(struct check_result *res, int passed, enum wr_failure f, const char *msg)
{
	res->passed = passed;
	res->failure = passed ? WR_FAIL_NONE : f;
	snprintf(res->reason, sizeof(res->reason), "%s", msg);
}

int critique_run(struct engine *e, const char *step_id, const struct spec_check *c,
                 const char *bytes, size_t len, struct engine_call *call,
                 struct check_result *res, json_t **evidence, struct wr_err *err)
{
	struct buf prompt = BUF_INIT, msg = BUF_INIT;
	const struct spec_model *m = &e->flow->models[c->model_index];
	json_t *v = NULL, *findings, *item;
	enum wr_failure over;
	char why[256];
	double score;
	size_t k;
	int rc = 0;

	*evidence = NULL;
	buf_printf(&prompt, "Rubric:\n%s\n\nArtifact (%zu bytes):\n", c->rubric, len);
	buf_add(&prompt, bytes, len);
	buf_adds(&prompt, "\n");
	over = budget_before_call(e, provider_estimate_tokens(prompt.data) +
	                          provider_estimate_tokens(CRITIQUE_SYSTEM), why, sizeof(why));
	if (over != WR_FAIL_NONE) {
		set(res, 0, over, why);
		goto out;
	}
	if ((rc = engine_call_ask(e, c->model_index, step_id, CRITIQUE_SYSTEM, prompt.data,
	                          CRITIQUE_SCHEMA, 1, call, err)) < 0)
		goto out;
	if (call->resp.failure != WR_FAIL_NONE) {
		snprintf(why, sizeof(why), "critique by '%.40s' failed: %.180s", m->name,
		         call->resp.detail);
		set(res, 0, call->resp.failure, why);
		goto out;
	}
	v = verdict(&call->resp.text);
	if (!v || !json_is_number(json_object_get(v, "score")) ||
	    (score = json_number_value(json_object_get(v, "score"))) < 0 || score > 1) {
		snprintf(why, sizeof(why), "critique by '%s' gave no score from 0 to 1", m->name);
		set(res, 0, WR_FAIL_CHECK_FAILED, why);
		goto out;
	}
	findings = json_object_get(v, "findings");
	buf_printf(&msg, "critique by '%s': score %.2f %s threshold %.2f", m->name, score,
	           score >= c->threshold ? ">=" : "<", c->threshold);
	for (k = 0; k < json_array_size(findings); k++)
		if (json_is_string(item = json_array_get(findings, k)))
			buf_printf(&msg, "%s%s", k ? "; " : "; findings: ", json_string_value(item));
	set(res, score >= c->threshold, WR_FAIL_CHECK_FAILED, msg.data);
	*evidence = json_pack("{s:s,s:f,s:f,s:O,s:b}", "model", m->name, "score", score,
	                      "threshold", c->threshold,
	                      "findings", json_is_array(findings) ? findings : json_null(),
	                      "procedural", 1);
out:
	json_decref(v);
	buf_release(&prompt);
	buf_release(&msg);
	return rc;
}
