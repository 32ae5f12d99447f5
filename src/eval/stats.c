/* stats.c: Wilson intervals, pass@k, exact McNemar. */
#include "eval/stats.h"

#include <math.h>

void stats_wilson(long k, long n, double z, double *lo, double *hi)
{
	double p, z2, den, mid, half;

	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / (double)n;
	z2 = z * z;
	den = 1 + z2 / (double)n;
	mid = (p + z2 / (2.0 * (double)n)) / den;
	half = z * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / den;
	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
}

double stats_pass_at_k(long n, long c, long k)
{
	double fail = 1;

	if (n - c < k)
		return 1;
	/* C(n-c, k) / C(n, k) as a product, which stays within range. */
	for (long i = n - c + 1; i <= n; i++)
		fail *= 1.0 - (double)k / (double)i;
	return 1 - fail;
}

double stats_mcnemar(long b, long c)
{
	long n = b + c, m = b < c ? b : c;
	double tail = 0;

	if (n == 0)
		return 1;
	/* Sum of Bin(n, 1/2) up to m, terms in logs so large n cannot overflow. */
	for (long i = 0; i <= m; i++)
		tail += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
		            lgamma((double)(n - i) + 1) - (double)n * log(2.0));
	return 2 * tail > 1 ? 1 : 2 * tail;
}
