#include "picket/db.h"
#include "picket/sla.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_private.h"
#include "picket/audit.h"
#include "picket/change.h"
#include "picket/i18n.h"
#include "picket/status.h"

sqlite3 *pk_db_sqlite(struct pk_db *db)
{
	return db->h;
}
const struct pk_config *pk_db_config(struct pk_db *db)
{
	return db->cfg;
}
const char *pk_db_user(struct pk_db *db)
{
	return db->user;
}
const char *pk_db_path(struct pk_db *db)
{
	return db->path;
}
const struct pk_error *pk_db_error(struct pk_db *db)
{
	return &db->err;
}
struct pk_error *pk_db_err(struct pk_db *db)
{
	return &db->err;
}

int pk_db_fail(struct pk_db *db, int rc, const char *what)
{
	const char *msg = db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	int code;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return pk_error_set(&db->err, PK_EBUSY,
				    _("%s: the database is busy (another picket is writing); "
				      "try again"),
				    what);
	case SQLITE_READONLY:
		return pk_error_set(&db->err, PK_EDB, _("%s: the database %s is read-only"), what,
				    db->path);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return pk_error_set(&db->err, PK_EDB,
				    _("%s: %s is corrupt or not a picket database (%s)"), what,
				    db->path, msg);
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN: code = PK_EIO; break;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE: code = PK_EINVAL; break;
	default: code = PK_EDB;
	}
	return pk_error_set(&db->err, code, "%s: %s", what, msg);
}

static int profile_cb(unsigned type, void *ctx, void *p, void *x)
{
	struct pk_db *db = ctx;
	sqlite3_stmt *st = p;
	const char *sql = sqlite3_sql(st);
	if (type != SQLITE_TRACE_PROFILE || !sql)
		return 0;
	int i;
	for (i = 0; i < db->nprofile; i++)
		if (strcmp(db->profile[i].sql, sql) == 0)
			break;
	if (i == db->nprofile) {
		db->profile = pk_xrealloc(db->profile, (size_t)(i + 1) * sizeof(*db->profile));
		db->profile[i] = (struct profile_entry){ .sql = pk_xstrdup(sql) };
		db->nprofile++;
	}
	db->profile[i].ns += *(sqlite3_int64 *)x;
	db->profile[i].runs++;
	return 0;
}

static int profile_cmp(const void *a, const void *b)
{
	const struct profile_entry *x = a, *y = b;
	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static void profile_report(struct pk_db *db)
{
	qsort(db->profile, (size_t)db->nprofile, sizeof(*db->profile), profile_cmp);
	for (int i = 0; i < db->nprofile; i++) {
		fprintf(stderr, "%10.3f ms %8lld runs  %.160s\n", (double)db->profile[i].ns / 1e6,
			(long long)db->profile[i].runs, db->profile[i].sql);
		free(db->profile[i].sql);
	}
	free(db->profile);
}

static uint64_t hash_span(uint64_t h, const char *s, size_t n)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* The length and up to 32 bytes at each end, a word at a time: the
 * statements are told apart by strcmp, the hash only spreads them, and a
 * long INSERT hashed byte by byte on every use was 3% of a large pull. */
static uint32_t hash_str(const char *s)
{
	size_t n = strlen(s), k = n < 32 ? n : 32;
	uint64_t h = hash_span(0xcbf29ce484222325ull ^ n, s, k);
	if (n > 32)
		h = hash_span(h, s + n - k, k);
	/* a multiplication carries bits up only: mix the high ones down */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

sqlite3_stmt *pk_db_stmt(struct pk_db *db, const char *sql)
{
	uint32_t i = hash_str(sql) & (STMT_SLOTS - 1);
	for (int probe = 0; probe < STMT_SLOTS; probe++, i = (i + 1) & (STMT_SLOTS - 1)) {
		struct stmt_slot *s = &db->stmts[i];
		if (s->sql && strcmp(s->sql, sql) == 0) {
			sqlite3_reset(s->st);
			sqlite3_clear_bindings(s->st);
			return s->st;
		}
		if (!s->sql) {
			int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
						    &s->st, NULL);
			if (rc != SQLITE_OK) {
				pk_db_fail(db, rc, _("preparing a statement"));
				sqlite3_finalize(s->st);
				s->st = NULL;
				return NULL;
			}
			s->sql = pk_xstrdup(sql);
			return s->st;
		}
	}
	/* The cache is full: hand out a statement nobody else holds. */
	pk_error_set(&db->err, PK_ERR, "statement cache full");
	return NULL;
}

int pk_db_prepare_once(struct pk_db *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return pk_db_fail(db, rc, _("preparing a query"));
	}
	return PK_OK;
}

