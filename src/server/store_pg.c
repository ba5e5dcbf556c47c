/* The PostgreSQL store: events in a database that several picketd
 * processes may serve at once (stateless instances behind a balancer).
 *
 * Tables (see `migrations`): events, numbered by `seq`; records, the
 * records the events name (kind, a comment's ticket, a unique name), so a
 * push is checked as a merge would check it; ticket_fields, the current
 * value of each ticket field the policy reads, last writer wins by
 * (hlc, origin) as in the engine's merge; meta, the server id.
 *
 * Sequences without gaps a reader can fall into: every push takes one
 * transaction-scoped advisory lock (LOCK_CLASS, LOCK_PUSH) before it reads
 * the head, numbers its events head+1, head+2, ... and holds the lock until
 * its COMMIT is visible.  So pushes commit in sequence order, on every
 * instance: a reader that sees sequence s sees every sequence below it, and
 * a cursor never moves past an event still to commit.  (A SEQUENCE would
 * let a push that took 9 commit after one that took 10.)
 *
 * Each push loads what it needs of the records in a few queries, judges
 * the batch in memory and writes it with COPY: a handful of round trips a
 * batch, not a few per event.  One writer connection per process, under a
 * mutex (the lock serialises pushes anyway); pulls read through a
 * connection per worker thread, as store_sqlite.c does.  A libpq connection
 * is never used by two threads at once. */
#include "store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "log.h"
#include "policy.h"
#include "readers.h"
#include "picket/config.h"
#include "picket/policy.h"
#include "picket/change.h"
#include "picket/i18n.h"
#include "picket/status.h"

/* pg_advisory_xact_lock(LOCK_CLASS, key): "pick" and what is locked */
#define LOCK_CLASS   1885954923
#define LOCK_PUSH    1
#define LOCK_MIGRATE 2

/* Forward-only: migration i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: events, the records they name, the server's identity */
	"CREATE TABLE meta (\n"
	"  key   text PRIMARY KEY,\n"
	"  value text NOT NULL\n"
	");\n"
	/* One row an event, as pushed: value is the JSON text unchanged. */
	"CREATE TABLE events (\n"
	"  seq         bigint PRIMARY KEY,\n"
	"  uuid        uuid NOT NULL UNIQUE,\n"
	"  entity      text NOT NULL,\n"
	"  entity_uuid uuid NOT NULL,\n"
	"  op          text NOT NULL CHECK (op IN ('create', 'set')),\n"
	"  field       text,\n"
	"  value       text,\n"
	"  hlc         bigint NOT NULL,\n"
	"  base        bigint NOT NULL,\n"
	"  origin      text NOT NULL,\n"
	"  actor       text NOT NULL,\n"
	"  at          bigint NOT NULL\n"
	");\n"
	/* Every record an event created: its kind, a child's ticket, its
	 * name when the engine keeps it unique without regard to (ASCII)
	 * case: a ticket's ref, a vendor's name (see `unique_names`). */
	"CREATE TABLE records (\n"
	"  uuid   uuid PRIMARY KEY,\n"
	"  entity text NOT NULL,\n"
	"  ticket uuid,\n"
	"  name   text\n"
	");\n"
	"CREATE UNIQUE INDEX records_name ON records (entity, lower(name COLLATE \"C\"))\n"
	"  WHERE name IS NOT NULL;\n"
	/* A ticket's current value of each tracked field (NULL: none) and the
	 * clock of the event that set it. */
	"CREATE TABLE ticket_fields (\n"
	"  ticket uuid NOT NULL REFERENCES records(uuid),\n"
	"  field  text NOT NULL,\n"
	"  value  text,\n"
	"  hlc    bigint NOT NULL,\n"
	"  origin text COLLATE \"C\" NOT NULL,\n"
	"  by_set boolean NOT NULL,\n"
	"  PRIMARY KEY (ticket, field)\n"
	");\n",
};

struct pg_store {
	struct srv_store base;
	char *conninfo;
	const struct pk_config *classes; /* the levels; the ceiling is system_high */
	char server_id[PK_UUID_LEN + 1];

