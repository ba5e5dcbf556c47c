/* Escalation rules: evaluation, actions, and the notification queue. */
#include "picket/escalate.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db_private.h"
#include "picket/clock.h"
#include "picket/db.h"
#include "picket/desk.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/policy.h"
#include "picket/query.h"
#include "picket/sla.h"
#include "picket/status.h"
#include "picket/ticket.h"

enum when { W_WARNING, W_BREACH, W_MATCH };
enum clock_sel { C_ANY, C_RESPONSE, C_RESOLVE };

#define MAX_ARGS 32

struct rule {
	char *name;
	int when, clock, threshold;
	int priority; /* -1 raise one level, 0 leave, 1..4 set */
	char *query, *group, *note, *notify;
	char *argv[MAX_ARGS + 1];
	struct pk_rule_info info;
};

struct pk_escalate_config {
	struct rule *r;
	int n;
	int timeout, retries, interval;
	char digest[17];
};

static const char *const when_names[] = { "warning", "breach", "match", NULL };
static const char *const clock_names[] = { "any", "response", "resolve", NULL };

static int name_index(const char *const *names, const char *v)
{
	for (int i = 0; names[i]; i++)
		if (strcasecmp(names[i], v) == 0)
			return i;
	return -1;
}

/* Splits a command line into words: spaces separate, "double quotes"
 * group; no shell is involved. */
static int split_command(const char *cmd, char **argv)
{
	int n = 0;
	const char *p = cmd;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == MAX_ARGS)
			return -1;
		struct pk_buf w = { 0 };
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				const char *end = strchr(p + 1, '"');
				if (!end) {
					pk_buf_free(&w);
					return -1;
				}
				pk_buf_add(&w, p + 1, (size_t)(end - p - 1));
				p = end + 1;
			} else {
				pk_buf_putc(&w, *p++);
			}
		}
		argv[n++] = w.data ? pk_buf_detach(&w) : pk_xstrdup("");
	}
	argv[n] = NULL;
	return n;
}

static void rule_free(struct rule *r)
{
	free(r->name);
	free(r->query);
	free(r->group);
	free(r->note);
	free(r->notify);
	for (int i = 0; r->argv[i]; i++)
		free(r->argv[i]);
}

void pk_escalate_config_free(struct pk_escalate_config **pec)
{
	struct pk_escalate_config *ec = *pec;
	if (!ec)
		return;
	for (int i = 0; i < ec->n; i++)
		rule_free(&ec->r[i]);
	free(ec->r);
	free(ec);
	*pec = NULL;
}

