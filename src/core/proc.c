/* proc.c: feeding and draining a child process, with caps and a deadline. */
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/os.h"

static const char *const secret_words[] = {
	"API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL",
	"ACCESS_KEY", "PRIVATE_KEY",
};

int proc_env_is_secret(const char *var)
{
	char name[256];
	size_t n = strcspn(var, "=");

	if (n >= sizeof(name))
		return 1;  /* an odd, huge name: not worth the risk */
	memcpy(name, var, n);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(*secret_words); i++)
		if (strcasestr(name, secret_words[i]))
			return 1;
	return 0;
}

void proc_fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Adds bytes to a sink under its cap. Returns -1 when a stop_at_max sink
 * overflows. */
static int sink_add(struct proc_sink *s, const char *d, size_t n)
{
	struct buf *b = &s->buf;

	if (b->len + n <= s->max) {
		if (buf_add(b, d, n) == 0)
			return 0;
		s->truncated = 1;
		return s->stop_at_max ? -1 : 0;
	}
	s->truncated = 1;
	if (s->stop_at_max)
		return -1;
	if (!s->keep_tail) {
		buf_add(b, d, s->max - b->len);
		return 0;
	}
	if (n >= s->max) {
		buf_reset(b);
		buf_add(b, d + n - s->max, s->max);
		return 0;
	}
	size_t drop = b->len + n - s->max;
	memmove(b->data, b->data + drop, b->len - drop);
	b->len -= drop;
	b->data[b->len] = '\0';
	buf_add(b, d, n);
	return 0;
}

int proc_pump(int in, int out, int err, const void *input, size_t input_len,
              uint64_t deadline_ns, int pidfd, pid_t pid,
              struct proc_sink *so, struct proc_sink *se)
{
	const char *data = input;
	size_t sent = 0;
	char chunk[65536];
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	int was_pending, end = PROC_DONE;

	if (in >= 0 && input_len == 0)
		proc_fd_close(&in);
	if (in >= 0)
		fcntl(in, F_SETFL, O_NONBLOCK);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (out >= 0 || err >= 0) {
		struct pollfd p[4];
		int n = 0, left;
		uint64_t now = os_mono_ns();

		if (now >= deadline_ns) {
			end = PROC_TIMEOUT;
			break;
		}
		left = (int)((deadline_ns - now) / 1000000u) + 1;
		if (in >= 0)
			p[n++] = (struct pollfd){ .fd = in, .events = POLLOUT };
		if (out >= 0)
			p[n++] = (struct pollfd){ .fd = out, .events = POLLIN };
		if (err >= 0)
			p[n++] = (struct pollfd){ .fd = err, .events = POLLIN };
		if (pidfd >= 0)
			p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (poll(p, (nfds_t)n, left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			if (p[i].fd == pidfd) {
				kill(-pid, SIGKILL);  /* the rest of its group goes with it */
				pidfd = -1;
				continue;
			}
			if (p[i].fd == in) {
				r = write(in, data + sent, input_len - sent);
				if (r > 0)
					sent += (size_t)r;
				if ((r < 0 && errno != EAGAIN && errno != EINTR) || sent == input_len)
					proc_fd_close(&in);  /* done, or the child stopped reading */
				continue;
			}
			r = read(p[i].fd, chunk, sizeof(chunk));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				proc_fd_close(p[i].fd == out ? &out : &err);
			} else if (sink_add(p[i].fd == out ? so : se, chunk, (size_t)r) < 0) {
				end = PROC_FULL;
				goto done;
			}
		}
	}
done:
	proc_fd_close(&in);
	proc_fd_close(&out);
	proc_fd_close(&err);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return end;
}
