/* ship.c: the ship step, the only effect in the core. Exactly once across
 * crashes: the intent (destination, offset, hash) is committed before the
 * effect, and on resume an intent is settled by looking at the destination
 * itself before anything is written again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

/* Ends the run at a refused ship, in a transaction of its own. */
static int refuse_ship(struct engine *e, int idx, enum wr_failure f, const char *why,
                       const char *artifact, struct wr_err *err)
{
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	e->status[idx] = SS_FAILED;
	if ((rc = engine_step_put(e, idx, "failed", f, why, artifact, 0, 0, err)) < 0 ||
	    (rc = engine_finish(e, WR_RUN_FAILED, f, idx, why, err)) < 0 ||
	    (rc = store_run_update(e->st, &e->run, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	if ((rc = store_commit(e->st, err)) < 0)
		return rc;
	engine_event(e, WR_EV_STEP_END, idx, f, why, 0);
	return 0;
}

static int put_intent(struct engine *e, struct store_effect *fx, struct wr_err *err)
{
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = store_effect_put(e->st, fx, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	return store_commit(e->st, err);
}

static int parent_dir(const char *path, struct wr_err *err)
{
	char dir[4096];

	if (os_dirname(path, dir, sizeof(dir)) < 0)
		return err_set(err, WR_EINVAL, "path too long: %s", path);
	return os_mkdir_p(dir, err);
}

/* Writes a new file. Returns 1 when the file already holds exactly these
 * bytes (an earlier attempt did it), 0 when written, <0 on error. */
static int ship_file(const char *path, const struct buf *bytes, int overwrite,
                     struct wr_err *err)
{
	struct buf have = BUF_INIT;
	char want[HASH_HEX], got[HASH_HEX];
	int rc;

	if ((rc = parent_dir(path, err)) < 0)
		return rc;
	if (access(path, F_OK) == 0) {
		if ((rc = os_read_file(path, bytes->len + 1, &have, err)) == 0) {
			hash_hex(bytes->data, bytes->len, want);
			hash_hex(have.data, have.len, got);
			if (!strcmp(want, got)) {
				buf_release(&have);
				return 1;
			}
		}
		buf_release(&have);
		if (!overwrite)
			return err_set(err, WR_ESTATE, "%s exists with other content; refusing to "
			               "overwrite it (set overwrite: true to replace it)", path);
	}
	return os_write_atomic(path, bytes->data, bytes->len, overwrite, err);
}

/* Appends under an exclusive lock. The offset of the append is committed as
 * the intent before the bytes are written; a resumed append first looks at
 * what is at that offset. */
static int ship_append(struct engine *e, struct store_effect *fx, int have_intent,
                       const struct buf *bytes, struct wr_err *err)
{
	struct stat sb;
	char *at = NULL;
	int fd, rc = WR_EIO;

	if ((rc = parent_dir(fx->target, err)) < 0)
		return rc;
	fd = open(fx->target, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(err, WR_EIO, "%s: %s", fx->target, strerror(errno));
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &sb) < 0) {
		rc = err_set(err, WR_EIO, "%s: %s", fx->target, strerror(errno));
		goto out;
	}
	if (have_intent && sb.st_size >= fx->offset + (off_t)bytes->len) {
		at = malloc(bytes->len ? bytes->len : 1);
		if (!at) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
		if (pread(fd, at, bytes->len, fx->offset) == (ssize_t)bytes->len &&
		    memcmp(at, bytes->data, bytes->len) == 0) {
			rc = 1;  /* the earlier attempt's bytes are there */
			goto out;
		}
	}
	if (!have_intent) {
		fx->offset = sb.st_size;
		if ((rc = put_intent(e, fx, err)) < 0)
			goto out;
	} else if (sb.st_size < fx->offset) {
		rc = err_set(err, WR_ESTATE, "%s changed since the append was begun; "
		             "refusing to append twice", fx->target);
		goto out;
	} else if (sb.st_size != fx->offset) {
		/* A partial write of ours (a prefix of the bytes, up to the end) is
		 * cut off. Anything else there is other writers' (runs of other
		 * workers append to one file): ours never went in, so it goes at
		 * the end now, under a new intent, and theirs stays. */
		size_t tail = (size_t)(sb.st_size - fx->offset);

		free(at);
		at = NULL;
		if (tail < bytes->len && (at = malloc(tail)) &&
		    pread(fd, at, tail, fx->offset) == (ssize_t)tail &&
		    memcmp(at, bytes->data, tail) == 0) {
			if (ftruncate(fd, fx->offset) < 0) {
				rc = err_set(err, WR_EIO, "%s: %s", fx->target, strerror(errno));
				goto out;
			}
		} else {
			fx->offset = sb.st_size;
			if ((rc = put_intent(e, fx, err)) < 0)
				goto out;
		}
	}
	if (pwrite(fd, bytes->data, bytes->len, fx->offset) != (ssize_t)bytes->len ||
	    fsync(fd) < 0) {
		rc = err_set(err, WR_EIO, "%s: %s", fx->target, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(at);
	close(fd);  /* releases the lock */
	return rc;
}

int step_ship(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_artifact a;
	struct store_effect fx;
	struct buf bytes = BUF_INIT;
	struct wr_err why;
	char evidence[800], msg[700];
	int64_t seq = 0;
	uint64_t t0 = os_mono_ns();
	int rc, have_intent;

	if ((rc = store_artifact_get(e->st, e->run.id, s->of, &a, err)) < 0)
		goto out;
	/* The gate: nothing below runs for an artifact that has not earned it. */
	rc = life_ship_gate(e, &a, s->requires, &bytes, &why);
	if (rc == WR_ESTATE || rc == WR_ETAMPER) {
		rc = refuse_ship(e, idx, rc == WR_ESTATE ? WR_FAIL_CONSTRAINT_CONFLICT
		                                         : WR_FAIL_PERMISSION_DENIED,
		                 why.msg, a.hash, err);
		goto out;
	}
	if (rc < 0) {
		*err = why;
		goto out;
	}
	rc = store_effect_get(e->st, e->run.id, s->id, &fx, err);
	if (rc < 0 && rc != WR_ENOTFOUND)
		goto out;
	have_intent = rc == 0;
	if (have_intent && strcmp(fx.hash, a.hash) != 0) {
		rc = err_set(err, WR_ETAMPER, "step '%s': the recorded ship was of %.12s, the "
		             "artifact is now %.12s", s->id, fx.hash, a.hash);
		goto out;
	}
	if (!have_intent) {
		memset(&fx, 0, sizeof(fx));
		snprintf(fx.run_id, sizeof(fx.run_id), "%s", e->run.id);
		snprintf(fx.step_id, sizeof(fx.step_id), "%s", s->id);
		snprintf(fx.target, sizeof(fx.target), "%s", s->to);
		fx.append = s->append;
		memcpy(fx.hash, a.hash, HASH_HEX);
		snprintf(fx.status, sizeof(fx.status), "intent");
	}
	if (fx.append) {
		/* One record per ship: a newline after an artifact that lacks one,
		 * so appended JSON objects stay one per line. */
		if (bytes.len && bytes.data[bytes.len - 1] != '\n' && buf_addc(&bytes, '\n') < 0) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
		rc = ship_append(e, &fx, have_intent, &bytes, err);
	} else {
		if (!have_intent && (rc = put_intent(e, &fx, err)) < 0)
			goto out;
		rc = ship_file(fx.target, &bytes, s->overwrite, err);
	}
	if (rc == WR_ESTATE) {
		rc = refuse_ship(e, idx, WR_FAIL_CONSTRAINT_CONFLICT, err->msg, a.hash, err);
		goto out;
	}
	if (rc < 0)
		goto out;
	snprintf(fx.status, sizeof(fx.status), "done");
	engine_evidence(evidence, sizeof(evidence),
	                json_pack("{s:b,s:I,s:s}", "append", fx.append, "bytes",
	                          (json_int_t)bytes.len, "to", fx.target));
	snprintf(msg, sizeof(msg), "%s %s", fx.append ? "appended to" : "wrote", fx.target);
	if ((rc = store_begin(e->st, err)) < 0)
		goto out;
	if ((rc = store_effect_put(e->st, &fx, err)) < 0 ||
	    (rc = life_transition(e, &a, WR_STATE_SHIPPED, WR_FAIL_NONE, "engine", evidence,
	                          &seq, err)) < 0 ||
	    (rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, msg, a.hash,
	                          (double)(os_mono_ns() - t0) / 1e9, seq, err)) < 0) {
		store_rollback(e->st);
		goto out;
	}
	if ((rc = store_commit(e->st, err)) < 0)
		goto out;
	e->status[idx] = SS_DONE;
	engine_event(e, WR_EV_STEP_END, idx, WR_FAIL_NONE, msg, (double)(os_mono_ns() - t0) / 1e9);
out:
	buf_release(&bytes);
	return rc;
}
