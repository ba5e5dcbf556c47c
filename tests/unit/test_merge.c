/* oplog.c: merging other nodes' events through the change path.
 *
 * Each test builds a small federation in memory: a "server" database and
 * client databases with their own node and user, exchanging events exactly
 * as picketd and picket sync do (push = merge the client's unpushed events
 * into the server; pull = merge the server's events after the client's
 * cursor, leaving out the client's own).  Only the transport is missing. */
#include "unit.h"

#include "picket/change.h"
#include "picket/oplog.h"

#define MAXN 4

struct node {
	struct pk_config *cfg;
	struct pk_db *db;
	int64_t cursor; /* server sequence pulled up to */
};

struct fed {
	struct node server;
	struct node c[MAXN];
	int n;
};

static void node_open(struct node *nd, const char *name, const char *user)
{
	nd->cfg = pk_config_defaults();
	free(nd->cfg->node);
	nd->cfg->node = pk_xstrdup(name);
	struct pk_error err = { 0 };
	int rc = pk_db_open(":memory:", PK_DB_CREATE, nd->cfg, user, &nd->db, &err);
	if (rc != PK_OK)
		fprintf(stderr, "open %s: %s\n", name, err.msg);
	assert_int_equal(rc, PK_OK);
	nd->cursor = 0;
}

static void node_close(struct node *nd)
{
	pk_db_close(&nd->db);
	pk_config_free(&nd->cfg);
}

static const char *const users[MAXN] = { "alice", "bob", "carol", "dave" };
static const char *const nodes[MAXN] = { "A", "B", "C", "D" };

static int setup(void **state)
{
	unit_init();
	struct fed *f = pk_xcalloc(1, sizeof(*f));
	node_open(&f->server, "SRV", "picketd");
	f->n = 3;
	for (int i = 0; i < f->n; i++)
		node_open(&f->c[i], nodes[i], users[i]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fed *f = *state;
	node_close(&f->server);
	for (int i = 0; i < f->n; i++)
		node_close(&f->c[i]);
	free(f);
	clock_restore();
	return 0;
}

struct batch {
	struct pk_event *v;
	size_t n;
};

static int collect(const struct pk_event *ev, void *data)
{
	struct batch *b = data;
	b->v = pk_xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
	struct pk_event *e = &b->v[b->n++];
	*e = *ev;
	e->field = pk_xstrdup(ev->field);
	e->value = pk_xstrdup(ev->value);
	e->origin = pk_xstrdup(ev->origin);
	e->actor = pk_xstrdup(ev->actor);
	return 0;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		pk_event_clear(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* Merges a batch into db in one transaction; returns conflicts seen. */
static int merge_all(struct pk_db *db, struct batch *b, int *dups)
{
	int conflicts = 0;
	/* as picket sync and picketd do: a page is one batch */
	assert_int_equal(pk_db_batch_begin(db), PK_OK);
	for (size_t i = 0; i < b->n; i++) {
		enum pk_merge_result res;
		int conflict;
		int rc = pk_merge_event(db, &b->v[i], &res, &conflict);
		if (rc != PK_OK)
			fprintf(stderr, "merge %s: %s\n", b->v[i].uuid, pk_db_error(db)->msg);
		assert_int_equal(rc, PK_OK);
		conflicts += conflict;
		if (dups && res == PK_MERGED_DUPLICATE)
			(*dups)++;
	}
	assert_int_equal(pk_db_commit(db), PK_OK);
	return conflicts;
}

static void pull(struct fed *f, int i)
{
	struct node *c = &f->c[i];
	for (;;) {
		struct batch b = { 0 };
		int64_t last = 0;
		assert_int_equal(
			pk_oplog_after(f->server.db, c->cursor, NULL, 7, collect, &b, &last),
			PK_OK);
		if (last == c->cursor) {
			batch_free(&b);
			break;
		}
		merge_all(c->db, &b, NULL);
		c->cursor = last;
		batch_free(&b);
	}
}

static void push(struct fed *f, int i)
{
	struct node *c = &f->c[i];
	for (;;) {
		struct batch b = { 0 };
		int64_t last = 0;
		assert_int_equal(pk_oplog_unpushed(c->db, 0, 5, collect, &b, &last), PK_OK);
		if (b.n == 0) {
			batch_free(&b);
			break;
		}
		merge_all(f->server.db, &b, NULL);
		assert_int_equal(pk_oplog_mark_pushed(c->db, 0, last), PK_OK);
		batch_free(&b);
	}
}

static void sync_node(struct fed *f, int i)
{
	pull(f, i);
	push(f, i);
}

static void sync_all(struct fed *f)
{
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < f->n; i++)
			sync_node(f, i);
}

/* Everything replicated, as one text per database: records, comments and
 * the fields in conflict (derived columns such as SLA clocks are local
 * computations and are left out). */
static char *dump(struct pk_db *db)
{
	static const char *const sql[] = {
		"SELECT uuid, ref, type, title, description, status, priority, impact, urgency, "
		"category, service, ci, requester, assignee, group_name, classification, vendor, "
		"vendor_ref, resolution, created_at, resolved_at, closed_at, followup_at "
		"FROM tickets ORDER BY uuid",
		"SELECT c.uuid, t.uuid, kind, author, body, minutes, c.created_at FROM comments c "
		"JOIN tickets t ON t.id = c.ticket_id ORDER BY c.uuid",
		"SELECT entity_uuid, field FROM conflicts ORDER BY 1, 2",
		"SELECT event_uuid FROM oplog ORDER BY 1",
	};
	struct pk_buf b = { 0 };
	for (size_t q = 0; q < PK_ARRAY_LEN(sql); q++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(pk_db_sqlite(db), sql[q], -1, &st, NULL),
				 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int k = 0; k < sqlite3_column_count(st); k++) {
				const unsigned char *v = sqlite3_column_text(st, k);
				pk_buf_printf(&b, "%s|", v ? (const char *)v : "NULL");
			}
			pk_buf_putc(&b, '\n');
		}
		sqlite3_finalize(st);
		pk_buf_puts(&b, "--\n");
	}
	return pk_buf_detach(&b);
}

