/* io.c: JSON-lines and CSV import (all or nothing, errors by line) and
 * export, round-tripped through a second database. */
#include <jansson.h>
#include <unistd.h>

#include "unit.h"

#include "picket/audit.h"
#include "picket/io.h"

#define setup	 fx_setup
#define teardown fx_teardown
#define DB	 fx_db

static int import_text(struct pk_db *db, const char *text, size_t len, enum pk_format fmt,
		       struct pk_import_stats *stats)
{
	FILE *f = fmemopen((void *)text, len, "r");
	assert_non_null(f);
	int rc = pk_import(db, f, fmt, len, NULL, NULL, stats);
	fclose(f);
	return rc;
}

static int import_str(struct pk_db *db, const char *text, enum pk_format fmt,
		      struct pk_import_stats *stats)
{
	return import_text(db, text, strlen(text), fmt, stats);
}

static void import_ok(struct pk_db *db, const char *text, enum pk_format fmt,
		      struct pk_import_stats *stats)
{
	int rc = import_str(db, text, fmt, stats);
	if (rc != PK_OK)
		fprintf(stderr, "import: %s\n", pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
}

/* Nothing of a failed import may remain. */
static void assert_db_empty(struct pk_db *db)
{
	assert_int_equal(ticket_count(db), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM comments"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM counters"), 0);
	assert_false(pk_db_in_transaction(db));
}

/* The import of `text` must fail on `line`, the message starting with
 * "line N:" and naming `needle`; the database stays empty. */
static void assert_import_error(struct pk_db *db, const char *text, size_t len, enum pk_format fmt,
				long line, const char *needle)
{
	struct pk_import_stats stats;
	int rc = import_text(db, text, len, fmt, &stats);
	const struct pk_error *err = pk_db_error(db);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "line %ld:", line);
	if (rc == PK_OK || err->line != line || strncmp(err->msg, prefix, strlen(prefix)) != 0)
		fprintf(stderr, "expected an error on line %ld, got rc %d line %ld: %s\n", line, rc,
			err->line, err->msg);
	assert_int_not_equal(rc, PK_OK);
	assert_int_equal(err->code, rc);
	assert_int_equal(err->line, line);
	assert_int_equal(strncmp(err->msg, prefix, strlen(prefix)), 0);
	if (needle)
		assert_contains(err->msg, needle);
	assert_db_empty(db);
}

#define UUID1  "0190f5c2-1111-7000-8000-000000000001"
#define UUID2  "0190f5c2-2222-7000-8000-000000000002"
#define CUUID1 "0190f5c2-cccc-7000-8000-0000000000c1"

/* --- JSON lines --------------------------------------------------------- */

static const char jsonl_two[] =
	"{\"uuid\": \"" UUID1 "\", \"ref\": \"LUX1-7\", \"title\": \"Disk full\", "
	"\"type\": \"incident\", \"priority\": \"P2\", \"impact\": 2, \"urgency\": \"3\", "
	"\"group\": \"network\", \"assignee\": null, \"created_at\": \"2026-02-01T08:00:00Z\", "
	"\"updated_at\": \"2026-02-02T08:00:00Z\", \"comments\": ["
	"{\"uuid\": \"" CUUID1 "\", \"kind\": \"public\", \"author\": \"bob\", "
	"\"body\": \"On it\", \"created_at\": \"2026-02-01T09:00:00Z\"}, "
	"{\"kind\": \"worklog\", \"body\": \"Cleaned /var\", \"minutes\": 25}]}\n"
	"{\"title\": \"Printer \\u00e9t\\u00e9\", \"description\": \"line1\\nline2\", "
	"\"comments\": [{\"kind\": \"internal\", \"body\": \"call vendor\"}]}\n";

