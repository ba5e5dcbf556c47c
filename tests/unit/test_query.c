/* query.c: the query language, compiled and run against a real database.
 *
 * The desk used by every test (PICKET_NOW = 2026-03-01T09:00:00Z, user
 * alice, node TEST; created and updated in 2026):
 *
 *   ref    type     status      P  i u assignee group   class         created     updated
 *   TEST-1 incident new         P1 1 1 -        network UNCLASSIFIED  03-01 09:00 03-01 09:00
 *   TEST-2 request  assigned    P3 3 3 alice    desktop RESTRICTED    02-27 10:00 02-27 10:00
 *   TEST-3 incident in_progress P2 2 2 bob      netops  CONFIDENTIAL  02-15 12:00 02-28 12:00
 *   TEST-4 request  closed      P4 4 4 alice    desktop SECRET        01-10 08:00 03-01 08:00
 *   TEST-5 problem  resolved    P1 2 1 bob      network TOP SECRET    02-28 23:30 02-28 23:30
 *
 * Full text: TEST-1 "Disk full on mail server" / "The var partition of mx1
 * is full"; TEST-5 "Mail queue stuck" / "disk full again on the mail
 * relay"; TEST-3 has a comment "firewall rule reverted".
 */
#include "unit.h"

static int setup_desk(void **state)
{
	struct fx *f = fx_new();
	struct pk_db *db = f->db;
	char *r[5];
	r[0] = ticket_new(db, "Disk full on mail server", "description",
			  "The var partition of mx1 is full", "type", "incident", "impact", "1",
			  "urgency", "1", "group", "network", NULL);
	r[1] = ticket_new(db, "Printer jam on floor 3", "description", "Tray 2 keeps jamming",
			  "type", "request", "impact", "3", "urgency", "3", "status", "assigned",
			  "assignee", "alice", "group", "desktop", "classification", "RESTRICTED",
			  "created_at", "2026-02-27T10:00:00Z", NULL);
	r[2] = ticket_new(db, "VPN gateway unreachable", "description",
			  "Remote users cannot connect", "type", "incident", "impact", "2",
			  "urgency", "2", "status", "in_progress", "assignee", "bob", "group",
			  "netops", "classification", "CONFIDENTIAL", "created_at",
			  "2026-02-15T12:00:00Z", "updated_at", "2026-02-28T12:00:00Z", NULL);
	r[3] = ticket_new(db, "Password reset for carol", "description", "Locked out again", "type",
			  "request", "impact", "4", "urgency", "4", "status", "closed",
			  "resolution", "done", "assignee", "alice", "group", "desktop",
			  "classification", "SECRET", "created_at", "2026-01-10T08:00:00Z",
			  "updated_at", "2026-03-01T08:00:00Z", NULL);
	r[4] = ticket_new(db, "Mail queue stuck", "description",
			  "disk full again on the mail relay", "type", "problem", "impact", "2",
			  "urgency", "1", "status", "resolved", "resolution", "purged", "assignee",
			  "bob", "group", "network", "classification", "TOP_SECRET", "created_at",
			  "2026-02-28T23:30:00Z", NULL);
	for (int i = 0; i < 5; i++) {
		char want[16];
		snprintf(want, sizeof(want), "TEST-%d", i + 1);
		assert_string_equal(r[i], want);
		free(r[i]);
	}
	struct pk_ticket *t = ticket_get(db, "TEST-3");
	assert_int_equal(pk_comment_add(db, t, "public", "firewall rule reverted", 0, "bob",
					1772280000 /* 2026-02-28T12:00Z */, NULL),
			 PK_OK);
	pk_ticket_free(&t);
	*state = f;
	return 0;
}

static int teardown_desk(void **state)
{
	struct fx *f = *state;
	fx_free(&f);
	return 0;
}

static struct pk_db *DB(void **state)
{
	return ((struct fx *)*state)->db;
}

/* Compiling `text` must fail with PK_EQUERY at column `pos`, the message
 * naming `needle`. */