int64_t pk_db_int(struct pk_db *db, const char *sql)
{
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	if (!st)
		return -1;
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return v;
}

int pk_db_exec(struct pk_db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	if (rc != SQLITE_OK)
		return pk_db_fail(db, rc, _("database"));
	return PK_OK;
}

static void reset_txn_state(struct pk_db *db)
{
	db->depth = 0;
	db->doomed = 0;
	db->wrote = 0;
	db->nfts = 0;
	db->fts_bulk = 0;
	db->have_last_hash = 0;
	db->history_dirty = 0;
	db->have_hlc = 0;
	db->hlc_seen_dirty = 0;
	db->sla_defer = 0;
	db->nsla_pending = 0;
}

int pk_db_begin(struct pk_db *db)
{
	if (db->depth++ > 0)
		return PK_OK;
	if (db->readonly) {
		db->depth = 0;
		return pk_error_set(&db->err, PK_EDB, _("the database %s is read-only"), db->path);
	}
	int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		db->depth = 0;
		return pk_db_fail(db, rc, _("starting a transaction"));
	}
	reset_txn_state(db);
	db->depth = 1;
	return PK_OK;
}

void pk_db_rollback(struct pk_db *db)
{
	if (db->depth == 0)
		return;
	if (--db->depth > 0) {
		db->doomed = 1;
		return;
	}
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	pk_fts_build_rollback(db);
	reset_txn_state(db);
}

int pk_db_commit(struct pk_db *db)
{
	if (db->depth == 0)
		return pk_error_set(&db->err, PK_ERR, "commit outside a transaction");
	if (db->depth > 1) {
		db->depth--;
		return PK_OK;
	}
	if (db->doomed) {
		pk_db_rollback(db);
		return pk_error_set(&db->err, PK_ERR, _("the transaction was rolled back"));
	}
	int rc = pk_sla_defer_flush(db);
	if (rc == PK_OK)
		rc = pk_fts_flush(db);
	if (rc == PK_OK && db->hlc_seen_dirty) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)db->hlc_last);
		rc = pk_db_meta_set(db, "hlc_seen", buf);
	}
	if (rc == PK_OK)
		rc = pk_audit_anchor(db);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	int wrote = db->wrote;
	rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int status = pk_db_fail(db, rc, _("committing"));
		pk_db_rollback(db);
		return status;
	}
	reset_txn_state(db);
	pk_fts_build_commit(db);
	if (wrote)
		for (int i = 0; i < db->nobservers; i++)
			db->observers[i].fn(db->observers[i].data);
	return PK_OK;
}

int pk_db_in_transaction(struct pk_db *db)
{
	return db->depth > 0;
}

void pk_db_observe(struct pk_db *db, pk_db_observer fn, void *data)
{
	if (db->nobservers < MAX_OBSERVERS) {
		db->observers[db->nobservers].fn = fn;
		db->observers[db->nobservers].data = data;
		db->nobservers++;
	}
}

int pk_db_changed_elsewhere(struct pk_db *db)
{
	sqlite3_stmt *st = pk_db_stmt(db, "PRAGMA data_version");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return 0;
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	int changed = db->data_version && v != db->data_version;
	db->data_version = v;
	return changed;
}

int pk_db_meta_get(struct pk_db *db, const char *key, char **value)
{
	*value = NULL;
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT value FROM meta WHERE key = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return PK_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pk_error_set(&db->err, PK_ENOTFOUND, "meta %s", key);
	return pk_db_fail(db, rc, "meta");
}

