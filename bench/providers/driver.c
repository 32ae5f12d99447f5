/* driver.c: throughput of the openai provider's pool against a local server.
 *
 *     driver BASE_URL N CONCURRENCY [LATENCY_MS]
 *
 * Sends N requests as one batch at most CONCURRENCY at a time and prints
 * requests/s, latency percentiles, peak RSS (VmHWM) and, when LATENCY_MS is
 * given, the fraction of the ideal rate CONCURRENCY / latency achieved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "model/provider.h"

static long vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const struct provider_ops *ops = provider_find("openai");
	struct spec_model m = { .name = "bench", .provider = "openai", .model = "gpt-4o-mini",
	                        .temperature = -1, .max_tokens = 64 };
	struct model_request *reqs;
	struct model_response *resps;
	struct wr_err err = { 0 };
	char opts[512], (*prompts)[32];
	double *lat, secs, rate;
	long n, conc, latency;
	int ok = 0, retried = 0;
	void *st;
	uint64_t t0;

	if (argc < 4)
		return fprintf(stderr, "usage: driver BASE_URL N CONCURRENCY [LATENCY_MS]\n"), 2;
	n = strtol(argv[2], NULL, 10);
	conc = strtol(argv[3], NULL, 10);
	latency = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
	snprintf(opts, sizeof(opts), "{\"base_url\":\"%s\",\"max_concurrency\":%ld,"
	         "\"timeout\":5}", argv[1], conc);
	m.options = opts;
	reqs = calloc((size_t)n, sizeof(*reqs));
	resps = calloc((size_t)n, sizeof(*resps));
	prompts = calloc((size_t)n, sizeof(*prompts));
	lat = calloc((size_t)n, sizeof(*lat));
	if (!reqs || !resps || !prompts || !lat || ops->open(&m, ".", &st, &err) < 0)
		return fprintf(stderr, "driver: %s\n", err.msg), 1;
	for (long i = 0; i < n; i++) {
		snprintf(prompts[i], sizeof(prompts[i]), "request %ld", i);
		reqs[i].prompt = prompts[i];
		reqs[i].system = "You are a benchmark.";
		reqs[i].call_index = i;
		reqs[i].attempt = 1;
		model_response_init(&resps[i]);
	}
	t0 = os_mono_ns();
	if (provider_complete_batch(ops, st, reqs, resps, (size_t)n, &err) < 0)
		return fprintf(stderr, "driver: %s\n", err.msg), 1;
	secs = (double)(os_mono_ns() - t0) / 1e9;
	for (long i = 0; i < n; i++) {
		ok += resps[i].failure == WR_FAIL_NONE;
		retried += resps[i].attempts > 1;
		/* On the wire: the last attempt, not the time queued for a slot. */
		lat[i] = resps[i].attempts
		         ? (double)resps[i].attempt[resps[i].attempts - 1].latency_ms : 0;
		model_response_release(&resps[i]);
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	rate = (double)n / secs;
	printf("requests %ld  concurrency %ld  ok %d  seconds %.3f  req/s %.0f  "
	       "p50 %.0f ms  p99 %.0f ms  max %.0f ms  retried %d  peak RSS %ld KiB", n, conc,
	       ok, secs, rate, lat[n / 2], lat[n * 99 / 100], lat[n - 1], retried, vm_hwm_kb());
	if (latency > 0)
		printf("  ideal %.0f req/s  achieved %.1f%%",
		       (double)conc * 1000.0 / (double)latency,
		       100.0 * rate / ((double)conc * 1000.0 / (double)latency));
	printf("\n");
	ops->close(st);
	free(reqs);
	free(resps);
	free(prompts);
	free(lat);
	return ok == n ? 0 : 1;
}