static int load_rule(struct pk_config *cfg, const char *section, struct rule *r,
		     struct pk_error *err, uint64_t *h)
{
	static const char *const known[] = { "when",  "clock", "threshold", "query", "priority",
					     "group", "note",  "notify",    NULL };
	int rc = pk_config_check_section(cfg, section, known, err);
	if (rc != PK_OK)
		return rc;
	char **keys;
	int nk = pk_config_section_keys(cfg, section, &keys);
	for (int i = 0; i < nk; i++) {
		pk_digest_add(h, keys[i]);
		pk_digest_add(h, pk_config_raw(cfg, section, keys[i]));
	}
	pk_config_free_names(keys, nk);
	r->name = pk_xstrdup(section + 9);
	const char *when = pk_config_raw(cfg, section, "when");
	if (!when || (r->when = name_index(when_names, when)) < 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.when: '%s' is not warning, breach or match"), section,
				    when ? when : "");
	const char *clock = pk_config_raw(cfg, section, "clock");
	if (clock && (r->clock = name_index(clock_names, clock)) < 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.clock: '%s' is not response, resolve or any"), section,
				    clock);
	const char *th = pk_config_raw(cfg, section, "threshold");
	if (th) {
		const int *levels;
		int nl = pk_sla_warn_levels(cfg, &levels), ok = 0;
		long long v;
		if (pk_parse_int(th, 1, 99, &v) == 0)
			for (int i = 0; i < nl; i++)
				ok |= levels[i] == v;
		if (!ok || r->when != W_WARNING)
			return pk_error_set(err, PK_ECONFIG,
					    _("%s.threshold: '%s' must be one of the sla.warn "
					      "thresholds, on a warning rule"),
					    section, th);
		r->threshold = (int)v;
	}
	r->query = pk_xstrdup(pk_config_raw(cfg, section, "query"));
	if (r->when == W_MATCH && (!r->query || !*r->query))
		return pk_error_set(err, PK_ECONFIG, _("%s: a match rule needs a query"), section);
	if (r->query) {
		struct pk_query *q = NULL;
		struct pk_error qerr = { 0 };
		if (pk_query_compile(cfg, "", 0, r->query, 0, &q, &qerr) != PK_OK)
			return pk_error_set(err, PK_ECONFIG, _("%s.query: %s"), section, qerr.msg);
		pk_query_free(&q);
	}
	const char *prio = pk_config_raw(cfg, section, "priority");
	if (prio) {
		r->priority = strcasecmp(prio, "raise") == 0 ? -1 : pk_priority_parse(prio);
		if (!r->priority)
			return pk_error_set(err, PK_ECONFIG,
					    _("%s.priority: '%s' is not raise or P1-P4"), section,
					    prio);
	}
	r->group = pk_xstrdup(pk_config_raw(cfg, section, "group"));
	r->note = pk_xstrdup(pk_config_raw(cfg, section, "note"));
	r->notify = pk_xstrdup(pk_config_raw(cfg, section, "notify"));
	if (r->notify && split_command(r->notify, r->argv) <= 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s.notify: '%s' is not a command (words, \"quoted\" words, "
				      "at most %d)"),
				    section, r->notify, MAX_ARGS);
	if (!r->priority && !r->group && !r->note && !r->notify)
		return pk_error_set(
			err, PK_ECONFIG,
			_("%s: a rule needs an action: priority, group, note or notify"), section);
	r->info = (struct pk_rule_info){
		r->name, when_names[r->when], clock_names[r->clock], r->query, prio, r->group,
		r->note, r->notify,	      r->threshold
	};
	return PK_OK;
}

int pk_escalate_config_load(struct pk_config *cfg, struct pk_error *err)
{
	struct pk_escalate_config *ec = pk_xcalloc(1, sizeof(*ec));
	pk_escalate_config_free(&cfg->escalate);
	cfg->escalate = ec;
	uint64_t h = PK_DIGEST_INIT;
	const char *ints[] = { "escalate.timeout", "escalate.retries", "escalate.interval" };
	int *outs[] = { &ec->timeout, &ec->retries, &ec->interval };
	for (int i = 0; i < 3; i++) {
		long long v;
		const char *s = pk_config_str(cfg, ints[i]);
		if (pk_parse_int(s, i == 0 ? 1 : 0, 86400, &v) != 0)
			return pk_error_set(err, PK_ECONFIG, _("%s: '%s' is out of range"), ints[i],
					    s);
		*outs[i] = (int)v;
	}
	char **secs;
	int nsec = pk_config_sections(cfg, "escalate.", &secs), rc = PK_OK;
	ec->r = pk_xcalloc(nsec ? (size_t)nsec : 1, sizeof(*ec->r));
	for (int i = 0; i < nsec && rc == PK_OK; i++) {
		pk_digest_add(&h, secs[i]);
		rc = load_rule(cfg, secs[i], &ec->r[ec->n++], err, &h);
	}
	pk_config_free_names(secs, nsec);
	snprintf(ec->digest, sizeof(ec->digest), "%016llx", (unsigned long long)h);
	return rc;
}

int pk_escalate_rules(const struct pk_config *cfg, struct pk_rule_info *out, int max)
{
	int n = 0;
	for (int i = 0; cfg->escalate && i < cfg->escalate->n && n < max; i++)
		out[n++] = cfg->escalate->r[i].info;
	return cfg->escalate ? cfg->escalate->n : 0;
}