	pthread_mutex_t write_lock;
	PGconn *writer;

	struct srv_readers readers; /* PGconn */
};

/* --- connections --- */

/* The status of a failed query: busy (the client may retry) when the
 * server went away or gave up on a lock, else a database error. */
static int pg_fail(PGconn *conn, const PGresult *r, const char *what, struct pk_error *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
		r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(conn);
	int busy = PQstatus(conn) != CONNECTION_OK ||
		   (state && (strncmp(state, "08", 2) == 0 || strcmp(state, "40001") == 0 ||
			      strcmp(state, "40P01") == 0 || strncmp(state, "57P", 3) == 0));
	char line[400];
	snprintf(line, sizeof(line), "%s", msg);
	line[strcspn(line, "\n")] = '\0';
	return pk_error_set(err, busy ? PK_EBUSY : PK_EDB, _("PostgreSQL, %s: %s"), what, line);
}

static PGconn *pg_connect(const char *conninfo, struct pk_error *err)
{
	const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *const values[] = { conninfo, "picketd", NULL };
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn) == CONNECTION_OK && PQsetClientEncoding(conn, "UTF8") == 0)
		return conn;
	pg_fail(conn, NULL, _("connecting"), err);
	PQfinish(conn);
	return NULL;
}

/* A connection that broke (the server restarted) is made again once. */
static int pg_ready(PGconn *conn, struct pk_error *err)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return PK_OK;
	PQreset(conn);
	if (PQstatus(conn) == CONNECTION_OK && PQsetClientEncoding(conn, "UTF8") == 0)
		return PK_OK;
	return pg_fail(conn, NULL, _("connecting again"), err);
}

/* Runs sql with text parameters; *out gets the result when it has rows
 * (the caller clears it).  PK_OK, or the status and err. */
static int pg_exec(PGconn *conn, const char *sql, int n, const char *const *params, PGresult **out,
		   const char *what, struct pk_error *err)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		int rc = pg_fail(conn, r, what, err);
		PQclear(r);
		if (out)
			*out = NULL;
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return PK_OK;
}

/* Runs statements without parameters (several, for a migration). */
static int pg_cmd(PGconn *conn, const char *sql, const char *what, struct pk_error *err)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc =
		s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? PK_OK : pg_fail(conn, r, what, err);
	PQclear(r);
	return rc;
}

static void pg_rollback(PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
}

static void *reader_open(void *ctx, struct pk_error *err)
{
	return pg_connect(((struct pg_store *)ctx)->conninfo, err);
}

static void reader_close(void *handle)
{
	PQfinish(handle);
}

/* This thread's read connection, made on first use. */
static PGconn *reader_get(struct pg_store *st, struct pk_error *err)
{
	PGconn *conn = srv_readers_get(&st->readers, err);
	return conn && pg_ready(conn, err) == PK_OK ? conn : NULL;
}

/* --- opening --- */

/* Brings the schema up to date and reads (or makes) the server id, in one
 * transaction under the migration lock: instances starting together
 * neither migrate twice nor make two ids. */