static void test_jsonl_tickets_and_comments(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, jsonl_two, PK_FMT_JSONL, &stats);
	assert_int_equal(stats.tickets, 2);
	assert_int_equal(stats.comments, 3);
	assert_int_equal(stats.lines, 2);
	assert_int_equal(ticket_count(db), 2);

	struct pk_ticket *t = ticket_get(db, "LUX1-7");
	assert_string_equal(t->uuid, UUID1);
	assert_string_equal(t->title, "Disk full");
	assert_int_equal(t->priority, 2);
	assert_int_equal(t->impact, 2);
	assert_int_equal(t->urgency, 3);
	assert_string_equal(t->group, "network");
	assert_null(t->assignee);
	assert_int_equal(t->created_at, 1769932800);
	assert_int_equal(t->updated_at, 1769932800 + T_DAY);
	pk_ticket_free(&t);

	assert_int_equal(sql_int(db, "SELECT count(*) FROM comments WHERE uuid = '" CUUID1 "' "
				     "AND kind = 'public' AND author = 'bob' AND body = 'On it' "
				     "AND created_at = 1769936400"),
			 1);
	assert_int_equal(sql_int(db, "SELECT minutes FROM comments WHERE kind = 'worklog'"), 25);
	char *author = sql_text(db, "SELECT author FROM comments WHERE kind = 'worklog'");
	assert_string_equal(author, "alice");
	free(author);

	/* a foreign ref leaves this node's counter alone */
	t = ticket_get(db, "TEST-1");
	assert_string_equal(t->title, "Printer \xc3\xa9t\xc3\xa9");
	assert_string_equal(t->description, "line1\nline2");
	assert_int_equal(t->priority, 3); /* matrix: defaults 3 x 3 */
	pk_ticket_free(&t);
	assert_query(db, "vendor", "TEST-1");
}

static void test_jsonl_import_writes_history_and_oplog(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, jsonl_two, PK_FMT_AUTO, &stats);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog WHERE op = 'create' "
				     "AND entity = 'ticket'"),
			 2);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM oplog WHERE op = 'create' "
				     "AND entity = 'comment'"),
			 3);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history WHERE field = 'comment'"), 3);
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db, &res), PK_OK);
	assert_int_equal(res.checked, 5);
}

static void test_jsonl_blank_lines_and_crlf(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, "{\"title\": \"one\"}\r\n\r\n   \n{\"title\": \"two\"}\r\n", PK_FMT_JSONL,
		  &stats);
	assert_int_equal(stats.tickets, 2);
	assert_int_equal(stats.lines, 4);
	assert_query(db, "sort:ref", "TEST-1 TEST-2");
}

static void test_jsonl_own_ref_moves_counter(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, "{\"title\": \"old\", \"ref\": \"TEST-12\"}\n", PK_FMT_JSONL, &stats);
	char *ref = ticket_new(db, "new", NULL);
	assert_string_equal(ref, "TEST-13");
	free(ref);
}

static void test_empty_input(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, "", PK_FMT_AUTO, &stats);
	assert_int_equal(stats.tickets, 0);
	import_ok(db, "", PK_FMT_CSV, &stats);
	assert_int_equal(stats.tickets, 0);
	assert_db_empty(db);
}

/* --- CSV ---------------------------------------------------------------- */

static const char csv_tricky[] = "title,description,priority,group,assignee\n"
				 "\"Disk, full\",\"He said \"\"hi\"\"\n"
				 "and left\",P2,net,\n"
				 "Plain,simple,P4,,bob\n"
				 "\"\"\"Quoted\"\" title\",,,\"a,b\",\n";

static void test_csv_quotes_commas_newlines(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, csv_tricky, PK_FMT_CSV, &stats);
	assert_int_equal(stats.tickets, 3);
	assert_int_equal(stats.lines, 5);

	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_string_equal(t->title, "Disk, full");
	assert_string_equal(t->description, "He said \"hi\"\nand left");
	assert_int_equal(t->priority, 2);
	assert_string_equal(t->group, "net");
	assert_null(t->assignee);
	pk_ticket_free(&t);

	t = ticket_get(db, "TEST-2");
	assert_string_equal(t->title, "Plain");
	assert_string_equal(t->description, "simple");
	assert_int_equal(t->priority, 4);
	assert_null(t->group);
	assert_string_equal(t->assignee, "bob");
	pk_ticket_free(&t);

	t = ticket_get(db, "TEST-3");
	assert_string_equal(t->title, "\"Quoted\" title");
	assert_string_equal(t->description, "");
	assert_int_equal(t->priority, 3); /* empty cell: the matrix decides */
	assert_string_equal(t->group, "a,b");
	pk_ticket_free(&t);
}

