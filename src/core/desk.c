/* Vendors, on-call rotas and overrides, handover notes. */
#include "picket/desk.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_private.h"
#include "picket/clock.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/sla.h"
#include "picket/status.h"
#include "picket/text.h"
#include "picket/ticket.h"

static const struct pk_field vendor_fields[] = {
	{ "name", "name", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "contact", "contact", PK_FT_TEXT, 0, NULL },
	{ "contract", "contract", PK_FT_TEXT, 0, NULL },
	{ "created_at", "created_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
};

const struct pk_entity pk_vendor_entity = {
	.name = "vendor",
	.table = "vendors",
	.fields = vendor_fields,
	.nfields = PK_ARRAY_LEN(vendor_fields),
};

static const struct pk_field override_fields[] = {
	{ "group", "group_name", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "person", "person", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "starts_at", "starts_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "ends_at", "ends_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "reason", "reason", PK_FT_TEXT, PK_FF_IMMUTABLE, NULL },
	{ "created_at", "created_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
};

const struct pk_entity pk_override_entity = {
	.name = "oncall_override",
	.table = "oncall_overrides",
	.fields = override_fields,
	.nfields = PK_ARRAY_LEN(override_fields),
};

static const struct pk_field note_fields[] = {
	{ "author", "author", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "body", "body", PK_FT_TEXT, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "created_at", "created_at", PK_FT_TIME, PK_FF_IMMUTABLE | PK_FF_REQUIRED, NULL },
	{ "acked_by", "acked_by", PK_FT_TEXT, 0, NULL },
	{ "acked_at", "acked_at", PK_FT_TIME, 0, NULL },
};

const struct pk_entity pk_note_entity = {
	.name = "handover_note",
	.table = "handover_notes",
	.fields = note_fields,
	.nfields = PK_ARRAY_LEN(note_fields),
};

/* Short names and texts: valid UTF-8, no control characters, bounded. */
static int check_short(struct pk_db *db, const char *what, const char *v, size_t max)
{
	if (!v || !*v)
		return pk_error_set(&db->err, PK_EINVAL, _("%s must not be empty"), what);
	if (strlen(v) > max)
		return pk_error_set(&db->err, PK_EINVAL, _("%s is longer than %zu bytes"), what,
				    max);
	if (!pk_utf8_valid(v, strlen(v), NULL))
		return pk_error_set(&db->err, PK_EINVAL, _("%s is not valid UTF-8"), what);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return pk_error_set(&db->err, PK_EINVAL,
					    _("%s contains a control character"), what);
	return PK_OK;
}

static int apply_new(struct pk_db *db, struct pk_change **ch)
{
	int rc = pk_change_apply(db, *ch);
	pk_change_free(ch);
	return rc;
}

/* Vendors ----------------------------------------------------------- */

static char *trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n ? pk_xstrndup(s, n) : NULL;
}

/* "contact, contract": the contract reference is everything after the
 * first comma. */
static int parse_configured(const char *name, const char *v, struct pk_vendor *out)
{
	if (!v)
		v = "";
	const char *comma = strchr(v, ',');
	out->contact = trim_dup(v, comma ? (size_t)(comma - v) : strlen(v));
	out->contract = comma ? trim_dup(comma + 1, strlen(comma + 1)) : NULL;
	out->name = pk_xstrdup(name);
	out->configured = 1;
	return 0;
}

void pk_vendor_clear(struct pk_vendor *v)
{
	free(v->name);
	free(v->contact);
	free(v->contract);
	memset(v, 0, sizeof(*v));
}

int pk_vendor_list(struct pk_db *db, pk_vendor_cb cb, void *data)
{
	char **keys;
	int nk = pk_config_section_keys(db->cfg, "vendors", &keys), rc = PK_OK;
	for (int i = 0; i < nk && rc == PK_OK; i++) {
		struct pk_vendor v = { 0 };
		if (parse_configured(keys[i], pk_config_raw(db->cfg, "vendors", keys[i]), &v) == 0)
			rc = cb(&v, data);
		pk_vendor_clear(&v);
	}
	sqlite3_stmt *st = rc == PK_OK ? pk_db_stmt(db, "SELECT name, contact, contract FROM "
							"vendors ORDER BY name COLLATE NOCASE")
				       : NULL;
	if (rc == PK_OK && !st)
		rc = db->err.code;
	while (st && rc == PK_OK) {
		int sq = sqlite3_step(st);
		if (sq != SQLITE_ROW) {
			if (sq != SQLITE_DONE)
				rc = pk_db_fail(db, sq, "vendors");
			break;
		}
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int dup = 0;
		for (int i = 0; i < nk; i++)
			dup |= strcasecmp(keys[i], name) == 0;
		if (dup)
			continue;
		struct pk_vendor v = {
			.name = (char *)name,
			.contact = (char *)sqlite3_column_text(st, 1),
			.contract = (char *)sqlite3_column_text(st, 2),
		};
		rc = cb(&v, data);
	}
	if (st)
		sqlite3_reset(st);
	pk_config_free_names(keys, nk);
	return rc;
}

struct find_vendor {
	const char *name;
	struct pk_vendor *out;
};

static int match_vendor(const struct pk_vendor *v, void *data)
{
	struct find_vendor *f = data;
	if (strcasecmp(v->name, f->name) != 0)
		return 0;
	f->out->name = pk_xstrdup(v->name);
	f->out->contact = pk_xstrdup(v->contact);
	f->out->contract = pk_xstrdup(v->contract);
	f->out->configured = v->configured;
	return 1;
}

int pk_vendor_find(struct pk_db *db, const char *name, struct pk_vendor *out)
{
	memset(out, 0, sizeof(*out));
	struct find_vendor f = { name, out };
	int rc = pk_vendor_list(db, match_vendor, &f);
	if (rc == 1)
		return PK_OK;
	if (rc != PK_OK)
		return rc;
	return pk_error_set(&db->err, PK_ENOTFOUND,
			    _("no vendor '%s' (add one with: picket vendor add NAME)"), name);
}

int pk_vendor_add(struct pk_db *db, const char *name, const char *contact, const char *contract)
{
	int rc;
	struct pk_vendor v;
	if ((rc = check_short(db, _("vendor name"), name, PK_FIELD_MAX)) != PK_OK ||
	    (contact && *contact &&
	     (rc = check_short(db, _("contact"), contact, PK_FIELD_MAX)) != PK_OK) ||
	    (contract && *contract &&
	     (rc = check_short(db, _("contract"), contract, PK_FIELD_MAX)) != PK_OK))
		return rc;
	if (pk_vendor_find(db, name, &v) == PK_OK) {
		pk_vendor_clear(&v);
		return pk_error_set(&db->err, PK_EINVAL, _("vendor '%s' exists already"), name);
	}
	struct pk_change *ch = pk_change_create(&pk_vendor_entity);
	pk_change_text(ch, "name", name);
	if (contact && *contact)
		pk_change_text(ch, "contact", contact);
	if (contract && *contract)
		pk_change_text(ch, "contract", contract);
	pk_change_int(ch, "created_at", pk_clock_now());
	return apply_new(db, &ch);
}

int pk_vendor_escalate(struct pk_db *db, const struct pk_ticket *t, const char *vendor,
		       const char *their_ref, int64_t followup, const char *note)
{
	struct pk_vendor v;
	int rc = pk_vendor_find(db, vendor, &v);
	if (rc != PK_OK)
		return rc;
	/* a name from the configuration is checked like a typed one */
	if ((rc = check_short(db, _("vendor name"), v.name, PK_FIELD_MAX)) != PK_OK) {
		pk_vendor_clear(&v);
		return rc;
	}
	if (their_ref && *their_ref &&
	    (rc = check_short(db, _("vendor reference"), their_ref, PK_FIELD_MAX)) != PK_OK) {
		pk_vendor_clear(&v);
		return rc;
	}
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	pk_change_text(ch, "vendor", v.name);
	if (their_ref && *their_ref)
		pk_change_text(ch, "vendor_ref", their_ref);
	else if (!pk_strcaseeq(t->vendor, v.name))
		pk_change_null(ch, "vendor_ref"); /* the last vendor's reference */
	pk_change_text(ch, "status", "pending_vendor");
	pk_change_int(ch, "followup",
		      followup ? followup : pk_clock_now() + pk_sla_vendor_follow_up(db->cfg));
	rc = pk_ticket_save(db, t, ch, note);
	pk_change_free(&ch);
	pk_vendor_clear(&v);
	return rc;
}

/* Rotas -------------------------------------------------------------- */

#define MAX_PEOPLE 64

struct rota {
	char *name, *group, *zone;
	char *people[MAX_PEOPLE];
	int npeople;
	int64_t start;		  /* UTC of the first handover */
	int64_t length;		  /* seconds; whole days step in local time */
	int sy, sm, sd, shh, smm; /* the start as local wall-clock time */
};

struct pk_rota_config {
	struct rota *r;
	int n;
	const char **groups;
};

static void rota_free(struct rota *r)
{
	free(r->name);
	free(r->group);
	free(r->zone);
	for (int i = 0; i < r->npeople; i++)
		free(r->people[i]);
}

void pk_rota_config_free(struct pk_rota_config **prc)
{
	struct pk_rota_config *rc = *prc;
	if (!rc)
		return;
	for (int i = 0; i < rc->n; i++)
		rota_free(&rc->r[i]);
	free(rc->r);
	free(rc->groups);
	free(rc);
	*prc = NULL;
}

static int load_rota(struct pk_config *cfg, const char *section, struct rota *r,
		     struct pk_error *err)
{
	static const char *const known[] = {
		"group", "people", "start", "length", "timezone", NULL
	};
	int rc = pk_config_check_section(cfg, section, known, err);
	if (rc != PK_OK)
		return rc;
	r->name = pk_xstrdup(section + 5);
	const char *group = pk_config_raw(cfg, section, "group");
	r->group = pk_xstrdup(group && *group ? group : r->name);
	const char *zone = pk_config_raw(cfg, section, "timezone");
	r->zone = pk_xstrdup(zone ? zone : "");
	if (!pk_zone_valid(r->zone))
		return pk_error_set(err, PK_ECONFIG, _("%s.timezone: unknown time zone '%s'"),
				    section, r->zone);
	const char *people = pk_config_raw(cfg, section, "people");
	r->npeople = pk_config_split(people, r->people, MAX_PEOPLE);
	if (r->npeople <= 0) {
		r->npeople = 0;
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.people: a list of 1 to %d logins is needed"), section,
				    MAX_PEOPLE);
	}
	const char *len = pk_config_raw(cfg, section, "length");
	if (pk_duration_parse(len ? len : "1w", &r->length) != 0 || r->length < 3600)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.length: '%s' is not a shift length such as 12h, 1d or "
				      "1w"),
				    section, len);
	const char *start = pk_config_raw(cfg, section, "start");
	int64_t t;
	if (!start || pk_time_parse(start, &t) != 0 || strpbrk(start + 10, "Z+-"))
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.start: '%s' is not a local date and time such as "
				      "2026-01-05T08:00"),
				    section, start ? start : "");
	int64_t days = t / 86400, secs = t % 86400;
	pk_civil_from_days(days, &r->sy, &r->sm, &r->sd);
	r->shh = (int)(secs / 3600);
	r->smm = (int)(secs / 60 % 60);
	r->start = pk_zone_to_utc(r->zone, r->sy, r->sm, r->sd, r->shh, r->smm);
	return PK_OK;
}

