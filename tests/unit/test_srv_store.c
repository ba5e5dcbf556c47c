/* picketd's [store] settings, the PostgreSQL store's failures that need
 * no server, and the SQLite store's file kept apart from a desk's (the
 * stores themselves are tested by tests/sync). */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "conf.h"
#include "store.h"

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
	char *rm = pk_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(desk);
	free(store);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_names),
		cmocka_unit_test(test_pg_unreachable),
		cmocka_unit_test(test_sqlite_file_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
