/* The oplog for sync: reading events out, merging other nodes' events in
 * through the change path, and the conflict records (see oplog.h). */
#include "picket/oplog.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/change.h"
#include "picket/clock.h"
#include "picket/desk.h"
#include "picket/i18n.h"
#include "picket/json.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "picket/text.h"
#include "picket/ticket.h"

#define MAX_VALUE (1 << 20) /* bytes of one text value */

static const struct pk_entity *const entities[] = {
	&pk_ticket_entity,   &pk_comment_entity, &pk_vendor_entity,
	&pk_override_entity, &pk_note_entity,
};

static const struct pk_entity *entity_find(const char *name)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(entities); i++)
		if (strcmp(entities[i]->name, name) == 0)
			return entities[i];
	return NULL;
}

static const struct pk_field *field_find(const struct pk_entity *ent, const char *name)
{
	for (size_t i = 0; i < ent->nfields; i++)
		if (strcmp(ent->fields[i].name, name) == 0)
			return &ent->fields[i];
	return NULL;
}

void pk_event_clear(struct pk_event *ev)
{
	free(ev->field);
	free(ev->value);
	free(ev->origin);
	free(ev->actor);
	ev->field = ev->value = ev->origin = ev->actor = NULL;
	ev->value_len = 0;
}

size_t pk_event_value_len(const struct pk_event *ev)
{
	return !ev->value ? 0 : ev->value_len ? ev->value_len : strlen(ev->value);
}

int pk_uuid_valid(const char *s)
{
	for (int i = 0; i < PK_UUID_LEN; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return s[PK_UUID_LEN] == '\0';
}

/* --- events out --- */

#define EVENT_COLUMNS \
	"id, event_uuid, entity, entity_uuid, op, field, value, hlc, base, origin, actor, at"

static void event_from_row(sqlite3_stmt *st, struct pk_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqlite3_column_int64(st, 0);
	snprintf(ev->uuid, sizeof(ev->uuid), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(ev->entity, sizeof(ev->entity), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(ev->entity_uuid, sizeof(ev->entity_uuid), "%s",
		 (const char *)sqlite3_column_text(st, 3));
	ev->create = strcmp((const char *)sqlite3_column_text(st, 4), "create") == 0;
	/* borrowed from the statement for the callback's duration */
	ev->field = (char *)sqlite3_column_text(st, 5);
	ev->value = (char *)sqlite3_column_text(st, 6);
	ev->hlc = sqlite3_column_int64(st, 7);
	ev->base = sqlite3_column_int64(st, 8);
	ev->origin = (char *)sqlite3_column_text(st, 9);
	ev->actor = (char *)sqlite3_column_text(st, 10);
	ev->at = sqlite3_column_int64(st, 11);
}

static int visit(struct pk_db *db, sqlite3_stmt *st, pk_event_fn fn, void *data, int64_t *last)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_event ev;
		event_from_row(st, &ev);
		*last = ev.seq;
		if (fn(&ev, data))
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PK_OK
						     : pk_db_fail(db, rc, _("reading the oplog"));
}

int pk_oplog_unpushed(struct pk_db *db, int64_t after, int limit, pk_event_fn fn, void *data,
		      int64_t *last)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT " EVENT_COLUMNS " FROM oplog WHERE pushed = 0 "
					  "AND id > ?2 ORDER BY id LIMIT ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int(st, 1, limit);
	sqlite3_bind_int64(st, 2, after);
	*last = after;
	return visit(db, st, fn, data, last);
}

int pk_oplog_record(struct pk_db *db, const char *entity, const char *uuid, int64_t upto,
		    pk_event_fn fn, void *data)
{
	const struct pk_entity *ent = entity_find(entity);
	if (!ent)
		return pk_error_set(&db->err, PK_EINVAL, _("unknown entity '%s'"), entity);
	struct pk_buf sql = { 0 };
	pk_buf_puts(&sql, "SELECT " EVENT_COLUMNS " FROM oplog WHERE id <= ?2 AND "
			  "(entity_uuid = ?1");
	for (size_t i = 0; i < PK_ARRAY_LEN(entities); i++) {
		const struct pk_entity *child = entities[i];
		if (!child->parent || strcmp(child->parent, entity) != 0)
			continue;
		for (size_t k = 0; k < child->nfields; k++)
			if (child->fields[k].flags & PK_FF_INTERNAL)
				pk_buf_printf(&sql,
					      " OR entity_uuid IN (SELECT c.uuid FROM %s c JOIN %s "
					      "p ON p.id = c.%s WHERE p.uuid = ?1)",
					      child->table, ent->table, child->fields[k].column);
	}
	pk_buf_puts(&sql, ") ORDER BY id");
	sqlite3_stmt *st = pk_db_stmt(db, sql.data);
	pk_buf_free(&sql);
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, upto);
	int64_t last = 0;
	return visit(db, st, fn, data, &last);
}