static void assert_converged(struct fed *f)
{
	char *ref = dump(f->server.db);
	for (int i = 0; i < f->n; i++) {
		char *d = dump(f->c[i].db);
		if (strcmp(ref, d) != 0)
			fprintf(stderr, "node %s differs from the server:\n%s\nserver:\n%s\n",
				nodes[i], d, ref);
		assert_string_equal(d, ref);
		free(d);
	}
	free(ref);
}

static char *field_of(struct pk_db *db, const char *ref, const char *col)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT %s FROM tickets WHERE ref = '%s'", col, ref);
	return sql_text(db, sql);
}

static void test_create_travels(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Printer on fire", "group", "desk", NULL);
	assert_string_equal(ref, "A-1");
	sync_node(f, 0);
	sync_node(f, 1);
	char *title = field_of(f->c[1].db, "A-1", "title");
	assert_string_equal(title, "Printer on fire");
	free(title);
	/* the history on B says who created it, and the event is not B's to push */
	assert_int_equal(sql_int(f->c[1].db, "SELECT count(*) FROM history WHERE actor = 'alice' "
					     "AND field = 'created'"),
			 1);
	assert_int_equal(pk_oplog_pending(f->c[1].db), 0);
	/* its SLA clocks are computed where it lands, once the batch commits */
	char *due_a = field_of(f->c[0].db, "A-1", "sla_due");
	char *due_b = field_of(f->c[1].db, "A-1", "sla_due");
	assert_non_null(due_b);
	assert_string_equal(due_a, due_b);
	free(due_a);
	free(due_b);
	/* B's own tickets keep their own numbering */
	char *ref2 = ticket_new(f->c[1].db, "Second", NULL);
	assert_string_equal(ref2, "B-1");
	sync_all(f);
	assert_converged(f);
	assert_int_equal(pk_conflicts_count(f->server.db), 0);
	free(ref);
	free(ref2);
}

