/* config.c: built-in defaults, INI files, and errors that name the key. */
#include <ctype.h>
#include <unistd.h>

#include "unit.h"

#include "picket/policy.h"

/* Writes `text` to a new temporary file; returns its path (caller frees
 * and unlinks). */
static char *write_ini(const char *text)
{
	char *path = fx_tmp_template("config");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Loads `text` as an explicit config file; returns the status, *out set
 * on success, err filled on failure. */
static int load_text(const char *text, struct pk_config **out, struct pk_error *err)
{
	char *path = write_ini(text);
	pk_error_clear(err);
	int rc = pk_config_load(path, out, err);
	unlink(path);
	free(path);
	return rc;
}

static void assert_config_error(const char *text, const char *needle1, const char *needle2)
{
	struct pk_config *cfg = (struct pk_config *)1;
	struct pk_error err;
	int rc = load_text(text, &cfg, &err);
	if (rc != PK_ECONFIG)
		fprintf(stderr, "expected PK_ECONFIG for:\n%s\ngot %d (%s)\n", text, rc, err.msg);
	assert_int_equal(rc, PK_ECONFIG);
	assert_int_equal(err.code, PK_ECONFIG);
	assert_null(cfg);
	assert_contains(err.msg, needle1);
	if (needle2)
		assert_contains(err.msg, needle2);
}

/* --- defaults ----------------------------------------------------------- */

static void test_defaults_node_derived_from_host(void **state)
{
	(void)state;
	struct pk_config *cfg = pk_config_defaults();
	char *node = pk_identity_node();
	assert_string_equal(cfg->node, node);
	size_t n = strlen(node);
	assert_true(n >= 1 && n <= 8);
	for (const char *p = node; *p; p++)
		assert_true(isdigit((unsigned char)*p) || isupper((unsigned char)*p));
	assert_null(cfg->path);
	assert_null(cfg->db_path);
	free(node);
	pk_config_free(&cfg);
	assert_null(cfg);
}

static void test_defaults_levels(void **state)
{
	(void)state;
	struct pk_config *cfg = pk_config_defaults();
	assert_int_equal(cfg->nlevels, 5);
	assert_string_equal(cfg->levels[0], "UNCLASSIFIED");
	assert_string_equal(cfg->levels[1], "RESTRICTED");
	assert_string_equal(cfg->levels[2], "CONFIDENTIAL");
	assert_string_equal(cfg->levels[3], "SECRET");
	assert_string_equal(cfg->levels[4], "TOP SECRET");
	assert_int_equal(cfg->system_high, 4);
	assert_int_equal(cfg->default_level, 0);
	assert_int_equal(pk_class_rank(cfg, "top_secret"), 4);
	assert_int_equal(pk_class_rank(cfg, "Confidential"), 2);
	assert_int_equal(pk_class_rank(cfg, "COSMIC"), -1);
	char *v = pk_config_value(cfg, "classification.system_high");
	assert_string_equal(v, "TOP SECRET");
	free(v);
	v = pk_config_value(cfg, "classification.default");
	assert_string_equal(v, "UNCLASSIFIED");
	free(v);
	pk_config_free(&cfg);
}

static void test_defaults_matrix_and_scalars(void **state)
{
	(void)state;
	struct pk_config *cfg = pk_config_defaults();
	static const int expect[4][4] = {
		{ 1, 1, 2, 3 }, { 1, 2, 3, 3 }, { 2, 3, 3, 4 }, { 3, 3, 4, 4 }
	};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			assert_int_equal(cfg->matrix[i][j], expect[i][j]);
			assert_int_equal(pk_priority_of(cfg, i + 1, j + 1), expect[i][j]);
		}
	assert_int_equal(pk_priority_of(cfg, 0, 1), 0);
	assert_int_equal(pk_priority_of(cfg, 1, 5), 0);
	assert_string_equal(cfg->default_type, "incident");
	assert_int_equal(cfg->default_impact, 3);
	assert_int_equal(cfg->default_urgency, 3);
	assert_int_equal(cfg->busy_timeout_ms, 5000);
	pk_config_free(&cfg);
}

