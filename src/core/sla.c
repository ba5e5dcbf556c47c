/* Service levels: the policies from the configuration, the clocks, and the
 * derived columns the change path keeps on each ticket. */
#include "picket/sla.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/calendar.h"
#include "picket/clock.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "picket/ticket.h"

struct target {
	int set;
	int64_t respond, resolve; /* working seconds; 0 = no target */
	int cal;
	char *key; /* "sla.p1", "sla.request.p3", ... */
};

struct scope {
	char *name; /* "" for [sla], "request" for [sla.request], "service.x" */
	struct target t[4];
};

struct pk_sla_config {
	struct pk_calendar **cals;
	int ncals;
	int warn[PK_SLA_MAX_WARN];
	int nwarn;
	unsigned char pause[PK_MAX_STATUSES];
	struct scope *scopes; /* [0] is [sla] */
	int nscopes;
	int64_t follow_up;
	char digest[17];
};

static int add_calendar(struct pk_sla_config *sc, const struct pk_config *cfg, const char *name,
			const char *section, struct pk_error *err, uint64_t *h)
{
	static const char *const known[] = { "days", "hours", "timezone", "holidays", NULL };
	const char *v[4] = { NULL, NULL, NULL, NULL };
	if (section) {
		int rc = pk_config_check_section(cfg, section, known, err);
		if (rc != PK_OK)
			return rc;
		for (int k = 0; known[k]; k++)
			v[k] = pk_config_raw(cfg, section, known[k]);
	}
	/* the built-in business calendar's days and hours, unless changed */
	if (strcmp(name, "business") == 0) {
		if (!v[0])
			v[0] = "mon-fri";
		if (!v[1])
			v[1] = "08:00-18:00";
	}
	for (int k = 0; k < 4; k++)
		pk_digest_add(h, v[k]);
	struct pk_calendar *cal = pk_calendar_new(name, v[0], v[1], v[2], v[3], err);
	if (!cal)
		return PK_ECONFIG;
	/* a section replaces the built-in calendar of the same name */
	for (int i = 0; i < sc->ncals; i++)
		if (strcmp(pk_calendar_name(sc->cals[i]), name) == 0) {
			pk_calendar_free(&sc->cals[i]);
			sc->cals[i] = cal;
			return PK_OK;
		}
	sc->cals = pk_xrealloc(sc->cals, (size_t)(sc->ncals + 1) * sizeof(*sc->cals));
	sc->cals[sc->ncals++] = cal;
	return PK_OK;
}

static int find_cal(const struct pk_sla_config *sc, const char *name)
{
	for (int i = 0; i < sc->ncals; i++)
		if (strcasecmp(pk_calendar_name(sc->cals[i]), name) == 0)
			return i;
	return -1;
}

/* "respond 15m, resolve 4h, calendar 24x7" */
static int parse_target(struct pk_sla_config *sc, const char *key, const char *text,
			struct target *t, struct pk_error *err)
{
	char *copy = pk_xstrdup(text), *save = NULL;
	const char *respond = NULL, *resolve = NULL, *calendar = "24x7";
	int rc = PK_OK;
	for (char *w = strtok_r(copy, " \t,", &save); w && rc == PK_OK;
	     w = strtok_r(NULL, " \t,", &save)) {
		char *val = strtok_r(NULL, " \t,", &save);
		if (!val)
			rc = pk_error_set(err, PK_ECONFIG, _("%s: '%s' needs a value"), key, w);
		else if (strcmp(w, "respond") == 0)
			respond = val;
		else if (strcmp(w, "resolve") == 0)
			resolve = val;
		else if (strcmp(w, "calendar") == 0)
			calendar = val;
		else
			rc = pk_error_set(err, PK_ECONFIG,
					  _("%s: unknown word '%s' (respond, resolve, calendar)"),
					  key, w);
	}
	if (rc == PK_OK && (t->cal = find_cal(sc, calendar)) < 0)
		rc = pk_error_set(err, PK_ECONFIG,
				  _("%s: unknown calendar '%s' (define it in [calendar.%s])"), key,
				  calendar, calendar);
	const char *durs[2] = { respond, resolve };
	int64_t *outs[2] = { &t->respond, &t->resolve };
	for (int i = 0; i < 2 && rc == PK_OK; i++) {
		*outs[i] = 0;
		if (!durs[i] || strcmp(durs[i], "none") == 0)
			continue;
		if (pk_calendar_duration(sc->cals[t->cal], durs[i], outs[i]) != 0)
			rc = pk_error_set(
				err, PK_ECONFIG,
				_("%s: '%s' is not a duration such as 15m, 4h, 3d or none"), key,
				durs[i]);
	}
	free(copy);
	if (rc == PK_OK) {
		t->set = 1;
		t->key = pk_xstrdup(key);
	}
	return rc;
}