static void test_csv_crlf_and_blank_lines(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, "title,type\r\nFirst,request\r\n\r\nSecond,problem\r\n", PK_FMT_CSV, &stats);
	assert_int_equal(stats.tickets, 2);
	struct pk_ticket *t = ticket_get(db, "TEST-2");
	assert_string_equal(t->title, "Second");
	assert_string_equal(t->type, "problem");
	pk_ticket_free(&t);
	/* no newline after the last record */
	import_ok(db, "title,group\nLast,\"no, newline\"", PK_FMT_CSV, &stats);
	assert_int_equal(stats.tickets, 1);
	t = ticket_get(db, "TEST-3");
	assert_string_equal(t->title, "Last");
	assert_string_equal(t->group, "no, newline");
	pk_ticket_free(&t);
}

static void test_csv_auto_detected(void **state)
{
	struct pk_db *db = DB(state);
	struct pk_import_stats stats;
	import_ok(db, "title,impact,urgency\nAuto,1,1\n", PK_FMT_AUTO, &stats);
	assert_int_equal(stats.tickets, 1);
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(t->priority, 1);
	pk_ticket_free(&t);
}

/* --- errors: line N, nothing kept --------------------------------------- */

static void test_error_bad_json(void **state)
{
	const char *text = "{\"title\": \"ok one\"}\n"
			   "{\"title\": \"ok two\"}\n"
			   "{\"title\": \"broken\"\n"
			   "{\"title\": \"never read\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 3, "JSON");
}

static void test_error_unknown_field(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n"
			   "{\"titel\": \"typo\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "titel");
}

static void test_error_bad_priority(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n"
			   "{\"title\": \"bad\", \"priority\": \"P7\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "P7");
}

static void test_error_duplicate_uuid(void **state)
{
	const char *text = "{\"title\": \"first\", \"uuid\": \"" UUID1 "\"}\n"
			   "{\"title\": \"other\", \"uuid\": \"" UUID2 "\"}\n"
			   "{\"title\": \"again\", \"uuid\": \"" UUID1 "\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 3, UUID1);
}

static void test_error_duplicate_ref(void **state)
{
	const char *text = "{\"title\": \"first\", \"ref\": \"LUX1-1\"}\n"
			   "{\"title\": \"clash\", \"ref\": \"lux1-1\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "LUX1-1");
}

static void test_error_not_an_object(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n[1, 2]\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "object");
}

static void test_error_duplicate_key(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n{\"title\": \"a\", \"title\": \"b\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "title");
}

static void test_error_bad_value_types(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n"
			   "{\"title\": \"ok\"}\n"
			   "{\"title\": [\"a list\"]}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 3, "title");
	text = "{\"title\": \"x\", \"comments\": \"not a list\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 1, "comments");
}

static void test_error_bad_comment(void **state)
{
	const char *text = "{\"title\": \"ok\", \"comments\": [{\"body\": \"fine\"}]}\n"
			   "{\"title\": \"bad\", \"comments\": [{\"kind\": \"secret\", "
			   "\"body\": \"x\"}]}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "secret");
	text = "{\"title\": \"bad\", \"comments\": [{\"body\": \"x\", \"colour\": 1}]}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 1, "colour");
	text = "{\"title\": \"a\"}\n{\"title\": \"bad\", \"comments\": [{\"body\": \"x\", "
	       "\"minutes\": 5}]}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "minutes");
}

static void test_error_nul_in_json_string(void **state)
{
	const char *text = "{\"title\": \"nul\\u0000byte\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 1, "NUL");
}

static void test_error_assigned_without_assignee(void **state)
{
	const char *text = "{\"title\": \"ok\"}\n"
			   "{\"title\": \"nobody\", \"status\": \"assigned\"}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 2, "assignee");
}

static void test_error_line_after_blank_lines(void **state)
{
	/* the physical line, blank lines at the start included */
	const char *text = "\n\n{\"title\": \"ok\"}\n{\"title\": \"bad\", \"impact\": 9}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_JSONL, 4, "impact");
}

static void test_error_line_after_blank_lines_auto(void **state)
{
	const char *text = "\n\n{\"title\": \"ok\"}\n{\"title\": \"bad\", \"impact\": 9}\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_AUTO, 4, "impact");
}

static void test_error_csv_column_count(void **state)
{
	/* the record on lines 2-3 is fine; line 4 has too few fields */
	const char *text = "title,description,priority\n"
			   "\"Multi\",\"two\n"
			   "lines\",P1\n"
			   "Short,row\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 4, "2 fields");
	text = "title,priority\nok,P1\ntoo,many,fields\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 3, "3 fields");
}

static void test_error_csv_bad_value(void **state)
{
	const char *text = "title,priority\nok,P1\n\"also, ok\",P2\nbad,P9\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 4, "P9");
	text = "title,colour\nred thing,red\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 1,
			    "unknown column 'colour'");
}

