/* landlock.c: the Landlock ruleset of a sandbox.
 *
 * Landlock is an unprivileged LSM: a process restricts itself, and every
 * descendant, to the rules it was given; nothing can lift them. The
 * definitions are written out here because the installed kernel headers may
 * be older than the running kernel (Debian 12 ships 6.1's, ABI 2), and
 * rights unknown to the kernel must not be asked for: each ABI adds some.
 *
 *   ABI 1  files: execute, read, write, read dir, make/remove entries
 *   ABI 2  refer (link or rename across directories)
 *   ABI 3  truncate
 *   ABI 4  TCP bind and connect, by port
 *   ABI 5  ioctl on device files
 *   ABI 6  scopes: abstract Unix sockets and signals stay inside
 *   ABI 7  audit logging flags (not needed here) */
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/err.h"
#include "sandbox/sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE      (1ull << 0)
#define LL_FS_WRITE_FILE   (1ull << 1)
#define LL_FS_READ_FILE    (1ull << 2)
#define LL_FS_READ_DIR     (1ull << 3)
#define LL_FS_REMOVE_DIR   (1ull << 4)
#define LL_FS_REMOVE_FILE  (1ull << 5)
#define LL_FS_MAKE_CHAR    (1ull << 6)
#define LL_FS_MAKE_DIR     (1ull << 7)
#define LL_FS_MAKE_REG     (1ull << 8)
#define LL_FS_MAKE_SOCK    (1ull << 9)
#define LL_FS_MAKE_FIFO    (1ull << 10)
#define LL_FS_MAKE_BLOCK   (1ull << 11)
#define LL_FS_MAKE_SYM     (1ull << 12)
#define LL_FS_REFER        (1ull << 13)  /* ABI 2 */
#define LL_FS_TRUNCATE     (1ull << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV    (1ull << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP    (1ull << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL    (1ull << 1)

/* Rights that make sense on a file (the rest only on directories). */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
                    LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_FS_READ (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)

struct ll_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;  /* ABI 4 */
	__u64 scoped;              /* ABI 6 */
};

struct ll_path_beneath_attr {
	__u64 allowed_access;
	__s32 parent_fd;
} __attribute__((packed));

int sbx_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

int sbx_landlock_enforce(int ruleset_fd)
{
	return syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0 ? -errno : 0;
}

static __u64 fs_rights(int abi)
{
	__u64 r = (LL_FS_MAKE_SYM << 1) - 1;  /* ABI 1: bits 0..12 */

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

/* Adds one path rule. A missing path is an error unless optional. */
static int add_path(int ruleset, const char *path, __u64 access, __u64 handled, int optional,
                    struct wr_err *err)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (optional && errno == ENOENT)
			return 0;
		return err_set(err, WR_EINVAL, "sandbox: %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = err_set(err, WR_EINVAL, "sandbox: %s: %s", path, strerror(errno));
		goto out;
	}
	pb.allowed_access = access & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		rc = err_set(err, WR_ESANDBOX, "sandbox: landlock: rule for %s: %s", path,
		             strerror(errno));
out:
	close(fd);
	return rc;
}

static int add_paths(int ruleset, const char *const *paths, __u64 access, __u64 handled,
                     int optional, struct wr_err *err)
{
	int rc;

	for (size_t i = 0; paths && paths[i]; i++)
		if ((rc = add_path(ruleset, paths[i], access, handled, optional, err)) < 0)
			return rc;
	return 0;
}

int sbx_landlock_ruleset(const struct wr_sandbox_params *p, int abi, unsigned *layers,
                         struct wr_err *err)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t size = sizeof(attr.handled_access_fs);
	__u64 fs = fs_rights(abi), write;
	int fd, rc;

	*layers = 0;
	attr.handled_access_fs = fs;
	if (abi >= 4) {
		size = offsetof(struct ll_ruleset_attr, scoped);
		if (!p->net)
			attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	}
	if (abi >= 6) {
		size = sizeof(attr);
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return err_set(err, WR_ESANDBOX, "sandbox: landlock: cannot create a ruleset "
		               "(ABI %d): %s", abi, strerror(errno));
	write = fs & ~(LL_FS_MAKE_CHAR | LL_FS_MAKE_BLOCK);
	if (p->system_paths &&
	    ((rc = add_paths(fd, sbx_system_read, LL_FS_READ, fs, 1, err)) < 0 ||
	     (rc = add_paths(fd, sbx_system_write, LL_FS_READ_FILE | LL_FS_WRITE_FILE |
	                     LL_FS_TRUNCATE | LL_FS_IOCTL_DEV, fs, 1, err)) < 0))
		goto fail;
	if ((rc = add_paths(fd, p->read_paths, LL_FS_READ, fs, 0, err)) < 0 ||
	    (rc = add_paths(fd, p->write_paths, write, fs, 0, err)) < 0)
		goto fail;
	*layers = WR_SBX_LANDLOCK_FS;
	if (attr.handled_access_net)
		*layers |= WR_SBX_LANDLOCK_NET;
	if (attr.scoped)
		*layers |= WR_SBX_LANDLOCK_SCOPE;
	return fd;
fail:
	close(fd);
	return rc;
}
