/* main.c: runs the registered unit tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct t_case *cases;
static int current_failed;
static const char *current_name;
static char tmp_root[512];
static int tmp_seq;
static char tmp_path[600];

void t_register(struct t_case *c)
{
	c->next = cases;
	cases = c;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s (%s:%d): ", current_name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_failed = 1;
}

const char *t_tmpdir(void)
{
	snprintf(tmp_path, sizeof(tmp_path), "%s/%s-%d", tmp_root, current_name, ++tmp_seq);
	mkdir(tmp_path, 0755);
	return tmp_path;
}

int main(int argc, char **argv)
{
	struct t_case *rev = NULL, *c, *next;
	int passed = 0, failed = 0;
	const char *root = getenv("WR_TEST_TMP");

	snprintf(tmp_root, sizeof(tmp_root), "%s", root ? root : "build/tmp/unit");
	mkdir("build", 0755);
	mkdir("build/tmp", 0755);
	mkdir(tmp_root, 0755);
	for (c = cases; c; c = next) {  /* registration order is reversed */
		next = c->next;
		c->next = rev;
		rev = c;
	}
	for (c = rev; c; c = c->next) {
		if (argc > 1 && !strstr(c->name, argv[1]))
			continue;
		current_name = c->name;
		current_failed = 0;
		c->fn();
		if (current_failed) {
			failed++;
			fprintf(stderr, "not ok %s\n", c->name);
		} else {
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
