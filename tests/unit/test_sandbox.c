/* test_sandbox.c: wr_sandbox_run through the library: status, I/O, caps,
 * limits, environment, refusals. The attacks are in tests/e2e/sandbox.sh. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sandbox/sandbox.h"

/* Runs /bin/sh -c script with p (allow_weaker: these tests are about the
 * plumbing; the probe test below is about refusing). */
static int sh(struct wr_sandbox_params *p, const char *script, struct wr_sandbox_result *r,
              struct wr_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	p->argv = argv;
	p->allow_weaker = 1;
	return wr_sandbox_run(p, r, err);
}

/* A work dir the program (nobody, when we are root) may write. */
static const char *workdir(void)
{
	static char dir[600];

	snprintf(dir, sizeof(dir), "%s/work", t_tmpdir());
	mkdir(dir, 0777);
	chmod(dir, 0777);
	return dir;
}

TEST(sandbox_status_output_and_stdin)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;

	p.stdin_data = "abc";
	p.stdin_len = 3;
	REQUIRE(sh(&p, "cat; echo; echo oops >&2; exit 7", &r, &err) == 0);
	EXPECT_INT(r.status, 7);
	EXPECT_INT(r.signal, 0);
	EXPECT_STR(r.out, "abc\n");
	EXPECT_STR(r.err, "oops\n");
	EXPECT_INT(r.out_truncated, 0);
	EXPECT(r.applied & WR_SBX_RLIMITS);
	EXPECT(r.applied & WR_SBX_NO_NEW_PRIVS);
	wr_sandbox_result_release(&r);
	wr_sandbox_result_release(&r);  /* twice is harmless */
}

TEST(sandbox_output_capped_with_flag)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;

	p.max_output = 100;
	REQUIRE(sh(&p, "i=0; while [ $i -lt 500 ]; do echo 0123456789; i=$((i+1)); done; "
	           "echo done >&2", &r, &err) == 0);
	EXPECT_INT(r.status, 0);  /* it ran to the end: the rest was drained, not refused */
	EXPECT_INT(r.out_len, 100);
	EXPECT_INT(r.out_truncated, 1);
	EXPECT_STR(r.err, "done\n");
	EXPECT_INT(r.err_truncated, 0);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_timeout_kills_the_group)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;

	p.timeout_s = 0.3;
	REQUIRE(sh(&p, "sleep 30 & sleep 30", &r, &err) == 0);
	EXPECT_INT(r.timed_out, 1);
	EXPECT_INT(r.signal, SIGKILL);
	EXPECT(r.seconds < 5);
	wr_sandbox_result_release(&r);
	/* Output closed early does not end the wait for the program. */
	REQUIRE(sh(&p, "exec >&- 2>&-; sleep 30", &r, &err) == 0);
	EXPECT_INT(r.timed_out, 1);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_background_child_does_not_hold_the_run)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;

	p.timeout_s = 20;
	REQUIRE(sh(&p, "sleep 30 & echo started", &r, &err) == 0);
	EXPECT_INT(r.timed_out, 0);
	EXPECT_INT(r.status, 0);
	EXPECT_STR(r.out, "started\n");
	EXPECT(r.seconds < 10);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_environment_is_clean)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;
	const char *env[] = { "GREETING=hi", "LANG=C", NULL };
	const char *bad[] = { "OPENAI_API_KEY=sk-x", NULL };
	const char *odd[] = { "NOEQUALS", NULL };

	setenv("WR_TEST_SANDBOX_LEAK", "leaked", 1);
	setenv("OPENAI_API_KEY", "sk-should-not-pass", 1);
	p.env = env;
	p.cwd = workdir();
	REQUIRE(sh(&p, "env | sort", &r, &err) == 0);
	EXPECT_CONTAINS(r.out, "GREETING=hi\n");
	EXPECT_CONTAINS(r.out, "LANG=C\n");  /* overrides the default */
	EXPECT(!strstr(r.out, "C.UTF-8"));
	EXPECT(!strstr(r.out, "leaked"));
	EXPECT(!strstr(r.out, "sk-should"));
	EXPECT_CONTAINS(r.out, "HOME=");
	EXPECT_CONTAINS(r.out, "TMPDIR=");
	EXPECT_CONTAINS(r.out, "/work\n");
	wr_sandbox_result_release(&r);
	unsetenv("WR_TEST_SANDBOX_LEAK");
	unsetenv("OPENAI_API_KEY");
	p.env = bad;
	EXPECT_INT(sh(&p, "true", &r, &err), WR_EINVAL);
	EXPECT_CONTAINS(err.msg, "OPENAI_API_KEY");
	EXPECT_CONTAINS(err.msg, "credential");
	wr_sandbox_result_release(&r);
	p.env = odd;
	EXPECT_INT(sh(&p, "true", &r, &err), WR_EINVAL);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_program_not_found_and_bad_params)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;
	const char *argv[] = { "warrant-no-such-program", NULL };
	const char *missing[] = { "/nonexistent/dir", NULL };

	p.argv = argv;
	p.allow_weaker = 1;
	REQUIRE(wr_sandbox_run(&p, &r, &err) == 0);
	EXPECT_INT(r.status, 127);
	EXPECT_INT(r.exec_errno, ENOENT);
	wr_sandbox_result_release(&r);
	p.argv = NULL;
	EXPECT_INT(wr_sandbox_run(&p, &r, &err), WR_EINVAL);
	wr_sandbox_result_release(&r);
	p.argv = argv;
	p.cwd = "/nonexistent/work";
	EXPECT_INT(wr_sandbox_run(&p, &r, &err), WR_EINVAL);
	EXPECT_CONTAINS(err.msg, "work dir /nonexistent/work");
	wr_sandbox_result_release(&r);
	p.cwd = NULL;
	p.read_paths = missing;
	if (sbx_landlock_abi() >= 1) {
		EXPECT_INT(wr_sandbox_run(&p, &r, &err), WR_EINVAL);
		EXPECT_CONTAINS(err.msg, "/nonexistent/dir");
		wr_sandbox_result_release(&r);
	}
}

