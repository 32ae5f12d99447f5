/* escape.c: a program that tries to get out of the sandbox, for the tests.
 *
 *   escape syscalls       tries each forbidden system call with arguments that
 *                         would not fail with EPERM without a filter; prints
 *                         "NAME: errno"; exit 0 when every one got EPERM
 *   escape read PATH      exit 0 when PATH could be read
 *   escape write PATH     exit 0 when PATH could be created and written
 *   escape connect PORT   exit 0 when a TCP connect to 127.0.0.1:PORT worked
 *   escape bind           exit 0 when it could listen on a TCP port
 *   escape listen FILE    (outside) listens on 127.0.0.1, writes the port to
 *                         FILE, accepts and closes connections until killed,
 *                         a line in FILE.accepted for each
 *   escape forkbomb       forks until refused; exit 0 when refused (contained)
 *   escape hog MB         allocates and touches MB; exit 0 when refused
 *   escape spew BYTES     writes BYTES to stdout
 *   escape spin           loops forever
 *   escape env            prints its environment
 *   escape ifaces         prints the network interfaces it sees, "NAME up|down"
 *   escape signal PID     exit 0 when kill(PID, 0) works
 *   escape int80          a 32-bit system call (getpid through int 0x80, x86-64
 *                         only); exit 0 when it returned */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static long clone_newns(void)
{
	long r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static int syscalls(void)
{
	struct { const char *name; long rc; int err; } t[32];
	int n = 0, bad = 0;

#define TRY(label, call) do { errno = 0; t[n].rc = (long)(call); t[n].err = errno; \
	                      t[n++].name = label; } while (0)
	TRY("ptrace", ptrace(PTRACE_PEEKDATA, 999999999, 0, 0));
	TRY("process_vm_readv", syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0));
	TRY("mount", mount("none", "/nonexistent", "nonexistent-fs", 0, NULL));
	TRY("umount2", umount2("/nonexistent", 0));
	TRY("pivot_root", syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
	TRY("chroot", chroot("/nonexistent"));
	TRY("bpf", syscall(SYS_bpf, 9999, NULL, 0));
	TRY("kexec_load", syscall(SYS_kexec_load, 0, 9999, NULL, 0));
	TRY("init_module", syscall(SYS_init_module, NULL, 0, ""));
	TRY("finit_module", syscall(SYS_finit_module, -1, "", 0));
	TRY("delete_module", syscall(SYS_delete_module, "warrant_no_such_module", 0));
	TRY("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0));
	TRY("add_key", syscall(SYS_add_key, "warrant-no-such-type", "x", "", 0,
	                        KEY_SPEC_PROCESS_KEYRING));
	TRY("request_key", syscall(SYS_request_key, "warrant-no-such-type", "x", NULL, 0));
	TRY("swapon", syscall(SYS_swapon, "/nonexistent", 0));
	TRY("swapoff", syscall(SYS_swapoff, "/nonexistent"));
	TRY("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	TRY("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	TRY("userfaultfd", syscall(SYS_userfaultfd, ~0));
	TRY("unshare", unshare(0));
	TRY("setns", setns(-1, 0));
	TRY("clone(CLONE_NEWNET)", clone_newns());
	TRY("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL));
	TRY("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
	TRY("setsid", syscall(SYS_setsid));
#undef TRY
	for (int i = 0; i < n; i++) {
		int denied = t[i].rc < 0 && t[i].err == EPERM;

		printf("%s %s: %s\n", denied ? "denied " : "ALLOWED", t[i].name,
		       t[i].rc < 0 ? strerror(t[i].err) : "succeeded");
		bad += !denied;
	}
	printf("%d of %d allowed\n", bad, n);
	return bad ? 1 : 0;
}

static int tcp(int port, int do_connect)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	r = do_connect ? connect(fd, (struct sockaddr *)&a, sizeof(a))
	               : bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (r == 0 && !do_connect)
		r = listen(fd, 1);
	printf("%s: %s\n", do_connect ? "connect" : "bind", r ? strerror(errno) : "ok");
	close(fd);
	return r ? 1 : 0;
}

static int serve(const char *file)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char log[4096];
	FILE *f;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0 || !(f = fopen(file, "w"))) {
		perror("listen");
		return 1;
	}
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		close(c);
		/* one line per connection in FILE.accepted, for tests that count */
		snprintf(log, sizeof(log), "%s.accepted", file);
		if ((f = fopen(log, "a"))) {
			fputs("accepted\n", f);
			fclose(f);
		}
	}
}

