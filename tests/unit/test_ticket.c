/* ticket.c: refs, priority, workflow, classification, validation,
 * comments and the full-text index. */
#include <jansson.h>

#include "unit.h"

#include "picket/policy.h"

#define setup	 fx_setup
#define teardown fx_teardown
#define DB	 fx_db

static int64_t history_count(struct pk_db *db)
{
	return sql_int(db, "SELECT count(*) FROM history");
}

static int64_t oplog_count(struct pk_db *db)
{
	return sql_int(db, "SELECT count(*) FROM oplog");
}

/* Moves a ticket to `status`, with optional extra field/value (NULL). */
static int move(struct pk_db *db, const char *ref, const char *status, const char *field,
		const char *value)
{
	struct pk_ticket *t = ticket_get(db, ref);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	int rc = PK_OK;
	if (field)
		rc = pk_ticket_put(db, ch, field, value, 0);
	if (rc == PK_OK)
		rc = pk_ticket_put(db, ch, "status", status, 0);
	if (rc == PK_OK)
		rc = pk_ticket_save(db, t, ch, NULL);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	return rc;
}

static void assert_status(struct pk_db *db, const char *ref, const char *status)
{
	struct pk_ticket *t = ticket_get(db, ref);
	assert_string_equal(t->status, status);
	pk_ticket_free(&t);
}

/* --- refs --------------------------------------------------------------- */

static void test_refs_increment(void **state)
{
	struct pk_db *db = DB(state);
	for (int i = 1; i <= 3; i++) {
		char *ref = ticket_new(db, "Numbered", NULL);
		char want[16];
		snprintf(want, sizeof(want), "TEST-%d", i);
		assert_string_equal(ref, want);
		free(ref);
	}
	/* without ref_out */
	struct pk_change *ch = pk_ticket_draft(db);
	assert_int_equal(pk_ticket_put(db, ch, "title", "Fourth", 0), PK_OK);
	assert_int_equal(pk_ticket_insert(db, ch, NULL), PK_OK);
	pk_change_free(&ch);
	struct pk_ticket *t = ticket_get(db, "TEST-4");
	assert_string_equal(t->title, "Fourth");
	pk_ticket_free(&t);
}

static void test_ref_uses_configured_node(void **state)
{
	(void)state;
	struct pk_config *cfg = fx_config();
	free(cfg->node);
	cfg->node = pk_xstrdup("LUX1");
	struct pk_db *db = fx_open(cfg);
	char *ref = ticket_new(db, "Node", NULL);
	assert_string_equal(ref, "LUX1-1");
	free(ref);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_ticket_get_by_ref_number_uuid(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "One", NULL));
	free(ticket_new(db, "Two", NULL));
	struct pk_ticket *t = ticket_get(db, "test-2");
	assert_string_equal(t->title, "Two");
	char *uuid = pk_xstrdup(t->uuid);
	pk_ticket_free(&t);
	t = ticket_get(db, "2");
	assert_string_equal(t->ref, "TEST-2");
	pk_ticket_free(&t);
	t = ticket_get(db, uuid);
	assert_string_equal(t->ref, "TEST-2");
	pk_ticket_free(&t);
	free(uuid);

	t = (struct pk_ticket *)1;
	assert_int_equal(pk_ticket_get(db, "TEST-99", &t), PK_ENOTFOUND);
	assert_null(t);
	assert_contains(pk_db_error(db)->msg, "TEST-99");
}

static void test_imported_ref_moves_counter(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "First", NULL));
	char *ref = ticket_new(db, "Imported", "ref", "TEST-41", NULL);
	assert_string_equal(ref, "TEST-41");
	free(ref);
	ref = ticket_new(db, "Next", NULL);
	assert_string_equal(ref, "TEST-42");
	free(ref);
	/* a lower imported ref does not move it back */
	free(ticket_new(db, "Old import", "ref", "TEST-5", NULL));
	ref = ticket_new(db, "Next again", NULL);
	assert_string_equal(ref, "TEST-43");
	free(ref);
	/* another node's ref does not move it at all */
	free(ticket_new(db, "Foreign", "ref", "LUX1-99", NULL));
	ref = ticket_new(db, "Still ours", NULL);
	assert_string_equal(ref, "TEST-44");
	free(ref);
	/* case does not matter */
	ref = ticket_new(db, "Lower case", "ref", "test-50", NULL);
	assert_string_equal(ref, "TEST-50");
	free(ref);
	ref = ticket_new(db, "After lower", NULL);
	assert_string_equal(ref, "TEST-51");
	free(ref);
}

static void test_duplicate_ref_refused(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "First", NULL));
	struct pk_change *ch = pk_ticket_draft(db);
	pk_ticket_put(db, ch, "title", "Clash", 0);
	assert_int_equal(pk_ticket_put(db, ch, "ref", "TEST-1", 1), PK_OK);
	assert_int_equal(pk_ticket_insert(db, ch, NULL), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "TEST-1");
	assert_contains(pk_db_error(db)->msg, "exists");
	pk_change_free(&ch);
	assert_int_equal(ticket_count(db), 1);
	assert_int_equal(history_count(db), 1);
	assert_false(pk_db_in_transaction(db));
}

