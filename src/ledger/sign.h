/* sign.h: Ed25519 keys and signatures for the ledger (OpenSSL libcrypto).
 *
 * A key's id is the SHA-256, in hex, of its 32-byte raw public key. What a
 * ledger signature signs is the 64 ASCII hex digits of the entry's hash;
 * since that hash covers the previous entry's, a signature vouches for the
 * whole chain up to its entry. Signatures travel as standard base64. */
#ifndef WR_LEDGER_SIGN_H
#define WR_LEDGER_SIGN_H

#include <stddef.h>

#include "core/hash.h"
#include "warrant.h"

#define SIG_B64 89   /* base64 of a 64-byte signature, and a NUL */
#define PUB_PEM 256  /* room for an Ed25519 public key in PEM */

struct signer;

/* Writes a new key: the private key to path (PEM, mode 0600, never over an
 * existing file) and the public key to path + ".pub". */
int sign_keygen(const char *path, char key_id[HASH_HEX], struct wr_err *err);

/* Loads a private key from a PEM file. */
int signer_load(const char *path, struct signer **out, struct wr_err *err);
void signer_free(struct signer *s);
const char *signer_key_id(const struct signer *s);
const char *signer_public_pem(const struct signer *s);
/* Signs msg[0..len) into sig (base64, NUL-terminated). */
int signer_sign(const struct signer *s, const void *msg, size_t len, char sig[SIG_B64],
                struct wr_err *err);

/* Reads a public key (PEM text) and computes its id. Returns 0, or
 * WR_EINVAL when pem is not an Ed25519 public key. */
int sign_public_id(const char *pem, char key_id[HASH_HEX], struct wr_err *err);
/* 1 when sig (base64) is pem's signature of msg, 0 when not, WR_EINVAL
 * when the key or the signature cannot be read. */
int sign_verify(const char *pem, const void *msg, size_t len, const char *sig,
                struct wr_err *err);

/* A public key read once, for checking many signatures. */
struct pubkey;
int pubkey_load(const char *pem, struct pubkey **out, struct wr_err *err);
void pubkey_free(struct pubkey *k);
/* 1 when sig (base64) is k's signature of msg, 0 when not, WR_EINVAL when
 * the signature cannot be read. */
int pubkey_verify(const struct pubkey *k, const void *msg, size_t len, const char *sig,
                  struct wr_err *err);

/* Standard base64 with padding; out must hold 4 * ((len + 2) / 3) + 1. */
void sign_b64(const void *data, size_t len, char *out);

#endif
