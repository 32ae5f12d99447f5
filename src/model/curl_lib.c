/* curl_lib.c: libcurl through dlopen (see curl_lib.h). */
#include "model/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

struct curl_lib curl_lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;

/* dlsym's void * into a function pointer, without a cast the standard
 * leaves undefined. */
#define LOAD(field, name)                                                   \
	do {                                                                \
		void *p_ = dlsym(h, name);                                  \
		if (!p_) {                                                  \
			failure = "libcurl lacks " name;                    \
			return;                                             \
		}                                                           \
		memcpy(&curl_lib.field, &p_, sizeof(p_));                  \
	} while (0)

#include <string.h>

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		failure = "cannot load libcurl.so.4 (apt-get install libcurl4)";
		return;
	}
	LOAD(global_init, "curl_global_init");
	LOAD(easy_strerror, "curl_easy_strerror");
	LOAD(easy_init, "curl_easy_init");
	LOAD(easy_setopt, "curl_easy_setopt");
	LOAD(easy_getinfo, "curl_easy_getinfo");
	LOAD(easy_perform, "curl_easy_perform");
	LOAD(easy_reset, "curl_easy_reset");
	LOAD(easy_cleanup, "curl_easy_cleanup");
	LOAD(slist_append, "curl_slist_append");
	LOAD(slist_free_all, "curl_slist_free_all");
	LOAD(getdate, "curl_getdate");
	LOAD(multi_init, "curl_multi_init");
	LOAD(multi_setopt, "curl_multi_setopt");
	LOAD(multi_add_handle, "curl_multi_add_handle");
	LOAD(multi_remove_handle, "curl_multi_remove_handle");
	LOAD(multi_perform, "curl_multi_perform");
	LOAD(multi_poll, "curl_multi_poll");
	LOAD(multi_info_read, "curl_multi_info_read");
	LOAD(multi_cleanup, "curl_multi_cleanup");
}

int curl_lib_load(const char **why)
{
	pthread_once(&once, load);
	*why = failure;
	return failure ? -1 : 0;
}
