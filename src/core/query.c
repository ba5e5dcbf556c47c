/* The query language: a hand-written lexer and a compiler to SQL with
 * bound parameters.  Every error names the offending token and its column. */
#include "picket/query.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/sla.h"
#include "picket/status.h"

struct token {
	int pos; /* 1-based column of the token */
	int negate;
	int quoted;  /* a "quoted phrase" */
	char *field; /* NULL for full text */
	char *value;
	int vpos; /* column of the value */
};

struct compiler {
	const struct pk_config *cfg;
	const char *user;
	int64_t now;
	struct pk_error *err;
	struct pk_buf where;
	struct pk_buf match;
	struct pk_buf order;
	int nterms;
	struct pk_qparam *params;
	int nparams, cap;
	int has_sort;
	int want_rank;
	int rank_pos; /* column of the sort:rank term */
};

static void add_param_text(struct compiler *c, const char *s)
{
	if (c->nparams == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->params = pk_xrealloc(c->params, (size_t)c->cap * sizeof(*c->params));
	}
	c->params[c->nparams++] = (struct pk_qparam){ .s = pk_xstrdup(s) };
}

static void add_param_int(struct compiler *c, int64_t v)
{
	if (c->nparams == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->params = pk_xrealloc(c->params, (size_t)c->cap * sizeof(*c->params));
	}
	c->params[c->nparams++] = (struct pk_qparam){ .is_int = 1, .i = v };
}

static int fail(struct compiler *c, int pos, const char *fmt, ...) PK_PRINTF(3, 4);

static int fail(struct compiler *c, int pos, const char *fmt, ...)
{
	if (c->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
		va_end(ap);
		c->err->code = PK_EQUERY;
		c->err->pos = pos;
	}
	return PK_EQUERY;
}

/* Starts one ANDed condition.  A negated one treats NULL as false, so
 * -assignee:bob keeps the unassigned tickets. */
static void cond_begin(struct compiler *c, int negate)
{
	if (c->nterms++)
		pk_buf_puts(&c->where, " AND ");
	pk_buf_puts(&c->where, negate ? "NOT coalesce((" : "(");
}

static void cond_end(struct compiler *c, int negate)
{
	pk_buf_puts(&c->where, negate ? "), 0)" : ")");
}

/* Splits a comparison operator off a value: "<=P2" -> "<=", "P2". */
static const char *split_op(const char *v, const char **rest)
{
	static const char *const ops[] = { "<=", ">=", "!=", "<", ">", "=" };
	for (size_t i = 0; i < PK_ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i]);
		if (strncmp(v, ops[i], n) == 0) {
			*rest = v + n;
			return strcmp(ops[i], "=") == 0 ? NULL : ops[i];
		}
	}
	*rest = v;
	return NULL;
}

typedef int (*item_fn)(struct compiler *c, const struct token *t, const char *item, int pos);

/* Emits "col IN (...)"-like alternatives for a comma list. */
static int each_item(struct compiler *c, const struct token *t, item_fn fn)
{
	char *copy = pk_xstrdup(t->value);
	int rc = PK_OK, n = 0, pos = t->vpos;
	char *p = copy;
	cond_begin(c, t->negate);
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p) {
			rc = fail(c, pos, _("empty value in '%s'"), t->value);
			break;
		}
		if (n++)
			pk_buf_puts(&c->where, " OR ");
		if ((rc = fn(c, t, p, pos)) != PK_OK)
			break;
		if (!comma)
			break;
		pos += (int)(comma - p) + 1;
		p = comma + 1;
	}
	cond_end(c, t->negate);
	free(copy);
	return rc;
}

/* Status names come from the validated configuration (lower-case letters,
 * digits, _), so they may be written into the SQL text: that is what lets
 * the planner use the partial index of open tickets. */
static void closed_list(struct compiler *c)
{
	const struct pk_workflow *wf = &c->cfg->wf;
	int n = 0;
	pk_buf_puts(&c->where, "(");
	for (int i = 0; i < wf->nstatus; i++)
		if (wf->closed[i])
			pk_buf_printf(&c->where, "%s'%s'", n++ ? ", " : "", wf->status[i]);
	if (!n)
		pk_buf_puts(&c->where, "NULL");
	pk_buf_puts(&c->where, ")");
}