int pk_oplog_pending_field(struct pk_db *db, const char *field)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "SELECT EXISTS (SELECT 1 FROM oplog WHERE pushed = 0 AND field = ?1)");
	if (!st)
		return 1;
	sqlite3_bind_text(st, 1, field, -1, SQLITE_STATIC);
	int any = sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return any;
}

int pk_oplog_pending_set(struct pk_db *db, const char *entity_uuid, const char *field,
			 int64_t after, struct pk_event *ev)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT " EVENT_COLUMNS " FROM oplog WHERE "
					  "entity_uuid = ?1 AND field = ?2 AND pushed = 0 AND "
					  "id > ?3 ORDER BY id DESC LIMIT 1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, entity_uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, after);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		event_from_row(st, ev);
		ev->field = pk_xstrdup(ev->field);
		ev->value = pk_xstrdup(ev->value);
		ev->origin = pk_xstrdup(ev->origin);
		ev->actor = pk_xstrdup(ev->actor);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return PK_OK;
	return rc == SQLITE_DONE ? PK_ENOTFOUND : pk_db_fail(db, rc, _("reading the oplog"));
}

int pk_oplog_after(struct pk_db *db, int64_t after, const char *skip_origin, int limit,
		   pk_event_fn fn, void *data, int64_t *last)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT " EVENT_COLUMNS " FROM oplog WHERE id > ?1 "
					  "AND (?2 IS NULL OR origin <> ?2) ORDER BY id LIMIT ?3");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, after);
	if (skip_origin)
		sqlite3_bind_text(st, 2, skip_origin, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	*last = after;
	return visit(db, st, fn, data, last);
}

int64_t pk_oplog_pending(struct pk_db *db)
{
	return pk_db_int(db, "SELECT count(*) FROM oplog WHERE pushed = 0");
}

int64_t pk_oplog_head(struct pk_db *db)
{
	return pk_db_int(db, "SELECT ifnull(max(id), 0) FROM oplog");
}

int pk_oplog_event_at(struct pk_db *db, int64_t seq, char uuid[PK_UUID_LEN + 1])
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT event_uuid FROM oplog WHERE id = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(uuid, PK_UUID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return PK_OK;
	if (rc == SQLITE_DONE)
		return pk_error_set(&db->err, PK_ENOTFOUND, _("no event %lld"), (long long)seq);
	return pk_db_fail(db, rc, _("reading the oplog"));
}

int64_t pk_conflicts_count(struct pk_db *db)
{
	return pk_db_int(db, "SELECT count(*) FROM conflicts");
}

int pk_oplog_mark_pushed(struct pk_db *db, int64_t from, int64_t upto)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "UPDATE oplog SET pushed = 1 WHERE pushed = 0 AND id > ?1 AND id <= ?2");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, upto);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("marking events pushed"));
}

int pk_oplog_mark_pushed_id(struct pk_db *db, int64_t id)
{
	return pk_oplog_mark_pushed(db, id - 1, id);
}

int pk_level_max(struct pk_db *db, int *rank)
{
	*rank = 0;
	for (size_t i = 0; i < PK_ARRAY_LEN(entities); i++) {
		const struct pk_entity *ent = entities[i];
		const struct pk_field *f = ent->level ? field_find(ent, ent->level) : NULL;
		if (!f)
			continue;
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL",
			 f->column, ent->table, f->column);
		sqlite3_stmt *st = pk_db_stmt(db, sql);
		if (!st)
			return db->err.code;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int r = pk_class_rank(db->cfg, (const char *)sqlite3_column_text(st, 0));
			r = r >= 0 ? r : db->cfg->nlevels - 1;
			*rank = r > *rank ? r : *rank;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return pk_db_fail(db, rc, ent->name);
	}
	return PK_OK;
}

int pk_record_level(struct pk_db *db, const char *entity, const char *uuid, int *rank)
{
	const struct pk_entity *ent = entity_find(entity);
	*rank = 0;
	if (!ent)
		return pk_error_set(&db->err, PK_EINVAL, _("unknown entity '%s'"), entity);
	const struct pk_entity *owner = ent->level ? ent : NULL;
	const char *link = NULL;
	if (!owner && ent->parent) {
		owner = entity_find(ent->parent);
		for (size_t i = 0; i < ent->nfields && owner; i++)
			if (ent->fields[i].flags & PK_FF_INTERNAL)
				link = ent->fields[i].column;
		if (!link || !owner->level)
			owner = NULL;
	}
	char sql[256];
	const struct pk_field *f = owner ? field_find(owner, owner->level) : NULL;
	if (!f)
		snprintf(sql, sizeof(sql), "SELECT NULL FROM %s WHERE uuid = ?1", ent->table);
	else if (owner == ent)
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE uuid = ?1", f->column,
			 ent->table);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT p.%s FROM %s c JOIN %s p ON p.id = c.%s WHERE c.uuid = ?1",
			 f->column, ent->table, owner->table, link);
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int r = pk_class_rank(db->cfg, (const char *)sqlite3_column_text(st, 0));
		*rank = r >= 0 ? r : db->cfg->nlevels - 1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return PK_ENOTFOUND;
	return rc == SQLITE_ROW ? PK_OK : pk_db_fail(db, rc, ent->name);
}