static void assert_query_error(void **state, const char *text, int pos, const char *needle)
{
	struct pk_db *db = DB(state);
	struct pk_query *q = (struct pk_query *)1;
	struct pk_error err;
	memset(&err, 0, sizeof(err));
	int rc = pk_query_compile(pk_db_config(db), "alice", T_NOW, text, 0, &q, &err);
	if (rc != PK_EQUERY || err.pos != pos)
		fprintf(stderr, "query '%s': rc %d, column %d (expected %d): %s\n", text, rc,
			err.pos, pos, err.msg);
	assert_int_equal(rc, PK_EQUERY);
	assert_int_equal(err.code, PK_EQUERY);
	assert_null(q);
	assert_int_equal(err.pos, pos);
	if (needle)
		assert_contains(err.msg, needle);
}

/* --- the fixture itself ------------------------------------------------- */

static void test_fixture_as_described(void **state)
{
	struct pk_db *db = DB(state);
	assert_int_equal(ticket_count(db), 5);
	struct pk_ticket *t = ticket_get(db, "TEST-5");
	assert_int_equal(t->priority, 1);
	assert_string_equal(t->classification, "TOP SECRET");
	assert_int_equal(t->created_at, 1772321400);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-3");
	assert_int_equal(t->priority, 2);
	assert_int_equal(t->updated_at, 1772280000);
	pk_ticket_free(&t);
}

/* --- no filter and status ----------------------------------------------- */

static void test_empty_query_all_by_priority(void **state)
{
	assert_query(DB(state), "", "TEST-1 TEST-5 TEST-3 TEST-2 TEST-4");
	assert_query(DB(state), "   ", "TEST-1 TEST-5 TEST-3 TEST-2 TEST-4");
	char *got = query_refs(DB(state), NULL);
	assert_string_equal(got, "TEST-1 TEST-5 TEST-3 TEST-2 TEST-4");
	free(got);
}

static void test_status_open(void **state)
{
	assert_query(DB(state), "status:open", "TEST-1 TEST-3 TEST-2");
}

static void test_status_list(void **state)
{
	assert_query(DB(state), "status:new,assigned", "TEST-1 TEST-2");
	assert_query(DB(state), "status:closed", "TEST-4");
	assert_query(DB(state), "status:resolved,closed", "TEST-5 TEST-4");
}

static void test_status_negated(void **state)
{
	assert_query(DB(state), "-status:closed", "TEST-1 TEST-5 TEST-3 TEST-2");
	assert_query(DB(state), "-status:open", "TEST-5 TEST-4");
}

/* --- priority, impact, urgency ------------------------------------------ */

static void test_priority_comparison(void **state)
{
	assert_query(DB(state), "priority:<=P2", "TEST-1 TEST-5 TEST-3");
	assert_query(DB(state), "priority:>P2", "TEST-2 TEST-4");
	assert_query(DB(state), "priority:P1", "TEST-1 TEST-5");
	assert_query(DB(state), "priority:1", "TEST-1 TEST-5");
	assert_query(DB(state), "priority:!=P1", "TEST-3 TEST-2 TEST-4");
}

static void test_priority_list(void **state)
{
	assert_query(DB(state), "priority:P1,P3", "TEST-1 TEST-5 TEST-2");
	assert_query(DB(state), "priority:p4,p2", "TEST-3 TEST-4");
}

static void test_impact_and_urgency(void **state)
{
	assert_query(DB(state), "impact:>2", "TEST-2 TEST-4");
	assert_query(DB(state), "impact:2", "TEST-5 TEST-3");
	assert_query(DB(state), "urgency:1", "TEST-1 TEST-5");
	assert_query(DB(state), "urgency:>=3 impact:<4", "TEST-2");
}

/* --- people and groups -------------------------------------------------- */

static void test_assignee_me(void **state)
{
	assert_query(DB(state), "assignee:me", "TEST-2 TEST-4");
	assert_query(DB(state), "assignee:bob", "TEST-5 TEST-3");
}

static void test_assignee_none(void **state)
{
	assert_query(DB(state), "assignee:none", "TEST-1");
	assert_query(DB(state), "-assignee:none", "TEST-5 TEST-3 TEST-2 TEST-4");
}

