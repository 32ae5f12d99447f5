/* os.h: clocks, files and paths. */
#ifndef WR_CORE_OS_H
#define WR_CORE_OS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "warrant.h"

int64_t os_now_ms(void);        /* wall clock, Unix epoch milliseconds */
uint64_t os_mono_ns(void);      /* monotonic clock, nanoseconds */
void os_sleep_ms(int ms);

/* Reads a whole file into out (appending). max caps the size (0: the buf's).
 * Errors: WR_EIO with the path and strerror, WR_ETOOBIG. */
int os_read_file(const char *path, size_t max, struct buf *out, struct wr_err *err);

/* Creates a directory and its parents (mode 0755 before umask). */
int os_mkdir_p(const char *path, struct wr_err *err);

/* The directory part of path ("." when there is none), into out. */
int os_dirname(const char *path, char *out, size_t size);

/* base joined to rel, unless rel is absolute. */
int os_join(const char *base, const char *rel, char *out, size_t size);

/* Writes bytes to a temporary file beside path, fsyncs it, and moves it into
 * place with rename(2) (replace != 0) or link(2) (replace == 0, failing with
 * WR_ESTATE when path exists). The directory is fsynced after. */
int os_write_atomic(const char *path, const void *bytes, size_t len, int replace,
                    struct wr_err *err);

/* Fills buf with n random bytes from getrandom(2). */
int os_random(void *buf, size_t n);

#endif
