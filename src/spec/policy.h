/* policy.h: the organisation policy inside the loader (private to src/spec).
 * policy.c finds and reads the file; policy_apply.c narrows the flow by it
 * and reports what it forbids. */
#ifndef WR_SPEC_POLICY_H
#define WR_SPEC_POLICY_H

#include "spec/spec_int.h"

/* never_send: joined to the flow's context.exclude when applied. */
struct policy_never {
	const char **files;
	size_t n_files;
	const char **patterns;
	size_t n_patterns;
	struct spec_pos patterns_pos;
};

void policy_apply(struct ld *ld, const struct spec_policy *p, const struct policy_never *nv);

#endif
