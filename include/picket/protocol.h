/* The sync protocol's messages, shared by `picket sync` and picketd: JSON
 * (jansson) in and out, every decoder strict (unknown members, wrong types,
 * out-of-range numbers and oversized strings are refused with a reason).
 * man/picketd.8 documents the wire format. */
#ifndef PICKET_PROTOCOL_H
#define PICKET_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "picket/oplog.h"
#include "picket/util.h"

#define PK_PROTOCOL_VERSION 1
#define PK_PROTOCOL_HEADER  "Picket-Protocol"
/* Events per push request and per pull page, at most. */
#define PK_PROTOCOL_MAX_BATCH 5000

/* A list of events. */
struct pk_events {
	struct pk_event *v;
	size_t n, cap;
};

void pk_events_free(struct pk_events *evs);
/* Appends a deep copy of ev. */
void pk_events_add(struct pk_events *evs, const struct pk_event *ev);

/* One event, as a push carries it (bundles keep one a line). */
void pk_proto_event_encode(struct pk_buf *out, const struct pk_event *ev);
/* PK_OK or PK_EINVAL with err's message; ev is cleared with pk_event_clear. */
int pk_proto_event_decode(const char *json, size_t len, struct pk_event *ev, struct pk_error *err);

/* Push request: {"protocol":1,"node":NODE,"events":[EVENT...]} */
void pk_proto_push_encode(struct pk_buf *out, const char *node, const struct pk_event *ev,
			  size_t n);
/* Returns PK_OK or PK_EINVAL with err's message; node is allocated. */
int pk_proto_push_decode(const char *json, size_t len, char **node, struct pk_events *evs,
			 struct pk_error *err);

/* Push answer: {"protocol":1,"accepted":N,"duplicates":N,"conflicts":N,
 * "from":SEQ,"seq":SEQ,"rejected":[{"uuid":U,"error":CODE,"message":M}...]}.  The events stored are
 * exactly those with sequence from < s <= seq when the store can promise it (from = seq when it
 * cannot), so a client whose cursor was `from` may move it to `seq` instead of pulling its own
 * events back. */
struct pk_rejection {
	char uuid[PK_UUID_LEN + 1];
	char code[32];
	char *message;
};

struct pk_push_result {
	int64_t accepted, duplicates, conflicts, from, seq;
	/* events the server will not take (a role's limit), each with why;
	 * the rest of the batch is stored */
	struct pk_rejection *rejected;
	size_t nrejected;
};
void pk_push_result_reject(struct pk_push_result *r, const char *uuid, const char *code,
			   const char *message);
void pk_push_result_free(struct pk_push_result *r);
void pk_proto_push_result_encode(struct pk_buf *out, const struct pk_push_result *r);
int pk_proto_push_result_decode(const char *json, size_t len, struct pk_push_result *r,
				struct pk_error *err);

/* Pull answer: {"protocol":1,"server":ID,"ceiling":LEVEL,"events":[EVENT+seq...],
 * "next":SEQ,"head":SEQ,"more":BOOL}; the ceiling is the highest
 * classification the server is accredited for. */
struct pk_pull_page {
	char server[64];
	char ceiling[64];
	struct pk_events events;
	int64_t next, head;
	int more;
};
void pk_proto_pull_encode_begin(struct pk_buf *out, const char *server, const char *ceiling);
void pk_proto_pull_encode_event(struct pk_buf *out, const struct pk_event *ev, int first);
void pk_proto_pull_encode_end(struct pk_buf *out, int64_t next, int64_t head, int more);
int pk_proto_pull_decode(const char *json, size_t len, struct pk_pull_page *page,
			 struct pk_error *err);
void pk_pull_page_free(struct pk_pull_page *page);

/* Error answer: {"protocol":1,"error":CODE,"message":TEXT} */
void pk_proto_error_encode(struct pk_buf *out, const char *code, const char *message);
/* Fills code and message from an error body; returns PK_OK when it was one. */
int pk_proto_error_decode(const char *json, size_t len, char *code, size_t codelen, char *message,
			  size_t msglen);

/* Health answer: {"protocol":1,"status":"ok","server":ID,"ceiling":LEVEL,"head":SEQ} */
void pk_proto_health_encode(struct pk_buf *out, const char *server, const char *ceiling,
			    int64_t head);

#endif
