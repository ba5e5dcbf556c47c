/* The one mutation path: row + history + oplog in one transaction. */
#include "picket/change.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "db_private.h"
#include "picket/audit.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/text.h"

struct pk_value {
	unsigned char set, null, differs;
	int64_t i;
	char *s;
	size_t len; /* strlen(s) */
	char *old;  /* stored value as text, for history */
};

struct pk_change {
	const struct pk_entity *ent;
	int create;
	int count;
	int wrote; /* the row was written */
	int force; /* log the set fields even when unchanged */
	int64_t rowid;
	char uuid[40];
	char parent[40];
	struct pk_value v[];
};

/* UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; the
 * 12-bit rand_a field counts within one millisecond so ids made by one
 * process sort in creation order and B-tree inserts stay appends. */
void pk_uuid_new(char out[37])
{
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t used = sizeof(pool);
	static _Thread_local int64_t last_ms;
	static _Thread_local unsigned seq;
	unsigned char b[16];
	struct timeval tv;

	gettimeofday(&tv, NULL);
	int64_t ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (used + 10 > sizeof(pool)) {
		randombytes_buf(pool, sizeof(pool));
		used = 0;
	}
	memcpy(b + 6, pool + used, 10);
	used += 10;
	if (ms <= last_ms) {
		ms = last_ms;
		if (++seq > 0xfff) {
			seq = 0;
			ms = ++last_ms;
		}
	} else {
		last_ms = ms;
		seq = (unsigned)(b[6] & 0x07) << 8 | b[7]; /* random start, room to count */
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (seq >> 8));
	b[7] = (unsigned char)(seq & 0xff);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

static struct pk_change *change_new(const struct pk_entity *ent)
{
	struct pk_change *ch = pk_xcalloc(1, sizeof(*ch) + ent->nfields * sizeof(struct pk_value));
	ch->ent = ent;
	return ch;
}

struct pk_change *pk_change_create(const struct pk_entity *ent)
{
	struct pk_change *ch = change_new(ent);
	ch->create = 1;
	pk_uuid_new(ch->uuid);
	return ch;
}

struct pk_change *pk_change_update(const struct pk_entity *ent, const char *uuid)
{
	struct pk_change *ch = change_new(ent);
	snprintf(ch->uuid, sizeof(ch->uuid), "%s", uuid);
	return ch;
}

static void value_clear(struct pk_value *v)
{
	pk_freep(&v->s);
	pk_freep(&v->old);
	v->set = v->null = v->differs = 0;
	v->i = 0;
}

void pk_change_free(struct pk_change **pch)
{
	struct pk_change *ch = *pch;
	if (!ch)
		return;
	for (size_t i = 0; i < ch->ent->nfields; i++)
		value_clear(&ch->v[i]);
	free(ch);
	*pch = NULL;
}

static int field_index(const struct pk_entity *ent, const char *name)
{
	for (size_t i = 0; i < ent->nfields; i++)
		if (strcmp(ent->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

static struct pk_value *slot(struct pk_change *ch, const char *field)
{
	int i = field_index(ch->ent, field);
	if (i < 0)
		return NULL;
	value_clear(&ch->v[i]);
	ch->v[i].set = 1;
	return &ch->v[i];
}

int pk_change_text(struct pk_change *ch, const char *field, const char *value)
{
	if (!value)
		return pk_change_null(ch, field);
	return pk_change_text_len(ch, field, value, strlen(value));
}

int pk_change_text_len(struct pk_change *ch, const char *field, const char *value, size_t len)
{
	struct pk_value *v = slot(ch, field);
	if (!v)
		return PK_EINVAL;
	v->s = pk_xstrndup(value, len);
	v->len = len;
	return PK_OK;
}

int pk_change_int(struct pk_change *ch, const char *field, int64_t value)
{
	struct pk_value *v = slot(ch, field);
	if (!v)
		return PK_EINVAL;
	v->i = value;
	return PK_OK;
}

int pk_change_null(struct pk_change *ch, const char *field)
{
	struct pk_value *v = slot(ch, field);
	if (!v)
		return PK_EINVAL;
	v->null = 1;
	return PK_OK;
}

void pk_change_set_uuid(struct pk_change *ch, const char *uuid)
{
	snprintf(ch->uuid, sizeof(ch->uuid), "%s", uuid);
}

void pk_change_force(struct pk_change *ch)
{
	ch->force = 1;
}

void pk_change_set_parent(struct pk_change *ch, const char *parent_uuid)
{
	snprintf(ch->parent, sizeof(ch->parent), "%s", parent_uuid);
}

static const struct pk_value *get(const struct pk_change *ch, const char *field)
{
	int i = field_index(ch->ent, field);
	return i >= 0 && ch->v[i].set ? &ch->v[i] : NULL;
}

int pk_change_is_set(const struct pk_change *ch, const char *field)
{
	return get(ch, field) != NULL;
}

const char *pk_change_get_text(const struct pk_change *ch, const char *field)
{
	const struct pk_value *v = get(ch, field);
	return v && !v->null ? v->s : NULL;
}

int64_t pk_change_get_int(const struct pk_change *ch, const char *field)
{
	const struct pk_value *v = get(ch, field);
	return v && !v->null ? v->i : 0;
}

const char *pk_change_uuid(const struct pk_change *ch)
{
	return ch->uuid;
}
const char *pk_change_parent(const struct pk_change *ch)
{
	return ch->parent;
}
int pk_change_is_create(const struct pk_change *ch)
{
	return ch->create;
}
const struct pk_entity *pk_change_entity(const struct pk_change *ch)
{
	return ch->ent;
}
int64_t pk_change_rowid(const struct pk_change *ch)
{
	return ch->rowid;
}
int pk_change_count(const struct pk_change *ch)
{
	return ch->count;
}

int pk_change_differs(const struct pk_change *ch, const char *field)
{
	const struct pk_value *v = get(ch, field);
	return v && v->differs;
}

/* Numbers as history text: times in ISO 8601, the rest in decimal. */
static char *int_text(const struct pk_field *f, int64_t i)
{
	char buf[32];
	if (f->type == PK_FT_TIME)
		return pk_xstrdup(pk_time_format(i, buf, sizeof(buf)));
	return pk_xasprintf("%lld", (long long)i);
}

/* The value as history text: NULL, the string, or the number. */
static char *value_text(const struct pk_field *f, const struct pk_value *v)
{
	if (v->null)
		return NULL;
	if (f->type == PK_FT_TEXT)
		return pk_xstrdup(v->s);
	return int_text(f, v->i);
}

/* The value as JSON text, appended to out. */
static void value_json(struct pk_buf *out, const struct pk_field *f, const struct pk_value *v)
{
	if (v->null)
		pk_buf_puts(out, "null");
	else if (f->type == PK_FT_TEXT)
		pk_json_quote(out, v->s);
	else
		pk_buf_printf(out, "%lld", (long long)v->i);
}

static void bind_value(sqlite3_stmt *st, int idx, const struct pk_field *f,
		       const struct pk_value *v)
{
	if (!v || !v->set || v->null)
		sqlite3_bind_null(st, idx);
	else if (f->type == PK_FT_TEXT)
		sqlite3_bind_text(st, idx, v->s, (int)v->len, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, idx, v->i);
}

static void hlc_load(struct pk_db *db)
{
	if (db->have_hlc)
		return;
	/* the last event's clock, or a merged event's if that was ahead */
	db->hlc_last = 0;
	sqlite3_stmt *st = pk_db_stmt(
		db, "SELECT max(ifnull((SELECT hlc FROM oplog ORDER BY id DESC LIMIT 1), 0), "
		    "ifnull((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc_seen'), 0))");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		db->hlc_last = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	db->have_hlc = 1;
}

int64_t pk_hlc_next(struct pk_db *db)
{
	hlc_load(db);
	int64_t phys = pk_clock_now_ms() << 16;
	db->hlc_last = phys > db->hlc_last ? phys : db->hlc_last + 1;
	return db->hlc_last;
}

int pk_hlc_observe(struct pk_db *db, int64_t hlc)
{
	hlc_load(db);
	if (hlc <= db->hlc_last)
		return PK_OK;
	db->hlc_last = hlc;
	/* remembered at the commit (meta hlc_seen), since the event may not
	 * end up as the oplog's last row */
	db->hlc_seen_dirty = 1;
	return PK_OK;
}

const char *pk_db_actor(struct pk_db *db)
{
	return db->remote ? db->remote->actor : db->user;
}

int64_t pk_db_change_time(struct pk_db *db)
{
	return db->remote ? db->remote->at : pk_clock_now();
}

int pk_oplog_field_clock(struct pk_db *db, const char *entity_uuid, const char *field, int64_t *hlc,
			 char *origin, size_t origin_len)
{
	/* the field's latest set, else the record's creation */
	static const char *const sql[] = {
		"SELECT hlc, origin FROM oplog WHERE entity_uuid = ?1 AND field = ?2 "
		"AND pushed <> 2 ORDER BY hlc DESC, origin DESC LIMIT 1",
		"SELECT hlc, origin FROM oplog WHERE entity_uuid = ?1 AND field IS NULL "
		"AND pushed <> 2 ORDER BY hlc DESC, origin DESC LIMIT 1",
	};
	*hlc = 0;
	if (origin)
		origin[0] = '\0';
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = pk_db_stmt(db, sql[i]);
		if (!st)
			return db->err.code;
		sqlite3_bind_text(st, 1, entity_uuid, -1, SQLITE_STATIC);
		if (i == 0)
			sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*hlc = sqlite3_column_int64(st, 0);
			if (origin)
				snprintf(origin, origin_len, "%s",
					 (const char *)sqlite3_column_text(st, 1));
			/* a statement left stepping would hold a read snapshot */
			sqlite3_reset(st);
			return PK_OK;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return pk_db_fail(db, rc, _("reading the oplog"));
	}
	return PK_OK;
}

/* Writes one event.  A local one gets a fresh uuid and clock, and for a
 * set the clock of the value it replaces as its base (an edit supersedes
 * whatever conflict the field had); a merged one (db->remote) is written
 * as it came, already pushed.  json_len is strlen(json). */
static int oplog_write(struct pk_db *db, const char *entity, const char *entity_uuid,
		       const char *op, const char *field, const char *json, size_t json_len)
{
	const struct pk_event *r = db->remote;
	char ev[37];
	int64_t base = 0;
	int rc;
	if (r && db->remote_written)
		return pk_error_set(&db->err, PK_ERR, _("merged event %s would be written twice"),
				    r->uuid);
	if (!r) {
		pk_uuid_new(ev);
		if (field) {
			if ((rc = pk_oplog_field_clock(db, entity_uuid, field, &base, NULL, 0)) !=
				    PK_OK ||
			    (rc = pk_hlc_observe(db, base)) != PK_OK)
				return rc;
			sqlite3_stmt *del = pk_db_stmt(
				db, "DELETE FROM conflicts WHERE entity_uuid = ?1 AND field = ?2");
			if (!del)
				return db->err.code;
			sqlite3_bind_text(del, 1, entity_uuid, -1, SQLITE_STATIC);
			sqlite3_bind_text(del, 2, field, -1, SQLITE_STATIC);
			rc = sqlite3_step(del);
			sqlite3_reset(del);
			if (rc != SQLITE_DONE)
				return pk_db_fail(db, rc, _("writing the oplog"));
		}
	}
	sqlite3_stmt *st = pk_db_stmt(
		db, "INSERT INTO oplog(event_uuid, entity, entity_uuid, op, field, value, hlc, "
		    "base, origin, actor, at, pushed) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, r ? r->uuid : ev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, entity_uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
	if (field)
		sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, json, (int)json_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r ? r->hlc : pk_hlc_next(db));
	if (field)
		sqlite3_bind_int64(st, 8, r ? r->base : base);
	sqlite3_bind_text(st, 9, r ? r->origin : db->cfg->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r ? r->actor : db->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r ? r->at : pk_clock_now());
	sqlite3_bind_int(st, 12, r != NULL);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (r)
		db->remote_written = 1; /* one merged event is one row */
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, _("writing the oplog"));
}

static int oplog_append(struct pk_db *db, const struct pk_change *ch, const char *op,
			const char *field, const char *json, size_t json_len)
{
	if (db->undoing)
		return PK_OK; /* taking back a refused change is no event */
	if (db->remote &&
	    (db->remote->create != (strcmp(op, "create") == 0) ||
	     !pk_streq(db->remote->field, field) || strcmp(db->remote->entity_uuid, ch->uuid) != 0))
		return pk_error_set(&db->err, PK_ERR,
				    _("merged event %s does not match its change"),
				    db->remote->uuid);
	return oplog_write(db, ch->ent->name, ch->uuid, op, field, json, json_len);
}

int pk_oplog_append_remote(struct pk_db *db)
{
	const struct pk_event *r = db->remote;
	return oplog_write(db, r->entity, r->entity_uuid, r->create ? "create" : "set", r->field,
			   r->value, pk_event_value_len(r));
}

const char *pk_entity_sql(struct pk_db *db, const struct pk_entity *ent, enum pk_entity_sql kind)
{
	struct entity_sql *e = NULL;
	for (int i = 0; i < db->nent_sql && !e; i++)
		if (db->ent_sql[i].ent == ent)
			e = &db->ent_sql[i];
	if (!e) {
		/* more kinds than slots: the last slot serves them in turn */
		if (db->nent_sql < ENT_SQL_SLOTS)
			db->nent_sql++;
		e = &db->ent_sql[db->nent_sql - 1];
		for (int k = 0; k < PK_SQL_KINDS; k++)
			pk_freep(&e->sql[k]);
		e->ent = ent;
		struct pk_buf sql = { 0 };
		pk_buf_printf(&sql, "INSERT INTO %s(uuid", ent->table);
		for (size_t i = 0; i < ent->nfields; i++)
			pk_buf_printf(&sql, ", %s", ent->fields[i].column);
		pk_buf_puts(&sql, ") VALUES (?");
		for (size_t i = 0; i < ent->nfields; i++)
			pk_buf_puts(&sql, ", ?");
		pk_buf_puts(&sql, ")");
		e->sql[PK_SQL_INSERT] = pk_buf_detach(&sql);
		pk_buf_puts(&sql, "SELECT id");
		for (size_t i = 0; i < ent->nfields; i++)
			pk_buf_printf(&sql, ", %s", ent->fields[i].column);
		pk_buf_printf(&sql, " FROM %s WHERE uuid = ?1", ent->table);
		e->sql[PK_SQL_SELECT] = pk_buf_detach(&sql);
		pk_buf_printf(&sql, "SELECT id FROM %s WHERE uuid = ?1", ent->table);
		e->sql[PK_SQL_ID] = pk_buf_detach(&sql);
	}
	return e->sql[kind];
}

/* A create event's value: the record's fields that have a value, as one
 * JSON object (absent is null), with its parent's uuid for a child. */
static const char *create_json(struct pk_buf *obj, const struct pk_change *ch)
{
	const struct pk_entity *ent = ch->ent;
	pk_buf_putc(obj, '{');
	if (ch->parent[0])
		pk_buf_printf(obj, "\"parent\":\"%s\"", ch->parent);
	for (size_t i = 0; i < ent->nfields; i++) {
		const struct pk_field *f = &ent->fields[i];
		if (!ch->v[i].set || ch->v[i].null || (f->flags & (PK_FF_NOLOG | PK_FF_INTERNAL)))
			continue;
		if (obj->len > 1)
			pk_buf_putc(obj, ',');
		pk_json_quote(obj, f->name);
		pk_buf_putc(obj, ':');
		value_json(obj, f, &ch->v[i]);
	}
	pk_buf_putc(obj, '}');
	return obj->data;
}

static int do_create(struct pk_db *db, struct pk_change *ch)
{
	const struct pk_entity *ent = ch->ent;
	int rc;

	if (ent->hook && (rc = ent->hook(db, ch, PK_HOOK_BEFORE)) != PK_OK)
		return rc;
	sqlite3_stmt *st = pk_db_stmt(db, pk_entity_sql(db, ent, PK_SQL_INSERT));
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
	for (size_t i = 0; i < ent->nfields; i++)
		bind_value(st, (int)i + 2, &ent->fields[i], &ch->v[i]);
	int sqrc = sqlite3_step(st);
	sqlite3_reset(st);
	if (sqrc != SQLITE_DONE) {
		if ((sqrc & 0xff) == SQLITE_CONSTRAINT)
			return pk_error_set(&db->err, PK_EINVAL, _("cannot create %s %s: %s"),
					    ent->name, ch->uuid, sqlite3_errmsg(db->h));
		return pk_db_fail(db, sqrc, ent->name);
	}
	ch->rowid = sqlite3_last_insert_rowid(db->h);
	ch->count = 1;
	ch->wrote = 1;

	/* a merged create is stored as it came: its fields were read from it */
	struct pk_buf obj = { 0 };
	const char *json = db->remote ? db->remote->value : create_json(&obj, ch);
	rc = oplog_append(db, ch, "create", NULL, json,
			  db->remote ? pk_event_value_len(db->remote) : obj.len);
	pk_buf_free(&obj);
	if (rc != PK_OK)
		return rc;

	/* History: a top-level record's creation on itself, labelled by its
	 * first field (a ticket's ref); a child's on its parent. */
	if (ent->parent && ch->parent[0])
		rc = pk_history_append(db, ent->parent, ch->parent, ent->name, NULL, ch->uuid);
	else
		rc = pk_history_append(db, ent->name, ch->uuid, "created", NULL,
				       ch->v[0].set && !ch->v[0].null &&
						       ent->fields[0].type == PK_FT_TEXT
					       ? ch->v[0].s
					       : ch->uuid);
	if (rc != PK_OK)
		return rc;
	if (ent->hook && (rc = ent->hook(db, ch, PK_HOOK_AFTER)) != PK_OK)
		return rc;
	return PK_OK;
}

/* Loads the stored values of the fields being set and marks which differ. */
static int load_old(struct pk_db *db, struct pk_change *ch, int *nlogged, int *ndiff)
{
	const struct pk_entity *ent = ch->ent;
	sqlite3_stmt *st = pk_db_stmt(db, pk_entity_sql(db, ent, PK_SQL_SELECT));
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return pk_error_set(&db->err, PK_ENOTFOUND, _("no %s %s"), ent->name,
					    ch->uuid);
		return pk_db_fail(db, rc, ent->name);
	}
	ch->rowid = sqlite3_column_int64(st, 0);
	*nlogged = *ndiff = 0;
	for (size_t i = 0; i < ent->nfields; i++) {
		struct pk_value *v = &ch->v[i];
		const struct pk_field *f = &ent->fields[i];
		if (!v->set)
			continue;
		int col = (int)i + 1;
		int old_null = sqlite3_column_type(st, col) == SQLITE_NULL;
		if (f->type == PK_FT_TEXT) {
			const char *old = (const char *)sqlite3_column_text(st, col);
			v->old = old_null ? NULL : pk_xstrdup(old);
			v->differs = v->null ? !old_null : (old_null || strcmp(old, v->s) != 0);
		} else {
			int64_t old = sqlite3_column_int64(st, col);
			v->old = old_null ? NULL : int_text(f, old);
			v->differs = v->null ? !old_null : (old_null || old != v->i);
		}
		if (ch->force && !(f->flags & PK_FF_NOLOG))
			v->differs = 1;
		if (v->differs) {
			(*ndiff)++;
			if (!(f->flags & PK_FF_NOLOG))
				(*nlogged)++;
			if (f->flags & PK_FF_IMMUTABLE) {
				sqlite3_reset(st);
				return pk_error_set(&db->err, PK_EINVAL, _("%s cannot be changed"),
						    f->name);
			}
		}
	}
	sqlite3_reset(st);
	return PK_OK;
}

static int do_update(struct pk_db *db, struct pk_change *ch)
{
	const struct pk_entity *ent = ch->ent;
	int nlogged = 0, ndiff = 0, rc;

	if ((rc = load_old(db, ch, &nlogged, &ndiff)) != PK_OK)
		return rc;
	ch->count = nlogged;
	if (ndiff == 0)
		return PK_OK;
	if (ent->hook && (rc = ent->hook(db, ch, PK_HOOK_BEFORE)) != PK_OK)
		return rc;

	struct pk_buf sql = { 0 };
	int n = 0;
	pk_buf_printf(&sql, "UPDATE %s SET ", ent->table);
	for (size_t i = 0; i < ent->nfields; i++) {
		if (!ch->v[i].differs)
			continue;
		pk_buf_printf(&sql, "%s%s = ?%d", n ? ", " : "", ent->fields[i].column, n + 2);
		n++;
	}
	pk_buf_printf(&sql, " WHERE id = ?1");
	sqlite3_stmt *st;
	rc = pk_db_prepare_once(db, sql.data, &st);
	pk_buf_free(&sql);
	if (rc != PK_OK)
		return rc;
	sqlite3_bind_int64(st, 1, ch->rowid);
	n = 2;
	for (size_t i = 0; i < ent->nfields; i++)
		if (ch->v[i].differs)
			bind_value(st, n++, &ent->fields[i], &ch->v[i]);
	int sqrc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (sqrc != SQLITE_DONE)
		return pk_db_fail(db, sqrc, ent->name);
	ch->wrote = 1;

	for (size_t i = 0; i < ent->nfields; i++) {
		const struct pk_field *f = &ent->fields[i];
		struct pk_value *v = &ch->v[i];
		if (!v->differs || (f->flags & PK_FF_NOLOG))
			continue;
		char *nv = value_text(f, v);
		rc = pk_history_append(db, ent->name, ch->uuid, f->name, v->old, nv);
		free(nv);
		if (rc != PK_OK)
			return rc;
		struct pk_buf jv = { 0 };
		value_json(&jv, f, v);
		rc = oplog_append(db, ch, "set", f->name, jv.data, jv.len);
		pk_buf_free(&jv);
		if (rc != PK_OK)
			return rc;
	}
	if (ent->hook && (rc = ent->hook(db, ch, PK_HOOK_AFTER)) != PK_OK)
		return rc;
	return PK_OK;
}

int pk_change_apply(struct pk_db *db, struct pk_change *ch)
{
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	rc = ch->create ? do_create(db, ch) : do_update(db, ch);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	if (ch->wrote)
		db->wrote = 1;
	return pk_db_commit(db);
}