static void test_bad_ref_refused(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = pk_ticket_draft(db);
	const char *bad[] = { "TEST",	"TEST-",	 "-5",	    "TEST-0",
			      "TEST-x", "TOOLONGNODE-1", "TE ST-1", "TEST-+5" };
	for (size_t i = 0; i < PK_ARRAY_LEN(bad); i++) {
		assert_int_equal(pk_ticket_put(db, ch, "ref", bad[i], 1), PK_EINVAL);
		assert_contains(pk_db_error(db)->msg, bad[i]);
	}
	assert_false(pk_change_is_set(ch, "ref"));
	pk_change_free(&ch);
}

/* --- priority ----------------------------------------------------------- */

static int prio_of(struct pk_db *db, const char *ref)
{
	struct pk_ticket *t = ticket_get(db, ref);
	int p = t->priority;
	pk_ticket_free(&t);
	return p;
}

static void test_priority_from_matrix(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Defaults", NULL)); /* 3 x 3 */
	free(ticket_new(db, "Worst", "impact", "1", "urgency", "1", NULL));
	free(ticket_new(db, "Mixed", "impact", "2", "urgency", "4", NULL));
	free(ticket_new(db, "Mixed2", "impact", "4", "urgency", "1", NULL));
	free(ticket_new(db, "Least", "impact", "4", "urgency", "4", NULL));
	assert_int_equal(prio_of(db, "TEST-1"), 3);
	assert_int_equal(prio_of(db, "TEST-2"), 1);
	assert_int_equal(prio_of(db, "TEST-3"), 3);
	assert_int_equal(prio_of(db, "TEST-4"), 3);
	assert_int_equal(prio_of(db, "TEST-5"), 4);
}

static void test_priority_given_wins(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Override", "impact", "4", "urgency", "4", "priority", "P1", NULL));
	assert_int_equal(prio_of(db, "TEST-1"), 1);
}

static void test_priority_custom_matrix(void **state)
{
	(void)state;
	struct pk_config *cfg = fx_config();
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			cfg->matrix[i][j] = 4 - i; /* impact alone decides, inverted */
	struct pk_db *db = fx_open(cfg);
	free(ticket_new(db, "Inverted", "impact", "1", "urgency", "1", NULL));
	assert_int_equal(prio_of(db, "TEST-1"), 4);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_priority_recomputed_on_save(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Grows", NULL));				  /* 3 x 3 = P3 */
	assert_int_equal(ticket_set(db, "TEST-1", "impact", "1"), PK_OK); /* 1 x 3 */
	assert_int_equal(prio_of(db, "TEST-1"), 2);
	assert_int_equal(ticket_set(db, "TEST-1", "urgency", "1"), PK_OK); /* 1 x 1 */
	assert_int_equal(prio_of(db, "TEST-1"), 1);
	assert_int_equal(ticket_set(db, "TEST-1", "impact", "4"), PK_OK); /* 4 x 1 */
	assert_int_equal(prio_of(db, "TEST-1"), 3);
	/* every recomputation is in the history */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history WHERE field = 'priority'"), 3);
	char *v = sql_text(db, "SELECT old_value || '>' || new_value FROM history "
			       "WHERE field = 'priority' ORDER BY id LIMIT 1");
	assert_string_equal(v, "3>2");
	free(v);
}

static void test_priority_given_on_save_wins(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Pinned", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	assert_int_equal(pk_ticket_put(db, ch, "impact", "4", 0), PK_OK);
	assert_int_equal(pk_ticket_put(db, ch, "priority", "P1", 0), PK_OK);
	assert_int_equal(pk_ticket_save(db, t, ch, NULL), PK_OK);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->priority, 1);
	assert_int_equal(t->impact, 4);
	pk_ticket_free(&t);
}

/* --- workflow ----------------------------------------------------------- */

static void test_workflow_allowed_moves(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Flow", NULL));
	assert_int_equal(move(db, "TEST-1", "in_progress", NULL, NULL), PK_OK);
	assert_status(db, "TEST-1", "in_progress");
	assert_int_equal(move(db, "TEST-1", "pending_vendor", NULL, NULL), PK_OK);
	assert_int_equal(move(db, "TEST-1", "in_progress", NULL, NULL), PK_OK);
	assert_status(db, "TEST-1", "in_progress");
	char *v = sql_text(db, "SELECT group_concat(old_value || '>' || new_value, ' ') FROM "
			       "(SELECT * FROM history WHERE field = 'status' ORDER BY id)");
	assert_string_equal(v, "new>in_progress in_progress>pending_vendor "
			       "pending_vendor>in_progress");
	free(v);
}

static void test_workflow_refused_lists_targets(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Flow", NULL));
	int64_t h = history_count(db), o = oplog_count(db);
	assert_int_equal(move(db, "TEST-1", "reopened", NULL, NULL), PK_ETRANSITION);
	const char *msg = pk_db_error(db)->msg;
	assert_int_equal(pk_db_error(db)->code, PK_ETRANSITION);
	assert_contains(msg, "TEST-1");
	assert_contains(msg, "reopened");
	assert_contains(msg, "assigned in_progress pending_customer resolved closed");
	assert_status(db, "TEST-1", "new");
	assert_int_equal(history_count(db), h);
	assert_int_equal(oplog_count(db), o);
	assert_false(pk_db_in_transaction(db));
}