static void test_error_csv_unterminated_quote(void **state)
{
	const char *text = "title,description\nok,fine\nbad,\"never closed\nstill open\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 3, "quote");
}

static void test_error_csv_duplicate_header(void **state)
{
	const char *text = "title,group,title\na,b,c\n";
	assert_import_error(DB(state), text, strlen(text), PK_FMT_CSV, 1, "title");
}

static void test_error_csv_nul_byte(void **state)
{
	const char text[] = "title,group\nok,net\nbad\0x,net\n";
	assert_import_error(DB(state), text, sizeof(text) - 1, PK_FMT_CSV, 3, "NUL");
}

static void test_error_keeps_earlier_data(void **state)
{
	/* a failed import leaves what was there before untouched */
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Before", NULL));
	const char *text = "{\"title\": \"ok\"}\n{\"titel\": \"typo\"}\n";
	struct pk_import_stats stats;
	assert_int_not_equal(import_str(db, text, PK_FMT_JSONL, &stats), PK_OK);
	assert_int_equal(ticket_count(db), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM history"), 1);
	assert_int_equal(sql_int(db, "SELECT next FROM counters WHERE node = 'TEST'"), 2);
	char *ref = ticket_new(db, "After", NULL);
	assert_string_equal(ref, "TEST-2");
	free(ref);
}

static void assert_fts_intact(struct pk_db *db)
{
	int rc = sql_exec(db, "INSERT INTO ticket_fts(ticket_fts) VALUES ('integrity-check')");
	if (rc != SQLITE_OK)
		fprintf(stderr, "fts: %s\n", sqlite3_errmsg(pk_db_sqlite(db)));
	assert_int_equal(rc, SQLITE_OK);
}

static void test_import_indexes_full_text(void **state)
{
	struct pk_db *db = DB(state);
	/* into an empty database ... */
	struct pk_import_stats stats;
	import_ok(db, jsonl_two, PK_FMT_JSONL, &stats);
	assert_query(db, "disk", "LUX1-7");
	assert_query(db, "cleaned", "LUX1-7");
	assert_fts_intact(db);
	/* ... and into one that has tickets already */
	free(ticket_new(db, "Existing router ticket", NULL));
	import_ok(db,
		  "{\"title\": \"Fresh switch\", \"comments\": [{\"body\": \"firmware "
		  "flashed\"}]}\n{\"title\": \"Another router\"}\n",
		  PK_FMT_JSONL, &stats);
	assert_query(db, "switch", "TEST-3");
	assert_query(db, "firmware", "TEST-3");
	assert_query(db, "router", "TEST-4 TEST-2");
	assert_query(db, "disk", "LUX1-7");
	assert_fts_intact(db);
	/* and later changes keep it in step */
	assert_int_equal(ticket_set(db, "TEST-3", "title", "Replaced switch"), PK_OK);
	assert_query(db, "fresh", "");
	assert_query(db, "replaced", "TEST-3");
	assert_fts_intact(db);
}

static void test_import_failure_leaves_index_alone(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Existing router ticket", NULL));
	struct pk_import_stats stats;
	assert_int_not_equal(
		import_str(db, "{\"title\": \"router two\"}\n{\"bad\": 1}\n", PK_FMT_JSONL, &stats),
		PK_OK);
	assert_query(db, "router", "TEST-1");
	assert_fts_intact(db);
	/* the handle is back to normal: a later change is indexed */
	free(ticket_new(db, "Second router", NULL));
	assert_query(db, "router", "TEST-2 TEST-1");
	assert_fts_intact(db);
}

static void test_import_file_database_stays_wal(void **state)
{
	(void)state;
	char *dir = fx_tmpdir("io");
	char *path = pk_xasprintf("%s/desk.db", dir);
	struct pk_config *cfg = fx_config();
	struct pk_db *db = NULL;
	struct pk_error err;
	assert_int_equal(pk_db_open(path, PK_DB_CREATE, cfg, "alice", &db, &err), PK_OK);
	char *mode = sql_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	struct pk_import_stats stats;
	import_ok(db, jsonl_two, PK_FMT_JSONL, &stats);
	mode = sql_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_not_equal(import_str(db, "{\"nope\": 1}\n", PK_FMT_JSONL, &stats), PK_OK);
	mode = sql_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	pk_db_close(&db);
	/* what was committed is on disk */
	assert_int_equal(pk_db_open(path, 0, cfg, "alice", &db, &err), PK_OK);
	assert_int_equal(ticket_count(db), 2);
	assert_query(db, "disk", "LUX1-7");
	pk_db_close(&db);
	pk_config_free(&cfg);
	char *wal = pk_xasprintf("%s-wal", path), *shm = pk_xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
	free(wal);
	free(shm);
	free(path);
	free(dir);
}

/* --- export ------------------------------------------------------------- */

static struct pk_query *compile(struct pk_db *db, const char *text)
{
	struct pk_query *q = NULL;
	struct pk_error err;
	assert_int_equal(pk_query_compile(pk_db_config(db), "alice", T_NOW, text, 0, &q, &err),
			 PK_OK);
	return q;
}

/* Exports the tickets matching `text`; returns the JSON lines. */
static char *export_text(struct pk_db *db, const char *text, long *count)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	struct pk_query *q = compile(db, text);
	int rc = pk_export(db, q, out, NULL, NULL, count);
	if (rc != PK_OK)
		fprintf(stderr, "export: %s\n", pk_db_error(db)->msg);
	assert_int_equal(rc, PK_OK);
	pk_query_free(&q);
	fclose(out);
	return buf;
}

