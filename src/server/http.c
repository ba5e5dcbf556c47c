/* The HTTP daemon: libmicrohttpd with its thread pool and TLS, the checks
 * every request passes (route, protocol version, token, rate, size) before
 * its handler runs, and one access line per request. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cert.h"
#include "log.h"
#include "policy.h"
#include "rate.h"
#include "picket/i18n.h"
#include "picket/protocol.h"
#include "picket/status.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PEM_MAX	       (1 << 20)
/* What libmicrohttpd keeps per connection besides the request head
 * (response headers, buffers), so heads up to max_header fit and
 * larger ones are refused. */
#define POOL_SLACK 4096
#define PATH_LOG   128

struct srv_request {
	struct srv *srv;
	struct MHD_Connection *conn;
	const struct srv_route *route;
	struct srv_user user;
	int authed;
	struct pk_buf body;
	int too_large;	/* the body passed max_body: the rest is dropped */
	size_t dropped; /* bytes dropped since */
	int replied;
	int retry_after;
	unsigned status;
	size_t bytes;
	struct timespec start;
	char method[16];
	char path[PATH_LOG + 1];
	char ip[64];
};

/* --- what handlers see --- */

const char *srv_request_arg(struct srv_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct args_check {
	const char *const *known;
	struct pk_error *err;
	int bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct args_check *c = cls;
	for (int i = 0; c->known[i]; i++)
		if (strcmp(c->known[i], key) == 0)
			return MHD_YES;
	c->bad = 1;
	pk_error_set(c->err, PK_EINVAL, _("unknown query argument '%.32s'"), key);
	return MHD_NO;
}

int srv_request_check_args(struct srv_request *req, const char *const *known, struct pk_error *err)
{
	struct args_check c = { known, err, 0 };
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg, &c);
	return c.bad ? PK_EINVAL : PK_OK;
}

const char *srv_request_body(struct srv_request *req, size_t *len)
{
	*len = req->body.len;
	return req->body.data ? req->body.data : "";
}

const struct srv_user *srv_request_user(struct srv_request *req)
{
	return req->authed ? &req->user : NULL;
}

void srv_reply_retry_after(struct srv_request *req, int seconds)
{
	req->retry_after = seconds;
}

/* Queues the reply; returns 0, or -1 when libmicrohttpd cannot take it
 * now (the connection is then closed). */
static int reply(struct srv_request *req, unsigned status, struct pk_buf *body)
{
	char num[16];
	if (req->replied) {
		pk_buf_free(body);
		return 0;
	}
	size_t len = body->len;
	char *data = pk_buf_detach(body);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return -1;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	snprintf(num, sizeof(num), "%d", PK_PROTOCOL_VERSION);
	MHD_add_response_header(resp, PK_PROTOCOL_HEADER, num);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (req->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", req->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	/* (a certificate has no HTTP authentication scheme to name) */
	if (status == MHD_HTTP_UNAUTHORIZED &&
	    srv_auth_uses_tokens((enum srv_auth_method)req->srv->conf->auth_method))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"picketd\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->route->method);
	enum MHD_Result ok = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return -1;
	req->replied = 1;
	req->status = status;
	req->bytes = len;
	return 0;
}

void srv_reply_json(struct srv_request *req, unsigned status, struct pk_buf *body)
{
	reply(req, status, body);
}

static int reply_errorv(struct srv_request *req, unsigned status, const char *code, const char *fmt,
			va_list ap) __attribute__((format(printf, 4, 0)));

static int reply_errorv(struct srv_request *req, unsigned status, const char *code, const char *fmt,
			va_list ap)
{
	char msg[1024];
	struct pk_buf body = { 0 };
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pk_proto_error_encode(&body, code, msg);
	return reply(req, status, &body);
}

static int reply_error(struct srv_request *req, unsigned status, const char *code, const char *fmt,
		       ...) PK_PRINTF(4, 5);

static int reply_error(struct srv_request *req, unsigned status, const char *code, const char *fmt,
		       ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = reply_errorv(req, status, code, fmt, ap);
	va_end(ap);
	return rc;
}

void srv_reply_error(struct srv_request *req, unsigned status, const char *code, const char *fmt,
		     ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_errorv(req, status, code, fmt, ap);
	va_end(ap);
}

/* --- the checks before a handler --- */

static void client_ip(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "-");
	if (!ci || !ci->client_addr)
		return;
	socklen_t salen = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								 : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, salen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, len, "-");
}

