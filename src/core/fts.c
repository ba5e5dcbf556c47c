/* The search index's upkeep: one document per ticket (schema.c's
 * ticket_fts over the ticket_doc view), rewritten at most once per ticket
 * and transaction.
 *
 * A first sync brings every ticket at once, and indexing them was a
 * quarter of its time.  While it merges, a second thread builds the index
 * in a temporary database of its own, from the documents each flush hands
 * it (FTS_BATCH tickets at a time); at the end, the finished index is
 * copied into the database in one transaction (pk_fts_build_finish).  The
 * copy is the FTS5 index's own tables, valid because the database's index
 * was empty when the build began and nobody wrote it meanwhile; otherwise,
 * and after any failure, the index is rebuilt from the tickets instead.
 * Meta "fts_build" says a build is under way: a sync that finds it left
 * over rebuilds the index first (pk_fts_repair). */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/change.h"
#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/util.h"

/* documents queued to the thread before the committing thread waits */
#define QUEUE_BYTES ((size_t)64 << 20)
/* FTS5's structure record (id 10 of its %_data table), here and there */
#define STRUCTURE_MAIN "SELECT block FROM main.ticket_fts_data WHERE id = 10"
#define STRUCTURE_DEST "SELECT block FROM dest.ticket_fts_data WHERE id = 10"

/* One document for the builder: its three columns, or with del its old
 * text, which a contentless FTS5 table needs to take a document out. */
struct doc {
	struct doc *next;
	int64_t id;
	int del;
	char *col[3];
	int len[3]; /* -1: NULL */
	size_t bytes;
};

struct pk_fts_builder {
	sqlite3 *h; /* the builder's temporary database; its thread's until joined */
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct doc *head, *tail; /* handed over, in order */
	size_t queued;		 /* their bytes */
	int closing;		 /* no more documents */
	int rc;			 /* the thread's SQLite status */
	/* documents read, handed over at the end of the flush */
	struct doc *out_head, *out_tail;
	size_t out_bytes;
	int txn_sent; /* this transaction handed documents over */
	int stale;    /* one that did was rolled back: the build is void */
	/* the database's structure record when the build began */
	void *structure;
	int structure_len; /* -1: none */
};

static void docs_free(struct doc *d)
{
	while (d) {
		struct doc *next = d->next;
		for (int i = 0; i < 3; i++)
			free(d->col[i]);
		free(d);
		d = next;
	}
}

/* --- the builder's thread --- */

