/* The SQLite store: the events, numbered, and what the push checks read
 * of the records they name, in a file of its own schema (store_schema).
 *
 * Pushes go one at a time through one writer handle under a mutex: load
 * what the batch names by point lookups, judge it in memory (judge.c, as
 * the PostgreSQL store does) and insert the outcome.  Pulls read through a
 * read-only handle per worker thread (WAL lets them run beside the
 * writer), opened on first use and closed when the thread ends or the
 * store closes.
 *
 * The writer leaves checkpoints to a thread with a handle of its own: a
 * commit that leaves 4 MiB in the log wakes it to copy the log into the
 * file (and sync it), so a push holds the write lock for its writes only.
 * When pushes come back to back and the log reaches twice that, the writer
 * copies the rest itself: SQLite starts the log again only after a
 * checkpoint that reached its end. */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "log.h"
#include "readers.h"
#include "picket/change.h"
#include "picket/config.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define DB_USER "picketd"

/* Forward-only: migrations[i] takes the store from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: the same tables as the PostgreSQL store's (store_pg.c) */
	"CREATE TABLE meta (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	");\n"
	/* One row an event, as pushed: value is the JSON text unchanged. */
	"CREATE TABLE events (\n"
	"  seq         INTEGER PRIMARY KEY,\n"
	"  uuid        TEXT NOT NULL UNIQUE,\n"
	"  entity      TEXT NOT NULL,\n"
	"  entity_uuid TEXT NOT NULL,\n"
	"  op          TEXT NOT NULL CHECK (op IN ('create', 'set')),\n"
	"  field       TEXT,\n"
	"  value       TEXT,\n"
	"  hlc         INTEGER NOT NULL,\n"
	"  base        INTEGER NOT NULL,\n"
	"  origin      TEXT NOT NULL,\n"
	"  actor       TEXT NOT NULL,\n"
	"  at          INTEGER NOT NULL\n"
	");\n"
	/* Every record an event created: its kind, a child's ticket, the
	 * name the engine keeps unique without regard to (ASCII) case. */
	"CREATE TABLE records (\n"
	"  uuid   TEXT PRIMARY KEY,\n"
	"  entity TEXT NOT NULL,\n"
	"  ticket TEXT,\n"
	"  name   TEXT\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX records_name ON records (entity, name COLLATE NOCASE)\n"
	"  WHERE name IS NOT NULL;\n"
	/* A ticket's current value of each tracked field (NULL: none) and the
	 * clock of the event that set it. */
	"CREATE TABLE ticket_fields (\n"
	"  ticket TEXT NOT NULL,\n"
	"  field  TEXT NOT NULL,\n"
	"  value  TEXT,\n"
	"  hlc    INTEGER NOT NULL,\n"
	"  origin TEXT NOT NULL,\n"
	"  by_set INTEGER NOT NULL,\n"
	"  PRIMARY KEY (ticket, field)\n"
	") WITHOUT ROWID;\n",
};

static const struct pk_schema store_schema = {
	.what = N_("a picketd store"),
	.application_id = PK_APP_STORE,
	.migrations = migrations,
	.nmigrations = (int)PK_ARRAY_LEN(migrations),
};

struct sqlite_store {
	struct srv_store base;
	char *path;
	struct pk_config *cfg; /* borrowed by every handle */
	const struct pk_config *classes;
	char server_id[PK_UUID_LEN + 1];

	pthread_mutex_t write_lock;
	struct pk_db *writer;

	/* the checkpointer: woken when the log holds ckpt_pages pages */
	pthread_t ckpt_thread;
	int ckpt_running;
	int ckpt_pages; /* CKPT_BYTES of the store's pages */
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	int ckpt_due, ckpt_stop; /* under ckpt_lock */
	struct pk_db *ckpt_db;

	struct srv_readers readers; /* struct pk_db, read-only */
};

