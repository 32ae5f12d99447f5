/* sandbox.c: wr_sandbox_run, a program under every layer the kernel gives.
 *
 * The parent prepares everything that allocates or may fail for a reason
 * worth a sentence: the argument and environment vectors, the program's
 * path, the Landlock ruleset, the seccomp BPF. The child then only makes
 * system calls, in this order, each needing what came before:
 *
 *   process group of its own     so the timeout kills every descendant
 *   stdin/stdout/stderr pipes, every other fd close-on-exec
 *   network namespace            as root directly; otherwise inside a new
 *                                user namespace mapping only the caller
 *   work dir
 *   uid and gid of nobody        when root: RLIMIT_NPROC never binds root;
 *                                then a user namespace, so the process
 *                                count is this sandbox's alone
 *   rlimits                      after the namespace, which takes the
 *                                caller's RLIMIT_NPROC as its outer cap
 *   no_new_privs, Landlock, seccomp, execve
 *
 * A step that fails is reported on a close-on-exec pipe as (step, errno):
 * fatal, or a note when allow_weaker lets the run go on without it. End of
 * file on that pipe means execve succeeded. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/os.h"
#include "core/proc.h"
#include "sandbox/sandbox.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

struct wr_sandbox_params wr_sandbox_default_params(void)
{
	return (struct wr_sandbox_params){
		.system_paths = 1,
		.timeout_s = 30,
		.cpu_s = 30,
		.memory_bytes = (size_t)1 << 30,
		.file_bytes = (size_t)64 << 20,
		.max_procs = 64,
		.max_files = 256,
		.max_output = (size_t)1 << 20,
		.uid = 65534,
		.gid = 65534,
	};
}

void wr_sandbox_result_release(struct wr_sandbox_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
}

/* --- what the child does --- */

enum step {
	STEP_NETNS = 1, STEP_USERNS, STEP_CWD, STEP_RLIMIT, STEP_IDS, STEP_NNP,
	STEP_LANDLOCK, STEP_SECCOMP, STEP_EXEC, STEP_FDS,
};

static const char *const step_names[] = {
	"?", "network namespace", "user namespace", "work dir", "rlimits",
	"dropping root", "no_new_privs", "landlock", "seccomp", "exec", "file descriptors",
};

static const unsigned step_layer[] = {
	0, WR_SBX_NETNS, WR_SBX_NETNS | WR_SBX_NPROC, 0, WR_SBX_RLIMITS, WR_SBX_NPROC,
	WR_SBX_NO_NEW_PRIVS, WR_SBX_LANDLOCK_FS | WR_SBX_LANDLOCK_NET | WR_SBX_LANDLOCK_SCOPE,
	WR_SBX_SECCOMP, 0, 0,
};

struct report {
	int step;
	int err;      /* errno */
	int fatal;
};

/* Everything the child needs, ready before fork. */
struct plan {
	const struct wr_sandbox_params *p;
	const char *path;         /* the program, resolved */
	char **argv, **envp;
	const char *cwd;
	int in, out, err;         /* the child's ends of the pipes */
	int report;               /* write end of the report pipe */
	int ruleset;              /* Landlock ruleset fd, or -1 */
	struct sbx_filter filter; /* empty when seccomp is missing */
	int netns, userns, drop_ids;
	char uid_map[64], gid_map[64];
};

static void child_report(const struct plan *pl, int step, int e, int fatal)
{
	struct report r = { step, e, fatal };

	if (write(pl->report, &r, sizeof(r)) < 0) {
		/* nothing to do: the parent sees the exit status */
	}
	if (fatal)
		_exit(127);
}

/* A failed step stops the child unless the caller allowed weaker runs. */
static void child_check(const struct plan *pl, int ok, int step)
{
	if (!ok)
		child_report(pl, step, errno, !pl->p->allow_weaker);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok;
}

static int set_limit(int what, rlim_t soft, rlim_t hard)
{
	struct rlimit r = { soft, hard };

	return setrlimit(what, &r) == 0;
}

