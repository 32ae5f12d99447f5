/* proc.h: the parent's side of a child process: feeding its stdin, capturing
 * its stdout and stderr under caps until it is done or a deadline passes, and
 * telling a credential from other environment variables. Used by the command
 * provider and the sandbox. */
#ifndef WR_CORE_PROC_H
#define WR_CORE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

/* Where one output stream goes. Set buf (buf_init) and max; the rest is 0. */
struct proc_sink {
	struct buf buf;   /* the bytes kept */
	size_t max;       /* keep at most this many bytes */
	int keep_tail;    /* past max, keep the last max bytes, not the first */
	int stop_at_max;  /* past max, stop at once (PROC_FULL) rather than drop */
	int truncated;    /* set when bytes were dropped */
};

enum proc_end {
	PROC_DONE = 0,    /* stdout and stderr reached end of file */
	PROC_TIMEOUT,     /* the deadline passed first */
	PROC_FULL,        /* a stop_at_max sink went over its cap */
};

/* Writes input to fd in, reads fds out and err into their sinks, until both
 * close or deadline_ns (os_mono_ns) passes. All three fds are the pump's and
 * are closed on return (any may be -1). When pidfd is >= 0, the moment that
 * process exits its process group (pgid = pid) is killed with SIGKILL, so
 * leftovers holding the pipes open cannot stretch the wait; what they wrote is
 * still read. SIGPIPE is blocked meanwhile (a child that exits without
 * reading its input must not kill us). Returns a PROC_* value. */
int proc_pump(int in, int out, int err, const void *input, size_t input_len,
              uint64_t deadline_ns, int pidfd, pid_t pid,
              struct proc_sink *so, struct proc_sink *se);

/* True when the variable ("NAME=value" or "NAME") has a name that looks like
 * it holds a credential: API_KEY, TOKEN, SECRET, PASSWORD and the like. */
int proc_env_is_secret(const char *var);

/* Closes *fd when it is open and sets it to -1. */
void proc_fd_close(int *fd);

#endif