static void test_sequential_edits_do_not_conflict(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Mail down", NULL);
	sync_all(f);
	assert_int_equal(ticket_set(f->c[0].db, ref, "group", "network"), PK_OK);
	sync_node(f, 0);
	sync_node(f, 1);
	/* bob saw alice's value before changing it: a later edit, no conflict */
	assert_int_equal(ticket_set(f->c[1].db, ref, "group", "servers"), PK_OK);
	sync_all(f);
	assert_converged(f);
	char *g = field_of(f->c[0].db, ref, "group_name");
	assert_string_equal(g, "servers");
	free(g);
	assert_int_equal(pk_conflicts_count(f->c[0].db), 0);
	free(ref);
}

static void test_concurrent_edits_conflict_until_resolved(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "VPN flaps", NULL);
	sync_all(f);
	/* offline, alice and bob set the same field to different values */
	assert_int_equal(ticket_set(f->c[0].db, ref, "group", "network"), PK_OK);
	assert_int_equal(ticket_set(f->c[1].db, ref, "group", "security"), PK_OK);
	/* and carol changes another field: no conflict there */
	assert_int_equal(ticket_set(f->c[2].db, ref, "category", "vpn"), PK_OK);
	sync_all(f);
	assert_converged(f);
	for (int i = 0; i < f->n; i++)
		assert_int_equal(pk_conflicts_count(f->c[i].db), 1);
	/* both values are listed, the one the record holds first */
	struct pk_conflict *cs;
	size_t n;
	struct pk_ticket *t = ticket_get(f->c[2].db, ref);
	assert_int_equal(pk_conflicts_list(f->c[2].db, t->uuid, &cs, &n), PK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(cs[0].field, "group");
	assert_int_equal(cs[0].nvalues, 2);
	assert_true(cs[0].values[0].winner);
	char want[64];
	snprintf(want, sizeof(want), "\"%s\"", t->group);
	assert_string_equal(cs[0].values[0].value, want);
	const char *a0 = cs[0].values[0].actor, *a1 = cs[0].values[1].actor;
	assert_true((strcmp(a0, "alice") == 0 && strcmp(a1, "bob") == 0) ||
		    (strcmp(a0, "bob") == 0 && strcmp(a1, "alice") == 0));
	pk_conflicts_free(cs, n);

	/* carol keeps the value that lost: an edit that supersedes both */
	const char *loser = strcmp(t->group, "network") == 0 ? "security" : "network";
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_change_text(ch, "group", loser);
	pk_change_force(ch);
	assert_int_equal(pk_change_apply(f->c[2].db, ch), PK_OK);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	assert_int_equal(pk_conflicts_count(f->c[2].db), 0);
	sync_all(f);
	assert_converged(f);
	for (int i = 0; i < f->n; i++) {
		assert_int_equal(pk_conflicts_count(f->c[i].db), 0);
		char *g = field_of(f->c[i].db, ref, "group_name");
		assert_string_equal(g, loser);
		free(g);
	}
	free(ref);
}

static void test_picking_the_current_value_is_an_event(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Disk full", NULL);
	sync_all(f);
	assert_int_equal(ticket_set(f->c[0].db, ref, "assignee", "alice"), PK_OK);
	assert_int_equal(ticket_set(f->c[1].db, ref, "assignee", "bob"), PK_OK);
	sync_all(f);
	assert_int_equal(pk_conflicts_count(f->c[0].db), 1);
	char *cur = field_of(f->c[0].db, ref, "assignee");
	struct pk_ticket *t = ticket_get(f->c[0].db, ref);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_change_text(ch, "assignee", cur);
	pk_change_force(ch);
	assert_int_equal(pk_change_apply(f->c[0].db, ch), PK_OK);
	assert_int_equal(pk_change_count(ch), 1);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	sync_all(f);
	assert_converged(f);
	assert_int_equal(pk_conflicts_count(f->c[1].db), 0);
	free(cur);
	free(ref);
}