static void *reader_open(void *ctx, struct pk_error *err)
{
	struct sqlite_store *st = ctx;
	struct pk_db *db;
	return pk_db_open_schema(st->path, PK_DB_READONLY, &store_schema, st->cfg, DB_USER, &db,
				 err) == PK_OK
		       ? db
		       : NULL;
}

static void reader_close(void *handle)
{
	struct pk_db *db = handle;
	pk_db_close(&db);
}

/* This thread's read handle, opened on first use. */
static struct pk_db *reader_get(struct sqlite_store *st, struct pk_error *err)
{
	return srv_readers_get(&st->readers, err);
}

static int db_error(struct pk_db *db, struct pk_error *err)
{
	*err = *pk_db_error(db);
	return err->code;
}

/* Reads the server id, making one the first time. */
static int load_server_id(struct sqlite_store *st, struct pk_error *err)
{
	char *id = NULL;
	int rc = pk_db_meta_get(st->writer, "server_id", &id);
	if (rc == PK_ENOTFOUND) {
		char fresh[PK_UUID_LEN + 1];
		pk_uuid_new(fresh);
		rc = pk_db_meta_set(st->writer, "server_id", fresh);
		id = pk_xstrdup(fresh);
		if (rc == PK_OK)
			srv_log(SRV_LOG_INFO, _("new store %s: server id %s"), st->path, fresh);
	}
	if (rc == PK_OK && !pk_uuid_valid(id))
		rc = pk_error_set(err, PK_EDB, _("%s: the stored server id is not a UUID"),
				  st->path);
	else if (rc != PK_OK)
		db_error(st->writer, err);
	if (rc == PK_OK)
		snprintf(st->server_id, sizeof(st->server_id), "%s", id);
	free(id);
	return rc;
}

/* --- checkpoints --- */

/* the log's size that calls for a checkpoint: SQLite's own threshold of
 * 1000 pages, at its default page size */
#define CKPT_BYTES (4 << 20)

static void *ckpt_run(void *arg)
{
	struct sqlite_store *st = arg;
	sqlite3 *h = pk_db_sqlite(st->ckpt_db);
	pthread_mutex_lock(&st->ckpt_lock);
	for (;;) {
		while (!st->ckpt_due && !st->ckpt_stop)
			pthread_cond_wait(&st->ckpt_wake, &st->ckpt_lock);
		if (st->ckpt_stop)
			break;
		st->ckpt_due = 0;
		pthread_mutex_unlock(&st->ckpt_lock);
		/* PASSIVE: copies what no reader still needs, never waits for
		 * the writer; what it leaves goes next time */
		int rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			srv_log(SRV_LOG_WARN, _("%s: checkpoint: %s"), st->path, sqlite3_errmsg(h));
		pthread_mutex_lock(&st->ckpt_lock);
	}
	pthread_mutex_unlock(&st->ckpt_lock);
	return NULL;
}

/* Called by SQLite after each commit of the writer, within the push's
 * write lock. */
static int ckpt_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct sqlite_store *st = arg;
	if (pages >= 2 * st->ckpt_pages) {
		/* Pushes back to back: the thread's checkpoint never catches up
		 * with the log's end, and SQLite starts the log again only after
		 * one that did.  The writer copies the rest itself, no other
		 * push running; FULL waits (the busy timeout) for the thread's
		 * checkpoint and for readers of an older snapshot. */
		int rc = sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_FULL, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			srv_log(SRV_LOG_WARN, _("%s: checkpoint: %s"), st->path, sqlite3_errmsg(h));
	} else if (pages >= st->ckpt_pages) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_due = 1;
		pthread_cond_signal(&st->ckpt_wake);
		pthread_mutex_unlock(&st->ckpt_lock);
	}
	return SQLITE_OK;
}

/* Starts the checkpointer; without it (no handle or no thread), SQLite's
 * automatic checkpoint stays on the writer, as it was. */
