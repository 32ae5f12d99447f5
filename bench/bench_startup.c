/* bench_startup.c: median wall time of `warrant --version`, fork to exit.
 *
 *     build/bench_startup build/warrant [N]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 200;
	double *t;

	if (argc < 2 || n < 1 || n > 100000) {
		fprintf(stderr, "usage: bench_startup WARRANT [N]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		double t0 = now();
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			execl(argv[1], argv[1], "--version", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s --version failed\n", argv[1]);
			return 1;
		}
		t[i] = (now() - t0) * 1e3;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("startup: median %.2f ms, p90 %.2f ms over %d runs\n", t[n / 2], t[n * 9 / 10], n);
	free(t);
	return 0;
}
