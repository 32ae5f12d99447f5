/* bench_jobs.c: the job queue's claim latency. Queues JOBS jobs in STORE
 * (a SQLite file or a postgres:// URL, emptied of jobs first), then PROCS
 * processes claim and end them as fast as they can (instant jobs: no run),
 * each timing every wr_job_claim. Prints claims/s over all processes and
 * the claim latency's p50 and p99 (microseconds).
 *
 *     build/bench_jobs STORE [JOBS] [PROCS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
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

/* One claimer: writes each claim's latency (seconds, a double) to fd. */
static int claimer(const char *path, int fd, int id)
{
	struct wr_store *st = NULL;
	struct wr_job job;
	struct wr_err err;
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "bench%d", id);
	if (wr_store_open(path, &st, &err) < 0) {
		fprintf(stderr, "bench_jobs: %s\n", err.msg);
		return 1;
	}
	for (;;) {
		double t0 = now(), dt;

		rc = wr_job_claim(st, name, 60000, &job, &err);
		dt = now() - t0;
		if (rc == WR_ENOTFOUND)
			break;
		if (rc < 0 || wr_job_finish(st, &job, name, 0, "done", "", &err) < 0) {
			fprintf(stderr, "bench_jobs: %s\n", err.msg);
			wr_store_free(st);
			return 1;
		}
		if (write(fd, &dt, sizeof(dt)) != (ssize_t)sizeof(dt))
			break;
	}
	wr_store_free(st);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	long jobs = argc > 2 ? strtol(argv[2], NULL, 10) : 5000;
	int procs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 1, fds[2], bad = 0;
	struct wr_store *st = NULL;
	struct db *db = NULL;
	struct wr_err err;
	double *lat, t0, secs, dt;
	long n = 0;

	if (!path || jobs < 1 || procs < 1 || procs > 64) {
		fprintf(stderr, "usage: bench_jobs STORE [JOBS] [PROCS]\n");
		return 2;
	}
	if (wr_store_open(path, &st, &err) < 0 || db_open(path, &db, &err) < 0 ||
	    db_exec(db, "DELETE FROM jobs", &err) < 0) {
		fprintf(stderr, "bench_jobs: %s\n", err.msg);
		return 1;
	}
	db_free(db);
	for (long i = 0; i < jobs; i++)
		if (wr_job_submit(st, "/bench/instant.yaml", NULL, 0, NULL, &err) < 0) {
			fprintf(stderr, "bench_jobs: %s\n", err.msg);
			return 1;
		}
	wr_store_free(st);
	if (pipe(fds) < 0 || !(lat = malloc((size_t)jobs * sizeof(*lat))))
		return 1;
	t0 = now();
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(fds[0]);
			_exit(claimer(path, fds[1], p));
		}
	}
	close(fds[1]);
	while (n < jobs && read(fds[0], &dt, sizeof(dt)) == (ssize_t)sizeof(dt))
		lat[n++] = dt;
	for (int p = 0; p < procs; p++) {
		int status = 0;

		wait(&status);
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	secs = now() - t0;
	if (bad || n != jobs) {
		fprintf(stderr, "bench_jobs: %ld of %ld jobs claimed\n", n, jobs);
		return 1;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("%d claimer%s, %ld jobs: %.0f claims/s, claim p50 %.0f us, p99 %.0f us\n", procs,
	       procs == 1 ? "" : "s", jobs, (double)jobs / secs, lat[n / 2] * 1e6,
	       lat[n * 99 / 100] * 1e6);
	free(lat);
	return 0;
}
