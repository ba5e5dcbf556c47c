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

/* The bytes of a file, to show it was left as it was. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct pk_buf b = { 0 };
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pk_buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return pk_buf_detach(&b);
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
	size_t before_len, after_len;
	char *before = slurp(desk, &before_len);
	struct srv_store *st = NULL;
	assert_int_equal(srv_store_open(conf, &st, &err), PK_EDB);
	assert_null(st);
	assert_non_null(strstr(err.msg, "is a picket database, not a picketd store"));
	char *after = slurp(desk, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
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

	free(before);
	free(after);
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
