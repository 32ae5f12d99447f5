/* ledger.c: appending to and verifying the hash chain. */
#include "ledger/ledger.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/os.h"
#include "ledger/sign.h"

/* The prev of the first entry: 64 zeros. */
static const char genesis[HASH_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* The bytes an entry's hash covers: each field as an 8-byte big-endian
 * length and its bytes (hash_field's encoding), gathered so the digest is
 * one call. Fields are bounded by struct wr_ledger_entry. */
struct fields {
	unsigned char b[2048];
	size_t n;
};

static void put_field(struct fields *f, const char *s, size_t len)
{
	if (f->n + 8 + len > sizeof(f->b))
		len = 0;  /* cannot happen with the struct's bounds */
	for (int i = 0; i < 8; i++)
		f->b[f->n++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	memcpy(f->b + f->n, s, len);
	f->n += len;
}

static void put_str(struct fields *f, const char *s)
{
	put_field(f, s, strlen(s));
}

static void put_int(struct fields *f, int64_t v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	put_field(f, num, (size_t)n);
}

void ledger_entry_hash(const struct wr_ledger_entry *e, char out[HASH_HEX])
{
	struct fields f;

	f.n = 0;
	put_str(&f, "warrant-ledger-v1");
	put_int(&f, e->seq);
	put_int(&f, e->at_ms);
	put_str(&f, e->run_id);
	put_str(&f, e->actor);
	put_str(&f, e->action);
	put_str(&f, e->subject);
	put_str(&f, e->evidence);
	put_str(&f, e->prev);
	hash_hex(f.b, f.n, out);
}

static int copy_field(char *dst, size_t size, const char *src, const char *what,
                      struct wr_err *err)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return err_set(err, WR_ETOOBIG, "ledger %s is %zu bytes; at most %zu", what, n,
		               size - 1);
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

static int append(struct store *st, const char *run_id, const char *actor,
                  const char *action, const char *subject, const char *evidence,
                  struct wr_ledger_entry *out, struct wr_err *err)
{
	struct wr_ledger_entry tail, e;
	char head[128];
	int rc;

	memset(&e, 0, sizeof(e));
	if ((rc = copy_field(e.run_id, sizeof(e.run_id), run_id, "run id", err)) < 0 ||
	    (rc = copy_field(e.actor, sizeof(e.actor), actor, "actor", err)) < 0 ||
	    (rc = copy_field(e.action, sizeof(e.action), action, "action", err)) < 0 ||
	    (rc = copy_field(e.subject, sizeof(e.subject), subject, "subject", err)) < 0 ||
	    (rc = copy_field(e.evidence, sizeof(e.evidence), evidence, "evidence", err)) < 0)
		return rc;
	if ((rc = store_ledger_tail(st, &tail, err)) < 0)
		return rc;
	e.seq = tail.seq + 1;
	e.at_ms = os_now_ms();
	memcpy(e.prev, tail.seq ? tail.hash : genesis, HASH_HEX);
	ledger_entry_hash(&e, e.hash);
	if ((rc = store_ledger_insert(st, &e, err)) < 0)
		return rc;
	if (store_signer(st)) {
		const struct signer *sg = store_signer(st);
		char sig[SIG_B64];

		if ((rc = signer_sign(sg, e.hash, HASH_HEX - 1, sig, err)) < 0 ||
		    (rc = store_sig_put(st, e.seq, signer_key_id(sg), sig, err)) < 0)
			return rc;
	}
	snprintf(head, sizeof(head), "%" PRId64 ":%s", e.seq, e.hash);
	if ((rc = store_meta_set(st, "ledger_head", head, err)) < 0)
		return rc;
	if (out)
		*out = e;
	return 0;
}

int ledger_append(struct store *st, const char *run_id, const char *actor,
                  const char *action, const char *subject, const char *evidence,
                  struct wr_ledger_entry *out, struct wr_err *err)
{
	int rc;

	/* The tail read and the entry written in one transaction, so that
	 * concurrent writers (several workers on one PostgreSQL) chain in turn. */
	if (store_in_txn(st))
		return append(st, run_id, actor, action, subject, evidence, out, err);
	if ((rc = store_begin(st, err)) < 0)
		return rc;
	if ((rc = append(st, run_id, actor, action, subject, evidence, out, err)) < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st, err);
}

/* --- verification --- */

struct sig {
	int64_t seq;
	char key_id[HASH_HEX];
	char sig[SIG_B64];
};

struct key {
	char id[HASH_HEX];
	struct pubkey *pub;
};

struct verify {
	void (*on_problem)(void *ud, const char *msg);
	void *ud;
	struct wr_ledger_report *rep;
	int64_t expect_seq;
	char prev[HASH_HEX];
	/* Signatures, in entry order, and the keys that may have made them. */
	struct sig *sigs;
	size_t n_sigs, cap_sigs, next_sig;
	struct key *keys;
	size_t n_keys;
	int require_signed, oom;
};

__attribute__((format(printf, 2, 3)))
static void problem(struct verify *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	v->rep->problems++;
	if (!v->on_problem)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->on_problem(v->ud, msg);
}

static const struct key *key_find(const struct verify *v, const char *id)
{
	for (size_t i = 0; i < v->n_keys; i++)
		if (!strcmp(v->keys[i].id, id))
			return &v->keys[i];
	return NULL;
}

/* The signature of entry e, when there is one: made by a trusted key, over
 * the hash e has (so an edited entry fails twice, as it should). */
static void check_signature(struct verify *v, const struct wr_ledger_entry *e)
{
	const struct sig *s;
	const struct key *k;
	struct wr_err err;
	int ok;

	while (v->next_sig < v->n_sigs && v->sigs[v->next_sig].seq < e->seq)
		problem(v, "signature for entry %" PRId64 ", which is not in the ledger",
		        v->sigs[v->next_sig++].seq);
	if (v->next_sig >= v->n_sigs || v->sigs[v->next_sig].seq != e->seq) {
		if (v->require_signed)
			problem(v, "entry %" PRId64 " (%s %s) is not signed", e->seq, e->action,
			        e->run_id);
		return;
	}
	s = &v->sigs[v->next_sig++];
	if (!(k = key_find(v, s->key_id))) {
		problem(v, "entry %" PRId64 " is signed by key %.16s, which is not %s", e->seq,
		        s->key_id, v->n_keys ? "trusted" : "known");
		return;
	}
	ok = pubkey_verify(k->pub, e->hash, strlen(e->hash), s->sig, &err);
	if (ok == 1)
		v->rep->signed_entries++;
	else
		problem(v, "entry %" PRId64 " (%s %s): its signature does not verify%s%s", e->seq,
		        e->action, e->run_id, ok < 0 ? ": " : " (edited or forged)",
		        ok < 0 ? err.msg : "");
}

static int verify_entry(void *ud, const struct wr_ledger_entry *e)
{
	struct verify *v = ud;
	char want[HASH_HEX];

	v->rep->entries++;
	v->rep->bytes += (int64_t)(strlen(e->run_id) + strlen(e->actor) + strlen(e->action) +
	                           strlen(e->subject) + strlen(e->evidence) + 2 * 64 + 16);
	if (e->seq != v->expect_seq) {
		if (e->seq > v->expect_seq)
			problem(v, "entries %" PRId64 "..%" PRId64 " are missing (deleted)",
			        v->expect_seq, e->seq - 1);
		else
			problem(v, "entry %" PRId64 " is out of sequence", e->seq);
	}
	if (strcmp(e->prev, v->prev) != 0)
		problem(v, "entry %" PRId64 " (%s %s) does not follow entry %" PRId64
		        " (deleted, inserted or reordered)", e->seq, e->action, e->run_id,
		        e->seq - 1);
	ledger_entry_hash(e, want);
	if (strcmp(want, e->hash) != 0)
		problem(v, "entry %" PRId64 " (%s %s) does not match its hash (edited)",
		        e->seq, e->action, e->run_id);
	check_signature(v, e);
	v->expect_seq = e->seq + 1;
	/* Go on from what the entry claims, so one edit is reported once. */
	memcpy(v->prev, e->hash, HASH_HEX);
	return 0;
}

static int collect_sig(void *ud, int64_t seq, const char *key_id, const char *sig)
{
	struct verify *v = ud;
	struct sig *s;

	if (v->n_sigs == v->cap_sigs) {
		size_t cap = v->cap_sigs ? 2 * v->cap_sigs : 256;
		struct sig *p = realloc(v->sigs, cap * sizeof(*p));

		if (!p) {
			v->oom = 1;
			return 1;
		}
		v->sigs = p;
		v->cap_sigs = cap;
	}
	s = &v->sigs[v->n_sigs++];
	s->seq = seq;
	snprintf(s->key_id, sizeof(s->key_id), "%s", key_id);
	snprintf(s->sig, sizeof(s->sig), "%s", sig);
	return 0;
}

static int add_key(struct verify *v, const char *id, const char *pem)
{
	struct key *p = realloc(v->keys, (v->n_keys + 1) * sizeof(*p));
	struct wr_err err;

	if (!p || pubkey_load(pem, &p[v->n_keys].pub, &err) < 0) {
		v->keys = p ? p : v->keys;
		v->oom = 1;
		return 1;
	}
	v->keys = p;
	snprintf(p[v->n_keys].id, sizeof(p->id), "%s", id);
	v->n_keys++;
	return 0;
}

/* A key recorded in the store must be the key its id names. */
static int collect_key(void *ud, const char *id, const char *pem)
{
	struct verify *v = ud;
	char want[HASH_HEX];
	struct wr_err err;

	if (sign_public_id(pem, want, &err) < 0 || strcmp(want, id) != 0) {
		problem(v, "key %.16s in the store is not the key its id names (edited)", id);
		return 0;
	}
	return add_key(v, id, pem);
}

/* The keys whose signatures count: the one in trusted_key (a public key
 * PEM file) when given, else every key recorded in the store. */
static int load_keys(struct store *st, struct verify *v, const char *trusted_key,
                     struct wr_err *err)
{
	struct buf pem = BUF_INIT;
	char id[HASH_HEX];
	int rc;

	if (!trusted_key)
		return store_keys_each(st, collect_key, v, err);
	if ((rc = os_read_file(trusted_key, 64 * 1024, &pem, err)) < 0)
		return rc;
	if (sign_public_id(pem.data, id, err) < 0) {
		rc = err_set(err, WR_EINVAL, "%s: not an Ed25519 public key in PEM", trusted_key);
	} else {
		add_key(v, id, pem.data);
		rc = 0;
	}
	buf_release(&pem);
	return rc;
}

int wr_ledger_verify(struct wr_store *store,
                     void (*on_problem)(void *ud, const char *msg), void *ud,
                     struct wr_ledger_report *report, struct wr_err *err)
{
	return wr_ledger_verify_signed(store, NULL, on_problem, ud, report, err);
}

int wr_ledger_verify_signed(struct wr_store *store, const struct wr_verify_params *p,
                            void (*on_problem)(void *ud, const char *msg), void *ud,
                            struct wr_ledger_report *report, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct wr_ledger_report local = { 0 };
	struct verify v;
	char head[128], want[128];
	int rc;

	memset(&v, 0, sizeof(v));
	v.on_problem = on_problem;
	v.ud = ud;
	v.rep = report ? report : &local;
	v.expect_seq = 1;
	memset(v.rep, 0, sizeof(*v.rep));
	memcpy(v.prev, genesis, HASH_HEX);
	v.require_signed = p && p->require_signed;
	if ((rc = load_keys(st, &v, p ? p->trusted_key : NULL, err)) < 0 ||
	    (rc = store_sigs_each(st, collect_sig, &v, err)) < 0)
		goto out;
	if (v.oom) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_ledger_each(st, NULL, verify_entry, &v, err)) < 0)
		goto out;
	while (v.next_sig < v.n_sigs)
		problem(&v, "signature for entry %" PRId64 ", which is not in the ledger",
		        v.sigs[v.next_sig++].seq);
	memcpy(v.rep->head, v.rep->entries ? v.prev : "", v.rep->entries ? HASH_HEX : 1);
	rc = store_meta_get(st, "ledger_head", head, sizeof(head), err);
	if (rc < 0 && rc != WR_ENOTFOUND)
		goto out;
	snprintf(want, sizeof(want), "%" PRId64 ":%s", v.expect_seq - 1, v.prev);
	if (rc == WR_ENOTFOUND ? v.rep->entries > 0 : strcmp(head, want) != 0)
		problem(&v, "the ledger ends at entry %" PRId64 " but its recorded head is %s "
		        "(entries deleted from the end, or the head edited)",
		        v.expect_seq - 1, rc == WR_ENOTFOUND ? "missing" : head);
	rc = v.rep->problems ? err_set(err, WR_ETAMPER, "the ledger does not verify: %" PRId64
	                               " problem(s)", v.rep->problems) : 0;
out:
	for (size_t i = 0; i < v.n_keys; i++)
		pubkey_free(v.keys[i].pub);
	free(v.keys);
	free(v.sigs);
	return rc;
}

/* --- signing --- */

static void free_signer(void *s)
{
	signer_free(s);
}

int wr_store_sign_with(struct wr_store *store, const char *key_path, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct signer *s;
	int rc;

	if (!store || !key_path)
		return err_set(err, WR_EINVAL, "wr_store_sign_with: store and key are required");
	if ((rc = signer_load(key_path, &s, err)) < 0)
		return rc;
	if ((rc = store_key_put(st, signer_key_id(s), signer_public_pem(s), err)) < 0) {
		signer_free(s);
		return rc;
	}
	store_set_signer(st, s, free_signer);
	return 0;
}

int wr_keygen(const char *path, char key_id[WR_HASH_HEX], struct wr_err *err)
{
	if (!path || !path[0])
		return err_set(err, WR_EINVAL, "wr_keygen: a path is required");
	return sign_keygen(path, key_id, err);
}

int wr_ledger_each(struct wr_store *store, const char *run_id,
                   int (*fn)(void *ud, const struct wr_ledger_entry *e), void *ud,
                   struct wr_err *err)
{
	return store_ledger_each((struct store *)store, run_id, fn, ud, err);
}