TEST(sandbox_limits_end_the_program)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;

	p.cpu_s = 1;
	REQUIRE(sh(&p, "while :; do :; done", &r, &err) == 0);
	EXPECT_INT(r.signal, SIGXCPU);
	EXPECT_INT(r.timed_out, 0);
	wr_sandbox_result_release(&r);
	p.cwd = workdir();
	p.file_bytes = 4096;
	REQUIRE(sh(&p, "head -c 100000 /dev/zero > big; echo $?", &r, &err) == 0);
	EXPECT(r.status != 0 || strcmp(r.out, "0\n") != 0);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_files_outside_the_rules)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;
	const char *rw[2] = { workdir(), NULL };
	char script[1400], secret[700];
	FILE *f;

	if (sbx_landlock_abi() < 1)
		return;  /* the e2e test reports the missing layer */
	snprintf(secret, sizeof(secret), "%s/secret.txt", t_tmpdir());
	REQUIRE((f = fopen(secret, "w")) != NULL);
	fputs("s3cret\n", f);
	fclose(f);
	chmod(secret, 0644);
	p.write_paths = rw;
	snprintf(script, sizeof(script), "cat %s; echo ok > inside.txt && cat inside.txt", secret);
	REQUIRE(sh(&p, script, &r, &err) == 0);
	EXPECT(!strstr(r.out, "s3cret"));
	EXPECT_CONTAINS(r.err, "Permission denied");
	EXPECT_STR(r.out, "ok\n");
	EXPECT(r.applied & WR_SBX_LANDLOCK_FS);
	wr_sandbox_result_release(&r);
}

TEST(sandbox_refuses_missing_layers_unless_weaker)
{
	struct wr_sandbox_params p = wr_sandbox_default_params();
	struct wr_sandbox_result r;
	struct wr_err err;
	const char *argv[] = { "/bin/true", NULL };

	if (geteuid() != 0)
		return;  /* keeping root is the one missing layer we can ask for */
	p.argv = argv;
	p.uid = p.gid = -1;  /* root: RLIMIT_NPROC would not bind */
	EXPECT_INT(wr_sandbox_run(&p, &r, &err), WR_ESANDBOX);
	EXPECT_CONTAINS(err.msg, "nproc");
	EXPECT_CONTAINS(err.msg, "allow_weaker");
	wr_sandbox_result_release(&r);
	p.allow_weaker = 1;
	REQUIRE(wr_sandbox_run(&p, &r, &err) == 0);
	EXPECT_INT(r.status, 0);
	EXPECT(r.missing & WR_SBX_NPROC);
	EXPECT(!(r.applied & WR_SBX_NPROC));
	wr_sandbox_result_release(&r);
}

TEST(sandbox_probe_and_names)
{
	struct wr_sandbox_probe pr;

	wr_sandbox_probe(&pr);
	EXPECT(pr.available & WR_SBX_RLIMITS);
	EXPECT_INT(pr.landlock_abi, sbx_landlock_abi());
	EXPECT(!!(pr.available & WR_SBX_LANDLOCK_FS) == (pr.landlock_abi >= 1));
	EXPECT(pr.available == WR_SBX_ALL || pr.why[0]);
	EXPECT_STR(wr_sandbox_layer_name(WR_SBX_NETNS), "netns");
	EXPECT_STR(wr_sandbox_layer_name(WR_SBX_SECCOMP), "seccomp");
	EXPECT_STR(wr_sandbox_layer_name(3), "?");
	EXPECT_STR(wr_strerror(WR_ESANDBOX), "the sandbox cannot be built");
}

TEST(sandbox_seccomp_filter_compiles)
{
	struct sbx_filter f;
	struct wr_err err;
	int n = 0;

	REQUIRE(sbx_seccomp_build(&f, &err) == 0);
	EXPECT(f.len > 20);
	sbx_seccomp_release(&f);
	EXPECT(f.insns == NULL);
	for (const char *const *s = sbx_denied_syscalls; *s; s++)
		n += !strcmp(*s, "ptrace") || !strcmp(*s, "mount") || !strcmp(*s, "bpf");
	EXPECT_INT(n, 3);
}
