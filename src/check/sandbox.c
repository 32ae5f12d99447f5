/* sandbox.c: running a check's program (see sandbox.h). */
#include "check/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/os.h"

#define SBX_PATH "/usr/local/bin:/usr/bin:/bin"
#define SBX_ARGS_MAX 256

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* argv[0] as a path to execute: a PATH search for a bare name. */
static int resolve(const char *name, const char *dir, char *out, size_t size)
{
	const char *p = SBX_PATH;

	if (strchr(name, '/')) {
		char joined[4096];

		if (os_join(dir ? dir : ".", name, joined, sizeof(joined)) < 0 ||
		    size < PATH_MAX || !realpath(joined, out))
			return -1;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ":");

		if (snprintf(out, size, "%.*s/%s", (int)n, p, name) < (int)size &&
		    access(out, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}

/* a with every "{artifact}" replaced by file; NULL when out of memory. */
static char *replace_artifact(const char *a, const char *file)
{
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(a, "{artifact}")) != NULL) {
		buf_add(&b, a, (size_t)(p - a));
		buf_adds(&b, file);
		a = p + 10;
	}
	if (buf_adds(&b, a) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void limit(int res, rlim_t v)
{
	struct rlimit r = { v, v };

	setrlimit(res, &r);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(int in, int out, int report, const char *cwd, const char *path,
                  char *const *argv, char *const *envp, double timeout)
{
	int e;

	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || chdir(cwd) < 0)
		goto fail;
	/* Nothing of ours leaks in: every descriptor but the three and the
	 * report pipe (close-on-exec) closes. */
	if (close_range(3, (unsigned)report - 1, 0) < 0 ||
	    close_range((unsigned)report + 1, ~0u, 0) < 0)
		for (int fd = 3; fd < 4096; fd++)
			if (fd != report)
				close(fd);
	limit(RLIMIT_CPU, (rlim_t)timeout + 1);
	limit(RLIMIT_AS, SBX_MEMORY_MAX);
	limit(RLIMIT_FSIZE, SBX_FILE_MAX);
	limit(RLIMIT_NOFILE, 256);
	limit(RLIMIT_CORE, 0);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
	}
	execve(path, argv, envp);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* Feeds stdin and drains the output until it closes or the deadline. */
static void pump(struct sbx_result *r, int in, int out, const struct sbx_params *p,
                 uint64_t deadline)
{
	size_t sent = 0;
	char chunk[16384];

	fcntl(in, F_SETFL, O_NONBLOCK);
	if (!p->input_len) {
		close(in);
		in = -1;
	}
	while (out >= 0) {
		struct pollfd fds[2];
		int n = 0, left;
		uint64_t now = os_mono_ns();

		if (now >= deadline) {
			r->timed_out = 1;
			break;
		}
		left = (int)((deadline - now) / 1000000u) + 1;
		fds[n++] = (struct pollfd){ .fd = out, .events = POLLIN };
		if (in >= 0)
			fds[n++] = (struct pollfd){ .fd = in, .events = POLLOUT };
		if (poll(fds, (nfds_t)n, left) < 0 && errno != EINTR)
			break;
		if (n > 1 && fds[1].revents) {
			ssize_t w = write(in, p->input + sent, p->input_len - sent);

			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == p->input_len) {
				close(in);
				in = -1;
			}
		}
		if (fds[0].revents) {
			ssize_t got = read(out, chunk, sizeof(chunk));

			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (got <= 0)
				break;
			if (r->output.len + (size_t)got > SBX_OUTPUT_MAX) {
				r->truncated = 1;
				got = (ssize_t)(SBX_OUTPUT_MAX - r->output.len);
			}
			if (got > 0)
				buf_add(&r->output, chunk, (size_t)got);
		}
	}
	if (in >= 0)
		close(in);
}

static int spawn_and_wait(const struct sbx_params *p, struct sbx_result *r,
                          const char *tmp, const char *path, char *const *argv,
                          char *const *envp)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, rep[2] = { -1, -1 }, status = 0, e = 0;
	double timeout = p->timeout > 0 ? p->timeout : SBX_TIMEOUT_DEFAULT;
	uint64_t t0 = os_mono_ns();
	sigset_t pipe_set, old;
	pid_t pid;
	ssize_t got;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(rep, O_CLOEXEC) < 0) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		goto fail;
	}
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	pid = fork();
	if (pid == 0)
		child(pin[0], pout[1], rep[1], tmp, path, argv, envp, timeout);
	close(pin[0]);
	close(pout[1]);
	close(rep[1]);
	pin[0] = pout[1] = rep[1] = -1;
	if (pid < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		goto fail;
	}
	setpgid(pid, pid);
	pump(r, pin[1], pout[0], p, t0 + (uint64_t)(timeout * 1e9));
	pin[1] = -1;
	kill(-pid, SIGKILL);   /* the group: nothing it started outlives the check */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	{
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	r->seconds = (double)(os_mono_ns() - t0) / 1e9;
	got = read(rep[0], &e, sizeof(e));
	if (got == (ssize_t)sizeof(e)) {
		snprintf(r->why, sizeof(r->why), "cannot run '%s': %s", argv[0], strerror(e));
		goto fail;
	}
	r->started = 1;
	if (WIFEXITED(status) && !r->timed_out)
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status) && !r->timed_out)
		r->signal = WTERMSIG(status);
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0) close(pin[i]);
		if (pout[i] >= 0) close(pout[i]);
		if (rep[i] >= 0) close(rep[i]);
	}
	return r->started ? 0 : -1;
}