static void ckpt_start(struct sqlite_store *st)
{
	struct pk_error err = { 0 };
	int e = 0;
	if (pk_db_open_schema(st->path, 0, &store_schema, st->cfg, DB_USER, &st->ckpt_db, &err) !=
	    PK_OK) {
		srv_log(SRV_LOG_WARN, _("%s: checkpoints stay with the writer: %s"), st->path,
			err.msg);
		return;
	}
	if ((e = pthread_create(&st->ckpt_thread, NULL, ckpt_run, st)) != 0) {
		srv_log(SRV_LOG_WARN, _("%s: checkpoints stay with the writer: %s"), st->path,
			strerror(e));
		pk_db_close(&st->ckpt_db);
		return;
	}
	st->ckpt_running = 1;
	int64_t size = pk_db_int(st->writer, "PRAGMA page_size");
	st->ckpt_pages = size > 0 ? (int)(CKPT_BYTES / size) : 1000;
	/* replaces SQLite's automatic checkpoint on this handle */
	sqlite3_wal_hook(pk_db_sqlite(st->writer), ckpt_hook, st);
}

static void ckpt_stop(struct sqlite_store *st)
{
	if (st->writer)
		sqlite3_wal_hook(pk_db_sqlite(st->writer), NULL, NULL);
	if (st->ckpt_running) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_stop = 1;
		pthread_cond_signal(&st->ckpt_wake);
		pthread_mutex_unlock(&st->ckpt_lock);
		pthread_join(st->ckpt_thread, NULL);
		st->ckpt_running = 0;
	}
	pk_db_close(&st->ckpt_db);
}

static void store_close(struct srv_store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	ckpt_stop(st);
	srv_readers_fini(&st->readers);
	pk_db_close(&st->writer);
	pk_config_free(&st->cfg);
	pthread_mutex_destroy(&st->write_lock);
	pthread_mutex_destroy(&st->ckpt_lock);
	pthread_cond_destroy(&st->ckpt_wake);
	free(st->path);
	free(st);
}

static int store_open(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err)
{
	struct sqlite_store *st = pk_xcalloc(1, sizeof(*st));
	st->base.ops = &srv_store_sqlite;
	st->path = pk_xstrdup(conf->store_path);
	st->cfg = pk_config_defaults();
	st->classes = conf->classes;
	if (srv_readers_init(&st->readers, reader_open, reader_close, st, err) != PK_OK) {
		pk_config_free(&st->cfg);
		free(st->path);
		free(st);
		return PK_ERR;
	}
	pthread_mutex_init(&st->write_lock, NULL);
	pthread_mutex_init(&st->ckpt_lock, NULL);
	pthread_cond_init(&st->ckpt_wake, NULL);
	int rc = pk_db_open_schema(st->path, PK_DB_CREATE, &store_schema, st->cfg, DB_USER,
				   &st->writer, err);
	/* one writer takes every push: a page cache (64 MiB) that holds the
	 * indexes' busy pages */
	if (rc == PK_OK && pk_db_exec(st->writer, "PRAGMA cache_size = -65536") != PK_OK)
		rc = db_error(st->writer, err);
	if (rc == PK_OK)
		rc = load_server_id(st, err);
	if (rc == PK_OK)
		ckpt_start(st);
	if (rc != PK_OK) {
		store_close(&st->base);
		return rc;
	}
	*out = &st->base;
	return PK_OK;
}

static const char *store_server_id(struct srv_store *base)
{
	return ((struct sqlite_store *)base)->server_id;
}

/* The highest sequence stored, 0 when none. */
static int read_head(struct pk_db *db, int64_t *head, struct pk_error *err)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT ifnull(max(seq), 0) FROM events");
	if (!st)
		return db_error(db, err);
	int rc = sqlite3_step(st);
	*head = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		pk_db_fail(db, rc, _("reading the head"));
		return db_error(db, err);
	}
	return PK_OK;
}

static int store_head(struct srv_store *base, int64_t *head, struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	return db ? read_head(db, head, err) : err->code;
}

/* --- pushing --- */

