/* mock.c: starting tests/servers/mockllm from unit tests. */
#include "mock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The build folder: two levels above $WR_TEST_TMP (build/tmp/unit). */
static const char *build_dir(void)
{
	static char dir[512];
	const char *tmp = getenv("WR_TEST_TMP");
	char *slash;

	snprintf(dir, sizeof(dir), "%s", tmp ? tmp : "build/tmp/unit");
	for (int i = 0; i < 2 && (slash = strrchr(dir, '/')) != NULL; i++)
		*slash = '\0';
	return dir;
}

const char *mock_bin(const char *name)
{
	static char path[600], cmd[1400];
	static int built;

	if (!built) {
		snprintf(cmd, sizeof(cmd), "tests/servers/build.sh '%s'", build_dir());
		if (system(cmd) != 0)
			return NULL;
		built = 1;
	}
	snprintf(path, sizeof(path), "%s/%s", build_dir(), name);
	return path;
}

int mock_start(struct mock *m, const char *const *args)
{
	const char *bin = mock_bin("mockllm");
	const char *argv[32];
	int fd[2], n = 0;
	char line[32] = "";
	struct pollfd p;
	ssize_t r;

	memset(m, 0, sizeof(*m));
	if (!bin || pipe(fd) < 0)
		return -1;
	snprintf(m->log, sizeof(m->log), "%s/mock.log", t_tmpdir());
	unlink(m->log);  /* a rerun reuses the folder name */
	argv[n++] = bin;
	argv[n++] = "--log";
	argv[n++] = m->log;
	for (; args && *args && n < 30; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	m->pid = fork();
	if (m->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	p = (struct pollfd){ .fd = fd[0], .events = POLLIN };
	if (m->pid > 0 && poll(&p, 1, 5000) == 1 &&
	    (r = read(fd[0], line, sizeof(line) - 1)) > 0) {
		line[r] = '\0';
		m->port = (int)strtol(line, NULL, 10);
	}
	close(fd[0]);
	if (m->port <= 0) {
		mock_stop(m);
		return -1;
	}
	snprintf(m->base, sizeof(m->base), "http://127.0.0.1:%d", m->port);
	return 0;
}

void mock_stop(struct mock *m)
{
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
	}
	m->pid = 0;
}

static int count(const struct mock *m, int status)
{
	FILE *f = fopen(m->log, "r");
	char line[512], want[16];
	int n = 0;

	if (!f)
		return 0;
	snprintf(want, sizeof(want), " %d ", status);
	while (fgets(line, sizeof(line), f))
		if (!status || strstr(line, want))
			n++;
	fclose(f);
	return n;
}

int mock_requests(const struct mock *m)
{
	return count(m, 0);
}

int mock_requests_with(const struct mock *m, int status)
{
	return count(m, status);
}

long mock_stat(const struct mock *m, const char *name)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char req[] = "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char resp[2048], key[64], *p;
	size_t got = 0;
	ssize_t r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	long v = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)m->port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, req, sizeof(req) - 1) < 0)
		goto out;
	while (got < sizeof(resp) - 1 && (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)r;
	resp[got] = '\0';
	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(resp, key)) != NULL)
		v = strtol(p + strlen(key), NULL, 10);
out:
	if (fd >= 0)
		close(fd);
	return v;
}

struct spec_model mock_model(const char *provider, const char *model, const char *options)
{
	struct spec_model m;

	memset(&m, 0, sizeof(m));
	m.name = "test";
	m.provider = provider;
	m.model = model;
	m.temperature = -1;
	m.options = options;
	return m;
}
