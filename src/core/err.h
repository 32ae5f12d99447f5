/* err.h: filling struct wr_err, and the names of enums. */
#ifndef WR_CORE_ERR_H
#define WR_CORE_ERR_H

#include "warrant.h"

/* Sets err (when not NULL) to code and a printf-formatted message, truncating
 * to WR_ERR_MAX. Returns code, so callers can write `return err_set(...)`. */
int err_set(struct wr_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with a printf-formatted context and
 * ": ". Returns err->code (or WR_EINVAL when err is NULL). */
int err_wrap(struct wr_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct wr_err *err);

/* Index of s in names[0..n), or -1. */
int name_index(const char *const *names, int n, const char *s);

#endif
