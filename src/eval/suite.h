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

#include <stddef.h>

#include "warrant.h"

struct suite_case {
	char *name;
	struct wr_input *inputs;
	size_t n_inputs;
	int expect_pass;             /* 1: the artifacts must pass; 0: the run must fail */
	int expect_failure;          /* with expect_pass 0: this class, or -1 for any */
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
};

#endif