static void test_assignee_negated_includes_unassigned(void **state)
{
	/* "not bob's" includes the tickets nobody holds */
	assert_query(DB(state), "-assignee:bob", "TEST-1 TEST-2 TEST-4");
}

static void test_group_prefix(void **state)
{
	assert_query(DB(state), "group:net*", "TEST-1 TEST-5 TEST-3");
	assert_query(DB(state), "group:network", "TEST-1 TEST-5");
	assert_query(DB(state), "group:net", "");
	assert_query(DB(state), "group:desktop,netops", "TEST-3 TEST-2 TEST-4");
}

static void test_group_prefix_escapes_like(void **state)
{
	/* % and _ in a prefix are literal, not LIKE wildcards */
	assert_query(DB(state), "group:%*", "");
	assert_query(DB(state), "group:n_t*", "");
}

/* --- type and classification -------------------------------------------- */

static void test_type(void **state)
{
	assert_query(DB(state), "type:incident", "TEST-1 TEST-3");
	assert_query(DB(state), "type:request,problem", "TEST-5 TEST-2 TEST-4");
	assert_query(DB(state), "-type:incident", "TEST-5 TEST-2 TEST-4");
}

static void test_classification(void **state)
{
	assert_query(DB(state), "classification:>=CONFIDENTIAL", "TEST-5 TEST-3 TEST-4");
	assert_query(DB(state), "classification:<CONFIDENTIAL", "TEST-1 TEST-2");
	assert_query(DB(state), "classification:top_secret", "TEST-5");
	assert_query(DB(state), "class:restricted", "TEST-2");
	assert_query(DB(state), "classification:\"TOP SECRET\"", "TEST-5");
}

/* --- dates -------------------------------------------------------------- */

static void test_created_relative(void **state)
{
	assert_query(DB(state), "created:>-7d", "TEST-1 TEST-5 TEST-2");
	assert_query(DB(state), "created:-7d", "TEST-1 TEST-5 TEST-2");
	assert_query(DB(state), "created:<-7d", "TEST-3 TEST-4");
	assert_query(DB(state), "created:>-12h", "TEST-1 TEST-5");
}

static void test_created_day(void **state)
{
	assert_query(DB(state), "created:2026-03-01", "TEST-1");
	assert_query(DB(state), "created:2026-02-28", "TEST-5");
	assert_query(DB(state), "created:2026-02-20", "");
}

static void test_created_today_yesterday(void **state)
{
	assert_query(DB(state), "created:today", "TEST-1");
	assert_query(DB(state), "created:yesterday", "TEST-5");
}

static void test_created_day_comparisons(void **state)
{
	assert_query(DB(state), "created:<2026-02-15", "TEST-4");
	assert_query(DB(state), "created:<=2026-02-15", "TEST-3 TEST-4");
	assert_query(DB(state), "created:>2026-02-28", "TEST-1");
	assert_query(DB(state), "created:>=2026-02-28", "TEST-1 TEST-5");
	assert_query(DB(state), "created:>=2026-02-27T10:00", "TEST-1 TEST-5 TEST-2");
}

static void test_updated_dates(void **state)
{
	assert_query(DB(state), "updated:today", "TEST-1 TEST-4");
	assert_query(DB(state), "updated:2026-02-28", "TEST-5 TEST-3");
}

/* --- full text ---------------------------------------------------------- */

static void test_text_word(void **state)
{
	/* newest first without a sort */
	assert_query(DB(state), "disk", "TEST-5 TEST-1");
	assert_query(DB(state), "DISK", "TEST-5 TEST-1");
	assert_query(DB(state), "printer", "TEST-2");
	assert_query(DB(state), "nothingmatches", "");
}

static void test_text_words_are_anded(void **state)
{
	assert_query(DB(state), "disk relay", "TEST-5");
	assert_query(DB(state), "server mail", "TEST-1");
}

