/* The shift handover report. */
#include "picket/handover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/clock.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/query.h"
#include "picket/sla.h"
#include "picket/status.h"

struct collect {
	struct pk_db *db;
	struct pk_ticket_set *set;
	int near; /* keep only tickets past their first warning threshold */
	int64_t now;
};

static int keep(struct pk_ticket *t, void *data)
{
	struct collect *c = data;
	if (c->near) {
		struct pk_sla s;
		const int *levels;
		int nl = pk_sla_warn_levels(c->db->cfg, &levels), warned = 0;
		if (nl && pk_sla_compute(c->db, t, c->now, &s) == PK_OK) {
			const struct pk_sla_clock *clocks[2] = { &s.response, &s.resolve };
			for (int k = 0; k < 2; k++) {
				int64_t m = clocks[k]->state == PK_SLA_RUNNING
						    ? pk_sla_crossing(c->db->cfg, &s, clocks[k],
								      levels[0])
						    : 0;
				warned |= m && m <= c->now;
			}
			pk_sla_free(&s);
		}
		if (!warned)
			return 0;
	}
	c->set->total++;
	if (c->set->n < PK_HANDOVER_LIST_MAX) {
		c->set->t = pk_xrealloc(c->set->t, (c->set->n + 1) * sizeof(*c->set->t));
		c->set->t[c->set->n++] = pk_ticket_dup(t);
	}
	return 0;
}

static int section(struct pk_db *db, int64_t now, const char *text, int near,
		   struct pk_ticket_set *set)
{
	struct pk_query *q = NULL;
	int rc = pk_query_compile(db->cfg, db->user, now, text, 0, &q, &db->err);
	if (rc != PK_OK)
		return rc;
	struct collect c = { db, set, near, now };
	long count = 0;
	if (!near) {
		/* exact counts; the lists stop at PK_HANDOVER_LIST_MAX */
		if ((rc = pk_ticket_count(db, q, &count)) == PK_OK)
			rc = pk_ticket_list(db, q, PK_HANDOVER_LIST_MAX, keep, &c);
		set->total = count;
	} else {
		rc = pk_ticket_list(db, q, 500, keep, &c);
	}
	pk_query_free(&q);
	return rc;
}

static int keep_note(const struct pk_note *n, void *data)
{
	struct pk_handover *h = data;
	h->notes = pk_xrealloc(h->notes, (h->nnotes + 1) * sizeof(*h->notes));
	struct pk_note *c = &h->notes[h->nnotes++];
	*c = *n;
	c->uuid = pk_xstrdup(n->uuid);
	c->author = pk_xstrdup(n->author);
	c->body = pk_xstrdup(n->body);
	c->acked_by = pk_xstrdup(n->acked_by);
	return 0;
}

int pk_handover_build(struct pk_db *db, int64_t since, struct pk_handover *h)
{
	memset(h, 0, sizeof(*h));
	h->since = since;
	h->now = pk_clock_now();
	char opened[64], resolved[64];
	snprintf(opened, sizeof(opened), "created:>=@%lld sort:created", (long long)since);
	snprintf(resolved, sizeof(resolved), "resolved:>=@%lld sort:resolved", (long long)since);
	int rc;
	if ((rc = section(db, h->now, opened, 0, &h->opened)) ||
	    (rc = section(db, h->now, resolved, 0, &h->resolved)) ||
	    (rc = section(db, h->now, "status:open priority:<=P2 sort:-priority,sla", 0,
			  &h->major)) ||
	    (rc = section(db, h->now, "sla:breached sort:sla", 0, &h->breached)) ||
	    (rc = section(db, h->now, "sla:>=0m sort:sla", 1, &h->near)) ||
	    (rc = section(db, h->now, "followup:overdue sort:followup", 0, &h->followups)) ||
	    (rc = pk_note_list(db, since, keep_note, h)))
		return rc;
	const char **groups;
	int ng = pk_rota_groups(db->cfg, &groups);
	h->duty = pk_xcalloc(ng ? (size_t)ng : 1, sizeof(*h->duty));
	for (int i = 0; i < ng; i++)
		if (pk_oncall(db, groups[i], h->now, &h->duty[h->nduty]) == PK_OK)
			h->nduty++;
	return PK_OK;
}

