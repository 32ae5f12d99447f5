/* bench_sandbox.c: start-up cost of the sandbox per tool call.
 *
 *     build/bench_sandbox [N]
 *
 * Runs /bin/true N times three ways and prints the median and p99 wall time
 * of each, from the call to the reaped child: plain fork/exec/wait; through
 * wr_sandbox_run with every layer; and, when it is installed, through
 * bubblewrap (bwrap) with comparable restrictions (new network namespace,
 * read-only /usr and the library links, --die-with-parent, a clean
 * environment; bwrap has no Landlock or seccomp deny-list of its own). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/os.h"
#include "warrant.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-28s median %7.3f ms   p99 %7.3f ms   (%d runs)\n", what, t[n / 2],
	       t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], n);
}

/* fork, exec argv with stdout and stderr on /dev/null, wait. */
static int spawn_wait(char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 300;
	char *plain[] = { "/bin/true", NULL };
	char *bwrap[] = { "/usr/bin/bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc",
	                  "--die-with-parent", "--new-session", "--clearenv",
	                  "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
	                  "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
	                  "--dev", "/dev", "--chdir", "/", "/bin/true", NULL };
	const char *sargv[] = { "/bin/true", NULL };
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;
	double *t;

	if (n < 1 || n > 100000 || !(t = calloc((size_t)n, sizeof(*t)))) {
		fprintf(stderr, "usage: bench_sandbox [N]\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		uint64_t t0 = os_mono_ns();

		if (spawn_wait(plain) < 0) {
			fprintf(stderr, "/bin/true failed\n");
			return 1;
		}
		t[i] = (double)(os_mono_ns() - t0) / 1e6;
	}
	report("fork/exec/wait", t, n);
	p.argv = sargv;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = os_mono_ns();

		if (wr_sandbox_run(&p, &r, &err) < 0 || r.status != 0) {
			fprintf(stderr, "sandbox: %s (status %d)\n", err.msg, r.status);
			return 1;
		}
		t[i] = (double)(os_mono_ns() - t0) / 1e6;
		if (i == 0) {
			printf("sandbox layers in force:");
			for (unsigned b = 1; b <= WR_SBX_ALL; b <<= 1)
				if (r.applied & b)
					printf(" %s", wr_sandbox_layer_name(b));
			printf("\n");
		}
		wr_sandbox_result_release(&r);
	}
	report("wr_sandbox_run", t, n);
	if (access(bwrap[0], X_OK) == 0) {
		for (int i = 0; i < n; i++) {
			uint64_t t0 = os_mono_ns();

			if (spawn_wait(bwrap) < 0) {
				fprintf(stderr, "bwrap failed\n");
				return 1;
			}
			t[i] = (double)(os_mono_ns() - t0) / 1e6;
		}
		report("bwrap (bubblewrap)", t, n);
	} else {
		printf("bwrap: not installed, skipped (apt-get install bubblewrap)\n");
	}
	free(t);
	return 0;
}
