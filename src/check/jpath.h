/* jpath.h: JSON paths, the small subset the checks need.
 *
 *     $                  the whole document
 *     total              a member of the root object ("$." may precede it)
 *     items[0].amount    an array item, then a member
 *     items[*].amount    every item: a wildcard selects many values
 *     meta["odd key"]    a member whose name is not an identifier
 *     claims.*           every member value of an object
 *
 * Negative indexes count from the end. A path that names nothing selects
 * nothing (no error). */
#ifndef WR_CHECK_JPATH_H
#define WR_CHECK_JPATH_H

#include <jansson.h>
#include <stddef.h>

/* Length of the path that starts at s (at most len bytes), or 0 when s
 * does not start a valid path, with the offset of the bad byte in *bad and
 * why in why[size]. Stops at the first byte that cannot continue it. */
size_t jpath_scan(const char *s, size_t len, size_t *bad, char *why, size_t size);

/* Appends to out (an array) every value the path s[0..len) selects in doc
 * (borrowed). Returns 1 when the path has a wildcard, 0 when not, -1 when it
 * is malformed or memory runs out. */
int jpath_select(const char *s, size_t len, json_t *doc, json_t *out);

#endif