static void test_text_phrase(void **state)
{
	assert_query(DB(state), "\"mail server\"", "TEST-1");
	assert_query(DB(state), "\"server mail\"", "");
	assert_query(DB(state), "\"disk full again\"", "TEST-5");
	assert_query(DB(state), "\"disk full\"", "TEST-5 TEST-1");
}

static void test_text_prefix(void **state)
{
	assert_query(DB(state), "unreach*", "TEST-3");
	assert_query(DB(state), "print*", "TEST-2");
	assert_query(DB(state), "pass*", "TEST-4");
}

static void test_text_negated(void **state)
{
	assert_query(DB(state), "-disk", "TEST-3 TEST-2 TEST-4");
	assert_query(DB(state), "mail -relay", "TEST-1");
	assert_query(DB(state), "-\"disk full again\"", "TEST-1 TEST-3 TEST-2 TEST-4");
}

static void test_text_title_only(void **state)
{
	assert_query(DB(state), "title:disk", "TEST-1");
	assert_query(DB(state), "title:mail", "TEST-5 TEST-1");
	assert_query(DB(state), "description:disk", "TEST-5");
	assert_query(DB(state), "-title:mail", "TEST-3 TEST-2 TEST-4");
}

static void test_text_comments(void **state)
{
	assert_query(DB(state), "firewall", "TEST-3");
	assert_query(DB(state), "comments:firewall", "TEST-3");
	assert_query(DB(state), "title:firewall", "");
}

static void test_text_with_filters(void **state)
{
	assert_query(DB(state), "disk status:open", "TEST-1");
	assert_query(DB(state), "mail sort:created", "TEST-5 TEST-1");
	assert_query(DB(state), "full -status:resolved priority:P1", "TEST-1");
}

static void test_text_rank(void **state)
{
	char *got = query_refs_flags(DB(state), "disk", PK_Q_RANK);
	assert_true(strcmp(got, "TEST-1 TEST-5") == 0 || strcmp(got, "TEST-5 TEST-1") == 0);
	free(got);
	got = query_refs(DB(state), "full sort:rank");
	assert_true(strcmp(got, "TEST-1 TEST-5") == 0 || strcmp(got, "TEST-5 TEST-1") == 0);
	free(got);
}

static void test_text_fts_syntax_is_literal(void **state)
{
	/* FTS5 operators typed by a person are words, never syntax errors */
	assert_query(DB(state), "NEAR(disk", "");
	assert_query(DB(state), "disk)", "TEST-5 TEST-1");
	assert_query(DB(state), "AND", "");
	assert_query(DB(state), "title:x\"y", "");
	assert_query(DB(state), "\"say \\\"hi\\\"\"", "");
}

/* --- sorting ------------------------------------------------------------ */

static void test_sort_priority(void **state)
{
	assert_query(DB(state), "sort:-priority", "TEST-1 TEST-5 TEST-3 TEST-2 TEST-4");
	assert_query(DB(state), "sort:priority", "TEST-4 TEST-2 TEST-3 TEST-1 TEST-5");
}

static void test_sort_created(void **state)
{
	assert_query(DB(state), "sort:created", "TEST-4 TEST-3 TEST-2 TEST-5 TEST-1");
	assert_query(DB(state), "sort:-created", "TEST-1 TEST-5 TEST-2 TEST-3 TEST-4");
}

static void test_sort_updated(void **state)
{
	assert_query(DB(state), "sort:-updated", "TEST-1 TEST-4 TEST-5 TEST-3 TEST-2");
	assert_query(DB(state), "sort:updated", "TEST-2 TEST-3 TEST-5 TEST-4 TEST-1");
}

static void test_sort_multiple_keys(void **state)
{
	assert_query(DB(state), "sort:group,-created", "TEST-2 TEST-4 TEST-3 TEST-1 TEST-5");
	assert_query(DB(state), "sort:ref", "TEST-1 TEST-2 TEST-3 TEST-4 TEST-5");
}

/* --- combinations and counts -------------------------------------------- */

