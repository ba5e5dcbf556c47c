/* The whole schema as commented DDL, and the forward-only migrations.
 *
 * migrations[i] takes a database from user_version i to i + 1.  Never edit
 * a released step: add a new one. */
#include "db_private.h"
#include "picket/db.h"
#include "picket/i18n.h"

#include <stddef.h>

static const char migration_1[] =
	/* Small settings: the database's own identity, the last HLC, ... */
	"CREATE TABLE meta (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value TEXT\n"
	") WITHOUT ROWID;\n"

	/* Next N of the NODE-N refs, per node. */
	"CREATE TABLE counters (\n"
	"  node TEXT PRIMARY KEY,\n"
	"  next INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"

	/* Tickets: uuid is the global identity, ref the human one. */
	"CREATE TABLE tickets (\n"
	"  id             INTEGER PRIMARY KEY,\n"
	"  uuid           TEXT NOT NULL UNIQUE,\n"
	"  ref            TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
	"  type           TEXT NOT NULL,\n"
	"  title          TEXT NOT NULL,\n"
	"  description    TEXT NOT NULL DEFAULT '',\n"
	"  status         TEXT NOT NULL,\n"
	"  priority       INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),\n"
	"  impact         INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 4),\n"
	"  urgency        INTEGER NOT NULL CHECK (urgency BETWEEN 1 AND 4),\n"
	"  category       TEXT,\n"
	"  service        TEXT,\n"
	"  ci             TEXT,\n"
	"  requester      TEXT,\n"
	"  assignee       TEXT,\n"
	"  group_name     TEXT,\n"
	"  classification TEXT NOT NULL,\n"
	"  vendor         TEXT,\n"
	"  vendor_ref     TEXT,\n"
	"  resolution     TEXT,\n"
	"  created_at     INTEGER NOT NULL,\n"
	"  updated_at     INTEGER NOT NULL,\n"
	"  resolved_at    INTEGER,\n"
	"  closed_at      INTEGER,\n"
	"  response_due   INTEGER,\n"
	"  resolve_due    INTEGER\n"
	");\n"
	/* The queue: open tickets by priority.  A partial index keeps the plan
	 * right before and after ANALYZE (see DESIGN.md, performance notes). */
	"CREATE INDEX tickets_open ON tickets(priority, id)\n"
	"  WHERE status NOT IN ('resolved', 'closed');\n"
	"CREATE INDEX tickets_assignee ON tickets(assignee, status);\n"
	"CREATE INDEX tickets_updated ON tickets(updated_at);\n"

	/* Comments: public, internal notes, worklog with minutes spent. */
	"CREATE TABLE comments (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  uuid       TEXT NOT NULL UNIQUE,\n"
	"  ticket_id  INTEGER NOT NULL REFERENCES tickets(id),\n"
	"  kind       TEXT NOT NULL CHECK (kind IN ('public', 'internal', 'worklog')),\n"
	"  author     TEXT NOT NULL,\n"
	"  body       TEXT NOT NULL,\n"
	"  minutes    INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0),\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX comments_ticket ON comments(ticket_id);\n"

	/* The audit trail: who changed which field of which record, when,
	 * from what to what.  Append-only; each entry's hash covers the
	 * previous entry's hash, so any edit or removal breaks the chain. */
	"CREATE TABLE history (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  at          INTEGER NOT NULL,\n"
	"  actor       TEXT NOT NULL,\n"
	"  entity      TEXT NOT NULL,\n"
	"  entity_uuid TEXT NOT NULL,\n"
	"  field       TEXT NOT NULL,\n"
	"  old_value   TEXT,\n"
	"  new_value   TEXT,\n"
	"  hash        BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX history_entity ON history(entity_uuid);\n"
	"CREATE TRIGGER history_no_update BEFORE UPDATE ON history\n"
	"  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;\n"
	"CREATE TRIGGER history_no_delete BEFORE DELETE ON history\n"
	"  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;\n"

	/* Every change as an event for sync: per field, with a hybrid logical
	 * clock; `value` is JSON (an object for op 'create'). */
	"CREATE TABLE oplog (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  event_uuid  TEXT NOT NULL UNIQUE,\n"
	"  entity      TEXT NOT NULL,\n"
	"  entity_uuid TEXT NOT NULL,\n"
	"  op          TEXT NOT NULL CHECK (op IN ('create', 'set')),\n"
	"  field       TEXT,\n"
	"  value       TEXT,\n"
	"  hlc         INTEGER NOT NULL,\n"
	"  origin      TEXT NOT NULL,\n"
	"  actor       TEXT NOT NULL,\n"
	"  at          INTEGER NOT NULL,\n"
	"  pushed      INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX oplog_unpushed ON oplog(id) WHERE pushed = 0;\n"
	"CREATE TRIGGER oplog_no_delete BEFORE DELETE ON oplog\n"
	"  BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;\n"
	"CREATE TRIGGER oplog_only_pushed BEFORE UPDATE OF\n"
	"  id, event_uuid, entity, entity_uuid, op, field, value, hlc, origin, actor, at\n"
	"  ON oplog BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;\n"

	/* Full text over titles, descriptions and comments: one document per
	 * ticket, rowid = ticket id, so newest-first search walks the index
	 * backwards.  The engine keeps it in step (pk_fts_touch). */
	"CREATE VIEW ticket_doc AS\n"
	"  SELECT t.id AS id, t.title AS title, t.description AS description,\n"
	"    (SELECT group_concat(body, char(10)) FROM\n"
	"      (SELECT body FROM comments c WHERE c.ticket_id = t.id ORDER BY c.id))\n"
	"    AS comments\n"
	"  FROM tickets t;\n"
	"CREATE VIRTUAL TABLE ticket_fts USING fts5(\n"
	"  " PK_FTS_COLUMNS ",\n"
	"  content = 'ticket_doc', content_rowid = 'id',\n"
	"  tokenize = " PK_FTS_TOKENIZE "\n"
	");\n";

