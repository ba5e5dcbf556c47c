/* change.c and audit.c: the one mutation path (row + history + oplog in one
 * transaction), nested transactions, append-only tables and the hash
 * chain. */
#include <jansson.h>
#include <unistd.h>

#include "unit.h"

#include "picket/audit.h"

#define setup	 fx_setup
#define teardown fx_teardown
#define DB	 fx_db

/* A complete ticket create, straight through the change path. */
static struct pk_change *raw_ticket(const char *ref, const char *title)
{
	struct pk_change *ch = pk_change_create(&pk_ticket_entity);
	assert_int_equal(pk_change_text(ch, "ref", ref), PK_OK);
	assert_int_equal(pk_change_text(ch, "type", "incident"), PK_OK);
	assert_int_equal(pk_change_text(ch, "title", title), PK_OK);
	assert_int_equal(pk_change_text(ch, "description", "raw"), PK_OK);
	assert_int_equal(pk_change_text(ch, "status", "new"), PK_OK);
	assert_int_equal(pk_change_int(ch, "priority", 3), PK_OK);
	assert_int_equal(pk_change_int(ch, "impact", 3), PK_OK);
	assert_int_equal(pk_change_int(ch, "urgency", 3), PK_OK);
	assert_int_equal(pk_change_text(ch, "classification", "UNCLASSIFIED"), PK_OK);
	assert_int_equal(pk_change_int(ch, "created_at", T_NOW), PK_OK);
	assert_int_equal(pk_change_int(ch, "updated_at", T_NOW), PK_OK);
	return ch;
}

/* Creates a ticket through the change path; returns its uuid (caller
 * frees). */