int pk_db_meta_set(struct pk_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = pk_db_stmt(db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
					  "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, "meta");
}

static int journal_mode(struct pk_db *db, const char *mode)
{
	char sql[64], *got = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	sqlite3_stmt *st;
	if (pk_db_prepare_once(db, sql, &st) != PK_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		got = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	int ok = got && strcasecmp(got, mode) == 0;
	free(got);
	return ok;
}

int pk_db_journal_bulk(struct pk_db *db, int on)
{
	if (on) {
		db->bulk_journal = db->depth == 0 && journal_mode(db, "DELETE");
		return db->bulk_journal;
	}
	if (!db->bulk_journal)
		return 1;
	db->bulk_journal = 0;
	return journal_mode(db, "WAL");
}

int pk_db_bulk_begin(struct pk_db *db)
{
	int rc;
	if (db->depth == 0) {
		/* One large transaction in WAL mode writes every page twice (to
		 * the log, then the checkpoint) and the cache spills into the log
		 * as it goes; a rollback journal appends new pages once. */
		pk_db_journal_bulk(db, 1);
		sqlite3_exec(db->h, "PRAGMA cache_size = -262144", NULL, NULL, NULL);
	}
	if ((rc = pk_db_begin(db)) != PK_OK) {
		pk_db_bulk_end(db, 0);
		return rc;
	}
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT coalesce(max(id), 0) FROM tickets");
	if (!st) {
		rc = db->err.code;
		pk_db_bulk_end(db, 0);
		return rc;
	}
	int sqrc = sqlite3_step(st);
	int64_t last = sqrc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (sqrc != SQLITE_ROW) {
		rc = pk_db_fail(db, sqrc, "bulk");
		pk_db_bulk_end(db, 0);
		return rc;
	}
	db->fts_bulk = 1;
	db->sla_bulk = 1;
	db->fts_rebuild = last == 0;
	db->bulk_first = last + 1;
	return PK_OK;
}

int pk_db_batch_begin(struct pk_db *db)
{
	int rc = pk_db_begin(db);
	if (rc != PK_OK || db->depth > 1)
		return rc; /* nested: the outer transaction decides */
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT coalesce(max(id), 0) FROM tickets");
	if (!st) {
		pk_db_rollback(db);
		return db->err.code;
	}
	int sqrc = sqlite3_step(st);
	int64_t last = sqrc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (sqrc != SQLITE_ROW) {
		rc = pk_db_fail(db, sqrc, "batch");
		pk_db_rollback(db);
		return rc;
	}
	db->fts_bulk = 1;
	db->fts_rebuild = last == 0;
	db->bulk_first = last + 1;
	db->sla_defer = 1;
	return PK_OK;
}

int pk_db_bulk_end(struct pk_db *db, int commit)
{
	int rc = PK_OK;
	if (db->depth > 0) {
		if (commit && (rc = pk_sla_bulk_finish(db)) == PK_OK &&
		    (rc = pk_fts_flush(db)) == PK_OK)
			rc = pk_db_commit(db);
		else
			pk_db_rollback(db);
	}
	db->sla_bulk = 0;
	if (db->depth == 0) {
		sqlite3_exec(db->h, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
		if (!pk_db_journal_bulk(db, 0) && rc == PK_OK)
			rc = pk_error_set(&db->err, PK_EDB,
					  _("cannot return %s to WAL mode after the import"),
					  db->path);
	}
	return rc;
}

/* mkdir -p with mode 0700 for the directories picket creates. */
static int make_dirs(const char *path)
{
	char *copy = pk_xstrdup(path);
	int rc = 0;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(copy);
	return rc;
}

/* One integer PRAGMA (user_version, application_id). */
static int read_pragma(struct pk_db *db, const char *sql, int *value)
{
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(db, sql, &st);
	if (rc != PK_OK)
		return rc;
	int sqrc = sqlite3_step(st);
	*value = sqrc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return sqrc == SQLITE_ROW ? PK_OK : pk_db_fail(db, sqrc, _("reading the schema version"));
}

static int read_version(struct pk_db *db, int *version)
{
	return read_pragma(db, "PRAGMA user_version", version);
}

/* Checks, before anything is written, that the file is a database of the
 * schema asked for (or an empty one) of a version this program knows.  A
 * file of another application is left exactly as it was. */
static int inspect(struct pk_db *db, int *version)
{
	const struct pk_schema *sc = db->schema;
	int app = 0, tables = 0;
	int rc = read_version(db, version);
	if (rc == PK_OK)
		rc = read_pragma(db, "PRAGMA application_id", &app);
	/* a file with neither number is new only when it has no table */
	if (rc == PK_OK && *version == 0 && app == 0)
		rc = read_pragma(db, "SELECT count(*) FROM sqlite_master", &tables);
	if (rc != PK_OK)
		return rc;
	if (tables == 0 && *version == 0 && app == 0)
		return PK_OK; /* new */
	if (app != sc->application_id) {
		const char *is = app == 0 && *version > 0 ? _(pk_desk_schema.what)
				 : app == PK_APP_STORE	  ? _("a picketd store")
							  : _("a database of another program");
		return pk_error_set(&db->err, PK_EDB, _("%s is %s, not %s"), db->path, is,
				    _(sc->what));
	}
	if (*version > sc->nmigrations)
		return pk_error_set(&db->err, PK_ESCHEMA,
				    _("%s has schema version %d; this program knows up to %d: "
				      "upgrade it"),
				    db->path, *version, sc->nmigrations);
	if (*version == 0)
		return pk_error_set(&db->err, PK_EDB, _("%s is an SQLite database but not %s"),
				    db->path, _(sc->what));
	/* The first read past the header: a file whose pages were overwritten
	 * fails here, as corrupt or, when a garbled record claims a huge
	 * length, as too big (which is corruption too, not bad input). */
	sqlite3_stmt *st = NULL;
	int sq = sqlite3_prepare_v2(db->h, "SELECT 1 FROM sqlite_master", -1, &st, NULL);
	sqlite3_finalize(st);
	if ((sq & 0xff) == SQLITE_TOOBIG)
		sq = SQLITE_CORRUPT;
	return sq == SQLITE_OK ? PK_OK : pk_db_fail(db, sq, _("database"));
}

static int migrate(struct pk_db *db, int version)
{
	const struct pk_schema *sc = db->schema;
	int rc;
	if (version == sc->nmigrations)
		return PK_OK;
	if (db->readonly)
		return pk_error_set(&db->err, PK_EDB,
				    _("%s needs a schema upgrade but is opened read-only"),
				    db->path);
	if ((rc = pk_db_begin(db)) != PK_OK)
		return rc;
	/* another picket may have migrated while this one waited for the lock */
	if ((rc = read_version(db, &version)) != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	for (int v = version; v < sc->nmigrations; v++) {
		if ((rc = pk_db_exec(db, sc->migrations[v])) != PK_OK) {
			pk_db_rollback(db);
			return rc;
		}
	}
	/* schema 3 brought the SLA clocks: compute them for the tickets there
	 * (none in a new database, which then records the settings used) */
	long n;
	if (sc == &pk_desk_schema && version < 3 && (rc = pk_sla_recompute(db, &n)) != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	/* a step may have edited sqlite_schema itself (writable_schema):
	 * a new cookie makes every connection parse the schema again */
	int cookie;
	if ((rc = read_pragma(db, "PRAGMA schema_version", &cookie)) != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "PRAGMA schema_version = %lld; PRAGMA user_version = %d; "
		 "PRAGMA application_id = %ld",
		 (long long)cookie + 1, sc->nmigrations, (long)sc->application_id);
	if ((rc = pk_db_exec(db, sql)) != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}

static int cannot_init_wal(sqlite3 *h)
{
	int code = sqlite3_extended_errcode(h) & 0xff;
	return code == SQLITE_READONLY || code == SQLITE_CANTOPEN;
}

/* Opens the SQLite handle; `immutable` opens a read-only file through a URI
 * that tells SQLite nothing will change it (no locks, no WAL index). */
static int open_handle(struct pk_db *db, int immutable)
{
	int oflags = db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	char *name = NULL;
	if (immutable) {
		struct pk_buf uri = { 0 };
		pk_buf_puts(&uri, "file:");
		for (const unsigned char *p = (const unsigned char *)db->path; *p; p++) {
			if (isalnum(*p) || strchr("/-._~", *p))
				pk_buf_putc(&uri, (char)*p);
			else
				pk_buf_printf(&uri, "%%%02X", *p);
		}
		pk_buf_puts(&uri, "?immutable=1");
		name = pk_buf_detach(&uri);
		oflags |= SQLITE_OPEN_URI;
	}
	/* A handle is used by one thread at a time (picketd gives each worker
	 * its own and locks the writer), so SQLite need not lock it on every
	 * call: that was 6% of a large pull. */
	int rc = sqlite3_open_v2(name ? name : db->path, &db->h,
				 oflags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	free(name);
	if (rc != SQLITE_OK)
		return pk_db_fail(db, rc, _("opening the database"));
	sqlite3_extended_result_codes(db->h, 1);
	if (getenv("PICKET_SQL_PROFILE"))
		sqlite3_trace_v2(db->h, SQLITE_TRACE_PROFILE, profile_cb, db);
	sqlite3_busy_timeout(db->h, db->cfg->busy_timeout_ms);
	if (!db->readonly && sqlite3_db_readonly(db->h, "main") == 1)
		return pk_error_set(&db->err, PK_EDB, _("the database %s is read-only"), db->path);
	return PK_OK;
}

int pk_db_open(const char *path, int flags, const struct pk_config *cfg, const char *user,
	       struct pk_db **out, struct pk_error *err)
{
	return pk_db_open_schema(path, flags, &pk_desk_schema, cfg, user, out, err);
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/* Before SQLite starts: nothing reads its memory statistics, and keeping
 * them takes a global mutex on every allocation. */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int pk_db_open_schema(const char *path, int flags, const struct pk_schema *schema,
		      const struct pk_config *cfg, const char *user, struct pk_db **out,
		      struct pk_error *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return pk_error_set(err, PK_ERR, _("cannot initialise libsodium"));
	pthread_once(&sqlite_once, sqlite_setup);
	struct stat sb;
	int memory = strcmp(path, ":memory:") == 0;
	if (!memory && lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return pk_error_set(err, PK_EDB,
				    _("%s is a symbolic link; picket opens only the database file "
				      "itself (give the real path)"),
				    path);
	int exists = memory || stat(path, &sb) == 0;
	if (!memory && exists && S_ISDIR(sb.st_mode))
		return pk_error_set(err, PK_EDB, _("%s is a directory, not a database"), path);
	if (!exists && !(flags & PK_DB_CREATE))
		return pk_error_set(err, PK_ENOTFOUND,
				    _("no database at %s (create one with: picket init)"), path);
	if (!exists) {
		if (make_dirs(path) != 0)
			return pk_error_set(err, PK_EIO, _("cannot create the directory of %s: %s"),
					    path, strerror(errno));
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return pk_error_set(err, PK_EIO, _("cannot create %s: %s"), path,
					    strerror(errno));
		if (fd >= 0)
			close(fd);
	}

	struct pk_db *db = pk_xcalloc(1, sizeof(*db));
	db->path = pk_xstrdup(path);
	db->user = pk_xstrdup(user);
	db->cfg = cfg;
	db->schema = schema;
	db->readonly = (flags & PK_DB_READONLY) != 0;

	int version = 0;
	int status = open_handle(db, 0);
	if (status == PK_OK)
		status = inspect(db, &version);
	if (status != PK_OK && db->readonly && db->h && cannot_init_wal(db->h)) {
		/* Read-only media: WAL needs its index file beside the database
		 * and cannot make one.  Nothing else writes there, so read the
		 * file as immutable. */
		sqlite3_close_v2(db->h);
		db->h = NULL;
		status = open_handle(db, 1);
		if (status == PK_OK)
			status = inspect(db, &version);
	}
	/* picket makes its databases 0600: one of its own that others may
	 * read leaks every ticket (someone else's file, say on read-only
	 * media, is that owner's business; another program's file is told
	 * apart first) */
	if (status == PK_OK && !memory && exists && sb.st_uid == geteuid())
		status = pk_check_private(_("the database"), path, (unsigned)sb.st_mode, &db->err);
	if (status != PK_OK) {
		*err = db->err;
		pk_db_close(&db);
		return status;
	}
	if (db->readonly && version < schema->nmigrations) {
		/* an upgraded picket's first command may be a read: let a short
		 * read-write connection migrate, then read as asked */
		struct pk_db *rw = NULL;
		struct pk_error rwerr = { 0 };
		status = pk_db_open_schema(path, 0, schema, cfg, user, &rw, &rwerr);
		pk_db_close(&rw);
		if (status != PK_OK) {
			*err = rwerr;
			pk_db_close(&db);
			return status;
		}
		version = schema->nmigrations;
	}
	if (db->readonly) {
		status = pk_db_exec(db, "PRAGMA foreign_keys = ON; PRAGMA query_only = ON");
	} else {
		/* A new file gets 16 KiB pages (SQLite's default is 4): a tenth of
		 * the time off a first sync, whose writes are mostly new pages
		 * (tests/bench/RESULTS.md).  Only before the first write: WAL
		 * fixes the size. */
		if (version == 0)
			status = pk_db_exec(db, "PRAGMA page_size = 16384");
		if (status == PK_OK)
			status = pk_db_exec(
				db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				    "PRAGMA foreign_keys = ON");
	}
	if (status == PK_OK)
		status = migrate(db, version);
	if (status != PK_OK) {
		*err = db->err;
		pk_db_close(&db);
		return status;
	}
	*out = db;
	return PK_OK;
}

void pk_db_close(struct pk_db **pdb)
{
	struct pk_db *db = *pdb;
	if (!db)
		return;
	if (db->depth > 0) {
		db->depth = 1;
		pk_db_rollback(db);
	}
	pk_fts_build_abort(db);
	for (int i = 0; i < STMT_SLOTS; i++) {
		if (db->stmts[i].sql) {
			sqlite3_finalize(db->stmts[i].st);
			free(db->stmts[i].sql);
		}
	}
	if (db->h)
		sqlite3_close_v2(db->h);
	if (db->profile)
		profile_report(db);
	for (int i = 0; i < db->nent_sql; i++)
		for (int k = 0; k < PK_SQL_KINDS; k++)
			free(db->ent_sql[i].sql[k]);
	free(db->sla_pending);
	free(db->path);
	free(db->user);
	free(db);
	*pdb = NULL;
}
