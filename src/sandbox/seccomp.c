/* seccomp.c: the system-call filter of a sandbox.
 *
 * A deny-list, not an allow-list: the program may be any program, so the
 * filter takes away what no tool needs and what has been the way out of
 * sandboxes (debugging other processes, mounting, loading kernel code or BPF,
 * the kernel keyring, new namespaces, io_uring, which bypasses seccomp, file
 * handles that step around path checks). Each such call fails with EPERM.
 * clone3 fails with ENOSYS so that the C library falls back to clone, whose
 * flags a classic filter can see; clone with any CLONE_NEW* flag is denied.
 * System calls of another architecture (int 0x80, x32) kill the process.
 *
 * libseccomp compiles the rules in the parent; the child only loads the BPF,
 * so nothing allocates between fork and exec. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "sandbox/sandbox.h"

const char *const sbx_denied_syscalls[] = {
	/* other processes */
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
	/* mounts and the root */
	"mount", "umount", "umount2", "move_mount", "open_tree", "fsopen", "fsconfig",
	"fsmount", "fspick", "mount_setattr", "pivot_root", "chroot",
	/* kernel code, BPF, keys */
	"bpf", "kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "keyctl", "add_key", "request_key",
	/* namespaces after set-up; leaving the process group */
	"unshare", "setns", "setsid", "setpgid",
	/* the machine */
	"reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "syslog",
	"sethostname", "setdomainname", "vhangup", "iopl", "ioperm",
	"perf_event_open", "userfaultfd", "fanotify_init", "lookup_dcookie",
	"nfsservctl", "uselib", "_sysctl",
	/* around the path checks, and around seccomp */
	"name_to_handle_at", "open_by_handle_at", "io_uring_setup", "io_uring_enter",
	"io_uring_register",
	NULL
};

/* Adds one rule; a call this libseccomp or architecture does not know is
 * skipped (it cannot be made either). */
static int deny(scmp_filter_ctx ctx, const char *name, int errno_value)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)errno_value), nr, 0);
}

static int add_rules(scmp_filter_ctx ctx, const char **what)
{
	static const unsigned long new_ns[] = {
		CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC,
		CLONE_NEWUTS, CLONE_NEWCGROUP,
	};
	int rc;

	for (size_t i = 0; sbx_denied_syscalls[i]; i++) {
		*what = sbx_denied_syscalls[i];
		if ((rc = deny(ctx, sbx_denied_syscalls[i], EPERM)) < 0)
			return rc;
	}
	*what = "clone3";
	if ((rc = deny(ctx, "clone3", ENOSYS)) < 0)
		return rc;
	*what = "clone";
	for (size_t i = 0; i < sizeof(new_ns) / sizeof(*new_ns); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                           SCMP_A0(SCMP_CMP_MASKED_EQ, new_ns[i], new_ns[i]))) < 0)
			return rc;
	/* Typing into a terminal's input queue: the classic TIOCSTI escape. */
	*what = "ioctl";
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	                           SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI))) < 0)
		return rc;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	                        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
}

int sbx_seccomp_build(struct sbx_filter *f, struct wr_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	const char *what = "init";
	struct buf bpf = BUF_INIT;
	char chunk[4096];
	int fd = -1, rc = WR_ESANDBOX, e;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	if (!ctx)
		return err_set(err, WR_ESANDBOX, "sandbox: seccomp: libseccomp cannot start");
	/* The child sets no_new_privs itself, before Landlock. A system call of
	 * another ABI kills the whole process, not only the thread. */
	if ((e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (e = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (e = add_rules(ctx, &what)) < 0) {
		err_set(err, rc, "sandbox: seccomp: rule for %s: %s", what, strerror(-e));
		goto out;
	}
	fd = memfd_create("warrant-seccomp", MFD_CLOEXEC);
	if (fd < 0 || (e = seccomp_export_bpf(ctx, fd)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		err_set(err, rc, "sandbox: seccomp: cannot export the filter");
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&bpf, chunk, (size_t)n) < 0) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
	if (bpf.len == 0 || bpf.len % sizeof(struct sock_filter) ||
	    bpf.len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		err_set(err, rc, "sandbox: seccomp: odd filter of %zu bytes", bpf.len);
		goto out;
	}
	f->len = (unsigned short)(bpf.len / sizeof(struct sock_filter));
	f->insns = buf_detach(&bpf, NULL);
	rc = f->insns ? 0 : err_set(err, WR_ENOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	buf_release(&bpf);
	seccomp_release(ctx);
	return rc;
}

void sbx_seccomp_release(struct sbx_filter *f)
{
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

int sbx_seccomp_enforce(const struct sbx_filter *f)
{
	struct sock_fprog prog = { .len = f->len, .filter = f->insns };

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}