static char *create_ticket(struct pk_db *db, const char *ref, const char *title)
{
	struct pk_change *ch = raw_ticket(ref, title);
	int rc = pk_change_apply(db, ch);
	if (rc != PK_OK)
		fprintf(stderr, "apply: %s\n", pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
	char *uuid = pk_xstrdup(pk_change_uuid(ch));
	pk_change_free(&ch);
	return uuid;
}

static int64_t count(struct pk_db *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return sql_int(db, sql);
}

static char *vsql(const char *fmt, va_list ap) PK_PRINTF(1, 0);

static char *vsql(const char *fmt, va_list ap)
{
	char *sql = pk_xmalloc(1024);
	vsnprintf(sql, 1024, fmt, ap);
	return sql;
}

/* Raw SQL probes with one formatted argument (a uuid made by picket). */
static char *text_of(struct pk_db *db, const char *fmt, ...) PK_PRINTF(2, 3);
static int64_t int_of(struct pk_db *db, const char *fmt, ...) PK_PRINTF(2, 3);

static char *text_of(struct pk_db *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = vsql(fmt, ap);
	va_end(ap);
	char *v = sql_text(db, sql);
	free(sql);
	return v;
}

static int64_t int_of(struct pk_db *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = vsql(fmt, ap);
	va_end(ap);
	int64_t v = sql_int(db, sql);
	free(sql);
	return v;
}

/* --- create ------------------------------------------------------------- */

static void test_create_writes_row(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = raw_ticket("TEST-1", "First");
	assert_true(pk_change_is_create(ch));
	assert_int_equal(strlen(pk_change_uuid(ch)), 36);
	assert_int_equal(pk_change_uuid(ch)[14], '7'); /* UUIDv7 */
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	assert_true(pk_change_rowid(ch) > 0);
	assert_int_equal(pk_change_count(ch), 1);
	assert_int_equal(count(db, "tickets"), 1);
	char *title =
		text_of(db, "SELECT title FROM tickets WHERE uuid = '%s'", pk_change_uuid(ch));
	assert_string_equal(title, "First");
	free(title);
	assert_int_equal(int_of(db, "SELECT id FROM tickets WHERE uuid = '%s'", pk_change_uuid(ch)),
			 pk_change_rowid(ch));
	pk_change_free(&ch);
	assert_null(ch);
}

static void test_create_one_history_row(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	assert_int_equal(count(db, "history"), 1);
	char *v = text_of(db,
			  "SELECT entity || '|' || entity_uuid || '|' || field || '|' || "
			  "ifnull(old_value, 'NULL') || '|' || new_value || '|' || actor "
			  "FROM history WHERE entity_uuid = '%s'",
			  uuid);
	char *want = pk_xasprintf("ticket|%s|created|NULL|TEST-1|alice", uuid);
	assert_string_equal(v, want);
	assert_int_equal(sql_int(db, "SELECT at FROM history"), T_NOW);
	assert_int_equal(sql_int(db, "SELECT length(hash) FROM history"), 32);
	free(v);
	free(want);
	free(uuid);
}

static void test_create_one_oplog_event(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	assert_int_equal(count(db, "oplog"), 1);
	char *v = text_of(db,
			  "SELECT entity || '|' || op || '|' || ifnull(field, 'NULL') || '|' "
			  "|| origin || '|' || actor || '|' || pushed FROM oplog "
			  "WHERE entity_uuid = '%s'",
			  uuid);
	assert_string_equal(v, "ticket|create|NULL|TEST|alice|0");
	free(v);
	assert_true(sql_int(db, "SELECT hlc FROM oplog") > 0);
	assert_int_equal(sql_int(db, "SELECT at FROM oplog"), T_NOW);
	char *ev = sql_text(db, "SELECT event_uuid FROM oplog");
	assert_int_equal(strlen(ev), 36);
	assert_string_not_equal(ev, uuid);
	free(ev);

	char *json = sql_text(db, "SELECT value FROM oplog");
	json_error_t jerr;
	json_t *o = json_loads(json, 0, &jerr);
	assert_non_null(o);
	assert_true(json_is_object(o));
	assert_string_equal(json_string_value(json_object_get(o, "title")), "First");
	assert_string_equal(json_string_value(json_object_get(o, "ref")), "TEST-1");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "new");
	assert_string_equal(json_string_value(json_object_get(o, "classification")),
			    "UNCLASSIFIED");
	assert_true(json_is_integer(json_object_get(o, "priority")));
	assert_int_equal(json_integer_value(json_object_get(o, "priority")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "created_at")), T_NOW);
	json_decref(o);
	free(json);
	free(uuid);
}

static void test_create_keeps_given_uuid(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = raw_ticket("TEST-9", "Imported");
	pk_change_set_uuid(ch, "0190f5c2-0000-7000-8000-000000000001");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM tickets WHERE uuid = "
				     "'0190f5c2-0000-7000-8000-000000000001'"),
			 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog WHERE entity_uuid = "
				     "'0190f5c2-0000-7000-8000-000000000001'"),
			 1);
	pk_change_free(&ch);
}

static void test_create_constraint_writes_nothing(void **state)
{
	struct pk_db *db = DB(state);
	free(create_ticket(db, "TEST-1", "First"));
	/* the same ref again: the UNIQUE constraint refuses the row */
	struct pk_change *ch = raw_ticket("TEST-1", "Second");
	assert_int_equal(pk_change_apply(db, ch), PK_EINVAL);
	pk_change_free(&ch);
	assert_int_equal(count(db, "tickets"), 1);
	assert_int_equal(count(db, "history"), 1);
	assert_int_equal(count(db, "oplog"), 1);
	assert_false(pk_db_in_transaction(db));
}

static void test_setter_unknown_field(void **state)
{
	(void)state;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, "x");
	assert_int_equal(pk_change_text(ch, "titel", "x"), PK_EINVAL);
	assert_int_equal(pk_change_int(ch, "prio", 1), PK_EINVAL);
	assert_int_equal(pk_change_null(ch, "nope"), PK_EINVAL);
	assert_false(pk_change_is_set(ch, "titel"));
	assert_int_equal(pk_change_text(ch, "title", "ok"), PK_OK);
	assert_string_equal(pk_change_get_text(ch, "title"), "ok");
	assert_int_equal(pk_change_null(ch, "title"), PK_OK);
	assert_true(pk_change_is_set(ch, "title"));
	assert_null(pk_change_get_text(ch, "title"));
	pk_change_free(&ch);
}

