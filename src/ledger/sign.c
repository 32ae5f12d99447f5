/* sign.c: Ed25519 keys and signatures (OpenSSL libcrypto). */
#include "ledger/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/err.h"

struct signer {
	EVP_PKEY *key;
	char key_id[HASH_HEX];
	char pub_pem[PUB_PEM];
};

void sign_b64(const void *data, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

/* Decodes standard base64 into out (at most size bytes). Returns the length,
 * or -1 when s is not base64 or too long. */
static int b64_decode(const char *s, unsigned char *out, size_t size)
{
	unsigned char tmp[128];
	size_t n = strlen(s), pad = 0;
	int len;

	if (n == 0 || n % 4 || n / 4 * 3 > sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	if (len < 0 || (size_t)len < pad || (size_t)len - pad > size)
		return -1;
	len -= (int)pad;
	memcpy(out, tmp, (size_t)len);
	return len;
}

static int raw_id(EVP_PKEY *k, char key_id[HASH_HEX])
{
	unsigned char raw[32];
	size_t n = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != sizeof(raw))
		return -1;
	hash_hex(raw, n, key_id);
	return 0;
}

/* PEM text of k's public key into out. */
static int public_pem(EVP_PKEY *k, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -1;

	if (b && PEM_write_bio_PUBKEY(b, k) == 1 && (n = BIO_get_mem_data(b, &p)) > 0 &&
	    (size_t)n < size) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		rc = 0;
	}
	BIO_free(b);
	return rc;
}

/* Writes len bytes to a new file at path with mode; never replaces one. */
static int write_new(const char *path, const void *bytes, size_t len, mode_t mode,
                     struct wr_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const char *p = bytes;

	if (fd < 0)
		return err_set(err, errno == EEXIST ? WR_ESTATE : WR_EIO, "%s: %s%s", path,
		               strerror(errno), errno == EEXIST ? " (a key is never overwritten)"
		                                                : "");
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			close(fd);
			unlink(path);
			return err_set(err, WR_EIO, "%s: %s", path, strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		return err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

int sign_keygen(const char *path, char key_id[HASH_HEX], struct wr_err *err)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *b = BIO_new(BIO_s_secmem());
	char pub[PUB_PEM], pub_path[4096], id[HASH_HEX];
	char *p;
	long n;
	int rc;

	if (!k || !b || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0 || public_pem(k, pub, sizeof(pub)) < 0 ||
	    raw_id(k, id) < 0) {
		rc = err_set(err, WR_ENOMEM, "could not make an Ed25519 key");
		goto out;
	}
	if ((size_t)snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >= sizeof(pub_path)) {
		rc = err_set(err, WR_EINVAL, "%s: path too long", path);
		goto out;
	}
	if (access(pub_path, F_OK) == 0) {
		rc = err_set(err, WR_ESTATE, "%s: exists (a key is never overwritten)", pub_path);
		goto out;
	}
	if ((rc = write_new(path, p, (size_t)n, 0600, err)) < 0)
		goto out;
	if ((rc = write_new(pub_path, pub, strlen(pub), 0644, err)) < 0)
		unlink(path);
	else
		memcpy(key_id, id, HASH_HEX);
out:
	BIO_free(b);  /* secure memory: cleared on free */
	EVP_PKEY_free(k);
	return rc;
}

int signer_load(const char *path, struct signer **out, struct wr_err *err)
{
	struct signer *s;
	BIO *b;
	EVP_PKEY *k;

	*out = NULL;
	if (!(b = BIO_new_file(path, "r")))
		return err_set(err, WR_EIO, "signing key %s: %s", path, strerror(errno));
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k || !EVP_PKEY_is_a(k, "ED25519")) {
		EVP_PKEY_free(k);
		return err_set(err, WR_EINVAL, "signing key %s: not an Ed25519 private key in PEM "
		               "(make one with 'warrant keygen')", path);
	}
	if (!(s = calloc(1, sizeof(*s))) || raw_id(k, s->key_id) < 0 ||
	    public_pem(k, s->pub_pem, sizeof(s->pub_pem)) < 0) {
		free(s);
		EVP_PKEY_free(k);
		return err_set(err, WR_ENOMEM, "out of memory");
	}
	s->key = k;
	*out = s;
	return 0;
}

void signer_free(struct signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s);
}

const char *signer_key_id(const struct signer *s)
{
	return s->key_id;
}

const char *signer_public_pem(const struct signer *s)
{
	return s->pub_pem;
}

int signer_sign(const struct signer *s, const void *msg, size_t len, char sig[SIG_B64],
                struct wr_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char raw[64];
	size_t n = sizeof(raw);
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
	         EVP_DigestSign(ctx, raw, &n, msg, len) == 1 && n == sizeof(raw);

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return err_set(err, WR_ENOMEM, "signing failed");
	sign_b64(raw, n, sig);
	return 0;
}

static EVP_PKEY *read_public(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (k && !EVP_PKEY_is_a(k, "ED25519")) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

int sign_public_id(const char *pem, char key_id[HASH_HEX], struct wr_err *err)
{
	EVP_PKEY *k = read_public(pem);
	int rc = k && raw_id(k, key_id) == 0 ? 0 : err_set(err, WR_EINVAL,
	                                                    "not an Ed25519 public key in PEM");

	EVP_PKEY_free(k);
	return rc;
}

struct pubkey {
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
};

int pubkey_load(const char *pem, struct pubkey **out, struct wr_err *err)
{
	struct pubkey *k;

	*out = NULL;
	if (!(k = calloc(1, sizeof(*k))))
		return err_set(err, WR_ENOMEM, "out of memory");
	if (!(k->key = read_public(pem))) {
		free(k);
		return err_set(err, WR_EINVAL, "not an Ed25519 public key in PEM");
	}
	if (!(k->ctx = EVP_MD_CTX_new())) {
		pubkey_free(k);
		return err_set(err, WR_ENOMEM, "out of memory");
	}
	*out = k;
	return 0;
}

void pubkey_free(struct pubkey *k)
{
	if (!k)
		return;
	EVP_MD_CTX_free(k->ctx);
	EVP_PKEY_free(k->key);
	free(k);
}

int pubkey_verify(const struct pubkey *k, const void *msg, size_t len, const char *sig,
                  struct wr_err *err)
{
	unsigned char raw[64];

	if (b64_decode(sig, raw, sizeof(raw)) != (int)sizeof(raw))
		return err_set(err, WR_EINVAL, "a signature is 64 bytes in base64");
	if (EVP_DigestVerifyInit(k->ctx, NULL, NULL, NULL, k->key) != 1)
		return err_set(err, WR_ENOMEM, "out of memory");
	return EVP_DigestVerify(k->ctx, raw, sizeof(raw), msg, len) == 1;
}

int sign_verify(const char *pem, const void *msg, size_t len, const char *sig,
                struct wr_err *err)
{
	struct pubkey *k;
	int rc;

	if ((rc = pubkey_load(pem, &k, err)) < 0)
		return rc;
	rc = pubkey_verify(k, msg, len, sig, err);
	pubkey_free(k);
	return rc;
}
