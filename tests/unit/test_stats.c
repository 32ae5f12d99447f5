/* test_stats.c: eval statistics against values computed independently:
 * Wilson intervals from Newcombe (1998), Table I (method 3), and binomial
 * sums and pass@k worked out by hand. */
#include <math.h>

#include "eval/stats.h"
#include "harness.h"

#define NEAR(a, b, eps) (fabs((a) - (b)) < (eps))

TEST(stats_wilson_matches_newcombe_1998)
{
	double lo, hi;

	/* Newcombe, Statistics in Medicine 17:857-872, Table I, method 3. */
	stats_wilson(81, 263, 1.959964, &lo, &hi);
	EXPECT(NEAR(lo, 0.2553, 5e-5) && NEAR(hi, 0.3662, 5e-5));
	stats_wilson(15, 148, 1.959964, &lo, &hi);
	EXPECT(NEAR(lo, 0.0624, 5e-5) && NEAR(hi, 0.1605, 5e-5));
	stats_wilson(0, 20, 1.959964, &lo, &hi);
	EXPECT(NEAR(lo, 0.0, 5e-5) && NEAR(hi, 0.1611, 5e-5));
	stats_wilson(1, 29, 1.959964, &lo, &hi);
	EXPECT(NEAR(lo, 0.0061, 5e-5) && NEAR(hi, 0.1718, 5e-5));
	stats_wilson(0, 0, 1.959964, &lo, &hi);
	EXPECT(lo == 0 && hi == 1);
}

TEST(stats_pass_at_k_is_the_unbiased_estimator)
{
	EXPECT(NEAR(stats_pass_at_k(10, 3, 1), 0.3, 1e-12));
	/* 1 - C(7,5)/C(10,5) = 1 - 21/252 */
	EXPECT(NEAR(stats_pass_at_k(10, 3, 5), 1 - 21.0 / 252.0, 1e-12));
	EXPECT(stats_pass_at_k(10, 0, 3) == 0);
	EXPECT(stats_pass_at_k(10, 8, 3) == 1);  /* only 2 failures: 3 draws must pass once */
}

TEST(stats_mcnemar_exact)
{
	/* b = 1, c = 9: 2 * (C(10,0) + C(10,1)) / 2^10 */
	EXPECT(NEAR(stats_mcnemar(1, 9), 22.0 / 1024.0, 1e-12));
	EXPECT(NEAR(stats_mcnemar(9, 1), 22.0 / 1024.0, 1e-12));
	/* b = 0, c = 5: 2 / 32 */
	EXPECT(NEAR(stats_mcnemar(0, 5), 0.0625, 1e-12));
	EXPECT(stats_mcnemar(4, 4) == 1);
	EXPECT(stats_mcnemar(0, 0) == 1);
	/* large n stays finite: b = 400, c = 600, far below 0.001 */
	EXPECT(stats_mcnemar(400, 600) > 0 && stats_mcnemar(400, 600) < 1e-9);
}