static int load_scope(struct pk_sla_config *sc, const struct pk_config *cfg, const char *section,
		      struct pk_error *err, uint64_t *h)
{
	sc->scopes = pk_xrealloc(sc->scopes, (size_t)(sc->nscopes + 1) * sizeof(*sc->scopes));
	struct scope *s = &sc->scopes[sc->nscopes++];
	memset(s, 0, sizeof(*s));
	s->name = pk_xstrdup(section ? section + 4 : "");
	for (int p = 0; p < 4; p++) {
		char key[16], full[300];
		snprintf(key, sizeof(key), "p%d", p + 1);
		const char *v;
		if (section) {
			v = pk_config_raw(cfg, section, key);
			snprintf(full, sizeof(full), "%s.%s", section, key);
		} else {
			snprintf(full, sizeof(full), "sla.%s", key);
			v = pk_config_str(cfg, full);
		}
		if (!v)
			continue;
		pk_digest_add(h, full);
		pk_digest_add(h, v);
		int rc = parse_target(sc, full, v, &s->t[p], err);
		if (rc != PK_OK)
			return rc;
	}
	if (!section)
		return PK_OK;
	/* [sla.TYPE] or [sla.service.NAME], with keys p1..p4 only */
	const char *scope = section + 4;
	if (strncmp(scope, "service.", 8) != 0 && !pk_type_valid(scope))
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: [%s]: '%s' is not a ticket type (incident, request, "
				      "problem, change) nor service.NAME"),
				    cfg->path, section, scope);
	static const char *const known[] = { "p1", "p2", "p3", "p4", NULL };
	return pk_config_check_section(cfg, section, known, err);
}

static int load_lists(struct pk_sla_config *sc, const struct pk_config *cfg, struct pk_error *err,
		      uint64_t *h)
{
	char *items[PK_MAX_STATUSES + 1];
	const char *warn = pk_config_str(cfg, "sla.warn");
	int n = pk_config_split(warn, items, PK_SLA_MAX_WARN), rc = PK_OK;
	if (n < 0)
		return pk_error_set(err, PK_ECONFIG, _("sla.warn: at most %d thresholds"),
				    PK_SLA_MAX_WARN);
	for (int i = 0; i < n; i++) {
		long long v = 0;
		if (rc != PK_OK)
			; /* the first error is the one told */
		else if (pk_parse_int(items[i], 1, 99, &v) != 0 ||
			 (sc->nwarn && v <= sc->warn[sc->nwarn - 1]))
			rc = pk_error_set(err, PK_ECONFIG,
					  _("sla.warn: '%s' is not a percentage 1-99 above the "
					    "one before"),
					  items[i]);
		else
			sc->warn[sc->nwarn++] = (int)v;
		free(items[i]);
	}
	pk_digest_add(h, warn);
	if (rc != PK_OK)
		return rc;
	const char *pause = pk_config_str(cfg, "sla.pause");
	/* the default names statuses a custom workflow may lack */
	int given = pk_config_raw(cfg, "sla", "pause") != NULL;
	n = pk_config_split(pause, items, PK_MAX_STATUSES);
	for (int i = 0; i < n; i++) {
		int k = pk_wf_index(&cfg->wf, items[i]);
		if (rc == PK_OK && k < 0 && given)
			rc = pk_error_set(err, PK_ECONFIG, _("sla.pause: unknown status '%s'"),
					  items[i]);
		else if (k >= 0)
			sc->pause[k] = 1;
		free(items[i]);
	}
	pk_digest_add(h, pause);
	if (rc != PK_OK)
		return rc;
	const char *fu = pk_config_str(cfg, "sla.follow_up");
	if (pk_duration_parse(fu, &sc->follow_up) != 0 || sc->follow_up <= 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("sla.follow_up: '%s' is not a duration such as 2d"), fu);
	return PK_OK;
}

