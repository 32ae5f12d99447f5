/* mock.h: starting tests/servers/mockllm from unit tests. */
#ifndef WR_TEST_MOCK_H
#define WR_TEST_MOCK_H

#include <sys/types.h>

#include "spec/spec.h"

struct mock {
	pid_t pid;
	int port;
	char base[64];     /* "http://127.0.0.1:PORT" */
	char log[512];     /* its request log */
};

/* Builds the server when needed (tests/servers/build.sh into the build
 * folder), starts it with args (NULL-terminated, may be NULL) and a request
 * log in a fresh temp dir. 0 or -1. */
int mock_start(struct mock *m, const char *const *args);
void mock_stop(struct mock *m);
/* Requests logged so far, and those logged with status. */
int mock_requests(const struct mock *m);
int mock_requests_with(const struct mock *m, int status);
/* A number from GET /stats ("max_in_flight", "connections", ...); -1 on error. */
long mock_stat(const struct mock *m, const char *name);
/* The path of the built tests/servers binary name ("mockllm"). */
const char *mock_bin(const char *name);

/* A spec_model for tests: options is the JSON text (kept, not copied). */
struct spec_model mock_model(const char *provider, const char *model, const char *options);

#endif
