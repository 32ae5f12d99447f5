/* curl_lib.h: libcurl, loaded when the first HTTP client is made.
 *
 * Linking libcurl would load it, and the thirty libraries it needs (TLS,
 * Kerberos, LDAP, SSH, IDN, ...), into every warrant process, which costs
 * start-up time to commands that never speak HTTP. So http.c reaches libcurl
 * through these pointers, filled once by curl_lib_load with dlopen. Include
 * this instead of <curl/curl.h>. */
#ifndef WR_MODEL_CURL_LIB_H
#define WR_MODEL_CURL_LIB_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_lib {
	CURLcode (*global_init)(long flags);
	const char *(*easy_strerror)(CURLcode code);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *h);
	void (*easy_reset)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	time_t (*getdate)(const char *s, const time_t *unused);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption option, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *extra, unsigned n, int timeout_ms,
	                        int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
};

extern struct curl_lib curl_lib;

/* Loads libcurl and its functions, once (thread-safe). 0, or -1 with why
 * (for a message) when it cannot be loaded. */
int curl_lib_load(const char **why);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init (*curl_lib.global_init)
#define curl_easy_strerror (*curl_lib.easy_strerror)
#define curl_easy_init (*curl_lib.easy_init)
#define curl_easy_setopt (*curl_lib.easy_setopt)
#define curl_easy_getinfo (*curl_lib.easy_getinfo)
#define curl_easy_perform (*curl_lib.easy_perform)
#define curl_easy_reset (*curl_lib.easy_reset)
#define curl_easy_cleanup (*curl_lib.easy_cleanup)
#define curl_slist_append (*curl_lib.slist_append)
#define curl_slist_free_all (*curl_lib.slist_free_all)
#define curl_getdate (*curl_lib.getdate)
#define curl_multi_init (*curl_lib.multi_init)
#define curl_multi_setopt (*curl_lib.multi_setopt)
#define curl_multi_add_handle (*curl_lib.multi_add_handle)
#define curl_multi_remove_handle (*curl_lib.multi_remove_handle)
#define curl_multi_perform (*curl_lib.multi_perform)
#define curl_multi_poll (*curl_lib.multi_poll)
#define curl_multi_info_read (*curl_lib.multi_info_read)
#define curl_multi_cleanup (*curl_lib.multi_cleanup)

#endif
