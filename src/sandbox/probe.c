/* probe.c: which sandbox layers this kernel and process can give. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "sandbox/sandbox.h"

const char *const sbx_system_read[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
	"/dev/zero", "/dev/urandom", "/dev/random", NULL
};

const char *const sbx_system_write[] = { "/dev/null", NULL };

const char *wr_sandbox_layer_name(unsigned layer)
{
	switch (layer) {
	case WR_SBX_LANDLOCK_FS: return "landlock-fs";
	case WR_SBX_LANDLOCK_NET: return "landlock-net";
	case WR_SBX_LANDLOCK_SCOPE: return "landlock-scope";
	case WR_SBX_NETNS: return "netns";
	case WR_SBX_SECCOMP: return "seccomp";
	case WR_SBX_NO_NEW_PRIVS: return "no-new-privs";
	case WR_SBX_RLIMITS: return "rlimits";
	case WR_SBX_NPROC: return "nproc";
	}
	return "?";
}

static void why_add(struct wr_sandbox_probe *out, unsigned layer, const char *reason)
{
	size_t n = strlen(out->why);

	snprintf(out->why + n, sizeof(out->why) - n, "%s%s: %s", n ? "; " : "",
	         wr_sandbox_layer_name(layer), reason);
}

/* In a child: can it make a network namespace (as root directly, else inside
 * a new user namespace) and load a seccomp filter? Bit 0 and 1 of the exit
 * status say no. */
static int probe_child(const struct sbx_filter *f)
{
	int bad = 0;

	if (unshare(geteuid() == 0 ? CLONE_NEWNET : CLONE_NEWUSER | CLONE_NEWNET) < 0)
		bad |= 1;
	if (!f->insns || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    sbx_seccomp_enforce(f) < 0)
		bad |= 2;
	return bad;
}

void wr_sandbox_probe(struct wr_sandbox_probe *out)
{
	struct sbx_filter f;
	int status = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->available = WR_SBX_RLIMITS | WR_SBX_NO_NEW_PRIVS | WR_SBX_NPROC;
	out->landlock_abi = sbx_landlock_abi();
	if (out->landlock_abi >= 1)
		out->available |= WR_SBX_LANDLOCK_FS;
	else
		why_add(out, WR_SBX_LANDLOCK_FS, errno == EOPNOTSUPP
		        ? "Landlock is built in but not enabled (add landlock to the lsm= boot "
		          "parameter)" : "this kernel has no Landlock (Linux 5.13 or later)");
	if (out->landlock_abi >= 4)
		out->available |= WR_SBX_LANDLOCK_NET;
	else
		why_add(out, WR_SBX_LANDLOCK_NET, "needs Landlock ABI 4 (Linux 6.7)");
	if (out->landlock_abi >= 6)
		out->available |= WR_SBX_LANDLOCK_SCOPE;
	else
		why_add(out, WR_SBX_LANDLOCK_SCOPE, "needs Landlock ABI 6 (Linux 6.12)");
	sbx_seccomp_build(&f, NULL);  /* before fork: the child only makes system calls */
	pid = fork();
	if (pid == 0)
		_exit(probe_child(&f));
	sbx_seccomp_release(&f);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		why_add(out, WR_SBX_NETNS, "the probe could not run");
		why_add(out, WR_SBX_SECCOMP, "the probe could not run");
		return;
	}
	if (!(WEXITSTATUS(status) & 1)) {
		out->available |= WR_SBX_NETNS;
	} else if (geteuid() == 0) {
		why_add(out, WR_SBX_NETNS, "unshare(CLONE_NEWNET) is refused");
	} else {
		/* Not root, both come from a user namespace of our own. */
		why_add(out, WR_SBX_NETNS, "unprivileged user namespaces are refused "
		        "(as root it needs none)");
		why_add(out, WR_SBX_NPROC, "without a user namespace the limit would count "
		        "all of this user's processes");
		out->available &= ~WR_SBX_NPROC;
	}
	if (WEXITSTATUS(status) & 2)
		why_add(out, WR_SBX_SECCOMP, "seccomp filters are refused (CONFIG_SECCOMP_FILTER)");
	else
		out->available |= WR_SBX_SECCOMP;
}
