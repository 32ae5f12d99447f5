/* sandbox.h: the layers of the OS sandbox, each prepared in the parent and
 * put in force by the child just before execve (sandbox.c).
 *
 *   landlock.c  the Landlock ruleset: paths (read or write), TCP, scopes
 *   seccomp.c   the seccomp filter, compiled to BPF with libseccomp
 *   probe.c     what this kernel offers; layer names
 *   sandbox.c   wr_sandbox_run: the child's set-up, I/O, limits, reaping
 *
 * Nothing here allocates after fork: the child only makes system calls. */
#ifndef WR_SANDBOX_H
#define WR_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "warrant.h"

/* --- landlock.c --- */

/* The Landlock ABI version of the running kernel: 0 when it has none or it
 * is disabled (errno tells which: ENOSYS, EOPNOTSUPP). */
int sbx_landlock_abi(void);

/* Creates a ruleset for p at abi (>= 1): every access right the ABI knows is
 * handled; read_paths (and the system paths) get read and execute,
 * write_paths everything but device nodes; without p->net, TCP bind and
 * connect are handled and so denied (abi >= 4); signals and abstract Unix
 * sockets are scoped (abi >= 6). *layers gets the WR_SBX_LANDLOCK_* bits it
 * covers. Returns the ruleset fd (O_CLOEXEC, the caller's) or a WR_E* code:
 * WR_EINVAL for a listed path that cannot be opened, WR_ESANDBOX. */
int sbx_landlock_ruleset(const struct wr_sandbox_params *p, int abi, unsigned *layers,
                         struct wr_err *err);

/* In the child: enforces the ruleset on itself. 0 or -errno. */
int sbx_landlock_enforce(int ruleset_fd);

/* --- seccomp.c --- */

/* A compiled seccomp filter: classic BPF, ready for prctl. */
struct sbx_filter {
	void *insns;     /* struct sock_filter[]; owned */
	unsigned short len;
};

/* Compiles the deny-list (see seccomp.c) into f. WR_ESANDBOX, WR_ENOMEM. */
int sbx_seccomp_build(struct sbx_filter *f, struct wr_err *err);
void sbx_seccomp_release(struct sbx_filter *f);
/* In the child, with no_new_privs already set: loads f. 0 or -errno. */
int sbx_seccomp_enforce(const struct sbx_filter *f);

/* The system calls the filter denies, NULL-ended (for tests and docs). */
extern const char *const sbx_denied_syscalls[];

/* --- probe.c --- */

/* The system paths granted read access when params.system_paths is set, and
 * those granted read and write, NULL-ended. */
extern const char *const sbx_system_read[];
extern const char *const sbx_system_write[];

#endif