int pk_sla_config_load(struct pk_config *cfg, struct pk_error *err)
{
	struct pk_sla_config *sc = pk_xcalloc(1, sizeof(*sc));
	uint64_t h = PK_DIGEST_INIT;
	char **secs = NULL;
	int nsec = 0, rc;
	pk_sla_config_free(&cfg->sla);
	cfg->sla = sc;
	if ((rc = add_calendar(sc, cfg, "24x7", NULL, err, &h)) != PK_OK ||
	    (rc = add_calendar(sc, cfg, "business", NULL, err, &h)) != PK_OK)
		goto out;
	nsec = pk_config_sections(cfg, "calendar.", &secs);
	for (int i = 0; i < nsec; i++) {
		const char *name = secs[i] + 9;
		for (const char *p = name; *p && rc == PK_OK; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_-", *p))
				rc = pk_error_set(err, PK_ECONFIG,
						  _("%s: [%s]: a calendar name is letters, digits, "
						    "- and _"),
						  cfg->path, secs[i]);
		if (rc != PK_OK || (rc = add_calendar(sc, cfg, name, secs[i], err, &h)) != PK_OK)
			goto out;
	}
	pk_config_free_names(secs, nsec);
	secs = NULL;
	nsec = 0;
	/* calendars in local time follow TZ; the clocks stop in closed statuses */
	pk_digest_add(&h, getenv("TZ"));
	for (int i = 0; i < cfg->wf.nstatus; i++)
		pk_digest_add(&h, cfg->wf.closed[i] ? cfg->wf.status[i] : "");
	if ((rc = load_lists(sc, cfg, err, &h)) != PK_OK ||
	    (rc = load_scope(sc, cfg, NULL, err, &h)) != PK_OK)
		goto out;
	nsec = pk_config_sections(cfg, "sla.", &secs);
	for (int i = 0; i < nsec; i++)
		if ((rc = load_scope(sc, cfg, secs[i], err, &h)) != PK_OK)
			goto out;
	snprintf(sc->digest, sizeof(sc->digest), "%016llx", (unsigned long long)h);
out:
	pk_config_free_names(secs, nsec);
	return rc;
}

void pk_sla_config_free(struct pk_sla_config **psc)
{
	struct pk_sla_config *sc = *psc;
	if (!sc)
		return;
	for (int i = 0; i < sc->ncals; i++)
		pk_calendar_free(&sc->cals[i]);
	free(sc->cals);
	for (int i = 0; i < sc->nscopes; i++) {
		for (int p = 0; p < 4; p++)
			free(sc->scopes[i].t[p].key);
		free(sc->scopes[i].name);
	}
	free(sc->scopes);
	free(sc);
	*psc = NULL;
}

int pk_sla_warn_levels(const struct pk_config *cfg, const int **levels)
{
	*levels = cfg->sla->warn;
	return cfg->sla->nwarn;
}

int pk_sla_pauses(const struct pk_config *cfg, const char *status)
{
	int k = pk_wf_index(&cfg->wf, status);
	return k >= 0 && cfg->sla->pause[k];
}

int64_t pk_sla_vendor_follow_up(const struct pk_config *cfg)
{
	return cfg->sla->follow_up;
}

const char *pk_sla_config_digest(const struct pk_config *cfg)
{
	return cfg->sla->digest;
}

struct pk_calendar *pk_sla_calendar(const struct pk_config *cfg, const char *name)
{
	int i = find_cal(cfg->sla, name);
	return i < 0 ? NULL : cfg->sla->cals[i];
}

const char *pk_sla_state_name(int state)
{
	switch (state) {
	case PK_SLA_RUNNING: return _("running");
	case PK_SLA_PAUSED: return _("paused");
	case PK_SLA_MET: return _("met");
	case PK_SLA_BREACHED: return _("breached");
	default: return _("no target");
	}
}

/* The targets of a ticket: its service's, else its type's, else the
 * default, priority by priority. */
static const struct target *lookup(const struct pk_sla_config *sc, const struct pk_ticket *t)
{
	int p = t->priority >= 1 && t->priority <= 4 ? t->priority - 1 : 3;
	if (t->service && *t->service) {
		char name[PK_FIELD_MAX + 16];
		snprintf(name, sizeof(name), "service.%s", t->service);
		for (int i = 1; i < sc->nscopes; i++)
			if (strcasecmp(sc->scopes[i].name, name) == 0 && sc->scopes[i].t[p].set)
				return &sc->scopes[i].t[p];
	}
	for (int i = 1; i < sc->nscopes; i++)
		if (t->type && strcasecmp(sc->scopes[i].name, t->type) == 0 &&
		    sc->scopes[i].t[p].set)
			return &sc->scopes[i].t[p];
	return &sc->scopes[0].t[p];
}

int pk_sla_level(const struct pk_config *cfg, const struct pk_ticket *t, int64_t now)
{
	if (!t->sla_due)
		return PK_SLA_LEVEL_NONE;
	if (t->sla_due < now) /* exactly on target is met */
		return PK_SLA_LEVEL_BREACH;
	const struct pk_sla_config *sc = cfg->sla;
	const struct target *tg = lookup(sc, t);
	if (!tg->set || !sc->nwarn)
		return PK_SLA_LEVEL_OK;
	/* the clock that falls due first, and the working time left on it */
	int64_t target =
		t->sla_due == t->response_due && !t->responded_at ? tg->respond : tg->resolve;
	if (target <= 0)
		return PK_SLA_LEVEL_OK;
	int64_t left = pk_calendar_work(sc->cals[tg->cal], now, t->sla_due);
	return (target - left) * 100 >= target * sc->warn[0] ? PK_SLA_LEVEL_WARN : PK_SLA_LEVEL_OK;
}

/* When `x` working seconds of the clock have passed, within its spans and
 * before its stop; the current span of a clock still counting runs on
 * without end.  0 if it was not reached. */
static int64_t reach(struct pk_calendar *cal, const struct pk_sla *s, int64_t stop, int64_t x)
{
	int64_t acc = 0;
	for (size_t i = 0; i < s->nspans; i++) {
		const struct pk_sla_span *sp = &s->spans[i];
		if (!sp->running || (stop && sp->from >= stop))
			continue;
		if (i == s->nspans - 1 && !stop)
			return pk_calendar_add(cal, sp->from, x - acc);
		int64_t end = stop && stop < sp->to ? stop : sp->to;
		int64_t w = pk_calendar_work(cal, sp->from, end);
		if (acc + w >= x && w > 0)
			return pk_calendar_add(cal, sp->from, x - acc);
		acc += w;
	}
	return 0;
}

static void eval_clock(struct pk_calendar *cal, const struct pk_sla *s, int64_t target,
		       int64_t stop, struct pk_sla_clock *c)
{
	memset(c, 0, sizeof(*c));
	if (target <= 0)
		return;
	c->target = target;
	if (stop > s->now)
		stop = 0;
	for (size_t i = 0; i < s->nspans; i++) {
		const struct pk_sla_span *sp = &s->spans[i];
		int64_t end = stop && stop < sp->to ? stop : sp->to;
		if (sp->running)
			c->elapsed += pk_calendar_work(cal, sp->from, end);
	}
	c->stopped = stop;
	c->breached_at = reach(cal, s, stop, target);
	/* breached once past the target: exactly on it is met */
	if (c->breached_at >= s->now || c->breached_at == INT64_MAX)
		c->breached_at = 0;
	if (stop)
		c->state = c->elapsed > target ? PK_SLA_BREACHED : PK_SLA_MET;
	else if (s->nspans && s->spans[s->nspans - 1].running)
		c->state = PK_SLA_RUNNING, c->due = reach(cal, s, 0, target);
	else
		c->state = PK_SLA_PAUSED;
	/* exactly on target is met, not breached */
	if (c->state != PK_SLA_RUNNING && c->elapsed <= target)
		c->breached_at = 0;
}

void pk_sla_evaluate(const struct pk_config *cfg, const struct pk_ticket *t,
		     const struct pk_sla_mark *marks, size_t n, int64_t now, struct pk_sla *out)
{
	const struct pk_sla_config *sc = cfg->sla;
	const struct target *tg = lookup(sc, t);
	struct pk_calendar *cal = sc->cals[tg->set ? tg->cal : 0];
	memset(out, 0, sizeof(*out));
	out->now = now;
	out->policy = pk_xstrdup(tg->key ? tg->key : "");
	out->calendar = pk_xstrdup(pk_calendar_name(cal));
	out->spans = pk_xcalloc(n ? n : 1, sizeof(*out->spans));
	int64_t first_closed = 0;
	/* a clock set behind the ticket's own times counts from its last change */
	if (n && now < marks[n - 1].at)
		now = out->now = marks[n - 1].at;
	if (now < t->created_at)
		now = out->now = t->created_at;
	for (size_t i = 0; i < n; i++) {
		struct pk_sla_span *sp = &out->spans[out->nspans];
		sp->from = marks[i].at < t->created_at ? t->created_at : marks[i].at;
		sp->to = i + 1 < n ? marks[i + 1].at : now;
		if (sp->from > now)
			break;
		if (sp->to > now)
			sp->to = now;
		if (sp->to < sp->from)
			sp->to = sp->from;
		int closed = pk_wf_is_closed(&cfg->wf, marks[i].status);
		if (closed && !first_closed)
			first_closed = sp->from;
		sp->status = pk_xstrdup(marks[i].status);
		sp->running = !closed && !pk_sla_pauses(cfg, marks[i].status);
		out->nspans++;
	}
	/* resolved (then perhaps closed): stopped when the closed run began */
	int64_t resolve_stop = 0;
	for (size_t i = out->nspans; i > 0 && pk_wf_is_closed(&cfg->wf, out->spans[i - 1].status);
	     i--)
		resolve_stop = out->spans[i - 1].from;
	/* the first response, or the first resolution if that came earlier */
	int64_t respond_stop = t->responded_at;
	if (first_closed && (!respond_stop || first_closed < respond_stop))
		respond_stop = first_closed;
	eval_clock(cal, out, tg->set ? tg->respond : 0, respond_stop, &out->response);
	eval_clock(cal, out, tg->set ? tg->resolve : 0, resolve_stop, &out->resolve);
}

void pk_sla_free(struct pk_sla *s)
{
	for (size_t i = 0; i < s->nspans; i++)
		free(s->spans[i].status);
	free(s->spans);
	free(s->policy);
	free(s->calendar);
	memset(s, 0, sizeof(*s));
}

int64_t pk_sla_crossing(const struct pk_config *cfg, const struct pk_sla *s,
			const struct pk_sla_clock *c, int percent)
{
	if (c->state == PK_SLA_NONE)
		return 0;
	struct pk_calendar *cal = pk_sla_calendar(cfg, s->calendar);
	int64_t when = reach(cal, s, c->stopped, c->target * percent / 100);
	return when == INT64_MAX ? 0 : when;
}

int64_t pk_sla_next(const struct pk_config *cfg, const struct pk_sla *s, int64_t after)
{
	const struct pk_sla_clock *clocks[2] = { &s->response, &s->resolve };
	int64_t best = 0;
	for (int k = 0; k < 2; k++) {
		const struct pk_sla_clock *c = clocks[k];
		if (c->state != PK_SLA_RUNNING && c->state != PK_SLA_PAUSED)
			continue;
		for (int i = 0; i <= cfg->sla->nwarn; i++) {
			int pct = i < cfg->sla->nwarn ? cfg->sla->warn[i] : 100;
			int64_t m = pk_sla_crossing(cfg, s, c, pct);
			if (m > after && (!best || m < best))
				best = m;
		}
	}
	return best;
}

/* Where a ticket's status story starts when its history has no status
 * change (created so, or imported): in its status since creation, except a
 * ticket imported resolved, which counted in the workflow's first status
 * until its resolution.  Returns the number of marks (1 or 2). */
static size_t first_marks(const struct pk_config *cfg, const struct pk_ticket *t,
			  struct pk_sla_mark *m)
{
	if (t->resolved_at > t->created_at && pk_wf_is_closed(&cfg->wf, t->status) &&
	    cfg->wf.nstatus > 0) {
		m[0] = (struct pk_sla_mark){ t->created_at, cfg->wf.status[0] };
		m[1] = (struct pk_sla_mark){ t->resolved_at, t->status };
		return 2;
	}
	m[0] = (struct pk_sla_mark){ t->created_at, t->status };
	return 1;
}

/* The status marks of a ticket from its history: where it started, then
 * each change. */
static int load_marks(struct pk_db *db, const struct pk_ticket *t, struct pk_sla_mark **out,
		      size_t *n, char ***strs)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT at, old_value, new_value FROM history "
					  "WHERE entity_uuid = ?1 AND entity = 'ticket' AND "
					  "field = 'status' ORDER BY id");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, t->uuid, -1, SQLITE_STATIC);
	size_t cap = 4, k = 0;
	struct pk_sla_mark *m = pk_xcalloc(cap, sizeof(*m));
	char **s = pk_xcalloc(cap * 2, sizeof(*s));
	*n = first_marks(db->cfg, t, m);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n + 1 >= cap) {
			cap *= 2;
			m = pk_xrealloc(m, cap * sizeof(*m));
			s = pk_xrealloc(s, cap * 2 * sizeof(*s));
		}
		const char *old = (const char *)sqlite3_column_text(st, 1);
		const char *nw = (const char *)sqlite3_column_text(st, 2);
		if (!k && old) {
			/* the history knows how the ticket began */
			*n = 1;
			m[0] = (struct pk_sla_mark){ t->created_at, s[k++] = pk_xstrdup(old) };
		}
		s[k] = pk_xstrdup(nw ? nw : "");
		m[(*n)++] = (struct pk_sla_mark){ sqlite3_column_int64(st, 0), s[k++] };
	}
	sqlite3_reset(st);
	*out = m;
	*strs = s;
	s[k] = NULL;
	return rc == SQLITE_DONE ? PK_OK : pk_db_fail(db, rc, "history");
}