static int status_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	if (strcmp(v, "open") == 0) {
		pk_buf_puts(&c->where, "t.status NOT IN ");
		closed_list(c);
	} else if (strcmp(v, "closed") == 0 && pk_wf_index(&c->cfg->wf, "closed") < 0) {
		pk_buf_puts(&c->where, "t.status IN ");
		closed_list(c);
	} else if (pk_wf_index(&c->cfg->wf, v) >= 0) {
		/* an open status also spells the open condition, so the partial
		 * index of open tickets serves the queue's status tabs */
		pk_buf_puts(&c->where, "t.status = ?");
		add_param_text(c, v);
		if (!pk_wf_is_closed(&c->cfg->wf, v)) {
			pk_buf_puts(&c->where, " AND t.status NOT IN ");
			closed_list(c);
		}
	} else {
		return fail(c, pos, _("unknown status '%s' (try status:open)"), v);
	}
	return PK_OK;
}

static int type_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	if (!pk_type_valid(v))
		return fail(c, pos, _("unknown type '%s' (incident, request, problem, change)"), v);
	pk_buf_puts(&c->where, "t.type = ?");
	add_param_text(c, v);
	return PK_OK;
}

static const char *column_of(const char *field)
{
	static const char *const map[][2] = {
		{ "assignee", "t.assignee" },
		{ "group", "t.group_name" },
		{ "requester", "t.requester" },
		{ "category", "t.category" },
		{ "service", "t.service" },
		{ "ci", "t.ci" },
		{ "vendor", "t.vendor" },
		{ "vendor_ref", "t.vendor_ref" },
		{ "ref", "t.ref" },
	};
	for (size_t i = 0; i < PK_ARRAY_LEN(map); i++)
		if (strcmp(map[i][0], field) == 0)
			return map[i][1];
	return NULL;
}

static int text_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	const char *col = column_of(t->field);
	size_t n = strlen(v);
	if (strcmp(v, "none") == 0 && strcmp(t->field, "ref") != 0) {
		pk_buf_printf(&c->where, "%s IS NULL", col);
	} else if (strcmp(t->field, "assignee") == 0 && strcmp(v, "me") == 0) {
		pk_buf_printf(&c->where, "%s = ?", col);
		add_param_text(c, c->user);
	} else if (n > 1 && v[n - 1] == '*') {
		struct pk_buf pat = { 0 };
		for (size_t i = 0; i + 1 < n; i++) {
			if (v[i] == '%' || v[i] == '_' || v[i] == '\\')
				pk_buf_putc(&pat, '\\');
			pk_buf_putc(&pat, v[i]);
		}
		pk_buf_putc(&pat, '%');
		pk_buf_printf(&c->where, "%s LIKE ? ESCAPE '\\'", col);
		add_param_text(c, pat.data);
		pk_buf_free(&pat);
	} else {
		pk_buf_printf(&c->where, "%s = ?", col);
		add_param_text(c, v);
	}
	(void)pos;
	return PK_OK;
}

/* priority, impact, urgency: "P2", "<=P2", ">1", "P1,P2". */
static int level_num_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	const char *rest;
	const char *op = split_op(v, &rest);
	int n = pk_priority_parse(rest);
	if (!n || (strcmp(t->field, "priority") != 0 && (*rest == 'P' || *rest == 'p')))
		return fail(c, pos,
			    strcmp(t->field, "priority") == 0
				    ? _("'%s' is not a priority (P1 to P4, optionally with <, <=, "
					">, >=)")
				    : _("'%s' is not a level from 1 to 4"),
			    v);
	pk_buf_printf(&c->where, "t.%s %s ?", t->field, op ? op : "=");
	add_param_int(c, n);
	return PK_OK;
}

static int class_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	const char *rest;
	const char *op = split_op(v, &rest);
	int rank = pk_class_rank(c->cfg, rest);
	if (rank < 0)
		return fail(c, pos, _("unknown classification level '%s'"), rest);
	int n = 0;
	pk_buf_puts(&c->where, "t.classification IN (");
	for (int i = 0; i < c->cfg->nlevels; i++) {
		int keep = !op			   ? i == rank
			   : strcmp(op, "<") == 0  ? i < rank
			   : strcmp(op, "<=") == 0 ? i <= rank
			   : strcmp(op, ">") == 0  ? i > rank
			   : strcmp(op, ">=") == 0 ? i >= rank
						   : i != rank;
		if (!keep)
			continue;
		pk_buf_printf(&c->where, "%s?", n++ ? ", " : "");
		add_param_text(c, c->cfg->levels[i]);
	}
	if (!n)
		pk_buf_puts(&c->where, "NULL");
	pk_buf_puts(&c->where, ")");
	return PK_OK;
}

