/* mhd_lib.c: libmicrohttpd through dlopen (see mhd_lib.h). */
#include "web/mhd_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

struct mhd_lib mhd_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;

/* dlsym's void * into a function pointer, without a cast the standard
 * leaves undefined. */
#define LOAD(field, name)                                                   \
	do {                                                                \
		void *p_ = dlsym(h, name);                                  \
		if (!p_) {                                                  \
			failure = "libmicrohttpd lacks " name;              \
			return;                                             \
		}                                                           \
		memcpy(&mhd_lib.field, &p_, sizeof(p_));                   \
	} while (0)

static void load(void)
{
	void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		failure = "cannot load libmicrohttpd.so.12 (apt-get install libmicrohttpd12)";
		return;
	}
	LOAD(start_daemon, "MHD_start_daemon");
	LOAD(stop_daemon, "MHD_stop_daemon");
	LOAD(lookup_connection_value, "MHD_lookup_connection_value");
	LOAD(queue_response, "MHD_queue_response");
	LOAD(create_response_from_buffer, "MHD_create_response_from_buffer");
	LOAD(destroy_response, "MHD_destroy_response");
	LOAD(add_response_header, "MHD_add_response_header");
}

int mhd_lib_load(const char **why)
{
	pthread_once(&once, load);
	*why = failure;
	return failure ? -1 : 0;
}