/* --- update ------------------------------------------------------------- */

static void test_update_two_fields(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "Renamed");
	pk_change_int(ch, "priority", 1);
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	assert_int_equal(pk_change_count(ch), 2);
	assert_true(pk_change_differs(ch, "title"));
	assert_true(pk_change_differs(ch, "priority"));
	pk_change_free(&ch);

	assert_int_equal(count(db, "history"), 3);
	char *v = sql_text(db, "SELECT group_concat(field || ':' || old_value || '>' || new_value, "
			       "' ') FROM (SELECT * FROM history WHERE id > 1 ORDER BY id)");
	/* fields in the entity's order */
	assert_string_equal(v, "title:First>Renamed priority:3>1");
	free(v);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history WHERE actor = 'alice' "
				     "AND entity = 'ticket'"),
			 3);

	assert_int_equal(count(db, "oplog"), 3);
	v = sql_text(db, "SELECT group_concat(op || ':' || field || '=' || value, ' ') FROM "
			 "(SELECT * FROM oplog WHERE id > 1 ORDER BY id)");
	assert_string_equal(v, "set:title=\"Renamed\" set:priority=1");
	free(v);
	assert_int_equal(int_of(db,
				"SELECT count(*) FROM oplog WHERE entity_uuid = '%s' "
				"AND origin = 'TEST' AND actor = 'alice'",
				uuid),
			 3);

	v = text_of(db, "SELECT title || '/' || priority FROM tickets WHERE uuid = '%s'", uuid);
	assert_string_equal(v, "Renamed/1");
	free(v);
	free(uuid);
}

static void test_update_to_null(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "assignee", "bob");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_null(ch, "assignee");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	assert_int_equal(pk_change_count(ch), 1);
	pk_change_free(&ch);

	char *v = sql_text(db, "SELECT old_value || '|' || ifnull(new_value, 'NULL') FROM history "
			       "ORDER BY id DESC LIMIT 1");
	assert_string_equal(v, "bob|NULL");
	free(v);
	v = sql_text(db, "SELECT field || '=' || value FROM oplog ORDER BY id DESC LIMIT 1");
	assert_string_equal(v, "assignee=null");
	free(v);
	assert_int_equal(int_of(db, "SELECT assignee IS NULL FROM tickets WHERE uuid = '%s'", uuid),
			 1);
	free(uuid);
}

static void test_update_nothing_changes(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "First");
	pk_change_int(ch, "priority", 3);
	pk_change_text(ch, "ref", "TEST-1"); /* immutable, but unchanged */
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	assert_int_equal(pk_change_count(ch), 0);
	assert_false(pk_change_differs(ch, "title"));
	pk_change_free(&ch);
	assert_int_equal(count(db, "history"), 1);
	assert_int_equal(count(db, "oplog"), 1);
	free(uuid);
}

static void test_update_nolog_field(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_int(ch, "updated_at", T_NOW + 60);
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	/* derived: the row changes, neither history nor oplog */
	assert_int_equal(pk_change_count(ch), 0);
	pk_change_free(&ch);
	assert_int_equal(int_of(db, "SELECT updated_at FROM tickets WHERE uuid = '%s'", uuid),
			 T_NOW + 60);
	assert_int_equal(count(db, "history"), 1);
	assert_int_equal(count(db, "oplog"), 1);
	free(uuid);
}