/* Dates: 2026-03-01, 2026-03-01T09:00, today, yesterday, -7d (7 days ago),
 * with an optional comparison.  A bare day means that whole day. */
static int date_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	const char *rest;
	const char *op = split_op(v, &rest);
	int64_t when, span = 0, d;
	if (strcmp(rest, "today") == 0) {
		when = c->now - (c->now % 86400 + 86400) % 86400;
		span = 86400;
	} else if (strcmp(rest, "yesterday") == 0) {
		when = c->now - (c->now % 86400 + 86400) % 86400 - 86400;
		span = 86400;
	} else if (rest[0] == '-' && pk_duration_parse(rest + 1, &d) == 0) {
		when = c->now - d;
		if (!op)
			op = ">="; /* created:-7d = in the last 7 days */
	} else if (pk_time_parse(rest, &when) == 0) {
		if (strlen(rest) == 10)
			span = 86400;
	} else {
		return fail(c, pos,
			    _("'%s' is not a date (2026-03-01, today, -7d, with <, <=, >, >=)"), v);
	}
	char col[32];
	snprintf(col, sizeof(col), "t.%s_at", t->field);
	if (span && (!op || strcmp(op, "!=") == 0)) {
		pk_buf_printf(&c->where, op ? "NOT (%s >= ? AND %s < ?)" : "(%s >= ? AND %s < ?)",
			      col, col);
		add_param_int(c, when);
		add_param_int(c, when + span);
		return PK_OK;
	}
	if (!op)
		op = "=";
	/* "after a day" means after its end; "before or on" includes it */
	if (span && (strcmp(op, ">") == 0 || strcmp(op, "<=") == 0))
		when += span, op = strcmp(op, ">") == 0 ? ">=" : "<";
	pk_buf_printf(&c->where, "%s %s ?", col, op);
	add_param_int(c, when);
	return PK_OK;
}

/* sla:breached (a target passed), sla:<2h / sla:>1d (time left to the next
 * target), sla:paused, sla:running, sla:met and sla:missed (outcomes of
 * resolved tickets), sla:none (no clock counting). */
static int sla_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	(void)t;
	const char *rest;
	const char *op = split_op(v, &rest);
	int64_t d;
	if (!op && strcmp(v, "breached") == 0) {
		/* Spelt with ifnull() so the planner keeps to the open queue's
		 * index, which carries sla_due and is already in queue order: a
		 * page is read instead of every breached ticket sorted
		 * (tests/bench/RESULTS.md).  A ticket without a due time stays
		 * out of every comparison. */
		pk_buf_puts(&c->where, "(ifnull(t.sla_due, 9223372036854775807) < ? AND "
				       "t.status NOT IN ");
		closed_list(c);
		pk_buf_puts(&c->where, ")");
		add_param_int(c, c->now);
	} else if (op && strcmp(op, "!=") != 0 && strcmp(op, "=") != 0 &&
		   pk_duration_parse(rest, &d) == 0) {
		pk_buf_printf(&c->where, "(ifnull(t.sla_due, %s) %s ? AND t.status NOT IN ",
			      *op == '<' ? "9223372036854775807" : "-9223372036854775807", op);
		closed_list(c);
		pk_buf_puts(&c->where, ")");
		add_param_int(c, c->now + d);
	} else if (!op && (strcmp(v, "paused") == 0 || strcmp(v, "running") == 0)) {
		/* pause statuses come from the validated workflow, like closed_list */
		const struct pk_workflow *wf = &c->cfg->wf;
		int n = 0;
		pk_buf_printf(&c->where, "(t.status %sIN (", strcmp(v, "paused") ? "NOT " : "");
		for (int i = 0; i < wf->nstatus; i++)
			if (pk_sla_pauses(c->cfg, wf->status[i]))
				pk_buf_printf(&c->where, "%s'%s'", n++ ? ", " : "", wf->status[i]);
		if (!n)
			pk_buf_puts(&c->where, "NULL");
		pk_buf_puts(&c->where, ") AND t.status NOT IN ");
		closed_list(c);
		pk_buf_puts(&c->where, ")");
	} else if (!op && strcmp(v, "met") == 0) {
		pk_buf_puts(&c->where, "(t.sla_resolve = 'met' AND coalesce(t.sla_response, "
				       "'met') = 'met')");
	} else if (!op && strcmp(v, "missed") == 0) {
		pk_buf_puts(&c->where,
			    "(t.sla_resolve = 'breached' OR t.sla_response = 'breached')");
	} else if (!op && strcmp(v, "none") == 0) {
		pk_buf_puts(&c->where, "t.sla_due IS NULL");
	} else {
		return fail(c, pos,
			    _("'%s' is not an SLA condition (breached, <2h, >1d, paused, running, "
			      "met, missed, none)"),
			    v);
	}
	return PK_OK;
}