static int migrate(struct pg_store *st, struct pk_error *err)
{
	PGconn *c = st->writer;
	PGresult *r = NULL;
	char lock[96];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, %d)", LOCK_CLASS,
		 LOCK_MIGRATE);
	int rc = pg_cmd(c, "BEGIN", _("starting the migration"), err);
	if (rc == PK_OK)
		rc = pg_cmd(c, lock, _("locking for the migration"), err);
	if (rc == PK_OK)
		rc = pg_cmd(c,
			    "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
			    _("reading the schema version"), err);
	if (rc == PK_OK)
		rc = pg_exec(c, "SELECT max(version) FROM schema_version", 0, NULL, &r,
			     _("reading the schema version"), err);
	int version = rc == PK_OK && !PQgetisnull(r, 0, 0) ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	if (rc == PK_OK && version > (int)PK_ARRAY_LEN(migrations))
		rc = pk_error_set(err, PK_ESCHEMA,
				  _("the PostgreSQL store has schema version %d; this picketd "
				    "knows up to %zu (a newer picketd made it)"),
				  version, PK_ARRAY_LEN(migrations));
	for (int v = version; rc == PK_OK && v < (int)PK_ARRAY_LEN(migrations); v++) {
		char set[80];
		snprintf(set, sizeof(set),
			 "DELETE FROM schema_version; "
			 "INSERT INTO schema_version VALUES (%d)",
			 v + 1);
		rc = pg_cmd(c, migrations[v], _("migrating the schema"), err);
		if (rc == PK_OK)
			rc = pg_cmd(c, set, _("migrating the schema"), err);
		if (rc == PK_OK)
			srv_log(SRV_LOG_INFO, _("PostgreSQL store: schema version %d"), v + 1);
	}
	char fresh[PK_UUID_LEN + 1];
	pk_uuid_new(fresh);
	const char *p[] = { fresh };
	if (rc == PK_OK)
		rc = pg_exec(c,
			     "WITH made AS (INSERT INTO meta VALUES ('server_id', $1) "
			     "ON CONFLICT (key) DO NOTHING RETURNING value) "
			     "SELECT value, true FROM made UNION ALL "
			     "SELECT value, false FROM meta WHERE key = 'server_id'",
			     1, p, &r, _("reading the server id"), err);
	if (rc == PK_OK && (PQntuples(r) < 1 || !pk_uuid_valid(PQgetvalue(r, 0, 0))))
		rc = pk_error_set(err, PK_EDB,
				  _("PostgreSQL store: the stored server id is not a UUID"));
	if (rc == PK_OK) {
		snprintf(st->server_id, sizeof(st->server_id), "%s", PQgetvalue(r, 0, 0));
		if (strcmp(PQgetvalue(r, 0, 1), "t") == 0)
			srv_log(SRV_LOG_INFO, _("new PostgreSQL store: server id %s"),
				st->server_id);
	}
	PQclear(r);
	if (rc == PK_OK)
		rc = pg_cmd(c, "COMMIT", _("committing the migration"), err);
	else
		pg_rollback(c);
	return rc;
}

static void store_close(struct srv_store *base)
{
	struct pg_store *st = (struct pg_store *)base;
	srv_readers_fini(&st->readers);
	if (st->writer)
		PQfinish(st->writer);
	pthread_mutex_destroy(&st->write_lock);
	free(st->conninfo);
	free(st);
}

static int store_open(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err)
{
	if (!conf->conninfo || !*conf->conninfo)
		return pk_error_set(err, PK_ECONFIG,
				    _("store.backend is postgresql: store.conninfo must name the "
				      "database"));
	struct pg_store *st = pk_xcalloc(1, sizeof(*st));
	st->base.ops = &srv_store_pg;
	st->conninfo = pk_xstrdup(conf->conninfo);
	st->classes = conf->classes;
	if (srv_readers_init(&st->readers, reader_open, reader_close, st, err) != PK_OK) {
		free(st->conninfo);
		free(st);
		return PK_ERR;
	}
	pthread_mutex_init(&st->write_lock, NULL);
	st->writer = pg_connect(st->conninfo, err);
	int rc = st->writer ? migrate(st, err) : err->code;
	if (rc != PK_OK) {
		store_close(&st->base);
		return rc;
	}
	*out = &st->base;
	return PK_OK;
}

static const char *store_server_id(struct srv_store *base)
{
	return ((struct pg_store *)base)->server_id;
}

