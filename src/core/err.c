/* err.c: error values and the names of the public enums. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct wr_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_wrap(struct wr_err *err, const char *fmt, ...)
{
	char prefix[WR_ERR_MAX], old[WR_ERR_MAX];
	va_list ap;

	if (!err)
		return WR_EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is intended: messages are capped at WR_ERR_MAX. */
	size_t n = strlen(prefix);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 3);
	strncat(err->msg + n + 2, old, sizeof(err->msg) - n - 3);
	return err->code;
}

void err_clear(struct wr_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

int name_index(const char *const *names, int n, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *wr_strerror(int code)
{
	switch (code) {
	case WR_OK: return "no error";
	case WR_EINVAL: return "invalid argument";
	case WR_ENOMEM: return "out of memory";
	case WR_EIO: return "I/O error";
	case WR_ESPEC: return "invalid workflow";
	case WR_ESTORE: return "store error";
	case WR_ENOTFOUND: return "not found";
	case WR_ESTATE: return "refused in this state";
	case WR_EBUSY: return "run is busy";
	case WR_ETAMPER: return "content does not match its hash";
	case WR_EPROVIDER: return "model provider error";
	case WR_ETOOBIG: return "input too large";
	case WR_ESANDBOX: return "the sandbox cannot be built";
	}
	return "unknown error";
}

const char *wr_version(void)
{
	return WR_VERSION;
}

static const char *const failure_names[WR_FAIL_COUNT_] = {
	[WR_FAIL_NONE] = "none",
	[WR_FAIL_CONTEXT_MISSING] = "context_missing",
	[WR_FAIL_RETRIEVAL_MISS] = "retrieval_miss",
	[WR_FAIL_TOOL_ERROR] = "tool_error",
	[WR_FAIL_PERMISSION_DENIED] = "permission_denied",
	[WR_FAIL_CONSTRAINT_CONFLICT] = "constraint_conflict",
	[WR_FAIL_SCHEMA_INVALID] = "schema_invalid",
	[WR_FAIL_UNSUPPORTED_CLAIM] = "unsupported_claim",
	[WR_FAIL_REFUSAL] = "refusal",
	[WR_FAIL_BUDGET_EXCEEDED] = "budget_exceeded",
	[WR_FAIL_UNDERSPECIFIED] = "underspecified",
	[WR_FAIL_PROVIDER_ERROR] = "provider_error",
	[WR_FAIL_TIMEOUT] = "timeout",
	[WR_FAIL_CHECK_FAILED] = "check_failed",
	[WR_FAIL_REJECTED_BY_HUMAN] = "rejected_by_human",
};

const char *wr_failure_name(enum wr_failure f)
{
	if ((int)f < 0 || f >= WR_FAIL_COUNT_)
		return "?";
	return failure_names[f];
}

int wr_failure_parse(const char *name)
{
	return name_index(failure_names, WR_FAIL_COUNT_, name);
}

static const char *const state_names[] = {
	[WR_STATE_CANDIDATE] = "candidate",
	[WR_STATE_VERIFIED] = "verified",
	[WR_STATE_APPROVED] = "approved",
	[WR_STATE_SHIPPED] = "shipped",
	[WR_STATE_REJECTED] = "rejected",
};

const char *wr_state_name(enum wr_state s)
{
	if ((int)s < 0 || (size_t)s >= sizeof(state_names) / sizeof(*state_names))
		return "?";
	return state_names[s];
}

static const char *const status_names[] = {
	[WR_RUN_RUNNING] = "running",
	[WR_RUN_WAITING] = "waiting",
	[WR_RUN_DONE] = "done",
	[WR_RUN_REJECTED] = "rejected",
	[WR_RUN_FAILED] = "failed",
};

const char *wr_run_status_name(enum wr_run_status s)
{
	if ((int)s < 0 || (size_t)s >= sizeof(status_names) / sizeof(*status_names))
		return "?";
	return status_names[s];
}