/* followup:overdue (past the vendor follow-up date, still open), or a date
 * like the other date fields. */
static int followup_item(struct compiler *c, const struct token *t, const char *v, int pos)
{
	if (strcmp(v, "overdue") == 0) {
		pk_buf_puts(&c->where, "(t.followup_at < ? AND t.status NOT IN ");
		closed_list(c);
		pk_buf_puts(&c->where, ")");
		add_param_int(c, c->now);
		return PK_OK;
	}
	return date_item(c, t, v, pos);
}

static void match_phrase(struct compiler *c, const char *column, const char *text, int prefix)
{
	if (c->match.len)
		pk_buf_puts(&c->match, " ");
	if (column)
		pk_buf_printf(&c->match, "%s : ", column);
	pk_buf_putc(&c->match, '"');
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			pk_buf_putc(&c->match, '"');
		pk_buf_putc(&c->match, *p);
	}
	pk_buf_putc(&c->match, '"');
	if (prefix)
		pk_buf_putc(&c->match, '*');
}

static int text_term(struct compiler *c, const struct token *t, const char *column)
{
	char *v = pk_xstrdup(t->value);
	size_t n = strlen(v);
	int prefix = !t->quoted && n > 1 && v[n - 1] == '*';
	if (prefix)
		v[--n] = '\0';
	int has_word = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (isalnum(*p) || *p >= 0x80)
			has_word = 1;
	if (!has_word) {
		free(v);
		return fail(c, t->vpos, _("'%s' has nothing to search for"), t->value);
	}
	if (t->negate) {
		struct pk_buf m = { 0 };
		struct pk_buf save = c->match;
		c->match = m;
		match_phrase(c, column, v, prefix);
		cond_begin(c, 0);
		pk_buf_puts(&c->where, "t.id NOT IN (SELECT rowid FROM ticket_fts WHERE "
				       "ticket_fts MATCH ?)");
		cond_end(c, 0);
		add_param_text(c, c->match.data);
		pk_buf_free(&c->match);
		c->match = save;
	} else {
		match_phrase(c, column, v, prefix);
	}
	free(v);
	return PK_OK;
}

