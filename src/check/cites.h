/* cites.h: text normalisation for 'cites' checks (see cites.c). */
#ifndef WR_CHECK_CITES_H
#define WR_CHECK_CITES_H

#include <stddef.h>

#include "core/buf.h"
#include "warrant.h"

/* Appends the normal form of text[0..len) to out. Returns 0, or WR_ENOMEM /
 * WR_ETOOBIG when out cannot grow. */
int cites_normalize(const char *text, size_t len, struct buf *out);

#endif