/* The path as it may appear in the log: printable ASCII, shortened. */
static void log_path(const char *url, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = url; *p && n + 1 < len; p++)
		out[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
	out[n] = '\0';
	if (strlen(url) >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

static const struct srv_route *route_find(const char *path, const char *method, int *wrong)
{
	*wrong = 0;
	for (const struct srv_route *r = srv_routes; r->path; r++) {
		if (strcmp(r->path, path) != 0)
			continue;
		if (strcmp(r->method, method) == 0)
			return r;
		*wrong = 1;
		return r;
	}
	return NULL;
}

/* The protocol header: present and a version this server speaks. */
static int check_protocol(struct srv_request *req)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, PK_PROTOCOL_HEADER);
	char mine[16];
	snprintf(mine, sizeof(mine), "%d", PK_PROTOCOL_VERSION);
	if (v && strcmp(v, mine) == 0)
		return 0;
	if (!v)
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "protocol",
				_("the %s header is missing; this server speaks protocol version "
				  "%d"),
				PK_PROTOCOL_HEADER, PK_PROTOCOL_VERSION);
	else
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "protocol",
				_("protocol version '%.16s' is not one this server speaks (%d); "
				  "upgrade the older side"),
				v, PK_PROTOCOL_VERSION);
	return -1;
}

/* The client certificate of the connection, checked now: a CRL reloaded
 * since the handshake applies to connections kept open. */
static void peer_cert(struct srv_request *req, struct srv_cert_result *res)
{
	const union MHD_ConnectionInfo *ci =
		req->srv->conf->plain_http
			? NULL
			: MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	srv_cert_check(ci ? ci->tls_session : NULL, res);
}

/* The bearer token and the client certificate, as [auth] method wants. */
static int check_auth(struct srv_request *req)
{
	enum srv_auth_method m = (enum srv_auth_method)req->srv->conf->auth_method;
	struct srv_cert_result cert = { .state = SRV_CERT_NONE };
	struct srv_auth_refusal why;
	if (srv_auth_uses_certificates(m))
		peer_cert(req, &cert);
	struct srv_credentials c = {
		.authorization = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.cert = &cert,
	};
	if (!srv_auth_check(m, &c, &req->user, &why)) {
		srv_log(SRV_LOG_WARN, _("authentication failed from %s: %s"), req->ip, why.log);
		srv_reply_error(req, MHD_HTTP_UNAUTHORIZED, "auth", "%s", why.reply);
		return -1;
	}
	req->authed = 1;
	return 0;
}

static int check_rate(struct srv_request *req)
{
	int wait = srv_rate_take(req->user.name);
	if (wait == 0)
		return 0;
	srv_reply_retry_after(req, wait);
	srv_reply_error(req, MHD_HTTP_TOO_MANY_REQUESTS, "rate",
			_("more than %d requests a second; retry in %d s"), req->srv->conf->rate,
			wait);
	return -1;
}

static int refuse_too_large(struct srv_request *req)
{
	return reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
			   _("the request body is larger than this server takes (%zu bytes); "
			     "send fewer events at once"),
			   req->srv->conf->max_body);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": ", CRLF */
	return MHD_YES;
}

/* The request head (request line and headers) as received, give or take
 * the whitespace libmicrohttpd trimmed. */
static size_t head_size(struct srv_request *req, const char *url)
{
	size_t n = strlen(req->method) + strlen(url) + 16;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header_size, &n);
	return n;
}

