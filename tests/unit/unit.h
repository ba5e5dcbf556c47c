/* Helpers shared by the unit tests: an in-memory database with a fixed
 * node name, raw SQL probes and ticket shortcuts.  Everything is static
 * inline so a test file that uses only some of it compiles cleanly. */
#ifndef PICKET_TESTS_UNIT_H
#define PICKET_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "picket/clock.h"
#include "picket/config.h"
#include "picket/db.h"
#include "picket/query.h"
#include "picket/status.h"
#include "picket/ticket.h"
#include "picket/util.h"

/* PICKET_NOW as ctest sets it: 2026-03-01T09:00:00Z. */
#define T_NOW INT64_C(1772355600)
#define T_DAY INT64_C(86400)

struct fx {
	struct pk_config *cfg;
	struct pk_db *db;
};

/* Built-in defaults with a fixed node name so refs are predictable. */
static inline struct pk_config *fx_config(void)
{
	struct pk_config *cfg = pk_config_defaults();
	free(cfg->node);
	cfg->node = pk_xstrdup("TEST");
	return cfg;
}

static inline struct pk_db *fx_open(const struct pk_config *cfg)
{
	struct pk_db *db = NULL;
	struct pk_error err = { 0 };
	int rc = pk_db_open(":memory:", PK_DB_CREATE, cfg, "alice", &db, &err);
	if (rc != PK_OK)
		fprintf(stderr, "pk_db_open: %s\n", err.msg);
	assert_int_equal(rc, PK_OK);
	assert_non_null(db);
	return db;
}

static inline struct fx *fx_new(void)
{
	struct fx *f = pk_xcalloc(1, sizeof(*f));
	f->cfg = fx_config();
	f->db = fx_open(f->cfg);
	return f;
}

static inline void fx_free(struct fx **pf)
{
	struct fx *f = *pf;
	if (!f)
		return;
	pk_db_close(&f->db);
	pk_config_free(&f->cfg);
	free(f);
	*pf = NULL;
}