static int sort_term(struct compiler *c, const struct token *t)
{
	static const char *const keys[][2] = {
		{ "priority", "t.priority" },
		{ "created", "t.created_at" },
		{ "updated", "t.updated_at" },
		{ "resolved", "t.resolved_at" },
		{ "closed", "t.closed_at" },
		{ "status", "t.status" },
		{ "type", "t.type" },
		{ "assignee", "t.assignee" },
		{ "group", "t.group_name" },
		{ "title", "t.title" },
		{ "ref", "t.id" },
		{ "id", "t.id" },
		{ "impact", "t.impact" },
		{ "urgency", "t.urgency" },
		{ "requester", "t.requester" },
		{ "sla", "t.sla_due" },
		{ "due", "t.sla_due" },
		{ "followup", "t.followup_at" },
	};
	char *copy = pk_xstrdup(t->value), *save = NULL;
	int rc = PK_OK, nkeys = 0;
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		nkeys++;
		int desc = *k == '-';
		if (*k == '-' || *k == '+')
			k++;
		if (strcmp(k, "rank") == 0 || strcmp(k, "relevance") == 0) {
			pk_buf_printf(&c->order, "%sticket_fts.rank", c->order.len ? ", " : "");
			c->want_rank = 1;
			c->rank_pos = t->pos;
			continue;
		}
		const char *col = NULL;
		for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++)
			if (strcmp(keys[i][0], k) == 0)
				col = keys[i][1];
		if (!col) {
			rc = fail(
				c, t->vpos + (int)(k - copy),
				_("cannot sort by '%s' (priority, created, updated, resolved, "
				  "closed, status, type, assignee, group, title, ref, id, "
				  "impact, urgency, requester, sla, followup, rank or relevance)"),
				k);
			break;
		}
		/* Priority sorts by importance: P1 is the highest, so "-priority"
		 * (most important first) is ascending P numbers. */
		if (strcmp(k, "priority") == 0 || strcmp(k, "impact") == 0 ||
		    strcmp(k, "urgency") == 0)
			desc = !desc;
		/* tickets without a due time come last either way */
		if (strcmp(col, "t.sla_due") == 0 || strcmp(col, "t.followup_at") == 0)
			pk_buf_printf(&c->order, "%s%s %s NULLS LAST", c->order.len ? ", " : "",
				      col, desc ? "DESC" : "ASC");
		else
			pk_buf_printf(&c->order, "%s%s %s", c->order.len ? ", " : "", col,
				      desc ? "DESC" : "ASC");
	}
	free(copy);
	if (rc == PK_OK && nkeys == 0)
		rc = fail(c, t->vpos, _("'%s' needs a field to sort by"), "sort:");
	c->has_sort = 1;
	return rc;
}

static int compile_term(struct compiler *c, const struct token *t)
{
	if (!t->field)
		return text_term(c, t, NULL);
	const char *f = t->field;
	if (!*t->value)
		return fail(c, t->pos, _("'%s:' needs a value"), f);
	if (strcmp(f, "sort") == 0) {
		if (t->negate)
			return fail(c, t->pos, _("'%s' cannot be negated"), "sort");
		return sort_term(c, t);
	}
	if (strcmp(f, "status") == 0)
		return each_item(c, t, status_item);
	if (strcmp(f, "type") == 0)
		return each_item(c, t, type_item);
	if (strcmp(f, "priority") == 0 || strcmp(f, "impact") == 0 || strcmp(f, "urgency") == 0)
		return each_item(c, t, level_num_item);
	if (strcmp(f, "classification") == 0 || strcmp(f, "class") == 0)
		return each_item(c, t, class_item);
	if (strcmp(f, "created") == 0 || strcmp(f, "updated") == 0 || strcmp(f, "resolved") == 0 ||
	    strcmp(f, "closed") == 0)
		return each_item(c, t, date_item);
	if (strcmp(f, "sla") == 0)
		return each_item(c, t, sla_item);
	if (strcmp(f, "followup") == 0)
		return each_item(c, t, followup_item);
	if (strcmp(f, "title") == 0 || strcmp(f, "description") == 0 || strcmp(f, "comments") == 0)
		return text_term(c, t, f);
	if (strcmp(f, "text") == 0)
		return text_term(c, t, NULL);
	if (column_of(f))
		return each_item(c, t, text_item);
	return fail(c, t->pos,
		    _("unknown field '%s' (status, type, priority, impact, urgency, assignee, "
		      "group, requester, category, service, ci, vendor, vendor_ref, ref, "
		      "classification or class, created, updated, resolved, closed, sla, followup, "
		      "title, description, comments, text, sort)"),
		    f);
}

/* Reads a "quoted string" at *p; returns NULL (error set) if unterminated. */
static char *read_quoted(struct compiler *c, const char *text, const char **p)
{
	const char *start = *p;
	struct pk_buf b = { 0 };
	(*p)++;
	while (**p && **p != '"') {
		if (**p == '\\' && ((*p)[1] == '"' || (*p)[1] == '\\'))
			(*p)++;
		pk_buf_putc(&b, **p);
		(*p)++;
	}
	if (**p != '"') {
		pk_buf_free(&b);
		fail(c, (int)(start - text) + 1, _("unterminated quote starting at %s"), start);
		return NULL;
	}
	(*p)++;
	return pk_buf_detach(&b);
}

