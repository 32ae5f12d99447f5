/* provider.c: the table of model providers. */
#include "model/provider.h"

#include <string.h>

static const struct provider_ops *const providers[] = {
	&provider_script,
};

static const char *const names[] = { "script", NULL };

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
}
