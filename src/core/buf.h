/* buf.h: a growable byte string.
 *
 * Invariants: data is never NULL and always NUL-terminated (data[len] == 0);
 * an initialised, empty buf points at a shared static "" and owns nothing.
 * A buf refuses to grow past max bytes (0 means BUF_MAX_DEFAULT) and then
 * returns WR_ETOOBIG, leaving its contents as they were. */
#ifndef WR_CORE_BUF_H
#define WR_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_MAX_DEFAULT ((size_t)256 << 20) /* 256 MiB */

struct buf {
	char *data;
	size_t len;  /* bytes in use, not counting the NUL */
	size_t cap;  /* bytes allocated; 0 while data is the static "" */
	size_t max;  /* growth cap in bytes; 0: BUF_MAX_DEFAULT */
};

#define BUF_INIT { buf_empty_, 0, 0, 0 }
extern char buf_empty_[];

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);          /* len = 0, keeps the memory */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Hands the bytes to the caller (free() them) and leaves b empty. Never NULL:
 * an empty buf yields a fresh "" allocation, or NULL only on ENOMEM. */
char *buf_detach(struct buf *b, size_t *len);

#endif