static int child_limits(const struct wr_sandbox_params *p)
{
	int ok = 1;

	if (p->cpu_s > 0) {
		rlim_t s = (rlim_t)(p->cpu_s + 0.999);
		ok &= set_limit(RLIMIT_CPU, s, s + 1);  /* SIGXCPU, then SIGKILL */
	}
	if (p->memory_bytes)
		ok &= set_limit(RLIMIT_AS, p->memory_bytes, p->memory_bytes);
	if (p->file_bytes)
		ok &= set_limit(RLIMIT_FSIZE, p->file_bytes, p->file_bytes);
	if (p->max_procs > 0)
		ok &= set_limit(RLIMIT_NPROC, (rlim_t)p->max_procs, (rlim_t)p->max_procs);
	if (p->max_files > 0)
		ok &= set_limit(RLIMIT_NOFILE, (rlim_t)p->max_files, (rlim_t)p->max_files);
	ok &= set_limit(RLIMIT_CORE, 0, 0);
	return ok;
}

static void child_fds(const struct plan *pl)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (dup2(pl->in, 0) < 0 || dup2(pl->out, 1) < 0 || dup2(pl->err, 2) < 0)
		child_report(pl, STEP_FDS, errno, 1);
	/* Every inherited descriptor closes at execve; ours are used till then. */
	if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		int max = (int)sysconf(_SC_OPEN_MAX);

		for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			if (fd != pl->report && fd != pl->ruleset)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
}