static int read_head(PGconn *conn, int64_t *head, struct pk_error *err)
{
	PGresult *r;
	int rc = pg_exec(conn, "SELECT coalesce(max(seq), 0) FROM events", 0, NULL, &r,
			 _("reading the head"), err);
	if (rc == PK_OK)
		*head = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

static int store_head(struct srv_store *base, int64_t *head, struct pk_error *err)
{
	PGconn *conn = reader_get((struct pg_store *)base, err);
	return conn ? read_head(conn, head, err) : err->code;
}

/* --- pushing --- */

/* An array literal of uuids ({a,b,...}); uuids need no quoting. */
static void uuid_array(struct pk_buf *out, const char *uuid, int *first)
{
	pk_buf_puts(out, *first ? "{" : ",");
	pk_buf_puts(out, uuid);
	*first = 0;
}

static void array_end(struct pk_buf *out, int first)
{
	pk_buf_puts(out, first ? "{}" : "}");
}

/* Loads the events of the batch the store has already. */
static int load_seen(PGconn *conn, struct srv_batch *b, struct pk_error *err)
{
	struct pk_buf arr = { 0 };
	int first = 1;
	for (size_t i = 0; i < b->evs->n; i++)
		if (pk_uuid_valid(b->evs->v[i].uuid))
			uuid_array(&arr, b->evs->v[i].uuid, &first);
	array_end(&arr, first);
	const char *p[] = { arr.data };
	PGresult *r;
	int rc = pg_exec(conn, "SELECT uuid FROM events WHERE uuid = ANY($1::uuid[])", 1, p, &r,
			 _("reading events"), err);
	pk_buf_free(&arr);
	for (int i = 0; rc == PK_OK && i < PQntuples(r); i++)
		srv_batch_seen(b, PQgetvalue(r, i, 0));
	PQclear(r);
	return rc;
}

/* Loads the records the batch names, with their tickets, the tickets'
 * tracked fields and the names its new records would take. */
static int load_records(PGconn *conn, struct srv_batch *b, struct pk_error *err)
{
	struct pk_buf arr = { 0 }, refs = { 0 };
	int first = 1, rfirst = 1, rc;
	for (size_t i = 0; i < b->evs->n && i < b->bad; i++) {
		const struct pk_event *ev = &b->evs->v[i];
		uuid_array(&arr, ev->entity_uuid, &first);
		if (b->parents[i][0])
			uuid_array(&arr, b->parents[i], &first);
		const char *ref = srv_batch_name(b, i);
		if (ref) {
			/* the names as an array of quoted texts */
			pk_buf_puts(&refs, rfirst ? "{\"" : ",\"");
			for (const char *s = ref; *s; s++) {
				if (*s == '"' || *s == '\\')
					pk_buf_putc(&refs, '\\');
				pk_buf_putc(&refs, *s);
			}
			pk_buf_putc(&refs, '"');
			rfirst = 0;
		}
	}
	array_end(&arr, first);
	array_end(&refs, rfirst);
	const char *p[] = { arr.data, refs.data };
	PGresult *r;
	rc = pg_exec(conn,
		     "WITH r AS (SELECT * FROM records WHERE uuid = ANY($1::uuid[])) "
		     "SELECT uuid, entity, ticket, name FROM r UNION "
		     "SELECT t.uuid, t.entity, t.ticket, t.name FROM records t JOIN r "
		     "ON t.uuid = r.ticket",
		     1, p, &r, _("reading records"), err);
	for (int i = 0; rc == PK_OK && i < PQntuples(r); i++)
		srv_batch_record(b, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				 PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
	PQclear(r);
	pk_buf_free(&arr);
	/* the tracked fields of the tickets among them */
	first = 1;
	size_t at = 0;
	for (struct srv_prec *t; (t = srv_batch_next_record(b, &at));)
		if (strcmp(t->entity, "ticket") == 0)
			uuid_array(&arr, t->uuid, &first);
	array_end(&arr, first);
	p[0] = arr.data;
	if (rc == PK_OK && !first)
		rc = pg_exec(conn,
			     "SELECT ticket, field, value, hlc, origin, by_set FROM ticket_fields "
			     "WHERE ticket = ANY($1::uuid[])",
			     1, p, &r, _("reading records"), err);
	for (int i = 0; rc == PK_OK && !first && i < PQntuples(r); i++) {
		struct srv_prec *t = srv_batch_get(b, PQgetvalue(r, i, 0));
		if (t)
			srv_batch_field(t, PQgetvalue(r, i, 1),
					PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
					strtoll(PQgetvalue(r, i, 3), NULL, 10), PQgetvalue(r, i, 4),
					strcmp(PQgetvalue(r, i, 5), "t") == 0);
	}
	if (rc == PK_OK && !first)
		PQclear(r);
	pk_buf_free(&arr);
	if (rc == PK_OK && !rfirst) {
		p[0] = refs.data;
		rc = pg_exec(conn,
			     "SELECT entity, name FROM records "
			     "WHERE name IS NOT NULL AND lower(name COLLATE \"C\") = ANY("
			     "SELECT lower(x COLLATE \"C\") FROM unnest($1::text[]) x)",
			     1, p, &r, _("reading records"), err);
		for (int i = 0; rc == PK_OK && i < PQntuples(r); i++)
			srv_batch_taken(b, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
		PQclear(r);
	}
	pk_buf_free(&refs);
	return rc;
}

/* One COPY text field: \N for NULL, backslash escapes for the rest. */
static void copy_text(struct pk_buf *out, const char *s, int last)
{
	if (!s) {
		pk_buf_puts(out, "\\N");
	} else {
		for (; *s; s++) {
			switch (*s) {
			case '\\': pk_buf_puts(out, "\\\\"); break;
			case '\n': pk_buf_puts(out, "\\n"); break;
			case '\r': pk_buf_puts(out, "\\r"); break;
			case '\t': pk_buf_puts(out, "\\t"); break;
			default: pk_buf_putc(out, *s);
			}
		}
	}
	pk_buf_putc(out, last ? '\n' : '\t');
}

static void copy_event(struct pk_buf *out, int64_t seq, const struct pk_event *ev)
{
	pk_buf_printf(out, "%lld\t%s\t", (long long)seq, ev->uuid);
	copy_text(out, ev->entity, 0);
	pk_buf_printf(out, "%s\t%s\t", ev->entity_uuid, ev->create ? "create" : "set");
	copy_text(out, ev->create ? NULL : ev->field, 0);
	copy_text(out, ev->value, 0);
	pk_buf_printf(out, "%lld\t%lld\t", (long long)ev->hlc,
		      (long long)(ev->create ? 0 : ev->base));
	copy_text(out, ev->origin, 0);
	copy_text(out, ev->actor, 0);
	pk_buf_printf(out, "%lld\n", (long long)ev->at);
}

static int copy_in(PGconn *conn, const char *sql, const struct pk_buf *data, struct pk_error *err)
{
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		int rc = pg_fail(conn, r, _("writing"), err);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	int ok = 1;
	for (size_t off = 0; ok && off < data->len; off += 1 << 20) {
		size_t n = data->len - off < (1u << 20) ? data->len - off : 1u << 20;
		ok = PQputCopyData(conn, data->data + off, (int)n) == 1;
	}
	ok = PQputCopyEnd(conn, ok ? NULL : "picketd gave up") == 1 && ok;
	int rc = PK_OK;
	while ((r = PQgetResult(conn))) {
		if (rc == PK_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(conn, r, _("writing"), err);
		PQclear(r);
	}
	if (rc == PK_OK && !ok)
		rc = pg_fail(conn, NULL, _("writing"), err);
	return rc;
}

/* Writes the batch's events, new records and changed fields. */
static int write_batch(PGconn *conn, const struct srv_batch *b, struct pk_error *err)
{
	int rc = PK_OK;
	struct pk_buf evs = { 0 }, recs = { 0 }, fields = { 0 }, dirty = { 0 };
	for (size_t k = 0; k < b->nstored; k++)
		copy_event(&evs, srv_batch_seq(b, k), &b->evs->v[b->stored[k]]);
	if (evs.len)
		rc = copy_in(conn,
			     "COPY events (seq, uuid, entity, entity_uuid, op, field, value, hlc, "
			     "base, origin, actor, at) FROM STDIN",
			     &evs, err);
	pk_buf_free(&evs);
	int first = 1;
	size_t at = 0;
	for (struct srv_prec *p; (p = srv_batch_next_record(b, &at));) {
		if (p->is_new) {
			pk_buf_printf(&recs, "%s\t", p->uuid);
			copy_text(&recs, p->entity, 0);
			copy_text(&recs, p->ticket[0] ? p->ticket : NULL, 0);
			copy_text(&recs, p->name, 1);
		}
		if (!p->dirty)
			continue;
		if (!p->is_new)
			uuid_array(&dirty, p->uuid, &first);
		for (size_t k = 0; k < SRV_NTRACKED; k++) {
			if (!p->f[k].set)
				continue;
			pk_buf_printf(&fields, "%s\t%s\t", p->uuid, srv_tracked[k]);
			copy_text(&fields, p->f[k].value, 0);
			pk_buf_printf(&fields, "%lld\t", (long long)p->f[k].hlc);
			copy_text(&fields, p->f[k].origin, 0);
			pk_buf_puts(&fields, p->f[k].by_set ? "t\n" : "f\n");
		}
	}
	array_end(&dirty, first);
	const char *p[] = { dirty.data };
	if (rc == PK_OK && recs.len)
		rc = copy_in(conn, "COPY records (uuid, entity, ticket, name) FROM STDIN", &recs,
			     err);
	/* a changed ticket's fields are written whole: the batch holds them all */
	if (rc == PK_OK && !first)
		rc = pg_exec(conn, "DELETE FROM ticket_fields WHERE ticket = ANY($1::uuid[])", 1, p,
			     NULL, _("writing"), err);
	if (rc == PK_OK && fields.len)
		rc = copy_in(
			conn,
			"COPY ticket_fields (ticket, field, value, hlc, origin, by_set) FROM STDIN",
			&fields, err);
	pk_buf_free(&recs);
	pk_buf_free(&fields);
	pk_buf_free(&dirty);
	return rc;
}

static int push_batch(PGconn *conn, struct srv_batch *b, const struct srv_user *user,
		      struct pk_push_result *res, const char **refusal, struct pk_error *err)
{
	char lock[64];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, %d)", LOCK_CLASS, LOCK_PUSH);
	/* taken before the head is read and held to the commit: see the top */
	int rc = pg_cmd(conn, lock, _("locking for a push"), err);
	if (rc == PK_OK)
		rc = read_head(conn, &b->head, err);
	if (rc == PK_OK)
		rc = load_seen(conn, b, err);
	if (rc == PK_OK)
		rc = load_records(conn, b, err);
	if (rc == PK_OK)
		rc = srv_batch_judge(b, user, res, refusal, err);
	if (rc == PK_OK)
		rc = write_batch(conn, b, err);
	return rc;
}

static int store_push(struct srv_store *base, const struct pk_events *evs,
		      const struct srv_user *user, struct pk_push_result *res, const char **refusal,
		      struct pk_error *err)
{
	struct pg_store *st = (struct pg_store *)base;
	struct srv_batch b;
	memset(res, 0, sizeof(*res));
	*refusal = NULL;
	/* the checks need no database: done before it is locked */
	srv_batch_init(&b, evs, st->classes);
	pthread_mutex_lock(&st->write_lock);
	PGconn *conn = st->writer;
	int rc = pg_ready(conn, err);
	if (rc == PK_OK)
		rc = pg_cmd(conn, "BEGIN", _("starting a push"), err);
	if (rc == PK_OK) {
		rc = push_batch(conn, &b, user, res, refusal, err);
		if (rc == PK_OK)
			rc = pg_cmd(conn, "COMMIT", _("committing a push"), err);
		else
			pg_rollback(conn);
	}
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
	PGconn *conn = reader_get((struct pg_store *)base, err);
	if (!conn)
		return err->code;
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)seq);
	const char *p[] = { num };
	PGresult *r;
	int rc = pg_exec(conn, "SELECT uuid FROM events WHERE seq = $1::bigint", 1, p, &r,
			 _("reading events"), err);
	*holds = rc == PK_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), uuid) == 0;
	PQclear(r);
	return rc;
}