/* Steps a statement with one text parameter; calls fn for each row. */
static int each_row(struct pk_db *db, const char *sql, const char *param, const char *param2,
		    void (*fn)(sqlite3_stmt *, void *), void *data, struct pk_error *err)
{
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	if (!st)
		return db_error(db, err);
	sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	if (param2)
		sqlite3_bind_text(st, 2, param2, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(st, data);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		pk_db_fail(db, rc, _("reading the store"));
		return db_error(db, err);
	}
	return PK_OK;
}

static const char *text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

static void row_seen(sqlite3_stmt *st, void *b)
{
	srv_batch_seen(b, text(st, 0));
}

static void row_record(sqlite3_stmt *st, void *b)
{
	srv_batch_record(b, text(st, 0), text(st, 1), text(st, 2), text(st, 3));
}

static void row_field(sqlite3_stmt *st, void *t)
{
	srv_batch_field(t, text(st, 0), text(st, 1), sqlite3_column_int64(st, 2), text(st, 3),
			sqlite3_column_int(st, 4));
}

static void row_taken(sqlite3_stmt *st, void *b)
{
	srv_batch_taken(b, text(st, 0), text(st, 1));
}

/* Loads a record the batch names (and its ticket), once. */
static int load_record(struct pk_db *db, struct srv_batch *b, const char *uuid,
		       struct pk_error *err)
{
	if (!*uuid || srv_batch_get(b, uuid))
		return PK_OK;
	int rc = each_row(db, "SELECT uuid, entity, ticket, name FROM records WHERE uuid = ?1",
			  uuid, NULL, row_record, b, err);
	struct srv_prec *rec = srv_batch_get(b, uuid);
	if (rc != PK_OK || !rec)
		return rc;
	if (rec->ticket[0])
		return load_record(db, b, rec->ticket, err);
	if (strcmp(rec->entity, "ticket") == 0)
		rc = each_row(db,
			      "SELECT field, value, hlc, origin, by_set FROM ticket_fields "
			      "WHERE ticket = ?1",
			      uuid, NULL, row_field, rec, err);
	return rc;
}

/* Loads what the batch names: the events stored already, the records with
 * their tickets and tracked fields, the names its creates would take. */
static int load(struct pk_db *db, struct srv_batch *b, struct pk_error *err)
{
	int rc = PK_OK;
	for (size_t i = 0; rc == PK_OK && i < b->evs->n; i++) {
		rc = each_row(db, "SELECT uuid FROM events WHERE uuid = ?1", b->evs->v[i].uuid,
			      NULL, row_seen, b, err);
		if (rc != PK_OK || i >= b->bad)
			continue;
		rc = load_record(db, b, b->evs->v[i].entity_uuid, err);
		if (rc == PK_OK)
			rc = load_record(db, b, b->parents[i], err);
		const char *name = srv_batch_name(b, i);
		if (rc == PK_OK && name)
			rc = each_row(db,
				      "SELECT entity, name FROM records WHERE entity = ?1 AND "
				      "name = ?2 COLLATE NOCASE",
				      b->evs->v[i].entity, name, row_taken, b, err);
	}
	return rc;
}

static int step_done(struct pk_db *db, sqlite3_stmt *st, struct pk_error *err)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		pk_db_fail(db, rc, _("writing the store"));
		return db_error(db, err);
	}
	return PK_OK;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Writes the batch's events, new records and changed fields. */
