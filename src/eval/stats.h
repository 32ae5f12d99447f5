/* stats.h: the statistics of eval results, for outputs that vary.
 *
 * Pass rates come with Wilson score intervals (good at small n and near 0
 * or 1, where the normal approximation fails); pass@k uses the unbiased
 * estimator of Chen et al. (2021); two variants on the same cases are
 * compared with the exact McNemar test on the discordant pairs. */
#ifndef WR_EVAL_STATS_H
#define WR_EVAL_STATS_H

/* The Wilson score interval for k passes in n trials at normal quantile z
 * (1.959964 for 95%). n == 0 gives [0, 1]. */
void stats_wilson(long k, long n, double z, double *lo, double *hi);

/* The chance that at least one of k samples passes, given c passes in n
 * samples: 1 - C(n-c, k) / C(n, k). Requires 0 <= c <= n and 1 <= k <= n. */
double stats_pass_at_k(long n, long c, long k);

/* Two-sided exact McNemar p-value for b cases that pass only under A and c
 * cases that pass only under B: 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2),
 * capped at 1. No discordant pairs gives 1. */
double stats_mcnemar(long b, long c);

#endif
