/* bench_ledger.c: ledger verification speed. Builds a store with N entries
 * (evidence of a typical size) in one transaction, then times
 * wr_ledger_verify over it: entries/s and MB/s of entry bytes hashed,
 * median of several runs; then the same with every entry signed.
 *
 *     build/bench_ledger [ENTRIES] [REPEATS] [DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "ledger/sign.h"
#include "store/store.h"
#include "warrant.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int fill(const char *db, const char *key, long n)
{
	static const char *actions[] = { "generated", "check_passed", "verified", "shipped" };
	struct store *st = NULL;
	struct wr_err err;
	char subject[HASH_HEX], evidence[256];

	unlink(db);
	if (store_open(db, &st, &err) < 0 ||
	    (key && wr_store_sign_with((struct wr_store *)st, key, &err) < 0) ||
	    store_begin(st, &err) < 0)
		goto fail;
	for (long i = 0; i < n; i++) {
		hash_hex(&i, sizeof(i), subject);
		snprintf(evidence, sizeof(evidence),
		         "{\"call\":%ld,\"request\":\"%.64s\",\"tokens_in\":412,\"tokens_out\":96}",
		         i, subject);
		if (ledger_append(st, "20261124-120000-abcdef", "model:extractor",
		                  actions[i % 4], subject, evidence, NULL, &err) < 0)
			goto fail;
	}
	if (store_commit(st, &err) < 0)
		goto fail;
	store_free(st);
	return 0;
fail:
	fprintf(stderr, "bench_ledger: %s\n", err.msg);
	store_free(st);
	return -1;
}

static int measure(const char *label, const char *db, const char *pub, long n, int repeats)
{
	double secs[32], mb = 0;
	struct wr_verify_params p = { pub, pub != NULL };
	struct wr_store *st = NULL;
	struct wr_ledger_report rep;
	struct wr_err err;

	if (wr_store_open(db, &st, &err) < 0) {
		fprintf(stderr, "bench_ledger: %s\n", err.msg);
		return -1;
	}
	for (int r = 0; r < repeats; r++) {
		double t0 = now();

		if (wr_ledger_verify_signed(st, &p, NULL, NULL, &rep, &err) < 0) {
			fprintf(stderr, "bench_ledger: %s\n", err.msg);
			wr_store_free(st);
			return -1;
		}
		secs[r] = now() - t0;
		mb = (double)rep.bytes / 1e6;
	}
	wr_store_free(st);
	qsort(secs, (size_t)repeats, sizeof(double), cmp);
	printf("%s: %ld entries, median of %d: %.3f s, %.0f entries/s, %.1f MB/s hashed "
	       "(%.1f MB)\n", label, n, repeats, secs[repeats / 2], (double)n / secs[repeats / 2],
	       mb / secs[repeats / 2], mb);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	const char *dir = argc > 3 ? argv[3] : "build/bench";
	char db[4096], key[4096], pub[4200], id[HASH_HEX];
	struct wr_err err;

	if (n < 1 || repeats < 1 || repeats > 32) {
		fprintf(stderr, "usage: bench_ledger [ENTRIES] [REPEATS 1..32] [DIR]\n");
		return 2;
	}
	mkdir(dir, 0755);
	snprintf(db, sizeof(db), "%s/ledger.db", dir);
	snprintf(key, sizeof(key), "%s/ledger-key.pem", dir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	unlink(key);
	unlink(pub);
	if (fill(db, NULL, n) < 0 || measure("hash chain", db, NULL, n, repeats) < 0)
		return 1;
	if (sign_keygen(key, id, &err) < 0) {
		fprintf(stderr, "bench_ledger: %s\n", err.msg);
		return 1;
	}
	if (fill(db, key, n / 10) < 0 ||
	    measure("chain + Ed25519 signatures", db, pub, n / 10, repeats) < 0)
		return 1;
	return 0;
}