int pk_sla_compute(struct pk_db *db, const struct pk_ticket *t, int64_t now, struct pk_sla *out)
{
	struct pk_sla_mark *marks = NULL;
	char **strs = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	int rc = load_marks(db, t, &marks, &n, &strs);
	if (rc == PK_OK)
		pk_sla_evaluate(db->cfg, t, marks, n, now, out);
	for (char **p = strs; p && *p; p++)
		free(*p);
	free(strs);
	free(marks);
	return rc;
}

/* What the queue sorts and `sla:` queries compare: when a running clock
 * falls due, or when a paused one breached (it stays breached). */
static int64_t due_of(const struct pk_sla_clock *c)
{
	if (c->state == PK_SLA_RUNNING)
		return c->due == INT64_MAX ? 0 : c->due;
	if (c->state == PK_SLA_PAUSED)
		return c->breached_at;
	return 0;
}

static const char *outcome(const struct pk_sla_clock *c)
{
	return c->state == PK_SLA_MET ? "met" : c->state == PK_SLA_BREACHED ? "breached" : NULL;
}

static void bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int load_by_id(struct pk_db *db, int64_t id, struct pk_ticket **out)
{
	char sql[1024];
	snprintf(sql, sizeof(sql), "SELECT %s FROM tickets t WHERE t.id = ?1", pk_ticket_columns);
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? pk_ticket_from_row(st, 0) : NULL;
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return PK_OK;
	return rc == SQLITE_DONE
		       ? pk_error_set(&db->err, PK_ENOTFOUND, _("no ticket %lld"), (long long)id)
		       : pk_db_fail(db, rc, "ticket");
}

