/* check.h: deterministic checks on an artifact's bytes. */
#ifndef WR_CHECK_CHECK_H
#define WR_CHECK_CHECK_H

#include <stddef.h>

#include "spec/spec.h"
#include "warrant.h"

struct check_result {
	int passed;
	enum wr_failure failure;  /* NONE when passed */
	char reason[512];         /* why it passed or failed, for people */
};

/* Prepares a check once at load time (compiles a regex). On a bad pattern
 * returns WR_ESPEC with the message in err (no position: the caller adds it). */
int check_compile(struct spec_check *c, struct wr_err *err);
/* Frees what check_compile made. */
void check_release(struct spec_check *c);

/* Runs c on bytes. Never fails: a check that cannot run fails with a reason. */
void check_run(const struct spec_check *c, const char *bytes, size_t len,
               struct check_result *res);

#endif
