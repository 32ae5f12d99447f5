/* sandbox.h: a minimal process sandbox for 'command' checks.
 *
 * The program runs in a fresh temporary directory (its cwd and $HOME,
 * removed after), with a clean environment (PATH, HOME, TMPDIR, LANG and
 * what the caller adds; nothing of ours, so no secrets), in its own process
 * group, with rlimits on CPU time, address space, file size, open files and
 * core dumps, no file descriptors but stdin/stdout/stderr, and a wall-clock
 * timeout after which the whole group is killed. Output beyond a cap is
 * dropped. This is containment for honest tools, not a security boundary
 * against hostile code: there is no network or filesystem isolation. */
#ifndef WR_CHECK_SANDBOX_H
#define WR_CHECK_SANDBOX_H

#include <stddef.h>

#include "core/buf.h"

#define SBX_TIMEOUT_DEFAULT 30.0            /* seconds */
#define SBX_OUTPUT_MAX ((size_t)64 << 10)    /* bytes of output kept */
#define SBX_MEMORY_MAX ((unsigned long)2 << 30) /* address space, bytes */
#define SBX_FILE_MAX ((unsigned long)64 << 20)  /* largest file it may write */

struct sbx_params {
	const char *const *argv;    /* argv[0] is searched in PATH unless it has a '/';
	                               a relative one with '/' is joined to dir */
	const char *dir;            /* the workflow's directory, or NULL */
	const char *input;          /* written to its stdin and to the file named by
	                               $WARRANT_ARTIFACT (and "{artifact}" in argv) */
	size_t input_len;
	double timeout;             /* seconds; 0: SBX_TIMEOUT_DEFAULT */
};

struct sbx_result {
	int started;                /* 0: it could not run (why says why) */
	int exit_code;              /* when it exited; -1 otherwise */
	int signal;                 /* the signal that ended it, or 0 */
	int timed_out;
	int truncated;              /* output went past SBX_OUTPUT_MAX */
	double seconds;
	struct buf output;          /* stdout and stderr, interleaved; caller releases */
	char why[256];
};

/* Runs the program to its end. Returns 0 when it ran (whatever it
 * returned), -1 when it could not (r->why). r->output is always initialised. */
int sbx_run(const struct sbx_params *p, struct sbx_result *r);

#endif
