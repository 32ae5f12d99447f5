/* hash.c: SHA-256 through OpenSSL's EVP interface. */
#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#include "warrant.h"

/* SHA-256 fetched once: an implicit fetch on every digest takes a lock and
 * a table look-up, which costs as much as hashing a short record. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md ? sha256_md : EVP_sha256();
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void hash_hex(const void *data, size_t len, char out[HASH_HEX])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	unsigned int n = 0;

	EVP_Digest(data, len, d, &n, sha256(), NULL);
	to_hex(d, SHA256_DIGEST_LENGTH, out);
}

int hash_begin(struct hash_ctx *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	h->md = c;
	if (!c)
		return WR_ENOMEM;
	if (EVP_DigestInit_ex(c, sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		h->md = NULL;
		return WR_ENOMEM;
	}
	return 0;
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	if (h->md && len)
		EVP_DigestUpdate(h->md, data, len);
}

void hash_field(struct hash_ctx *h, const void *data, size_t len)
{
	unsigned char n[8];

	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	hash_update(h, n, sizeof(n));
	hash_update(h, data, len);
}

void hash_end(struct hash_ctx *h, char out[HASH_HEX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!h->md) {
		out[0] = '\0';
		return;
	}
	EVP_DigestFinal_ex(h->md, d, &n);
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	to_hex(d, n, out);
}

int hash_is_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}