/* Open tickets by resolution target, for counting and listing what is past
 * due without reading every ticket (the status bar, later the SLA views). */
static const char migration_2[] =
	"CREATE INDEX tickets_due ON tickets(resolve_due)\n"
	"  WHERE resolve_due IS NOT NULL AND status NOT IN ('resolved', 'closed');\n";

/* Service levels (sla.c keeps the derived columns), vendor follow-ups,
 * vendors, escalation bookkeeping, on-call overrides and handover notes. */
static const char migration_3[] =
	/* when the ticket first got an answer: a public comment or a take */
	"ALTER TABLE tickets ADD COLUMN responded_at INTEGER;\n"
	/* the earlier of the two clocks' due times: what breaches next */
	"ALTER TABLE tickets ADD COLUMN sla_due INTEGER;\n"
	/* when escalation must look at the ticket again */
	"ALTER TABLE tickets ADD COLUMN sla_next INTEGER;\n"
	/* outcomes once a clock stops: 'met' or 'breached' */
	"ALTER TABLE tickets ADD COLUMN sla_response TEXT;\n"
	"ALTER TABLE tickets ADD COLUMN sla_resolve TEXT;\n"
	/* when to chase the vendor a ticket waits on */
	"ALTER TABLE tickets ADD COLUMN followup_at INTEGER;\n"
	"DROP INDEX tickets_due;\n"
	"CREATE INDEX tickets_sla ON tickets(sla_due)\n"
	"  WHERE sla_due IS NOT NULL AND status NOT IN ('resolved', 'closed');\n"
	"CREATE INDEX tickets_sla_next ON tickets(sla_next) WHERE sla_next IS NOT NULL;\n"
	"CREATE INDEX tickets_followup ON tickets(followup_at)\n"
	"  WHERE followup_at IS NOT NULL AND status NOT IN ('resolved', 'closed');\n"

	/* External service companies tickets are escalated to. */
	"CREATE TABLE vendors (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  uuid       TEXT NOT NULL UNIQUE,\n"
	"  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
	"  contact    TEXT,\n"
	"  contract   TEXT,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"

	/* Escalation rules fired: one row per rule, ticket and condition, so
	 * each fires once however many runs overlap. */
	"CREATE TABLE escalations (\n"
	"  rule        TEXT NOT NULL,\n"
	"  ticket_uuid TEXT NOT NULL,\n"
	"  condition   TEXT NOT NULL,\n"
	"  at          INTEGER NOT NULL,\n"
	"  PRIMARY KEY (rule, ticket_uuid, condition)\n"
	") WITHOUT ROWID;\n"
	/* Notifications to deliver: retried with backoff, claimed by one
	 * process at a time. */
	"CREATE TABLE notifications (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  rule        TEXT NOT NULL,\n"
	"  ticket_uuid TEXT NOT NULL,\n"
	"  condition   TEXT NOT NULL,\n"
	"  command     TEXT NOT NULL,\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  attempts    INTEGER NOT NULL DEFAULT 0,\n"
	"  next_at     INTEGER NOT NULL,\n"
	"  claimed_until INTEGER,\n"
	"  state       TEXT NOT NULL DEFAULT 'pending'\n"
	"    CHECK (state IN ('pending', 'sent', 'failed')),\n"
	"  last_error  TEXT\n"
	");\n"
	"CREATE INDEX notifications_pending ON notifications(next_at) WHERE state = 'pending';\n"

	/* On-call overrides: swaps and leave, on top of the configured rotas. */
	"CREATE TABLE oncall_overrides (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  uuid       TEXT NOT NULL UNIQUE,\n"
	"  group_name TEXT NOT NULL,\n"
	"  person     TEXT NOT NULL,\n"
	"  starts_at  INTEGER NOT NULL,\n"
	"  ends_at    INTEGER NOT NULL,\n"
	"  reason     TEXT,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX oncall_overrides_group ON oncall_overrides(group_name, starts_at);\n"

	/* Shift handover notes the outgoing shift writes and the incoming
	 * shift acknowledges. */
	"CREATE TABLE handover_notes (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  uuid       TEXT NOT NULL UNIQUE,\n"
	"  author     TEXT NOT NULL,\n"
	"  body       TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  acked_by   TEXT,\n"
	"  acked_at   INTEGER\n"
	");\n"
	"CREATE INDEX handover_notes_created ON handover_notes(created_at);\n";