static void test_update_immutable_refused(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "Sneaky");
	pk_change_text(ch, "ref", "TEST-99");
	assert_int_equal(pk_change_apply(db, ch), PK_EINVAL);
	assert_int_equal(pk_db_error(db)->code, PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "ref");
	pk_change_free(&ch);

	ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_int(ch, "created_at", T_NOW - 3600);
	assert_int_equal(pk_change_apply(db, ch), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "created_at");
	pk_change_free(&ch);

	char *v = text_of(db,
			  "SELECT ref || '/' || title || '/' || created_at FROM tickets "
			  "WHERE uuid = '%s'",
			  uuid);
	char *want = pk_xasprintf("TEST-1/First/%lld", (long long)T_NOW);
	assert_string_equal(v, want);
	free(v);
	free(want);
	assert_int_equal(count(db, "history"), 1);
	assert_int_equal(count(db, "oplog"), 1);
	assert_false(pk_db_in_transaction(db));
	free(uuid);
}

static void test_update_not_found(void **state)
{
	struct pk_db *db = DB(state);
	free(create_ticket(db, "TEST-1", "First"));
	const char *ghost = "01900000-0000-7000-8000-00000000dead";
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, ghost);
	pk_change_text(ch, "title", "Nobody");
	assert_int_equal(pk_change_apply(db, ch), PK_ENOTFOUND);
	assert_int_equal(pk_db_error(db)->code, PK_ENOTFOUND);
	assert_contains(pk_db_error(db)->msg, ghost);
	pk_change_free(&ch);
	assert_int_equal(count(db, "history"), 1);
	assert_int_equal(count(db, "oplog"), 1);
	assert_false(pk_db_in_transaction(db));
}

/* --- the hybrid logical clock ------------------------------------------- */

static void test_hlc_strictly_increasing(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	for (int i = 0; i < 20; i++) {
		struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
		char title[32];
		snprintf(title, sizeof(title), "Title %d", i);
		pk_change_text(ch, "title", title);
		pk_change_int(ch, "urgency", 1 + i % 4);
		assert_int_equal(pk_change_apply(db, ch), PK_OK);
		pk_change_free(&ch);
	}
	free(create_ticket(db, "TEST-2", "Second"));
	assert_true(count(db, "oplog") > 30);
	/* no event has an hlc at or below any earlier one */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog a JOIN oplog b ON b.id > a.id "
				     "WHERE b.hlc <= a.hlc"),
			 0);
	/* the physical part is PICKET_NOW */
	assert_int_equal(sql_int(db, "SELECT min(hlc) >> 16 FROM oplog"), T_NOW * 1000);
	free(uuid);
}

static void test_hlc_next_monotonic(void **state)
{
	struct pk_db *db = DB(state);
	int64_t a = pk_hlc_next(db), b = pk_hlc_next(db), c = pk_hlc_next(db);
	assert_true(a > 0);
	assert_true(b > a);
	assert_true(c > b);
	assert_true(a >> 16 >= T_NOW * 1000);
}

static void test_hlc_survives_clock_going_back(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = create_ticket(db, "TEST-1", "First");
	int64_t first = sql_int(db, "SELECT max(hlc) FROM oplog");
	clock_set("2026-02-01T00:00:00Z"); /* the wall clock steps back */
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "Later");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	assert_true(sql_int(db, "SELECT hlc FROM oplog ORDER BY id DESC LIMIT 1") > first);
	free(uuid);
}

static void test_hlc_monotonic_across_handles(void **state)
{
	(void)state;
	char *dir = fx_tmpdir("hlc");
	char *path = pk_xasprintf("%s/test.db", dir);
	struct pk_config *cfg = fx_config();
	struct pk_db *db = NULL;
	struct pk_error err;
	assert_int_equal(pk_db_open(path, PK_DB_CREATE, cfg, "alice", &db, &err), PK_OK);
	char *uuid = create_ticket(db, "TEST-1", "First");
	int64_t before = sql_int(db, "SELECT max(hlc) FROM oplog");
	pk_db_close(&db);
	assert_int_equal(pk_db_open(path, 0, cfg, "bob", &db, &err), PK_OK);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "Reopened by bob");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	assert_true(sql_int(db, "SELECT hlc FROM oplog ORDER BY id DESC LIMIT 1") > before);
	char *actor = sql_text(db, "SELECT actor FROM history ORDER BY id DESC LIMIT 1");
	assert_string_equal(actor, "bob");
	free(actor);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
	assert_int_equal(res.checked, 2);
	pk_db_close(&db);
	pk_config_free(&cfg);
	char *wal = pk_xasprintf("%s-wal", path), *shm = pk_xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
	free(wal);
	free(shm);
	free(path);
	free(dir);
	free(uuid);
}