/* Checks that need no body; replies and returns -1 when one fails. */
static int admit(struct srv_request *req, const char *url)
{
	int wrong;
	if (head_size(req, url) > req->srv->conf->max_header) {
		srv_reply_error(req, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "too_large",
				_("the request headers are larger than this server takes (%zu "
				  "bytes)"),
				req->srv->conf->max_header);
		return -1;
	}
	req->route = route_find(url, req->method, &wrong);
	if (!req->route) {
		srv_reply_error(req, MHD_HTTP_NOT_FOUND, "not_found", _("no such endpoint: %s"),
				req->path);
		return -1;
	}
	if (wrong) {
		srv_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method", _("%s takes %s only"),
				req->route->path, req->route->method);
		return -1;
	}
	if (req->route->flags & SRV_PUBLIC)
		return 0;
	if (check_protocol(req) || check_auth(req) || check_rate(req))
		return -1;
	if (!(req->route->flags & SRV_PUSH))
		return 0;
	if (!srv_policy_may_push(&req->user)) {
		srv_reply_error(req, MHD_HTTP_FORBIDDEN, "forbidden",
				_("user %s is a %s and may only pull"), req->user.name,
				srv_role_name(req->user.role));
		return -1;
	}
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n;
	if (cl && pk_parse_int(cl, 0, INT64_MAX, &n) == 0 && (size_t)n > req->srv->conf->max_body) {
		refuse_too_large(req);
		return -1;
	}
	return 0;
}

/* --- libmicrohttpd's callbacks --- */

static struct srv_request *request_new(struct srv *srv, struct MHD_Connection *conn,
				       const char *url, const char *method)
{
	struct srv_request *req = pk_xcalloc(1, sizeof(*req));
	req->srv = srv;
	req->conn = conn;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	log_path(method, req->method, sizeof(req->method));
	log_path(url, req->path, sizeof(req->path));
	client_ip(conn, req->ip, sizeof(req->ip));
	atomic_fetch_add(&srv->inflight, 1);
	return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct srv *srv = cls;
	struct srv_request *req = *con_cls;
	if (!req) {
		/* a refusal goes out at once, before any body is read (and the
		 * connection closes after it); an accepted request is answered
		 * after its body, which keeps the connection open for the next */
		*con_cls = req = request_new(srv, conn, url, method);
		if (atomic_load(&srv->draining)) {
			/* a kept-alive connection asking again after SIGTERM: only
			 * the requests under way then are finished */
			req->retry_after = 1;
			srv_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
					_("the server is shutting down; try again shortly"));
			return MHD_YES;
		}
		admit(req, url);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (req->replied)
			return MHD_YES;
		if (req->too_large) {
			/* drop what follows, up to as much again; past that the
			 * sender is not listening: cut the connection */
			req->dropped += n;
			return req->dropped > srv->conf->max_body ? MHD_NO : MHD_YES;
		}
		if (req->body.len + n > srv->conf->max_body) {
			/* answer now if libmicrohttpd lets us (it does not while a
			 * body arrives), else after the body */
			pk_buf_free(&req->body);
			if (refuse_too_large(req) != 0)
				req->too_large = 1;
			return MHD_YES;
		}
		pk_buf_add(&req->body, upload, n);
		return MHD_YES;
	}
	if (req->replied)
		return MHD_YES;
	if (req->too_large)
		return refuse_too_large(req) == 0 ? MHD_YES : MHD_NO;
	req->route->handle(srv, req);
	return req->replied ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct srv *srv = cls;
	struct srv_request *req = *con_cls;
	struct timespec end;
	if (!req)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long ms = (long)(end.tv_sec - req->start.tv_sec) * 1000 +
		  (end.tv_nsec - req->start.tv_nsec) / 1000000;
	char status[16];
	snprintf(status, sizeof(status), "%u", req->status);
	srv_log(SRV_LOG_INFO, "%s %s %s %s %s %zu %ldms%s", req->ip,
		req->authed ? req->user.name : "-", req->method, req->path,
		req->replied ? status : "-", req->bytes, ms,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
	pk_buf_free(&req->body);
	sodium_memzero(&req->user, sizeof(req->user));
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	srv_logv(SRV_LOG_WARN, fmt, ap);
}

/* --- start and stop --- */