static void test_same_person_or_same_value_is_no_conflict(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Same", NULL);
	sync_all(f);
	/* the same value from two people: agreement */
	assert_int_equal(ticket_set(f->c[0].db, ref, "category", "network"), PK_OK);
	assert_int_equal(ticket_set(f->c[1].db, ref, "category", "network"), PK_OK);
	sync_all(f);
	assert_int_equal(pk_conflicts_count(f->c[2].db), 0);

	/* alice on a second workstation: the later edit wins quietly */
	node_close(&f->c[1]);
	node_open(&f->c[1], "B", "alice");
	sync_node(f, 1);
	assert_int_equal(ticket_set(f->c[0].db, ref, "service", "mail"), PK_OK);
	assert_int_equal(ticket_set(f->c[1].db, ref, "service", "web"), PK_OK);
	sync_all(f);
	assert_converged(f);
	assert_int_equal(pk_conflicts_count(f->c[2].db), 0);
	free(ref);
}

static void test_comments_are_a_union(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Union", NULL);
	sync_all(f);
	for (int i = 0; i < f->n; i++) {
		struct pk_ticket *t = ticket_get(f->c[i].db, ref);
		assert_int_equal(
			pk_comment_add(f->c[i].db, t, "internal", users[i], 0, NULL, 0, NULL),
			PK_OK);
		pk_ticket_free(&t);
	}
	sync_all(f);
	assert_converged(f);
	assert_int_equal(sql_int(f->c[0].db, "SELECT count(*) FROM comments"), 3);
	/* the full-text index knows the merged comments */
	char *hits = query_refs(f->c[0].db, "carol");
	assert_string_equal(hits, ref);
	free(hits);
	free(ref);
}

static void test_duplicates_change_nothing(void **state)
{
	struct fed *f = *state;
	free(ticket_new(f->c[0].db, "Dup", NULL));
	struct batch b = { 0 };
	int64_t last;
	assert_int_equal(pk_oplog_unpushed(f->c[0].db, 0, 100, collect, &b, &last), PK_OK);
	assert_int_equal(b.n, 1);
	int dups = 0;
	merge_all(f->server.db, &b, &dups);
	assert_int_equal(dups, 0);
	int64_t events = sql_int(f->server.db, "SELECT count(*) FROM oplog");
	int64_t hist = sql_int(f->server.db, "SELECT count(*) FROM history");
	merge_all(f->server.db, &b, &dups);
	assert_int_equal(dups, 1);
	assert_int_equal(sql_int(f->server.db, "SELECT count(*) FROM oplog"), events);
	assert_int_equal(sql_int(f->server.db, "SELECT count(*) FROM history"), hist);
	/* the client's own event coming back is a duplicate too */
	dups = 0;
	merge_all(f->c[0].db, &b, &dups);
	assert_int_equal(dups, 1);
	batch_free(&b);
}

static void expect_refused(struct pk_db *db, struct pk_event *ev, const char *why)
{
	int64_t before = sql_int(db, "SELECT count(*) FROM oplog");
	enum pk_merge_result res;
	int conflict;
	assert_int_equal(pk_merge_event(db, ev, &res, &conflict), PK_EINVAL);
	if (!strstr(pk_db_error(db)->msg, why))
		fprintf(stderr, "message: %s\n", pk_db_error(db)->msg);
	assert_non_null(strstr(pk_db_error(db)->msg, why));
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog"), before);
}

