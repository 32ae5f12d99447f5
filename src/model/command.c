/* command.c: the command provider, any program as a model.
 *
 *     models:
 *       local:
 *         provider: command
 *         command: ["python3", "model.py"]   # argv, or a string for /bin/sh -c
 *         timeout: 60                        # seconds (default 120)
 *         max_output_bytes: 4194304          # default 4 MiB
 *
 * The program runs in the workflow's folder, in a process group of its own,
 * with the environment less anything that looks like a credential (names
 * containing API_KEY, TOKEN, SECRET, PASSWORD, ...). It reads one JSON
 * object on stdin:
 *
 *     {"system":..,"prompt":..,"seed":..,"step":..,"attempt":..,
 *      "call_index":..,"schema":{..},"params":{the model's options}}
 *
 * and writes either a JSON object {"text":..,"tokens_in":..,"tokens_out":..,
 * "refusal":bool,"error":".."} or plain text (taken as the output, less one
 * trailing newline). Past the timeout the whole group is killed (timeout);
 * more output than the cap, a non-zero exit or a signal is provider_error,
 * with the last line of stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/os.h"
#include "core/proc.h"
#include "model/provider.h"

extern char **environ;

#define CMD_TIMEOUT_S 120
#define CMD_MAX_OUTPUT ((size_t)4 << 20)
#define STDERR_TAIL 4096

struct command {
	char **argv;          /* NULL-terminated; owned */
	char **envp;          /* the cleaned environment; owned */
	char *dir;            /* where it runs */
	json_t *params;       /* the options less command */
	int64_t timeout_ms;
	size_t max_output;
};

/* --- set-up --- */

static char **env_clean(void)
{
	size_t n = 0, k = 0;
	char **out;

	while (environ && environ[n])
		n++;
	if (!(out = calloc(n + 1, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (proc_env_is_secret(environ[i]))
			continue;
		if (!(out[k++] = strdup(environ[i])))
			goto fail;
	}
	return out;
fail:
	for (size_t i = 0; i < k; i++)
		free(out[i]);
	free(out);
	return NULL;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **argv_from(json_t *cmd)
{
	size_t n = json_is_array(cmd) ? json_array_size(cmd) : 3;
	char **argv = calloc(n + 1, sizeof(*argv));
	size_t i;
	json_t *v;

	if (!argv)
		return NULL;
	if (json_is_string(cmd)) {
		argv[0] = strdup("/bin/sh");
		argv[1] = strdup("-c");
		argv[2] = strdup(json_string_value(cmd));
	} else {
		json_array_foreach(cmd, i, v)
			argv[i] = strdup(json_string_value(v));
	}
	for (i = 0; i < n; i++)
		if (!argv[i]) {
			strv_free(argv);
			return NULL;
		}
	return argv;
}

static int command_open(const struct spec_model *m, const char *flow_dir, void **state,
                        struct wr_err *err)
{
	struct command *c = calloc(1, sizeof(*c));
	json_t *opts = m->options ? json_loads(m->options, 0, NULL) : NULL, *cmd, *v;
	size_t i;
	int rc = WR_ENOMEM;

	*state = NULL;
	if (!c)
		goto out;
	rc = WR_EPROVIDER;
	cmd = json_object_get(opts, "command");
	if (json_is_array(cmd)) {
		json_array_foreach(cmd, i, v)
			if (!json_is_string(v))
				cmd = NULL;
	}
	if (!(json_is_string(cmd) && json_string_length(cmd)) &&
	    !(json_is_array(cmd) && json_array_size(cmd))) {
		err_set(err, rc, "model '%s': the command provider needs 'command' "
		        "(a list of arguments or a shell command string)", m->name);
		goto out;
	}
	v = json_object_get(opts, "timeout");
	c->timeout_ms = json_is_number(v) && json_number_value(v) > 0
	                ? (int64_t)(json_number_value(v) * 1000) : CMD_TIMEOUT_S * 1000;
	v = json_object_get(opts, "max_output_bytes");
	c->max_output = json_is_integer(v) && json_integer_value(v) > 0
	                ? (size_t)json_integer_value(v) : CMD_MAX_OUTPUT;
	c->argv = argv_from(cmd);
	c->envp = env_clean();
	c->dir = strdup(flow_dir && *flow_dir ? flow_dir : ".");
	c->params = json_deep_copy(opts);
	if (!c->argv || !c->envp || !c->dir || !c->params) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	json_object_del(c->params, "command");
	*state = c;
	c = NULL;
	rc = 0;
out:
	if (rc == WR_ENOMEM && (!err || !err->code))
		err_set(err, rc, "out of memory");
	json_decref(opts);
	if (c) {
		strv_free(c->argv);
		strv_free(c->envp);
		free(c->dir);
		json_decref(c->params);
		free(c);
	}
	return rc;
}

static void command_close(void *state)
{
	struct command *c = state;

	if (!c)
		return;
	strv_free(c->argv);
	strv_free(c->envp);
	free(c->dir);
	json_decref(c->params);
	free(c);
}

/* --- running it --- */

struct child {
	pid_t pid;
	int in, out, err;         /* our ends; -1 once closed */
	struct proc_sink stdout_sink;
	struct proc_sink stderr_sink; /* the last STDERR_TAIL bytes */
	int timed_out, too_big;
};

static int request_json(const struct command *c, const struct model_request *req,
                        struct buf *out)
{
	json_t *o = json_object();
	char *s;
	int rc = WR_ENOMEM;

	json_object_set_new(o, "system", req->system ? json_string(req->system) : json_null());
	json_object_set_new(o, "prompt", json_string(req->prompt ? req->prompt : ""));
	json_object_set_new(o, "seed", json_integer((json_int_t)(req->seed & ((1ull << 53) - 1))));
	json_object_set_new(o, "step", req->step_id ? json_string(req->step_id) : json_null());
	json_object_set_new(o, "attempt", json_integer(req->attempt));
	json_object_set_new(o, "call_index", json_integer(req->call_index));
	if (req->schema_json)
		json_object_set_new(o, "schema", json_loads(req->schema_json, 0, NULL));
	json_object_set(o, "params", c->params);
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (s) {
		rc = buf_adds(out, s);
		rc = rc < 0 ? rc : buf_addc(out, '\n');
	}
	free(s);
	json_decref(o);
	return rc;
}

static int spawn(const struct command *c, struct child *ch)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0) {
		rc = errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, c->dir);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);  /* its own group, so a timeout kills it all */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                              POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&ch->pid, c->argv[0], &fa, &at, c->argv, c->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
out:
	if (pin[0] >= 0) close(pin[0]);
	if (pout[1] >= 0) close(pout[1]);
	if (perr[1] >= 0) close(perr[1]);
	ch->in = pin[1];
	ch->out = pout[0];
	ch->err = perr[0];
	if (rc) {
		ch->pid = 0;
		return -rc;
	}
	return 0;
}

