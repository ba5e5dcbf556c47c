/* The one module that owns SQLite: open with pragmas and migrations, a
 * statement cache, nested transactions, and the mapping of SQLite errors to
 * picket statuses. */
#ifndef PICKET_DB_H
#define PICKET_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "picket/config.h"
#include "picket/util.h"

struct pk_db;

enum pk_db_flags {
	PK_DB_CREATE = 1 << 0, /* create the file (and its directory) */
	PK_DB_READONLY = 1 << 1,
};

/* What a database file holds: picket's own desk, or another program's
 * tables kept through the same handle (picketd's event store).  The file
 * says which by PRAGMA application_id and its version by user_version. */
struct pk_schema {
	const char *what;	       /* for messages, translatable: "a picket database" */
	int32_t application_id;	       /* 0 for the desk (its files predate the id) */
	const char *const *migrations; /* [v] takes version v to v + 1 */
	int nmigrations;	       /* the current version */
};
extern const struct pk_schema pk_desk_schema;
/* picketd's SQLite store (src/server/store_sqlite.c), named in messages */
#define PK_APP_STORE 0x706b6473 /* "pkds" */

/* Opens (and if asked creates) the database at `path`, applies pragmas and
 * forward-only migrations.  `cfg` is borrowed and must outlive the handle;
 * `user` is copied.  A new file is created 0600 in a 0700 directory.
 * Returns PK_OK, PK_ENOTFOUND (no file and no PK_DB_CREATE), PK_EDB
 * (corrupt, not a database, unreadable), PK_ESCHEMA (newer schema) or
 * PK_EBUSY; err says which. */
int pk_db_open(const char *path, int flags, const struct pk_config *cfg, const char *user,
	       struct pk_db **out, struct pk_error *err);
/* The same for a file of `schema` (a file of another schema is refused,
 * PK_EDB, and left as it was). */
int pk_db_open_schema(const char *path, int flags, const struct pk_schema *schema,
		      const struct pk_config *cfg, const char *user, struct pk_db **out,
		      struct pk_error *err);
/* Closes the handle and sets *db to NULL. */
void pk_db_close(struct pk_db **db);

sqlite3 *pk_db_sqlite(struct pk_db *db);
const struct pk_config *pk_db_config(struct pk_db *db);
const char *pk_db_user(struct pk_db *db);
const char *pk_db_path(struct pk_db *db);
/* The error of the last failed call on this handle. */
const struct pk_error *pk_db_error(struct pk_db *db);
struct pk_error *pk_db_err(struct pk_db *db);

/* Returns a cached prepared statement for `sql` (reset, bindings cleared),
 * or NULL with the error set.  Do not finalize it. */
sqlite3_stmt *pk_db_stmt(struct pk_db *db, const char *sql);

/* Nested transactions: only the outermost begin/commit reach SQLite.  A
 * rollback at any depth dooms the whole transaction.  `write` takes the
 * write lock at once (BEGIN IMMEDIATE) so a busy database is reported
 * before any work is done. */
int pk_db_begin(struct pk_db *db);
int pk_db_commit(struct pk_db *db);
void pk_db_rollback(struct pk_db *db);
int pk_db_in_transaction(struct pk_db *db);

/* Runs SQL without results (DDL, pragmas). */
int pk_db_exec(struct pk_db *db, const char *sql);
/* The first column of the first row of `sql` (a cached statement, no
 * parameters) as an integer; -1 when there is no row or it fails. */
int64_t pk_db_int(struct pk_db *db, const char *sql);

/* Maps an SQLite result code to a picket status, filling the handle's error
 * with `what` and SQLite's message. */
int pk_db_fail(struct pk_db *db, int rc, const char *what);

/* Small key/value store in the `meta` table. */
int pk_db_meta_get(struct pk_db *db, const char *key, char **value);
int pk_db_meta_set(struct pk_db *db, const char *key, const char *value);

/* A statement built at run time (not cached); finalize when done. */
int pk_db_prepare_once(struct pk_db *db, const char *sql, sqlite3_stmt **st);

/* Observers: called after the outermost commit of a transaction that
 * changed data.  The engine never holds a view. */
typedef void (*pk_db_observer)(void *data);
void pk_db_observe(struct pk_db *db, pk_db_observer fn, void *data);
/* 1 if another connection changed the database since the last call
 * (PRAGMA data_version), for live refresh. */
int pk_db_changed_elsewhere(struct pk_db *db);

/* A bulk transaction, for imports: begins a write transaction with a larger
 * page cache (and, when no other connection is open, a rollback journal
 * instead of WAL for its duration); tickets created in it are indexed for
 * full text in one pass at the end.  pk_db_bulk_end() commits (commit = 1)
 * or rolls back, and restores the journal and cache. */
int pk_db_bulk_begin(struct pk_db *db);
/* A batch: a transaction (committed with pk_db_commit) in which tickets
 * created are indexed for full text in one pass, and each ticket's SLA
 * clocks are computed once, at the commit, however many changes it took
 * (merging pages of events). */
int pk_db_batch_begin(struct pk_db *db);
int pk_db_bulk_end(struct pk_db *db, int commit);
/* For a long series of large transactions (a first sync): a rollback
 * journal instead of WAL, which writes each new page once rather than to
 * the log and again at the checkpoint.  on = 1 switches when no other
 * connection is open and says whether it did; on = 0 returns to WAL (1
 * when it did or nothing was switched). */
int pk_db_journal_bulk(struct pk_db *db, int on);

#endif