/* A new file gets 16 KiB pages; one made with SQLite's 4 KiB keeps them
 * and is written as before. */
static void test_page_size(void **state)
{
	(void)state;
	char *dir = fx_tmpdir("pages");
	char *fresh = pk_xasprintf("%s/new.db", dir), *old = pk_xasprintf("%s/old.db", dir);
	struct pk_config *cfg = fx_config();
	struct pk_db *db = NULL;
	struct pk_error err;
	assert_int_equal(pk_db_open(fresh, PK_DB_CREATE, cfg, "alice", &db, &err), PK_OK);
	assert_int_equal(sql_int(db, "PRAGMA page_size"), 16384);
	pk_db_close(&db);
	char *cmd =
		pk_xasprintf("cp '%s' '%s' && sqlite3 '%s' 'PRAGMA journal_mode=DELETE; "
			     "PRAGMA page_size=4096; VACUUM; PRAGMA journal_mode=WAL' >/dev/null",
			     fresh, old, old);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pk_db_open(old, 0, cfg, "alice", &db, &err), PK_OK);
	assert_int_equal(sql_int(db, "PRAGMA page_size"), 4096);
	free(create_ticket(db, "TEST-1", "Kept in small pages"));
	assert_int_equal(sql_int(db, "SELECT count(*) FROM tickets"), 1);
	pk_db_close(&db);
	assert_int_equal(pk_db_open(old, 0, cfg, "alice", &db, &err), PK_OK);
	assert_int_equal(sql_int(db, "PRAGMA page_size"), 4096);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM tickets"), 1);
	pk_db_close(&db);
	pk_config_free(&cfg);
	free(cmd);
	fx_rmdir(&dir);
	free(fresh);
	free(old);
}

/* --- nested transactions ------------------------------------------------ */

static void on_commit(void *data)
{
	(*(int *)data)++;
}

static void test_nested_commit(void **state)
{
	struct pk_db *db = DB(state);
	int calls = 0;
	pk_db_observe(db, on_commit, &calls);
	assert_int_equal(pk_db_begin(db), PK_OK);
	assert_true(pk_db_in_transaction(db));
	free(create_ticket(db, "TEST-1", "One"));
	free(create_ticket(db, "TEST-2", "Two"));
	assert_int_equal(calls, 0); /* not before the outermost commit */
	assert_int_equal(pk_db_commit(db), PK_OK);
	assert_false(pk_db_in_transaction(db));
	assert_int_equal(calls, 1);
	assert_int_equal(count(db, "tickets"), 2);
	assert_int_equal(count(db, "history"), 2);
	assert_int_equal(count(db, "oplog"), 2);
}

static void test_nested_inner_rollback_dooms_outer(void **state)
{
	struct pk_db *db = DB(state);
	int calls = 0;
	pk_db_observe(db, on_commit, &calls);
	assert_int_equal(pk_db_begin(db), PK_OK);
	free(create_ticket(db, "TEST-1", "One"));
	assert_int_equal(pk_db_begin(db), PK_OK);
	free(create_ticket(db, "TEST-2", "Two"));
	pk_db_rollback(db); /* inner level */
	assert_true(pk_db_in_transaction(db));
	free(create_ticket(db, "TEST-3", "Three"));
	assert_int_not_equal(pk_db_commit(db), PK_OK);
	assert_false(pk_db_in_transaction(db));
	assert_int_equal(calls, 0);
	assert_int_equal(count(db, "tickets"), 0);
	assert_int_equal(count(db, "history"), 0);
	assert_int_equal(count(db, "oplog"), 0);

	/* the handle works normally afterwards */
	free(create_ticket(db, "TEST-4", "Four"));
	assert_int_equal(count(db, "tickets"), 1);
	assert_int_equal(calls, 1);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
}