static int write_batch(struct pk_db *db, const struct srv_batch *b, struct pk_error *err)
{
	sqlite3_stmt *st = pk_db_stmt(db, "INSERT INTO events VALUES "
					  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
	if (!st)
		return db_error(db, err);
	int rc = PK_OK;
	for (size_t k = 0; rc == PK_OK && k < b->nstored; k++) {
		const struct pk_event *ev = &b->evs->v[b->stored[k]];
		sqlite3_bind_int64(st, 1, srv_batch_seq(b, k));
		bind_text(st, 2, ev->uuid);
		bind_text(st, 3, ev->entity);
		bind_text(st, 4, ev->entity_uuid);
		bind_text(st, 5, ev->create ? "create" : "set");
		bind_text(st, 6, ev->create ? NULL : ev->field);
		bind_text(st, 7, ev->value);
		sqlite3_bind_int64(st, 8, ev->hlc);
		sqlite3_bind_int64(st, 9, ev->create ? 0 : ev->base);
		bind_text(st, 10, ev->origin);
		bind_text(st, 11, ev->actor);
		sqlite3_bind_int64(st, 12, ev->at);
		rc = step_done(db, st, err);
	}
	size_t at = 0;
	for (struct srv_prec *p; rc == PK_OK && (p = srv_batch_next_record(b, &at));) {
		if (p->is_new) {
			if (!(st = pk_db_stmt(db, "INSERT INTO records VALUES (?1, ?2, ?3, ?4)")))
				return db_error(db, err);
			bind_text(st, 1, p->uuid);
			bind_text(st, 2, p->entity);
			bind_text(st, 3, p->ticket[0] ? p->ticket : NULL);
			bind_text(st, 4, p->name);
			rc = step_done(db, st, err);
		}
		for (size_t k = 0; rc == PK_OK && p->dirty && k < SRV_NTRACKED; k++) {
			if (!p->f[k].set)
				continue;
			if (!(st = pk_db_stmt(db, "INSERT OR REPLACE INTO ticket_fields VALUES "
						  "(?1, ?2, ?3, ?4, ?5, ?6)")))
				return db_error(db, err);
			bind_text(st, 1, p->uuid);
			bind_text(st, 2, srv_tracked[k]);
			bind_text(st, 3, p->f[k].value);
			sqlite3_bind_int64(st, 4, p->f[k].hlc);
			bind_text(st, 5, p->f[k].origin);
			sqlite3_bind_int(st, 6, p->f[k].by_set);
			rc = step_done(db, st, err);
		}
	}
	return rc;
}

static int store_push(struct srv_store *base, const struct pk_events *evs,
		      const struct srv_user *user, struct pk_push_result *res, const char **refusal,
		      struct pk_error *err)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	struct pk_db *db = st->writer;
	struct srv_batch b;
	memset(res, 0, sizeof(*res));
	*refusal = NULL;
	/* the checks need no database: done before it is locked */
	srv_batch_init(&b, evs, st->classes);
	pthread_mutex_lock(&st->write_lock);
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		db_error(db, err);
	/* the write lock is held from BEGIN IMMEDIATE on: the events this
	 * batch stores are exactly those from < s <= seq */
	if (rc == PK_OK)
		rc = read_head(db, &b.head, err);
	if (rc == PK_OK)
		rc = load(db, &b, err);
	if (rc == PK_OK)
		rc = srv_batch_judge(&b, user, res, refusal, err);
	if (rc == PK_OK)
		rc = write_batch(db, &b, err);
	if (rc == PK_OK && (rc = pk_db_commit(db)) != PK_OK)
		db_error(db, err);
	else if (rc != PK_OK)
		pk_db_rollback(db);
	pthread_mutex_unlock(&st->write_lock);
	srv_batch_free(&b);
	if (rc != PK_OK) {
		pk_push_result_free(res);
		memset(res, 0, sizeof(*res));
	}
	return rc;
}

/* --- reading --- */

static int store_holds(struct srv_store *base, int64_t seq, const char *uuid, int *holds,
		       struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT uuid FROM events WHERE seq = ?1");
	if (!st)
		return db_error(db, err);
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st);
	*holds = rc == SQLITE_ROW && strcmp(text(st, 0), uuid) == 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pk_db_fail(db, rc, _("reading events"));
		return db_error(db, err);
	}
	return PK_OK;
}