static void set_free(struct pk_ticket_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		pk_ticket_free(&s->t[i]);
	free(s->t);
	memset(s, 0, sizeof(*s));
}

void pk_handover_free(struct pk_handover *h)
{
	set_free(&h->opened);
	set_free(&h->resolved);
	set_free(&h->major);
	set_free(&h->breached);
	set_free(&h->near);
	set_free(&h->followups);
	for (size_t i = 0; i < h->nnotes; i++) {
		free(h->notes[i].uuid);
		free(h->notes[i].author);
		free(h->notes[i].body);
		free(h->notes[i].acked_by);
	}
	free(h->notes);
	for (size_t i = 0; i < h->nduty; i++)
		pk_duty_clear(&h->duty[i]);
	free(h->duty);
	memset(h, 0, sizeof(*h));
}

static void ticket_line(struct pk_buf *b, const struct pk_ticket *t, int64_t now, int markdown,
			int what)
{
	char when[32] = "";
	const char *label = NULL;
	if (what == 1 && t->sla_due) {
		label = t->sla_due < now ? _("breached, over by") : _("due in");
		pk_age_format(t->sla_due < now ? now - t->sla_due : t->sla_due - now, when,
			      sizeof(when));
	} else if (what == 2 && t->followup_at) {
		label = _("follow-up overdue by");
		pk_age_format(now - t->followup_at, when, sizeof(when));
	}
	pk_buf_printf(b, markdown ? "- **%s** P%d %s, %s" : "  %-10s P%d  %-16s %-10s", t->ref,
		      t->priority, t->status, t->assignee ? t->assignee : "-");
	if (label)
		pk_buf_printf(b, "  %s %s", label, when);
	if (what == 2 && t->vendor)
		pk_buf_printf(b, "  %s %s", t->vendor, t->vendor_ref ? t->vendor_ref : "");
	pk_buf_printf(b, markdown ? ": %s\n" : "  %s\n", t->title);
}

static void set_text(struct pk_buf *b, const char *title, const struct pk_ticket_set *s,
		     int64_t now, int markdown, int what)
{
	pk_buf_printf(b, markdown ? "\n## %s (%ld)\n\n" : "\n%s (%ld)\n", title, s->total);
	if (!s->total)
		pk_buf_printf(b, markdown ? "%s\n" : "  %s\n", _("none"));
	for (size_t i = 0; i < s->n; i++)
		ticket_line(b, s->t[i], now, markdown, what);
	if ((long)s->n < s->total)
		pk_buf_printf(b, markdown ? "- ... %ld %s\n" : "  ... %ld %s\n",
			      s->total - (long)s->n, _("more"));
}