static void test_nested_failed_apply_dooms_outer(void **state)
{
	struct pk_db *db = DB(state);
	assert_int_equal(pk_db_begin(db), PK_OK);
	free(create_ticket(db, "TEST-1", "One"));
	struct pk_change *ch = raw_ticket("TEST-1", "Duplicate");
	assert_int_equal(pk_change_apply(db, ch), PK_EINVAL);
	pk_change_free(&ch);
	assert_int_not_equal(pk_db_commit(db), PK_OK);
	assert_int_equal(count(db, "tickets"), 0);
	assert_int_equal(count(db, "history"), 0);
	assert_int_equal(count(db, "oplog"), 0);
}

static void test_outer_rollback_discards_inner_commit(void **state)
{
	struct pk_db *db = DB(state);
	assert_int_equal(pk_db_begin(db), PK_OK);
	assert_int_equal(pk_db_begin(db), PK_OK);
	free(create_ticket(db, "TEST-1", "One"));
	assert_int_equal(pk_db_commit(db), PK_OK); /* inner */
	pk_db_rollback(db);			   /* outer */
	assert_false(pk_db_in_transaction(db));
	assert_int_equal(count(db, "tickets"), 0);
	assert_int_equal(count(db, "history"), 0);
	assert_int_equal(count(db, "oplog"), 0);
	assert_int_not_equal(pk_db_commit(db), PK_OK); /* nothing open */
}

static void test_observer_not_called_without_change(void **state)
{
	struct pk_db *db = DB(state);
	char uuid[40];
	char *u = create_ticket(db, "TEST-1", "One");
	snprintf(uuid, sizeof(uuid), "%s", u);
	free(u); /* nothing on the heap if an assertion below fails */
	int calls = 0;
	pk_db_observe(db, on_commit, &calls);
	/* an update that changes nothing changes no data */
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "One");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	assert_int_equal(calls, 0);
	/* nor does a refused one */
	ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "ref", "TEST-2");
	assert_int_equal(pk_change_apply(db, ch), PK_EINVAL);
	pk_change_free(&ch);
	assert_int_equal(calls, 0);
	/* a real change does */
	ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "Two");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	assert_int_equal(calls, 1);
}

/* --- append-only tables ------------------------------------------------- */

static void test_history_refuses_update_and_delete(void **state)
{
	struct pk_db *db = DB(state);
	free(create_ticket(db, "TEST-1", "One"));
	int rc = sql_exec(db, "UPDATE history SET new_value = 'x' WHERE id = 1");
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	assert_contains(sqlite3_errmsg(pk_db_sqlite(db)), "append-only");
	rc = sql_exec(db, "DELETE FROM history WHERE id = 1");
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	assert_contains(sqlite3_errmsg(pk_db_sqlite(db)), "append-only");
	rc = sql_exec(db, "DELETE FROM history");
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	char *v = sql_text(db, "SELECT new_value FROM history WHERE id = 1");
	assert_string_equal(v, "TEST-1");
	free(v);
	assert_int_equal(count(db, "history"), 1);
}

