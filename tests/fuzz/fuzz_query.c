/* The query language: any text compiles or is refused with a position,
 * and what compiles is valid SQL for SQLite to prepare. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picket/config.h"
#include "picket/query.h"
#include "picket/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pk_config *cfg;
	static sqlite3 *h;
	if (!cfg) {
		cfg = pk_config_defaults();
		sqlite3_open(":memory:", &h);
		sqlite3_exec(h,
			     "CREATE TABLE tickets(id INTEGER PRIMARY KEY, uuid, ref, type, title, "
			     "description, status, priority, impact, urgency, category, service, "
			     "ci, requester, assignee, group_name, classification, vendor, "
			     "vendor_ref, resolution, created_at, updated_at, resolved_at, "
			     "closed_at, response_due, resolve_due, responded_at, sla_due, "
			     "sla_next, sla_response, sla_resolve, followup_at);"
			     "CREATE VIRTUAL TABLE ticket_fts USING fts5(title, description, "
			     "comments);",
			     NULL, NULL, NULL);
	}
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct pk_query *q = NULL;
	struct pk_error err = { 0 };
	int rc = pk_query_compile(cfg, "alice", 1772355600, text, PK_Q_RANK, &q, &err);
	if (rc == PK_OK) {
		char *sql = pk_query_select(q, "t.id");
		sqlite3_stmt *st = NULL;
		/* the compiler's SQL must always prepare */
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
			abort();
		pk_query_bind(q, st, 1);
		sqlite3_finalize(st);
		free(sql);
		pk_query_free(&q);
	} else if (rc != PK_EQUERY || err.pos < 0) {
		abort();
	}
	free(text);
	return 0;
}
