/* diff.h: a line diff of two texts, for people (warrant diff).
 *
 * Lines come out as "  same", "- removed", "+ added", in order, with at
 * most `context` unchanged lines kept around each change ("  ..." marks
 * what was left out). Texts longer than DIFF_MAX_LINES lines are not
 * compared line by line: the whole of each is shown as removed and added. */
#ifndef WR_CORE_DIFF_H
#define WR_CORE_DIFF_H

#include "core/buf.h"

#define DIFF_MAX_LINES 2000

/* Appends the diff of a and b (NUL-terminated) to out, each line prefixed
 * with indent. Returns the number of changed lines, or -1 out of memory. */
int diff_lines(const char *a, const char *b, int context, const char *indent,
               struct buf *out);

#endif