int pk_escalate_interval(const struct pk_config *cfg)
{
	return cfg->escalate ? cfg->escalate->interval : 0;
}

/* The configured closed statuses as SQL literals (validated names). */
static void closed_sql(const struct pk_config *cfg, struct pk_buf *b)
{
	int n = 0;
	pk_buf_puts(b, "(");
	for (int i = 0; i < cfg->wf.nstatus; i++)
		if (cfg->wf.closed[i])
			pk_buf_printf(b, "%s'%s'", n++ ? ", " : "", cfg->wf.status[i]);
	if (!n)
		pk_buf_puts(b, "NULL");
	pk_buf_puts(b, ")");
}

/* 1 if ticket `id` matches the rule's query (or the rule has none). */
static int rule_matches(struct pk_db *db, const struct rule *r, int64_t id, int64_t now)
{
	if (!r->query)
		return 1;
	struct pk_query *q = NULL;
	if (pk_query_compile(db->cfg, db->user, now, r->query, 0, &q, &db->err) != PK_OK)
		return 0;
	char *sql =
		pk_xasprintf("SELECT 1 FROM %s WHERE (%s) AND t.id = ?", q->sql_from, q->sql_where);
	sqlite3_stmt *st = pk_db_stmt(db, sql);
	free(sql);
	int hit = 0;
	if (st) {
		int idx = pk_query_bind(q, st, 1);
		sqlite3_bind_int64(st, idx, id);
		hit = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	pk_query_free(&q);
	return hit;
}

/* Records the firing; 0 if it fired before (another run got there). */
static int claim_firing(struct pk_db *db, const struct rule *r, const char *uuid, const char *cond,
			int64_t now, int *fresh)
{
	sqlite3_stmt *st = pk_db_stmt(db, "INSERT OR IGNORE INTO escalations(rule, ticket_uuid, "
					  "condition, at) VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return db->err.code;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cond, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	int sq = sqlite3_step(st);
	sqlite3_reset(st);
	if (sq != SQLITE_DONE)
		return pk_db_fail(db, sq, "escalations");
	*fresh = sqlite3_changes(db->h) > 0;
	return PK_OK;
}

/* The rule's actions on the ticket, inside the caller's transaction. */
static int act(struct pk_db *db, const struct rule *r, const char *uuid, const char *cond,
	       int64_t now)
{
	struct pk_ticket *t = NULL;
	int rc = pk_ticket_get(db, uuid, &t);
	if (rc != PK_OK)
		return rc;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	int prio = r->priority == -1 ? (t->priority > 1 ? t->priority - 1 : 1) : r->priority;
	if (prio && prio < t->priority)
		pk_change_int(ch, "priority", prio);
	if (r->group && !pk_strcaseeq(r->group, t->group)) {
		pk_change_text(ch, "group", r->group);
		/* reassigned to the group: its members pick it up */
		if (t->assignee) {
			pk_change_null(ch, "assignee");
			if (strcmp(t->status, "assigned") == 0 &&
			    pk_wf_allowed(&db->cfg->wf, t->status, "new"))
				pk_change_text(ch, "status", "new");
		}
	}
	char *note = NULL;
	if (r->note || pk_change_is_set(ch, "priority") || pk_change_is_set(ch, "group"))
		note = pk_xasprintf(_("Escalation rule %s (%s)%s%s"), r->name, cond,
				    r->note ? ": " : "", r->note ? r->note : "");
	rc = pk_ticket_save(db, t, ch, note);
	free(note);
	pk_change_free(&ch);
	if (rc == PK_OK && r->notify) {
		sqlite3_stmt *st = pk_db_stmt(db, "INSERT INTO notifications(rule, ticket_uuid, "
						  "condition, command, created_at, next_at) "
						  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
		if (!st) {
			rc = db->err.code;
		} else {
			sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, t->uuid, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, cond, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, r->notify, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, now);
			int sq = sqlite3_step(st);
			sqlite3_reset(st);
			if (sq != SQLITE_DONE)
				rc = pk_db_fail(db, sq, "notifications");
		}
	}
	pk_ticket_free(&t);
	return rc;
}

static int fire(struct pk_db *db, const struct rule *r, const char *uuid, const char *cond,
		int64_t now, struct pk_escalate_stats *stats)
{
	int fresh = 0;
	int rc = claim_firing(db, r, uuid, cond, now, &fresh);
	if (rc != PK_OK || !fresh)
		return rc;
	if ((rc = act(db, r, uuid, cond, now)) == PK_OK)
		stats->fired++;
	return rc;
}

/* The SLA conditions of one ticket: per clock, the breach, or else the
 * highest warning threshold crossed.  Rules for them fire once each;
 * *fired counts this pass's firings. */
static int sla_pass(struct pk_db *db, const char *uuid, int64_t now,
		    struct pk_escalate_stats *stats, long *fired)
{
	const struct pk_escalate_config *ec = db->cfg->escalate;
	struct pk_ticket *t = NULL;
	struct pk_sla s;
	long before = stats->fired;
	int rc = pk_ticket_get(db, uuid, &t);
	if (rc != PK_OK)
		return rc;
	if ((rc = pk_sla_compute(db, t, now, &s)) != PK_OK) {
		pk_ticket_free(&t);
		return rc;
	}
	const int *levels;
	int nl = pk_sla_warn_levels(db->cfg, &levels);
	const struct pk_sla_clock *clocks[2] = { &s.response, &s.resolve };
	for (int k = 0; k < 2 && rc == PK_OK; k++) {
		const struct pk_sla_clock *c = clocks[k];
		if (c->state != PK_SLA_RUNNING && c->state != PK_SLA_PAUSED)
			continue;
		const char *cname = k == 0 ? "response" : "resolve";
		int64_t b = pk_sla_crossing(db->cfg, &s, c, 100);
		int breached = b && b < now, top = 0;
		for (int i = 0; i < nl; i++) {
			int64_t m = pk_sla_crossing(db->cfg, &s, c, levels[i]);
			if (m && m <= now)
				top = levels[i];
		}
		for (int i = 0; i < ec->n && rc == PK_OK; i++) {
			const struct rule *r = &ec->r[i];
			char cond[64];
			if (r->clock && r->clock != k + 1)
				continue;
			if (r->when == W_BREACH && breached)
				snprintf(cond, sizeof(cond), "breach:%s", cname);
			else if (r->when == W_WARNING && !breached && top &&
				 (!r->threshold || top >= r->threshold))
				snprintf(cond, sizeof(cond), "warning:%s:%d", cname,
					 r->threshold ? r->threshold : top);
			else
				continue;
			if (rule_matches(db, r, t->id, now))
				rc = fire(db, r, uuid, cond, now, stats);
		}
	}
	pk_sla_free(&s);
	pk_ticket_free(&t);
	*fired = stats->fired - before;
	return rc;
}

/* Stores when escalation must look at the ticket next: its first warning
 * or breach moment after now. */
static int store_next(struct pk_db *db, const char *uuid, int64_t now)
{
	struct pk_ticket *t = NULL;
	struct pk_sla s;
	int rc = pk_ticket_get(db, uuid, &t);
	if (rc == PK_OK && (rc = pk_sla_compute(db, t, now, &s)) == PK_OK) {
		int64_t next = pk_sla_next(db->cfg, &s, now);
		pk_sla_free(&s);
		sqlite3_stmt *st = pk_db_stmt(db, "UPDATE tickets SET sla_next = ?2 WHERE id = ?1");
		if (!st) {
			rc = db->err.code;
		} else {
			sqlite3_bind_int64(st, 1, t->id);
			if (next)
				sqlite3_bind_int64(st, 2, next);
			else
				sqlite3_bind_null(st, 2);
			int sq = sqlite3_step(st);
			sqlite3_reset(st);
			if (sq != SQLITE_DONE)
				rc = pk_db_fail(db, sq, "tickets");
		}
	}
	pk_ticket_free(&t);
	return rc;
}

/* One ticket in one transaction: its conditions, again while rules act
 * (a raised priority can put the ticket past a target at once), then when
 * to look next. */
static int sla_ticket(struct pk_db *db, const char *uuid, int64_t now,
		      struct pk_escalate_stats *stats)
{
	long fired = 1;
	int rc = pk_db_begin(db);
	if (rc != PK_OK)
		return rc;
	stats->examined++;
	for (int pass = 0; pass < 4 && fired && rc == PK_OK; pass++)
		rc = sla_pass(db, uuid, now, stats, &fired);
	if (rc == PK_OK)
		rc = store_next(db, uuid, now);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}

/* Reads the first column of a prepared and bound statement (uuids) into a
 * list, so each ticket is then handled in a short transaction of its own;
 * finalizes the statement. */
static int collect(struct pk_db *db, sqlite3_stmt *st, char ***out, long *n)
{
	*out = NULL;
	*n = 0;
	long cap = 0;
	int sq, rc = PK_OK;
	while ((sq = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = pk_xrealloc(*out, (size_t)cap * sizeof(**out));
		}
		(*out)[(*n)++] = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	if (sq != SQLITE_DONE)
		rc = pk_db_fail(db, sq, "tickets");
	sqlite3_finalize(st);
	return rc;
}

static void free_list(char **l, long n)
{
	for (long i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static int run_sla_rules(struct pk_db *db, int64_t now, int full, struct pk_escalate_stats *stats)
{
	const struct pk_escalate_config *ec = db->cfg->escalate;
	int any = 0;
	for (int i = 0; i < ec->n; i++)
		any |= ec->r[i].when != W_MATCH;
	if (!any)
		return PK_OK;
	char **uuids = NULL;
	long n = 0;
	struct pk_buf sql = { 0 };
	sqlite3_stmt *st;
	if (full) {
		/* the rules changed: every ticket whose clock still counts */
		pk_buf_puts(&sql, "SELECT uuid FROM tickets WHERE sla_next IS NOT NULL UNION "
				  "SELECT uuid FROM tickets WHERE sla_due IS NOT NULL AND status "
				  "NOT IN ");
		closed_sql(db->cfg, &sql);
	} else {
		pk_buf_puts(&sql, "SELECT uuid FROM tickets WHERE sla_next IS NOT NULL AND "
				  "sla_next <= ?1 ORDER BY sla_next");
	}
	int rc = pk_db_prepare_once(db, sql.data, &st);
	pk_buf_free(&sql);
	if (rc == PK_OK) {
		if (!full)
			sqlite3_bind_int64(st, 1, now);
		rc = collect(db, st, &uuids, &n);
	}
	for (long i = 0; i < n && rc == PK_OK; i++) {
		int trc = sla_ticket(db, uuids[i], now, stats);
		/* one ticket a rule cannot act on (above system-high, say) must
		 * not stop the others */
		if (trc == PK_ECLASS || trc == PK_EINVAL || trc == PK_ETRANSITION ||
		    trc == PK_ENOTFOUND) {
			/* not again on every run: from its next moment on */
			stats->errors++;
			if ((rc = pk_db_begin(db)) == PK_OK) {
				rc = store_next(db, uuids[i], now);
				if (rc == PK_OK)
					rc = pk_db_commit(db);
				else
					pk_db_rollback(db);
			}
			if (rc == PK_ENOTFOUND)
				rc = PK_OK;
		} else {
			rc = trc;
		}
	}
	free_list(uuids, n);
	return rc;
}

static int run_match_rules(struct pk_db *db, int64_t now, struct pk_escalate_stats *stats)
{
	const struct pk_escalate_config *ec = db->cfg->escalate;
	int rc = PK_OK;
	for (int i = 0; i < ec->n && rc == PK_OK; i++) {
		const struct rule *r = &ec->r[i];
		if (r->when != W_MATCH)
			continue;
		struct pk_query *q = NULL;
		if ((rc = pk_query_compile(db->cfg, db->user, now, r->query, 0, &q, &db->err)) !=
		    PK_OK)
			break;
		struct pk_buf sql = { 0 };
		pk_buf_printf(&sql, "SELECT t.uuid FROM %s WHERE (%s) AND t.status NOT IN ",
			      q->sql_from, q->sql_where);
		closed_sql(db->cfg, &sql);
		pk_buf_printf(&sql,
			      " AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.rule = "
			      "?%d AND e.ticket_uuid = t.uuid AND e.condition = 'match')",
			      q->nparams + (q->match ? 1 : 0) + 1);
		sqlite3_stmt *st;
		char **uuids = NULL;
		long n = 0;
		if ((rc = pk_db_prepare_once(db, sql.data, &st)) == PK_OK) {
			int idx = pk_query_bind(q, st, 1);
			sqlite3_bind_text(st, idx, r->name, -1, SQLITE_STATIC);
			rc = collect(db, st, &uuids, &n);
		}
		pk_buf_free(&sql);
		pk_query_free(&q);
		for (long k = 0; k < n && rc == PK_OK; k++) {
			stats->examined++;
			if ((rc = pk_db_begin(db)) != PK_OK)
				break;
			rc = fire(db, r, uuids[k], "match", now, stats);
			if (rc == PK_OK) {
				rc = pk_db_commit(db);
			} else {
				pk_db_rollback(db);
				if (rc == PK_ECLASS || rc == PK_EINVAL || rc == PK_ETRANSITION) {
					stats->errors++;
					rc = PK_OK;
				}
			}
		}
		free_list(uuids, n);
	}
	return rc;
}

/* Notifications ------------------------------------------------------ */

/* Runs argv with `input` on its standard input and the environment
 * additions, killing it (and its process group) after `timeout` seconds.
 * Returns 0 on exit status 0, else -1 with why in err. */
static int run_command(char *const *argv, char *const *env, const char *input, int timeout,
		       char *err, size_t errlen)
{
	int in[2];
	if (pipe(in) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], STDIN_FILENO);
		close(in[0]);
		close(in[1]);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			close(devnull);
		}
		for (int i = 0; env[i]; i++)
			putenv(env[i]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "picket: notify: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t len = strlen(input), off = 0;
	int status = 0, done = 0, wfd = in[1];
	/* 1 ms, doubling to 10 ms: a quick command is not held up */
	struct timespec nap = { 0, 1000 * 1000 };
	/* the wall clock, not PICKET_NOW: a fixed test clock must not stop
	 * the timeout */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (wfd >= 0 && off < len) {
			ssize_t w = write(wfd, input + off, len - off);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				off = len;
		}
		if (wfd >= 0 && off >= len) {
			close(wfd);
			wfd = -1;
		}
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			status = st;
			done = 1;
			break;
		}
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >=
		    (long)timeout * 1000)
			break;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 10 * 1000 * 1000)
			nap.tv_nsec *= 2;
	}
	if (wfd >= 0)
		close(wfd);
	signal(SIGPIPE, old);
	if (!done) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, _("timed out after %d s"), timeout);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errlen, _("exit status %d"), WEXITSTATUS(status));
	else
		snprintf(err, errlen, _("killed by signal %d"), WTERMSIG(status));
	return -1;
}