static void test_bad_events_are_refused_whole(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Target", NULL);
	struct pk_ticket *t = ticket_get(f->c[0].db, ref);
	struct pk_event ev = { 0 };
	strcpy(ev.uuid, "0190a000-0000-7000-8000-000000000001");
	strcpy(ev.entity, "ticket");
	strcpy(ev.entity_uuid, t->uuid);
	ev.field = "title";
	ev.value = "\"x\"";
	ev.hlc = INT64_C(1) << 60;
	ev.base = 1;
	ev.origin = "Z";
	ev.actor = "mallory";
	ev.at = T_NOW;

	strcpy(ev.entity, "spaceship");
	expect_refused(f->c[0].db, &ev, "unknown record kind");
	strcpy(ev.entity, "ticket");
	ev.field = "warp";
	expect_refused(f->c[0].db, &ev, "cannot be set");
	ev.field = "ref";
	expect_refused(f->c[0].db, &ev, "cannot be set");
	ev.field = "sla_due";
	expect_refused(f->c[0].db, &ev, "cannot be set");
	ev.field = "priority";
	ev.value = "\"high\"";
	expect_refused(f->c[0].db, &ev, "must be a number");
	ev.value = "9";
	expect_refused(f->c[0].db, &ev, "priority");
	ev.field = "title";
	ev.value = "\"a\\u0000b\"";
	expect_refused(f->c[0].db, &ev, "not JSON");
	ev.value = "\"x\" 1";
	expect_refused(f->c[0].db, &ev, "not JSON");
	ev.value = "{not json";
	expect_refused(f->c[0].db, &ev, "not JSON");
	ev.value = "\"x\"";
	strcpy(ev.entity_uuid, "0190a000-0000-7000-8000-0000000000ff");
	expect_refused(f->c[0].db, &ev, "not in this database");
	/* a comment whose ticket never arrived */
	ev.create = 1;
	ev.field = NULL;
	ev.base = 0;
	strcpy(ev.entity, "comment");
	ev.value = "{\"parent\":\"0190a000-0000-7000-8000-0000000000ff\",\"kind\":\"public\","
		   "\"author\":\"m\",\"body\":\"b\",\"minutes\":0,\"created_at\":1}";
	expect_refused(f->c[0].db, &ev, "not in this database");
	ev.value = "{\"parent\":\"x\"}";
	expect_refused(f->c[0].db, &ev, "parent is not a UUID");
	strcpy(ev.entity, "ticket");
	ev.value = "{\"ref\":\"Z-1\",\"nonsense\":1}";
	expect_refused(f->c[0].db, &ev, "no field");
	/* a create missing required fields is refused before the row, and
	 * leaves nothing */
	ev.value = "{\"ref\":\"Z-1\"}";
	expect_refused(f->c[0].db, &ev, "needs its type");
	/* the schema's constraints, checked without a database too */
	strcpy(ev.entity, "comment");
	ev.value = "{\"parent\":\"0190a000-0000-7000-8000-0000000000ff\",\"kind\":\"gossip\","
		   "\"author\":\"m\",\"body\":\"b\",\"created_at\":1}";
	expect_refused(f->c[0].db, &ev, "kind cannot be");
	ev.value = "{\"parent\":\"0190a000-0000-7000-8000-0000000000ff\",\"kind\":\"public\","
		   "\"author\":\"m\",\"body\":\"b\",\"minutes\":-5,\"created_at\":1}";
	expect_refused(f->c[0].db, &ev, "minutes must be from 0");
	struct pk_error err = { 0 };
	char parent[PK_UUID_LEN + 1];
	ev.value = "{\"parent\":\"0190a000-0000-7000-8000-0000000000ff\",\"kind\":\"public\","
		   "\"author\":\"m\",\"body\":\"b\",\"created_at\":1}";
	assert_int_equal(pk_event_validate(&ev, parent, &err), PK_OK);
	assert_string_equal(parent, "0190a000-0000-7000-8000-0000000000ff");
	assert_string_equal(pk_entity_parent("comment"), "ticket");
	assert_null(pk_entity_parent("ticket"));
	ev.create = 0;
	ev.base = 1;
	strcpy(ev.entity, "ticket");
	ev.field = "description";
	ev.value = "null";
	assert_int_equal(pk_event_validate(&ev, parent, &err), PK_EINVAL);
	assert_non_null(strstr(err.msg, "description must have a value"));
	assert_string_equal(parent, "");
	ev.field = "urgency";
	ev.value = "0";
	assert_int_equal(pk_event_validate(&ev, parent, &err), PK_EINVAL);
	assert_non_null(strstr(err.msg, "urgency must be from 1 to 4"));
	pk_ticket_free(&t);
	free(ref);
}

