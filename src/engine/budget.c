/* budget.c: hard limits on tokens, cost, wall time and calls, checked before
 * each model call and after each step. Zero means no limit. */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine.h"

enum wr_failure budget_before_call(const struct engine *e, int64_t est_tokens,
                                   char *why, size_t size)
{
	const struct spec_budget *b = &e->flow->budget;
	const struct store_run *r = &e->run;

	if (b->calls && r->calls + 1 > b->calls) {
		snprintf(why, size, "budget: another model call would make %" PRId64
		         ", over the limit of %" PRId64, r->calls + 1, b->calls);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	if (b->tokens && r->tokens_in + r->tokens_out + est_tokens > b->tokens) {
		snprintf(why, size, "budget: %" PRId64 " tokens used and about %" PRId64
		         " in the next prompt, over the limit of %" PRId64,
		         r->tokens_in + r->tokens_out, est_tokens, b->tokens);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	return budget_after(e, why, size);
}

enum wr_failure budget_after(const struct engine *e, char *why, size_t size)
{
	const struct spec_budget *b = &e->flow->budget;
	const struct store_run *r = &e->run;
	double secs;

	if (b->tokens && r->tokens_in + r->tokens_out > b->tokens) {
		snprintf(why, size, "budget: %" PRId64 " tokens used, over the limit of %" PRId64,
		         r->tokens_in + r->tokens_out, b->tokens);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	if (b->cost_usd > 0 && r->cost_usd > b->cost_usd) {
		snprintf(why, size, "budget: $%.6f spent, over the limit of $%.6f", r->cost_usd,
		         b->cost_usd);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	if (b->calls && r->calls > b->calls) {
		snprintf(why, size, "budget: %" PRId64 " model calls, over the limit of %" PRId64,
		         r->calls, b->calls);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	secs = engine_seconds(e);
	if (b->seconds > 0 && secs > b->seconds) {
		snprintf(why, size, "budget: %.1f s spent, over the limit of %.1f s", secs,
		         b->seconds);
		return WR_FAIL_BUDGET_EXCEEDED;
	}
	return WR_FAIL_NONE;
}