int pk_oplog_repush(struct pk_db *db, const char *origin)
{
	sqlite3_stmt *st =
		pk_db_stmt(db, "UPDATE oplog SET pushed = 0 WHERE pushed = 1 AND origin = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("marking events to push"));
}

/* --- checking events in --- */

/* One field's value as an event carries it: null, a text, an integer. */
struct fval {
	int null;
	int64_t i;
	struct pk_buf s;
};

/* A value within the field's domain (the schema's CHECK constraints). */
static int domain_check(struct pk_error *err, const char *what, const struct pk_field *f,
			const struct fval *v)
{
	const struct pk_domain *d = f->domain;
	if (!d)
		return PK_OK;
	if (f->type != PK_FT_TEXT) {
		if (v->i < d->min || v->i > d->max)
			return pk_error_set(err, PK_EINVAL,
					    _("event %s: %s must be from %lld to %lld"), what,
					    f->name, (long long)d->min, (long long)d->max);
		return PK_OK;
	}
	for (const char *const *c = d->choices; c && *c; c++)
		if (strcmp(*c, v->s.data) == 0)
			return PK_OK;
	return pk_error_set(err, PK_EINVAL, _("event %s: %s cannot be \"%.64s\""), what, f->name,
			    v->s.data);
}

/* Reads the value of field f at j into v, of the field's type. */
static int read_field(struct pk_error *err, const char *what, const struct pk_field *f,
		      struct pk_json *j, struct fval *v)
{
	enum pk_json_type t = pk_json_peek(j);
	v->null = t == PK_JSON_NULL;
	if (v->null && pk_json_null(j) != 0)
		return pk_error_set(err, PK_EINVAL, _("event %s: the value is not JSON: %s"), what,
				    pk_json_error(j));
	if (v->null && (f->flags & (PK_FF_NOTNULL | PK_FF_REQUIRED)))
		return pk_error_set(err, PK_EINVAL, _("event %s: %s must have a value"), what,
				    f->name);
	if (v->null)
		return PK_OK;
	if (f->type == PK_FT_TEXT) {
		if (t != PK_JSON_STRING)
			return pk_error_set(err, PK_EINVAL, _("event %s: %s must be text"), what,
					    f->name);
		if (pk_json_string(j, &v->s) != 0 || v->s.len > MAX_VALUE)
			return pk_error_set(err, PK_EINVAL, _("event %s: %s is not valid text"),
					    what, f->name);
		return domain_check(err, what, f, v);
	}
	if (t != PK_JSON_NUMBER || pk_json_int(j, &v->i) != 0)
		return pk_error_set(err, PK_EINVAL, _("event %s: %s must be a number"), what,
				    f->name);
	return domain_check(err, what, f, v);
}

static void set_field(struct pk_change *ch, const struct pk_field *f, const struct fval *v)
{
	if (v->null)
		pk_change_null(ch, f->name);
	else if (f->type == PK_FT_TEXT)
		pk_change_text_len(ch, f->name, v->s.data, v->s.len);
	else
		pk_change_int(ch, f->name, v->i);
}

static int not_json(struct pk_error *err, const struct pk_event *ev, struct pk_json *j)
{
	return pk_error_set(err, PK_EINVAL, _("event %s: the value is not JSON: %s"), ev->uuid,
			    pk_json_error(j));
}

/* Reads a create's object: known, logged fields, each once and of its
 * type, and for a child record a "parent" uuid (into parent).  With ch,
 * the values go into the change too. */
static int create_read(struct pk_error *err, const struct pk_event *ev, const struct pk_entity *ent,
		       struct pk_change *ch, char parent[PK_UUID_LEN + 1])
{
	struct pk_json j;
	struct pk_buf key = { 0 };
	struct fval v = { 0 };
	unsigned char seen[64] = { 0 };
	int rc = PK_OK, more, have_parent = 0;
	pk_json_init(&j, ev->value ? ev->value : "", pk_event_value_len(ev));
	if (pk_json_peek(&j) != PK_JSON_OBJECT)
		return pk_error_set(err, PK_EINVAL, _("event %s: a create's value is an object"),
				    ev->uuid);
	pk_json_object(&j);
	while (rc == PK_OK && (more = pk_json_member(&j, &key)) > 0) {
		if (strcmp(key.data, "parent") == 0 && ent->parent) {
			if (have_parent++ || pk_json_string(&j, &v.s) != 0 ||
			    !pk_uuid_valid(v.s.data))
				rc = pk_error_set(err, PK_EINVAL,
						  _("event %s: parent is not a UUID"), ev->uuid);
			else
				memcpy(parent, v.s.data, PK_UUID_LEN + 1);
			continue;
		}
		const struct pk_field *f = field_find(ent, key.data);
		size_t k = f ? (size_t)(f - ent->fields) : 0;
		if (!f || k >= sizeof(seen) || seen[k]++ ||
		    (f->flags & (PK_FF_NOLOG | PK_FF_INTERNAL)))
			rc = pk_error_set(err, PK_EINVAL, _("event %s: %s has no field \"%.64s\""),
					  ev->uuid, ent->name, key.data);
		else if ((rc = read_field(err, ev->uuid, f, &j, &v)) == PK_OK && ch)
			set_field(ch, f, &v);
	}
	if (rc == PK_OK && (more < 0 || pk_json_end(&j) != 0))
		rc = not_json(err, ev, &j);
	if (rc == PK_OK && ent->parent && !have_parent)
		rc = pk_error_set(err, PK_EINVAL, _("event %s: a %s needs its parent"), ev->uuid,
				  ent->name);
	for (size_t k = 0; rc == PK_OK && k < ent->nfields && k < sizeof(seen); k++)
		if ((ent->fields[k].flags & PK_FF_REQUIRED) && !seen[k])
			rc = pk_error_set(err, PK_EINVAL, _("event %s: a %s needs its %s"),
					  ev->uuid, ent->name, ent->fields[k].name);
	pk_buf_free(&key);
	pk_buf_free(&v.s);
	return rc;
}

/* Reads a set's value (and checks the field may be set). */
static int set_read(struct pk_error *err, const struct pk_event *ev, const struct pk_entity *ent,
		    struct fval *v)
{
	const struct pk_field *f = field_find(ent, ev->field);
	if (!f || (f->flags & (PK_FF_NOLOG | PK_FF_INTERNAL | PK_FF_IMMUTABLE)))
		return pk_error_set(err, PK_EINVAL,
				    _("event %s: the %s field \"%.64s\" cannot be set"), ev->uuid,
				    ent->name, ev->field);
	struct pk_json j;
	/* JSON first, then of the field's type */
	size_t len = pk_event_value_len(ev);
	pk_json_init(&j, ev->value ? ev->value : "", len);
	if (pk_json_skip(&j, NULL, NULL) != 0 || pk_json_end(&j) != 0)
		return not_json(err, ev, &j);
	pk_json_init(&j, ev->value, len);
	int rc = read_field(err, ev->uuid, f, &j, v);
	if (rc == PK_OK && pk_json_end(&j) != 0)
		rc = not_json(err, ev, &j);
	return rc;
}

/* An event's own members: known kind, uuids, clocks. */
static int envelope_check(struct pk_error *err, const struct pk_event *ev,
			  const struct pk_entity **ent)
{
	*ent = entity_find(ev->entity);
	if (!*ent)
		return pk_error_set(err, PK_EINVAL, _("event %s: unknown record kind \"%.32s\""),
				    ev->uuid, ev->entity);
	if (!pk_uuid_valid(ev->uuid) || !pk_uuid_valid(ev->entity_uuid) || !ev->origin ||
	    !ev->actor || ev->hlc <= 0 || (!ev->create && (!ev->field || ev->base >= ev->hlc)))
		return pk_error_set(err, PK_EINVAL, _("event %s is malformed"), ev->uuid);
	return PK_OK;
}

int pk_event_validate(const struct pk_event *ev, char parent[PK_UUID_LEN + 1], struct pk_error *err)
{
	const struct pk_entity *ent;
	parent[0] = '\0';
	int rc = envelope_check(err, ev, &ent);
	if (rc != PK_OK)
		return rc;
	if (ev->create)
		return create_read(err, ev, ent, NULL, parent);
	struct fval v = { 0 };
	rc = set_read(err, ev, ent, &v);
	pk_buf_free(&v.s);
	return rc;
}

int pk_event_check(struct pk_db *db, const struct pk_event *ev)
{
	char parent[PK_UUID_LEN + 1];
	return pk_event_validate(ev, parent, &db->err);
}

const char *pk_entity_parent(const char *entity)
{
	const struct pk_entity *ent = entity_find(entity);
	return ent ? ent->parent : NULL;
}

/* --- merging --- */

/* Sets field f of ch from a value's JSON text (one the oplog holds). */
static int change_from_json(struct pk_db *db, struct pk_change *ch, const struct pk_field *f,
			    const char *json, const char *what)
{
	struct pk_json j;
	struct fval v = { 0 };
	pk_json_init(&j, json ? json : "null", json ? strlen(json) : 4);
	int rc = read_field(&db->err, what, f, &j, &v);
	if (rc == PK_OK)
		set_field(ch, f, &v);
	pk_buf_free(&v.s);
	return rc;
}

static int exists(struct pk_db *db, const struct pk_entity *ent, const char *uuid, int64_t *id)
{
	sqlite3_stmt *st = pk_db_stmt(db, pk_entity_sql(db, ent, PK_SQL_ID));
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (id)
		*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pk_db_fail(db, rc, ent->name);
		return -1;
	}
	return rc == SQLITE_ROW;
}

