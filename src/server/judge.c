/* A push judged in memory, the same for every store (see judge.h).
 *
 * The tracked fields follow the engine's merge (oplog.c, merge_set and
 * pk_oplog_field_clock): last writer wins by (hlc, origin), a creation's
 * clock counts until a set comes. */
#include "judge.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy.h"
#include "picket/i18n.h"
#include "picket/json.h"
#include "picket/oplog.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "picket/util.h"

const char *const srv_tracked[SRV_NTRACKED] = { "group", "classification" };

/* Where each tracked field goes in struct srv_record, in srv_tracked order. */
static const size_t tracked_offset[SRV_NTRACKED] = {
	offsetof(struct srv_record, group),
	offsetof(struct srv_record, classification),
};

/* The fields the engine's schema keeps unique per kind of record (COLLATE
 * NOCASE): a create that would repeat one cannot be merged anywhere. */
static const struct unique_name {
	const char *entity, *field;
} unique_names[] = {
	{ "ticket", "ref" },
	{ "vendor", "name" },
};

static const char *unique_field(const char *entity)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(unique_names); i++)
		if (strcmp(entity, unique_names[i].entity) == 0)
			return unique_names[i].field;
	return NULL;
}

/* --- the map --- */

static size_t uhash(const char *s)
{
	size_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void *umap_get(const struct srv_umap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = uhash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i])
			return NULL;
		if (strcmp(m->v[i], key) == 0)
			return m->v[i];
	}
}

/* Adds e (not already there); the map owns it from then on. */
static void umap_put(struct srv_umap *m, char *e)
{
	if (2 * (m->n + 1) > m->cap) {
		struct srv_umap g = { pk_xcalloc(m->cap ? 2 * m->cap : 64, sizeof(char *)),
				      m->cap ? 2 * m->cap : 64, 0 };
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i])
				umap_put(&g, m->v[i]);
		free(m->v);
		*m = g;
	}
	size_t i = uhash(e) & (m->cap - 1);
	while (m->v[i])
		i = (i + 1) & (m->cap - 1);
	m->v[i] = e;
	m->n++;
}

