/* test_core.c: buffers, arenas, hashing, errors, names. */
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/os.h"
#include "harness.h"

TEST(buf_is_never_null_and_terminated)
{
	struct buf b = BUF_INIT;

	EXPECT(b.data != NULL);
	EXPECT_STR(b.data, "");
	REQUIRE(buf_adds(&b, "abc") == 0);
	REQUIRE(buf_printf(&b, "-%d-", 42) == 0);
	EXPECT_STR(b.data, "abc-42-");
	EXPECT_INT(b.len, 7);
	buf_reset(&b);
	EXPECT_STR(b.data, "");
	buf_release(&b);
	EXPECT(b.data != NULL);
}

TEST(buf_respects_its_cap)
{
	struct buf b;

	buf_init(&b, 8);
	EXPECT_INT(buf_adds(&b, "12345678"), 0);
	EXPECT_INT(buf_adds(&b, "9"), WR_ETOOBIG);
	EXPECT_STR(b.data, "12345678");
	buf_release(&b);
}

TEST(buf_detach_hands_over)
{
	struct buf b = BUF_INIT;
	size_t n = 99;
	char *p;

	p = buf_detach(&b, &n);
	EXPECT_STR(p, "");
	EXPECT_INT(n, 0);
	free(p);
	buf_adds(&b, "xyz");
	p = buf_detach(&b, &n);
	EXPECT_STR(p, "xyz");
	EXPECT_STR(b.data, "");
	free(p);
}

TEST(arena_allocates_aligned_zeroed_memory)
{
	struct arena a;
	char *big;

	arena_init(&a, 64);
	for (int i = 1; i < 200; i++) {
		unsigned char *p = arena_alloc(&a, (size_t)i);

		REQUIRE(p != NULL);
		EXPECT(((uintptr_t)p & 15) == 0);
		EXPECT(p[i - 1] == 0);
		p[i - 1] = 0xff;
	}
	big = arena_alloc(&a, 10000);
	REQUIRE(big != NULL);
	EXPECT_STR(arena_strdup(&a, "hello"), "hello");
	EXPECT_STR(arena_strndup(&a, "hello", 2), "he");
	arena_release(&a);
}

TEST(sha256_matches_known_vectors)
{
	char hex[HASH_HEX];
	struct hash_ctx h;

	hash_hex("", 0, hex);
	EXPECT_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_hex("abc", 3, hex);
	EXPECT_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	REQUIRE(hash_begin(&h) == 0);
	hash_update(&h, "a", 1);
	hash_update(&h, "bc", 2);
	hash_end(&h, hex);
	EXPECT_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPECT(hash_is_hex(hex));
	EXPECT(!hash_is_hex("abc"));
}

TEST(hash_fields_are_length_prefixed)
{
	char a[HASH_HEX], b[HASH_HEX];
	struct hash_ctx h;

	hash_begin(&h);
	hash_field(&h, "ab", 2);
	hash_field(&h, "c", 1);
	hash_end(&h, a);
	hash_begin(&h);
	hash_field(&h, "a", 1);
	hash_field(&h, "bc", 2);
	hash_end(&h, b);
	EXPECT(strcmp(a, b) != 0);
}

TEST(failure_names_round_trip)
{
	EXPECT_STR(wr_failure_name(WR_FAIL_SCHEMA_INVALID), "schema_invalid");
	EXPECT_STR(wr_failure_name(WR_FAIL_REJECTED_BY_HUMAN), "rejected_by_human");
	for (int f = 0; f < WR_FAIL_COUNT_; f++)
		EXPECT_INT(wr_failure_parse(wr_failure_name((enum wr_failure)f)), f);
	EXPECT_INT(wr_failure_parse("nope"), -1);
	EXPECT_STR(wr_failure_name((enum wr_failure)999), "?");
	EXPECT_STR(wr_state_name(WR_STATE_APPROVED), "approved");
	EXPECT_STR(wr_run_status_name(WR_RUN_WAITING), "waiting");
}

TEST(err_set_and_wrap)
{
	struct wr_err e;

	EXPECT_INT(err_set(&e, WR_EIO, "x.yaml: %s", "gone"), WR_EIO);
	EXPECT_INT(err_wrap(&e, "loading"), WR_EIO);
	EXPECT_STR(e.msg, "loading: x.yaml: gone");
	EXPECT_INT(err_set(NULL, WR_ESPEC, "ignored"), WR_ESPEC);
	EXPECT_STR(wr_strerror(WR_ETAMPER), "content does not match its hash");
}

TEST(os_write_atomic_refuses_to_clobber)
{
	char path[700];
	struct buf b = BUF_INIT;
	struct wr_err e;

	snprintf(path, sizeof(path), "%s/out.txt", t_tmpdir());
	EXPECT_INT(os_write_atomic(path, "one", 3, 0, &e), 0);
	EXPECT_INT(os_write_atomic(path, "two", 3, 0, &e), WR_ESTATE);
	REQUIRE(os_read_file(path, 0, &b, &e) == 0);
	EXPECT_STR(b.data, "one");
	EXPECT_INT(os_write_atomic(path, "two", 3, 1, &e), 0);
	buf_reset(&b);
	REQUIRE(os_read_file(path, 0, &b, &e) == 0);
	EXPECT_STR(b.data, "two");
	EXPECT_INT(os_read_file("/nonexistent/x", 0, &b, &e), WR_EIO);
	EXPECT_CONTAINS(e.msg, "/nonexistent/x");
	buf_release(&b);
}