int pk_rota_config_load(struct pk_config *cfg, struct pk_error *err)
{
	struct pk_rota_config *rc = pk_xcalloc(1, sizeof(*rc));
	pk_rota_config_free(&cfg->rota);
	cfg->rota = rc;
	char **secs;
	int nsec = pk_config_sections(cfg, "rota.", &secs), st = PK_OK;
	rc->r = pk_xcalloc(nsec ? (size_t)nsec : 1, sizeof(*rc->r));
	rc->groups = pk_xcalloc((size_t)nsec + 1, sizeof(*rc->groups));
	for (int i = 0; i < nsec && st == PK_OK; i++) {
		st = load_rota(cfg, secs[i], &rc->r[rc->n], err);
		rc->n++;
		for (int k = 0; st == PK_OK && k < rc->n - 1; k++)
			if (strcasecmp(rc->r[k].group, rc->r[rc->n - 1].group) == 0)
				st = pk_error_set(err, PK_ECONFIG,
						  _("[%s]: group %s has a rota already"), secs[i],
						  rc->r[k].group);
		if (st == PK_OK)
			rc->groups[i] = rc->r[i].group;
	}
	pk_config_free_names(secs, nsec);
	return st;
}

int pk_rota_groups(const struct pk_config *cfg, const char ***groups)
{
	*groups = cfg->rota ? cfg->rota->groups : NULL;
	return cfg->rota ? cfg->rota->n : 0;
}

