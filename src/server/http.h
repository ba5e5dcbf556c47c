/* picketd's HTTP side: the daemon (libmicrohttpd, TLS), requests as the
 * handlers see them, and the route table.  Only http.c calls
 * libmicrohttpd; handlers read a request and reply through these
 * functions (using its MHD_HTTP_* status names). */
#ifndef PICKETD_HTTP_H
#define PICKETD_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#include "conf.h"
#include "store.h"
#include "users.h"

struct MHD_Daemon;

/* The running server. */
struct srv {
	const struct srv_conf *conf;
	struct srv_store *store;
	struct MHD_Daemon *daemon;
	atomic_int inflight; /* requests begun and not yet completed */
	atomic_int draining; /* SIGTERM: new requests are turned away */
	char *cert_pem, *key_pem;
	char *client_ca_pem; /* NULL: no client certificates asked for */
	int port;	     /* the port bound */
};

/* Reads the TLS files (and client_ca's authorities, named to clients
 * when picketd asks for their certificate), refusing a key others may
 * read (nothing to do for plain_http).  Returns PK_OK, PK_ECONFIG or
 * PK_ERR. */
int srv_http_load_tls(struct srv *srv, struct pk_error *err);
/* Starts the daemon's threads (loading the TLS files if not done yet).
 * Returns PK_OK, PK_ECONFIG or PK_ERR. */
int srv_http_start(struct srv *srv, struct pk_error *err);
/* Stops accepting connections; requests under way go on. */
void srv_http_quiesce(struct srv *srv);
/* Stops the daemon (closing every connection) and frees what start made. */
void srv_http_stop(struct srv *srv);

/* A request, as handlers see it. */
struct srv_request;

/* The value of query argument `name`, or NULL. */
const char *srv_request_arg(struct srv_request *req, const char *name);
/* PK_OK if every query argument is one of `known` (NULL-terminated),
 * else PK_EINVAL with err naming the stranger. */
int srv_request_check_args(struct srv_request *req, const char *const *known, struct pk_error *err);
/* The request body (NUL-terminated) and its length. */
const char *srv_request_body(struct srv_request *req, size_t *len);
/* The authenticated user (NULL on public routes). */
const struct srv_user *srv_request_user(struct srv_request *req);

/* Replies with JSON: the body is taken over (and left empty). */
void srv_reply_json(struct srv_request *req, unsigned status, struct pk_buf *body);
/* Replies with the protocol's error object {"error":CODE,"message":...}. */
void srv_reply_error(struct srv_request *req, unsigned status, const char *code, const char *fmt,
		     ...) PK_PRINTF(4, 5);
/* Adds Retry-After to the reply to come. */
void srv_reply_retry_after(struct srv_request *req, int seconds);

/* Routes: handlers.c holds the table, http.c dispatches. */
enum srv_route_flags {
	SRV_PUBLIC = 1 << 0, /* no protocol header or token needed */
	SRV_PUSH = 1 << 1,   /* reads a body; refused to roles that may not push */
};

struct srv_route {
	const char *method;
	const char *path;
	unsigned flags;
	void (*handle)(struct srv *srv, struct srv_request *req);
};

/* Ends with an entry whose path is NULL. */
extern const struct srv_route srv_routes[];

#endif
