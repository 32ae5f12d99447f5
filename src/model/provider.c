/* provider.c: the table of model providers. */
#include "model/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct provider_ops *const providers[] = {
	&provider_script,
	&provider_openai,
	&provider_anthropic,
	&provider_command,
	&provider_replay,
	&provider_local,
};

static const char *const names[] = { "script", "openai", "anthropic", "command", "replay", "local",
                                     NULL };

const struct provider_ops *provider_find(const char *name)
{
	for (size_t i = 0; i < sizeof(providers) / sizeof(*providers); i++)
		if (name && strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

const char *const *provider_names(void)
{
	return names;
}

int64_t provider_estimate_tokens(const char *text)
{
	size_t n = strlen(text);

	return (int64_t)((n + 3) / 4);
}

void model_response_init(struct model_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text, 0);
}

void model_response_release(struct model_response *r)
{
	buf_release(&r->text);
	for (size_t i = 0; i < r->n_tool_calls; i++)
		free(r->tool_calls[i].arguments);
	free(r->tool_calls);
	r->tool_calls = NULL;
	r->n_tool_calls = 0;
}

int provider_complete_batch(const struct provider_ops *ops, void *state,
                            const struct model_request *reqs,
                            struct model_response *resps, size_t n,
                            struct wr_err *err)
{
	int rc = 0;

	if (ops->complete_batch)
		return ops->complete_batch(state, reqs, resps, n, err);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ops->complete(state, &reqs[i], &resps[i], err);
	return rc;
}

/* --- secrets --- */

#define REDACTED "[redacted]"

static int redact_into(struct buf *out, const char *s, const char *secret)
{
	size_t n = strlen(secret);
	const char *hit;
	int rc;

	while ((hit = strstr(s, secret)) != NULL) {
		if ((rc = buf_add(out, s, (size_t)(hit - s))) < 0 ||
		    (rc = buf_adds(out, REDACTED)) < 0)
			return rc;
		s = hit + n;
	}
	return buf_adds(out, s);
}

/* A fixed buffer may have been filled by truncating text that held the
 * secret, leaving its first bytes at the end: those go too (4 or more). */
static void redact_tail(char *s, size_t size, const char *secret)
{
	size_t len = strlen(s), n = strlen(secret);

	for (size_t k = n - 1; k >= 4; k--) {
		if (k > len || memcmp(s + len - k, secret, k))
			continue;
		snprintf(s + len - k, size - (len - k), "%s", REDACTED);
		return;
	}
}

void provider_redact(char *s, size_t size, const char *secret)
{
	struct buf b = BUF_INIT;

	if (!secret || strlen(secret) < 4 || !size)
		return;
	if (strstr(s, secret)) {
		if (redact_into(&b, s, secret) == 0) {
			size_t n = b.len < size - 1 ? b.len : size - 1;

			memcpy(s, b.data, n);
			s[n] = '\0';
		} else {
			s[0] = '\0';  /* out of memory: better nothing than the secret */
		}
		buf_release(&b);
	}
	redact_tail(s, size, secret);
}

int provider_redact_buf(struct buf *b, const char *secret)
{
	struct buf out;
	int rc;

	if (!secret || strlen(secret) < 4 || !strstr(b->data, secret))
		return 0;
	buf_init(&out, b->max);
	if ((rc = redact_into(&out, b->data, secret)) < 0) {
		buf_release(&out);
		buf_reset(b);
		return rc;
	}
	buf_release(b);
	*b = out;
	return 0;
}