/* A ticket whose ref is taken by another ticket: two installations share a
 * node name, which only their administrators can fix. */
static int ref_taken(struct pk_db *db, const struct pk_event *ev, const char *ref)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT 1 FROM tickets WHERE ref = ?1");
	if (!ref || !st)
		return PK_EINVAL;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!taken)
		return PK_EINVAL;
	return pk_error_set(&db->err, PK_EINVAL,
			    _("event %s: ticket %s exists here already as another ticket: two "
			      "installations use node name %s (each needs its own [core] node)"),
			    ev->uuid, ref, ev->origin);
}

/* What an event says, read without the database (pk_merge_prepare). */
struct pk_merge_prep {
	int rc; /* PK_OK, or the event is malformed: err says how */
	struct pk_error err;
	const struct pk_entity *ent;
	struct pk_change *ch;	      /* a create's record */
	char parent[PK_UUID_LEN + 1]; /* a create's parent (a child record) */
	struct fval v;		      /* a set's value */
};

struct pk_merge_prep *pk_merge_prepare(const struct pk_event *ev)
{
	struct pk_merge_prep *p = pk_xcalloc(1, sizeof(*p));
	p->rc = envelope_check(&p->err, ev, &p->ent);
	if (p->rc == PK_OK && ev->create) {
		/* the object is checked and read into the change in one pass */
		p->ch = pk_change_create(p->ent);
		pk_change_set_uuid(p->ch, ev->entity_uuid);
		p->rc = create_read(&p->err, ev, p->ent, p->ch, p->parent);
	} else if (p->rc == PK_OK) {
		p->rc = set_read(&p->err, ev, p->ent, &p->v);
	}
	return p;
}