static void test_defaults_workflow(void **state)
{
	(void)state;
	struct pk_config *cfg = pk_config_defaults();
	const struct pk_workflow *wf = &cfg->wf;
	assert_int_equal(wf->nstatus, 9);
	assert_string_equal(wf->status[0], "new");
	assert_true(pk_wf_is_closed(wf, "resolved"));
	assert_true(pk_wf_is_closed(wf, "closed"));
	assert_false(pk_wf_is_closed(wf, "new"));
	assert_false(pk_wf_is_closed(wf, "reopened"));
	assert_true(pk_wf_allowed(wf, "new", "assigned"));
	assert_true(pk_wf_allowed(wf, "resolved", "reopened"));
	assert_true(pk_wf_allowed(wf, "resolved", "closed"));
	assert_false(pk_wf_allowed(wf, "new", "reopened"));
	assert_false(pk_wf_allowed(wf, "closed", "reopened"));
	assert_false(pk_wf_allowed(wf, "new", "bogus"));
	struct pk_buf b = { 0 };
	pk_wf_targets(wf, "resolved", &b);
	assert_string_equal(b.data, "reopened closed");
	pk_buf_free(&b);
	pk_wf_targets(wf, "closed", &b);
	assert_true(b.data == NULL || b.data[0] == '\0');
	pk_buf_free(&b);
	pk_config_free(&cfg);
}

static void test_key_table_and_values(void **state)
{
	(void)state;
	size_t n = 0;
	const struct pk_config_key *keys = pk_config_keys(&n);
	assert_true(n >= 10);
	struct pk_config *cfg = pk_config_defaults();
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strchr(keys[i].name, '.'));
		assert_non_null(keys[i].help);
		if (strstr(keys[i].name, "<status>"))
			continue; /* stands for one key per status */
		char *v = pk_config_value(cfg, keys[i].name);
		assert_non_null(v);
		free(v);
	}
	assert_null(pk_config_value(cfg, "core.nope"));
	char *moves = pk_config_value(cfg, "transitions.resolved");
	assert_non_null(moves);
	assert_non_null(strstr(moves, "reopened"));
	assert_non_null(strstr(moves, "closed"));
	free(moves);
	assert_null(pk_config_value(cfg, "transitions.bogus"));
	char *v = pk_config_value(cfg, "priority.matrix");
	assert_string_equal(v, "1 1 2 3, 1 2 3 3, 2 3 3 4, 3 3 4 4");
	free(v);
	pk_config_free(&cfg);
}

static void test_identity_user_from_env(void **state)
{
	(void)state;
	char *u = pk_identity_user();
	assert_string_equal(u, "alice");
	free(u);
	setenv("PICKET_USER", "bob", 1);
	u = pk_identity_user();
	assert_string_equal(u, "bob");
	free(u);
	setenv("PICKET_USER", "alice", 1);
}

/* --- loading a file ----------------------------------------------------- */

static const char custom_ini[] = "; a site configuration\n"
				 "[core]\n"
				 "node = lab7\n"
				 "\n"
				 "[db]\n"
				 "path = /srv/picket/desk.db\n"
				 "busy_timeout = 250\n"
				 "\n"
				 "[classification]\n"
				 "levels = PUBLIC, INTERNAL, SENSITIVE, SECRET\n"
				 "system_high = internal\n"
				 "default = public\n"
				 "\n"
				 "[priority]\n"
				 "matrix = 4 4 4 4, 3 3 3 3, 2 2 2 2, 1 1 1 2\n"
				 "\n"
				 "[defaults]\n"
				 "type = request\n"
				 "impact = 2\n"
				 "urgency = 1\n"
				 "\n"
				 "[workflow]\n"
				 "statuses = todo, doing, blocked, done\n"
				 "closed = done\n"
				 "\n"
				 "[transitions]\n"
				 "todo = doing, done\n"
				 "doing = todo, blocked, done\n"
				 "blocked = doing\n"
				 "done = todo\n";