/* Writes the derived columns of one ticket from its evaluated clocks. */
static int store_clocks(struct pk_db *db, int64_t id, const struct pk_sla *sp)
{
	const struct pk_sla s = *sp;
	int rc;
	int64_t rd = due_of(&s.response), vd = due_of(&s.resolve);
	int64_t sla_due = rd && (!vd || rd < vd) ? rd : vd;
	/* escalation looks again at the first warning or breach, past ones
	 * included: it fires each rule once, then moves on */
	int64_t next = pk_sla_next(db->cfg, &s, 0);
	sqlite3_stmt *st = pk_db_stmt(db, "UPDATE tickets SET response_due = ?2, resolve_due = ?3, "
					  "sla_due = ?4, sla_next = ?5, sla_response = ?6, "
					  "sla_resolve = ?7 WHERE id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		bind_time(st, 2, rd);
		bind_time(st, 3, vd);
		bind_time(st, 4, sla_due);
		bind_time(st, 5, next);
		sqlite3_bind_text(st, 6, outcome(&s.response), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, outcome(&s.resolve), -1, SQLITE_STATIC);
		int sq = sqlite3_step(st);
		sqlite3_reset(st);
		rc = sq == SQLITE_DONE ? PK_OK : pk_db_fail(db, sq, _("updating the SLA clock"));
	} else {
		rc = db->err.code;
	}
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The clocks of the tickets created in this transaction (id >= bulk_first),
 * in one pass over their rows.  `queued` (sorted, may be NULL) counts what
 * asked for each one's refresh: its creation asks once, and any change that
 * may move its clocks (a status change, a take) asks again, so a ticket
 * queued once, or one that a bulk import made (queued NULL), has no status
 * history to read.  Public comments on these tickets (comment_hook leaves
 * them to this) set their first response in one statement. */
static int refresh_created(struct pk_db *db, const int64_t *queued, int n)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "UPDATE tickets SET responded_at = c.first FROM (SELECT ticket_id, "
		    "min(created_at) AS first FROM comments WHERE ticket_id >= ?1 AND kind = "
		    "'public' GROUP BY ticket_id) AS c WHERE tickets.id = c.ticket_id AND "
		    "(tickets.responded_at IS NULL OR tickets.responded_at > c.first)");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, db->bulk_first);
	int sq = sqlite3_step(st);
	sqlite3_reset(st);
	if (sq != SQLITE_DONE)
		return pk_db_fail(db, sq, _("updating the SLA clock"));
	char *sql = pk_xasprintf("SELECT %s FROM tickets t WHERE t.id >= ?1 ORDER BY t.id",
				 pk_ticket_columns);
	int rc = pk_db_prepare_once(db, sql, &st);
	free(sql);
	if (rc != PK_OK)
		return rc;
	sqlite3_bind_int64(st, 1, db->bulk_first);
	int64_t now = pk_clock_now();
	int k = 0;
	while (rc == PK_OK && (sq = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_ticket *t = pk_ticket_from_row(st, 0);
		int asked = 0;
		for (; k < n && queued[k] <= t->id; k++)
			asked += queued[k] == t->id;
		struct pk_sla s;
		if (asked > 1) {
			rc = pk_sla_compute(db, t, now, &s);
		} else {
			struct pk_sla_mark m[2];
			pk_sla_evaluate(db->cfg, t, m, first_marks(db->cfg, t, m), now, &s);
		}
		if (rc == PK_OK)
			rc = store_clocks(db, t->id, &s);
		pk_sla_free(&s);
		pk_ticket_free(&t);
	}
	if (rc == PK_OK && sq != SQLITE_DONE)
		rc = pk_db_fail(db, sq, "tickets");
	sqlite3_finalize(st);
	return rc;
}

