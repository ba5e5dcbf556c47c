/* picketd's [store] settings, the PostgreSQL store's failures that need
 * no server, the SQLite store's file kept apart from a desk's and its log
 * checkpointed beside the pushes (the stores themselves are tested by
 * tests/sync). */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "conf.h"
#include "store.h"
#include "users.h"
#include "picket/oplog.h"
#include "picket/protocol.h"

static int load_conf(const char *store, struct srv_conf **out, struct pk_error *err)
{
	char *path = fx_tmp_template("picketd.conf");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "[server]\nplain_http = true\n[store]\n%s\n", store);
	fclose(f);
	pk_error_clear(err);
	int rc = srv_conf_load(path, out, err);
	unlink(path);
	free(path);
	return rc;
}

static void test_backend_names(void **state)
{
	(void)state;
	struct srv_conf *conf;
	struct pk_error err;
	assert_int_equal(load_conf("backend = oracle", &conf, &err), PK_ECONFIG);
	assert_non_null(strstr(err.msg, "'oracle' is not a store"));
	assert_non_null(strstr(err.msg, "sqlite, postgresql"));
	assert_null(conf);
	assert_int_equal(load_conf("backend = postgresql", &conf, &err), PK_ECONFIG);
	assert_non_null(strstr(err.msg, "store.conninfo must name the database"));
	assert_int_equal(load_conf("backend = postgresql\nconninfo =", &conf, &err), PK_ECONFIG);
	assert_int_equal(load_conf("backend = postgresql\nconninfo = dbname=picketd", &conf, &err),
			 PK_OK);
	assert_string_equal(conf->backend, "postgresql");
	assert_string_equal(conf->conninfo, "dbname=picketd");
	srv_conf_free(&conf);
	assert_int_equal(load_conf("path = /tmp/x.db", &conf, &err), PK_OK);
	assert_string_equal(conf->backend, "sqlite");
	assert_null(conf->conninfo);
	srv_conf_free(&conf);
}

/* A database nobody serves: the store does not open, and says why. */
static void test_pg_unreachable(void **state)
{
	(void)state;
	struct srv_conf *conf;
	struct srv_store *st = (struct srv_store *)1;
	struct pk_error err;
	char *dir = fx_tmpdir("pg");
	char *line = pk_xasprintf("backend = postgresql\nconninfo = host=%s dbname=none "
				  "connect_timeout=2",
				  dir);
	assert_int_equal(load_conf(line, &conf, &err), PK_OK);
	int rc = srv_store_open(conf, &st, &err);
	assert_int_equal(rc, PK_EBUSY);
	assert_null(st);
	assert_non_null(strstr(err.msg, "PostgreSQL, connecting"));
	srv_conf_free(&conf);
	free(line);
	rmdir(dir);
	free(dir);
}

/* A picket database is not a store, nor a store a picket database:
 * each program refuses the other's file, says what it is and leaves it
 * unchanged. */