static void umap_free(struct srv_umap *m, void (*fn)(void *))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i])
			fn(m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* --- the batch --- */

/* A value as the policy compares it: a string's text, an integer's
 * digits; NULL for null and anything else (the value was checked by
 * pk_event_validate already). */
static char *value_text(struct pk_json *j)
{
	struct pk_buf b = { 0 };
	int64_t n;
	switch (pk_json_peek(j)) {
	case PK_JSON_STRING:
		if (pk_json_string(j, &b) == 0)
			return pk_buf_detach(&b);
		pk_buf_free(&b);
		return NULL;
	case PK_JSON_NUMBER:
		return pk_json_int(j, &n) == 0 ? pk_xasprintf("%lld", (long long)n) : NULL;
	default: pk_json_skip(j, NULL, NULL); return NULL;
	}
}

/* Reads what the judgement needs of a create's object, once. */
static void create_read(const struct pk_event *ev, struct srv_create *out)
{
	const char *name = unique_field(ev->entity);
	int ticket = strcmp(ev->entity, "ticket") == 0;
	struct pk_json j;
	struct pk_buf key = { 0 };
	pk_json_init(&j, ev->value, strlen(ev->value));
	if (pk_json_object(&j) == 0) {
		while (pk_json_member(&j, &key) > 0) {
			const char *k0 = key.data ? key.data : "";
			char **slot = NULL;
			if (name && strcmp(k0, name) == 0)
				slot = &out->name;
			for (size_t k = 0; ticket && !slot && k < SRV_NTRACKED; k++)
				if (strcmp(k0, srv_tracked[k]) == 0)
					slot = &out->f[k];
			if (!slot) {
				pk_json_skip(&j, NULL, NULL);
				continue;
			}
			free(*slot);
			*slot = value_text(&j);
		}
	}
	pk_buf_free(&key);
}

static void prec_free(void *e)
{
	struct srv_prec *p = e;
	free(p->name);
	for (size_t k = 0; k < SRV_NTRACKED; k++) {
		free(p->f[k].value);
		free(p->f[k].origin);
	}
	free(p);
}

void srv_batch_init(struct srv_batch *b, const struct pk_events *evs,
		    const struct pk_config *classes)
{
	size_t n = evs->n ? evs->n : 1;
	memset(b, 0, sizeof(*b));
	b->evs = evs;
	b->classes = classes;
	b->bad = evs->n;
	b->parents = pk_xcalloc(n, sizeof(*b->parents));
	b->creates = pk_xcalloc(n, sizeof(*b->creates));
	b->stored = pk_xcalloc(n, sizeof(*b->stored));
	for (size_t i = 0; i < evs->n && b->bad == evs->n; i++) {
		const struct pk_event *ev = &evs->v[i];
		if (pk_event_validate(ev, b->parents[i], &b->bad_err) != PK_OK) {
			b->bad = i;
			break;
		}
		/* tickets for their tracked fields, named records for the name */
		if (ev->create && (strcmp(ev->entity, "ticket") == 0 || unique_field(ev->entity)))
			create_read(ev, &b->creates[i]);
	}
}

void srv_batch_free(struct srv_batch *b)
{
	umap_free(&b->seen, free);
	umap_free(&b->recs, prec_free);
	umap_free(&b->names, free);
	for (size_t i = 0; b->creates && i < b->evs->n; i++) {
		free(b->creates[i].name);
		for (size_t k = 0; k < SRV_NTRACKED; k++)
			free(b->creates[i].f[k]);
	}
	free(b->creates);
	free(b->parents);
	free(b->stored);
	memset(b, 0, sizeof(*b));
}

const char *srv_batch_name(const struct srv_batch *b, size_t i)
{
	if (i >= b->bad || !b->evs->v[i].create)
		return NULL;
	return b->creates[i].name;
}

void srv_batch_seen(struct srv_batch *b, const char *uuid)
{
	if (!umap_get(&b->seen, uuid))
		umap_put(&b->seen, pk_xstrdup(uuid));
}

struct srv_prec *srv_batch_get(const struct srv_batch *b, const char *uuid)
{
	return umap_get(&b->recs, uuid);
}

struct srv_prec *srv_batch_record(struct srv_batch *b, const char *uuid, const char *entity,
				  const char *ticket, const char *name)
{
	struct srv_prec *rec = umap_get(&b->recs, uuid);
	if (rec)
		return rec;
	rec = pk_xcalloc(1, sizeof(*rec));
	snprintf(rec->uuid, sizeof(rec->uuid), "%s", uuid);
	snprintf(rec->entity, sizeof(rec->entity), "%s", entity);
	snprintf(rec->ticket, sizeof(rec->ticket), "%s", ticket ? ticket : "");
	rec->name = name ? pk_xstrdup(name) : NULL;
	umap_put(&b->recs, rec->uuid);
	return rec;
}

void srv_batch_field(struct srv_prec *rec, const char *field, const char *value, int64_t hlc,
		     const char *origin, int by_set)
{
	for (size_t k = 0; k < SRV_NTRACKED; k++) {
		if (strcmp(srv_tracked[k], field) != 0)
			continue;
		struct srv_tfield *f = &rec->f[k];
		free(f->value);
		free(f->origin);
		f->set = 1;
		f->value = value ? pk_xstrdup(value) : NULL;
		f->hlc = hlc;
		f->origin = pk_xstrdup(origin);
		f->by_set = by_set;
	}
}

/* "entity:name" in lower case (ASCII), as COLLATE NOCASE compares. */
static char *name_key(const char *entity, const char *name)
{
	char *k = pk_xasprintf("%s:%s", entity, name);
	for (char *s = k; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	return k;
}

void srv_batch_taken(struct srv_batch *b, const char *entity, const char *name)
{
	char *key = name_key(entity, name);
	if (umap_get(&b->names, key))
		free(key);
	else
		umap_put(&b->names, key);
}

struct srv_prec *srv_batch_next_record(const struct srv_batch *b, size_t *at)
{
	while (*at < b->recs.cap) {
		struct srv_prec *p = (struct srv_prec *)b->recs.v[(*at)++];
		if (p)
			return p;
	}
	return NULL;
}

/* --- judging --- */

int srv_level_rank(const struct pk_config *cls, const char *name)
{
	if (!name)
		return -1;
	int rank = pk_class_rank(cls, name);
	return rank >= 0 ? rank : cls->nlevels - 1;
}

/* The ticket whose fields the policy sees for this event, if any. */
static struct srv_prec *event_ticket(const struct srv_batch *b, size_t i)
{
	const struct pk_event *ev = &b->evs->v[i];
	const char *parent = b->parents[i];
	struct srv_prec *rec = umap_get(&b->recs, ev->create && *parent ? parent : ev->entity_uuid);
	if (rec && rec->ticket[0])
		rec = umap_get(&b->recs, rec->ticket);
	return rec && strcmp(rec->entity, "ticket") == 0 ? rec : NULL;
}

static int clock_above(const struct pk_event *ev, const struct srv_tfield *f)
{
	return ev->hlc > f->hlc || (ev->hlc == f->hlc && strcmp(ev->origin, f->origin) > 0);
}

static void clock_take(struct srv_tfield *f, const struct pk_event *ev, int by_set)
{
	free(f->origin);
	f->hlc = ev->hlc;
	f->origin = pk_xstrdup(ev->origin);
	f->by_set = by_set;
}

/* A set of a tracked field: the value changes when the event's clock is
 * above the field's, the latest set's or else the creation's (equal hlcs
 * go to the greater origin); the field's clock is then the latest set's. */
static void field_set(struct srv_prec *t, size_t k, char *v, const struct pk_event *ev)
{
	struct srv_tfield *f = &t->f[k];
	int wins = !f->set || clock_above(ev, f);
	if (wins) {
		free(f->value);
		f->value = v ? pk_xstrdup(v) : NULL;
		f->set = 1;
	}
	if (wins || !f->by_set)
		clock_take(f, ev, 1);
	t->dirty = 1;
}

/* A creation: its value, or null, at its clock; a second creation of the
 * same record keeps the value but its clock counts until a set comes. */
static void field_create(struct srv_prec *t, size_t k, const char *v, const struct pk_event *ev)
{
	struct srv_tfield *f = &t->f[k];
	if (!f->set) {
		f->set = 1;
		f->value = v ? pk_xstrdup(v) : NULL;
		clock_take(f, ev, 0);
	} else if (!f->by_set && clock_above(ev, f)) {
		clock_take(f, ev, 0);
	} else {
		return;
	}
	t->dirty = 1;
}

/* What storing event i does to the records: PK_OK, or PK_EINVAL when it
 * names a record the store lacks (as a merge would refuse it).  A create
 * of a record that exists is kept as an event only. */
static int apply_records(struct srv_batch *b, size_t i, struct pk_error *err)
{
	const struct pk_event *ev = &b->evs->v[i];
	const char *parent = b->parents[i];
	struct srv_prec *rec = umap_get(&b->recs, ev->entity_uuid);
	int ticket = strcmp(ev->entity, "ticket") == 0;
	if (!ev->create) {
		if (!rec || strcmp(rec->entity, ev->entity) != 0)
			return pk_error_set(err, PK_EINVAL,
					    _("event %s: %s %s is not in this database"), ev->uuid,
					    ev->entity, ev->entity_uuid);
		for (size_t k = 0; ticket && k < SRV_NTRACKED; k++) {
			if (strcmp(ev->field, srv_tracked[k]) != 0)
				continue;
			struct pk_json j;
			pk_json_init(&j, ev->value, strlen(ev->value));
			char *v = value_text(&j);
			field_set(rec, k, v, ev);
			free(v);
		}
		return PK_OK;
	}
	const struct srv_create *cr = &b->creates[i];
	if (rec) {
		/* made here too under the same uuid: keep the event */
		for (size_t k = 0; ticket && strcmp(rec->entity, "ticket") == 0 && k < SRV_NTRACKED;
		     k++)
			field_create(rec, k, cr->f[k], ev);
		return PK_OK;
	}
	const char *pent = pk_entity_parent(ev->entity);
	struct srv_prec *prec = *parent ? umap_get(&b->recs, parent) : NULL;
	if (pent && (!prec || strcmp(prec->entity, pent) != 0))
		return pk_error_set(err, PK_EINVAL, _("event %s: %s %s is not in this database"),
				    ev->uuid, pent, parent);
	const char *name = srv_batch_name(b, i);
	char *key = name ? name_key(ev->entity, name) : NULL;
	if (key && umap_get(&b->names, key)) {
		int rc = ticket ? pk_error_set(err, PK_EINVAL,
					       _("event %s: ticket %s exists here already as "
						 "another ticket: two installations use node name "
						 "%s (each needs its own [core] node)"),
					       ev->uuid, name, ev->origin)
				: pk_error_set(err, PK_EINVAL,
					       _("event %s: %s \"%s\" exists here already as "
						 "another record"),
					       ev->uuid, ev->entity, name);
		free(key);
		return rc;
	}
	if (key)
		umap_put(&b->names, key);
	rec = srv_batch_record(b, ev->entity_uuid, ev->entity,
			       pent ? (prec->ticket[0] ? prec->ticket : prec->uuid) : NULL, name);
	rec->is_new = 1;
	/* a field the creation leaves out is null, at the creation's clock */
	for (size_t k = 0; ticket && k < SRV_NTRACKED; k++)
		field_create(rec, k, cr->f[k], ev);
	return PK_OK;
}

/* Judges event i: PK_OK when stored (or left out and named in
 * res->rejected); PK_EREFUSED (with *refusal) or another status when the
 * batch must fail. */
static int judge_one(struct srv_batch *b, size_t i, const struct srv_user *user,
		     struct pk_push_result *res, const char **refusal, struct pk_error *err)
{
	const struct pk_event *ev = &b->evs->v[i];
	struct pk_error why = { 0 };
	const char *code;
	if (i == b->bad) {
		*err = b->bad_err;
		return err->code;
	}
	struct srv_record rec = { .level = -1, .new_level = -1 };
	struct srv_prec *t = event_ticket(b, i);
	for (size_t k = 0; t && k < SRV_NTRACKED; k++)
		*(const char **)((char *)&rec + tracked_offset[k]) = t->f[k].value;
	if (t && !ev->create && pk_streq(ev->field, "classification")) {
		rec.level = srv_level_rank(b->classes, rec.classification);
		rec.new_level = srv_event_level(b->classes, ev);
	}
	switch (srv_policy_event(user, ev, &rec, &code, &why)) {
	case SRV_ALLOW: break;
	case SRV_REJECT_EVENT:
		srv_log(SRV_LOG_WARN, _("push by %s: event %s left out (%s): %s"), user->name,
			ev->uuid, code, why.msg);
		pk_push_result_reject(res, ev->uuid, code, why.msg);
		return PK_OK;
	case SRV_REFUSE_BATCH:
		*refusal = code;
		*err = why;
		return PK_EREFUSED;
	}
	if (umap_get(&b->seen, ev->uuid)) {
		res->duplicates++;
		return PK_OK;
	}
	int rc = apply_records(b, i, err);
	if (rc != PK_OK)
		return rc;
	umap_put(&b->seen, pk_xstrdup(ev->uuid));
	b->stored[b->nstored++] = i;
	res->accepted++;
	return PK_OK;
}

/* Refuses the batch when a ticket it touched (or a comment's ticket) is
 * above the ceiling as the batch leaves it. */
static int check_levels(const struct srv_batch *b, const char **refusal, struct pk_error *err)
{
	const struct pk_config *cls = b->classes;
	if (cls->system_high == cls->nlevels - 1)
		return PK_OK;
	for (size_t i = 0; i < b->evs->n; i++) {
		struct srv_prec *t = event_ticket(b, i);
		if (!t)
			continue;
		int rank = srv_level_rank(cls, t->f[SRV_T_CLASS].value);
		if (srv_policy_level(cls, "ticket", t->uuid, rank > 0 ? rank : 0, refusal, err) !=
		    SRV_ALLOW)
			return PK_EREFUSED;
	}
	return PK_OK;
}

int64_t srv_batch_seq(const struct srv_batch *b, size_t k)
{
	return b->head - (int64_t)b->nstored + 1 + (int64_t)k;
}

int srv_batch_judge(struct srv_batch *b, const struct srv_user *user, struct pk_push_result *res,
		    const char **refusal, struct pk_error *err)
{
	int rc = PK_OK;
	res->from = b->head;
	for (size_t i = 0; rc == PK_OK && i < b->evs->n; i++)
		rc = judge_one(b, i, user, res, refusal, err);
	if (rc == PK_OK)
		rc = check_levels(b, refusal, err);
	b->head += (int64_t)b->nstored;
	res->seq = b->head;
	return rc;
}