static int forkbomb(void)
{
	for (int n = 0; n < 5000; n++) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			printf("forkbomb: contained after %d processes: %s\n", n, strerror(errno));
			return 0;
		}
	}
	printf("forkbomb: NOT contained: 5000 processes\n");
	return 1;
}

static int hog(long mb)
{
	long got = 0;

	while (got < mb) {
		char *p = malloc((size_t)16 << 20);

		if (!p) {
			printf("hog: contained after %ld MB\n", got);
			return 0;
		}
		memset(p, 1, (size_t)16 << 20);
		got += 16;
	}
	printf("hog: NOT contained: %ld MB\n", got);
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(mode, "syscalls"))
		return syscalls();
	if (!strcmp(mode, "read") || !strcmp(mode, "write")) {
		int w = mode[0] == 'w';
		int fd = open(arg, w ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY, 0644);
		char b[64];
		ssize_t r = fd < 0 ? -1 : w ? write(fd, "escaped\n", 8) : read(fd, b, sizeof(b));

		printf("%s %s: %s\n", mode, arg, r < 0 ? strerror(errno) : "ok");
		return r < 0;
	}
	if (!strcmp(mode, "connect"))
		return tcp(atoi(arg), 1);
	if (!strcmp(mode, "bind"))
		return tcp(0, 0);
	if (!strcmp(mode, "listen"))
		return serve(arg);
	if (!strcmp(mode, "forkbomb"))
		return forkbomb();
	if (!strcmp(mode, "hog"))
		return hog(atol(arg));
	if (!strcmp(mode, "spew")) {
		static char chunk[65536];
		long left = atol(arg);

		memset(chunk, 'x', sizeof(chunk));
		while (left > 0) {
			ssize_t w = write(1, chunk, left < (long)sizeof(chunk) ? (size_t)left : sizeof(chunk));
			if (w <= 0)
				return 1;
			left -= w;
		}
		return 0;
	}
	if (!strcmp(mode, "spin"))
		for (;;)
			;
	if (!strcmp(mode, "env")) {
		for (char **e = environ; *e; e++)
			puts(*e);
		return 0;
	}
	if (!strcmp(mode, "ifaces")) {
		struct ifaddrs *ifs, *i;

		if (getifaddrs(&ifs) < 0) {
			printf("getifaddrs: %s\n", strerror(errno));
			return 1;
		}
		for (i = ifs; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET)
				printf("%s %s\n", i->ifa_name, i->ifa_flags & IFF_UP ? "up" : "down");
		freeifaddrs(ifs);
		return 0;
	}
	if (!strcmp(mode, "int80")) {
#if defined(__x86_64__)
		long r = 20;  /* __NR_getpid on i386 */

		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
		printf("int80: getpid returned %ld\n", r);
		return r > 0 ? 0 : 1;
#else
		printf("int80: not x86-64\n");
		return 2;
#endif
	}
	if (!strcmp(mode, "signal")) {
		int r = kill(atoi(arg), 0);

		printf("signal %s: %s\n", arg, r ? strerror(errno) : "ok");
		return r ? 1 : 0;
	}
	fprintf(stderr, "usage: escape syscalls|read|write|connect|bind|listen|forkbomb|hog|"
	                "spew|spin|env|signal [ARG]\n");
	return 2;
}