int pk_sla_defer_flush(struct pk_db *db)
{
	if (!db->sla_defer)
		return PK_OK;
	db->sla_defer = 0;
	int n = db->nsla_pending;
	db->nsla_pending = 0;
	if (n > 1)
		qsort(db->sla_pending, (size_t)n, sizeof(int64_t), cmp_id);
	int rc = PK_OK, i;
	for (i = 0; i < n && db->sla_pending[i] < db->bulk_first && rc == PK_OK; i++)
		if (i == 0 || db->sla_pending[i] != db->sla_pending[i - 1])
			rc = pk_sla_refresh(db, db->sla_pending[i]);
	if (rc == PK_OK && i < n)
		rc = refresh_created(db, db->sla_pending + i, n - i);
	return rc;
}

int pk_sla_refresh(struct pk_db *db, int64_t id)
{
	if (db->sla_defer) {
		if (db->nsla_pending == db->sla_pending_cap) {
			db->sla_pending_cap = db->sla_pending_cap ? db->sla_pending_cap * 2 : 256;
			db->sla_pending = pk_xrealloc(db->sla_pending, (size_t)db->sla_pending_cap *
									       sizeof(int64_t));
		}
		db->sla_pending[db->nsla_pending++] = id;
		return PK_OK;
	}
	struct pk_ticket *t;
	struct pk_sla s;
	int rc = load_by_id(db, id, &t);
	if (rc != PK_OK)
		return rc;
	if ((rc = pk_sla_compute(db, t, pk_clock_now(), &s)) == PK_OK) {
		rc = store_clocks(db, id, &s);
		pk_sla_free(&s);
	}
	pk_ticket_free(&t);
	return rc;
}