/* Reads a PEM file; `secret` refuses one that group or others may read. */
static int read_pem(const char *path, int secret, char **out, struct pk_error *err)
{
	struct stat sb;
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pk_error_set(err, PK_ECONFIG, _("cannot read %s: %s"), path,
				    strerror(errno));
	int rc = PK_OK;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > PEM_MAX)
		rc = pk_error_set(err, PK_ECONFIG, _("%s is not a PEM file"), path);
	else if (secret)
		rc = pk_check_private(_("the TLS key"), path, (unsigned)sb.st_mode, err);
	if (rc != PK_OK) {
		close(fd);
		return rc;
	}
	char *buf = pk_xmalloc((size_t)sb.st_size + 1);
	size_t got = 0;
	ssize_t r;
	while (got < (size_t)sb.st_size &&
	       ((r = read(fd, buf + got, (size_t)sb.st_size - got)) > 0 ||
		(r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	close(fd);
	buf[got] = '\0';
	if (got != (size_t)sb.st_size || !strstr(buf, "-----BEGIN ")) {
		sodium_memzero(buf, got);
		free(buf);
		return pk_error_set(err, PK_ECONFIG, _("%s is not a PEM file"), path);
	}
	*out = buf;
	return PK_OK;
}

static void free_secret(char **p)
{
	if (*p)
		sodium_memzero(*p, strlen(*p));
	pk_freep(p);
}

static int resolve(const struct srv_conf *conf, struct sockaddr_storage *ss, struct pk_error *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%d", conf->port);
	int rc = getaddrinfo(conf->listen, port, &hints, &ai);
	if (rc != 0 || !ai)
		return pk_error_set(err, PK_ECONFIG, _("%s: server.listen: cannot use '%s': %s"),
				    conf->path, conf->listen, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return PK_OK;
}

int srv_http_load_tls(struct srv *srv, struct pk_error *err)
{
	int rc;
	if (srv->conf->plain_http)
		return PK_OK;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return pk_error_set(err, PK_ERR, _("this libmicrohttpd was built without TLS"));
	if ((rc = read_pem(srv->conf->cert, 0, &srv->cert_pem, err)) != PK_OK ||
	    (rc = read_pem(srv->conf->key, 1, &srv->key_pem, err)) != PK_OK ||
	    (srv->conf->client_ca &&
	     (rc = read_pem(srv->conf->client_ca, 0, &srv->client_ca_pem, err)) != PK_OK)) {
		srv_http_stop(srv);
		return rc;
	}
	return PK_OK;
}

int srv_http_start(struct srv *srv, struct pk_error *err)
{
	const struct srv_conf *conf = srv->conf;
	struct sockaddr_storage ss = { 0 };
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[20];
	int n = 0, rc;

	if ((rc = resolve(conf, &ss, err)) != PK_OK)
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	opts[n++] =
		(struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)conf->threads,
					     NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					     (intptr_t)conf->max_connections, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)conf->timeout,
					     NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					     (intptr_t)(conf->max_header + POOL_SLACK), NULL };
	opts[n++] =
		(struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv };
	if (conf->max_connections_per_ip > 0)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
						     (intptr_t)conf->max_connections_per_ip, NULL };
	if (!conf->plain_http) {
		if (!srv->cert_pem && (rc = srv_http_load_tls(srv, err)) != PK_OK)
			return rc;
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						     (void *)TLS_PRIORITIES };
		/* the client authorities make libmicrohttpd ask for a client
		 * certificate (without requiring one: a missing or bad one gets
		 * a 401 that says why, not a failed handshake); cert.c checks
		 * it on each request */
		if (srv->client_ca_pem)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
							     srv->client_ca_pem };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	srv->daemon = MHD_start_daemon(flags, (uint16_t)conf->port, NULL, NULL, on_request, srv,
				       MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!srv->daemon) {
		srv_http_stop(srv);
		return pk_error_set(err, PK_ERR,
				    _("cannot serve on %s port %d (see the messages above)"),
				    conf->listen, conf->port);
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info && info->port ? info->port : conf->port;
	return PK_OK;
}

void srv_http_quiesce(struct srv *srv)
{
	atomic_store(&srv->draining, 1);
	if (!srv->daemon)
		return;
	MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

void srv_http_stop(struct srv *srv)
{
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
	pk_freep(&srv->cert_pem);
	pk_freep(&srv->client_ca_pem);
	free_secret(&srv->key_pem);
}
