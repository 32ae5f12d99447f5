/* suite.h: an eval suite, loaded from YAML.
 *
 *     name: invoices
 *     workflow: flow.yaml        # the workflow under test, beside the suite
 *     repeats: 3                 # runs per case (model output varies)
 *     concurrency: 4             # runs at once
 *     threshold: 0.8             # the 95% interval's lower bound must reach it
 *     cases:                     # inline, or a file: cases.jsonl / cases.csv
 *       - name: clean invoice
 *         inputs: {invoice: "INVOICE 1 ..."}
 *         expect: pass           # pass (default), fail, or a failure class
 *         assert:                # and what the artifact must hold (assert.c)
 *           - {equals: ACME, path: vendor}
 *           - {number: 120.5, tolerance: 0.01, path: total}
 *
 *     variants:                  # optional: the same cases under other models
 *       - name: small
 *         models: {extract: {model: small-1, temperature: 0.2}}
 *         threshold: 0.6         # optional, else the suite's
 *       - name: terse
 *         prompts: {extract: "Extract the fields as JSON.\n{{inputs.invoice}}"}
 *         # or prompt_files: {extract: prompts/terse.txt} (beside the suite)
 *
 * A JSONL file holds one case per line ({"name", "inputs", "expect"}); a CSV
 * file has a header row naming the inputs, plus optional "name" and
 * "expect" columns. */
#ifndef WR_EVAL_SUITE_H
#define WR_EVAL_SUITE_H

#include <jansson.h>
#include <stddef.h>

#include "spec/spec.h"
#include "warrant.h"

/* An assertion about the artifact a case's run made (assert.c). */
enum assert_kind { ASSERT_EQUALS, ASSERT_NUMBER, ASSERT_SIMILAR, ASSERT_CHECK };

struct suite_assert {
	enum assert_kind kind;
	char *path;                  /* a JSON path into the artifact, or NULL: all of it */
	char *of;                    /* the generate step, or NULL: the last one */
	json_t *value;               /* expected value (equals, number, similar) */
	double tolerance;            /* number: absolute, or relative when relative */
	int relative;
	double threshold;            /* similar: 0..1 */
	struct spec_check check;     /* ASSERT_CHECK: compiled */
	char *text;                  /* the check's argument, owned */
	int compiled;
};

/* Parses {equals|number|similar|contains|not_contains|regex|json|schema|expr:
 * ..., path:, of:, tolerance:, threshold:}; -1 with why in out. */
int assert_parse(json_t *o, struct suite_assert *a, char *out, size_t size);
void assert_release(struct suite_assert *a);
/* 1 when the artifact's bytes satisfy a, else 0; reason says why either way. */
int assert_run(const struct suite_assert *a, const char *bytes, size_t len, char *reason,
               size_t size);

struct suite_case {
	char *name;
	struct wr_input *inputs;
	size_t n_inputs;
	int expect_pass;             /* 1: the artifacts must pass; 0: the run must fail */
	int expect_failure;          /* with expect_pass 0: this class, or -1 for any */
	struct suite_assert *asserts;/* what the artifact must hold (assert:) */
	size_t n_asserts;
};

#define SUITE_MAX_VARIANTS 32

struct suite_variant {
	char *name;
	char *overrides;             /* JSON {MODEL: {key: value}} for wr_flow_params */
	char *prompts;               /* JSON {STEP: prompt}, or NULL */
	double threshold;            /* -1: the suite's */
};

struct wr_suite {
	char *path, *dir;
	char *name;
	char *workflow;              /* resolved against dir */
	int repeats, concurrency;
	double threshold;            /* 0: none */
	struct suite_case *cases;
	size_t n_cases;
	struct suite_variant *variants;  /* none: the workflow as written */
	size_t n_variants;
	struct suite_assert *asserts;    /* assert: at the top, for every case */
	size_t n_asserts;
};

/* A suite with prompt: and model: instead of workflow: gets a workflow
 * built from them (single.c), written beside it; s->workflow names it. */
int suite_single_flow(struct wr_suite *s, const char *prompt, const char *model,
                      const char *schema, struct wr_err *err);

#endif