/* The exported lines as one JSON object keyed by ticket uuid. */
static json_t *by_uuid(const char *text)
{
	json_t *all = json_object();
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		json_error_t jerr;
		json_t *o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
		if (!o)
			fprintf(stderr, "bad export line: %s\n", jerr.text);
		assert_non_null(o);
		const char *uuid = json_string_value(json_object_get(o, "uuid"));
		assert_non_null(uuid);
		assert_null(json_object_get(all, uuid));
		json_object_set_new(all, uuid, o);
		p = nl + 1;
	}
	return all;
}

static void build_varied_desk(struct pk_db *db)
{
	free(ticket_new(db, "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \"quoted\", comma", "type",
			"request", "description", "multi\nline\twith tab and \\ backslash",
			"impact", "2", "urgency", "3", "priority", "P1", "category", "hardware",
			"service", "mail", "ci", "mx1", "requester", "dave", "assignee", "alice",
			"group", "network", "classification", "SECRET", "vendor", "Acme",
			"vendor_ref", "AC-991", "response_due", "2026-03-01T10:00:00Z",
			"resolve_due", "2026-03-02T09:00:00Z", "status", "assigned", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	assert_int_equal(pk_comment_add(db, t, "public", "We are on it", 0, NULL, 0, NULL), PK_OK);
	clock_set("2026-03-01T09:30:00Z");
	assert_int_equal(
		pk_comment_add(db, t, "internal", "Smells like the PSU", 0, "bob", 0, NULL), PK_OK);
	assert_int_equal(pk_comment_add(db, t, "worklog", "Swapped PSU", 30, "bob", 0, NULL),
			 PK_OK);
	pk_ticket_free(&t);

	free(ticket_new(db, "Resolved and closed", "type", "incident", NULL));
	clock_set("2026-03-01T10:00:00Z");
	assert_int_equal(ticket_set(db, "TEST-2", "resolution", "Rebooted"), PK_OK);
	assert_int_equal(ticket_set(db, "TEST-2", "status", "resolved"), PK_OK);
	clock_set("2026-03-01T11:00:00Z");
	assert_int_equal(ticket_set(db, "TEST-2", "status", "closed"), PK_OK);

	free(ticket_new(db, "Minimal", NULL));
	free(ticket_new(db, "Reopened one", "type", "problem", "impact", "1", "urgency", "2",
			NULL));
	assert_int_equal(ticket_set(db, "TEST-4", "resolution", "Guessed"), PK_OK);
	assert_int_equal(ticket_set(db, "TEST-4", "status", "resolved"), PK_OK);
	clock_set("2026-03-01T12:00:00Z");
	assert_int_equal(ticket_set(db, "TEST-4", "status", "reopened"), PK_OK);
	free(ticket_new(db, "Foreign", "ref", "LUX1-7", "classification", "TOP SECRET", "type",
			"change", NULL));
	t = ticket_get(db, "LUX1-7");
	assert_int_equal(
		pk_comment_add(db, t, "public", "From Luxembourg", 0, "eve", T_NOW - T_DAY, NULL),
		PK_OK);
	pk_ticket_free(&t);
	clock_restore();
}

static void test_export_import_round_trip(void **state)
{
	struct pk_db *db = DB(state);
	build_varied_desk(db);
	long n1 = 0;
	char *text1 = export_text(db, NULL, &n1);
	assert_int_equal(n1, 5);

	/* another installation, another node name */
	struct pk_config *cfg2 = fx_config();
	free(cfg2->node);
	cfg2->node = pk_xstrdup("OTHER");
	struct pk_db *db2 = fx_open(cfg2);
	struct pk_import_stats stats;
	int rc = import_str(db2, text1, PK_FMT_AUTO, &stats);
	if (rc != PK_OK)
		fprintf(stderr, "re-import: %s\n", pk_db_error(db2)->msg);
	assert_int_equal(rc, PK_OK);
	assert_int_equal(stats.tickets, 5);
	assert_int_equal(stats.comments, 4);

	long n2 = 0;
	char *text2 = export_text(db2, NULL, &n2);
	assert_int_equal(n2, 5);
	json_t *a = by_uuid(text1), *b = by_uuid(text2);
	const char *uuid;
	json_t *v;
	json_object_foreach(a, uuid, v)
	{
		json_t *w = json_object_get(b, uuid);
		assert_non_null(w);
		if (!json_equal(v, w)) {
			char *x = json_dumps(v, JSON_SORT_KEYS), *y = json_dumps(w, JSON_SORT_KEYS);
			fprintf(stderr, "differs:\n%s\n%s\n", x, y);
			free(x);
			free(y);
		}
		assert_true(json_equal(v, w));
	}
	assert_int_equal(json_object_size(a), json_object_size(b));
	/* the whole text is the same, in the same order */
	assert_string_equal(text1, text2);
	json_decref(a);
	json_decref(b);

	/* the copy is a sound database of its own */
	struct pk_audit_result res;
	assert_int_equal(pk_audit_verify(db2, &res), PK_OK);
	assert_query(db2, "psu", "TEST-1");
	assert_query(db2, "luxembourg", "LUX1-7");
	char *ref = ticket_new(db2, "Local", NULL);
	assert_string_equal(ref, "OTHER-1");
	free(ref);

	free(text1);
	free(text2);
	pk_db_close(&db2);
	pk_config_free(&cfg2);
}

static void test_export_fields(void **state)
{
	struct pk_db *db = DB(state);
	build_varied_desk(db);
	long n = 0;
	char *text = export_text(db, "ref:TEST-2", &n);
	assert_int_equal(n, 1);
	int lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1);
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "ref")), "TEST-2");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "closed");
	assert_string_equal(json_string_value(json_object_get(o, "priority")), "P3");
	assert_int_equal(json_integer_value(json_object_get(o, "impact")), 3);
	assert_string_equal(json_string_value(json_object_get(o, "resolution")), "Rebooted");
	assert_string_equal(json_string_value(json_object_get(o, "created_at")),
			    "2026-03-01T09:30:00Z");
	assert_string_equal(json_string_value(json_object_get(o, "resolved_at")),
			    "2026-03-01T10:00:00Z");
	assert_string_equal(json_string_value(json_object_get(o, "closed_at")),
			    "2026-03-01T11:00:00Z");
	assert_true(json_is_null(json_object_get(o, "assignee")));
	assert_true(json_is_null(json_object_get(o, "followup")));
	assert_true(json_is_array(json_object_get(o, "comments")));
	assert_int_equal(json_array_size(json_object_get(o, "comments")), 0);
	assert_null(json_object_get(o, "id"));
	json_decref(o);
	free(text);

	/* non-ASCII is escaped, so the export is plain ASCII */
	text = export_text(db, "ref:TEST-1", &n);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		assert_true(*p < 0x80);
	assert_non_null(strstr(text, "Caf\\u00E9"));
	free(text);
}