/* The last non-empty line of stderr, control characters as spaces. */
static void stderr_line(const struct child *ch, char *out, size_t size)
{
	const char *tail = ch->stderr_sink.buf.data;
	size_t end = ch->stderr_sink.buf.len, start;

	while (end && (tail[end - 1] == '\n' || tail[end - 1] == '\r'))
		end--;
	start = end;
	while (start && tail[start - 1] != '\n')
		start--;
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(out, tail + start, end - start);
	out[end - start] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void fail(struct model_response *resp, enum wr_failure f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct model_response *resp, enum wr_failure f, const char *fmt, ...)
{
	va_list ap;

	resp->failure = f;
	snprintf(resp->finish, sizeof(resp->finish), "error");
	va_start(ap, fmt);
	vsnprintf(resp->detail, sizeof(resp->detail), fmt, ap);
	va_end(ap);
}

/* Reads the program's output: its JSON answer, or plain text. */
static void read_answer(struct child *ch, const struct model_request *req,
                        struct model_response *resp)
{
	struct buf *o = &ch->stdout_sink.buf;
	size_t i = 0;
	json_t *root = NULL, *text, *v;

	while (i < o->len && (o->data[i] == ' ' || o->data[i] == '\n' || o->data[i] == '\t'))
		i++;
	if (i < o->len && o->data[i] == '{')
		root = json_loadb(o->data, o->len, 0, NULL);
	text = json_object_get(root, "text");
	resp->tokens_in = provider_estimate_tokens(req->prompt ? req->prompt : "") +
	                  (req->system ? provider_estimate_tokens(req->system) : 0);
	snprintf(resp->finish, sizeof(resp->finish), "stop");
	if (!json_is_object(root) || (!json_is_string(text) && !json_object_get(root, "error"))) {
		if (o->len && o->data[o->len - 1] == '\n')
			o->data[--o->len] = '\0';
		buf_add(&resp->text, o->data, o->len);
		resp->tokens_out = provider_estimate_tokens(resp->text.data);
		goto out;
	}
	if (json_is_string(text))
		buf_add(&resp->text, json_string_value(text), json_string_length(text));
	resp->tokens_out = provider_estimate_tokens(resp->text.data);
	if (json_is_integer(v = json_object_get(root, "tokens_in")))
		resp->tokens_in = json_integer_value(v);
	if (json_is_integer(v = json_object_get(root, "tokens_out")))
		resp->tokens_out = json_integer_value(v);
	if (json_is_true(json_object_get(root, "refusal"))) {
		resp->failure = WR_FAIL_REFUSAL;
		snprintf(resp->finish, sizeof(resp->finish), "refusal");
		snprintf(resp->detail, sizeof(resp->detail), "the model declined");
	} else if (json_is_string(v = json_object_get(root, "error"))) {
		fail(resp, WR_FAIL_PROVIDER_ERROR, "command: %.200s", json_string_value(v));
	}
out:
	json_decref(root);
}

static int command_complete(void *state, const struct model_request *req,
                            struct model_response *resp, struct wr_err *err)
{
	const struct command *c = state;
	struct child ch = { .in = -1, .out = -1, .err = -1 };
	struct buf input = BUF_INIT;
	uint64_t t0 = os_mono_ns();
	char line[160];
	int status = 0, rc, end;

	buf_init(&ch.stdout_sink.buf, 0);
	ch.stdout_sink.max = c->max_output;
	ch.stdout_sink.stop_at_max = 1;
	buf_init(&ch.stderr_sink.buf, 0);
	ch.stderr_sink.max = STDERR_TAIL;
	ch.stderr_sink.keep_tail = 1;
	if ((rc = request_json(c, req, &input)) < 0) {
		err_set(err, rc, "out of memory");
		goto out;
	}
	if ((rc = spawn(c, &ch)) < 0) {
		fail(resp, WR_FAIL_PROVIDER_ERROR, "command: cannot run %.100s: %s",
		     c->argv[0], strerror(-rc));
		rc = 0;
		goto out;
	}
	end = proc_pump(ch.in, ch.out, ch.err, input.data, input.len,
	                os_mono_ns() + (uint64_t)c->timeout_ms * 1000000u, -1, ch.pid,
	                &ch.stdout_sink, &ch.stderr_sink);
	ch.timed_out = end == PROC_TIMEOUT;
	ch.too_big = end == PROC_FULL;
	ch.in = ch.out = ch.err = -1;  /* the pump closed them */
	if (ch.timed_out || ch.too_big)
		kill(-ch.pid, SIGKILL);
	while (waitpid(ch.pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!ch.timed_out && !ch.too_big)
		kill(-ch.pid, SIGKILL);  /* leftovers of its group must not outlive the call */
	stderr_line(&ch, line, sizeof(line));
	resp->seconds = (double)(os_mono_ns() - t0) / 1e9;
	if (ch.timed_out)
		fail(resp, WR_FAIL_TIMEOUT, "command: no answer within %lld ms",
		     (long long)c->timeout_ms);
	else if (ch.too_big)
		fail(resp, WR_FAIL_PROVIDER_ERROR, "command: output over %zu bytes",
		     c->max_output);
	else if (WIFSIGNALED(status))
		fail(resp, WR_FAIL_PROVIDER_ERROR, "command: killed by signal %d%s%s",
		     WTERMSIG(status), line[0] ? ": " : "", line);
	else if (WEXITSTATUS(status))
		fail(resp, WR_FAIL_PROVIDER_ERROR, "command: exit status %d%s%s",
		     WEXITSTATUS(status), line[0] ? ": " : "", line);
	else
		read_answer(&ch, req, resp);
	rc = 0;
out:
	proc_fd_close(&ch.in);
	proc_fd_close(&ch.out);
	proc_fd_close(&ch.err);
	buf_release(&ch.stdout_sink.buf);
	buf_release(&ch.stderr_sink.buf);
	buf_release(&input);
	return rc;
}

const struct provider_ops provider_command = {
	.name = "command",
	.open = command_open,
	.complete = command_complete,
	.close = command_close,
};
