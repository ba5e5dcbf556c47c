/* The one mutation path.
 *
 * Every change of engine data is a `struct pk_change`: one record of one
 * entity kind, created or updated field by field.  pk_change_apply() writes,
 * in ONE transaction, the row, one `history` entry per changed field
 * (hash-chained) and one `oplog` event per change, then tells observers.
 * Nothing else writes those tables.  Entities are described by tables of
 * fields, so later record kinds (KB articles, CIs, changes) use the same
 * path by declaring a `struct pk_entity`. */
#ifndef PICKET_CHANGE_H
#define PICKET_CHANGE_H

#include <stddef.h>
#include <stdint.h>

struct pk_db;
struct pk_change;

enum pk_field_type { PK_FT_TEXT, PK_FT_INT, PK_FT_TIME };

enum pk_field_flags {
	PK_FF_NOLOG = 1 << 0,	  /* derived: neither history nor oplog */
	PK_FF_FTS = 1 << 1,	  /* feeds the full-text index */
	PK_FF_IMMUTABLE = 1 << 2, /* set at creation only */
	PK_FF_INTERNAL = 1 << 3,  /* local row link, not in events */
	PK_FF_NOTNULL = 1 << 4,	  /* never null (the column is NOT NULL) */
	PK_FF_REQUIRED = 1 << 5,  /* given by every create (NOT NULL, no default) */
};

/* The values a field may take beyond its type, as the schema's CHECK
 * constraints say, so an event no database would take is refused when it
 * is checked (pk_event_validate), wherever it is stored. */
struct pk_domain {
	int64_t min, max;	    /* an integer's bounds */
	const char *const *choices; /* a text's values, NULL-terminated */
};

struct pk_field {
	const char *name;   /* JSON, query and history name */
	const char *column; /* SQL column (a constant, never user text) */
	enum pk_field_type type;
	unsigned flags;
	const struct pk_domain *domain; /* NULL: any value of the type */
};

enum pk_hook_phase { PK_HOOK_BEFORE, PK_HOOK_AFTER };

struct pk_entity {
	const char *name; /* "ticket", "comment", ... */
	const char *table;
	const struct pk_field *fields;
	size_t nfields;
	/* History of a created child is kept on its parent (comments on their
	 * ticket); NULL for top-level records. */
	const char *parent;
	/* The field holding the record's classification level; NULL when
	 * the record has none of its own (a child is at its parent's level,
	 * any other record at the lowest). */
	const char *level;
	/* Called inside the transaction before and after the row is written
	 * (full-text upkeep, derived rows).  May be NULL. */
	int (*hook)(struct pk_db *db, struct pk_change *ch, enum pk_hook_phase phase);
};

/* A fresh time-ordered UUID (v7) as text. */
void pk_uuid_new(char out[37]);

/* Starts a change creating a new record, with a fresh time-ordered UUID. */
struct pk_change *pk_change_create(const struct pk_entity *ent);
/* Starts a change updating the record with this uuid. */
struct pk_change *pk_change_update(const struct pk_entity *ent, const char *uuid);
void pk_change_free(struct pk_change **ch);

/* Setters return PK_OK or PK_EINVAL for a field the entity lacks. */
int pk_change_text(struct pk_change *ch, const char *field, const char *value);
/* The same, with value's length (value[len] is its '\0'). */
int pk_change_text_len(struct pk_change *ch, const char *field, const char *value, size_t len);
int pk_change_int(struct pk_change *ch, const char *field, int64_t value);
int pk_change_null(struct pk_change *ch, const char *field);
/* Replaces the generated uuid of a create (imports keep their identity). */
void pk_change_set_uuid(struct pk_change *ch, const char *uuid);
/* Logs the fields set even when they hold that value already: a decision
 * (picking one side of a conflict) is an event of its own. */
void pk_change_force(struct pk_change *ch);
/* Names the parent record (uuid) of a child being created. */
void pk_change_set_parent(struct pk_change *ch, const char *parent_uuid);

/* Reading back what a change holds. */
int pk_change_is_set(const struct pk_change *ch, const char *field);
const char *pk_change_get_text(const struct pk_change *ch, const char *field);
int64_t pk_change_get_int(const struct pk_change *ch, const char *field);
const char *pk_change_uuid(const struct pk_change *ch);
const char *pk_change_parent(const struct pk_change *ch);
int pk_change_is_create(const struct pk_change *ch);
const struct pk_entity *pk_change_entity(const struct pk_change *ch);
/* Row id of the record after apply (or of the existing record during an
 * update's hooks). */
int64_t pk_change_rowid(const struct pk_change *ch);
/* 1 if the field is set and differs from the stored value (valid in hooks
 * and after apply). */
int pk_change_differs(const struct pk_change *ch, const char *field);
/* Number of logged fields that changed in the last apply (0 = no-op). */
int pk_change_count(const struct pk_change *ch);

/* Applies the change: row + history + oplog in one transaction (nested in
 * the caller's, if any).  An update that changes nothing writes nothing.
 * Returns PK_OK, PK_ENOTFOUND, PK_EINVAL or a database status; the db
 * handle's error says why. */
int pk_change_apply(struct pk_db *db, struct pk_change *ch);

/* The hybrid logical clock: milliseconds << 16 | counter, monotonic across
 * processes using the same database. */
int64_t pk_hlc_next(struct pk_db *db);
/* Moves the clock past an hlc seen in another node's event. */
int pk_hlc_observe(struct pk_db *db, int64_t hlc);

/* Full-text upkeep for tickets: call before a ticket's indexed text changes
 * (existing = 1) or after a ticket is created (existing = 0); the index is
 * rewritten once per ticket at pk_fts_flush() or commit. */
int pk_fts_touch(struct pk_db *db, int64_t ticket_id, int existing);
int pk_fts_flush(struct pk_db *db);

/* A first sync's search index, built on a second thread while the sync
 * merges (fts.c).  Start before the sync's first transaction: only a
 * database without tickets builds this way (else nothing happens); each
 * flush then hands its documents to the thread.  Finish
 * after the last commit: the index is installed, or rebuilt when that is
 * not possible.  Abort leaves a mark that pk_fts_repair() finds: it
 * rebuilds the index a build cut short left incomplete. */
int pk_fts_build_start(struct pk_db *db);
int pk_fts_build_finish(struct pk_db *db);
void pk_fts_build_abort(struct pk_db *db);
int pk_fts_repair(struct pk_db *db);

#endif
