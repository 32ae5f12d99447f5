/* check.h: deterministic checks on an artifact's bytes. */
#ifndef WR_CHECK_CHECK_H
#define WR_CHECK_CHECK_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "spec/spec.h"
#include "warrant.h"

struct check_result {
	int passed;
	enum wr_failure failure;  /* NONE when passed */
	char reason[512];         /* why it passed or failed, for people */
};

/* What a check may read besides the artifact. */
struct check_ctx {
	json_t *inputs;           /* the run's inputs (cites with input:), or NULL */
	const char *dir;          /* the workflow's directory (command), or NULL */
	/* cites with retrieved: the text of that retrieve step's chunks into
	 * out; 0, or -1 when the step has none. NULL: no such source. */
	int (*retrieved)(void *ud, const char *step, int ids, struct buf *out);
	void *ud;
};

/* Prepares a check once at load time: compiles a regex, a schema (c->arg,
 * JSON text) or an expression, and checks cites paths. On a bad one returns
 * WR_ESPEC with the message in err (no position: the caller adds it). */
int check_compile(struct spec_check *c, struct wr_err *err);
/* The same, with the offset into c->arg of the problem in *off (0 unless
 * an expression or path). */
int check_compile_at(struct spec_check *c, size_t *off, struct wr_err *err);
/* Frees what check_compile made. */
void check_release(struct spec_check *c);

/* Runs c on bytes. Never fails: a check that cannot run fails with a reason
 * and a class (tool_error when a command cannot start). A critique is not
 * run here (it needs a model; the engine runs it): it fails. */
void check_run(const struct spec_check *c, const char *bytes, size_t len,
               struct check_result *res);
void check_run_ctx(const struct spec_check *c, const struct check_ctx *ctx,
                   const char *bytes, size_t len, struct check_result *res);

/* 1 for checks that decide by themselves (all but critique). */
int check_is_deterministic(const struct spec_check *c);

#endif
