/* The SQLite store: the server's events live in a picket database of its
 * own, written through the same merge path as every client's.
 *
 * A pk_db handle is not thread-safe and the SLA hooks of a merge set TZ,
 * so pushes go one at a time through one writer handle under a mutex;
 * pulls read through a read-only handle per worker thread (WAL lets them
 * run beside the writer), opened on first use and closed when the thread
 * ends or the store closes.  The store is a PK_DB_EVENT_STORE: nobody
 * searches it or reads its SLA clocks, so it keeps neither. */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy.h"
#include "readers.h"
#include "picket/change.h"
#include "picket/config.h"
#include "picket/oplog.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define DB_USER "picketd"

struct sqlite_store {
	struct srv_store base;
	char *path;
	struct pk_config *cfg; /* borrowed by every handle */
	char server_id[PK_UUID_LEN + 1];

	pthread_mutex_t write_lock;
	struct pk_db *writer;

	struct srv_readers readers; /* struct pk_db, read-only */
};

static void *reader_open(void *ctx, struct pk_error *err)
{
	struct sqlite_store *st = ctx;
	struct pk_db *db;
	return pk_db_open(st->path, PK_DB_READONLY, st->cfg, DB_USER, &db, err) == PK_OK ? db
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
		*err = *pk_db_error(st->writer);
	if (rc == PK_OK)
		snprintf(st->server_id, sizeof(st->server_id), "%s", id);
	free(id);
	return rc;
}

static void store_close(struct srv_store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	srv_readers_fini(&st->readers);
	pk_db_close(&st->writer);
	pk_config_free(&st->cfg);
	pthread_mutex_destroy(&st->write_lock);
	free(st->path);
	free(st);
}

static int store_open(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err)
{
	struct sqlite_store *st = pk_xcalloc(1, sizeof(*st));
	st->base.ops = &srv_store_sqlite;
	st->path = pk_xstrdup(conf->store_path);
	st->cfg = pk_config_defaults();
	if (pk_config_set_levels(st->cfg, conf->levels, err) != PK_OK) {
		pk_config_free(&st->cfg);
		free(st->path);
		free(st);
		return PK_ECONFIG;
	}
	st->cfg->system_high = conf->classes->system_high;
	if (srv_readers_init(&st->readers, reader_open, reader_close, st, err) != PK_OK) {
		pk_config_free(&st->cfg);
		free(st->path);
		free(st);
		return PK_ERR;
	}
	pthread_mutex_init(&st->write_lock, NULL);
	int rc = pk_db_open(st->path, PK_DB_CREATE | PK_DB_EVENT_STORE, st->cfg, DB_USER,
			    &st->writer, err);
	/* one writer takes every push: a page cache (64 MiB) that holds the
	 * indexes' busy pages */
	if (rc == PK_OK && pk_db_exec(st->writer, "PRAGMA cache_size = -65536") != PK_OK)
		rc = pk_error_set(err, PK_EDB, "%s", pk_db_error(st->writer)->msg);
	if (rc == PK_OK)
		rc = load_server_id(st, err);
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

static int store_head(struct srv_store *base, int64_t *head, struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	*head = pk_oplog_head(db);
	if (*head < 0) {
		*err = *pk_db_error(db);
		return err->code;
	}
	return PK_OK;
}

/* The handle's error, naming the event when it does not already. */
static int event_error(struct pk_db *db, const struct pk_event *ev, int rc, struct pk_error *err)
{
	const char *msg = pk_db_error(db)->msg;
	if (strstr(msg, ev->uuid))
		return pk_error_set(err, rc, "%s", msg);
	return pk_error_set(err, rc, _("event %s: %s"), ev->uuid, msg);
}

/* A ticket's group as the store has it (NULL: none, or no such ticket). */
static int ticket_group(struct pk_db *db, const char *uuid, char **out)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT group_name FROM tickets WHERE uuid = ?1");
	*out = NULL;
	if (!st)
		return pk_db_error(db)->code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, "tickets");
}

/* Checks, allows and merges one event of a push: PK_OK when stored, or
 * left out and named in res->rejected; PK_EREFUSED (with *refusal) or
 * another status when the batch must fail. */
static int push_one(struct pk_db *db, const struct pk_event *ev, const struct srv_user *user,
		    struct pk_push_result *res, const char **refusal, struct pk_error *err)
{
	enum pk_merge_result merged;
	struct pk_error why = { 0 };
	const char *code;
	int conflict = 0, rc;
	if ((rc = pk_event_check(db, ev)) != PK_OK)
		return event_error(db, ev, rc, err);
	struct srv_record rec = { .level = -1, .new_level = -1 };
	char *group = NULL;
	if (!ev->create && strcmp(ev->entity, "ticket") == 0 && pk_streq(ev->field, "group")) {
		if ((rc = ticket_group(db, ev->entity_uuid, &group)) != PK_OK)
			return event_error(db, ev, rc, err);
		rec.group = group;
	}
	if (!ev->create && strcmp(ev->entity, "ticket") == 0 &&
	    pk_streq(ev->field, "classification")) {
		rc = pk_record_level(db, ev->entity, ev->entity_uuid, &rec.level);
		if (rc != PK_OK && rc != PK_ENOTFOUND)
			return event_error(db, ev, rc, err);
		rec.new_level = srv_event_level(pk_db_config(db), ev);
	}
	enum srv_verdict verdict = srv_policy_event(user, ev, &rec, &code, &why);
	free(group);
	switch (verdict) {
	case SRV_ALLOW: break;
	case SRV_REJECT_EVENT:
		srv_log(SRV_LOG_WARN, _("push by %s: event %s left out (%s): %s"), user->name,
			ev->uuid, code, why.msg);
		pk_push_result_reject(res, ev->uuid, code, why.msg);
		return PK_OK;
	case SRV_REFUSE_BATCH:
		*refusal = code;
		*err = why;
		return PK_EREFUSED;
	}
	if ((rc = pk_merge_event(db, ev, &merged, &conflict)) != PK_OK)
		return event_error(db, ev, rc, err);
	if (merged == PK_MERGED_DUPLICATE)
		res->duplicates++;
	else
		res->accepted++;
	res->conflicts += conflict != 0;
	return PK_OK;
}