/* The first column of the first row of `sql` as a number (-1: no row). */
static inline int64_t sql_int(struct pk_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(pk_db_sqlite(db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(pk_db_sqlite(db)));
	assert_int_equal(rc, SQLITE_OK);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text; NULL for SQL NULL or no
 * row.  The caller frees it. */
static inline char *sql_text(struct pk_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(pk_db_sqlite(db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(pk_db_sqlite(db)));
	assert_int_equal(rc, SQLITE_OK);
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* Runs raw SQL; returns the SQLite result code. */
static inline int sql_exec(struct pk_db *db, const char *sql)
{
	return sqlite3_exec(pk_db_sqlite(db), sql, NULL, NULL, NULL);
}

/* Creates a ticket from field/value pairs (NULL-terminated) put with
 * import rights; returns its ref (caller frees).  Fails the test on any
 * error. */
static inline char *ticket_new(struct pk_db *db, const char *title, ...)
{
	struct pk_change *ch = pk_ticket_draft(db);
	int rc = pk_ticket_put(db, ch, "title", title, 0);
	va_list ap;
	va_start(ap, title);
	for (const char *k; rc == PK_OK && (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		rc = pk_ticket_put(db, ch, k, v, 1);
	}
	va_end(ap);
	char *ref = NULL;
	if (rc == PK_OK)
		rc = pk_ticket_insert(db, ch, &ref);
	if (rc != PK_OK)
		fprintf(stderr, "ticket_new(%s): %s\n", title, pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
	pk_change_free(&ch);
	return ref;
}

static inline struct pk_ticket *ticket_get(struct pk_db *db, const char *key)
{
	struct pk_ticket *t = NULL;
	int rc = pk_ticket_get(db, key, &t);
	if (rc != PK_OK)
		fprintf(stderr, "ticket_get(%s): %s\n", key, pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
	assert_non_null(t);
	return t;
}

/* Sets one field of an existing ticket through pk_ticket_save; returns
 * the status. */
static inline int ticket_set(struct pk_db *db, const char *ref, const char *field,
			     const char *value)
{
	struct pk_ticket *t = ticket_get(db, ref);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	int rc = pk_ticket_put(db, ch, field, value, 0);
	if (rc == PK_OK)
		rc = pk_ticket_save(db, t, ch, NULL);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	return rc;
}

static inline int ticket_count(struct pk_db *db)
{
	return (int)sql_int(db, "SELECT count(*) FROM tickets");
}

/* Changes PICKET_NOW for the rest of a test. */
static inline void clock_set(const char *when)
{
	setenv("PICKET_NOW", when, 1);
	pk_clock_reset();
}

static inline void clock_restore(void)
{
	clock_set("2026-03-01T09:00:00Z");
}

/* The environment ctest gives every unit test, for runs by hand. */
static inline void unit_init(void)
{
	setenv("PICKET_NOW", "2026-03-01T09:00:00Z", 0);
	setenv("PICKET_USER", "alice", 0);
	pk_clock_reset();
}

/* Collecting the refs of a ticket list, space separated. */
static inline int collect_ref(struct pk_ticket *t, void *data)
{
	struct pk_buf *b = data;
	if (b->len)
		pk_buf_putc(b, ' ');
	pk_buf_puts(b, t->ref);
	return 0;
}

/* Runs `text` as a query; returns the refs found, space separated (caller
 * frees). */
static inline char *query_refs_flags(struct pk_db *db, const char *text, int flags)
{
	struct pk_query *q = NULL;
	struct pk_error err = { 0 };
	int rc = pk_query_compile(pk_db_config(db), pk_db_user(db), pk_clock_now(), text, flags, &q,
				  &err);
	if (rc != PK_OK)
		fprintf(stderr, "query '%s': %s (column %d)\n", text, err.msg, err.pos);
	assert_int_equal(rc, PK_OK);
	struct pk_buf b = { 0 };
	rc = pk_ticket_list(db, q, -1, collect_ref, &b);
	if (rc != PK_OK)
		fprintf(stderr, "list '%s': %s\n", text, pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
	pk_query_free(&q);
	return pk_buf_detach(&b);
}

static inline char *query_refs(struct pk_db *db, const char *text)
{
	return query_refs_flags(db, text, 0);
}

#define assert_query(db, text, expect)                                                             \
	do {                                                                                       \
		char *got_ = query_refs((db), (text));                                             \
		if (strcmp(got_, (expect)) != 0)                                                   \
			fprintf(stderr, "query '%s': expected [%s], got [%s]\n", (text), (expect), \
				got_);                                                             \
		assert_string_equal(got_, (expect));                                               \
		free(got_);                                                                        \
	} while (0)

#define assert_contains(hay, needle)                                                        \
	do {                                                                                \
		const char *h_ = (hay);                                                     \
		if (!h_ || !strstr(h_, (needle)))                                           \
			fprintf(stderr, "'%s' does not contain '%s'\n", h_ ? h_ : "(null)", \
				(needle));                                                  \
		assert_non_null(h_);                                                        \
		assert_non_null(strstr(h_, (needle)));                                      \
	} while (0)

/* "$TMPDIR/picket-NAME-XXXXXX": a template for mkstemp/mkdtemp (the X's
 * are the template, not a placeholder).  Owned by the caller. */
static inline char *fx_tmp_template(const char *name)
{
	const char *dir = getenv("TMPDIR");
	return pk_xasprintf("%s/picket-%s-XXXXXX", dir && *dir ? dir : "/tmp", name);
}

/* A new private directory for a test that needs files.  Owned by the
 * caller. */
static inline char *fx_tmpdir(const char *name)
{
	char *dir = fx_tmp_template(name);
	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Removes a directory of fx_tmpdir() with what it holds, and frees its
 * name. */
static inline void fx_rmdir(char **dir)
{
	char *cmd = pk_xasprintf("rm -rf '%s'", *dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(*dir);
	*dir = NULL;
}

/* The usual cmocka fixture: a fresh database per test. */
static inline int fx_setup(void **state)
{
	*state = fx_new();
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	fx_free(&f);
	clock_restore();
	return 0;
}

static inline struct pk_db *fx_db(void **state)
{
	return ((struct fx *)*state)->db;
}

#endif
