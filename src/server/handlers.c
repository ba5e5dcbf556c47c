/* The endpoints: GET /health, POST /v1/push, GET /v1/pull (see
 * picketd(8) for the wire format). */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "picket/i18n.h"
#include "picket/protocol.h"
#include "picket/status.h"

#define PULL_DEFAULT_LIMIT 1000
#define ORIGIN_MAX	   64

/* A store failure the client cannot fix: busy (retry soon) or broken. */
static void reply_store_error(struct srv_request *req, int rc, const struct pk_error *err)
{
	if (rc == PK_EBUSY) {
		srv_reply_retry_after(req, 1);
		srv_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
				_("the store is busy; try again"));
		return;
	}
	srv_log(SRV_LOG_ERROR, _("store: %s"), err->msg);
	srv_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			_("the server could not complete the request; its log says why"));
}

static void handle_health(struct srv *srv, struct srv_request *req)
{
	struct pk_error err = { 0 };
	struct pk_buf out = { 0 };
	int64_t head;
	int rc = srv->store->ops->head(srv->store, &head, &err);
	if (rc != PK_OK) {
		srv_log(SRV_LOG_ERROR, _("health: %s"), err.msg);
		srv_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
				_("the store cannot be read"));
		return;
	}
	pk_proto_health_encode(&out, srv->store->ops->server_id(srv->store), srv_ceiling(srv->conf),
			       head);
	srv_reply_json(req, MHD_HTTP_OK, &out);
}

static void handle_push(struct srv *srv, struct srv_request *req)
{
	const struct srv_user *user = srv_request_user(req);
	struct pk_error err = { 0 };
	struct pk_events evs = { 0 };
	struct pk_push_result res;
	const char *refusal = NULL;
	char *node = NULL;
	size_t len;
	const char *body = srv_request_body(req, &len);

	int rc = pk_proto_push_decode(body, len, &node, &evs, &err);
	if (rc != PK_OK) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST,
				rc == PK_EPROTO ? "protocol" : "bad_request", "%s", err.msg);
		return;
	}
	rc = srv->store->ops->push(srv->store, &evs, user, &res, &refusal, &err);
	if (rc == PK_OK) {
		struct pk_buf out = { 0 };
		pk_proto_push_result_encode(&out, &res);
		pk_push_result_free(&res);
		srv_reply_json(req, MHD_HTTP_OK, &out);
	} else if (rc == PK_EREFUSED) {
		srv_log(SRV_LOG_WARN, _("push by %s from node %s refused (%s): %s"), user->name,
			node, refusal, err.msg);
		srv_reply_error(req, MHD_HTTP_FORBIDDEN, refusal, "%s", err.msg);
	} else if (rc == PK_EINVAL) {
		srv_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, "unprocessable", "%s",
				err.msg);
	} else {
		reply_store_error(req, rc, &err);
	}
	free(node);
	pk_events_free(&evs);
}

struct pull_out {
	struct pk_buf buf;
	int first;
};

static int pull_event(const struct pk_event *ev, void *data)
{
	struct pull_out *out = data;
	pk_proto_pull_encode_event(&out->buf, ev, out->first);
	out->first = 0;
	return 0;
}

/* The query of a pull: after, limit, exclude_origin, anchor.  Replies and
 * returns -1 when one is wrong. */
static int pull_args(struct srv_request *req, long long *after, long long *limit,
		     const char **origin, long long *anchor_seq, char *anchor_uuid)
{
	static const char *const known[] = { "after", "limit", "exclude_origin", "anchor", NULL };
	struct pk_error err = { 0 };
	const char *s;
	if (srv_request_check_args(req, known, &err) != PK_OK) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request", "%s", err.msg);
		return -1;
	}
	*after = 0;
	if ((s = srv_request_arg(req, "after")) && pk_parse_int(s, 0, INT64_MAX, after) != 0) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_cursor",
				_("after: '%.32s' is not a sequence (a whole number from 0)"), s);
		return -1;
	}
	*limit = PULL_DEFAULT_LIMIT;
	if ((s = srv_request_arg(req, "limit")) &&
	    pk_parse_int(s, 1, PK_PROTOCOL_MAX_BATCH, limit) != 0) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
				_("limit: '%.32s' is not a whole number from 1 to %d"), s,
				PK_PROTOCOL_MAX_BATCH);
		return -1;
	}
	*origin = srv_request_arg(req, "exclude_origin");
	if (*origin && (!**origin || strlen(*origin) > ORIGIN_MAX)) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
				_("exclude_origin: a node name of 1 to %d characters"), ORIGIN_MAX);
		return -1;
	}
	/* anchor=SEQ:UUID, an event the client saw at SEQ */
	*anchor_seq = 0;
	if ((s = srv_request_arg(req, "anchor"))) {
		const char *colon = strchr(s, ':');
		char num[24];
		size_t n = colon ? (size_t)(colon - s) : 0;
		if (n > 0 && n < sizeof(num)) {
			memcpy(num, s, n);
			num[n] = '\0';
		}
		if (n == 0 || n >= sizeof(num) ||
		    pk_parse_int(num, 1, INT64_MAX, anchor_seq) != 0 ||
		    strlen(colon + 1) != PK_UUID_LEN || !pk_uuid_valid(colon + 1)) {
			srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
					_("anchor: '%.64s' is not SEQ:UUID"), s);
			return -1;
		}
		memcpy(anchor_uuid, colon + 1, PK_UUID_LEN + 1);
	}
	return 0;
}

static void handle_pull(struct srv *srv, struct srv_request *req)
{
	struct pk_error err = { 0 };
	struct pull_out out = { .first = 1 };
	long long after, limit, anchor;
	char anchor_uuid[PK_UUID_LEN + 1];
	int64_t next, head;
	const char *origin;
	int holds = 1;
	if (pull_args(req, &after, &limit, &origin, &anchor, anchor_uuid) != 0)
		return;
	if (anchor &&
	    srv->store->ops->holds(srv->store, anchor, anchor_uuid, &holds, &err) != PK_OK) {
		reply_store_error(req, err.code, &err);
		return;
	}
	if (!holds) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_cursor",
				_("this server does not hold event %s at sequence %lld, where the "
				  "client saw it: it lost events (was the store restored from a "
				  "backup?)"),
				anchor_uuid, anchor);
		return;
	}
	pk_proto_pull_encode_begin(&out.buf, srv->store->ops->server_id(srv->store),
				   srv_ceiling(srv->conf));
	int rc = srv->store->ops->pull(srv->store, after, (int)limit, origin, pull_event, &out,
				       &next, &head, &err);
	if (rc == PK_EINVAL) {
		srv_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_cursor", "%s", err.msg);
	} else if (rc != PK_OK) {
		reply_store_error(req, rc, &err);
	} else {
		pk_proto_pull_encode_end(&out.buf, next, head, next < head);
		srv_reply_json(req, MHD_HTTP_OK, &out.buf);
	}
	pk_buf_free(&out.buf);
}

const struct srv_route srv_routes[] = {
	{ "GET", "/health", SRV_PUBLIC, handle_health },
	{ "POST", "/v1/push", SRV_PUSH, handle_push },
	{ "GET", "/v1/pull", 0, handle_pull },
	{ NULL, NULL, 0, NULL },
};