static int deliver_one(struct pk_db *db, int64_t id, int64_t now, struct pk_escalate_stats *stats,
		       void (*log)(const char *, void *), void *log_data)
{
	const struct pk_escalate_config *ec = db->cfg->escalate;
	/* claim it: one process delivers, the others skip it */
	sqlite3_stmt *st = pk_db_stmt(db, "UPDATE notifications SET claimed_until = ?2 WHERE id = "
					  "?1 AND state = 'pending' AND next_at <= ?3 AND "
					  "(claimed_until IS NULL OR claimed_until < ?3)");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now + ec->timeout + 60);
	sqlite3_bind_int64(st, 3, now);
	int sq = sqlite3_step(st);
	sqlite3_reset(st);
	if (sq != SQLITE_DONE)
		return pk_db_fail(db, sq, "notifications");
	if (!sqlite3_changes(db->h))
		return PK_OK;

	st = pk_db_stmt(db, "SELECT rule, ticket_uuid, condition, command, attempts FROM "
			    "notifications WHERE id = ?1");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return PK_OK;
	}
	char *rule = pk_xstrdup((const char *)sqlite3_column_text(st, 0));
	char *uuid = pk_xstrdup((const char *)sqlite3_column_text(st, 1));
	char *cond = pk_xstrdup((const char *)sqlite3_column_text(st, 2));
	char *command = pk_xstrdup((const char *)sqlite3_column_text(st, 3));
	int attempts = sqlite3_column_int(st, 4);
	sqlite3_reset(st);

	struct pk_ticket *t = NULL;
	char err[256] = "";
	int ok = -1;
	char *argv[MAX_ARGS + 1] = { NULL };
	if (pk_ticket_get(db, uuid, &t) != PK_OK) {
		snprintf(err, sizeof(err), _("the ticket is gone"));
	} else if (split_command(command, argv) <= 0) {
		snprintf(err, sizeof(err), _("not a command"));
	} else {
		json_t *o = pk_ticket_to_json(t);
		char *json = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		struct pk_duty duty = { 0 };
		const char *oncall = "";
		if (t->group && pk_oncall(db, t->group, now, &duty) == PK_OK)
			oncall = duty.person;
		char prio[8];
		snprintf(prio, sizeof(prio), "P%d", t->priority);
		char *env[] = {
			pk_xasprintf("PICKET_RULE=%s", rule),
			pk_xasprintf("PICKET_CONDITION=%s", cond),
			pk_xasprintf("PICKET_REF=%s", t->ref),
			pk_xasprintf("PICKET_UUID=%s", t->uuid),
			pk_xasprintf("PICKET_PRIORITY=%s", prio),
			pk_xasprintf("PICKET_STATUS=%s", t->status),
			pk_xasprintf("PICKET_GROUP=%s", t->group ? t->group : ""),
			pk_xasprintf("PICKET_ASSIGNEE=%s", t->assignee ? t->assignee : ""),
			pk_xasprintf("PICKET_ONCALL=%s", oncall ? oncall : ""),
			pk_xasprintf("PICKET_DB=%s", db->path ? db->path : ""),
			NULL,
		};
		ok = run_command(argv, env, json ? json : "{}", ec->timeout, err, sizeof(err));
		for (int i = 0; env[i]; i++)
			free(env[i]);
		free(json);
		pk_duty_clear(&duty);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	attempts++;
	const char *state = "sent";
	int64_t next = now;
	if (ok != 0) {
		state = attempts > ec->retries ? "failed" : "pending";
		int64_t backoff = 60LL << (attempts < 6 ? attempts - 1 : 5);
		next = now + backoff;
		if (*state == 'f')
			stats->abandoned++;
		else
			stats->failed++;
		if (log) {
			char *msg =
				pk_xasprintf(*state == 'f' ? _("notify %s for %s (%s) failed: %s; "
							       "giving up after %d attempts")
							   : _("notify %s for %s (%s) failed: %s; "
							       "retrying (attempt %d)"),
					     rule, t ? t->ref : uuid, cond, err, attempts);
			log(msg, log_data);
			free(msg);
		}
	} else {
		stats->notified++;
	}
	st = pk_db_stmt(db, "UPDATE notifications SET state = ?2, attempts = ?3, next_at = ?4, "
			    "claimed_until = NULL, last_error = ?5 WHERE id = ?1");
	int rc = PK_OK;
	if (!st) {
		rc = db->err.code;
	} else {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, attempts);
		sqlite3_bind_int64(st, 4, next);
		if (ok != 0)
			sqlite3_bind_text(st, 5, err, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 5);
		sq = sqlite3_step(st);
		sqlite3_reset(st);
		if (sq != SQLITE_DONE)
			rc = pk_db_fail(db, sq, "notifications");
	}
	pk_ticket_free(&t);
	free(rule);
	free(uuid);
	free(cond);
	free(command);
	return rc;
}

