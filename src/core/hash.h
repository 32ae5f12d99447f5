/* hash.h: SHA-256 (OpenSSL libcrypto), in hex. */
#ifndef WR_CORE_HASH_H
#define WR_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_HEX 65  /* 64 hex digits and a NUL */

struct hash_ctx {
	void *md;  /* EVP_MD_CTX */
};

/* One-shot: out gets 64 lowercase hex digits and a NUL. */
void hash_hex(const void *data, size_t len, char out[HASH_HEX]);

/* Streaming. hash_begin returns 0 or WR_ENOMEM; hash_end frees the context. */
int hash_begin(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Feeds a length-prefixed field, so that ("ab","c") and ("a","bc") differ. */
void hash_field(struct hash_ctx *h, const void *data, size_t len);
void hash_end(struct hash_ctx *h, char out[HASH_HEX]);

/* True when s is 64 lowercase hex digits. */
int hash_is_hex(const char *s);

#endif