static void test_load_custom_file(void **state)
{
	(void)state;
	struct pk_config *cfg = NULL;
	struct pk_error err;
	char *path = write_ini(custom_ini);
	int rc = pk_config_load(path, &cfg, &err);
	if (rc != PK_OK)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, PK_OK);
	assert_string_equal(cfg->path, path);
	assert_string_equal(cfg->node, "LAB7");
	assert_string_equal(cfg->db_path, "/srv/picket/desk.db");
	assert_int_equal(cfg->busy_timeout_ms, 250);
	assert_int_equal(cfg->nlevels, 4);
	assert_string_equal(cfg->levels[0], "PUBLIC");
	assert_string_equal(cfg->levels[3], "SECRET");
	assert_int_equal(cfg->system_high, 1);
	assert_int_equal(cfg->default_level, 0);
	assert_int_equal(cfg->matrix[0][0], 4);
	assert_int_equal(cfg->matrix[1][3], 3);
	assert_int_equal(cfg->matrix[3][3], 2);
	assert_int_equal(pk_priority_of(cfg, 4, 1), 1);
	assert_string_equal(cfg->default_type, "request");
	assert_int_equal(cfg->default_impact, 2);
	assert_int_equal(cfg->default_urgency, 1);
	char *v = pk_config_value(cfg, "classification.system_high");
	assert_string_equal(v, "INTERNAL");
	free(v);
	v = pk_config_value(cfg, "core.node");
	assert_string_equal(v, "LAB7");
	free(v);
	unlink(path);
	free(path);
	pk_config_free(&cfg);
}

static void test_load_custom_workflow(void **state)
{
	(void)state;
	struct pk_config *cfg = NULL;
	struct pk_error err;
	assert_int_equal(load_text(custom_ini, &cfg, &err), PK_OK);
	const struct pk_workflow *wf = &cfg->wf;
	assert_int_equal(wf->nstatus, 4);
	assert_string_equal(wf->status[0], "todo");
	assert_string_equal(wf->status[3], "done");
	assert_true(pk_wf_is_closed(wf, "done"));
	assert_false(pk_wf_is_closed(wf, "blocked"));
	assert_true(pk_wf_allowed(wf, "todo", "doing"));
	assert_true(pk_wf_allowed(wf, "doing", "blocked"));
	assert_true(pk_wf_allowed(wf, "done", "todo"));
	assert_false(pk_wf_allowed(wf, "todo", "blocked"));
	assert_false(pk_wf_allowed(wf, "blocked", "done"));
	assert_int_equal(pk_wf_index(wf, "new"), -1);
	struct pk_buf b = { 0 };
	pk_wf_targets(wf, "doing", &b);
	assert_string_equal(b.data, "todo blocked done");
	pk_buf_free(&b);
	pk_config_free(&cfg);
}

static void test_load_partial_file_keeps_defaults(void **state)
{
	(void)state;
	struct pk_config *cfg = NULL;
	struct pk_error err;
	assert_int_equal(load_text("[core]\nnode = Site2\n", &cfg, &err), PK_OK);
	assert_string_equal(cfg->node, "SITE2");
	assert_int_equal(cfg->nlevels, 5);
	assert_int_equal(cfg->system_high, 4);
	assert_int_equal(cfg->matrix[0][2], 2);
	assert_int_equal(cfg->wf.nstatus, 9);
	assert_string_equal(cfg->default_type, "incident");
	pk_config_free(&cfg);
}

static void test_load_from_picket_config_env(void **state)
{
	(void)state;
	char *path = write_ini("[core]\nnode = envnode\n");
	setenv("PICKET_CONFIG", path, 1);
	struct pk_config *cfg = NULL;
	struct pk_error err;
	int rc = pk_config_load(NULL, &cfg, &err);
	unsetenv("PICKET_CONFIG");
	assert_int_equal(rc, PK_OK);
	assert_string_equal(cfg->node, "ENVNODE");
	assert_string_equal(cfg->path, path);
	pk_config_free(&cfg);
	unlink(path);
	free(path);
}

static void test_load_no_default_file_is_fine(void **state)
{
	(void)state;
	char *empty = fx_tmpdir("noconf");
	char *old_xdg = pk_xstrdup(getenv("XDG_CONFIG_HOME"));
	setenv("XDG_CONFIG_HOME", empty, 1);
	unsetenv("PICKET_CONFIG");
	struct pk_config *cfg = NULL;
	struct pk_error err;
	int rc = pk_config_load(NULL, &cfg, &err);
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(rc, PK_OK);
	/* /etc/picket/picket.conf may exist on a developer machine */
	if (access("/etc/picket/picket.conf", F_OK) != 0)
		assert_null(cfg->path);
	assert_true(cfg->nlevels > 0);
	pk_config_free(&cfg);
	rmdir(empty);
	free(empty);
	free(old_xdg);
}