static void test_combined(void **state)
{
	assert_query(DB(state), "status:open group:net* sort:created", "TEST-3 TEST-1");
	assert_query(DB(state), "type:incident,problem priority:P1 -status:resolved", "TEST-1");
	assert_query(DB(state), "assignee:me status:open", "TEST-2");
	assert_query(DB(state),
		     "classification:>=RESTRICTED created:>-30d -type:problem "
		     "sort:-updated",
		     "TEST-3 TEST-2");
}

static void test_count_and_limit(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_query *q = NULL;
	struct pk_error err;
	assert_int_equal(
		pk_query_compile(pk_db_config(db), "alice", T_NOW, "status:open", 0, &q, &err),
		PK_OK);
	long n = -1;
	assert_int_equal(pk_ticket_count(db, q, &n), PK_OK);
	assert_int_equal(n, 3);
	struct pk_buf b = { 0 };
	assert_int_equal(pk_ticket_list(db, q, 2, collect_ref, &b), PK_OK);
	assert_string_equal(b.data, "TEST-1 TEST-3");
	pk_buf_free(&b);
	pk_query_free(&q);
	assert_null(q);

	assert_int_equal(pk_query_compile(pk_db_config(db), "alice", T_NOW, "disk", 0, &q, &err),
			 PK_OK);
	assert_int_equal(pk_ticket_count(db, q, &n), PK_OK);
	assert_int_equal(n, 2);
	pk_query_free(&q);
}

static void test_me_means_the_given_user(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_query *q = NULL;
	struct pk_error err;
	assert_int_equal(
		pk_query_compile(pk_db_config(db), "bob", T_NOW, "assignee:me", 0, &q, &err),
		PK_OK);
	struct pk_buf b = { 0 };
	assert_int_equal(pk_ticket_list(db, q, -1, collect_ref, &b), PK_OK);
	assert_string_equal(b.data, "TEST-5 TEST-3");
	pk_buf_free(&b);
	pk_query_free(&q);
}

/* --- bound parameters --------------------------------------------------- */

static void test_injection_is_bound(void **state)
{
	struct pk_db *db = DB(state);
	const char *text = "group:\"x'; DROP TABLE tickets; --\"";
	struct pk_query *q = NULL;
	struct pk_error err;
	assert_int_equal(pk_query_compile(pk_db_config(db), "alice", T_NOW, text, 0, &q, &err),
			 PK_OK);
	assert_null(strstr(q->sql_where, "DROP"));
	assert_null(strstr(q->sql_from, "DROP"));
	int found = 0;
	for (int i = 0; i < q->nparams; i++)
		if (!q->params[i].is_int &&
		    strcmp(q->params[i].s, "x'; DROP TABLE tickets; --") == 0)
			found = 1;
	assert_true(found);
	pk_query_free(&q);

	assert_query(db, text, "");
	assert_query(db, "assignee:\"' OR 1=1 --\"", "");
	assert_query(db, "title:\"'); DELETE FROM tickets; --\"", "");
	assert_query(db, "ref:TEST-1'--", "");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				     "AND name = 'tickets'"),
			 1);
	assert_int_equal(ticket_count(db), 5);
}

/* --- errors with their column ------------------------------------------- */

static void test_error_unknown_field(void **state)
{
	assert_query_error(state, "foo:bar", 1, "foo");
	assert_query_error(state, "status:open foo:bar", 13, "foo");
	assert_query_error(state, "disk -colour:red", 6, "colour");
}

static void test_error_unknown_status(void **state)
{
	assert_query_error(state, "status:bogus", 8, "bogus");
	assert_query_error(state, "type:incident status:new,bogus", 26, "bogus");
	assert_query_error(state, "  -status:opne", 11, "opne");
}

static void test_error_bad_priority(void **state)
{
	assert_query_error(state, "priority:P9", 10, "P9");
	assert_query_error(state, "status:open priority:<=P7", 22, "<=P7");
	assert_query_error(state, "priority:P1,high", 13, "high");
	assert_query_error(state, "impact:P2", 8, "P2");
	assert_query_error(state, "urgency:5", 9, "5");
}