static void child_main(const struct plan *pl)
{
	const struct wr_sandbox_params *p = pl->p;

	setpgid(0, 0);
	child_fds(pl);
	if (pl->userns) {
		/* Not root: a user namespace of our own maps only us, and lets us
		 * make a network namespace; the process count is per namespace. */
		int ok = unshare(CLONE_NEWUSER | (pl->netns ? CLONE_NEWNET : 0)) == 0;

		ok = ok && write_file("/proc/self/setgroups", "deny") &&
		     write_file("/proc/self/uid_map", pl->uid_map) &&
		     write_file("/proc/self/gid_map", pl->gid_map);
		child_check(pl, ok, STEP_USERNS);
	} else if (pl->netns) {
		child_check(pl, unshare(CLONE_NEWNET) == 0, STEP_NETNS);
	}
	if (chdir(pl->cwd) < 0)
		child_report(pl, STEP_CWD, errno, 1);
	if (pl->drop_ids) {
		gid_t g = (gid_t)p->gid;
		uid_t u = (uid_t)p->uid;

		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
			child_report(pl, STEP_IDS, errno, 1);
		/* RLIMIT_NPROC counts a user's processes across the machine; in a
		 * user namespace of its own (mapping only these ids) the count is
		 * this sandbox's. Best effort: without it the limit still binds,
		 * per user. /proc/self is root's after setuid unless dumpable. */
		if (p->max_procs > 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 &&
		    unshare(CLONE_NEWUSER) == 0) {
			write_file("/proc/self/setgroups", "deny");
			write_file("/proc/self/uid_map", pl->uid_map);
			write_file("/proc/self/gid_map", pl->gid_map);
		}
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	/* After the user namespace: it takes the caller's RLIMIT_NPROC as the
	 * cap on the count outside it, and the machine's must not be ours. */
	child_check(pl, child_limits(p), STEP_RLIMIT);
	child_check(pl, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, STEP_NNP);
	if (pl->ruleset >= 0) {
		int e = sbx_landlock_enforce(pl->ruleset);

		errno = -e;
		child_check(pl, e == 0, STEP_LANDLOCK);
	}
	if (pl->filter.insns) {
		int e = sbx_seccomp_enforce(&pl->filter);

		errno = -e;
		child_check(pl, e == 0, STEP_SECCOMP);
	}
	execve(pl->path, pl->argv, pl->envp);
	child_report(pl, STEP_EXEC, errno, 1);
}

/* --- preparing --- */

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **strv_dup(const char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	if (!(out = calloc(n + 1, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			strv_free(out);
			return NULL;
		}
	return out;
}

/* Sets NAME=value in v (of room entries), replacing an entry of that name. */
static int env_set(char **v, size_t room, const char *entry)
{
	size_t k = strcspn(entry, "="), i;

	for (i = 0; i < room && v[i]; i++)
		if (!strncmp(v[i], entry, k + 1))
			break;
	if (i == room)
		return WR_ENOMEM;
	free(v[i]);
	return (v[i] = strdup(entry)) ? 0 : WR_ENOMEM;
}

static int env_build(const struct wr_sandbox_params *p, const char *home, char ***out,
                     struct wr_err *err)
{
	size_t n = 4;
	char **v, line[4200], tmp[4200];
	int rc = WR_ENOMEM;

	while (p->env && p->env[n - 4])
		n++;
	if (!(v = calloc(n + 1, sizeof(*v))))
		return err_set(err, WR_ENOMEM, "out of memory");
	snprintf(line, sizeof(line), "HOME=%s", home);
	snprintf(tmp, sizeof(tmp), "TMPDIR=%s", home);  /* /tmp is not granted */
	if (env_set(v, n, "PATH=" DEFAULT_PATH) < 0 || env_set(v, n, "LANG=C.UTF-8") < 0 ||
	    env_set(v, n, line) < 0 || env_set(v, n, tmp) < 0)
		goto fail;
	for (size_t i = 0; p->env && p->env[i]; i++) {
		const char *e = p->env[i];

		if (!strchr(e, '=') || e[0] == '=') {
			rc = err_set(err, WR_EINVAL, "sandbox: environment entry '%.100s' is not "
			             "NAME=value", e);
			goto fail;
		}
		if (proc_env_is_secret(e)) {
			rc = err_set(err, WR_EINVAL, "sandbox: refusing to pass '%.*s': it looks "
			             "like a credential", (int)strcspn(e, "="), e);
			goto fail;
		}
		if (env_set(v, n, e) < 0)
			goto fail;
	}
	*out = v;
	return 0;
fail:
	strv_free(v);
	return rc == WR_ENOMEM ? err_set(err, rc, "out of memory") : rc;
}

static int is_program(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* The program's path: argv[0] itself when it has a '/', else the first
 * match in the child's PATH. */
static int find_program(const char *name, char **envp, char *out, size_t size)
{
	const char *path = DEFAULT_PATH;

	if (strchr(name, '/'))
		return snprintf(out, size, "%s", name) < (int)size ? 0 : -1;
	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && (int)snprintf(out, size, "%.*s/%s", (int)n, path, name) < (int)size &&
		    is_program(out))
			return 0;
		path += n + (path[n] == ':');
	}
	return -1;
}

static unsigned layers_wanted(const struct wr_sandbox_params *p)
{
	unsigned w = WR_SBX_LANDLOCK_FS | WR_SBX_LANDLOCK_SCOPE | WR_SBX_SECCOMP |
	             WR_SBX_NO_NEW_PRIVS | WR_SBX_RLIMITS;

	if (!p->net)
		w |= WR_SBX_NETNS | WR_SBX_LANDLOCK_NET;
	if (p->max_procs > 0)
		w |= WR_SBX_NPROC;
	return w;
}

static void names_of(unsigned layers, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned b = 1; b <= WR_SBX_ALL; b <<= 1)
		if (layers & b) {
			snprintf(out + n, size - n, "%s%s", n ? ", " : "", wr_sandbox_layer_name(b));
			n = strlen(out);
		}
}

/* Fills the plan's Landlock and seccomp parts; clears what is missing from
 * *have, and fails when that is not allowed. */
static int prepare_layers(const struct wr_sandbox_params *p, struct plan *pl, unsigned want,
                          unsigned *have, int *abi, struct wr_err *err)
{
	unsigned ll = 0;
	int rc;

	*abi = sbx_landlock_abi();
	*have = want;
	if (*abi >= 1) {
		if ((rc = sbx_landlock_ruleset(p, *abi, &ll, err)) < 0)
			return rc;
		pl->ruleset = rc;
	}
	*have &= ~((WR_SBX_LANDLOCK_FS | WR_SBX_LANDLOCK_NET | WR_SBX_LANDLOCK_SCOPE) & ~ll);
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 || sbx_seccomp_build(&pl->filter, NULL) < 0)
		*have &= ~WR_SBX_SECCOMP;
	if (geteuid() == 0 && p->uid < 0)
		*have &= ~WR_SBX_NPROC;  /* RLIMIT_NPROC does not bind root */
	if (*have != want && !p->allow_weaker) {
		char names[256];

		names_of(want & ~*have, names, sizeof(names));
		return err_set(err, WR_ESANDBOX, "sandbox: this kernel or process cannot give: %s "
		               "(Landlock ABI %d; `warrant sandbox --probe` says why); refusing to "
		               "run without allow_weaker", names, *abi);
	}
	return 0;
}