static void test_export_filtered(void **state)
{
	struct pk_db *db = DB(state);
	build_varied_desk(db);
	long n = -1;
	char *text = export_text(db, "status:open", &n);
	assert_int_equal(n, 4);
	free(text);
	text = export_text(db, "nothingmatches", &n);
	assert_int_equal(n, 0);
	assert_string_equal(text, "");
	free(text);
}

static void progress_cb(void *data, uint64_t done, uint64_t total)
{
	uint64_t *last = data;
	last[0] = done;
	last[1] = total;
}

static void test_import_progress_reaches_total(void **state)
{
	struct pk_db *db = DB(state);
	const char *text = "{\"title\": \"a\"}\n{\"title\": \"b\"}\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	uint64_t last[2] = { 0, 0 };
	struct pk_import_stats stats;
	assert_int_equal(pk_import(db, f, PK_FMT_JSONL, strlen(text), progress_cb, last, &stats),
			 PK_OK);
	fclose(f);
	assert_int_equal(last[0], strlen(text));
	assert_int_equal(last[1], strlen(text));
}

static void test_ticket_to_json_shape(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Shape", "impact", "1", "urgency", "2", NULL));
	struct pk_ticket *t = ticket_get(db, "TEST-1");
	json_t *o = pk_ticket_to_json(t);
	static const char *const keys[] = {
		"ref",	       "uuid",	      "type",	    "title",
		"description", "status",      "priority",   "impact",
		"urgency",     "category",    "service",    "ci",
		"requester",   "assignee",    "group",	    "classification",
		"vendor",      "vendor_ref",  "resolution", "created_at",
		"updated_at",  "resolved_at", "closed_at",  "followup"
	};
	for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++)
		assert_non_null(json_object_get(o, keys[i]));
	assert_int_equal(json_object_size(o), PK_ARRAY_LEN(keys));
	assert_string_equal(json_string_value(json_object_get(o, "priority")), "P1");
	assert_string_equal(json_string_value(json_object_get(o, "uuid")), t->uuid);
	json_decref(o);
	pk_ticket_free(&t);
}