static int deliver(struct pk_db *db, int64_t now, struct pk_escalate_stats *stats,
		   void (*log)(const char *, void *), void *log_data)
{
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(db,
				    "SELECT id FROM notifications WHERE state = 'pending' AND "
				    "next_at <= ?1 ORDER BY id",
				    &st);
	if (rc != PK_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	int64_t *ids = NULL;
	long n = 0, cap = 0;
	int sq;
	while ((sq = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = pk_xrealloc(ids, (size_t)cap * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (sq != SQLITE_DONE)
		rc = pk_db_fail(db, sq, "notifications");
	for (long i = 0; i < n && rc == PK_OK; i++)
		rc = deliver_one(db, ids[i], now, stats, log, log_data);
	free(ids);
	return rc;
}

int pk_escalate_run(struct pk_db *db, struct pk_escalate_stats *stats,
		    void (*log)(const char *msg, void *data), void *log_data)
{
	memset(stats, 0, sizeof(*stats));
	int64_t now = pk_clock_now();
	int rc;
	if (pk_sla_stale(db)) {
		if ((rc = pk_sla_recompute(db, &stats->recomputed)) != PK_OK)
			return rc;
	}
	char *seen = NULL;
	if ((rc = pk_db_meta_get(db, "escalate_digest", &seen)) != PK_OK && rc != PK_ENOTFOUND)
		return rc;
	int full = !pk_streq(seen, db->cfg->escalate->digest);
	free(seen);
	if ((rc = run_sla_rules(db, now, full, stats)) != PK_OK ||
	    (rc = run_match_rules(db, now, stats)) != PK_OK)
		return rc;
	if (full &&
	    (rc = pk_db_meta_set(db, "escalate_digest", db->cfg->escalate->digest)) != PK_OK)
		return rc;
	return deliver(db, now, stats, log, log_data);
}

int pk_notification_list(struct pk_db *db, pk_notification_cb cb, void *data)
{
	sqlite3_stmt *st = pk_db_stmt(
		db, "SELECT n.id, n.rule, coalesce(t.ref, n.ticket_uuid), n.condition, n.state, "
		    "n.last_error, n.attempts, n.created_at, n.next_at FROM notifications n LEFT "
		    "JOIN tickets t ON t.uuid = n.ticket_uuid ORDER BY n.id DESC LIMIT 100");
	if (!st)
		return db->err.code;
	int sq, rc = PK_OK;
	while (rc == PK_OK && (sq = sqlite3_step(st)) == SQLITE_ROW) {
		struct pk_notification n = {
			.id = sqlite3_column_int64(st, 0),
			.rule = (const char *)sqlite3_column_text(st, 1),
			.ticket_ref = (const char *)sqlite3_column_text(st, 2),
			.condition = (const char *)sqlite3_column_text(st, 3),
			.state = (const char *)sqlite3_column_text(st, 4),
			.last_error = (const char *)sqlite3_column_text(st, 5),
			.attempts = sqlite3_column_int(st, 6),
			.created_at = sqlite3_column_int64(st, 7),
			.next_at = sqlite3_column_int64(st, 8),
		};
		rc = cb(&n, data);
	}
	sqlite3_reset(st);
	if (rc == PK_OK && sq != SQLITE_DONE && sq != SQLITE_ROW)
		rc = pk_db_fail(db, sq, "notifications");
	return rc;
}