static int bind_doc(sqlite3_stmt *st, const struct doc *d)
{
	sqlite3_bind_int64(st, 1, d->id);
	for (int i = 0; i < 3; i++) {
		if (d->len[i] < 0)
			sqlite3_bind_null(st, i + 2);
		else
			sqlite3_bind_text(st, i + 2, d->col[i], d->len[i], SQLITE_STATIC);
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void *build_run(void *data)
{
	struct pk_fts_builder *b = data;
	/* the merge, and the thread fetching its pages, go first: this one
	 * takes the time they leave, and the whole core once they are done */
#ifdef SYS_gettid
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19); /* Linux: per thread */
#endif
	sqlite3_stmt *ins = NULL, *del = NULL;
	int rc = sqlite3_prepare_v2(b->h,
				    "INSERT INTO ticket_fts(rowid, " PK_FTS_COLUMNS ") "
				    "VALUES (?1, ?2, ?3, ?4)",
				    -1, &ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(b->h,
					"INSERT INTO ticket_fts(ticket_fts, rowid, " PK_FTS_COLUMNS
					") VALUES ('delete', ?1, ?2, ?3, ?4)",
					-1, &del, NULL);
	for (;;) {
		pthread_mutex_lock(&b->lock);
		while (!b->head && !b->closing)
			pthread_cond_wait(&b->cond, &b->lock);
		struct doc *list = b->head;
		b->head = b->tail = NULL;
		b->queued = 0;
		pthread_cond_broadcast(&b->cond); /* room again */
		pthread_mutex_unlock(&b->lock);
		if (!list)
			break;
		for (struct doc *d = list; d && rc == SQLITE_OK; d = d->next)
			rc = bind_doc(d->del ? del : ins, d);
		docs_free(list);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(b->h, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	b->rc = rc;
	return NULL;
}

/* --- the committing side --- */

static void builder_free(struct pk_fts_builder *b)
{
	if (!b)
		return;
	docs_free(b->head);
	docs_free(b->out_head);
	sqlite3_close_v2(b->h);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b->structure);
	free(b);
}

/* Tells the thread there is no more and waits for it; its status. */
static int builder_join(struct pk_fts_builder *b)
{
	pthread_mutex_lock(&b->lock);
	b->closing = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->th, NULL);
	return b->rc;
}

/* The document in st's three columns, for the flush's hand-over. */
static void out_doc(struct pk_fts_builder *b, sqlite3_stmt *st, int64_t id, int del)
{
	struct doc *d = pk_xcalloc(1, sizeof(*d));
	d->id = id;
	d->del = del;
	for (int i = 0; i < 3; i++) {
		const char *t = (const char *)sqlite3_column_text(st, i);
		d->len[i] = t ? sqlite3_column_bytes(st, i) : -1;
		d->col[i] = t ? pk_xstrndup(t, (size_t)d->len[i]) : NULL;
		d->bytes += t ? (size_t)d->len[i] : 0;
	}
	if (b->out_tail)
		b->out_tail->next = d;
	else
		b->out_head = d;
	b->out_tail = d;
	b->out_bytes += d->bytes;
}

/* Queues a ticket's document (its text now) for the builder. */
static int builder_doc(struct pk_db *db, int64_t id, int del)
{
	sqlite3_stmt *st =
		pk_db_stmt(db, "SELECT " PK_FTS_COLUMNS " FROM ticket_doc WHERE id = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out_doc(db->fts_builder, st, id, del);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("updating the search index"));
}

/* Hands the documents the flush read to the thread, in order. */
static void hand_over(struct pk_fts_builder *b)
{
	if (!b->out_head)
		return;
	pthread_mutex_lock(&b->lock);
	while (b->queued > QUEUE_BYTES) /* the thread takes them all, even failed */
		pthread_cond_wait(&b->cond, &b->lock);
	if (b->tail)
		b->tail->next = b->out_head;
	else
		b->head = b->out_head;
	b->tail = b->out_tail;
	b->queued += b->out_bytes;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	b->out_head = b->out_tail = NULL;
	b->out_bytes = 0;
	b->txn_sent = 1;
}

void pk_fts_build_commit(struct pk_db *db)
{
	if (db->fts_builder)
		db->fts_builder->txn_sent = 0;
}

void pk_fts_build_rollback(struct pk_db *db)
{
	struct pk_fts_builder *b = db->fts_builder;
	if (!b)
		return;
	docs_free(b->out_head);
	b->out_head = b->out_tail = NULL;
	b->out_bytes = 0;
	if (b->txn_sent)
		b->stale = 1; /* the thread indexed what is undone */
	b->txn_sent = 0;
}

/* The structure record sql reads: a copy in *out (NULL, -1 when there is
 * none). */
static int structure_read(sqlite3 *h, const char *sql, void **out, int *len)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	*out = NULL;
	*len = -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*len = sqlite3_column_bytes(st, 0);
		*out = pk_xmalloc((size_t)*len + 1);
		memcpy(*out, sqlite3_column_blob(st, 0), (size_t)*len);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A builder with its thread started, or NULL (the commits then index as
 * they always do). */
static struct pk_fts_builder *builder_new(struct pk_db *db)
{
	struct pk_fts_builder *b = pk_xcalloc(1, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	int rc = structure_read(db->h, STRUCTURE_MAIN, &b->structure, &b->structure_len);
	/* "": a private temporary file, in memory while it fits the cache;
	 * one thread at a time uses it (the builder's, then, joined, ours) */
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(
			"", &b->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(b->h,
				  "PRAGMA cache_size = -65536; PRAGMA journal_mode = OFF;"
				  "PRAGMA synchronous = OFF;"
				  "CREATE VIRTUAL TABLE ticket_fts USING fts5(" PK_FTS_COLUMNS
				  ", content = '', tokenize = " PK_FTS_TOKENIZE ");"
				  "INSERT INTO ticket_fts(ticket_fts, rank) VALUES "
				  "('hashsize', " PK_FTS_HASHSIZE ");"
				  "BEGIN",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK && pthread_create(&b->th, NULL, build_run, b) == 0)
		return b;
	builder_free(b);
	return NULL;
}

int pk_fts_build_start(struct pk_db *db)
{
	if (db->fts_builder || db->depth > 0 || db->readonly)
		return PK_OK;
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	/* only into an empty database: its index has nothing to keep */
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT EXISTS (SELECT 1 FROM tickets)");
	if (!st) {
		pk_db_rollback(db);
		return db->err.code;
	}
	int sqrc = sqlite3_step(st);
	int empty = sqrc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
	sqlite3_reset(st);
	if (sqrc != SQLITE_ROW)
		rc = pk_db_fail(db, sqrc, _("building the search index"));
	struct pk_fts_builder *b = NULL;
	if (rc == PK_OK && empty && (b = builder_new(db)) != NULL)
		rc = pk_db_meta_set(db, "fts_build", "1");
	if (rc != PK_OK) {
		pk_db_rollback(db);
	} else {
		db->fts_builder = b;
		rc = pk_db_commit(db);
	}
	if (rc != PK_OK && b) {
		db->fts_builder = NULL;
		builder_join(b);
		builder_free(b);
	}
	return rc;
}

/* Copies the builder's index into the database, through the builder's own
 * connection: the database's connection then sees another connection's
 * commit, and FTS5 there reads its index afresh.  Refused when the
 * database's index was written since the build began. */
static int install(struct pk_db *db, struct pk_fts_builder *b)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(b->h, "ATTACH ?1 AS dest", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, db->path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	sqlite3_busy_timeout(b->h, db->cfg->busy_timeout_ms);
	sqlite3_db_config(b->h, SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)NULL);
	rc = sqlite3_exec(b->h, "PRAGMA dest.synchronous = NORMAL; BEGIN IMMEDIATE", NULL, NULL,
			  NULL);
	void *now = NULL;
	int now_len = -1;
	if (rc == SQLITE_OK)
		rc = structure_read(b->h, STRUCTURE_DEST, &now, &now_len);
	if (rc == SQLITE_OK && (now_len != b->structure_len ||
				(now_len > 0 && memcmp(now, b->structure, (size_t)now_len) != 0)))
		rc = SQLITE_CONSTRAINT; /* written meanwhile: rebuild instead */
	free(now);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(b->h,
				  "DELETE FROM dest.ticket_fts_data;"
				  "DELETE FROM dest.ticket_fts_idx;"
				  "DELETE FROM dest.ticket_fts_docsize;"
				  "INSERT INTO dest.ticket_fts_data(id, block)"
				  "  SELECT id, block FROM main.ticket_fts_data;"
				  "INSERT INTO dest.ticket_fts_idx(segid, term, pgno)"
				  "  SELECT segid, term, pgno FROM main.ticket_fts_idx;"
				  "INSERT INTO dest.ticket_fts_docsize(id, sz)"
				  "  SELECT id, sz FROM main.ticket_fts_docsize;"
				  "DELETE FROM dest.meta WHERE key = 'fts_build';"
				  "COMMIT",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(b->h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(b->h, "DETACH dest", NULL, NULL, NULL);
	return rc;
}

/* Builds the index again from every ticket, in one transaction. */
static int rebuild(struct pk_db *db)
{
	int rc = pk_db_begin(db);
	if (rc == PK_OK)
		rc = pk_db_exec(db, "INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild');"
				    "DELETE FROM meta WHERE key = 'fts_build'");
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}

int pk_fts_build_finish(struct pk_db *db)
{
	struct pk_fts_builder *b = db->fts_builder;
	if (!b)
		return PK_OK;
	db->fts_builder = NULL; /* from here on, the commits index themselves */
	int rc = builder_join(b);
	if (rc == SQLITE_OK && b->stale)
		rc = SQLITE_ABORT;
	if (rc == SQLITE_OK)
		rc = install(db, b);
	builder_free(b);
	return rc == SQLITE_OK ? PK_OK : rebuild(db);
}

void pk_fts_build_abort(struct pk_db *db)
{
	struct pk_fts_builder *b = db->fts_builder;
	if (!b)
		return;
	db->fts_builder = NULL;
	builder_join(b);
	builder_free(b); /* meta fts_build stays: the next sync rebuilds */
}

int pk_fts_repair(struct pk_db *db)
{
	if (db->fts_builder || db->readonly)
		return PK_OK;
	char *v = NULL;
	int rc = pk_db_meta_get(db, "fts_build", &v);
	free(v);
	if (rc == PK_ENOTFOUND)
		return PK_OK;
	return rc == PK_OK ? rebuild(db) : rc;
}

/* --- upkeep --- */

/* A ticket's document in (or, with del, out of) the index.  An
 * external-content FTS5 table must be told the old text before it
 * changes, so the first touch of a ticket in a transaction takes its
 * current document out and the flush puts the new one in.  A document the
 * index does not hold (a first sync's, before its build is installed) is
 * not taken out: that would corrupt the index. */
static int fts_doc(struct pk_db *db, int64_t id, int del)
{
	if (db->fts_builder)
		return builder_doc(db, id, del);
	sqlite3_stmt *st = pk_db_stmt(
		db, del ? "INSERT INTO ticket_fts(ticket_fts, rowid, " PK_FTS_COLUMNS ") "
			  "SELECT 'delete', id, " PK_FTS_COLUMNS " FROM ticket_doc WHERE id = ?1 "
			  "AND EXISTS (SELECT 1 FROM ticket_fts_docsize WHERE id = ?1)"
			: "INSERT INTO ticket_fts(rowid, " PK_FTS_COLUMNS ") "
			  "SELECT id, " PK_FTS_COLUMNS " FROM ticket_doc WHERE id = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("updating the search index"));
}

/* The bulk pass: every ticket from bulk_first on, by 'rebuild' when the
 * index started empty. */
static int bulk_flush(struct pk_db *db)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, db->fts_rebuild ? "INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild')"
				    : "INSERT INTO ticket_fts(rowid, " PK_FTS_COLUMNS ") "
				      "SELECT id, " PK_FTS_COLUMNS
				      " FROM ticket_doc WHERE id >= ?1");
	if (!st)
		return db->err.code;
	if (!db->fts_rebuild)
		sqlite3_bind_int64(st, 1, db->bulk_first);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("building the search index"));
}

int pk_fts_flush(struct pk_db *db)
{
	int rc = PK_OK;
	if (db->fts_bulk) {
		db->fts_bulk = 0;
		/* (the builder is handed every ticket as it flushes) */
		if (!db->fts_builder && (rc = bulk_flush(db)) != PK_OK)
			return rc;
	}
	for (int i = 0; i < db->nfts && rc == PK_OK; i++)
		rc = fts_doc(db, db->fts_pending[i], 0);
	if (rc != PK_OK)
		return rc;
	db->nfts = 0;
	if (db->fts_builder)
		hand_over(db->fts_builder);
	return PK_OK;
}

int pk_fts_touch(struct pk_db *db, int64_t id, int existing)
{
	/* a bulk indexes its new tickets at the end; a builder takes each
	 * batch of FTS_BATCH tickets as it fills, to keep its thread busy */
	if (db->fts_bulk && !db->fts_builder && id >= db->bulk_first)
		return PK_OK; /* indexed by the bulk pass */
	for (int i = db->nfts - 1; i >= 0; i--)
		if (db->fts_pending[i] == id)
			return PK_OK;
	int rc;
	if (db->nfts == FTS_BATCH && (rc = pk_fts_flush(db)) != PK_OK)
		return rc;
	if (existing && (rc = fts_doc(db, id, 1)) != PK_OK)
		return rc;
	db->fts_pending[db->nfts++] = id;
	return PK_OK;
}