int main(void)
{
	unit_init();
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_jsonl_tickets_and_comments),
		T(test_jsonl_import_writes_history_and_oplog),
		T(test_jsonl_blank_lines_and_crlf),
		T(test_jsonl_own_ref_moves_counter),
		T(test_empty_input),
		T(test_csv_quotes_commas_newlines),
		T(test_csv_crlf_and_blank_lines),
		T(test_csv_auto_detected),
		T(test_error_bad_json),
		T(test_error_unknown_field),
		T(test_error_bad_priority),
		T(test_error_duplicate_uuid),
		T(test_error_duplicate_ref),
		T(test_error_not_an_object),
		T(test_error_duplicate_key),
		T(test_error_bad_value_types),
		T(test_error_bad_comment),
		T(test_error_nul_in_json_string),
		T(test_error_assigned_without_assignee),
		T(test_error_line_after_blank_lines),
		T(test_error_line_after_blank_lines_auto),
		T(test_error_csv_column_count),
		T(test_error_csv_bad_value),
		T(test_error_csv_unterminated_quote),
		T(test_error_csv_duplicate_header),
		T(test_error_csv_nul_byte),
		T(test_error_keeps_earlier_data),
		T(test_import_indexes_full_text),
		T(test_import_failure_leaves_index_alone),
		T(test_import_file_database_stays_wal),
		T(test_export_import_round_trip),
		T(test_export_fields),
		T(test_export_filtered),
		T(test_import_progress_reaches_total),
		T(test_ticket_to_json_shape),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