/* Refuses the batch when a record it touched is now above the ceiling. */
static int check_levels(struct pk_db *db, const struct pk_events *evs, const char **refusal,
			struct pk_error *err)
{
	const struct pk_config *cls = pk_db_config(db);
	if (cls->system_high == cls->nlevels - 1)
		return PK_OK;
	const char *prev = "";
	for (size_t i = 0; i < evs->n; i++) {
		const struct pk_event *ev = &evs->v[i];
		if (strcmp(ev->entity_uuid, prev) == 0)
			continue;
		prev = ev->entity_uuid;
		int rank, rc = pk_record_level(db, ev->entity, ev->entity_uuid, &rank);
		if (rc == PK_ENOTFOUND)
			continue; /* left out (a role's limit) */
		if (rc != PK_OK)
			return event_error(db, ev, rc, err);
		if (srv_policy_level(cls, ev->entity, ev->entity_uuid, rank, refusal, err) !=
		    SRV_ALLOW)
			return PK_EREFUSED;
	}
	return PK_OK;
}

static int store_push(struct srv_store *base, const struct pk_events *evs,
		      const struct srv_user *user, struct pk_push_result *res, const char **refusal,
		      struct pk_error *err)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	struct pk_db *db = st->writer;
	int rc;
	memset(res, 0, sizeof(*res));
	*refusal = NULL;
	pthread_mutex_lock(&st->write_lock);
	if ((rc = pk_db_batch_begin(db)) != PK_OK) {
		*err = *pk_db_error(db);
		pthread_mutex_unlock(&st->write_lock);
		return rc;
	}
	/* the write lock is held from BEGIN IMMEDIATE on, so the events this
	 * batch stores are exactly those from < s <= seq */
	res->from = pk_oplog_head(db);
	for (size_t i = 0; i < evs->n && rc == PK_OK; i++)
		rc = push_one(db, &evs->v[i], user, res, refusal, err);
	if (rc == PK_OK)
		rc = check_levels(db, evs, refusal, err);
	if (rc == PK_OK)
		res->seq = pk_oplog_head(db);
	if (rc == PK_OK && (res->from < 0 || res->seq < res->from))
		rc = pk_error_set(err, PK_EDB, _("cannot read the oplog's head: %s"),
				  pk_db_error(db)->msg);
	if (rc == PK_OK && (rc = pk_db_commit(db)) != PK_OK)
		*err = *pk_db_error(db);
	else if (rc != PK_OK)
		pk_db_rollback(db);
	pthread_mutex_unlock(&st->write_lock);
	if (rc != PK_OK) {
		pk_push_result_free(res);
		memset(res, 0, sizeof(*res));
	}
	return rc;
}

static int store_holds(struct srv_store *base, int64_t seq, const char *uuid, int *holds,
		       struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	char at[PK_UUID_LEN + 1];
	int rc = pk_oplog_event_at(db, seq, at);
	*holds = rc == PK_OK && strcmp(at, uuid) == 0;
	if (rc == PK_ENOTFOUND)
		rc = PK_OK;
	if (rc != PK_OK)
		*err = *pk_db_error(db);
	return rc;
}

struct pull_count {
	pk_event_fn fn;
	void *data;
	int n;
	int stopped;
};

static int count_event(const struct pk_event *ev, void *data)
{
	struct pull_count *pc = data;
	pc->n++;
	pc->stopped = pc->fn(ev, pc->data) != 0;
	return pc->stopped;
}

static int store_pull(struct srv_store *base, int64_t after, int limit, const char *skip_origin,
		      pk_event_fn fn, void *data, int64_t *next, int64_t *head,
		      struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	int64_t h = pk_oplog_head(db), last = 0;
	if (h < 0) {
		*err = *pk_db_error(db);
		return err->code;
	}
	if (after > h)
		return pk_error_set(err, PK_EINVAL,
				    _("cursor %lld is beyond the last sequence, %lld: this server "
				      "never gave it (was the store replaced?)"),
				    (long long)after, (long long)h);
	struct pull_count pc = { fn, data, 0, 0 };
	int rc = pk_oplog_after(db, after, skip_origin, limit, count_event, &pc, &last);
	if (rc != PK_OK) {
		*err = *pk_db_error(db);
		return rc;
	}
	/* The writer commits in sequence order, so the query saw every event
	 * up to h.  A short page means it scanned them all: the cursor moves
	 * to h even when the last ones were left out (skip_origin), or a
	 * client skipping its own events would never get past them. */
	*next = last > after ? last : after;
	if (pc.n < limit && !pc.stopped && h > *next)
		*next = h;
	*head = h > *next ? h : *next;
	return PK_OK;
}

static int store_level(struct srv_store *base, const char *entity, const char *uuid, int *rank,
		       struct pk_error *err)
{
	struct pk_db *db = reader_get((struct sqlite_store *)base, err);
	if (!db)
		return err->code;
	int rc = pk_record_level(db, entity, uuid, rank);
	if (rc != PK_OK && rc != PK_ENOTFOUND)
		*err = *pk_db_error(db);
	return rc;
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