int pk_query_compile(const struct pk_config *cfg, const char *user, int64_t now, const char *text,
		     int flags, struct pk_query **out, struct pk_error *err)
{
	struct compiler c = { .cfg = cfg, .user = user, .now = now, .err = err };
	const char *p = text ? text : "";
	int rc = PK_OK;
	*out = NULL;
	pk_error_clear(err);

	while (rc == PK_OK) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		struct token t = { .pos = (int)(p - (text ? text : "")) + 1 };
		if (*p == '-' && p[1] && !isspace((unsigned char)p[1])) {
			t.negate = 1;
			p++;
		}
		const char *q = p;
		while (isalpha((unsigned char)*q) || *q == '_')
			q++;
		if (q > p && *q == ':') {
			/* field names ignore case: Status:open is status:open */
			t.field = pk_xstrndup(p, (size_t)(q - p));
			for (char *f = t.field; *f; f++)
				*f = (char)tolower((unsigned char)*f);
			p = q + 1;
		}
		t.vpos = (int)(p - text) + 1;
		if (*p == '"') {
			t.quoted = 1;
			t.value = read_quoted(&c, text, &p);
			if (!t.value)
				rc = PK_EQUERY;
		} else {
			const char *s = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			t.value = pk_xstrndup(s, (size_t)(p - s));
		}
		if (rc == PK_OK)
			rc = compile_term(&c, &t);
		free(t.field);
		free(t.value);
	}

	if (rc != PK_OK) {
		for (int i = 0; i < c.nparams; i++)
			free(c.params[i].s);
		free(c.params);
		pk_buf_free(&c.where);
		pk_buf_free(&c.match);
		pk_buf_free(&c.order);
		return rc;
	}

	struct pk_query *qr = pk_xcalloc(1, sizeof(*qr));
	int fts = c.match.len > 0;
	if (c.want_rank && !fts) {
		pk_buf_free(&c.where);
		pk_buf_free(&c.match);
		pk_buf_free(&c.order);
		for (int i = 0; i < c.nparams; i++)
			free(c.params[i].s);
		free(c.params);
		free(qr);
		return fail(&c, c.rank_pos, _("%s needs words to search for"), "sort:rank");
	}
	if (fts) {
		qr->match = pk_buf_detach(&c.match);
		qr->sql_from = pk_xstrdup("ticket_fts JOIN tickets t ON t.id = ticket_fts.rowid");
		/* the MATCH parameter goes first */
		struct pk_buf w = { 0 };
		pk_buf_puts(&w, "ticket_fts MATCH ?");
		if (c.where.len)
			pk_buf_printf(&w, " AND %s", c.where.data);
		pk_buf_free(&c.where);
		c.where = w;
	} else {
		qr->sql_from = pk_xstrdup("tickets t");
	}
	if (!c.has_sort) {
		if (fts && (flags & PK_Q_RANK))
			pk_buf_puts(&c.order, "ticket_fts.rank");
		else if (fts)
			pk_buf_puts(&c.order, "ticket_fts.rowid DESC");
		else
			pk_buf_puts(&c.order, "t.priority ASC, t.id ASC");
	} else if (!c.want_rank) {
		pk_buf_puts(&c.order, fts ? ", ticket_fts.rowid ASC" : ", t.id ASC");
	}
	qr->sql_where = c.where.len ? pk_buf_detach(&c.where) : pk_xstrdup("1");
	qr->sql_order = pk_buf_detach(&c.order);
	qr->nparams = c.nparams;
	qr->params = c.params;
	*out = qr;
	return PK_OK;
}

void pk_query_free(struct pk_query **pq)
{
	struct pk_query *q = *pq;
	if (!q)
		return;
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i].s);
	free(q->params);
	free(q->sql_from);
	free(q->sql_where);
	free(q->sql_order);
	free(q->match);
	free(q);
	*pq = NULL;
}

int pk_query_bind(const struct pk_query *q, sqlite3_stmt *st, int idx)
{
	if (q->match)
		sqlite3_bind_text(st, idx++, q->match, -1, SQLITE_STATIC);
	for (int i = 0; i < q->nparams; i++, idx++) {
		if (q->params[i].is_int)
			sqlite3_bind_int64(st, idx, q->params[i].i);
		else
			sqlite3_bind_text(st, idx, q->params[i].s, -1, SQLITE_STATIC);
	}
	return idx;
}

char *pk_query_select(const struct pk_query *q, const char *columns)
{
	return pk_xasprintf("SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT ? OFFSET ?", columns,
			    q->sql_from, q->sql_where, q->sql_order);
}
