/* Where picketd keeps events: a small interface so a PostgreSQL store can
 * sit beside the SQLite one.  Each backend is one table of functions;
 * srv_store_open() picks it by [store] backend.
 *
 * Every function may be called from any worker thread at once: a store
 * serialises writes itself and gives each thread what it needs to read. */
#ifndef PICKETD_STORE_H
#define PICKETD_STORE_H

#include <stdint.h>

#include "conf.h"
#include "users.h"
#include "picket/protocol.h"

struct srv_store;

struct srv_store_ops {
	const char *name; /* [store] backend */
	int (*open)(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err);
	void (*close)(struct srv_store *st);
	/* The server's identity, a UUID made once when the store is new. */
	const char *(*server_id)(struct srv_store *st);
	/* The highest sequence stored (0 when empty). */
	int (*head)(struct srv_store *st, int64_t *head, struct pk_error *err);
	/* Stores a batch in ONE transaction: each event is checked
	 * (pk_event_check), then judged by srv_policy_event(), then merged.
	 * Returns PK_OK with *res filled (free with pk_push_result_free): the
	 * events stored are exactly those with sequence from < s <= seq, and
	 * events beyond the user's role are left out and listed in
	 * res->rejected.  Otherwise nothing is stored: PK_EREFUSED with *refusal the protocol's
	 * error code; PK_EINVAL for a malformed event; PK_EBUSY or another status when the store
	 * failed.  err says why, naming the event. */
	int (*push)(struct srv_store *st, const struct pk_events *evs, const struct srv_user *user,
		    struct pk_push_result *res, const char **refusal, struct pk_error *err);
	/* Whether the event at sequence `seq` is `uuid` (*holds 1) or another
	 * or none (0): a client checks that the store still holds what it saw
	 * there (a store restored from a backup does not). */
	int (*holds)(struct srv_store *st, int64_t seq, const char *uuid, int *holds,
		     struct pk_error *err);
	/* Calls fn for up to `limit` events after sequence `after`, in order,
	 * each with its seq set, leaving out origin `skip_origin` (may be
	 * NULL).  *next gets the cursor to continue from: the last sequence
	 * visited, or the head when the page ended short (events left out
	 * by skip_origin are passed over too), `after` when there was
	 * nothing; *head gets the head, never below *next.  PK_EINVAL when
	 * after is beyond the head. */
	int (*pull)(struct srv_store *st, int64_t after, int limit, const char *skip_origin,
		    pk_event_fn fn, void *data, int64_t *next, int64_t *head, struct pk_error *err);
	/* The classification rank (in conf->classes's levels) of a record
	 * as the store has it now: a ticket's own, a comment's ticket's, 0
	 * for records without one; PK_ENOTFOUND when there is none. */
	int (*level)(struct srv_store *st, const char *entity, const char *uuid, int *rank,
		     struct pk_error *err);
};

/* The part of every store the interface sees. */
struct srv_store {
	const struct srv_store_ops *ops;
};

extern const struct srv_store_ops srv_store_sqlite;
extern const struct srv_store_ops srv_store_pg;

/* Opens the store conf names; PK_ECONFIG for an unknown backend. */
int srv_store_open(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err);
/* Closes the store and sets *st to NULL. */
void srv_store_close(struct srv_store **st);

#endif