int sbx_run(const struct sbx_params *p, struct sbx_result *r)
{
	char tmp[512], file[600], path[4096], *argv[SBX_ARGS_MAX + 1], *envp[8];
	char e_path[] = "PATH=" SBX_PATH, e_home[560], e_tmp[560], e_lang[] = "LANG=C.UTF-8";
	char e_art[640], e_dir[4200];
	const char *base = getenv("TMPDIR");
	size_t n = 0;
	int rc = -1, made = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&r->output, SBX_OUTPUT_MAX + 1);
	r->exit_code = -1;
	memset(argv, 0, sizeof(argv));
	snprintf(tmp, sizeof(tmp), "%s/warrant-check-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmp)) {
		snprintf(r->why, sizeof(r->why), "cannot make a temporary directory: %s",
		         strerror(errno));
		goto out;
	}
	made = 1;
	snprintf(file, sizeof(file), "%s/artifact", tmp);
	if (os_write_atomic(file, p->input, p->input_len, 1, NULL) < 0) {
		snprintf(r->why, sizeof(r->why), "cannot write the artifact to %.200s", file);
		goto out;
	}
	for (n = 0; n < SBX_ARGS_MAX && p->argv[n]; n++) {
		const char *a = p->argv[n];

		argv[n] = replace_artifact(a, file);
		if (!argv[n]) {
			snprintf(r->why, sizeof(r->why), "out of memory");
			goto out;
		}
	}
	snprintf(e_home, sizeof(e_home), "HOME=%s", tmp);
	snprintf(e_tmp, sizeof(e_tmp), "TMPDIR=%s", tmp);
	snprintf(e_art, sizeof(e_art), "WARRANT_ARTIFACT=%s", file);
	if (!realpath(p->dir ? p->dir : ".", path))
		snprintf(path, sizeof(path), "%s", p->dir ? p->dir : ".");
	snprintf(e_dir, sizeof(e_dir), "WARRANT_FLOW_DIR=%s", path);
	if (resolve(p->argv[0], p->dir, path, sizeof(path)) < 0) {
		snprintf(r->why, sizeof(r->why), "cannot run '%s': not found", p->argv[0]);
		goto out;
	}
	envp[0] = e_path;
	envp[1] = e_home;
	envp[2] = e_tmp;
	envp[3] = e_lang;
	envp[4] = e_art;
	envp[5] = e_dir;
	envp[6] = NULL;
	rc = spawn_and_wait(p, r, tmp, path, argv, envp);
out:
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	if (made)
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