static void test_load_reduced_statuses(void **state)
{
	(void)state;
	/* built-in moves to statuses the site dropped are left out */
	struct pk_config *cfg = NULL;
	struct pk_error err;
	int rc = load_text("[workflow]\nstatuses = new, in_progress, resolved, closed\n", &cfg,
			   &err);
	if (rc != PK_OK)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, PK_OK);
	assert_int_equal(cfg->wf.nstatus, 4);
	assert_true(pk_wf_allowed(&cfg->wf, "new", "in_progress"));
	assert_true(pk_wf_allowed(&cfg->wf, "in_progress", "resolved"));
	assert_true(pk_wf_allowed(&cfg->wf, "resolved", "closed"));
	assert_false(pk_wf_allowed(&cfg->wf, "new", "assigned"));
	pk_config_free(&cfg);
}

/* --- errors ------------------------------------------------------------- */

static void test_user_roles_and_groups(void **state)
{
	struct pk_config *cfg = NULL;
	struct pk_error err = { 0 };
	assert_int_equal(
		load_text("[users]\nalice = supervisor, network\nBob = admin\n", &cfg, &err),
		PK_OK);
	char *role = pk_user_role(cfg, "alice"), *group = pk_user_group(cfg, "alice");
	assert_string_equal(role, "supervisor");
	assert_string_equal(group, "network");
	free(role);
	free(group);
	role = pk_user_role(cfg, "bob"); /* iniparser keys ignore case */
	assert_string_equal(role, "admin");
	assert_null(pk_user_group(cfg, "bob"));
	free(role);
	role = pk_user_role(cfg, "carol");
	assert_string_equal(role, "technician");
	assert_null(pk_user_group(cfg, "carol"));
	free(role);
	pk_config_free(&cfg);
	(void)state;
}

static void test_error_unknown_role(void **state)
{
	assert_config_error("[users]\nbob = wizard\n", "users.bob", "wizard");
	(void)state;
}

static void test_error_missing_explicit_file(void **state)
{
	(void)state;
	struct pk_config *cfg = (struct pk_config *)1;
	struct pk_error err;
	int rc = pk_config_load("/nonexistent/picket/picket.conf", &cfg, &err);
	assert_int_equal(rc, PK_ECONFIG);
	assert_int_equal(err.code, PK_ECONFIG);
	assert_null(cfg);
	assert_contains(err.msg, "/nonexistent/picket/picket.conf");
}

static void test_error_unknown_key(void **state)
{
	(void)state;
	assert_config_error("[core]\nnoed = LAB7\n", "core.noed", NULL);
	assert_config_error("[classification]\nsystem_hihg = SECRET\n",
			    "classification.system_hihg", NULL);
}

static void test_error_unknown_section(void **state)
{
	(void)state;
	assert_config_error("[classfication]\nlevels = A, B\n", "classfication.levels", NULL);
}

static void test_error_unknown_workflow_key(void **state)
{
	(void)state;
	/* a key in [transitions] that is not a status */
	assert_config_error("[transitions]\nnwe = assigned\n", "transitions.nwe", NULL);
	/* moves belong in [transitions], not [workflow] */
	assert_config_error("[workflow]\nnew = assigned\n", "workflow.new", NULL);
}

static void test_error_bad_matrix(void **state)
{
	(void)state;
	/* three rows */
	assert_config_error("[priority]\nmatrix = 1 1 2 3, 1 2 3 3, 2 3 3 4\n", "priority.matrix",
			    NULL);
	/* a value out of range */
	assert_config_error("[priority]\nmatrix = 1 1 2 3, 1 2 3 5, 2 3 3 4, 3 3 4 4\n",
			    "priority.matrix", "'5'");
	/* a short row */
	assert_config_error("[priority]\nmatrix = 1 1 2 3, 1 2 3, 2 3 3 4, 3 3 4 4\n",
			    "priority.matrix", "row 2");
	/* a long row */
	assert_config_error("[priority]\nmatrix = 1 1 2 3 4, 1 2 3 3, 2 3 3 4, 3 3 4 4\n",
			    "priority.matrix", "row 1");
	/* not a number */
	assert_config_error("[priority]\nmatrix = 1 1 2 3, 1 x 3 3, 2 3 3 4, 3 3 4 4\n",
			    "priority.matrix", "'x'");
}

static void test_error_matrix_too_many_rows(void **state)
{
	(void)state;
	assert_config_error("[priority]\n"
			    "matrix = 1 1 1 1, 1 1 1 1, 1 1 1 1, 1 1 1 1, 1 1 1 1, 1 1 1 1\n",
			    "priority.matrix", NULL);
}