static void test_clock_moves_past_merged_events(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Clock", NULL);
	sync_all(f);
	/* B's clock runs an hour ahead */
	clock_set("2026-03-01T10:00:00Z");
	assert_int_equal(ticket_set(f->c[1].db, ref, "category", "late"), PK_OK);
	clock_restore();
	sync_all(f);
	/* A's next edit is still later than the event it saw, and wins */
	assert_int_equal(ticket_set(f->c[0].db, ref, "category", "now"), PK_OK);
	sync_all(f);
	assert_converged(f);
	char *c = field_of(f->c[1].db, ref, "category");
	assert_string_equal(c, "now");
	free(c);
	assert_int_equal(pk_conflicts_count(f->c[1].db), 0);
	free(ref);
}

static void test_shared_node_name_is_named(void **state)
{
	struct fed *f = *state;
	/* a copy of A's installation: same node name, its own tickets */
	struct node twin;
	node_open(&twin, "A", "bob");
	free(ticket_new(f->c[0].db, "Mine", NULL));
	free(ticket_new(twin.db, "Also A-1", NULL));
	push(f, 0);
	struct batch b = { 0 };
	int64_t last;
	assert_int_equal(pk_oplog_unpushed(twin.db, 0, 10, collect, &b, &last), PK_OK);
	enum pk_merge_result res;
	int conflict;
	int64_t before = sql_int(f->server.db, "SELECT count(*) FROM oplog");
	assert_int_equal(pk_merge_event(f->server.db, &b.v[0], &res, &conflict), PK_EINVAL);
	assert_non_null(
		strstr(pk_db_error(f->server.db)->msg, "two installations use node name A"));
	assert_int_equal(sql_int(f->server.db, "SELECT count(*) FROM oplog"), before);
	batch_free(&b);
	node_close(&twin);
}

static void test_conflict_looks_at_every_pair(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Three heads", NULL);
	sync_all(f);
	/* alice on A and on B (a second workstation), bob on C */
	node_close(&f->c[1]);
	node_open(&f->c[1], "B", "alice");
	node_close(&f->c[2]);
	node_open(&f->c[2], "C", "bob");
	sync_node(f, 1);
	sync_node(f, 2);
	assert_int_equal(ticket_set(f->c[0].db, ref, "category", "x"), PK_OK);
	assert_int_equal(ticket_set(f->c[1].db, ref, "category", "y"), PK_OK);
	assert_int_equal(ticket_set(f->c[2].db, ref, "category", "x"), PK_OK);
	sync_all(f);
	assert_converged(f);
	/* alice's "y" and bob's "x" disagree, whichever head is read first */
	for (int i = 0; i < f->n; i++)
		assert_int_equal(pk_conflicts_count(f->c[i].db), 1);
	free(ref);
}

static void test_refused_change_is_undone(void **state)
{
	struct fed *f = *state;
	char *ref = ticket_new(f->c[0].db, "Refused", "group", "desk", NULL);
	sync_all(f);
	assert_int_equal(ticket_set(f->c[1].db, ref, "group", "network"), PK_OK);
	struct batch b = { 0 };
	int64_t last;
	assert_int_equal(pk_oplog_unpushed(f->c[1].db, 0, 10, collect, &b, &last), PK_OK);
	assert_int_equal(b.n, 1);
	/* the server refuses it: B takes it back and never offers it again */
	struct pk_refused r;
	assert_int_equal(pk_oplog_refuse(f->c[1].db, b.v[0].uuid, &r), PK_OK);
	assert_true(r.undone);
	assert_string_equal(r.field, "group");
	pk_refused_clear(&r);
	char *g = field_of(f->c[1].db, ref, "group_name");
	assert_string_equal(g, "desk");
	free(g);
	assert_int_equal(pk_oplog_pending(f->c[1].db), 0);
	assert_int_equal(pk_oplog_refuse(f->c[1].db, b.v[0].uuid, &r), PK_ENOTFOUND);
	/* the history says what happened, in order */
	assert_int_equal(sql_int(f->c[1].db, "SELECT count(*) FROM history WHERE field = 'group' "
					     "AND old_value = 'network' AND new_value = 'desk'"),
			 1);
	batch_free(&b);
	/* and later edits and merges behave as if it never was */
	assert_int_equal(ticket_set(f->c[0].db, ref, "group", "servers"), PK_OK);
	sync_all(f);
	g = field_of(f->c[1].db, ref, "group_name");
	assert_string_equal(g, "servers");
	free(g);
	assert_int_equal(pk_conflicts_count(f->c[1].db), 0);
	free(ref);
}