static void test_workflow_refused_other_fields_not_saved(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Flow", NULL));
	assert_int_equal(move(db, "TEST-1", "pending_change", "title", "Changed too"),
			 PK_ETRANSITION);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->title, "Flow");
	assert_string_equal(t->status, "new");
	pk_ticket_free(&t);
}

static void test_workflow_closed_is_final(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Done", NULL));
	assert_int_equal(move(db, "TEST-1", "closed", NULL, NULL), PK_OK);
	assert_int_equal(move(db, "TEST-1", "reopened", NULL, NULL), PK_ETRANSITION);
	assert_contains(pk_db_error(db)->msg, "none");
	assert_int_equal(move(db, "TEST-1", "new", NULL, NULL), PK_ETRANSITION);
	assert_status(db, "TEST-1", "closed");
}

static void test_workflow_same_status_is_no_move(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Stay", NULL));
	int64_t h = history_count(db);
	assert_int_equal(move(db, "TEST-1", "new", NULL, NULL), PK_OK);
	assert_int_equal(history_count(db), h);
}

static void test_assigned_needs_assignee(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Take me", NULL));
	assert_int_equal(move(db, "TEST-1", "assigned", NULL, NULL), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "assignee");
	assert_status(db, "TEST-1", "new");
	assert_int_equal(move(db, "TEST-1", "assigned", "assignee", "bob"), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->status, "assigned");
	assert_string_equal(t->assignee, "bob");
	pk_ticket_free(&t);
}

static void test_assigned_assignee_already_there(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Pre-assigned", "assignee", "carol", NULL));
	assert_int_equal(move(db, "TEST-1", "assigned", NULL, NULL), PK_OK);
	/* clearing the assignee in the same change is not enough */
	free(ticket_new(db, "Second", "assignee", "carol", NULL));
	assert_int_equal(move(db, "TEST-2", "assigned", "assignee", ""), PK_EINVAL);
	assert_status(db, "TEST-2", "new");
}

static void test_assigned_insert_needs_assignee(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = pk_ticket_draft(db);
	pk_ticket_put(db, ch, "title", "Born assigned", 0);
	pk_ticket_put(db, ch, "status", "assigned", 0);
	assert_int_equal(pk_ticket_insert(db, ch, NULL), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "assignee");
	pk_change_free(&ch);
	assert_int_equal(ticket_count(db), 0);
}

static void test_assigned_cannot_lose_assignee(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Held", NULL));
	assert_int_equal(move(db, "TEST-1", "assigned", "assignee", "bob"), PK_OK);
	/* an assigned ticket with nobody on it breaks the rule the move
	 * enforced (and a later import of its export) */
	assert_int_equal(ticket_set(db, "TEST-1", "assignee", ""), PK_EINVAL);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_non_null(t->assignee);
	pk_ticket_free(&t);
}

static void test_resolve_needs_resolution(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Fix me", NULL));
	assert_int_equal(move(db, "TEST-1", "in_progress", NULL, NULL), PK_OK);
	assert_int_equal(move(db, "TEST-1", "resolved", NULL, NULL), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "resolution");
	assert_status(db, "TEST-1", "in_progress");
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", ""), PK_EINVAL);
	assert_status(db, "TEST-1", "in_progress");
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", "Replaced the disk"), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->status, "resolved");
	assert_string_equal(t->resolution, "Replaced the disk");
	assert_int_equal(t->resolved_at, T_NOW);
	assert_int_equal(t->closed_at, 0);
	pk_ticket_free(&t);
	/* times read as times in the history */
	char *v = sql_text(db, "SELECT ifnull(old_value, '-') || '>' || new_value FROM history "
			       "WHERE field = 'resolved_at'");
	assert_string_equal(v, "->2026-03-01T09:00:00Z");
	free(v);
}

