/* mhd_lib.h: libmicrohttpd, loaded when `warrant serve` starts.
 *
 * Linking it would load it and GnuTLS with its eight libraries into every
 * warrant command; only the review desk needs it. server.c reaches it
 * through these pointers, filled once by mhd_lib_load with dlopen. Include
 * this instead of <microhttpd.h>. */
#ifndef WR_WEB_MHD_LIB_H
#define WR_WEB_MHD_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct mhd_lib {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
	                                   MHD_AcceptPolicyCallback apc, void *apc_cls,
	                                   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
	                                       const char *key);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
	                                  struct MHD_Response *r);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
	                                                    enum MHD_ResponseMemoryMode mode);
	void (*destroy_response)(struct MHD_Response *r);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
	                                       const char *content);
};

extern struct mhd_lib mhd_lib;

/* Loads libmicrohttpd, once. 0, or -1 with why (for a message). */
int mhd_lib_load(const char **why);

#define MHD_start_daemon (*mhd_lib.start_daemon)
#define MHD_stop_daemon (*mhd_lib.stop_daemon)
#define MHD_lookup_connection_value (*mhd_lib.lookup_connection_value)
#define MHD_queue_response (*mhd_lib.queue_response)
#define MHD_create_response_from_buffer (*mhd_lib.create_response_from_buffer)
#define MHD_destroy_response (*mhd_lib.destroy_response)
#define MHD_add_response_header (*mhd_lib.add_response_header)

#endif