void pk_merge_prep_free(struct pk_merge_prep **pp)
{
	struct pk_merge_prep *p = *pp;
	if (!p)
		return;
	pk_change_free(&p->ch);
	pk_buf_free(&p->v.s);
	free(p);
	*pp = NULL;
}

static int merge_create(struct pk_db *db, const struct pk_event *ev, struct pk_merge_prep *prep,
			enum pk_merge_result *res)
{
	const struct pk_entity *ent = prep->ent;
	struct pk_change *ch = prep->ch;
	const char *parent = prep->parent;
	int rc = PK_OK;
	int have = exists(db, ent, ev->entity_uuid, NULL);
	if (have != 0) {
		if (have < 0)
			return db->err.code;
		/* made here too under the same uuid: keep the event */
		*res = PK_MERGED_LOST;
		return pk_oplog_append_remote(db);
	}
	/* a record's own "updated_at" starts at the event */
	const struct pk_field *upd = field_find(ent, "updated_at");
	if (upd && (upd->flags & PK_FF_NOLOG))
		pk_change_int(ch, "updated_at", ev->at);
	if (ent->parent) {
		/* a child names its parent by uuid; the row links by id */
		const struct pk_entity *pent = entity_find(ent->parent);
		int64_t pid = 0;
		int found = pent ? exists(db, pent, parent, &pid) : 0;
		if (found < 0) {
			rc = db->err.code;
		} else if (!found) {
			rc = pk_error_set(&db->err, PK_EINVAL,
					  _("event %s: %s %s is not in this database"), ev->uuid,
					  ent->parent, parent);
		} else {
			pk_change_set_parent(ch, parent);
			for (size_t i = 0; i < ent->nfields; i++)
				if (ent->fields[i].flags & PK_FF_INTERNAL)
					pk_change_int(ch, ent->fields[i].name, pid);
		}
	}
	if (rc == PK_OK)
		rc = pk_change_apply(db, ch);
	if (rc == PK_EINVAL && ent == &pk_ticket_entity && pk_change_get_text(ch, "ref"))
		rc = ref_taken(db, ev, pk_change_get_text(ch, "ref"));
	*res = PK_MERGED_APPLIED;
	return rc;
}