static void test_oplog_refuses_delete_and_update(void **state)
{
	struct pk_db *db = DB(state);
	free(create_ticket(db, "TEST-1", "One"));
	int rc = sql_exec(db, "DELETE FROM oplog");
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	assert_contains(sqlite3_errmsg(pk_db_sqlite(db)), "append-only");
	const char *updates[] = {
		"UPDATE oplog SET value = '{}'",      "UPDATE oplog SET hlc = 1",
		"UPDATE oplog SET origin = 'EVIL'",   "UPDATE oplog SET actor = 'mallory'",
		"UPDATE oplog SET entity_uuid = 'x'", "UPDATE oplog SET at = 0",
		"UPDATE oplog SET field = 'title'",   "UPDATE oplog SET op = 'set'",
		"UPDATE oplog SET event_uuid = 'x'",  "UPDATE oplog SET pushed = 1, value = '1'",
	};
	for (size_t i = 0; i < PK_ARRAY_LEN(updates); i++) {
		rc = sql_exec(db, updates[i]);
		if ((rc & 0xff) != SQLITE_CONSTRAINT)
			fprintf(stderr, "allowed: %s\n", updates[i]);
		assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	}
	assert_int_equal(count(db, "oplog"), 1);
	assert_int_equal(sql_int(db, "SELECT pushed FROM oplog"), 0);
	char *origin = sql_text(db, "SELECT origin FROM oplog");
	assert_string_equal(origin, "TEST");
	free(origin);
}

static void test_oplog_allows_marking_pushed(void **state)
{
	struct pk_db *db = DB(state);
	free(create_ticket(db, "TEST-1", "One"));
	assert_int_equal(sql_exec(db, "UPDATE oplog SET pushed = 1"), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT pushed FROM oplog"), 1);
	assert_int_equal(sql_exec(db, "UPDATE oplog SET pushed = 0 WHERE id = 1"), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT pushed FROM oplog"), 0);
}

/* --- the audit chain ---------------------------------------------------- */

/* Five history entries: create (1), title (2), priority (3), assignee (4),
 * a second ticket's create (5). */
static char *five_entries(struct pk_db *db)
{
	char *uuid = create_ticket(db, "TEST-1", "One");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_text(ch, "title", "One bis");
	pk_change_int(ch, "priority", 2);
	pk_change_text(ch, "assignee", "carol");
	assert_int_equal(pk_change_apply(db, ch), PK_OK);
	pk_change_free(&ch);
	free(create_ticket(db, "TEST-2", "Two"));
	assert_int_equal(count(db, "history"), 5);
	return uuid;
}

static void test_audit_intact(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
	assert_int_equal(res.checked, 0);
	assert_int_equal(res.first_bad, 0);
	free(five_entries(db));
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
	assert_int_equal(res.checked, 5);
	assert_int_equal(res.first_bad, 0);
	/* history ids are 1..N without holes */
	assert_int_equal(sql_int(db, "SELECT max(id) FROM history"), 5);
}

static void test_audit_detects_altered_value(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_update"), SQLITE_OK);
	assert_int_equal(sql_exec(db, "UPDATE history SET new_value = 'x' WHERE id = 3"),
			 SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 3);
	assert_int_equal(res.checked, 2);
	assert_true(res.reason[0] != '\0');
	assert_int_equal(pk_db_error(db)->code, PK_EAUDIT);
	assert_contains(pk_db_error(db)->msg, "3");
}

static void test_audit_detects_altered_metadata(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_update"), SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(sql_exec(db, "UPDATE history SET actor = 'mallory' WHERE id = 4"),
			 SQLITE_OK);
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 4);
	assert_int_equal(sql_exec(db, "UPDATE history SET actor = 'alice' WHERE id = 4"),
			 SQLITE_OK);
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
	assert_int_equal(sql_exec(db, "UPDATE history SET at = at - 1 WHERE id = 1"), SQLITE_OK);
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 1);
}

static void test_audit_detects_null_swap(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_update"), SQLITE_OK);
	/* NULL and '' must hash differently */
	assert_int_equal(sql_exec(db, "UPDATE history SET old_value = '' WHERE id = 1"), SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 1);
}

static void test_audit_detects_deleted_row(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_delete"), SQLITE_OK);
	assert_int_equal(sql_exec(db, "DELETE FROM history WHERE id = 3"), SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 4);
	assert_int_equal(res.checked, 2);
}

