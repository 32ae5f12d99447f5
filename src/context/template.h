/* template.h: prompt templates.
 *
 * A template is text with {{ name }} variables; names are dotted paths:
 * contract, inputs.NAME, steps.ID.output. "{{{{" writes a literal "{{".
 * Rendering never evaluates anything: a variable is replaced by the bytes
 * the lookup gives for it.
 *
 * One kind of block repeats text over a JSON list:
 *
 *     {{#each steps.find.output results}}[{{.id}}] {{.text}}
 *     {{/each}}
 *
 * "#each NAME [KEY.KEY...]" takes the variable's value as JSON and, when
 * keys follow, the list under them; the body is rendered once per item,
 * with "{{.}}" the item and "{{.key}}" one of its fields (strings as they
 * are, anything else as compact JSON). Blocks do not nest. */
#ifndef WR_CONTEXT_TEMPLATE_H
#define WR_CONTEXT_TEMPLATE_H

#include <stddef.h>

#include "core/buf.h"
#include "warrant.h"

/* Calls fn for each variable in tpl with its trimmed name (not
 * NUL-terminated: name, len) and its byte offset in tpl. Stops when fn
 * returns non-zero and returns that. An unterminated "{{" is reported to fn
 * with len == 0 at its offset. */
int tpl_each_var(const char *tpl,
                 int (*fn)(void *ud, const char *name, size_t len, size_t offset),
                 void *ud);

/* Renders tpl into out. lookup returns the value of a variable (NUL-terminated
 * name) or NULL when it is unknown, which fails the render with WR_ESPEC. */
int tpl_render(const char *tpl, const char *(*lookup)(void *ud, const char *name),
               void *ud, struct buf *out, struct wr_err *err);

#endif