/* The fields' values are equal as JSON (encodings may differ by node). */
static int json_text_equal(const char *a, const char *b)
{
	if (pk_streq(a, b))
		return 1;
	json_t *ja = json_loads(a ? a : "null", JSON_DECODE_ANY, NULL);
	json_t *jb = json_loads(b ? b : "null", JSON_DECODE_ANY, NULL);
	int eq = ja && jb && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return eq;
}

/* Recomputes whether a field is in conflict: its heads are the events no
 * other event saw (hlc above every base); two heads by different people
 * with different values are a conflict.  A function of the events alone,
 * so every node that has the same events agrees. */
static int conflict_update(struct pk_db *db, const char *entity, const char *uuid,
			   const char *field, int *conflict)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "SELECT actor, value FROM oplog WHERE entity_uuid = ?1 AND field = ?2 AND "
		    "pushed <> 2 AND hlc > (SELECT ifnull(max(base), 0) FROM oplog WHERE "
		    "entity_uuid = ?1 AND field = ?2 AND pushed <> 2)");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	struct head {
		char *actor, *value;
	} *heads = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		heads = pk_xrealloc(heads, (n + 1) * sizeof(*heads));
		heads[n].actor = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		heads[n].value = pk_xstrdup((const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	/* any two heads by different people with different values */
	*conflict = 0;
	for (size_t i = 0; i < n && !*conflict; i++)
		for (size_t k = i + 1; k < n && !*conflict; k++)
			*conflict = !pk_streq(heads[i].actor, heads[k].actor) &&
				    !json_text_equal(heads[i].value, heads[k].value);
	for (size_t i = 0; i < n; i++) {
		free(heads[i].actor);
		free(heads[i].value);
	}
	free(heads);
	if (rc != SQLITE_DONE)
		return pk_db_fail(db, rc, _("reading the oplog"));
	st = pk_db_stmt(db,
			*conflict ? "INSERT OR IGNORE INTO conflicts(entity_uuid, field, entity) "
				    "VALUES (?1, ?2, ?3)"
				  : "DELETE FROM conflicts WHERE entity_uuid = ?1 AND field = ?2");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	if (*conflict)
		sqlite3_bind_text(st, 3, entity, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("recording a conflict"));
}

static int merge_set(struct pk_db *db, const struct pk_event *ev, const struct pk_entity *ent,
		     const struct fval *v, enum pk_merge_result *res, int *conflict)
{
	int have = exists(db, ent, ev->entity_uuid, NULL);
	if (have < 0)
		return db->err.code;
	if (!have)
		return pk_error_set(&db->err, PK_EINVAL,
				    _("event %s: %s %s is not in this database"), ev->uuid,
				    ent->name, ev->entity_uuid);
	int64_t hlc;
	char origin[72];
	int rc = pk_oplog_field_clock(db, ev->entity_uuid, ev->field, &hlc, origin, sizeof(origin));
	if (rc != PK_OK)
		return rc;
	/* the highest clock wins; equal clocks go to the greater origin */
	int wins = ev->hlc > hlc || (ev->hlc == hlc && strcmp(ev->origin, origin) > 0);
	if (wins) {
		struct pk_change *ch = pk_change_update(ent, ev->entity_uuid);
		set_field(ch, field_find(ent, ev->field), v);
		/* a record's own "updated_at" follows the change it takes */
		const struct pk_field *upd = field_find(ent, "updated_at");
		if (upd && (upd->flags & PK_FF_NOLOG))
			pk_change_int(ch, "updated_at", ev->at);
		rc = pk_change_apply(db, ch);
		int changed = pk_change_count(ch);
		pk_change_free(&ch);
		if (rc != PK_OK)
			return rc;
		*res = changed ? PK_MERGED_APPLIED : PK_MERGED_LOST;
		/* setting the value it had already: no row change, still an event */
		if (!changed && (rc = pk_oplog_append_remote(db)) != PK_OK)
			return rc;
	} else {
		*res = PK_MERGED_LOST;
		if ((rc = pk_oplog_append_remote(db)) != PK_OK)
			return rc;
	}
	return conflict_update(db, ent->name, ev->entity_uuid, ev->field, conflict);
}

static int merge(struct pk_db *db, const struct pk_event *ev, struct pk_merge_prep *prep,
		 enum pk_merge_result *res, int *conflict)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT 1 FROM oplog WHERE event_uuid = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, ev->uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*res = PK_MERGED_DUPLICATE;
		return PK_OK;
	}
	if (rc != SQLITE_DONE)
		return pk_db_fail(db, rc, _("reading the oplog"));
	if (prep->rc != PK_OK) {
		db->err = prep->err;
		return prep->rc;
	}
	if ((rc = pk_hlc_observe(db, ev->hlc)) != PK_OK)
		return rc;
	db->remote = ev;
	db->remote_written = 0;
	rc = ev->create ? merge_create(db, ev, prep, res)
			: merge_set(db, ev, prep->ent, &prep->v, res, conflict);
	db->remote = NULL;
	return rc;
}

