/* expr.h: the expression language of 'expr' checks. Safe by design: it
 * reads the artifact's JSON and nothing else (no I/O, no loops, no calls
 * but the built-ins), and every evaluation ends.
 *
 *     expr    := or
 *     or      := and ('or' and)*
 *     and     := not ('and' not)*
 *     not     := 'not' not | compare
 *     compare := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?
 *     sum     := product (('+'|'-') product)*
 *     product := unary (('*'|'/'|'%') unary)*
 *     unary   := '-' unary | primary
 *     primary := NUMBER | 'string' | "string" | true | false | null
 *              | '(' expr ')' | FUNC '(' expr ')' | PATH (see jpath.h)
 *     FUNC    := length | sum | min | max | abs | count
 *
 * A path with a wildcard is the list of what it selects; a path that
 * selects nothing is null. Numbers compare equal within a relative 1e-9, so
 * sums of decimal amounts behave as people expect. */
#ifndef WR_CHECK_EXPR_H
#define WR_CHECK_EXPR_H

#include <jansson.h>
#include <stddef.h>

#include "warrant.h"

struct expr;

/* Parses src. On a syntax error returns WR_ESPEC with the message in err and
 * the offset of the offending byte in *off. *out is the caller's (expr_free). */
int expr_parse(const char *src, struct expr **out, size_t *off, struct wr_err *err);
void expr_free(struct expr *x);

/* Evaluates x over doc (borrowed). Returns 1 when it is true, 0 when false,
 * -1 when it cannot be evaluated (a type error): why says what happened. */
int expr_eval(const struct expr *x, json_t *doc, char *why, size_t size);

#endif
