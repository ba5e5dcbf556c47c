/* The oplog as sync sees it: events out (unpushed, or after a server
 * sequence), events in (merged through the change path), and the conflict
 * records a merge leaves behind.
 *
 * An event is one change of one record: op "create" with every field as a
 * JSON object, or op "set" of one field.  `hlc` orders events (per field,
 * the highest hlc wins, ties broken by origin); `base` is the hlc of the
 * field's value the author saw when making a "set", so a merge can tell a
 * later edit (base >= the other event's hlc) from a concurrent one. */
#ifndef PICKET_OPLOG_H
#define PICKET_OPLOG_H

#include <stddef.h>
#include <stdint.h>

struct pk_db;
struct pk_error;

#define PK_UUID_LEN 36

struct pk_event {
	int64_t seq; /* server sequence; 0 when unknown */
	char uuid[PK_UUID_LEN + 1];
	char entity[32];
	char entity_uuid[PK_UUID_LEN + 1];
	int create;	  /* op "create" (else "set") */
	char *field;	  /* NULL for a create */
	char *value;	  /* JSON text; an object for a create */
	size_t value_len; /* strlen(value) when its decoder knew it, else 0 */
	int64_t hlc;
	int64_t base; /* 0 for a create */
	char *origin;
	char *actor;
	int64_t at;
};

void pk_event_clear(struct pk_event *ev);
/* strlen(ev->value) (0 for none): value_len, or measured when 0. */
size_t pk_event_value_len(const struct pk_event *ev);
/* 1 if s is a canonical lower-case UUID (8-4-4-4-12 hex). */
int pk_uuid_valid(const char *s);

/* Calls fn for up to `limit` events, in oplog order: the local events not
 * yet pushed with oplog id > after (pk_oplog_unpushed), or every event
 * with oplog id > after (pk_oplog_after).  `skip_origin`
 * (may be NULL) leaves out one origin's events.  The event is valid during
 * the call only; fn returns nonzero to stop.  Returns PK_OK or a database
 * status; *last gets the oplog id of the last event visited. */
typedef int (*pk_event_fn)(const struct pk_event *ev, void *data);
int pk_oplog_unpushed(struct pk_db *db, int64_t after, int limit, pk_event_fn fn, void *data,
		      int64_t *last);
int pk_oplog_after(struct pk_db *db, int64_t after, const char *skip_origin, int limit,
		   pk_event_fn fn, void *data, int64_t *last);
/* Number of local events not pushed yet. */
int64_t pk_oplog_pending(struct pk_db *db);
/* The highest oplog id (a server's sequence head). */
int64_t pk_oplog_head(struct pk_db *db);
/* The uuid of the event at oplog id `seq`: PK_OK, or PK_ENOTFOUND when
 * there is none. */
int pk_oplog_event_at(struct pk_db *db, int64_t seq, char uuid[PK_UUID_LEN + 1]);
/* Marks the local events with from < oplog id <= upto as pushed, or the
 * one at oplog id `id`. */
int pk_oplog_mark_pushed(struct pk_db *db, int64_t from, int64_t upto);
int pk_oplog_mark_pushed_id(struct pk_db *db, int64_t id);
/* 1 if a local event not yet pushed sets `field` of any record (1 too
 * when that cannot be read). */
int pk_oplog_pending_field(struct pk_db *db, const char *field);
/* The latest local event not yet pushed that sets `field` of the record,
 * with oplog id > after: PK_OK with *ev filled (pk_event_clear frees), or
 * PK_ENOTFOUND. */
int pk_oplog_pending_set(struct pk_db *db, const char *entity_uuid, const char *field,
			 int64_t after, struct pk_event *ev);

/* The highest level (rank) any record of this database has. */
int pk_level_max(struct pk_db *db, int *rank);

/* Calls fn for every event with oplog id <= upto of the record and of its
 * children (a ticket's comments), in oplog order. */
int pk_oplog_record(struct pk_db *db, const char *entity, const char *uuid, int64_t upto,
		    pk_event_fn fn, void *data);

/* The classification rank (index into the configured levels, 0 the
 * lowest) of the record `uuid` of kind `entity`: its own level field, its
 * parent's for a child (a comment is at its ticket's level), 0 for a
 * record without one.  A level this configuration does not know counts
 * as the highest.  PK_OK, PK_ENOTFOUND when there is no such record, or a
 * database status. */