int pk_merge_event(struct pk_db *db, const struct pk_event *ev, enum pk_merge_result *res,
		   int *conflict)
{
	struct pk_merge_prep *prep = pk_merge_prepare(ev);
	int rc = pk_merge_prepared(db, ev, prep, res, conflict);
	pk_merge_prep_free(&prep);
	return rc;
}

int pk_merge_prepared(struct pk_db *db, const struct pk_event *ev, struct pk_merge_prep *prep,
		      enum pk_merge_result *res, int *conflict)
{
	*conflict = 0;
	*res = PK_MERGED_DUPLICATE;
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	rc = merge(db, ev, prep, res, conflict);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	db->wrote = 1;
	return pk_db_commit(db);
}

/* --- conflicts --- */

static void conflict_free(struct pk_conflict *c)
{
	for (size_t i = 0; i < c->nvalues; i++) {
		free(c->values[i].value);
		free(c->values[i].actor);
		free(c->values[i].origin);
	}
	free(c->values);
	free(c->entity);
	free(c->entity_uuid);
	free(c->field);
}

void pk_conflicts_free(struct pk_conflict *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		conflict_free(&c[i]);
	free(c);
}

static int heads(struct pk_db *db, struct pk_conflict *c)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "SELECT value, actor, origin, at, hlc FROM oplog WHERE entity_uuid = ?1 AND "
		    "field = ?2 AND pushed <> 2 AND hlc > (SELECT ifnull(max(base), 0) FROM oplog "
		    "WHERE entity_uuid = ?1 AND field = ?2 AND pushed <> 2) "
		    "ORDER BY hlc DESC, origin DESC");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, c->entity_uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->field, -1, SQLITE_STATIC);
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->nvalues == cap) {
			cap = cap ? cap * 2 : 4;
			c->values = pk_xrealloc(c->values, cap * sizeof(*c->values));
		}
		struct pk_conflict_value *v = &c->values[c->nvalues];
		v->value = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		v->actor = pk_xstrdup((const char *)sqlite3_column_text(st, 1));
		v->origin = pk_xstrdup((const char *)sqlite3_column_text(st, 2));
		v->at = sqlite3_column_int64(st, 3);
		v->hlc = sqlite3_column_int64(st, 4);
		v->winner = c->nvalues == 0;
		c->nvalues++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("reading the oplog"));
}

int pk_conflicts_list(struct pk_db *db, const char *entity_uuid, struct pk_conflict **out,
		      size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT entity, entity_uuid, field FROM conflicts "
					  "WHERE ?1 IS NULL OR entity_uuid = ?1 "
					  "ORDER BY entity_uuid, field");
	if (!st)
		return db->err.code;
	if (entity_uuid)
		sqlite3_bind_text(st, 1, entity_uuid, -1, SQLITE_STATIC);
	struct pk_conflict *v = NULL;
	size_t cap = 0, len = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4;
			v = pk_xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[len], 0, sizeof(v[len]));
		v[len].entity = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		v[len].entity_uuid = pk_xstrdup((const char *)sqlite3_column_text(st, 1));
		v[len].field = pk_xstrdup((const char *)sqlite3_column_text(st, 2));
		len++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		pk_conflicts_free(v, len);
		return pk_db_fail(db, rc, _("reading conflicts"));
	}
	for (size_t i = 0; i < len; i++) {
		if ((rc = heads(db, &v[i])) != PK_OK) {
			pk_conflicts_free(v, len);
			return rc;
		}
	}
	*out = v;
	*n = len;
	return PK_OK;
}

char *pk_conflict_value_text(const char *json)
{
	json_t *v = json_loads(json ? json : "null", JSON_DECODE_ANY, NULL);
	char *out;
	if (json_is_string(v))
		out = pk_xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		out = pk_xasprintf("%lld", (long long)json_integer_value(v));
	else
		out = pk_xstrdup("-");
	json_decref(v);
	return out;
}

int pk_conflict_pick(struct pk_db *db, const char *entity_uuid, const char *field, size_t pick)
{
	struct pk_conflict *cs;
	size_t n;
	int rc = pk_conflicts_list(db, entity_uuid, &cs, &n);
	if (rc != PK_OK)
		return rc;
	const struct pk_conflict *c = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(cs[i].field, field) == 0)
			c = &cs[i];
	const struct pk_entity *ent = c ? entity_find(c->entity) : NULL;
	const struct pk_field *f = ent ? field_find(ent, field) : NULL;
	if (!c || !f) {
		rc = pk_error_set(&db->err, PK_ENOTFOUND, _("%s is not in conflict"), field);
	} else if (pick < 1 || pick > c->nvalues) {
		rc = pk_error_set(&db->err, PK_EINVAL, _("the conflict on %s has %zu values"),
				  field, c->nvalues);
	} else {
		struct pk_change *ch = pk_change_update(ent, entity_uuid);
		rc = change_from_json(db, ch, f, c->values[pick - 1].value, entity_uuid);
		const struct pk_field *upd = field_find(ent, "updated_at");
		if (upd && (upd->flags & PK_FF_NOLOG))
			pk_change_int(ch, "updated_at", pk_clock_now());
		pk_change_force(ch);
		if (rc == PK_OK)
			rc = pk_change_apply(db, ch);
		pk_change_free(&ch);
	}
	pk_conflicts_free(cs, n);
	return rc;
}