/* --- running --- */

/* Reads the child's reports until execve closes the pipe. */
static int read_reports(int fd, const struct wr_sandbox_params *p, unsigned *have,
                        struct wr_sandbox_result *r, struct wr_err *err)
{
	struct report rep;
	ssize_t n;
	int rc = 0;

	while ((n = read(fd, &rep, sizeof(rep))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rep))
			break;
		if (rep.step <= 0 || rep.step > STEP_FDS)
			continue;
		if (rep.step == STEP_EXEC) {
			r->exec_errno = rep.err;
			r->status = rep.err == ENOENT ? 127 : 126;
		} else if (rep.fatal) {
			rc = err_set(err, WR_ESANDBOX, "sandbox: %s: %s%s", step_names[rep.step],
			             strerror(rep.err), step_layer[rep.step] && !p->allow_weaker
			             ? " (refusing to run without allow_weaker)" : "");
		} else {
			*have &= ~step_layer[rep.step];
		}
	}
	return rc;
}

/* Waits until pid has exited (without reaping it) or the deadline passes.
 * A program may close its output long before it ends. 1 when it exited. */
static int wait_exit(pid_t pid, int pidfd, uint64_t deadline)
{
	siginfo_t si;

	for (;;) {
		uint64_t now = os_mono_ns();
		int left;

		if (now >= deadline)
			return 0;
		left = (int)((deadline - now) / 1000000u) + 1;
		if (pidfd >= 0) {
			struct pollfd pf = { .fd = pidfd, .events = POLLIN };

			if (poll(&pf, 1, left) > 0)
				return 1;
			continue;
		}
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
			return 1;
		os_sleep_ms(left < 10 ? left : 10);
	}
}

static int sink_take(struct proc_sink *s, char **data, size_t *len, int *truncated)
{
	*truncated = s->truncated;
	*data = buf_detach(&s->buf, len);
	return *data ? 0 : WR_ENOMEM;
}

/* Forks the child, feeds and drains it until it ends or its time is up, and
 * reaps it; nothing of its process group is left. Fills r's status, signal,
 * timed_out and exec_errno; *have loses the layers the child reported
 * missing. 0, or WR_ESANDBOX when set-up failed. */
