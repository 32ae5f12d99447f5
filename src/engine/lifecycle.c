/* lifecycle.c: the artifact state machine. The only code that changes an
 * artifact's state, and the one gate every effect passes:
 *
 *     candidate --checks pass--> verified --approval--> approved --ship--> shipped
 *         \------ any check fails ------> rejected (with a failure class)
 *
 * Each move is recorded in the ledger in the same transaction as the state
 * itself, and the gate trusts a state only when the ledger backs it. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

int life_rank(enum wr_state s)
{
	switch (s) {
	case WR_STATE_CANDIDATE: return 0;
	case WR_STATE_VERIFIED: return 1;
	case WR_STATE_APPROVED: return 2;
	case WR_STATE_SHIPPED: return 3;
	case WR_STATE_REJECTED: break;
	}
	return -1;
}

static int allowed(enum wr_state from, enum wr_state to)
{
	switch (to) {
	case WR_STATE_VERIFIED: return from == WR_STATE_CANDIDATE;
	case WR_STATE_APPROVED: return from == WR_STATE_VERIFIED;
	case WR_STATE_SHIPPED:
		return from == WR_STATE_VERIFIED || from == WR_STATE_APPROVED ||
		       from == WR_STATE_SHIPPED;
	case WR_STATE_REJECTED:
		return from == WR_STATE_CANDIDATE || from == WR_STATE_VERIFIED;
	case WR_STATE_CANDIDATE: break;
	}
	return 0;
}

int life_transition(struct engine *e, struct store_artifact *a, enum wr_state to,
                    enum wr_failure f, const char *actor, const char *evidence,
                    int64_t *ledger_seq, struct wr_err *err)
{
	struct wr_ledger_entry entry;
	int rc;

	if (!allowed((enum wr_state)a->state, to))
		return err_set(err, WR_ESTATE, "artifact of step '%s' is %s; it cannot become %s",
		               a->step_id, wr_state_name(a->state), wr_state_name(to));
	if (to == WR_STATE_REJECTED && f == WR_FAIL_NONE)
		return err_set(err, WR_EINVAL, "a rejection needs a failure class");
	if (to != WR_STATE_REJECTED)
		f = WR_FAIL_NONE;
	if ((rc = ledger_append(e->st, e->run.id, actor, wr_state_name(to), a->hash,
	                        evidence ? evidence : "{}", &entry, err)) < 0)
		return rc;
	a->state = to;
	a->failure = f;
	if ((rc = store_artifact_put(e->st, a, err)) < 0)
		return rc;
	if (ledger_seq)
		*ledger_seq = entry.seq;
	return 0;
}

/* --- the gate --- */

struct backing {
	const char *hash;
	int verified, approved, rejected, broken;
	int64_t broken_seq;
};

static int back_entry(void *ud, const struct wr_ledger_entry *e)
{
	struct backing *b = ud;
	char want[HASH_HEX];

	if (strcmp(e->subject, b->hash) != 0)
		return 0;
	ledger_entry_hash(e, want);
	if (strcmp(want, e->hash) != 0) {
		b->broken = 1;
		b->broken_seq = e->seq;
		return 1;
	}
	if (!strcmp(e->action, "verified"))
		b->verified = 1;
	else if (!strcmp(e->action, "approved"))
		b->approved = 1;
	else if (!strcmp(e->action, "rejected"))
		b->rejected = 1;
	return 0;
}

int life_ship_gate(struct engine *e, const struct store_artifact *a,
                   enum wr_state requires, struct buf *bytes, struct wr_err *err)
{
	struct backing b = { .hash = a->hash };
	int rc;

	if (life_rank(requires) < life_rank(WR_STATE_VERIFIED))
		return err_set(err, WR_ESTATE, "nothing ships as %s", wr_state_name(requires));
	if (life_rank((enum wr_state)a->state) < life_rank(requires))
		return err_set(err, WR_ESTATE, "artifact of step '%s' is %s; shipping requires %s",
		               a->step_id, wr_state_name(a->state), wr_state_name(requires));
	if ((rc = store_ledger_each(e->st, e->run.id, back_entry, &b, err)) < 0)
		return rc;
	if (b.broken)
		return err_set(err, WR_ETAMPER, "ledger entry %lld about artifact %.12s does not "
		               "match its hash; refusing to ship", (long long)b.broken_seq, a->hash);
	if (b.rejected)
		return err_set(err, WR_ETAMPER, "artifact of step '%s' is recorded as %s, but the "
		               "ledger shows it rejected; refusing to ship", a->step_id,
		               wr_state_name(a->state));
	if (!b.verified || (requires == WR_STATE_APPROVED && !b.approved))
		return err_set(err, WR_ETAMPER, "artifact of step '%s' is recorded as %s, but the "
		               "ledger does not show it %s; refusing to ship", a->step_id,
		               wr_state_name(a->state), !b.verified ? "verified" : "approved");
	return store_blob_get_verified(e->st, a->hash, bytes, err);
}