static void test_resolved_then_closed_times(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Timeline", NULL));
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", "done"), PK_OK);
	clock_set("2026-03-02T10:00:00Z");
	assert_int_equal(move(db, "TEST-1", "closed", NULL, NULL), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(t->resolved_at, T_NOW);
	assert_int_equal(t->closed_at, T_NOW + T_DAY + 3600);
	assert_int_equal(t->updated_at, T_NOW + T_DAY + 3600);
	pk_ticket_free(&t);
}

static void test_closed_directly_sets_closed_at(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Duplicate", NULL));
	assert_int_equal(move(db, "TEST-1", "closed", NULL, NULL), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(t->closed_at, T_NOW);
	assert_int_equal(t->resolved_at, 0);
	pk_ticket_free(&t);
}

static void test_reopen_clears_resolved_at(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Again", NULL));
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", "rebooted"), PK_OK);
	clock_set("2026-03-01T12:00:00Z");
	assert_int_equal(move(db, "TEST-1", "reopened", NULL, NULL), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->status, "reopened");
	assert_int_equal(t->resolved_at, 0);
	assert_int_equal(t->closed_at, 0);
	/* the old resolution goes (it stays in the history) */
	assert_null(t->resolution);
	pk_ticket_free(&t);
	assert_int_equal(sql_int(db, "SELECT resolved_at IS NULL FROM tickets"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history WHERE field = 'resolution' "
				     "AND old_value = 'rebooted' AND new_value IS NULL"),
			 1);
	/* resolving again needs a new one and stamps the new time */
	assert_int_equal(move(db, "TEST-1", "resolved", NULL, NULL), PK_EINVAL);
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", "replaced"), PK_OK);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->resolved_at, T_NOW + 3 * 3600);
	pk_ticket_free(&t);
}

static void test_reopen_from_closed_clears_both(void **state)
{
	(void)state;
	struct pk_config *cfg = fx_config();
	int closed = pk_wf_index(&cfg->wf, "closed"), reopened = pk_wf_index(&cfg->wf, "reopened");
	cfg->wf.allowed[closed][reopened] = 1;
	struct pk_db *db = fx_open(cfg);
	free(ticket_new(db, "Zombie", NULL));
	assert_int_equal(move(db, "TEST-1", "resolved", "resolution", "ok"), PK_OK);
	assert_int_equal(move(db, "TEST-1", "closed", NULL, NULL), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(t->resolved_at, T_NOW);
	assert_int_equal(t->closed_at, T_NOW);
	pk_ticket_free(&t);
	assert_int_equal(move(db, "TEST-1", "reopened", NULL, NULL), PK_OK);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->resolved_at, 0);
	assert_int_equal(t->closed_at, 0);
	pk_ticket_free(&t);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

/* --- classification ----------------------------------------------------- */

static struct pk_config *low_ceiling(void)
{
	struct pk_config *cfg = fx_config();
	cfg->system_high = 2; /* CONFIDENTIAL */
	return cfg;
}

static void test_class_put_above_ceiling(void **state)
{
	(void)state;
	struct pk_config *cfg = low_ceiling();
	struct pk_db *db = fx_open(cfg);
	struct pk_change *ch = pk_ticket_draft(db);
	assert_int_equal(pk_ticket_put(db, ch, "classification", "SECRET", 0), PK_ECLASS);
	assert_int_equal(pk_db_error(db)->code, PK_ECLASS);
	assert_contains(pk_db_error(db)->msg, "SECRET");
	assert_contains(pk_db_error(db)->msg, "CONFIDENTIAL");
	assert_int_equal(pk_ticket_put(db, ch, "classification", "top_secret", 0), PK_ECLASS);
	assert_string_equal(pk_change_get_text(ch, "classification"), "UNCLASSIFIED");
	assert_int_equal(pk_ticket_put(db, ch, "classification", "confidential", 0), PK_OK);
	assert_string_equal(pk_change_get_text(ch, "classification"), "CONFIDENTIAL");
	pk_change_free(&ch);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_class_insert_above_ceiling(void **state)
{
	(void)state;
	struct pk_config *cfg = low_ceiling();
	struct pk_db *db = fx_open(cfg);
	struct pk_change *ch = pk_ticket_draft(db);
	pk_ticket_put(db, ch, "title", "Too secret", 0);
	/* straight into the change, past pk_ticket_put's check */
	pk_change_text(ch, "classification", "TOP SECRET");
	assert_int_equal(pk_ticket_insert(db, ch, NULL), PK_ECLASS);
	assert_contains(pk_db_error(db)->msg, "TOP SECRET");
	pk_change_free(&ch);
	assert_int_equal(ticket_count(db), 0);
	assert_int_equal(history_count(db), 0);
	assert_int_equal(oplog_count(db), 0);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_class_save_above_ceiling(void **state)
{
	(void)state;
	struct pk_config *cfg = low_ceiling();
	struct pk_db *db = fx_open(cfg);
	free(ticket_new(db, "Ceiling", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_change_text(ch, "classification", "SECRET");
	assert_int_equal(pk_ticket_save(db, t, ch, NULL), PK_ECLASS);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_string_equal(t->classification, "UNCLASSIFIED");
	pk_ticket_free(&t);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_class_unknown_level(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = pk_ticket_draft(db);
	assert_int_equal(pk_ticket_put(db, ch, "classification", "COSMIC", 0), PK_EINVAL);
	assert_contains(pk_db_error(db)->msg, "COSMIC");
	assert_contains(pk_db_error(db)->msg, "RESTRICTED");
	pk_change_free(&ch);
	free(ticket_new(db, "Canonical", "classification", "top_secret", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->classification, "TOP SECRET");
	pk_ticket_free(&t);
}

/* --- field validation --------------------------------------------------- */

/* pk_ticket_put must refuse `value` for `field` with PK_EINVAL, the
 * message naming `needle`, and leave the change's field as it was. */
static void assert_put_refused(struct pk_db *db, const char *field, const char *value, int import,
			       const char *needle)
{
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, "unused");
	int rc = pk_ticket_put(db, ch, field, value, import);
	if (rc != PK_EINVAL)
		fprintf(stderr, "put %s='%s': %d\n", field, value, rc);
	assert_int_equal(rc, PK_EINVAL);
	assert_int_equal(pk_db_error(db)->code, PK_EINVAL);
	if (needle)
		assert_contains(pk_db_error(db)->msg, needle);
	assert_false(pk_change_is_set(ch, field));
	pk_change_free(&ch);
}

static void test_put_unknown_field(void **state)
{
	struct pk_db *db = DB(state);
	assert_put_refused(db, "titel", "x", 0, "titel");
	assert_put_refused(db, "titel", "x", 1, "titel");
	assert_put_refused(db, "id", "5", 1, "'id'");
	assert_put_refused(db, "group_name", "x", 0, "group_name");
}

static void test_put_kept_fields_need_import(void **state)
{
	struct pk_db *db = DB(state);
	assert_put_refused(db, "created_at", "2026-01-01", 0, "created_at");
	assert_put_refused(db, "ref", "TEST-7", 0, "ref");
	assert_put_refused(db, "updated_at", "2026-01-01", 0, "updated_at");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, "unused");
	assert_int_equal(pk_ticket_put(db, ch, "created_at", "2026-01-01", 1), PK_OK);
	assert_int_equal(pk_change_get_int(ch, "created_at"), 1767225600);
	pk_change_free(&ch);
}

static void test_put_bad_values(void **state)
{
	struct pk_db *db = DB(state);
	assert_put_refused(db, "priority", "P5", 0, "P5");
	assert_put_refused(db, "priority", "high", 0, "high");
	assert_put_refused(db, "priority", "", 0, NULL);
	assert_put_refused(db, "impact", "0", 0, "impact");
	assert_put_refused(db, "impact", "5", 0, "'5'");
	assert_put_refused(db, "urgency", "x", 0, "urgency");
	assert_put_refused(db, "urgency", "-1", 0, "urgency");
	assert_put_refused(db, "type", "bug", 0, "bug");
	assert_put_refused(db, "status", "bogus", 0, "bogus");
	assert_put_refused(db, "created_at", "yesterday", 1, "yesterday");
	assert_put_refused(db, "resolve_due", "2026-02-30", 1, "2026-02-30");
	assert_put_refused(db, "uuid", "not-a-uuid", 1, "not-a-uuid");
	assert_put_refused(db, "group", "net\tops", 0, "group");
	assert_put_refused(db, "assignee", "bob\x1b[2J", 0, "assignee");
}

static void test_put_refusal_keeps_previous_value(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Stable", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	assert_int_equal(pk_ticket_put(db, ch, "priority", "P2", 0), PK_OK);
	assert_int_equal(pk_ticket_put(db, ch, "priority", "P9", 0), PK_EINVAL);
	assert_int_equal(pk_change_get_int(ch, "priority"), 2);
	assert_int_equal(pk_ticket_put(db, ch, "title", "", 0), PK_EINVAL);
	assert_false(pk_change_is_set(ch, "title"));
	assert_int_equal(pk_ticket_save(db, t, ch, NULL), PK_OK);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_string_equal(t->title, "Stable");
	assert_int_equal(t->priority, 2);
	pk_ticket_free(&t);
}

static void test_put_good_values(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, "unused");
	assert_int_equal(pk_ticket_put(db, ch, "priority", "p2", 0), PK_OK);
	assert_int_equal(pk_change_get_int(ch, "priority"), 2);
	assert_int_equal(pk_ticket_put(db, ch, "priority", "4", 0), PK_OK);
	assert_int_equal(pk_change_get_int(ch, "priority"), 4);
	assert_int_equal(pk_ticket_put(db, ch, "impact", "1", 0), PK_OK);
	assert_int_equal(pk_change_get_int(ch, "impact"), 1);
	assert_int_equal(pk_ticket_put(db, ch, "assignee", "", 0), PK_OK);
	assert_true(pk_change_is_set(ch, "assignee"));
	assert_null(pk_change_get_text(ch, "assignee"));
	assert_int_equal(pk_ticket_put(db, ch, "resolve_due", "2026-03-02T09:00:00Z", 1), PK_OK);
	assert_int_equal(pk_change_get_int(ch, "resolve_due"), T_NOW + T_DAY);
	assert_int_equal(pk_ticket_put(db, ch, "uuid", "0190F5C2-0000-7000-8000-0000000000AB", 1),
			 PK_OK);
	assert_string_equal(pk_change_uuid(ch), "0190f5c2-0000-7000-8000-0000000000ab");
	pk_change_free(&ch);
}

static void test_title_single_line(void **state)
{
	struct pk_db *db = DB(state);
	assert_put_refused(db, "title", "two\nlines", 0, "title");
	assert_put_refused(db, "title", "carriage\rreturn", 0, "title");
	assert_put_refused(db, "title", "", 0, "title");
	assert_put_refused(db, "title", "   ", 0, "title");
	assert_put_refused(db, "title", "tab\there", 0, "title");
	assert_put_refused(db, "title", "esc\x1b]0;x\x07", 0, "title");
}

static void test_title_length(void **state)
{
	struct pk_db *db = DB(state);
	char title[PK_TITLE_MAX + 2];
	memset(title, 'x', sizeof(title));
	title[PK_TITLE_MAX + 1] = '\0';
	assert_put_refused(db, "title", title, 0, "500");
	title[PK_TITLE_MAX] = '\0';
	char *ref = ticket_new(db, title, NULL);
	assert_int_equal(sql_int(db, "SELECT length(title) FROM tickets"), PK_TITLE_MAX);
	free(ref);
}

static void test_description_size_limit(void **state)
{
	struct pk_db *db = DB(state);
	char *big = pk_xmalloc(PK_TEXT_MAX + 2);
	memset(big, 'a', PK_TEXT_MAX + 1);
	big[PK_TEXT_MAX + 1] = '\0';
	assert_put_refused(db, "description", big, 0, "1048576");
	big[PK_TEXT_MAX] = '\0';
	char *ref = ticket_new(db, "Big", "description", big, NULL);
	assert_int_equal(sql_int(db, "SELECT length(description) FROM tickets"), PK_TEXT_MAX);
	free(ref);
	free(big);
}

static void test_description_multiline_ok(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Lines", "description", "first\nsecond\n\tindented", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->description, "first\nsecond\n\tindented");
	pk_ticket_free(&t);
}

static void test_invalid_utf8_refused(void **state)
{
	struct pk_db *db = DB(state);
	assert_put_refused(db, "title", "bad\xff", 0, "byte 4");
	assert_put_refused(db, "description", "ok \xc0\xaf", 0, "UTF-8");
	assert_put_refused(db, "group", "\xed\xa0\x80", 0, "UTF-8");
	assert_put_refused(db, "resolution", "\xe2\x82", 0, "UTF-8");
	/* and valid UTF-8 is kept as is */
	free(ticket_new(db, "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->title, "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
	pk_ticket_free(&t);
}

static void test_field_text(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Texts", "impact", "2", "urgency", "2", "group", "net", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	char *v = pk_ticket_field_text(t, "priority");
	assert_string_equal(v, "P2");
	free(v);
	v = pk_ticket_field_text(t, "created_at");
	assert_string_equal(v, "2026-03-01T09:00:00Z");
	free(v);
	v = pk_ticket_field_text(t, "group");
	assert_string_equal(v, "net");
	free(v);
	assert_null(pk_ticket_field_text(t, "resolved_at"));
	assert_null(pk_ticket_field_text(t, "assignee"));
	assert_null(pk_ticket_field_text(t, "nope"));
	pk_ticket_free(&t);
	assert_true(pk_ticket_field_settable("title"));
	assert_false(pk_ticket_field_settable("ref"));
	assert_false(pk_ticket_field_settable("created_at"));
}

static void test_save_touches_updated_only_on_change(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Touch", NULL));
	clock_set("2026-03-01T10:00:00Z");
	assert_int_equal(ticket_set(db, "TEST-1", "title", "Touch"), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(t->updated_at, T_NOW);
	pk_ticket_free(&t);
	assert_int_equal(ticket_set(db, "TEST-1", "title", "Touched"), PK_OK);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->updated_at, T_NOW + 3600);
	pk_ticket_free(&t);
}

static void test_save_with_note_is_atomic(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Noted", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_ticket_put(db, ch, "assignee", "bob", 0);
	assert_int_equal(pk_ticket_save(db, t, ch, "handing over to bob"), PK_OK);
	pk_change_free(&ch);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM comments WHERE kind = 'internal' "
				     "AND body = 'handing over to bob'"),
			 1);
	/* a note that cannot be stored takes the field change down with it */
	ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_ticket_put(db, ch, "assignee", "carol", 0);
	int64_t h = history_count(db);
	assert_int_equal(pk_ticket_save(db, t, ch, "bad \xff note"), PK_EINVAL);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_string_equal(t->assignee, "bob");
	pk_ticket_free(&t);
	assert_int_equal(history_count(db), h);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM comments"), 1);
}

/* --- comments ----------------------------------------------------------- */

static int collect_comment(struct pk_comment *c, void *data)
{
	struct pk_buf *b = data;
	pk_buf_printf(b, "%s%s:%s:%d:%s:%lld", b->len ? "|" : "", c->kind, c->author, c->minutes,
		      c->body, (long long)c->created_at);
	assert_int_equal(strlen(c->uuid), 36);
	return 0;
}

static char *comments_of(struct pk_db *db, const char *ref)
{
	struct pk_ticket *t = ticket_get(db, ref);
	struct pk_buf b = { 0 };
	assert_int_equal(pk_comment_list(db, t->id, collect_comment, &b), PK_OK);
	pk_ticket_free(&t);
	return pk_buf_detach(&b);
}

static void test_comment_kinds(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Talk", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "We are on it", 0, NULL, 0, NULL), PK_OK);
	assert_int_equal(pk_comment_add(db, t, "internal", "Looks like the PSU", 0, NULL, 0, NULL),
			 PK_OK);
	assert_int_equal(pk_comment_add(db, t, "worklog", "Swapped PSU", 45, "bob", 0, NULL),
			 PK_OK);
	assert_int_equal(pk_comment_add(db, t, "worklog", "Just looked", 0, NULL, 0, NULL), PK_OK);
	pk_ticket_free(&t);
	char *v = comments_of(db, "TEST-1");
	assert_string_equal(v, "public:alice:0:We are on it:1772355600|"
			       "internal:alice:0:Looks like the PSU:1772355600|"
			       "worklog:bob:45:Swapped PSU:1772355600|"
			       "worklog:alice:0:Just looked:1772355600");
	free(v);
}

static void assert_comment_refused(struct pk_db *db, const char *kind, const char *body,
				   int minutes, const char *needle)
{
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	int64_t h = history_count(db), o = oplog_count(db);
	int64_t n = sql_int(db, "SELECT count(*) FROM comments");
	int rc = pk_comment_add(db, t, kind, body, minutes, NULL, 0, NULL);
	assert_int_equal(rc, PK_EINVAL);
	if (needle)
		assert_contains(pk_db_error(db)->msg, needle);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM comments"), n);
	assert_int_equal(history_count(db), h);
	assert_int_equal(oplog_count(db), o);
	pk_ticket_free(&t);
}

static void test_comment_minutes_only_on_worklog(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Minutes", NULL));
	assert_comment_refused(db, "public", "took a while", 5, "minutes");
	assert_comment_refused(db, "internal", "took a while", 5, "minutes");
	assert_comment_refused(db, "worklog", "negative", -5, "minutes");
	assert_comment_refused(db, "worklog", "too long", 100001, "minutes");
}

static void test_comment_empty_refused(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Silence", NULL));
	assert_comment_refused(db, "public", "", 0, "empty");
	assert_comment_refused(db, "public", " \n\t ", 0, "empty");
	assert_comment_refused(db, "internal", NULL, 0, NULL);
}

static void test_comment_bad_kind_and_text(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Kinds", NULL));
	assert_comment_refused(db, "private", "hello", 0, "private");
	assert_comment_refused(db, "public", "bad \xff byte", 0, "UTF-8");
	char *big = pk_xmalloc(PK_TEXT_MAX + 2);
	memset(big, 'c', PK_TEXT_MAX + 1);
	big[PK_TEXT_MAX + 1] = '\0';
	assert_comment_refused(db, "public", big, 0, "1048576");
	free(big);
}

static void test_comment_history_row(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Audited", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "Hello", 0, NULL, 0, NULL), PK_OK);
	char *cuuid = sql_text(db, "SELECT uuid FROM comments");
	char *v = sql_text(db, "SELECT entity || '|' || entity_uuid || '|' || field || '|' || "
			       "ifnull(old_value, 'NULL') || '|' || new_value FROM history "
			       "WHERE field = 'comment'");
	char *want = pk_xasprintf("ticket|%s|comment|NULL|%s", t->uuid, cuuid);
	assert_string_equal(v, want);
	free(v);
	free(want);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history WHERE field = 'comment'"), 1);
	free(cuuid);
	pk_ticket_free(&t);
}

static void test_comment_oplog_event(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Synced", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "worklog", "Rebooted", 15, NULL, 0, NULL), PK_OK);
	char *cuuid = sql_text(db, "SELECT uuid FROM comments");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog WHERE entity = 'comment'"), 1);
	char *ent = sql_text(db, "SELECT entity_uuid || '|' || op || '|' || origin || '|' || actor "
				 "FROM oplog WHERE entity = 'comment'");
	char *want = pk_xasprintf("%s|create|TEST|alice", cuuid);
	assert_string_equal(ent, want);
	free(ent);
	free(want);
	char *json = sql_text(db, "SELECT value FROM oplog WHERE entity = 'comment'");
	json_error_t jerr;
	json_t *o = json_loads(json, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "parent")), t->uuid);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "worklog");
	assert_string_equal(json_string_value(json_object_get(o, "body")), "Rebooted");
	assert_string_equal(json_string_value(json_object_get(o, "author")), "alice");
	assert_int_equal(json_integer_value(json_object_get(o, "minutes")), 15);
	/* the local row link is not part of the event */
	assert_null(json_object_get(o, "ticket_id"));
	json_decref(o);
	free(json);
	free(cuuid);
	pk_ticket_free(&t);
}

static void test_comment_touches_updated_at(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Fresh", NULL));
	clock_set("2026-03-01T11:00:00Z");
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "Update", 0, NULL, 0, NULL), PK_OK);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->updated_at, T_NOW + 7200);
	/* an imported comment (with its own time) does not */
	clock_set("2026-03-01T12:00:00Z");
	assert_int_equal(pk_comment_add(db, t, "public", "Old", 0, "carol", T_NOW - 60,
					"0190f5c2-0000-7000-8000-00000000c0de"),
			 PK_OK);
	pk_ticket_free(&t);
	t = ticket_get(db, "TEST-1");
	assert_int_equal(t->updated_at, T_NOW + 7200);
	pk_ticket_free(&t);
	assert_int_equal(sql_int(db, "SELECT created_at FROM comments WHERE uuid = "
				     "'0190f5c2-0000-7000-8000-00000000c0de'"),
			 T_NOW - 60);
}