char *pk_handover_text(const struct pk_handover *h, int markdown)
{
	struct pk_buf b = { 0 };
	char s1[32], s2[32];
	pk_buf_printf(&b, markdown ? "# %s\n\n%s %s → %s\n" : "%s\n%s %s -> %s\n",
		      _("Shift handover"), _("Shift"), pk_time_format(h->since, s1, sizeof(s1)),
		      pk_time_format(h->now, s2, sizeof(s2)));
	if (h->nduty) {
		pk_buf_printf(&b, markdown ? "\n## %s\n\n" : "\n%s\n", _("On call"));
		for (size_t i = 0; i < h->nduty; i++) {
			const struct pk_duty *d = &h->duty[i];
			pk_buf_printf(&b, markdown ? "- %s: **%s**" : "  %-12s %s", d->group,
				      d->person);
			if (d->until)
				pk_buf_printf(&b, _(" until %s"),
					      pk_time_format(d->until, s1, sizeof(s1)));
			if (d->override)
				pk_buf_printf(&b, " (%s%s%s)", _("override"), d->reason ? ": " : "",
					      d->reason ? d->reason : "");
			pk_buf_putc(&b, '\n');
		}
	}
	set_text(&b, _("Opened this shift"), &h->opened, h->now, markdown, 0);
	set_text(&b, _("Resolved this shift"), &h->resolved, h->now, markdown, 0);
	set_text(&b, _("Open P1/P2"), &h->major, h->now, markdown, 1);
	set_text(&b, _("SLA breached"), &h->breached, h->now, markdown, 1);
	set_text(&b, _("SLA near breach"), &h->near, h->now, markdown, 1);
	set_text(&b, _("Vendor follow-ups overdue"), &h->followups, h->now, markdown, 2);
	pk_buf_printf(&b, markdown ? "\n## %s (%zu)\n\n" : "\n%s (%zu)\n", _("Handover notes"),
		      h->nnotes);
	if (!h->nnotes)
		pk_buf_printf(&b, markdown ? "%s\n" : "  %s\n", _("none"));
	for (size_t i = 0; i < h->nnotes; i++) {
		const struct pk_note *n = &h->notes[i];
		pk_buf_printf(&b, markdown ? "- %s, %s" : "  %s  %s", n->author,
			      pk_time_format(n->created_at, s1, sizeof(s1)));
		if (n->acked_by)
			pk_buf_printf(&b, _(" (acknowledged by %s)"), n->acked_by);
		else
			pk_buf_printf(&b, " (%s)", _("not acknowledged"));
		/* every line of the note indented, so none reads as a heading */
		pk_buf_puts(&b, markdown ? ":\n\n" : "\n");
		for (const char *p = n->body; *p;) {
			size_t len = strcspn(p, "\n");
			pk_buf_puts(&b, markdown ? "  " : "    ");
			pk_buf_add(&b, p, len);
			pk_buf_putc(&b, '\n');
			p += len;
			if (*p)
				p++;
		}
		if (markdown)
			pk_buf_putc(&b, '\n');
	}
	return pk_buf_detach(&b);
}

static json_t *set_json(const struct pk_ticket_set *s)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "total", json_integer(s->total));
	for (size_t i = 0; i < s->n; i++) {
		json_t *t = pk_ticket_to_json(s->t[i]);
		json_object_del(t, "description");
		json_array_append_new(a, t);
	}
	json_object_set_new(o, "tickets", a);
	return o;
}

json_t *pk_handover_json(const struct pk_handover *h)
{
	char buf[32];
	json_t *o = json_object();
	json_object_set_new(o, "since", json_string(pk_time_format(h->since, buf, sizeof(buf))));
	json_object_set_new(o, "until", json_string(pk_time_format(h->now, buf, sizeof(buf))));
	json_object_set_new(o, "opened", set_json(&h->opened));
	json_object_set_new(o, "resolved", set_json(&h->resolved));
	json_object_set_new(o, "open_major", set_json(&h->major));
	json_object_set_new(o, "sla_breached", set_json(&h->breached));
	json_object_set_new(o, "sla_near_breach", set_json(&h->near));
	json_object_set_new(o, "vendor_followups_overdue", set_json(&h->followups));
	json_t *notes = json_array();
	for (size_t i = 0; i < h->nnotes; i++) {
		const struct pk_note *n = &h->notes[i];
		json_t *j = json_object();
		json_object_set_new(j, "uuid", json_string(n->uuid));
		json_object_set_new(j, "author", json_string(n->author));
		json_object_set_new(j, "body", json_string(n->body));
		json_object_set_new(j, "created_at",
				    json_string(pk_time_format(n->created_at, buf, sizeof(buf))));
		json_object_set_new(j, "acked_by",
				    n->acked_by ? json_string(n->acked_by) : json_null());
		json_object_set_new(
			j, "acked_at",
			n->acked_at ? json_string(pk_time_format(n->acked_at, buf, sizeof(buf)))
				    : json_null());
		json_array_append_new(notes, j);
	}
	json_object_set_new(o, "notes", notes);
	json_t *duty = json_array();
	for (size_t i = 0; i < h->nduty; i++) {
		const struct pk_duty *d = &h->duty[i];
		json_t *j = json_object();
		json_object_set_new(j, "group", json_string(d->group));
		json_object_set_new(j, "person", json_string(d->person));
		json_object_set_new(
			j, "until",
			d->until ? json_string(pk_time_format(d->until, buf, sizeof(buf)))
				 : json_null());
		json_object_set_new(j, "override", json_boolean(d->override));
		json_array_append_new(duty, j);
	}
	json_object_set_new(o, "oncall", duty);
	return o;
}
