/* os.c: clocks, whole-file I/O and paths. */
#include "core/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

int64_t os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t os_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void os_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int os_read_file(const char *path, size_t max, struct buf *out, struct wr_err *err)
{
	int rc = WR_EIO, fd;
	char chunk[65536];
	ssize_t n;
	size_t total = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (max && total > max) {
			rc = err_set(err, WR_ETOOBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
		if (buf_add(out, chunk, (size_t)n) < 0) {
			rc = err_set(err, WR_ETOOBIG, "%s: too large to read", path);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int os_mkdir_p(const char *path, struct wr_err *err)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return err_set(err, WR_EINVAL, "bad directory path '%s'", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return err_set(err, WR_EIO, "%s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return err_set(err, WR_EIO, "%s: %s", tmp, strerror(errno));
	return 0;
}

int os_dirname(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return snprintf(out, size, ".") < (int)size ? 0 : WR_ETOOBIG;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return WR_ETOOBIG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int os_join(const char *base, const char *rel, char *out, size_t size)
{
	int n;

	if (rel[0] == '/' || !base || !base[0] || strcmp(base, ".") == 0)
		n = snprintf(out, size, "%s", rel);
	else
		n = snprintf(out, size, "%s/%s", base, rel);
	return n >= 0 && (size_t)n < size ? 0 : WR_ETOOBIG;
}

static int write_all(int fd, const void *bytes, size_t len)
{
	const char *p = bytes;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int os_write_atomic(const char *path, const void *bytes, size_t len, int replace,
                    struct wr_err *err)
{
	char tmp[4200], dir[4096];
	unsigned char rnd[6];
	int rc = WR_EIO, fd = -1, dfd;

	if (os_dirname(path, dir, sizeof(dir)) < 0)
		return err_set(err, WR_EINVAL, "path too long: %s", path);
	os_random(rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x", path,
	         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(err, WR_EIO, "%s: %s", tmp, strerror(errno));
	if (write_all(fd, bytes, len) < 0 || fsync(fd) < 0) {
		err_set(err, WR_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (replace ? rename(tmp, path) : link(tmp, path)) {
		if (!replace && errno == EEXIST)
			rc = err_set(err, WR_ESTATE, "%s: exists; refusing to overwrite", path);
		else
			err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	close(fd);
	if (!replace || rc < 0)
		unlink(tmp);
	return rc;
}

int os_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return WR_EIO;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