/* --- full text ---------------------------------------------------------- */

static void assert_fts_intact(struct pk_db *db)
{
	int rc = sql_exec(db, "INSERT INTO ticket_fts(ticket_fts) VALUES ('integrity-check')");
	if (rc != SQLITE_OK)
		fprintf(stderr, "fts: %s\n", sqlite3_errmsg(pk_db_sqlite(db)));
	assert_int_equal(rc, SQLITE_OK);
}

static void test_fts_title_description(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Router reboots randomly", "description", "core switch flapping",
			NULL));
	free(ticket_new(db, "Unrelated", NULL));
	assert_query(db, "router", "TEST-1");
	assert_query(db, "flapping", "TEST-1");
	assert_query(db, "reboots", "TEST-1");
	assert_query(db, "unrelated", "TEST-2");
	assert_fts_intact(db);
}

static void test_fts_comments_added_later(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Router reboots", NULL));
	assert_query(db, "psu", "");
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "internal", "replaced the PSU", 0, NULL, 0, NULL),
			 PK_OK);
	assert_int_equal(pk_comment_add(db, t, "worklog", "checked cabling", 10, NULL, 0, NULL),
			 PK_OK);
	pk_ticket_free(&t);
	assert_query(db, "psu", "TEST-1");
	assert_query(db, "cabling", "TEST-1");
	assert_query(db, "router", "TEST-1");
	assert_fts_intact(db);
}

