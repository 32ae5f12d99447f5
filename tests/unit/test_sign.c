/* test_sign.c: Ed25519 keys and signatures, and signed ledger entries. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/os.h"
#include "harness.h"
#include "ledger/ledger.h"
#include "ledger/sign.h"
#include "store/store.h"

TEST(sign_round_trip)
{
	char path[700], id[HASH_HEX], sig[SIG_B64], pub_id[HASH_HEX];
	struct signer *s = NULL;
	struct wr_err e;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/k.pem", t_tmpdir());
	REQUIRE(sign_keygen(path, id, &e) == 0);
	EXPECT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	EXPECT_INT(sign_keygen(path, id, &e), WR_ESTATE);
	REQUIRE(signer_load(path, &s, &e) == 0);
	EXPECT_STR(signer_key_id(s), id);
	REQUIRE(sign_public_id(signer_public_pem(s), pub_id, &e) == 0);
	EXPECT_STR(pub_id, id);
	REQUIRE(signer_sign(s, "abc", 3, sig, &e) == 0);
	EXPECT_INT(strlen(sig), 88);
	EXPECT_INT(sign_verify(signer_public_pem(s), "abc", 3, sig, &e), 1);
	EXPECT_INT(sign_verify(signer_public_pem(s), "abd", 3, sig, &e), 0);
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	EXPECT_INT(sign_verify(signer_public_pem(s), "abc", 3, sig, &e), 0);
	EXPECT_INT(sign_verify(signer_public_pem(s), "abc", 3, "not base64!", &e), WR_EINVAL);
	EXPECT_INT(sign_verify("-----BEGIN PUBLIC KEY-----\nx\n", "abc", 3, sig, &e), WR_EINVAL);
	signer_free(s);
}

TEST(sign_refuses_what_is_not_a_private_key)
{
	char dir[600], path[700], pub[720], id[HASH_HEX];
	struct signer *s = NULL;
	struct wr_err e;

	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	REQUIRE(sign_keygen(path, id, &e) == 0);
	EXPECT_INT(signer_load(pub, &s, &e), WR_EINVAL);
	EXPECT(s == NULL);
	snprintf(path, sizeof(path), "%s/absent.pem", dir);
	EXPECT_INT(signer_load(path, &s, &e), WR_EIO);
}

static int count_sig(void *ud, int64_t seq, const char *key_id, const char *sig)
{
	(*(int *)ud)++;
	return 0;
}

TEST(ledger_entries_are_signed_once_a_signer_is_set)
{
	char dir[600], key[700], db[700], id[HASH_HEX];
	struct store *st = NULL;
	struct wr_ledger_report rep;
	struct wr_verify_params p = { NULL, 1 };
	struct wr_err e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	snprintf(db, sizeof(db), "%s/w.db", dir);
	REQUIRE(sign_keygen(key, id, &e) == 0);
	REQUIRE(store_open(db, &st, &e) == 0);
	REQUIRE(ledger_append(st, "r1", "engine", "run_started", "", "{}", NULL, &e) == 0);
	REQUIRE(wr_store_sign_with((struct wr_store *)st, key, &e) == 0);
	REQUIRE(ledger_append(st, "r1", "engine", "generated", "", "{}", NULL, &e) == 0);
	REQUIRE(ledger_append(st, "r1", "engine", "run_finished", "", "{}", NULL, &e) == 0);
	REQUIRE(store_sigs_each(st, count_sig, &n, &e) == 0);
	EXPECT_INT(n, 2);
	/* The first entry predates the key. */
	EXPECT_INT(wr_ledger_verify_signed((struct wr_store *)st, &p, NULL, NULL, &rep, &e),
	           WR_ETAMPER);
	EXPECT_INT(rep.problems, 1);
	EXPECT_INT(rep.signed_entries, 2);
	p.require_signed = 0;
	EXPECT_INT(wr_ledger_verify_signed((struct wr_store *)st, &p, NULL, NULL, &rep, &e), 0);
	EXPECT_INT(rep.entries, 3);
	store_free(st);
}