static void test_audit_detects_deleted_first_row(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_delete"), SQLITE_OK);
	assert_int_equal(sql_exec(db, "DELETE FROM history WHERE id = 1"), SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 2);
}

static void test_audit_detects_deleted_last_row(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_delete"), SQLITE_OK);
	/* removing the newest entries hides the latest changes: the chain
	 * must know where it ends (e.g. the head kept elsewhere) */
	assert_int_equal(sql_exec(db, "DELETE FROM history WHERE id = 5"), SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 5);
}

static void test_audit_detects_forged_row(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "INSERT INTO history(id, at, actor, entity, entity_uuid, "
				      "field, old_value, new_value, hash) VALUES (6, 0, 'mallory', "
				      "'ticket', 'x', 'title', NULL, 'forged', zeroblob(32))"),
			 SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 6);
	assert_int_equal(res.checked, 5);
}

static void test_audit_detects_reordered_hashes(void **state)
{
	struct pk_db *db = DB(state);
	free(five_entries(db));
	assert_int_equal(sql_exec(db, "DROP TRIGGER history_no_update"), SQLITE_OK);
	/* copy entry 2's hash onto entry 3: a valid hash, in the wrong place */
	assert_int_equal(sql_exec(db, "UPDATE history SET hash = (SELECT hash FROM history "
				      "WHERE id = 2) WHERE id = 3"),
			 SQLITE_OK);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_EAUDIT);
	assert_int_equal(res.first_bad, 3);
}

static int collect_field(struct pk_history *h, void *data)
{
	struct pk_buf *b = data;
	pk_buf_printf(b, "%s%s:%s>%s", b->len ? " " : "", h->field,
		      h->old_value ? h->old_value : "-", h->new_value ? h->new_value : "-");
	assert_string_equal(h->actor, "alice");
	assert_string_equal(h->entity, "ticket");
	assert_int_equal(h->at, T_NOW);
	return 0;
}

static void test_history_list_in_order(void **state)
{
	struct pk_db *db = DB(state);
	char *uuid = five_entries(db);
	struct pk_buf b = { 0 };
	assert_int_equal(pk_history_list(db, uuid, collect_field, &b), PK_OK);
	assert_string_equal(b.data, "created:->TEST-1 title:One>One bis priority:3>2 "
				    "assignee:->carol");
	pk_buf_free(&b);
	free(uuid);
}

int main(void)
{
	unit_init();
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_writes_row),
		T(test_create_one_history_row),
		T(test_create_one_oplog_event),
		T(test_create_keeps_given_uuid),
		T(test_create_constraint_writes_nothing),
		T(test_setter_unknown_field),
		T(test_update_two_fields),
		T(test_update_to_null),
		T(test_update_nothing_changes),
		T(test_update_nolog_field),
		T(test_update_immutable_refused),
		T(test_update_not_found),
		T(test_hlc_strictly_increasing),
		T(test_hlc_next_monotonic),
		T(test_hlc_survives_clock_going_back),
		T(test_hlc_monotonic_across_handles),
		T(test_page_size),
		T(test_nested_commit),
		T(test_nested_inner_rollback_dooms_outer),
		T(test_nested_failed_apply_dooms_outer),
		T(test_outer_rollback_discards_inner_commit),
		T(test_observer_not_called_without_change),
		T(test_history_refuses_update_and_delete),
		T(test_oplog_refuses_delete_and_update),
		T(test_oplog_allows_marking_pushed),
		T(test_audit_intact),
		T(test_audit_detects_altered_value),
		T(test_audit_detects_altered_metadata),
		T(test_audit_detects_null_swap),
		T(test_audit_detects_deleted_row),
		T(test_audit_detects_deleted_first_row),
		T(test_audit_detects_deleted_last_row),
		T(test_audit_detects_forged_row),
		T(test_audit_detects_reordered_hashes),
		T(test_history_list_in_order),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