static void test_fts_follows_title_change(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Router reboots", "description", "core switch flapping", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "PSU swapped", 0, NULL, 0, NULL), PK_OK);
	pk_ticket_free(&t);
	assert_int_equal(ticket_set(db, "TEST-1", "title", "Switch firmware bug"), PK_OK);
	assert_query(db, "router", "");
	assert_query(db, "firmware", "TEST-1");
	assert_query(db, "flapping", "TEST-1");
	assert_query(db, "psu", "TEST-1");
	assert_int_equal(ticket_set(db, "TEST-1", "description", "stable now"), PK_OK);
	assert_query(db, "flapping", "");
	assert_query(db, "stable", "TEST-1");
	assert_fts_intact(db);
}

static void test_fts_many_changes_in_one_transaction(void **state)
{
	struct pk_db *db = DB(state);
	assert_int_equal(pk_db_begin(db), PK_OK);
	free(ticket_new(db, "Alpha ticket", NULL));
	assert_int_equal(ticket_set(db, "TEST-1", "title", "Beta ticket"), PK_OK);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "gamma note", 0, NULL, 0, NULL), PK_OK);
	pk_ticket_free(&t);
	assert_int_equal(ticket_set(db, "TEST-1", "title", "Delta ticket"), PK_OK);
	assert_int_equal(pk_db_commit(db), PK_OK);
	assert_query(db, "alpha", "");
	assert_query(db, "beta", "");
	assert_query(db, "delta", "TEST-1");
	assert_query(db, "gamma", "TEST-1");
	assert_fts_intact(db);
}