static int store_pull(struct srv_store *base, int64_t after, int limit, const char *skip_origin,
		      pk_event_fn fn, void *data, int64_t *next, int64_t *head,
		      struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	/* one read transaction: the head and the page from the same snapshot */
	int rc = pk_db_exec(db, "BEGIN");
	if (rc != PK_OK)
		return db_error(db, err);
	int64_t h, last = after;
	rc = read_head(db, &h, err);
	if (rc == PK_OK && after > h)
		rc = pk_error_set(err, PK_EINVAL,
				  _("cursor %lld is beyond the last sequence, %lld: this server "
				    "never gave it (was the store replaced?)"),
				  (long long)after, (long long)h);
	sqlite3_stmt *st = rc == PK_OK ? pk_db_stmt(db, "SELECT seq, uuid, entity, entity_uuid, "
							"op, field, value, hlc, base, origin, "
							"actor, at FROM events WHERE seq > ?1 AND "
							"(?2 IS NULL OR origin <> ?2) "
							"ORDER BY seq LIMIT ?3")
				       : NULL;
	if (rc == PK_OK && !st)
		rc = db_error(db, err);
	int n = 0, stopped = 0, sq = SQLITE_DONE;
	if (rc == PK_OK) {
		sqlite3_bind_int64(st, 1, after);
		bind_text(st, 2, skip_origin);
		sqlite3_bind_int(st, 3, limit);
		while (!stopped && (sq = sqlite3_step(st)) == SQLITE_ROW) {
			struct pk_event ev = { 0 };
			ev.seq = sqlite3_column_int64(st, 0);
			snprintf(ev.uuid, sizeof(ev.uuid), "%s", text(st, 1));
			snprintf(ev.entity, sizeof(ev.entity), "%s", text(st, 2));
			snprintf(ev.entity_uuid, sizeof(ev.entity_uuid), "%s", text(st, 3));
			ev.create = strcmp(text(st, 4), "create") == 0;
			/* borrowed from the row for the callback's duration */
			ev.field = (char *)text(st, 5);
			ev.value = (char *)text(st, 6);
			ev.hlc = sqlite3_column_int64(st, 7);
			ev.base = sqlite3_column_int64(st, 8);
			ev.origin = (char *)text(st, 9);
			ev.actor = (char *)text(st, 10);
			ev.at = sqlite3_column_int64(st, 11);
			last = ev.seq;
			n++;
			stopped = fn(&ev, data) != 0;
		}
		sqlite3_reset(st);
		if (sq != SQLITE_ROW && sq != SQLITE_DONE) {
			pk_db_fail(db, sq, _("reading events"));
			rc = db_error(db, err);
		}
	}
	pk_db_exec(db, "COMMIT");
	if (rc != PK_OK)
		return rc;
	/* The writer commits in sequence order, so the query saw every event
	 * up to h.  A short page means it scanned them all: the cursor moves
	 * to h even when the last ones were left out (skip_origin), or a
	 * client skipping its own events would never get past them. */
	*next = last > after ? last : after;
	if (n < limit && !stopped && h > *next)
		*next = h;
	*head = h > *next ? h : *next;
	return PK_OK;
}

static int store_level(struct srv_store *base, const char *entity, const char *uuid, int *rank,
		       struct pk_error *err)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	struct pk_db *db = reader_get(st, err);
	*rank = 0;
	if (!db)
		return err->code;
	(void)entity;
	sqlite3_stmt *q = pk_db_stmt(db, "SELECT f.value FROM records r LEFT JOIN ticket_fields f "
					 "ON f.ticket = ifnull(r.ticket, r.uuid) AND "
					 "f.field = 'classification' WHERE r.uuid = ?1");
	if (!q)
		return db_error(db, err);
	sqlite3_bind_text(q, 1, uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*rank = srv_level_rank(st->classes, text(q, 0));
	sqlite3_reset(q);
	if (*rank < 0)
		*rank = 0;
	if (rc == SQLITE_DONE)
		return PK_ENOTFOUND;
	if (rc != SQLITE_ROW) {
		pk_db_fail(db, rc, _("reading a record's level"));
		return db_error(db, err);
	}
	return PK_OK;
}

const struct srv_store_ops srv_store_sqlite = {
	.name = "sqlite",
	.open = store_open,
	.close = store_close,
	.server_id = store_server_id,
	.head = store_head,
	.push = store_push,
	.pull = store_pull,
	.holds = store_holds,
	.level = store_level,
};
