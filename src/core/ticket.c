/* Tickets and comments: their entity tables, validation and the workflow
 * rules applied on the way into the change path. */
#include "picket/ticket.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/query.h"
#include "picket/sla.h"
#include "picket/status.h"
#include "picket/text.h"

static int ticket_hook(struct pk_db *db, struct pk_change *ch, enum pk_hook_phase phase);
static int comment_hook(struct pk_db *db, struct pk_change *ch, enum pk_hook_phase phase);

/* the schema's CHECKs (schema.c) */
static const struct pk_domain level_domain = { 1, 4, NULL };
static const struct pk_domain minutes_domain = { 0, INT64_MAX, NULL };
static const char *const comment_kinds[] = { "public", "internal", "worklog", NULL };
static const struct pk_domain kind_domain = { 0, 0, comment_kinds };

static const struct pk_field ticket_fields[] = {
	{ "ref", "ref", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "type", "type", PK_FT_TEXT, PK_FF_REQUIRED, NULL },
	{ "title", "title", PK_FT_TEXT, PK_FF_FTS | PK_FF_REQUIRED, NULL },
	{ "description", "description", PK_FT_TEXT, PK_FF_FTS | PK_FF_NOTNULL, NULL },
	{ "status", "status", PK_FT_TEXT, PK_FF_REQUIRED, NULL },
	{ "priority", "priority", PK_FT_INT, PK_FF_REQUIRED, &level_domain },
	{ "impact", "impact", PK_FT_INT, PK_FF_REQUIRED, &level_domain },
	{ "urgency", "urgency", PK_FT_INT, PK_FF_REQUIRED, &level_domain },
	{ "category", "category", PK_FT_TEXT, 0, NULL },
	{ "service", "service", PK_FT_TEXT, 0, NULL },
	{ "ci", "ci", PK_FT_TEXT, 0, NULL },
	{ "requester", "requester", PK_FT_TEXT, 0, NULL },
	{ "assignee", "assignee", PK_FT_TEXT, 0, NULL },
	{ "group", "group_name", PK_FT_TEXT, 0, NULL },
	{ "classification", "classification", PK_FT_TEXT, PK_FF_REQUIRED, NULL },
	{ "vendor", "vendor", PK_FT_TEXT, 0, NULL },
	{ "vendor_ref", "vendor_ref", PK_FT_TEXT, 0, NULL },
	{ "resolution", "resolution", PK_FT_TEXT, 0, NULL },
	{ "created_at", "created_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "updated_at", "updated_at", PK_FT_TIME, PK_FF_NOLOG, NULL },
	{ "resolved_at", "resolved_at", PK_FT_TIME, 0, NULL },
	{ "closed_at", "closed_at", PK_FT_TIME, 0, NULL },
	{ "response_due", "response_due", PK_FT_TIME, PK_FF_NOLOG, NULL },
	{ "resolve_due", "resolve_due", PK_FT_TIME, PK_FF_NOLOG, NULL },
	{ "followup", "followup_at", PK_FT_TIME, 0, NULL },
};

const struct pk_entity pk_ticket_entity = {
	.name = "ticket",
	.table = "tickets",
	.fields = ticket_fields,
	.nfields = PK_ARRAY_LEN(ticket_fields),
	.level = "classification",
	.hook = ticket_hook,
};

static const struct pk_field comment_fields[] = {
	{ "kind", "kind", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, &kind_domain },
	{ "ticket_id", "ticket_id", PK_FT_INT, PK_FF_INTERNAL | PK_FF_IMMUTABLE, NULL },
	{ "author", "author", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "body", "body", PK_FT_TEXT, PK_FF_FTS | PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "minutes", "minutes", PK_FT_INT, PK_FF_IMMUTABLE | PK_FF_NOTNULL, &minutes_domain },
	{ "created_at", "created_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
};

const struct pk_entity pk_comment_entity = {
	.name = "comment",
	.table = "comments",
	.fields = comment_fields,
	.nfields = PK_ARRAY_LEN(comment_fields),
	.parent = "ticket",
	.hook = comment_hook,
};

const char pk_ticket_columns[] =
	"t.id, t.uuid, t.ref, t.type, t.title, t.description, t.status, t.priority, "
	"t.impact, t.urgency, t.category, t.service, t.ci, t.requester, t.assignee, "
	"t.group_name, t.classification, t.vendor, t.vendor_ref, t.resolution, "
	"t.created_at, t.updated_at, t.resolved_at, t.closed_at, t.response_due, "
	"t.resolve_due, t.responded_at, t.sla_due, t.sla_response, t.sla_resolve, "
	"t.followup_at";

/* Derived upkeep of a ticket inside the change path: its full-text
 * document and its SLA clocks (sla.h), whoever made the change. */
static int ticket_hook(struct pk_db *db, struct pk_change *ch, enum pk_hook_phase phase)
{
	int64_t id = pk_change_rowid(ch);
	int rc;
	if (pk_change_is_create(ch)) {
		if (phase != PK_HOOK_AFTER)
			return PK_OK;
		if ((rc = pk_fts_touch(db, id, 0)) != PK_OK)
			return rc;
		/* an import computes its tickets' clocks once, at the end */
		return db->sla_bulk && id >= db->bulk_first ? PK_OK : pk_sla_refresh(db, id);
	}
	if (phase == PK_HOOK_BEFORE) {
		if (pk_change_differs(ch, "title") || pk_change_differs(ch, "description"))
			return pk_fts_touch(db, id, 1);
		return PK_OK;
	}
	/* taking a ticket is a first response */
	const char *who = pk_change_get_text(ch, "assignee");
	if (pk_change_differs(ch, "assignee") && who && pk_streq(who, pk_db_actor(db)) &&
	    (rc = pk_sla_responded(db, id, pk_db_change_time(db))) != PK_OK)
		return rc;
	static const char *const clock_fields[] = { "status", "priority", "type", "service" };
	for (size_t i = 0; i < PK_ARRAY_LEN(clock_fields); i++)
		if (pk_change_differs(ch, clock_fields[i]))
			return pk_sla_refresh(db, id);
	return PK_OK;
}

static int comment_hook(struct pk_db *db, struct pk_change *ch, enum pk_hook_phase phase)
{
	if (!pk_change_is_create(ch))
		return PK_OK;
	int64_t ticket = pk_change_get_int(ch, "ticket_id");
	if (phase == PK_HOOK_BEFORE)
		return pk_fts_touch(db, ticket, 1);
	/* a public answer is the first response; on a ticket this bulk or
	 * batch created, the commit sets it (refresh_created in sla.c) */
	if ((db->sla_bulk || db->sla_defer) && ticket >= db->bulk_first)
		return PK_OK;
	if (pk_streq(pk_change_get_text(ch, "kind"), "public"))
		return pk_sla_responded(db, ticket, pk_change_get_int(ch, "created_at"));
	return PK_OK;
}

static char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? pk_xstrdup((const char *)s) : NULL;
}

struct pk_ticket *pk_ticket_from_row(sqlite3_stmt *st, int c)
{
	struct pk_ticket *t = pk_xcalloc(1, sizeof(*t));
	t->id = sqlite3_column_int64(st, c + 0);
	t->uuid = col_text(st, c + 1);
	t->ref = col_text(st, c + 2);
	t->type = col_text(st, c + 3);
	t->title = col_text(st, c + 4);
	t->description = col_text(st, c + 5);
	t->status = col_text(st, c + 6);
	t->priority = sqlite3_column_int(st, c + 7);
	t->impact = sqlite3_column_int(st, c + 8);
	t->urgency = sqlite3_column_int(st, c + 9);
	t->category = col_text(st, c + 10);
	t->service = col_text(st, c + 11);
	t->ci = col_text(st, c + 12);
	t->requester = col_text(st, c + 13);
	t->assignee = col_text(st, c + 14);
	t->group = col_text(st, c + 15);
	t->classification = col_text(st, c + 16);
	t->vendor = col_text(st, c + 17);
	t->vendor_ref = col_text(st, c + 18);
	t->resolution = col_text(st, c + 19);
	t->created_at = sqlite3_column_int64(st, c + 20);
	t->updated_at = sqlite3_column_int64(st, c + 21);
	t->resolved_at = sqlite3_column_int64(st, c + 22);
	t->closed_at = sqlite3_column_int64(st, c + 23);
	t->response_due = sqlite3_column_int64(st, c + 24);
	t->resolve_due = sqlite3_column_int64(st, c + 25);
	t->responded_at = sqlite3_column_int64(st, c + 26);
	t->sla_due = sqlite3_column_int64(st, c + 27);
	t->sla_response = col_text(st, c + 28);
	t->sla_resolve = col_text(st, c + 29);
	t->followup_at = sqlite3_column_int64(st, c + 30);
	return t;
}

void pk_ticket_free(struct pk_ticket **pt)
{
	struct pk_ticket *t = *pt;
	if (!t)
		return;
	char **strs[] = { &t->uuid,	      &t->ref,		&t->type,
			  &t->title,	      &t->description,	&t->status,
			  &t->category,	      &t->service,	&t->ci,
			  &t->requester,      &t->assignee,	&t->group,
			  &t->classification, &t->vendor,	&t->vendor_ref,
			  &t->resolution,     &t->sla_response, &t->sla_resolve };
	for (size_t i = 0; i < PK_ARRAY_LEN(strs); i++)
		free(*strs[i]);
	free(t);
	*pt = NULL;
}

struct pk_ticket *pk_ticket_dup(const struct pk_ticket *t)
{
	struct pk_ticket *c = pk_xmalloc(sizeof(*c));
	*c = *t;
	char **strs[] = { &c->uuid,	      &c->ref,		&c->type,
			  &c->title,	      &c->description,	&c->status,
			  &c->category,	      &c->service,	&c->ci,
			  &c->requester,      &c->assignee,	&c->group,
			  &c->classification, &c->vendor,	&c->vendor_ref,
			  &c->resolution,     &c->sla_response, &c->sla_resolve };
	for (size_t i = 0; i < PK_ARRAY_LEN(strs); i++)
		*strs[i] = pk_xstrdup(*strs[i]);
	return c;
}

void pk_comment_free(struct pk_comment **pc)
{
	struct pk_comment *c = *pc;
	if (!c)
		return;
	free(c->uuid);
	free(c->kind);
	free(c->author);
	free(c->body);
	free(c);
	*pc = NULL;
}

void pk_history_free(struct pk_history **ph)
{
	struct pk_history *h = *ph;
	if (!h)
		return;
	free(h->actor);
	free(h->entity);
	free(h->entity_uuid);
	free(h->field);
	free(h->old_value);
	free(h->new_value);
	free(h);
	*ph = NULL;
}

static int is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* NODE-N: 1-8 letters or digits, a dash, a number. */
static int ref_valid(const char *s, char *node, long long *n)
{
	const char *dash = strrchr(s, '-');
	if (!dash || dash == s || dash - s > 8)
		return 0;
	for (const char *p = s; p < dash; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	if (pk_parse_int(dash + 1, 1, INT64_MAX / 2, n) != 0 || dash[1] == '+' || dash[1] == '-')
		return 0;
	if (node) {
		memcpy(node, s, (size_t)(dash - s));
		node[dash - s] = '\0';
	}
	return 1;
}

int pk_ticket_get(struct pk_db *db, const char *key, struct pk_ticket **out)
{
	*out = NULL;
	char sql[1024];
	char *local = NULL;
	long long n;
	const char *col = is_uuid(key) ? "uuid" : "ref";
	if (!is_uuid(key) && pk_parse_int(key, 1, INT64_MAX / 2, &n) == 0 &&
	    isdigit((unsigned char)key[0]))
		key = local = pk_xasprintf("%s-%lld", db->cfg->node, n);
	snprintf(sql, sizeof(sql), "SELECT %s FROM tickets t WHERE t.%s = ?1", pk_ticket_columns,
		 col);
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	if (!st) {
		free(local);
		return db->err.code;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = pk_ticket_from_row(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		rc = pk_error_set(&db->err, PK_ENOTFOUND, _("no ticket %s"), key);
	else if (rc != SQLITE_ROW)
		rc = pk_db_fail(db, rc, _("reading a ticket"));
	else
		rc = PK_OK;
	free(local);
	return rc;
}

/* Fields a person may set with `picket set` (status through the workflow
 * check); the rest are kept by the engine (identity, times). */
static const char *const settable[] = {
	"type",	      "title",	  "description",    "priority", "impact",
	"urgency",    "category", "service",	    "ci",	"requester",
	"assignee",   "group",	  "classification", "vendor",	"vendor_ref",
	"resolution", "status",	  "followup",	    NULL
};

/* Extra fields an import may carry. */
static const char *const import_only[] = { "uuid",	   "ref",	  "created_at",
					   "updated_at",   "resolved_at", "closed_at",
					   "response_due", "resolve_due", NULL };

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int pk_ticket_field_settable(const char *name)
{
	return in_list(settable, name);
}

int pk_ticket_field_known(const char *name, int import)
{
	return in_list(settable, name) || (import && in_list(import_only, name)) ||
	       strcmp(name, "class") == 0;
}

static int check_text(struct pk_db *db, const char *field, const char *v, size_t max,
		      int single_line)
{
	size_t n = strlen(v), bad;
	if (!pk_utf8_valid(v, n, &bad))
		return pk_error_set(&db->err, PK_EINVAL, _("%s: invalid UTF-8 at byte %zu"), field,
				    bad + 1);
	if (n > max)
		return pk_error_set(&db->err, PK_EINVAL,
				    _("%s is %zu bytes long; the limit is %zu"), field, n, max);
	if (single_line && strpbrk(v, "\r\n"))
		return pk_error_set(&db->err, PK_EINVAL, _("%s must be a single line"), field);
	return PK_OK;
}

static int put_time(struct pk_db *db, struct pk_change *ch, const char *field, const char *v)
{
	int64_t t;
	if (!*v)
		return pk_change_null(ch, field);
	if (pk_time_parse(v, &t) != 0)
		return pk_error_set(&db->err, PK_EINVAL,
				    _("%s: '%s' is not a time (use 2026-03-01T09:00:00Z)"), field,
				    v);
	return pk_change_int(ch, field, t);
}

static int put_level(struct pk_db *db, struct pk_change *ch, const char *v)
{
	const struct pk_config *cfg = db->cfg;
	int rank = pk_class_rank(cfg, v);
	if (rank < 0) {
		struct pk_buf levels = { 0 };
		for (int i = 0; i < cfg->nlevels; i++)
			pk_buf_printf(&levels, "%s%s", i ? ", " : "", cfg->levels[i]);
		int rc = pk_error_set(&db->err, PK_EINVAL,
				      _("classification: unknown level '%s' (levels: %s)"), v,
				      levels.data);
		pk_buf_free(&levels);
		return rc;
	}
	if (rank > cfg->system_high)
		return pk_error_set(&db->err, PK_ECLASS,
				    _("classification %s is above this workstation's system-high "
				      "level %s"),
				    cfg->levels[rank], cfg->levels[cfg->system_high]);
	return pk_change_text(ch, "classification", cfg->levels[rank]);
}

int pk_ticket_put(struct pk_db *db, struct pk_change *ch, const char *field, const char *value,
		  int import)
{
	int rc;
	long long n;
	if (!value)
		value = "";
	if (strcmp(field, "class") == 0)
		field = "classification";
	if (!in_list(settable, field) && !(import && in_list(import_only, field))) {
		if (in_list(import_only, field))
			return pk_error_set(&db->err, PK_EINVAL,
					    _("%s is kept by picket and cannot be set"), field);
		return pk_error_set(&db->err, PK_EINVAL,
				    _("unknown field '%s' (fields: type title description "
				      "status priority impact urgency category service ci "
				      "requester assignee group classification vendor "
				      "vendor_ref resolution)"),
				    field);
	}
	if (strcmp(field, "description") == 0 || strcmp(field, "resolution") == 0) {
		if ((rc = check_text(db, field, value, PK_TEXT_MAX, 0)) != PK_OK)
			return rc;
		if (strcmp(field, "resolution") == 0 && !*value)
			return pk_change_null(ch, field);
		return pk_change_text(ch, field, value);
	}
	if ((rc = check_text(db, field, value,
			     strcmp(field, "title") == 0 ? PK_TITLE_MAX : PK_FIELD_MAX, 1)) !=
	    PK_OK)
		return rc;
	/* one-line fields: no control characters (tabs, escapes, ...) */
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return pk_error_set(&db->err, PK_EINVAL,
					    _("%s must not contain control characters"), field);

	if (strcmp(field, "title") == 0) {
		const char *p = value;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return pk_error_set(&db->err, PK_EINVAL, _("title must not be empty"));
		return pk_change_text(ch, field, value);
	}
	if (strcmp(field, "type") == 0) {
		if (!pk_type_valid(value))
			return pk_error_set(&db->err, PK_EINVAL,
					    _("type: '%s' is not one of incident, request, "
					      "problem, change"),
					    value);
		return pk_change_text(ch, field, value);
	}
	if (strcmp(field, "status") == 0) {
		if (pk_wf_index(&db->cfg->wf, value) < 0)
			return pk_error_set(&db->err, PK_EINVAL, _("status: unknown status '%s'"),
					    value);
		return pk_change_text(ch, field, value);
	}
	if (strcmp(field, "priority") == 0) {
		int p = pk_priority_parse(value);
		if (!p)
			return pk_error_set(&db->err, PK_EINVAL,
					    _("priority: '%s' is not P1, P2, P3 or P4"), value);
		return pk_change_int(ch, field, p);
	}
	if (strcmp(field, "impact") == 0 || strcmp(field, "urgency") == 0) {
		if (pk_parse_int(value, 1, 4, &n) != 0)
			return pk_error_set(&db->err, PK_EINVAL,
					    _("%s: '%s' is not a number from 1 (highest) to 4"),
					    field, value);
		return pk_change_int(ch, field, n);
	}
	if (strcmp(field, "classification") == 0)
		return put_level(db, ch, value);
	if (strcmp(field, "uuid") == 0) {
		if (!is_uuid(value))
			return pk_error_set(&db->err, PK_EINVAL, _("uuid: '%s' is not a UUID"),
					    value);
		char lower[37];
		for (int i = 0; i < 37; i++)
			lower[i] = (char)tolower((unsigned char)value[i]);
		pk_change_set_uuid(ch, lower);
		return PK_OK;
	}
	if (strcmp(field, "ref") == 0) {
		if (!ref_valid(value, NULL, &n))
			return pk_error_set(&db->err, PK_EINVAL,
					    _("ref: '%s' is not NODE-N (e.g. LUX1-42)"), value);
		char *up = pk_xstrdup(value);
		for (char *p = up; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		rc = pk_change_text(ch, field, up);
		free(up);
		return rc;
	}
	if (strcmp(field, "followup") == 0 && !*value)
		return pk_change_null(ch, field);
	if (strcmp(field, "followup") == 0) {
		/* a delay from now (2d, +4h), or a date in local time as people
		 * type it; an import's ISO times name their zone */
		int64_t d;
		const char *v = value[0] == '+' ? value + 1 : value;
		if (pk_duration_parse(v, &d) == 0)
			return pk_change_int(ch, field, pk_clock_now() + d);
		if (pk_zone_time_parse(NULL, value, &d) == 0)
			return pk_change_int(ch, field, d);
		return pk_error_set(&db->err, PK_EINVAL,
				    _("followup: '%s' is not a delay (2d, +4h) or a date "
				      "(2026-03-05T09:00)"),
				    value);
	}
	if (strstr(field, "_at") || strstr(field, "_due"))
		return put_time(db, ch, field, value);

	/* short free-text fields: empty clears */
	if (!*value)
		return pk_change_null(ch, field);
	return pk_change_text(ch, field, value);
}

char *pk_ticket_field_text(const struct pk_ticket *t, const char *f)
{
	char buf[32];
	if (strcmp(f, "priority") == 0)
		return pk_xasprintf("P%d", t->priority);
	if (strcmp(f, "impact") == 0)
		return pk_xasprintf("%d", t->impact);
	if (strcmp(f, "urgency") == 0)
		return pk_xasprintf("%d", t->urgency);
	const struct {
		const char *name;
		const int64_t *v;
	} times[] = { { "created_at", &t->created_at },	  { "updated_at", &t->updated_at },
		      { "resolved_at", &t->resolved_at }, { "closed_at", &t->closed_at },
		      { "followup", &t->followup_at },	  { "response_due", &t->response_due },
		      { "resolve_due", &t->resolve_due } };
	for (size_t i = 0; i < PK_ARRAY_LEN(times); i++)
		if (strcmp(f, times[i].name) == 0)
			return *times[i].v
				       ? pk_xstrdup(pk_time_format(*times[i].v, buf, sizeof(buf)))
				       : NULL;
	const struct {
		const char *name;
		char *v;
	} strs[] = { { "uuid", t->uuid },
		     { "ref", t->ref },
		     { "type", t->type },
		     { "title", t->title },
		     { "description", t->description },
		     { "status", t->status },
		     { "category", t->category },
		     { "service", t->service },
		     { "ci", t->ci },
		     { "requester", t->requester },
		     { "assignee", t->assignee },
		     { "group", t->group },
		     { "classification", t->classification },
		     { "vendor", t->vendor },
		     { "vendor_ref", t->vendor_ref },
		     { "resolution", t->resolution } };
	for (size_t i = 0; i < PK_ARRAY_LEN(strs); i++)
		if (strcmp(f, strs[i].name) == 0)
			return pk_xstrdup(strs[i].v);
	return NULL;
}

struct pk_change *pk_ticket_draft(struct pk_db *db)
{
	const struct pk_config *cfg = db->cfg;
	struct pk_change *ch = pk_change_create(&pk_ticket_entity);
	pk_change_text(ch, "type", cfg->default_type);
	pk_change_text(ch, "description", "");
	pk_change_text(ch, "status", cfg->wf.status[0]);
	pk_change_int(ch, "impact", cfg->default_impact);
	pk_change_int(ch, "urgency", cfg->default_urgency);
	pk_change_text(ch, "classification", cfg->levels[cfg->default_level]);
	return ch;
}

/* Allocates the next free NODE-N of this installation. */
static int next_ref(struct pk_db *db, char **ref)
{
	for (;;) {
		sqlite3_stmt *st = pk_db_stmt(
			db, "INSERT INTO counters(node, next) VALUES (?1, 2) "
			    "ON CONFLICT(node) DO UPDATE SET next = next + 1 RETURNING next - 1");
		if (!st)
			return db->err.code;
		sqlite3_bind_text(st, 1, db->cfg->node, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return pk_db_fail(db, rc, _("allocating a ref"));
		*ref = pk_xasprintf("%s-%lld", db->cfg->node, (long long)n);
		st = pk_db_stmt(db, "SELECT 1 FROM tickets WHERE ref = ?1");
		if (!st)
			return db->err.code;
		sqlite3_bind_text(st, 1, *ref, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return PK_OK;
		pk_freep(ref);
		if (rc != SQLITE_ROW)
			return pk_db_fail(db, rc, _("allocating a ref"));
	}
}

/* An imported ref of this node moves the counter past it. */
static int reserve_ref(struct pk_db *db, const char *ref)
{
	char node[16];
	long long n;
	if (!ref_valid(ref, node, &n) || strcasecmp(node, db->cfg->node) != 0)
		return PK_OK;
	sqlite3_stmt *st =
		pk_db_stmt(db, "INSERT INTO counters(node, next) VALUES (?1, ?2) "
			       "ON CONFLICT(node) DO UPDATE SET next = max(next, excluded.next)");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, db->cfg->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, n + 1);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("allocating a ref"));
}

int pk_ticket_insert(struct pk_db *db, struct pk_change *ch, char **ref_out)
{
	const struct pk_config *cfg = db->cfg;
	int rc;
	char *ref = NULL;
	if (!pk_change_get_text(ch, "title"))
		return pk_error_set(&db->err, PK_EINVAL, _("a ticket needs a title"));
	const char *cls = pk_change_get_text(ch, "classification");
	if (pk_class_rank(cfg, cls) > cfg->system_high)
		return pk_error_set(&db->err, PK_ECLASS,
				    _("classification %s is above this workstation's system-high "
				      "level %s"),
				    cls, cfg->levels[cfg->system_high]);
	if (!pk_change_is_set(ch, "priority"))
		pk_change_int(ch, "priority",
			      pk_priority_of(cfg, (int)pk_change_get_int(ch, "impact"),
					     (int)pk_change_get_int(ch, "urgency")));
	int64_t now = pk_clock_now();
	if (!pk_change_is_set(ch, "created_at"))
		pk_change_int(ch, "created_at", now);
	if (!pk_change_is_set(ch, "updated_at"))
		pk_change_int(ch, "updated_at", pk_change_get_int(ch, "created_at"));
	const char *status = pk_change_get_text(ch, "status");
	if (pk_streq(status, "assigned") && !pk_change_get_text(ch, "assignee"))
		return pk_error_set(&db->err, PK_EINVAL, _("status assigned needs an assignee"));

	if ((rc = pk_db_begin(db)) != PK_OK)
		return rc;
	const char *given = pk_change_get_text(ch, "ref");
	if (given)
		rc = reserve_ref(db, given);
	else if ((rc = next_ref(db, &ref)) == PK_OK)
		rc = pk_change_text(ch, "ref", ref);
	if (rc == PK_OK)
		rc = pk_change_apply(db, ch);
	if (rc != PK_OK) {
		if (rc == PK_EINVAL && strstr(db->err.msg, "UNIQUE"))
			pk_error_set(&db->err, PK_EINVAL,
				     _("a ticket with ref %s or uuid %s exists already"),
				     pk_change_get_text(ch, "ref"), pk_change_uuid(ch));
		pk_db_rollback(db);
		free(ref);
		return rc;
	}
	rc = pk_db_commit(db);
	if (rc == PK_OK && ref_out)
		*ref_out = pk_xstrdup(pk_change_get_text(ch, "ref"));
	free(ref);
	return rc;
}

/* A workstation handles nothing above its system-high level: a ticket
 * classified higher (held from before the level was lowered) is read-only. */
static int check_ceiling(struct pk_db *db, const struct pk_ticket *t)
{
	const struct pk_config *cfg = db->cfg;
	if (!t->classification || pk_class_rank(cfg, t->classification) <= cfg->system_high)
		return PK_OK;
	return pk_error_set(&db->err, PK_ECLASS,
			    _("%s is %s, above this workstation's system-high level %s: it cannot "
			      "be changed here"),
			    t->ref ? t->ref : t->uuid, t->classification,
			    cfg->levels[cfg->system_high]);
}

/* Lowering a ticket's classification releases it to people and servers
 * accredited below its old level: supervisors and admins only, and it
 * leaves a note on the ticket's timeline beside the history entry. */
static int check_lowering(struct pk_db *db, const struct pk_ticket *cur, const char *cls,
			  char *note, size_t len)
{
	const struct pk_config *cfg = db->cfg;
	int from = pk_class_rank(cfg, cur->classification), to = pk_class_rank(cfg, cls);
	if (from < 0 || to < 0 || to >= from)
		return PK_OK;
	const char *actor = pk_db_actor(db);
	char *role = pk_user_role(cfg, actor);
	int allowed = strcmp(role, "supervisor") == 0 || strcmp(role, "admin") == 0;
	free(role);
	if (!allowed)
		return pk_error_set(&db->err, PK_EPERM,
				    _("lowering %s from %s to %s is for supervisors: %s is a "
				      "technician (see [users] in picket.conf)"),
				    cur->ref, cfg->levels[from], cfg->levels[to], actor);
	snprintf(note, len, _("Classification lowered from %s to %s by %s."), cfg->levels[from],
		 cfg->levels[to], actor);
	return PK_OK;
}

static int touch_updated(struct pk_db *db, const char *uuid)
{
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, uuid);
	pk_change_int(ch, "updated_at", pk_clock_now());
	int rc = pk_change_apply(db, ch);
	pk_change_free(&ch);
	return rc;
}

static int check_move(struct pk_db *db, const struct pk_ticket *cur, struct pk_change *ch)
{
	const struct pk_workflow *wf = &db->cfg->wf;
	const char *to = pk_change_get_text(ch, "status");
	if (!to || strcmp(to, cur->status) == 0)
		return PK_OK;
	if (!pk_wf_allowed(wf, cur->status, to)) {
		struct pk_buf allowed = { 0 };
		pk_wf_targets(wf, cur->status, &allowed);
		int rc = pk_error_set(&db->err, PK_ETRANSITION,
				      _("%s cannot move from %s to %s (allowed: %s)"), cur->ref,
				      cur->status, to, allowed.len ? allowed.data : _("none"));
		pk_buf_free(&allowed);
		return rc;
	}
	int64_t now = pk_clock_now();
	if (strcmp(to, "resolved") == 0) {
		const char *res = pk_change_is_set(ch, "resolution")
					  ? pk_change_get_text(ch, "resolution")
					  : cur->resolution;
		if (!res || !*res)
			return pk_error_set(&db->err, PK_EINVAL,
					    _("resolving %s needs a resolution: picket resolve %s "
					      "--resolution TEXT"),
					    cur->ref, cur->ref);
		pk_change_int(ch, "resolved_at", now);
	} else if (pk_wf_is_closed(wf, to)) {
		pk_change_int(ch, "closed_at", now);
	} else if (pk_wf_is_closed(wf, cur->status)) {
		/* back to work: the ticket is open again and needs a new
		 * resolution; the old one stays in the history */
		pk_change_null(ch, "resolved_at");
		pk_change_null(ch, "closed_at");
		if (!pk_change_is_set(ch, "resolution"))
			pk_change_null(ch, "resolution");
	}
	return PK_OK;
}

int pk_ticket_save(struct pk_db *db, const struct pk_ticket *t, struct pk_change *ch,
		   const char *note)
{
	int rc;
	struct pk_ticket *cur = NULL;
	if ((rc = pk_db_begin(db)) != PK_OK)
		return rc;
	/* Check against the stored ticket, not the caller's possibly stale copy. */
	if ((rc = pk_ticket_get(db, t->uuid, &cur)) != PK_OK)
		goto fail;
	if ((rc = check_ceiling(db, cur)) != PK_OK)
		goto fail;
	if ((rc = check_move(db, cur, ch)) != PK_OK)
		goto fail;
	/* an assigned ticket has an assignee, whichever of the two changes */
	const char *status =
		pk_change_is_set(ch, "status") ? pk_change_get_text(ch, "status") : cur->status;
	const char *assignee = pk_change_is_set(ch, "assignee") ? pk_change_get_text(ch, "assignee")
								: cur->assignee;
	if (pk_streq(status, "assigned") && !assignee) {
		rc = pk_error_set(&db->err, PK_EINVAL,
				  _("%s has no assignee, which an assigned ticket needs: use "
				    "picket assign or picket take"),
				  cur->ref);
		goto fail;
	}
	const char *cls = pk_change_get_text(ch, "classification");
	if (cls && pk_class_rank(db->cfg, cls) > db->cfg->system_high) {
		rc = pk_error_set(&db->err, PK_ECLASS,
				  _("classification %s is above this "
				    "workstation's system-high level"),
				  cls);
		goto fail;
	}
	char lowered[256] = "";
	if (cls && (rc = check_lowering(db, cur, cls, lowered, sizeof(lowered))) != PK_OK)
		goto fail;
	if ((pk_change_is_set(ch, "impact") || pk_change_is_set(ch, "urgency")) &&
	    !pk_change_is_set(ch, "priority")) {
		int impact = pk_change_is_set(ch, "impact") ? (int)pk_change_get_int(ch, "impact")
							    : cur->impact;
		int urgency = pk_change_is_set(ch, "urgency")
				      ? (int)pk_change_get_int(ch, "urgency")
				      : cur->urgency;
		pk_change_int(ch, "priority", pk_priority_of(db->cfg, impact, urgency));
	}
	if ((rc = pk_change_apply(db, ch)) != PK_OK)
		goto fail;
	int changed = pk_change_count(ch) > 0;
	if (!(note && *note) && *lowered)
		note = lowered;
	if (note && *note) {
		if ((rc = pk_comment_add(db, cur, "internal", note, 0, NULL, 0, NULL)) != PK_OK)
			goto fail;
	} else if (changed && (rc = touch_updated(db, cur->uuid)) != PK_OK) {
		goto fail;
	}
	pk_ticket_free(&cur);
	return pk_db_commit(db);
fail:
	pk_ticket_free(&cur);
	pk_db_rollback(db);
	return rc;
}

int pk_comment_add(struct pk_db *db, const struct pk_ticket *t, const char *kind, const char *body,
		   int minutes, const char *author, int64_t at, const char *uuid)
{
	int rc;
	if ((rc = check_ceiling(db, t)) != PK_OK)
		return rc;
	if (!pk_comment_kind_valid(kind))
		return pk_error_set(&db->err, PK_EINVAL,
				    _("comment kind '%s' is not public, internal or worklog"),
				    kind ? kind : "");
	if ((rc = check_text(db, "comment", body ? body : "", PK_TEXT_MAX, 0)) != PK_OK)
		return rc;
	const char *p = body;
	while (p && isspace((unsigned char)*p))
		p++;
	if (!p || !*p)
		return pk_error_set(&db->err, PK_EINVAL, _("a comment must not be empty"));
	if (minutes < 0 || minutes > 100000)
		return pk_error_set(&db->err, PK_EINVAL,
				    _("worklog minutes must be from 0 to 100000"));
	if (strcmp(kind, "worklog") != 0 && minutes)
		return pk_error_set(&db->err, PK_EINVAL, _("only worklog entries carry minutes"));
	if (author && (rc = check_text(db, "author", author, PK_FIELD_MAX, 1)) != PK_OK)
		return rc;

	struct pk_change *ch = pk_change_create(&pk_comment_entity);
	if (uuid) {
		if (!is_uuid(uuid)) {
			pk_change_free(&ch);
			return pk_error_set(&db->err, PK_EINVAL, _("uuid: '%s' is not a UUID"),
					    uuid);
		}
		pk_change_set_uuid(ch, uuid);
	}
	pk_change_set_parent(ch, t->uuid);
	pk_change_text(ch, "kind", kind);
	pk_change_int(ch, "ticket_id", t->id);
	pk_change_text(ch, "author", author ? author : db->user);
	pk_change_text(ch, "body", body);
	pk_change_int(ch, "minutes", minutes);
	pk_change_int(ch, "created_at", at ? at : pk_clock_now());

	if ((rc = pk_db_begin(db)) != PK_OK) {
		pk_change_free(&ch);
		return rc;
	}
	rc = pk_change_apply(db, ch);
	if (rc == PK_OK && !at)
		rc = touch_updated(db, t->uuid);
	pk_change_free(&ch);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}

int pk_ticket_assign(struct pk_db *db, const struct pk_ticket *t, const char *user)
{
	const struct pk_workflow *wf = &db->cfg->wf;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	if (!user)
		user = "";
	int rc = pk_ticket_put(db, ch, "assignee", user, 0);
	if (rc == PK_OK) {
		if (*user && pk_wf_allowed(wf, t->status, "assigned") &&
		    (strcmp(t->status, "new") == 0 || strcmp(t->status, "reopened") == 0))
			pk_change_text(ch, "status", "assigned");
		else if (!*user && strcmp(t->status, "assigned") == 0 &&
			 pk_wf_allowed(wf, t->status, "new"))
			pk_change_text(ch, "status", "new");
		rc = pk_ticket_save(db, t, ch, NULL);
	}
	pk_change_free(&ch);
	return rc;
}

struct timeline_load {
	struct pk_comment **c;
	size_t nc;
	struct pk_timeline *tl;
};

static int keep_comment(struct pk_comment *c, void *data)
{
	struct timeline_load *x = data;
	x->c = pk_xrealloc(x->c, (x->nc + 1) * sizeof(*x->c));
	x->c[x->nc] = pk_xcalloc(1, sizeof(**x->c));
	*x->c[x->nc++] = *c;
	memset(c, 0, sizeof(*c)); /* the timeline owns it now */
	return 0;
}

static void timeline_add(struct pk_timeline *tl, struct pk_history *h, struct pk_comment *c)
{
	tl->entries = pk_xrealloc(tl->entries, (tl->n + 1) * sizeof(*tl->entries));
	tl->entries[tl->n].history = h;
	tl->entries[tl->n].comment = c;
	tl->n++;
}

static int keep_history(struct pk_history *h, void *data)
{
	struct timeline_load *x = data;
	struct pk_comment *c = NULL;
	if (strcmp(h->field, "comment") == 0)
		for (size_t i = 0; i < x->nc && !c; i++)
			if (x->c[i] && pk_streq(x->c[i]->uuid, h->new_value)) {
				c = x->c[i];
				x->c[i] = NULL;
			}
	if (c) {
		timeline_add(x->tl, NULL, c);
		return 0;
	}
	struct pk_history *copy = pk_xcalloc(1, sizeof(*copy));
	*copy = *h;
	memset(h, 0, sizeof(*h));
	timeline_add(x->tl, copy, NULL);
	return 0;
}

int pk_timeline_load(struct pk_db *db, const struct pk_ticket *t, struct pk_timeline *tl)
{
	struct timeline_load x = { .tl = tl };
	memset(tl, 0, sizeof(*tl));
	int rc = pk_comment_list(db, t->id, keep_comment, &x);
	if (rc == PK_OK)
		rc = pk_history_list(db, t->uuid, keep_history, &x);
	/* comments the history does not mention (none should be) go last */
	for (size_t i = 0; i < x.nc; i++)
		if (x.c[i])
			timeline_add(tl, NULL, x.c[i]);
	free(x.c);
	if (rc != PK_OK)
		pk_timeline_free(tl);
	return rc;
}

void pk_timeline_free(struct pk_timeline *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		pk_history_free(&tl->entries[i].history);
		pk_comment_free(&tl->entries[i].comment);
	}
	free(tl->entries);
	tl->entries = NULL;
	tl->n = 0;
}

int pk_comment_list(struct pk_db *db, int64_t ticket_id, pk_comment_cb cb, void *data)
{
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(
		db,
		"SELECT id, uuid, kind, author, body, minutes, created_at FROM comments "
		"WHERE ticket_id = ?1 ORDER BY id",
		&st);
	if (rc != PK_OK)
		return rc;
	sqlite3_bind_int64(st, 1, ticket_id);
	int sqrc;
	rc = PK_OK;
	while (rc == PK_OK && (sqrc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_comment *c = pk_xcalloc(1, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->uuid = col_text(st, 1);
		c->kind = col_text(st, 2);
		c->author = col_text(st, 3);
		c->body = col_text(st, 4);
		c->minutes = sqlite3_column_int(st, 5);
		c->created_at = sqlite3_column_int64(st, 6);
		rc = cb(c, data);
		pk_comment_free(&c);
	}
	if (rc == PK_OK && sqrc != SQLITE_DONE)
		rc = pk_db_fail(db, sqrc, _("reading comments"));
	sqlite3_finalize(st);
	return rc;
}

int pk_history_list(struct pk_db *db, const char *uuid, pk_history_cb cb, void *data)
{
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(
		db,
		"SELECT id, at, actor, entity, entity_uuid, field, old_value, new_value "
		"FROM history WHERE entity_uuid = ?1 ORDER BY id",
		&st);
	if (rc != PK_OK)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	int sqrc;
	rc = PK_OK;
	while (rc == PK_OK && (sqrc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_history *h = pk_xcalloc(1, sizeof(*h));
		h->id = sqlite3_column_int64(st, 0);
		h->at = sqlite3_column_int64(st, 1);
		h->actor = col_text(st, 2);
		h->entity = col_text(st, 3);
		h->entity_uuid = col_text(st, 4);
		h->field = col_text(st, 5);
		h->old_value = col_text(st, 6);
		h->new_value = col_text(st, 7);
		rc = cb(h, data);
		pk_history_free(&h);
	}
	if (rc == PK_OK && sqrc != SQLITE_DONE)
		rc = pk_db_fail(db, sqrc, _("reading history"));
	sqlite3_finalize(st);
	return rc;
}

int pk_ticket_window(struct pk_db *db, const struct pk_query *q, long offset, long limit,
		     pk_ticket_cb cb, void *data)
{
	char *sql = pk_query_select(q, pk_ticket_columns);
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(db, sql, &st);
	free(sql);
	if (rc != PK_OK)
		return rc;
	int idx = pk_query_bind(q, st, 1);
	sqlite3_bind_int64(st, idx, limit < 0 ? -1 : limit);
	sqlite3_bind_int64(st, idx + 1, offset < 0 ? 0 : offset);
	int sqrc;
	while (rc == PK_OK && (sqrc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_ticket *t = pk_ticket_from_row(st, 0);
		rc = cb(t, data);
		pk_ticket_free(&t);
	}
	if (rc == PK_OK && sqrc != SQLITE_DONE)
		rc = pk_db_fail(db, sqrc, _("listing tickets"));
	sqlite3_finalize(st);
	return rc;
}

int pk_ticket_list(struct pk_db *db, const struct pk_query *q, long limit, pk_ticket_cb cb,
		   void *data)
{
	return pk_ticket_window(db, q, 0, limit, cb, data);
}

int pk_ticket_count_overdue(struct pk_db *db, int64_t now, long *count)
{
	/* the open condition spelled as the index tickets_sla spells it (a
	 * stopped clock has no due time, whatever the workflow calls closed) */
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT count(*) FROM tickets WHERE sla_due IS NOT "
					  "NULL AND status NOT IN ('resolved', 'closed') AND "
					  "sla_due < ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, now);
	int rc = sqlite3_step(st);
	*count = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? PK_OK : pk_db_fail(db, rc, _("counting tickets"));
}

int pk_ticket_count(struct pk_db *db, const struct pk_query *q, long *count)
{
	char *sql = pk_xasprintf("SELECT count(*) FROM %s WHERE %s", q->sql_from, q->sql_where);
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(db, sql, &st);
	free(sql);
	if (rc != PK_OK)
		return rc;
	pk_query_bind(q, st, 1);
	int sqrc = sqlite3_step(st);
	*count = sqrc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return sqrc == SQLITE_ROW ? PK_OK : pk_db_fail(db, sqrc, _("counting tickets"));
}
