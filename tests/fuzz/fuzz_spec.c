/* fuzz_spec.c: libFuzzer target for the workflow loader.
 *
 *     make fuzz && build/fuzz_spec -max_total_time=120 tests/cases/spec
 *
 * The bytes are loaded as if they were tests/cases/spec/fuzz.yaml, so the
 * files the corpus names (data/responses.yaml, data/bad.prompt) resolve. The
 * loader must return 0, WR_ESPEC or WR_ETOOBIG, never crash, leak or print. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ud, const char *msg)
{
	(void)ud;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_params params = { .on_problem = ignore, .ud = NULL };
	struct spec_flow *flow = NULL;
	struct wr_err err = { 0, "" };
	int rc = spec_load_bytes("tests/cases/spec/fuzz.yaml", (const char *)data, size,
	                         &params, &flow, &err);

	if (rc != 0 && rc != WR_ESPEC && rc != WR_ETOOBIG)
		abort();
	if ((rc == 0) != (flow != NULL))
		abort();
	if (flow && spec_step_find(flow, flow->n_steps ? flow->steps[0].id : "x") < 0 &&
	    flow->n_steps)
		abort();
	spec_free(flow);
	return 0;
}
