/* harness.h: a small test harness.
 *
 *     TEST(buf_grows) { struct buf b = BUF_INIT; ... EXPECT(b.len == 3); }
 *
 * Tests register themselves at start-up; build/unit runs them all (or those
 * whose names contain argv[1]) and ends with "N passed, N failed". A failed
 * EXPECT records the file:line and the test goes on; REQUIRE returns. */
#ifndef WR_TEST_HARNESS_H
#define WR_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
	struct t_case *next;
};

void t_register(struct t_case *c);
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A fresh empty directory for this test, under the build's tmp folder. */
const char *t_tmpdir(void);

#define TEST(name)                                                       \
	static void test_##name(void);                                   \
	static struct t_case t_case_##name = { #name, test_##name, NULL };\
	__attribute__((constructor)) static void t_reg_##name(void)      \
	{ t_register(&t_case_##name); }                                  \
	static void test_##name(void)

#define EXPECT(cond)                                                     \
	do { if (!(cond)) t_fail(__FILE__, __LINE__, "%s", #cond); } while (0)
#define REQUIRE(cond)                                                    \
	do { if (!(cond)) { t_fail(__FILE__, __LINE__, "%s", #cond); return; } } while (0)
#define EXPECT_INT(a, b)                                                 \
	do { long long a_ = (long long)(a), b_ = (long long)(b);         \
	     if (a_ != b_) t_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
	                          #a, a_, b_); } while (0)
#define EXPECT_STR(a, b)                                                 \
	do { const char *a_ = (a), *b_ = (b);                            \
	     if (!a_ || !b_ || strcmp(a_, b_) != 0)                      \
	             t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
	                    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define EXPECT_CONTAINS(hay, needle)                                     \
	do { const char *h_ = (hay), *n_ = (needle);                     \
	     if (!h_ || !strstr(h_, n_))                                 \
	             t_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
	                    h_ ? h_ : "(null)", n_); } while (0)

#endif