/* Start of shift k: whole-day lengths step in local wall-clock time, so a
 * weekly 08:00 handover stays at 08:00 across DST changes. */
static int64_t shift_start(const struct rota *r, int64_t k)
{
	if (r->length % 86400)
		return r->start + k * r->length;
	int64_t day = pk_days_from_civil(r->sy, (unsigned)r->sm, (unsigned)r->sd) +
		      k * (r->length / 86400);
	int y, m, d;
	pk_civil_from_days(day, &y, &m, &d);
	return pk_zone_to_utc(r->zone, y, m, d, r->shh, r->smm);
}

static const struct rota *rota_of(const struct pk_config *cfg, const char *group)
{
	for (int i = 0; cfg->rota && i < cfg->rota->n; i++)
		if (strcasecmp(cfg->rota->r[i].group, group) == 0)
			return &cfg->rota->r[i];
	return NULL;
}

void pk_duty_clear(struct pk_duty *d)
{
	free(d->group);
	free(d->person);
	free(d->reason);
	free(d->next_person);
	memset(d, 0, sizeof(*d));
}

int pk_oncall(struct pk_db *db, const char *group, int64_t at, struct pk_duty *out)
{
	memset(out, 0, sizeof(*out));
	const struct rota *r = rota_of(db->cfg, group);
	/* the latest override covering the moment wins */
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT person, starts_at, ends_at, reason FROM "
					  "oncall_overrides WHERE group_name = ?1 COLLATE NOCASE "
					  "AND starts_at <= ?2 AND ends_at > ?2 ORDER BY id DESC "
					  "LIMIT 1");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	int sq = sqlite3_step(st);
	if (sq == SQLITE_ROW) {
		out->person = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
		out->from = sqlite3_column_int64(st, 1);
		out->until = sqlite3_column_int64(st, 2);
		out->reason = pk_xstrdup((const char *)sqlite3_column_text(st, 3));
		out->override = 1;
	}
	sqlite3_reset(st);
	if (sq != SQLITE_ROW && sq != SQLITE_DONE)
		return pk_db_fail(db, sq, "oncall_overrides");
	out->group = pk_xstrdup(r ? r->group : group);
	if (!r) {
		if (out->override)
			return PK_OK;
		pk_duty_clear(out);
		return pk_error_set(&db->err, PK_ENOTFOUND, _("group %s has no on-call rota"),
				    group);
	}
	/* the shift containing `at`: estimate, then step */
	int64_t k = (at - r->start) / r->length;
	if (at < r->start)
		k -= 1;
	while (shift_start(r, k) > at)
		k--;
	while (shift_start(r, k + 1) <= at)
		k++;
	int64_t n = r->npeople;
	int idx = (int)(((k % n) + n) % n);
	if (!out->override) {
		out->person = pk_xstrdup(r->people[idx]);
		out->from = shift_start(r, k);
		out->until = shift_start(r, k + 1);
		out->next_person = pk_xstrdup(r->people[(idx + 1) % n]);
		return PK_OK;
	}
	/* after an override: whoever the rota (or a later override) has then */
	struct pk_duty after;
	if (out->until && pk_oncall(db, group, out->until, &after) == PK_OK) {
		out->next_person = after.person;
		after.person = NULL;
		pk_duty_clear(&after);
	}
	return PK_OK;
}