/* The open queue's index also carries the SLA due time and the status, so
 * sort:sla, sla:breached and status tabs read the index, not every open
 * row (tests/bench/RESULTS.md, "SLA and escalation"). */
static const char migration_4[] =
	"DROP INDEX tickets_open;\n"
	"CREATE INDEX tickets_open ON tickets(priority, id, sla_due, status)\n"
	"  WHERE status NOT IN ('resolved', 'closed');\n";

/* Sync.  A "set" event records `base`, the hlc of the field's value its
 * author saw, so a merge tells a later edit from a concurrent one
 * (oplog.h); existing events get the value they replaced.  oplog_field
 * finds a field's events (its winner, its base) by index.  `conflicts`
 * holds the fields whose concurrent values by different people disagree:
 * derived, recomputed from the oplog by every merge and cleared by the
 * next edit of the field. */
static const char migration_5[] =
	"DROP TRIGGER oplog_only_pushed;\n"
	"ALTER TABLE oplog ADD COLUMN base INTEGER;\n"
	"CREATE INDEX oplog_field ON oplog(entity_uuid, field, hlc);\n"
	"UPDATE oplog SET base = coalesce(\n"
	"  (SELECT max(o.hlc) FROM oplog o WHERE o.entity_uuid = oplog.entity_uuid\n"
	"     AND o.field = oplog.field AND o.hlc < oplog.hlc),\n"
	"  (SELECT max(o.hlc) FROM oplog o WHERE o.entity_uuid = oplog.entity_uuid\n"
	"     AND o.field IS NULL AND o.hlc < oplog.hlc), 0)\n"
	"  WHERE op = 'set';\n"
	"CREATE TRIGGER oplog_only_pushed BEFORE UPDATE OF\n"
	"  id, event_uuid, entity, entity_uuid, op, field, value, hlc, base, origin, actor, at\n"
	"  ON oplog BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;\n"
	"CREATE TABLE conflicts (\n"
	"  entity_uuid TEXT NOT NULL,\n"
	"  field       TEXT NOT NULL,\n"
	"  entity      TEXT NOT NULL,\n"
	"  PRIMARY KEY (entity_uuid, field)\n"
	") WITHOUT ROWID;\n";

/* The search index gathers up to 16 MiB of terms in memory before it
 * writes a segment (SQLite's default is 1 MiB): a large write, such as a
 * first sync's or an import's, makes fewer small segments to merge
 * (tests/bench/RESULTS.md, "Fewer commits, a larger search buffer"). */
static const char migration_6[] =
	"INSERT INTO ticket_fts(ticket_fts, rank) VALUES ('hashsize', " PK_FTS_HASHSIZE ");\n";

/* A CHECK of IN with three values builds a temporary table each time it
 * is evaluated: on every comment written, a sixth of a large pull's work
 * (tests/bench/RESULTS.md, "A comment's CHECK").  The same rule as
 * comparisons needs none.  The rows are unchanged, so the table's text is
 * edited in place, as SQLite documents for changing a CHECK; migrate()
 * then moves the schema cookie so that every connection reads it again. */
static const char migration_7[] =
	"PRAGMA writable_schema = ON;\n"
	"UPDATE sqlite_schema SET sql = replace(sql,\n"
	"  'CHECK (kind IN (''public'', ''internal'', ''worklog''))',\n"
	"  'CHECK (kind = ''public'' OR kind = ''internal'' OR kind = ''worklog'')')\n"
	"  WHERE type = 'table' AND name = 'comments';\n"
	"PRAGMA writable_schema = OFF;\n";

static const char *const migrations[] = {
	migration_1, migration_2, migration_3, migration_4, migration_5, migration_6, migration_7,
};

const struct pk_schema pk_desk_schema = {
	.what = N_("a picket database"),
	.application_id = 0,
	.migrations = migrations,
	.nmigrations = (int)(sizeof(migrations) / sizeof(migrations[0])),
};