static void test_fts_diacritics_and_case(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Caf\xc3\xa9 machine broken", "description",
			"\xc3\x89"
			"CRAN noir",
			NULL));
	assert_query(db, "cafe", "TEST-1");
	assert_query(db, "caf\xc3\xa9", "TEST-1");
	assert_query(db, "ecran", "TEST-1");
	assert_query(db, "MACHINE", "TEST-1");
}

static void test_fts_more_than_a_batch(void **state)
{
	struct pk_db *db = DB(state);
	/* more tickets than the pending re-index batch, all in one transaction */
	assert_int_equal(pk_db_begin(db), PK_OK);
	for (int i = 0; i < 300; i++) {
		char title[32];
		snprintf(title, sizeof(title), "bulk item%d", i);
		free(ticket_new(db, title, NULL));
	}
	assert_int_equal(ticket_set(db, "TEST-1", "title", "first renamed"), PK_OK);
	assert_int_equal(pk_db_commit(db), PK_OK);
	struct pk_query *q = NULL;
	struct pk_error err;
	assert_int_equal(pk_query_compile(pk_db_config(db), "alice", T_NOW, "bulk", 0, &q, &err),
			 PK_OK);
	long n = 0;
	assert_int_equal(pk_ticket_count(db, q, &n), PK_OK);
	assert_int_equal(n, 299);
	pk_query_free(&q);
	assert_query(db, "item299", "TEST-300");
	assert_query(db, "renamed", "TEST-1");
	assert_fts_intact(db);
}