int pk_oncall_override(struct pk_db *db, const char *group, const char *person, int64_t from,
		       int64_t until, const char *reason)
{
	int rc;
	if ((rc = check_short(db, _("group"), group, PK_FIELD_MAX)) != PK_OK ||
	    (rc = check_short(db, _("person"), person, PK_FIELD_MAX)) != PK_OK ||
	    (reason && *reason && (rc = check_short(db, _("reason"), reason, 1000)) != PK_OK))
		return rc;
	if (until <= from)
		return pk_error_set(&db->err, PK_EINVAL, _("an override must end after it starts"));
	struct pk_change *ch = pk_change_create(&pk_override_entity);
	pk_change_text(ch, "group", group);
	pk_change_text(ch, "person", person);
	pk_change_int(ch, "starts_at", from);
	pk_change_int(ch, "ends_at", until);
	if (reason && *reason)
		pk_change_text(ch, "reason", reason);
	pk_change_int(ch, "created_at", pk_clock_now());
	return apply_new(db, &ch);
}

/* Handover notes ----------------------------------------------------- */

int pk_note_add(struct pk_db *db, const char *body)
{
	const char *p = body;
	while (p && isspace((unsigned char)*p))
		p++;
	if (!p || !*p)
		return pk_error_set(&db->err, PK_EINVAL, _("a handover note must not be empty"));
	if (strlen(body) > PK_TEXT_MAX)
		return pk_error_set(&db->err, PK_EINVAL, _("the note is longer than %d bytes"),
				    PK_TEXT_MAX);
	if (!pk_utf8_valid(body, strlen(body), NULL))
		return pk_error_set(&db->err, PK_EINVAL, _("the note is not valid UTF-8"));
	struct pk_change *ch = pk_change_create(&pk_note_entity);
	pk_change_text(ch, "author", db->user);
	pk_change_text(ch, "body", body);
	pk_change_int(ch, "created_at", pk_clock_now());
	return apply_new(db, &ch);
}

