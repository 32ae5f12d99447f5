/* test_proc.c: proc_pump's caps, tail-keeping and deadline, against a real
 * child writing to pipes. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/os.h"
#include "core/proc.h"
#include "harness.h"

/* Forks a child running script through /bin/sh with its stdin, stdout and
 * stderr on pipes; returns its pid and our ends. */
static pid_t start(const char *script, int *in, int *out, int *err)
{
	int pi[2], po[2], pe[2];
	pid_t pid;

	if (pipe(pi) < 0 || pipe(po) < 0 || pipe(pe) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(pi[1]);
		close(po[0]);
		close(pe[0]);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(pi[0]);
	close(po[1]);
	close(pe[1]);
	*in = pi[1];
	*out = po[0];
	*err = pe[0];
	return pid;
}

static void sinks(struct proc_sink *so, struct proc_sink *se, size_t max)
{
	memset(so, 0, sizeof(*so));
	memset(se, 0, sizeof(*se));
	buf_init(&so->buf, 0);
	buf_init(&se->buf, 0);
	so->max = se->max = max;
}

TEST(proc_pump_caps_head_and_tail)
{
	struct proc_sink so, se;
	int in, out, err, end;
	pid_t pid = start("i=0; while [ $i -lt 300 ]; do printf '%04d\\n' $i; "
	                  "printf '%04d\\n' $i >&2; i=$((i+1)); done", &in, &out, &err);

	REQUIRE(pid > 0);
	sinks(&so, &se, 10);
	se.keep_tail = 1;
	end = proc_pump(in, out, err, NULL, 0, os_mono_ns() + 10000000000ull, -1, pid, &so, &se);
	waitpid(pid, NULL, 0);
	EXPECT_INT(end, PROC_DONE);
	EXPECT_STR(so.buf.data, "0000\n0001\n");
	EXPECT_STR(se.buf.data, "0298\n0299\n");
	EXPECT_INT(so.truncated, 1);
	EXPECT_INT(se.truncated, 1);
	buf_release(&so.buf);
	buf_release(&se.buf);
}

TEST(proc_pump_stdin_and_stop_at_max)
{
	struct proc_sink so, se;
	int in, out, err, end;
	pid_t pid = start("cat; echo done >&2", &in, &out, &err);

	REQUIRE(pid > 0);
	sinks(&so, &se, 100);
	end = proc_pump(in, out, err, "hello\n", 6, os_mono_ns() + 10000000000ull, -1, pid,
	                &so, &se);
	waitpid(pid, NULL, 0);
	EXPECT_INT(end, PROC_DONE);
	EXPECT_STR(so.buf.data, "hello\n");
	EXPECT_STR(se.buf.data, "done\n");
	EXPECT_INT(so.truncated, 0);
	buf_release(&so.buf);
	buf_release(&se.buf);

	pid = start("exec cat /dev/zero", &in, &out, &err);
	REQUIRE(pid > 0);
	sinks(&so, &se, 1000);
	so.stop_at_max = 1;
	end = proc_pump(in, out, err, NULL, 0, os_mono_ns() + 10000000000ull, -1, pid, &so, &se);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_INT(end, PROC_FULL);
	EXPECT(so.buf.len <= 1000);
	EXPECT_INT(so.truncated, 1);
	buf_release(&so.buf);
	buf_release(&se.buf);
}

TEST(proc_pump_deadline)
{
	struct proc_sink so, se;
	int in, out, err, end;
	uint64_t t0 = os_mono_ns();
	pid_t pid = start("echo early; exec sleep 30", &in, &out, &err);

	REQUIRE(pid > 0);
	sinks(&so, &se, 100);
	end = proc_pump(in, out, err, NULL, 0, t0 + 300000000ull, -1, pid, &so, &se);
	EXPECT_INT(end, PROC_TIMEOUT);
	EXPECT_STR(so.buf.data, "early\n");
	EXPECT(os_mono_ns() - t0 < 5000000000ull);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	buf_release(&so.buf);
	buf_release(&se.buf);
}

TEST(proc_env_secret_names)
{
	EXPECT(proc_env_is_secret("OPENAI_API_KEY=sk"));
	EXPECT(proc_env_is_secret("github_token"));
	EXPECT(proc_env_is_secret("DB_PASSWORD=x"));
	EXPECT(proc_env_is_secret("AWS_SECRET_ACCESS_KEY=x"));
	EXPECT(!proc_env_is_secret("PATH=/usr/bin"));
	EXPECT(!proc_env_is_secret("LANG=C"));
}