static int run_child(struct plan *pl, uint64_t deadline, struct proc_sink *so,
                     struct proc_sink *se, unsigned *have, struct wr_sandbox_result *r,
                     struct wr_err *err)
{
	const struct wr_sandbox_params *p = pl->p;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int prep[2] = { -1, -1 }, pidfd = -1, status = 0, rc;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0 || pipe2(prep, O_CLOEXEC) < 0) {
		rc = err_set(err, WR_ESANDBOX, "sandbox: pipe: %s", strerror(errno));
		goto out;
	}
	pl->in = pin[0];
	pl->out = pout[1];
	pl->err = perr[1];
	pl->report = prep[1];
	pid = fork();
	if (pid < 0) {
		rc = err_set(err, WR_ESANDBOX, "sandbox: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_main(pl);
	setpgid(pid, 0);  /* as the child does: whichever runs first */
	proc_fd_close(&pin[0]);
	proc_fd_close(&pout[1]);
	proc_fd_close(&perr[1]);
	proc_fd_close(&prep[1]);
	rc = read_reports(prep[0], p, have, r, err);
	if (rc == 0 && !r->exec_errno) {
		int end;

		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		end = proc_pump(pin[1], pout[0], perr[0], p->stdin_data, p->stdin_data ?
		                p->stdin_len : 0, deadline, pidfd, pid, so, se);
		pin[1] = pout[0] = perr[0] = -1;  /* the pump closed them */
		r->timed_out = end != PROC_DONE || !wait_exit(pid, pidfd, deadline);
	}
	/* Its time is up, or it has exited and is not yet reaped (a zombie keeps
	 * its pid and group id from reuse): nothing of its group outlives it. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !r->exec_errno && WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else if (rc == 0 && !r->exec_errno && WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
out:
	for (int i = 0; i < 2; i++) {
		proc_fd_close(&pin[i]);
		proc_fd_close(&pout[i]);
		proc_fd_close(&perr[i]);
		proc_fd_close(&prep[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

/* The plan's vectors, paths and ids, before the layers. */
static int plan_fill(const struct wr_sandbox_params *p, struct plan *pl, char *cwd,
                     struct wr_err *err)
{
	const char *dir = p->cwd ? p->cwd
	                  : p->write_paths && p->write_paths[0] ? p->write_paths[0] : "/";
	unsigned u, g;
	int rc;

	if (!p->argv || !p->argv[0] || !p->argv[0][0])
		return err_set(err, WR_EINVAL, "sandbox: no program to run");
	if (!realpath(dir, cwd))
		return err_set(err, WR_EINVAL, "sandbox: work dir %s: %s", dir, strerror(errno));
	pl->cwd = cwd;  /* absolute: it is HOME too */
	if (!(pl->argv = strv_dup(p->argv)))
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = env_build(p, pl->cwd, &pl->envp, err)) < 0)
		return rc;
	pl->drop_ids = geteuid() == 0 && p->uid >= 0;
	pl->userns = geteuid() != 0;
	u = pl->drop_ids ? (unsigned)p->uid : (unsigned)geteuid();
	g = pl->drop_ids ? (unsigned)p->gid : (unsigned)getegid();
	snprintf(pl->uid_map, sizeof(pl->uid_map), "%u %u 1", u, u);
	snprintf(pl->gid_map, sizeof(pl->gid_map), "%u %u 1", g, g);
	return 0;
}

int wr_sandbox_run(const struct wr_sandbox_params *p, struct wr_sandbox_result *r,
                   struct wr_err *err)
{
	struct plan pl = { .p = p, .in = -1, .out = -1, .err = -1, .report = -1, .ruleset = -1 };
	struct proc_sink so = { .max = p->max_output }, se = { .max = p->max_output };
	unsigned want = layers_wanted(p), have = 0;
	char path[4200], cwd[PATH_MAX];
	uint64_t t0 = os_mono_ns();
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	buf_init(&so.buf, 0);
	buf_init(&se.buf, 0);
	if ((rc = plan_fill(p, &pl, cwd, err)) < 0 ||
	    (rc = prepare_layers(p, &pl, want, &have, &r->landlock_abi, err)) < 0)
		goto out;
	pl.netns = !p->net && (have & WR_SBX_NETNS);
	if (find_program(p->argv[0], pl.envp, path, sizeof(path)) < 0) {
		r->status = 127;
		r->exec_errno = ENOENT;
	} else {
		pl.path = path;
		rc = run_child(&pl, t0 + (uint64_t)((p->timeout_s > 0 ? p->timeout_s : 1e6) * 1e9),
		               &so, &se, &have, r, err);
		if (rc < 0)
			goto out;
	}
	r->applied = have;
	r->missing = want & ~have;
	if (sink_take(&so, &r->out, &r->out_len, &r->out_truncated) < 0 ||
	    sink_take(&se, &r->err, &r->err_len, &r->err_truncated) < 0) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	r->seconds = (double)(os_mono_ns() - t0) / 1e9;
	rc = 0;
out:
	if (pl.ruleset >= 0)
		close(pl.ruleset);
	sbx_seccomp_release(&pl.filter);
	strv_free(pl.argv);
	strv_free(pl.envp);
	buf_release(&so.buf);
	buf_release(&se.buf);
	return rc;
}