int pk_note_list(struct pk_db *db, int64_t since, pk_note_cb cb, void *data)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT id, uuid, author, body, created_at, acked_by, "
					  "acked_at FROM handover_notes WHERE created_at >= ?1 "
					  "ORDER BY created_at, id");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, since);
	int sq, rc = PK_OK;
	while (rc == PK_OK && (sq = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_note n = {
			.id = sqlite3_column_int64(st, 0),
			.uuid = (char *)sqlite3_column_text(st, 1),
			.author = (char *)sqlite3_column_text(st, 2),
			.body = (char *)sqlite3_column_text(st, 3),
			.created_at = sqlite3_column_int64(st, 4),
			.acked_by = (char *)sqlite3_column_text(st, 5),
			.acked_at = sqlite3_column_int64(st, 6),
		};
		rc = cb(&n, data);
	}
	sqlite3_reset(st);
	if (rc == PK_OK && sq != SQLITE_DONE && sq != SQLITE_ROW)
		rc = pk_db_fail(db, sq, "handover_notes");
	return rc;
}

int pk_note_ack_all(struct pk_db *db, long *n)
{
	*n = 0;
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	sqlite3_stmt *st;
	rc = pk_db_prepare_once(db,
				"SELECT uuid FROM handover_notes WHERE acked_at IS NULL AND "
				"author != ?1 ORDER BY id",
				&st);
	if (rc == PK_OK) {
		sqlite3_bind_text(st, 1, db->user, -1, SQLITE_STATIC);
		int sq;
		while (rc == PK_OK && (sq = sqlite3_step(st)) == SQLITE_ROW) {
			struct pk_change *ch = pk_change_update(
				&pk_note_entity, (const char *)sqlite3_column_text(st, 0));
			pk_change_text(ch, "acked_by", db->user);
			pk_change_int(ch, "acked_at", pk_clock_now());
			rc = apply_new(db, &ch);
			(*n)++;
		}
		sqlite3_finalize(st);
	}
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}