static void test_sqlite_file_kinds(void **state)
{
	(void)state;
	char *dir = fx_tmpdir("kinds");
	char *desk = pk_xasprintf("%s/desk.db", dir);
	char *store = pk_xasprintf("%s/store.db", dir);
	struct pk_config *cfg = fx_config();
	struct pk_error err = { 0 };
	struct pk_db *db = NULL;
	assert_int_equal(pk_db_open(desk, PK_DB_CREATE, cfg, "alice", &db, &err), PK_OK);
	pk_db_close(&db);

	struct srv_conf *conf;
	char *line = pk_xasprintf("path = %s", desk);
	assert_int_equal(load_conf(line, &conf, &err), PK_OK);
	/* a copy, to show the file is left as it was */
	char *keep = pk_xasprintf("cp '%s' '%s.before'", desk, desk);
	assert_int_equal(system(keep), 0);
	struct srv_store *st = NULL;
	assert_int_equal(srv_store_open(conf, &st, &err), PK_EDB);
	assert_null(st);
	assert_non_null(strstr(err.msg, "is a picket database, not a picketd store"));
	char *same = pk_xasprintf("cmp -s '%s' '%s.before'", desk, desk);
	assert_int_equal(system(same), 0);
	srv_conf_free(&conf);
	free(line);

	line = pk_xasprintf("path = %s", store);
	assert_int_equal(load_conf(line, &conf, &err), PK_OK);
	assert_int_equal(srv_store_open(conf, &st, &err), PK_OK);
	int64_t head = -1;
	assert_int_equal(st->ops->head(st, &head, &err), PK_OK);
	assert_int_equal(head, 0);
	srv_store_close(&st);
	srv_conf_free(&conf);
	struct stat sb;
	assert_int_equal(stat(store, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(pk_db_open(store, 0, cfg, "alice", &db, &err), PK_EDB);
	assert_null(db);
	assert_non_null(strstr(err.msg, "is a picketd store, not a picket database"));

	free(keep);
	free(same);
	free(line);
	pk_config_free(&cfg);
	fx_rmdir(&dir);
	free(desk);
	free(store);
}

static int collect(const struct pk_event *ev, void *data)
{
	pk_events_add(data, ev);
	return 0;
}

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void push_events(struct srv_store *st, struct pk_events *evs, size_t from, size_t to,
			int pace, const char *wal, off_t *most)
{
	struct srv_user alice = { .name = "alice", .role = SRV_ADMIN };
	struct pk_error err = { 0 };
	for (size_t at = from; at < to; at += 100) {
		struct pk_events part = { .v = evs->v + at, .n = 100, .cap = 100 };
		struct pk_push_result res;
		const char *refusal = NULL;
		int rc = st->ops->push(st, &part, &alice, &res, &refusal, &err);
		if (rc != PK_OK)
			fprintf(stderr, "push: %s\n", err.msg);
		assert_int_equal(rc, PK_OK);
		assert_int_equal(res.accepted, 100);
		pk_push_result_free(&res);
		if (pace)
			usleep(50000); /* as the network would */
		if (file_size(wal) > *most)
			*most = file_size(wal);
	}
}

/* The writer leaves checkpoints to a thread of the store's own: while the
 * store stays open, the pushes' pages reach the file and the log is used
 * again from its start instead of growing with every push, also when the
 * pushes come back to back. */
static void test_sqlite_checkpoints(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	char *body = pk_xcalloc(1, 4001);
	memset(body, 'x', 4000);
	for (int i = 0; i < 4000; i++) {
		body[i % 4000] = (char)('a' + i % 26);
		free(ticket_new(f->db, "Disk full", "description", body, NULL));
	}
	struct pk_events evs = { 0 };
	int64_t last = 0;
	assert_int_equal(pk_oplog_unpushed(f->db, 0, 100000, collect, &evs, &last), PK_OK);
	assert_int_equal(evs.n, 4000);

	char *dir = fx_tmpdir("ckpt");
	char *store = pk_xasprintf("%s/store.db", dir);
	char *wal = pk_xasprintf("%s-wal", store);
	char *line = pk_xasprintf("path = %s", store);
	struct srv_conf *conf;
	struct pk_error err = { 0 };
	assert_int_equal(load_conf(line, &conf, &err), PK_OK);
	struct srv_store *st = NULL;
	assert_int_equal(srv_store_open(conf, &st, &err), PK_OK);
	off_t empty = file_size(store);
	/* 6 pushes of 100 events with pauses: a log of about 5 MiB, past the
	 * thread's threshold (4 MiB), short of the writer's own (8) */
	off_t most = 0;
	push_events(st, &evs, 0, 600, 1, wal, &most);
	/* the pages reach the file while the store is open */
	off_t full = 0;
	for (int i = 0; i < 500 && (full = file_size(store)) < empty + (off_t)(2 << 20); i++)
		usleep(20000);
	if (full < empty + (off_t)(2 << 20))
		fprintf(stderr, "store %lld bytes (empty %lld), log at most %lld\n",
			(long long)full, (long long)empty, (long long)most);
	assert_true(full >= empty + (off_t)(2 << 20));
	/* 34 more back to back, a log of 25 MiB without a checkpoint: it
	 * stays near 8 */
	push_events(st, &evs, 600, 4000, 0, wal, &most);
	if (most >= (off_t)(10 << 20))
		fprintf(stderr, "log at most %lld bytes\n", (long long)most);
	assert_true(most < (off_t)(10 << 20));
	int64_t head = 0;
	assert_int_equal(st->ops->head(st, &head, &err), PK_OK);
	assert_int_equal(head, 4000);
	srv_store_close(&st);
	srv_conf_free(&conf);

	pk_events_free(&evs);
	free(body);
	fx_free(&f);
	fx_rmdir(&dir);
	free(line);
	free(wal);
	free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_names),
		cmocka_unit_test(test_pg_unreachable),
		cmocka_unit_test(test_sqlite_file_kinds),
		cmocka_unit_test(test_sqlite_checkpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