static void test_error_bad_date(void **state)
{
	assert_query_error(state, "created:2026-02-30", 9, "2026-02-30");
	assert_query_error(state, "status:open created:>yesterdayish", 21, "yesterdayish");
	assert_query_error(state, "updated:-7x", 9, "-7x");
	assert_query_error(state, "created:today,2026-13-01", 15, "2026-13-01");
}

static void test_error_unterminated_quote(void **state)
{
	assert_query_error(state, "disk \"full on", 6, "unterminated");
	assert_query_error(state, "\"", 1, "unterminated");
	assert_query_error(state, "status:open group:\"net", 19, "unterminated");
}

static void test_error_sort_unknown_key(void **state)
{
	assert_query_error(state, "sort:bogus", 6, "bogus");
	assert_query_error(state, "sort:-bogus", 7, "bogus");
	assert_query_error(state, "status:open sort:priority,bogus", 27, "bogus");
}

static void test_error_sort_rank_without_words(void **state)
{
	assert_query_error(state, "sort:rank", 1, "sort:rank");
}

static void test_error_sort_rank_without_words_column(void **state)
{
	/* the column of the sort:rank token, not of the query */
	assert_query_error(state, "status:open sort:rank", 13, "sort:rank");
}

static void test_error_other(void **state)
{
	assert_query_error(state, "status:", 1, "status");
	assert_query_error(state, "status:open,", 13, NULL);
	assert_query_error(state, "-sort:priority", 1, "sort");
	assert_query_error(state, "classification:COSMIC", 16, "COSMIC");
	assert_query_error(state, "type:bug", 6, "bug");
	assert_query_error(state, "disk *", 6, "*");
}

int main(void)
{
	unit_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_as_described),
		cmocka_unit_test(test_empty_query_all_by_priority),
		cmocka_unit_test(test_status_open),
		cmocka_unit_test(test_status_list),
		cmocka_unit_test(test_status_negated),
		cmocka_unit_test(test_priority_comparison),
		cmocka_unit_test(test_priority_list),
		cmocka_unit_test(test_impact_and_urgency),
		cmocka_unit_test(test_assignee_me),
		cmocka_unit_test(test_assignee_none),
		cmocka_unit_test(test_assignee_negated_includes_unassigned),
		cmocka_unit_test(test_group_prefix),
		cmocka_unit_test(test_group_prefix_escapes_like),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_created_relative),
		cmocka_unit_test(test_created_day),
		cmocka_unit_test(test_created_today_yesterday),
		cmocka_unit_test(test_created_day_comparisons),
		cmocka_unit_test(test_updated_dates),
		cmocka_unit_test(test_text_word),
		cmocka_unit_test(test_text_words_are_anded),
		cmocka_unit_test(test_text_phrase),
		cmocka_unit_test(test_text_prefix),
		cmocka_unit_test(test_text_negated),
		cmocka_unit_test(test_text_title_only),
		cmocka_unit_test(test_text_comments),
		cmocka_unit_test(test_text_with_filters),
		cmocka_unit_test(test_text_rank),
		cmocka_unit_test(test_text_fts_syntax_is_literal),
		cmocka_unit_test(test_sort_priority),
		cmocka_unit_test(test_sort_created),
		cmocka_unit_test(test_sort_updated),
		cmocka_unit_test(test_sort_multiple_keys),
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_count_and_limit),
		cmocka_unit_test(test_me_means_the_given_user),
		cmocka_unit_test(test_injection_is_bound),
		cmocka_unit_test(test_error_unknown_field),
		cmocka_unit_test(test_error_unknown_status),
		cmocka_unit_test(test_error_bad_priority),
		cmocka_unit_test(test_error_bad_date),
		cmocka_unit_test(test_error_unterminated_quote),
		cmocka_unit_test(test_error_sort_unknown_key),
		cmocka_unit_test(test_error_sort_rank_without_words),
		cmocka_unit_test(test_error_sort_rank_without_words_column),
		cmocka_unit_test(test_error_other),
	};
	return cmocka_run_group_tests(tests, setup_desk, teardown_desk);
}