int main(void)
{
	unit_init();
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_refs_increment),
		T(test_ref_uses_configured_node),
		T(test_ticket_get_by_ref_number_uuid),
		T(test_imported_ref_moves_counter),
		T(test_duplicate_ref_refused),
		T(test_bad_ref_refused),
		T(test_priority_from_matrix),
		T(test_priority_given_wins),
		T(test_priority_custom_matrix),
		T(test_priority_recomputed_on_save),
		T(test_priority_given_on_save_wins),
		T(test_workflow_allowed_moves),
		T(test_workflow_refused_lists_targets),
		T(test_workflow_refused_other_fields_not_saved),
		T(test_workflow_closed_is_final),
		T(test_workflow_same_status_is_no_move),
		T(test_assigned_needs_assignee),
		T(test_assigned_assignee_already_there),
		T(test_assigned_insert_needs_assignee),
		T(test_assigned_cannot_lose_assignee),
		T(test_resolve_needs_resolution),
		T(test_resolved_then_closed_times),
		T(test_closed_directly_sets_closed_at),
		T(test_reopen_clears_resolved_at),
		T(test_reopen_from_closed_clears_both),
		T(test_class_put_above_ceiling),
		T(test_class_insert_above_ceiling),
		T(test_class_save_above_ceiling),
		T(test_class_unknown_level),
		T(test_put_unknown_field),
		T(test_put_kept_fields_need_import),
		T(test_put_bad_values),
		T(test_put_refusal_keeps_previous_value),
		T(test_put_good_values),
		T(test_title_single_line),
		T(test_title_length),
		T(test_description_size_limit),
		T(test_description_multiline_ok),
		T(test_invalid_utf8_refused),
		T(test_field_text),
		T(test_save_touches_updated_only_on_change),
		T(test_save_with_note_is_atomic),
		T(test_comment_kinds),
		T(test_comment_minutes_only_on_worklog),
		T(test_comment_empty_refused),
		T(test_comment_bad_kind_and_text),
		T(test_comment_history_row),
		T(test_comment_oplog_event),
		T(test_comment_touches_updated_at),
		T(test_fts_title_description),
		T(test_fts_comments_added_later),
		T(test_fts_follows_title_change),
		T(test_fts_many_changes_in_one_transaction),
		T(test_fts_diacritics_and_case),
		T(test_fts_more_than_a_batch),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
