/* ledger.c: appending to and verifying the hash chain. */
#include "ledger/ledger.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/os.h"

/* The prev of the first entry: 64 zeros. */
static const char genesis[HASH_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void hash_str(struct hash_ctx *h, const char *s)
{
	hash_field(h, s, strlen(s));
}

static void hash_int(struct hash_ctx *h, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	hash_str(h, num);
}

void ledger_entry_hash(const struct wr_ledger_entry *e, char out[HASH_HEX])
{
	struct hash_ctx h;

	if (hash_begin(&h) < 0) {
		out[0] = '\0';
		return;
	}
	hash_str(&h, "warrant-ledger-v1");
	hash_int(&h, e->seq);
	hash_int(&h, e->at_ms);
	hash_str(&h, e->run_id);
	hash_str(&h, e->actor);
	hash_str(&h, e->action);
	hash_str(&h, e->subject);
	hash_str(&h, e->evidence);
	hash_str(&h, e->prev);
	hash_end(&h, out);
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

int ledger_append(struct store *st, const char *run_id, const char *actor,
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
	snprintf(head, sizeof(head), "%" PRId64 ":%s", e.seq, e.hash);
	if ((rc = store_meta_set(st, "ledger_head", head, err)) < 0)
		return rc;
	if (out)
		*out = e;
	return 0;
}

/* --- verification --- */

struct verify {
	void (*on_problem)(void *ud, const char *msg);
	void *ud;
	struct wr_ledger_report *rep;
	int64_t expect_seq;
	char prev[HASH_HEX];
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
	v->expect_seq = e->seq + 1;
	/* Go on from what the entry claims, so one edit is reported once. */
	memcpy(v->prev, e->hash, HASH_HEX);
	return 0;
}

int wr_ledger_verify(struct wr_store *store,
                     void (*on_problem)(void *ud, const char *msg), void *ud,
                     struct wr_ledger_report *report, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct wr_ledger_report local;
	struct verify v = { on_problem, ud, report ? report : &local, 1, "" };
	char head[128], want[128];
	int rc;

	memset(v.rep, 0, sizeof(*v.rep));
	memcpy(v.prev, genesis, HASH_HEX);
	if ((rc = store_ledger_each(st, NULL, verify_entry, &v, err)) < 0)
		return rc;
	memcpy(v.rep->head, v.rep->entries ? v.prev : "", v.rep->entries ? HASH_HEX : 1);
	rc = store_meta_get(st, "ledger_head", head, sizeof(head), err);
	if (rc < 0 && rc != WR_ENOTFOUND)
		return rc;
	snprintf(want, sizeof(want), "%" PRId64 ":%s", v.expect_seq - 1, v.prev);
	if (rc == WR_ENOTFOUND ? v.rep->entries > 0 : strcmp(head, want) != 0)
		problem(&v, "the ledger ends at entry %" PRId64 " but its recorded head is %s "
		        "(entries deleted from the end, or the head edited)",
		        v.expect_seq - 1, rc == WR_ENOTFOUND ? "missing" : head);
	if (v.rep->problems)
		return err_set(err, WR_ETAMPER, "the ledger does not verify: %" PRId64
		               " problem(s)", v.rep->problems);
	return 0;
}

int wr_ledger_each(struct wr_store *store, const char *run_id,
                   int (*fn)(void *ud, const struct wr_ledger_entry *e), void *ud,
                   struct wr_err *err)
{
	return store_ledger_each((struct store *)store, run_id, fn, ud, err);
}