/* The value a field falls back to once an event is refused: its latest
 * remaining set, else what the creation gave it (JSON text, caller frees). */
static int fallback_value(struct pk_db *db, const char *uuid, const char *field, char **out)
{
	sqlite3_stmt *st =
		pk_db_stmt(db, "SELECT field IS NULL, value FROM oplog WHERE entity_uuid = ?1 AND "
			       "(field = ?2 OR field IS NULL) AND pushed <> 2 "
			       "ORDER BY field IS NULL, hlc DESC, origin DESC LIMIT 1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*out = NULL;
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 1);
		if (sqlite3_column_int(st, 0)) {
			/* the creation's object: the field's member, absent is null */
			struct pk_json j;
			struct pk_buf key = { 0 };
			const char *text = NULL;
			size_t len = 0;
			pk_json_init(&j, v ? v : "", v ? strlen(v) : 0);
			if (pk_json_object(&j) == 0)
				while (!text && pk_json_member(&j, &key) > 0)
					pk_json_skip(&j,
						     strcmp(key.data, field) == 0 ? &text : NULL,
						     &len);
			*out = text ? pk_xstrndup(text, len) : pk_xstrdup("null");
			pk_buf_free(&key);
		} else {
			*out = pk_xstrdup(v ? v : "null");
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pk_db_fail(db, rc, _("reading the oplog"));
	return PK_OK;
}

int pk_oplog_refuse(struct pk_db *db, const char *event_uuid, struct pk_refused *out)
{
	memset(out, 0, sizeof(*out));
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	sqlite3_stmt *st =
		pk_db_stmt(db, "UPDATE oplog SET pushed = 2 WHERE event_uuid = ?1 AND pushed = 0 "
			       "RETURNING entity, entity_uuid, field, value, op = 'create'");
	if (!st) {
		pk_db_rollback(db);
		return db->err.code;
	}
	sqlite3_bind_text(st, 1, event_uuid, -1, SQLITE_STATIC);
	int sqrc = sqlite3_step(st);
	int create = 0;
	if (sqrc == SQLITE_ROW) {
		out->entity = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		out->entity_uuid = pk_xstrdup((const char *)sqlite3_column_text(st, 1));
		out->field = pk_xstrdup((const char *)sqlite3_column_text(st, 2));
		out->value = pk_xstrdup((const char *)sqlite3_column_text(st, 3));
		create = sqlite3_column_int(st, 4);
		sqrc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (sqrc != SQLITE_DONE) {
		pk_db_rollback(db);
		return pk_db_fail(db, sqrc, _("marking a refused event"));
	}
	if (!out->entity) {
		pk_db_rollback(db);
		return pk_error_set(&db->err, PK_ENOTFOUND,
				    _("the server refused event %s, which this database did not "
				      "send"),
				    event_uuid);
	}
	const struct pk_entity *ent = entity_find(out->entity);
	const struct pk_field *f = ent && out->field ? field_find(ent, out->field) : NULL;
	if (!create && f) {
		/* take the change back here: the field shows what the server has */
		char *json = NULL;
		rc = fallback_value(db, out->entity_uuid, out->field, &json);
		if (rc == PK_OK) {
			struct pk_change *ch = pk_change_update(ent, out->entity_uuid);
			rc = change_from_json(db, ch, f, json, out->entity_uuid);
			db->undoing = 1;
			if (rc == PK_OK)
				rc = pk_change_apply(db, ch);
			db->undoing = 0;
			pk_change_free(&ch);
			out->undone = 1;
		}
		free(json);
		int conflict;
		if (rc == PK_OK)
			rc = conflict_update(db, out->entity, out->entity_uuid, out->field,
					     &conflict);
	}
	if (rc != PK_OK) {
		pk_db_rollback(db);
		pk_refused_clear(out);
		return rc;
	}
	return pk_db_commit(db);
}

void pk_refused_clear(struct pk_refused *r)
{
	free(r->entity);
	free(r->entity_uuid);
	free(r->field);
	free(r->value);
	memset(r, 0, sizeof(*r));
}