int pk_record_level(struct pk_db *db, const char *entity, const char *uuid, int *rank);
/* Marks every event of this origin to be pushed again (a new server). */
int pk_oplog_repush(struct pk_db *db, const char *origin);

/* A local event the server refused (its role forbids the change): it is
 * marked as refused, never offered again, and no longer counts in merges;
 * a refused "set" is taken back here (the field returns to its previous
 * value, recorded in the history, no event made), so this node agrees with
 * the server again.  *out describes the event (pk_refused_clear frees). */
struct pk_refused {
	char *entity, *entity_uuid, *field, *value;
	int undone;
};
int pk_oplog_refuse(struct pk_db *db, const char *event_uuid, struct pk_refused *out);
void pk_refused_clear(struct pk_refused *r);

/* Validates an event's shape against the entity tables: known entity and
 * field, uuids, value JSON of the field's type, a create's object naming
 * only known, non-derived fields.  Returns PK_OK or PK_EINVAL with the
 * handle's error saying why. */
int pk_event_check(struct pk_db *db, const struct pk_event *ev);
/* The same checks without a database (a store that keeps events
 * elsewhere): PK_OK or PK_EINVAL with err saying why.  For a create of a
 * child record (a comment), parent gets its parent's uuid; else "". */
int pk_event_validate(const struct pk_event *ev, char parent[PK_UUID_LEN + 1],
		      struct pk_error *err);
/* The kind of record a record of this kind belongs to ("ticket" for a
 * comment), NULL for a top-level or unknown kind. */
const char *pk_entity_parent(const char *entity);

enum pk_merge_result {
	PK_MERGED_APPLIED,   /* changed the record */
	PK_MERGED_LOST,	     /* kept in the oplog; a later value stands */
	PK_MERGED_DUPLICATE, /* already here: nothing done */
};

/* Merges one event from another node, in its own transaction (nested in the
 * caller's): a create makes the record, a set changes the field if its
 * clock wins.  Either way the event is stored in the oplog as pushed, the
 * local clock moves past its hlc, and the field's conflict record is
 * recomputed.  *res says what happened; *conflict is set to 1 when the
 * field is now in conflict.  Returns PK_OK, PK_EINVAL (a malformed event,
 * or one that refers to a record this database does not have) or a
 * database status. */
int pk_merge_event(struct pk_db *db, const struct pk_event *ev, enum pk_merge_result *res,
		   int *conflict);

/* pk_merge_event in two steps: what needs no database (the event's
 * envelope checked, a create's record or a set's value read) may be done
 * on another thread, ahead of the merge.  A malformed event's error is
 * kept for the merge to return, after the duplicate check, as
 * pk_merge_event does. */
struct pk_merge_prep;
struct pk_merge_prep *pk_merge_prepare(const struct pk_event *ev);
int pk_merge_prepared(struct pk_db *db, const struct pk_event *ev, struct pk_merge_prep *prep,
		      enum pk_merge_result *res, int *conflict);
void pk_merge_prep_free(struct pk_merge_prep **prep);

/* One value of a field in conflict: the competing heads, newest first. */
struct pk_conflict_value {
	char *value; /* JSON text */
	char *actor;
	char *origin;
	int64_t at;
	int64_t hlc;
	int winner; /* the value the record holds */
};

struct pk_conflict {
	char *entity;
	char *entity_uuid;
	char *field;
	struct pk_conflict_value *values;
	size_t nvalues;
};

/* The open conflicts of one record (entity_uuid) or of all records (NULL). */
int pk_conflicts_list(struct pk_db *db, const char *entity_uuid, struct pk_conflict **out,
		      size_t *n);
void pk_conflicts_free(struct pk_conflict *c, size_t n);
int64_t pk_conflicts_count(struct pk_db *db);
/* Keeps value `pick` (1-based, in pk_conflicts_list order) of a field in
 * conflict: an edit of the record through the change path, logged even
 * when it keeps the current value, that supersedes every value in
 * conflict on every node.  PK_ENOTFOUND when the field is not in conflict,
 * PK_EINVAL when there is no such value. */
int pk_conflict_pick(struct pk_db *db, const char *entity_uuid, const char *field, size_t pick);
/* A conflicting value for people: a string as it is, a number, "-" for
 * null.  Owned by the caller. */
char *pk_conflict_value_text(const char *json);

#endif
