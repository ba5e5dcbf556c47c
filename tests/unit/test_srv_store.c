/* picketd's [store] settings and the PostgreSQL store's failures that need
 * no server (the store itself is tested by tests/sync with a real one). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_names),
		cmocka_unit_test(test_pg_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