static char *col(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static int store_pull(struct srv_store *base, int64_t after, int limit, const char *skip_origin,
		      pk_event_fn fn, void *data, int64_t *next, int64_t *head,
		      struct pk_error *err)
{
	PGconn *conn = reader_get((struct pg_store *)base, err);
	if (!conn)
		return err->code;
	int64_t h, last = after;
	int rc = read_head(conn, &h, err);
	if (rc != PK_OK)
		return rc;
	if (after > h)
		return pk_error_set(err, PK_EINVAL,
				    _("cursor %lld is beyond the last sequence, %lld: this server "
				      "never gave it (was the store replaced?)"),
				    (long long)after, (long long)h);
	char a[24], l[16];
	snprintf(a, sizeof(a), "%lld", (long long)after);
	snprintf(l, sizeof(l), "%d", limit);
	const char *p[] = { a, skip_origin, l };
	PGresult *r;
	rc = pg_exec(conn,
		     "SELECT seq, uuid, entity, entity_uuid, op, field, value, hlc, base, origin, "
		     "actor, at FROM events WHERE seq > $1::bigint AND ($2::text IS NULL OR "
		     "origin <> $2::text) ORDER BY seq LIMIT $3::integer",
		     3, p, &r, _("reading events"), err);
	if (rc != PK_OK)
		return rc;
	int n = PQntuples(r), stopped = 0, i;
	for (i = 0; i < n && !stopped; i++) {
		struct pk_event ev = { 0 };
		ev.seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(ev.uuid, sizeof(ev.uuid), "%s", PQgetvalue(r, i, 1));
		snprintf(ev.entity, sizeof(ev.entity), "%s", PQgetvalue(r, i, 2));
		snprintf(ev.entity_uuid, sizeof(ev.entity_uuid), "%s", PQgetvalue(r, i, 3));
		ev.create = strcmp(PQgetvalue(r, i, 4), "create") == 0;
		/* borrowed from the result for the callback's duration */
		ev.field = col(r, i, 5);
		ev.value = col(r, i, 6);
		ev.hlc = strtoll(PQgetvalue(r, i, 7), NULL, 10);
		ev.base = strtoll(PQgetvalue(r, i, 8), NULL, 10);
		ev.origin = col(r, i, 9);
		ev.actor = col(r, i, 10);
		ev.at = strtoll(PQgetvalue(r, i, 11), NULL, 10);
		last = ev.seq;
		stopped = fn(&ev, data) != 0;
	}
	PQclear(r);
	/* Pushes commit in sequence order (the push lock), so the query saw
	 * every event up to h: a short page moves the cursor to h even when
	 * the last ones were left out (skip_origin), as store_sqlite.c does. */
	*next = last > after ? last : after;
	if (i < limit && !stopped && h > *next)
		*next = h;
	*head = h > *next ? h : *next;
	return PK_OK;
}

static int store_level(struct srv_store *base, const char *entity, const char *uuid, int *rank,
		       struct pk_error *err)
{
	struct pg_store *st = (struct pg_store *)base;
	PGconn *conn = reader_get(st, err);
	*rank = 0;
	if (!conn)
		return err->code;
	const char *params[] = { uuid };
	PGresult *r;
	int rc = pg_exec(conn,
			 "SELECT r.entity, f.value FROM records r LEFT JOIN ticket_fields f "
			 "ON f.ticket = coalesce(r.ticket, r.uuid) AND f.field = 'classification' "
			 "WHERE r.uuid = $1",
			 1, params, &r, _("reading a record's level"), err);
	if (rc != PK_OK)
		return rc;
	(void)entity;
	if (PQntuples(r) == 0)
		rc = PK_ENOTFOUND;
	else if (!PQgetisnull(r, 0, 1))
		*rank = srv_level_rank(st->classes, PQgetvalue(r, 0, 1));
	if (*rank < 0)
		*rank = 0;
	PQclear(r);
	return rc;
}

const struct srv_store_ops srv_store_pg = {
	.name = "postgresql",
	.open = store_open,
	.close = store_close,
	.server_id = store_server_id,
	.head = store_head,
	.push = store_push,
	.pull = store_pull,
	.holds = store_holds,
	.level = store_level,
};