/* The property: whatever the operations and the order of syncs, once every
 * node has synced twice all databases hold the same records, comments,
 * conflicts and events. */
static void random_run(struct fed *f, unsigned seed, int ops)
{
	static const char *const fields[] = { "title",	 "category", "assignee", "group",
					      "service", "impact",   "urgency",	 "status" };
	static const char *const words[] = { "net", "mail", "web", "disk", "vpn", "" };
	static const char *const statuses[] = { "assigned", "in_progress", "pending_vendor",
						"resolved", "reopened" };
	srand(seed);
	for (int k = 0; k < ops; k++) {
		int i = rand() % f->n;
		struct pk_db *db = f->c[i].db;
		int64_t n = sql_int(db, "SELECT count(*) FROM tickets");
		int what = rand() % 10;
		if (n == 0 || what == 0) {
			char title[32];
			snprintf(title, sizeof(title), "t%d", k);
			free(ticket_new(db, title, NULL));
		} else if (what <= 6) {
			char sql[96];
			snprintf(sql, sizeof(sql),
				 "SELECT ref FROM tickets ORDER BY id LIMIT 1 OFFSET %d",
				 (int)(rand() % n));
			char *ref = sql_text(db, sql);
			const char *field = fields[rand() % PK_ARRAY_LEN(fields)];
			char value[32];
			if (strcmp(field, "impact") == 0 || strcmp(field, "urgency") == 0)
				snprintf(value, sizeof(value), "%d", 1 + rand() % 4);
			else if (strcmp(field, "status") == 0)
				snprintf(value, sizeof(value), "%s",
					 statuses[rand() % PK_ARRAY_LEN(statuses)]);
			else
				snprintf(value, sizeof(value), "%s",
					 words[rand() % PK_ARRAY_LEN(words)]);
			if (strcmp(field, "title") == 0 && !*value)
				strcpy(value, "untitled");
			/* refused moves of the workflow are fine: nothing happens */
			(void)ticket_set(db, ref, field, value);
			free(ref);
		} else if (what <= 8) {
			char sql[96];
			snprintf(sql, sizeof(sql),
				 "SELECT ref FROM tickets ORDER BY id LIMIT 1 OFFSET %d",
				 (int)(rand() % n));
			char *ref = sql_text(db, sql);
			struct pk_ticket *t = ticket_get(db, ref);
			assert_int_equal(pk_comment_add(db, t, "public", "hello", 0, NULL, 0, NULL),
					 PK_OK);
			pk_ticket_free(&t);
			free(ref);
		} else {
			sync_node(f, rand() % f->n);
		}
	}
	sync_all(f);
	assert_converged(f);
}

static void test_random_operations_converge(void **state)
{
	struct fed *f = *state;
	random_run(f, 1, 400);
	assert_true(sql_int(f->server.db, "SELECT count(*) FROM oplog") > 300);
}

static void test_random_operations_converge_other_seeds(void **state)
{
	struct fed *f = *state;
	for (unsigned seed = 2; seed < 8; seed++) {
		random_run(f, seed, 150);
		/* whatever conflicts remain, every node lists the same ones */
		int64_t c = pk_conflicts_count(f->server.db);
		for (int i = 0; i < f->n; i++)
			assert_int_equal(pk_conflicts_count(f->c[i].db), c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_travels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential_edits_do_not_conflict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_edits_conflict_until_resolved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_picking_the_current_value_is_an_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_person_or_same_value_is_no_conflict,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_comments_are_a_union, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_events_are_refused_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_moves_past_merged_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_node_name_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_looks_at_every_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_change_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_operations_converge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_operations_converge_other_seeds, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