static void test_error_unknown_level(void **state)
{
	(void)state;
	assert_config_error("[classification]\nsystem_high = COSMIC\n",
			    "classification.system_high", "COSMIC");
	assert_config_error("[classification]\ndefault = MAGIC\n", "classification.default",
			    "MAGIC");
	assert_config_error("[classification]\nlevels = LOW, HIGH\nsystem_high = SECRET\n",
			    "classification.system_high", "SECRET");
}

static void test_error_default_above_system_high(void **state)
{
	(void)state;
	assert_config_error("[classification]\nsystem_high = RESTRICTED\ndefault = SECRET\n",
			    "classification.default", "system_high");
}

static void test_error_too_many_levels(void **state)
{
	(void)state;
	assert_config_error("[classification]\n"
			    "levels = L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, "
			    "L14, L15, L16, L17\n",
			    "classification.levels", NULL);
}

static void test_error_invalid_node(void **state)
{
	(void)state;
	assert_config_error("[core]\nnode = lab-7\n", "core.node", "lab-7");
	assert_config_error("[core]\nnode = ABCDEFGHI\n", "core.node", "ABCDEFGHI");
	assert_config_error("[core]\nnode = \"a b\"\n", "core.node", NULL);
}

static void test_error_bad_numbers(void **state)
{
	(void)state;
	assert_config_error("[defaults]\nimpact = 5\n", "defaults.impact", "'5'");
	assert_config_error("[defaults]\nurgency = 0\n", "defaults.urgency", NULL);
	assert_config_error("[db]\nbusy_timeout = soon\n", "db.busy_timeout", "soon");
	assert_config_error("[db]\nbusy_timeout = -1\n", "db.busy_timeout", NULL);
}

static void test_error_bad_type(void **state)
{
	(void)state;
	assert_config_error("[defaults]\ntype = bug\n", "defaults.type", "bug");
}

static void test_error_bad_workflow(void **state)
{
	(void)state;
	assert_config_error("[transitions]\nnew = assigned, bogus\n", "transitions.new", "bogus");
	assert_config_error("[workflow]\nclosed = resolved, finished\n", "workflow.closed",
			    "finished");
	assert_config_error("[workflow]\nstatuses = new, In Progress\n", "workflow.statuses",
			    "In Progress");
}

static void test_error_syntax(void **state)
{
	(void)state;
	char *path = write_ini("[core]\nthis line has no equals sign\n");
	struct pk_config *cfg = (struct pk_config *)1;
	struct pk_error err;
	int rc = pk_config_load(path, &cfg, &err);
	assert_int_equal(rc, PK_ECONFIG);
	assert_null(cfg);
	assert_contains(err.msg, path);
	assert_null(strchr(err.msg, '\n'));
	unlink(path);
	free(path);
}

int main(void)
{
	unit_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_node_derived_from_host),
		cmocka_unit_test(test_user_roles_and_groups),
		cmocka_unit_test(test_error_unknown_role),
		cmocka_unit_test(test_defaults_levels),
		cmocka_unit_test(test_defaults_matrix_and_scalars),
		cmocka_unit_test(test_defaults_workflow),
		cmocka_unit_test(test_key_table_and_values),
		cmocka_unit_test(test_identity_user_from_env),
		cmocka_unit_test(test_load_custom_file),
		cmocka_unit_test(test_load_custom_workflow),
		cmocka_unit_test(test_load_partial_file_keeps_defaults),
		cmocka_unit_test(test_load_reduced_statuses),
		cmocka_unit_test(test_load_from_picket_config_env),
		cmocka_unit_test(test_load_no_default_file_is_fine),
		cmocka_unit_test(test_error_missing_explicit_file),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_unknown_section),
		cmocka_unit_test(test_error_unknown_workflow_key),
		cmocka_unit_test(test_error_bad_matrix),
		cmocka_unit_test(test_error_matrix_too_many_rows),
		cmocka_unit_test(test_error_unknown_level),
		cmocka_unit_test(test_error_default_above_system_high),
		cmocka_unit_test(test_error_too_many_levels),
		cmocka_unit_test(test_error_invalid_node),
		cmocka_unit_test(test_error_bad_numbers),
		cmocka_unit_test(test_error_bad_type),
		cmocka_unit_test(test_error_bad_workflow),
		cmocka_unit_test(test_error_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