int pk_sla_responded(struct pk_db *db, int64_t id, int64_t at)
{
	sqlite3_stmt *st = pk_db_stmt(db, "UPDATE tickets SET responded_at = ?2 WHERE id = ?1 "
					  "AND (responded_at IS NULL OR responded_at > ?2)");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	int sq = sqlite3_step(st);
	sqlite3_reset(st);
	if (sq != SQLITE_DONE)
		return pk_db_fail(db, sq, _("updating the SLA clock"));
	return sqlite3_changes(db->h) ? pk_sla_refresh(db, id) : PK_OK;
}

int pk_sla_bulk_finish(struct pk_db *db)
{
	if (!db->sla_bulk)
		return PK_OK;
	db->sla_bulk = 0;
	return refresh_created(db, NULL, 0);
}

int pk_sla_stale(struct pk_db *db)
{
	char *v = NULL;
	if (pk_db_meta_get(db, "sla_digest", &v) != PK_OK)
		return 1;
	int stale = !pk_streq(v, pk_sla_config_digest(db->cfg));
	free(v);
	return stale;
}

/* Refreshes the clocks of the tickets `sql` selects (their ids). */
static int recompute(struct pk_db *db, const char *sql, long *n)
{
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	*n = 0;
	sqlite3_stmt *st;
	rc = pk_db_prepare_once(db, sql, &st);
	if (rc == PK_OK) {
		int sq;
		while (rc == PK_OK && (sq = sqlite3_step(st)) == SQLITE_ROW) {
			rc = pk_sla_refresh(db, sqlite3_column_int64(st, 0));
			(*n)++;
		}
		if (rc == PK_OK && sq != SQLITE_DONE)
			rc = pk_db_fail(db, sq, "tickets");
		sqlite3_finalize(st);
	}
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sla_digest", pk_sla_config_digest(db->cfg));
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}

int pk_sla_recompute(struct pk_db *db, long *n)
{
	/* every ticket not closed for good: the open ones, and the resolved
	 * ones whose outcome depends on the targets */
	return recompute(db, "SELECT id FROM tickets WHERE closed_at IS NULL", n);
}

int pk_sla_recompute_all(struct pk_db *db)
{
	long n;
	return recompute(db, "SELECT id FROM tickets", &n);
}
