/* One ticket: its fields, the description and one timeline of comments and
 * history, scrolled as a whole; the desk's actions on single keys, each
 * through the engine, each read against the ticket as stored. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "picket/clock.h"
#include "picket/desk.h"
#include "picket/sla.h"
#include "picket/i18n.h"
#include "picket/oplog.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui.h"

/* History values longer than this (descriptions, resolutions) are cut. */
#define HISTORY_VALUE_MAX 60
/* A field column narrower than its label plus this shows one field a line. */
#define FIELD_VALUE_MIN 20
/* Name completion asks the database for at most this many names. */
#define COMPLETE_MAX 50

/* What the view shows, built when the data is loaded and laid out into
 * lines when drawn, for the width of the moment. */
enum item_kind {
	ITEM_FIELD, /* a label and a one-line value; two a line when they fit */
	ITEM_WIDE,  /* a label and a one-line value on a line of its own */
	ITEM_TEXT,  /* word-wrapped text */
};

struct item {
	enum item_kind kind;
	const char *label; /* translated; static */
	char *text;	   /* owned */
	enum tui_color color;
	int indent;
};

/* One or two items side by side, and the lines they take. */
struct block {
	int a, b; /* item indexes; b is -1 when a is alone */
	int lines;
};

struct ticket_view {
	char *uuid;
	struct pk_ticket *t;
	struct item *items;
	int nitems;
	struct block *blocks; /* the layout for layout_cols */
	int nblocks, layout_cols, label_width, wide_label_width, two_columns;
	int total;		/* lines of the layout */
	int scroll;		/* first line on screen */
	int page;		/* body rows at the last draw */
	char *draft;		/* text the engine refused, offered again next time */
	const char *draft_kind; /* what the draft was for: "public", "resolution" */
};

static void items_free(struct ticket_view *s)
{
	for (int i = 0; i < s->nitems; i++)
		free(s->items[i].text);
	free(s->items);
	s->items = NULL;
	s->nitems = 0;
	free(s->blocks);
	s->blocks = NULL;
	s->nblocks = 0;
	s->layout_cols = 0;
}

/* Adds an item; takes ownership of `text`. */
static void add(struct ticket_view *s, enum item_kind kind, const char *label, char *text,
		enum tui_color color, int indent)
{
	s->items = pk_xrealloc(s->items, (size_t)(s->nitems + 1) * sizeof(*s->items));
	s->items[s->nitems++] = (struct item){ kind, label, text, color, indent };
}

static void add_field(struct ticket_view *s, const char *label, const char *value)
{
	add(s, ITEM_FIELD, label, pk_xstrdup(value && *value ? value : "-"), TUI_C_NORMAL, 0);
}

static void add_time(struct ticket_view *s, const char *label, int64_t at)
{
	char when[32];
	add_field(s, label, at ? pk_time_format(at, when, sizeof(when)) : NULL);
}

static void add_text(struct ticket_view *s, char *text, enum tui_color color, int indent)
{
	add(s, ITEM_TEXT, NULL, text, color, indent);
}

/* One SLA clock as it stands: "due 2026-03-01T13:00:00Z (in 3h)",
 * "breached 45m ago", "paused, 1h left", "met". */
static void add_clock(struct ticket_view *s, const struct pk_config *cfg, const struct pk_sla *sla,
		      const char *label, const struct pk_sla_clock *c)
{
	char when[32], age[16], left[16];
	int64_t now = sla->now;
	enum tui_color color = TUI_C_NORMAL;
	char *text = NULL;
	if (c->state == PK_SLA_NONE)
		return;
	pk_age_format(c->target - c->elapsed, left, sizeof(left));
	if (c->state == PK_SLA_MET || c->state == PK_SLA_BREACHED) {
		text = pk_xasprintf(_("%s at %s"), pk_sla_state_name(c->state),
				    pk_time_format(c->stopped, when, sizeof(when)));
		color = c->state == PK_SLA_BREACHED ? TUI_C_BREACH : TUI_C_NORMAL;
	} else if (c->breached_at) {
		pk_age_format(now - c->breached_at, age, sizeof(age));
		text = pk_xasprintf(c->state == PK_SLA_PAUSED ? _("breached %s ago, paused")
							      : _("breached %s ago"),
				    age);
		color = TUI_C_BREACH;
	} else if (c->state == PK_SLA_PAUSED) {
		text = pk_xasprintf(_("paused, %s left"), left);
	} else {
		pk_age_format(c->due - now, age, sizeof(age));
		text = pk_xasprintf(_("due %s (in %s)"), pk_time_format(c->due, when, sizeof(when)),
				    age);
		const int *levels;
		int nl = pk_sla_warn_levels(cfg, &levels);
		int64_t w = nl ? pk_sla_crossing(cfg, sla, c, levels[0]) : 0;
		if (w && w <= now)
			color = TUI_C_WARN;
	}
	add(s, ITEM_WIDE, label, text, color, 0);
}

/* A history value on one line: the first line, cut at a character
 * boundary; *cut says whether anything was left out. */
static char *short_value(const char *v, int *cut)
{
	if (!v)
		return pk_xstrdup("-");
	size_t n = strcspn(v, "\r\n");
	int more = v[n] != '\0';
	if (n > HISTORY_VALUE_MAX) {
		n = HISTORY_VALUE_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
		more = 1;
	}
	*cut |= more;
	char *head = pk_xstrndup(v, n);
	char *out = pk_xasprintf("%s%s", head, more ? "..." : "");
	free(head);
	return out;
}

static void add_history(struct ticket_view *s, const struct pk_history *h)
{
	char when[32];
	char *text;
	pk_time_format(h->at, when, sizeof(when));
	const char *actor = h->actor ? h->actor : "-";
	const char *value = h->new_value ? h->new_value : "-";
	if (strcmp(h->field, "created") == 0) {
		text = pk_xasprintf(_("%s  %s  created %s"), when, actor, value);
	} else if (strcmp(h->field, "comment") == 0) {
		text = pk_xasprintf(_("%s  %s  added comment %s"), when, actor, value);
	} else {
		int cut = 0;
		char *old = short_value(h->old_value, &cut), *new = short_value(h->new_value, &cut);
		/* two long texts cut short would look alike: the screen shows the new one */
		if (cut && h->old_value && h->new_value)
			text = pk_xasprintf(_("%s  %s  %s: edited"), when, actor, h->field);
		else
			text = pk_xasprintf("%s  %s  %s: %s -> %s", when, actor, h->field, old,
					    new);
		free(old);
		free(new);
	}
	add_text(s, text, TUI_C_HISTORY, 0);
}

static void add_comment(struct ticket_view *s, const struct pk_comment *c)
{
	char when[32];
	enum tui_color color = TUI_C_COMMENT_PUBLIC;
	char *head;
	pk_time_format(c->created_at, when, sizeof(when));
	const char *author = c->author ? c->author : "-";
	if (strcmp(c->kind, "worklog") == 0) {
		color = TUI_C_WORKLOG;
		head = pk_xasprintf(_("%s  %s  worklog %d min"), when, author, c->minutes);
	} else if (strcmp(c->kind, "internal") == 0) {
		color = TUI_C_COMMENT_INTERNAL;
		head = pk_xasprintf(_("%s  %s  internal note"), when, author);
	} else {
		head = pk_xasprintf(_("%s  %s  comment"), when, author);
	}
	add_text(s, head, color, 0);
	add_text(s, pk_xstrdup(c->body), color, 4);
}

/* Fields two people changed at once, while nobody has chosen: every value
 * with who set it, the one the ticket holds first. */
static void add_conflicts(struct tui *t, struct ticket_view *s)
{
	struct pk_conflict *cs;
	size_t n;
	if (pk_conflicts_list(tui_db(t), s->t->uuid, &cs, &n) != PK_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		add_text(s, pk_xstrdup(""), TUI_C_NORMAL, 0);
		add_text(s,
			 pk_xasprintf(_("Conflict on %s: keep one with :resolve-conflict %s N"),
				      cs[i].field, cs[i].field),
			 TUI_C_BREACH, 0);
		for (size_t k = 0; k < cs[i].nvalues; k++) {
			const struct pk_conflict_value *v = &cs[i].values[k];
			char when[32];
			char *text = pk_conflict_value_text(v->value);
			add_text(s,
				 pk_xasprintf(_("%zu) %s  set by %s@%s %s%s"), k + 1, text,
					      v->actor, v->origin,
					      pk_time_format(v->at, when, sizeof(when)),
					      v->winner ? _("  (current)") : ""),
				 v->winner ? TUI_C_NORMAL : TUI_C_WARN, 2);
			free(text);
		}
	}
	pk_conflicts_free(cs, n);
}

static void build(struct tui *t, struct ticket_view *s, const struct pk_timeline *tl)
{
	const struct pk_config *cfg = tui_cfg(t);
	const struct pk_ticket *tk = s->t;
	char buf[128];

	items_free(s);
	add_text(s, pk_xasprintf("%s  %s", tk->ref, tk->title ? tk->title : ""), TUI_C_HEADER, 0);
	/* in pairs: the left and right columns of a wide screen */
	add_field(s, _("Type"), tk->type);
	add_field(s, _("Status"), tk->status);
	snprintf(buf, sizeof(buf), _("P%d (impact %d, urgency %d)"), tk->priority, tk->impact,
		 tk->urgency);
	add_field(s, _("Priority"), buf);
	s->items[s->nitems - 1].color = tui_priority_color(tk->priority);
	add_field(s, _("Classification"), tk->classification);
	add_field(s, _("Assignee"), tk->assignee);
	add_field(s, _("Group"), tk->group);
	add_field(s, _("Requester"), tk->requester);
	add_field(s, _("Category"), tk->category);
	add_field(s, _("Service"), tk->service);
	add_field(s, _("CI"), tk->ci);
	if (tk->vendor || tk->vendor_ref) {
		add_field(s, _("Vendor"), tk->vendor);
		add_field(s, _("Vendor ref"), tk->vendor_ref);
	}
	add_time(s, _("Created"), tk->created_at);
	add_time(s, _("Updated"), tk->updated_at);
	if (tk->resolved_at || tk->closed_at) {
		add_time(s, _("Resolved"), tk->resolved_at);
		add_time(s, _("Closed"), tk->closed_at);
	}
	if (tk->followup_at)
		add_time(s, _("Follow up"), tk->followup_at);
	struct pk_sla sla;
	if (pk_sla_compute(tui_db(t), tk, pk_clock_now(), &sla) == PK_OK) {
		add_clock(s, cfg, &sla, _("Response"), &sla.response);
		add_clock(s, cfg, &sla, _("Resolution"), &sla.resolve);
		pk_sla_free(&sla);
	}
	add_conflicts(t, s);

	add_text(s, pk_xstrdup(""), TUI_C_NORMAL, 0);
	add_text(s, pk_xstrdup(_("Description")), TUI_C_LABEL, 0);
	if (tk->description && *tk->description)
		add_text(s, pk_xstrdup(tk->description), TUI_C_NORMAL, 2);
	else
		add_text(s, pk_xstrdup(_("(none)")), TUI_C_HINT, 2);
	if (tk->resolution && *tk->resolution) {
		add_text(s, pk_xstrdup(""), TUI_C_NORMAL, 0);
		add_text(s, pk_xstrdup(_("Resolution")), TUI_C_LABEL, 0);
		add_text(s, pk_xstrdup(tk->resolution), TUI_C_NORMAL, 2);
	}
	add_text(s, pk_xstrdup(""), TUI_C_NORMAL, 0);
	add_text(s, pk_xstrdup(_("Timeline")), TUI_C_LABEL, 0);
	for (size_t i = 0; i < tl->n; i++) {
		if (tl->entries[i].comment)
			add_comment(s, tl->entries[i].comment);
		else
			add_history(s, tl->entries[i].history);
	}
}

/* Reads the ticket and its timeline afresh. */
static int load(struct tui *t, struct ticket_view *s)
{
	struct pk_db *db = tui_db(t);
	struct pk_ticket *tk;
	struct pk_timeline tl;
	int rc = pk_ticket_get(db, s->uuid, &tk);
	if (rc != PK_OK)
		return rc;
	if ((rc = pk_timeline_load(db, tk, &tl)) != PK_OK) {
		pk_ticket_free(&tk);
		return rc;
	}
	pk_ticket_free(&s->t);
	s->t = tk;
	build(t, s, &tl);
	pk_timeline_free(&tl);
	return PK_OK;
}

/* Lays the items out for `cols` columns; cached until the width or the
 * data change. */
static void layout(struct tui *t, struct ticket_view *s, int cols)
{
	if (s->layout_cols == cols && s->blocks)
		return;
	free(s->blocks);
	s->blocks = pk_xcalloc((size_t)(s->nitems ? s->nitems : 1), sizeof(*s->blocks));
	s->nblocks = 0;
	/* fields side by side set the label column; a wide one may be longer */
	s->label_width = s->wide_label_width = 0;
	for (int i = 0; i < s->nitems; i++) {
		const struct item *it = &s->items[i];
		int w = it->label ? pk_text_width(it->label) + 1 : 0;
		if (it->kind == ITEM_FIELD && w > s->label_width)
			s->label_width = w;
		if (w > s->wide_label_width)
			s->wide_label_width = w;
	}
	s->two_columns = cols / 2 >= s->label_width + FIELD_VALUE_MIN;
	s->total = 0;
	for (int i = 0; i < s->nitems; i++) {
		const struct item *it = &s->items[i];
		struct block *b = &s->blocks[s->nblocks++];
		b->a = i;
		b->b = -1;
		b->lines = 1;
		if (it->kind == ITEM_TEXT)
			b->lines = tui_wrap(t, 0, 0, cols - it->indent, 0, 0, it->text, it->color);
		else if (it->kind == ITEM_FIELD && s->two_columns && i + 1 < s->nitems &&
			 s->items[i + 1].kind == ITEM_FIELD)
			b->b = ++i;
		s->total += b->lines;
	}
	s->layout_cols = cols;
}

static void draw_field(struct tui *t, struct ticket_view *s, const struct item *it, int y, int x,
		       int width)
{
	int lw = it->kind == ITEM_WIDE || !s->two_columns ? s->wide_label_width : s->label_width;
	if (lw > width)
		lw = width;
	tui_text(t, y, x, lw, it->label, TUI_C_LABEL);
	tui_text(t, y, x + lw, width - lw, it->text, it->color);
}

static int max_scroll(const struct ticket_view *s)
{
	return s->total > s->page ? s->total - s->page : 0;
}

static void ticket_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct ticket_view *s = state;
	layout(t, s, cols);
	s->page = rows > 0 ? rows : 1;
	if (s->scroll > max_scroll(s))
		s->scroll = max_scroll(s);
	if (s->scroll < 0)
		s->scroll = 0;
	int line = 0, y = top;
	for (int i = 0; i < s->nblocks && y < top + rows; i++) {
		const struct block *b = &s->blocks[i];
		if (line + b->lines <= s->scroll) {
			line += b->lines;
			continue;
		}
		const struct item *it = &s->items[b->a];
		int skip = s->scroll > line ? s->scroll - line : 0;
		int left = top + rows - y;
		if (it->kind == ITEM_TEXT) {
			tui_wrap(t, y, it->indent, cols - it->indent, skip, left, it->text,
				 it->color);
			y += b->lines - skip < left ? b->lines - skip : left;
		} else if (b->b >= 0) {
			draw_field(t, s, it, y, 0, cols / 2 - 1);
			draw_field(t, s, &s->items[b->b], y, cols / 2, cols - cols / 2);
			y++;
		} else {
			draw_field(t, s, it, y, 0,
				   it->kind == ITEM_FIELD && s->two_columns ? cols / 2 - 1 : cols);
			y++;
		}
		line += b->lines;
	}
}

static int ticket_open(struct tui *t, void *state, const char *arg)
{
	struct ticket_view *s = state;
	if (!arg || !*arg) {
		tui_message(t, 1, "%s", _("no ticket to show"));
		return PK_EUSAGE;
	}
	s->uuid = pk_xstrdup(arg);
	int rc = load(t, s);
	if (rc != PK_OK)
		return tui_fail(t, rc);
	/* the view keeps the uuid even when opened by ref */
	free(s->uuid);
	s->uuid = pk_xstrdup(s->t->uuid);
	return PK_OK;
}

static void ticket_close(struct tui *t, void *state)
{
	struct ticket_view *s = state;
	items_free(s);
	pk_ticket_free(&s->t);
	free(s->uuid);
	free(s->draft);
}

static void ticket_reload(struct tui *t, void *state)
{
	struct ticket_view *s = state;
	/* scrolled down to the end, the reader follows what comes in */
	int follow = s->scroll > 0 && s->scroll >= max_scroll(s);
	int rc = load(t, s);
	if (rc != PK_OK)
		tui_fail(t, rc); /* keep showing what was there */
	else if (follow)
		s->scroll = INT_MAX;
}

static int ticket_level(struct tui *t, void *state)
{
	struct ticket_view *s = state;
	return s->t ? pk_class_rank(tui_cfg(t), s->t->classification) : -1;
}

static const struct pk_ticket *ticket_current(struct tui *t, void *state)
{
	return ((struct ticket_view *)state)->t;
}

/* ---- actions ---- */

/* The ticket as stored now: the view's copy may be stale, and it is
 * replaced when tui_changed() reloads the view. */
static struct pk_ticket *fresh(struct tui *t, struct ticket_view *s)
{
	struct pk_ticket *tk;
	int rc = pk_ticket_get(tui_db(t), s->uuid, &tk);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		return NULL;
	}
	return tk;
}

/* Saves a change and says how it went; `done` is a translated phrase. */
static int save(struct tui *t, const struct pk_ticket *tk, struct pk_change *ch, const char *note,
		const char *done)
{
	int rc = pk_ticket_save(tui_db(t), tk, ch, note);
	if (rc != PK_OK)
		return tui_fail(t, rc);
	if (pk_change_count(ch) == 0 && !(note && *note))
		tui_message(t, 0, _("%s: nothing to change"), tk->ref);
	else
		/* TRANSLATORS: a ticket ref, then what happened to it */
		tui_message(t, 0, _("%s: %s"), tk->ref, done);
	tui_changed(t);
	return PK_OK;
}

/* Before asking for text the engine would refuse anyway (a ticket above
 * the ceiling, a move the workflow forbids), let the engine say why: the
 * save fails its checks and writes nothing.  Returns 1 when refused. */
static int refused(struct tui *t, const struct pk_ticket *tk, const char *to)
{
	const struct pk_config *cfg = tui_cfg(t);
	int above = pk_class_rank(cfg, tk->classification) > cfg->system_high;
	int blocked = to && strcmp(tk->status, to) != 0 && !pk_wf_allowed(&cfg->wf, tk->status, to);
	if (!above && !blocked)
		return 0;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, tk->uuid);
	if (blocked)
		pk_change_text(ch, "status", to);
	int rc = pk_ticket_save(tui_db(t), tk, ch, NULL);
	pk_change_free(&ch);
	if (rc == PK_OK) {
		tui_changed(t); /* the stored ticket had moved on meanwhile */
		return 0;
	}
	tui_fail(t, rc);
	return 1;
}

/* Long text of a `kind`, offering again what the engine refused last time. */
static int edit_text(struct tui *t, struct ticket_view *s, const char *kind, const char *what,
		     const char *initial, char **out)
{
	int same = s->draft && pk_streq(s->draft_kind, kind);
	int ok = tui_edit_text(t, what, same ? s->draft : initial, out);
	if (same)
		pk_freep(&s->draft);
	return ok;
}

static void keep_draft(struct ticket_view *s, const char *kind, char **text)
{
	free(s->draft);
	s->draft = *text;
	s->draft_kind = kind;
	*text = NULL;
}

/* Trims spaces at both ends, in place. */
static char *trim(char *s)
{
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* Completion of user names: assignees, requesters and comment authors
 * starting with the prefix (exactly: the prompt replaces the word with what
 * the matches share), plus "me" and "none". */
static int complete_user(void *data, const char *prefix, char ***matches)
{
	struct tui *t = data;
	int n = 0;
	size_t len = strlen(prefix);
	*matches = pk_xcalloc(COMPLETE_MAX + 2, sizeof(char *));
	static const char *const words[] = { "me", "none" };
	for (size_t i = 0; i < PK_ARRAY_LEN(words); i++)
		if (strncmp(words[i], prefix, len) == 0)
			(*matches)[n++] = pk_xstrdup(words[i]);
	struct pk_buf like = { 0 };
	for (const char *p = prefix; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			pk_buf_putc(&like, '\\');
		pk_buf_putc(&like, *p);
	}
	pk_buf_putc(&like, '%');
	sqlite3_stmt *st;
	if (pk_db_prepare_once(tui_db(t),
			       "SELECT assignee FROM tickets WHERE assignee LIKE ?1 ESCAPE '\\' "
			       "UNION SELECT requester FROM tickets WHERE requester LIKE ?1 "
			       "ESCAPE '\\' "
			       "UNION SELECT author FROM comments WHERE author LIKE ?1 ESCAPE '\\' "
			       "ORDER BY 1 LIMIT ?2",
			       &st) == PK_OK) {
		sqlite3_bind_text(st, 1, like.data, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, COMPLETE_MAX);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			if (name && strncmp(name, prefix, len) == 0)
				(*matches)[n++] = pk_xstrdup(name);
		}
		sqlite3_finalize(st);
	}
	pk_buf_free(&like);
	return n;
}

/* me, none or a name, the way `picket assign` reads them. */
static const char *user_arg(struct tui *t, const char *who)
{
	if (strcmp(who, "none") == 0)
		return "";
	return strcmp(who, "me") == 0 ? tui_user(t) : who;
}

/* The engine's assign: a fresh ticket also moves to assigned, an assigned
 * one left without assignee back to new (as `picket assign` does). */
static void assign_to(struct tui *t, struct ticket_view *s, const char *who)
{
	struct pk_ticket *tk = fresh(t, s);
	if (!tk)
		return;
	const char *user = user_arg(t, who);
	int rc;
	if (pk_streq(tk->assignee ? tk->assignee : "", user)) {
		tui_message(t, 0, _("%s: already assigned to %s"), tk->ref, *user ? user : "-");
	} else if ((rc = pk_ticket_assign(tui_db(t), tk, user)) != PK_OK) {
		tui_fail(t, rc);
	} else if (*user) {
		tui_message(t, 0, _("%s: assigned to %s"), tk->ref, user);
		tui_changed(t);
	} else {
		tui_message(t, 0, _("%s: unassigned"), tk->ref);
		tui_changed(t);
	}
	pk_ticket_free(&tk);
}

static void do_assign(struct tui *t, struct ticket_view *s)
{
	char *line;
	if (!tui_prompt(t, _("Assign to: "), NULL, complete_user, t, &line))
		return;
	char *who = trim(line);
	if (*who)
		assign_to(t, s, who);
	free(line);
}

static void do_move(struct tui *t, struct ticket_view *s)
{
	const struct pk_workflow *wf = &tui_cfg(t)->wf;
	struct pk_ticket *tk = fresh(t, s);
	struct pk_change *ch = NULL;
	char *text = NULL, *title = NULL, *done = NULL;
	if (!tk || refused(t, tk, NULL))
		goto out;
	const char *targets[PK_MAX_STATUSES];
	int n = 0;
	for (int j = 0; j < wf->nstatus; j++)
		if (strcmp(wf->status[j], tk->status) != 0 &&
		    pk_wf_allowed(wf, tk->status, wf->status[j]))
			targets[n++] = wf->status[j];
	if (n == 0) {
		tui_message(t, 1, _("%s: no status may follow %s"), tk->ref, tk->status);
		goto out;
	}
	title = pk_xasprintf(_("Move %s from %s to"), tk->ref, tk->status);
	int i = tui_choose(t, title, targets, n);
	if (i < 0)
		goto out;
	const char *to = targets[i];
	ch = pk_change_update(&pk_ticket_entity, tk->uuid);
	int rc = PK_OK;
	if (strcmp(to, "resolved") == 0) {
		char *what = pk_xasprintf(_("Resolution of %s"), tk->ref);
		int ok = edit_text(t, s, "resolution", what, tk->resolution, &text);
		free(what);
		if (!ok)
			goto out;
		rc = pk_ticket_put(tui_db(t), ch, "resolution", text, 0);
	} else if (!tui_prompt(t, _("Note (optional): "), NULL, NULL, NULL, &text)) {
		goto out;
	}
	if (rc == PK_OK)
		rc = pk_ticket_put(tui_db(t), ch, "status", to, 0);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		goto out;
	}
	done = pk_xasprintf(_("moved to %s"), to);
	const char *note = strcmp(to, "resolved") != 0 && *trim(text) ? trim(text) : NULL;
	if (save(t, tk, ch, note, done) != PK_OK && strcmp(to, "resolved") == 0)
		keep_draft(s, "resolution", &text);
out:
	free(done);
	free(title);
	free(text);
	pk_change_free(&ch);
	pk_ticket_free(&tk);
}

static void do_comment(struct tui *t, struct ticket_view *s, const char *kind)
{
	struct pk_ticket *tk = fresh(t, s);
	char *line = NULL, *body = NULL, *what = NULL;
	long long minutes = 0;
	if (!tk || refused(t, tk, NULL))
		goto out;
	if (strcmp(kind, "worklog") == 0) {
		if (!tui_prompt(t, _("Minutes spent: "), NULL, NULL, NULL, &line))
			goto out;
		if (pk_parse_int(trim(line), 0, 100000, &minutes) != 0) {
			tui_message(t, 1, _("'%s' is not a number of minutes from 0 to 100000"),
				    trim(line));
			goto out;
		}
		what = pk_xasprintf(_("Work log on %s (%lld min)"), tk->ref, minutes);
	} else if (strcmp(kind, "internal") == 0) {
		what = pk_xasprintf(_("Internal note on %s"), tk->ref);
	} else {
		what = pk_xasprintf(_("Public comment on %s"), tk->ref);
	}
	if (!edit_text(t, s, kind, what, NULL, &body))
		goto out;
	int rc = pk_comment_add(tui_db(t), tk, kind, body, (int)minutes, NULL, 0, NULL);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		keep_draft(s, kind, &body);
		goto out;
	}
	if (strcmp(kind, "worklog") == 0)
		tui_message(t, 0, _("%s: %lld min logged"), tk->ref, minutes);
	else if (strcmp(kind, "internal") == 0)
		tui_message(t, 0, _("%s: note added"), tk->ref);
	else
		tui_message(t, 0, _("%s: comment added"), tk->ref);
	s->scroll = INT_MAX; /* the timeline's end, where the comment is */
	tui_changed(t);
out:
	free(what);
	free(body);
	free(line);
	pk_ticket_free(&tk);
}

/* Completion for `set`: field names, then values of the fields that have
 * a list of them ("status=" offers the moves the workflow allows). */
struct set_completion {
	struct tui *t;
	const struct pk_ticket *tk;
};

static const char *const settable_fields[] = {
	"type",		  "title",   "description", "priority",	  "impact",   "urgency",
	"category",	  "service", "ci",	    "requester",  "assignee", "group",
	"classification", "vendor",  "vendor_ref",  "resolution", "status",
};

static void offer(char ***matches, int *n, int *cap, const char *field, const char *value,
		  const char *prefix)
{
	char *m = field ? pk_xasprintf("%s=%s", field, value) : pk_xstrdup(value);
	if (strncmp(m, prefix, strlen(prefix)) != 0) {
		free(m);
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*matches = pk_xrealloc(*matches, (size_t)*cap * sizeof(char *));
	}
	(*matches)[(*n)++] = m;
}

static int complete_set(void *data, const char *prefix, char ***matches)
{
	struct set_completion *sc = data;
	const struct pk_config *cfg = tui_cfg(sc->t);
	const char *eq = strchr(prefix, '=');
	int n = 0, cap = 0;
	*matches = NULL;
	if (!eq) {
		for (size_t i = 0; i < PK_ARRAY_LEN(settable_fields); i++)
			if (pk_ticket_field_settable(settable_fields[i]))
				offer(matches, &n, &cap, settable_fields[i], "", prefix);
		if (n != 1)
			return n;
		/* one field: go on to its values, so the line reads "field=" with
		 * the choices, not "field= " (the prompt adds a space after a
		 * single match) */
		char **values;
		int k = complete_set(data, (*matches)[0], &values);
		if (k == 0) {
			free(values);
			return n;
		}
		free((*matches)[0]);
		free(*matches);
		*matches = values;
		return k;
	}
	char *field = pk_xstrndup(prefix, (size_t)(eq - prefix));
	char level[64];
	if (strcmp(field, "status") == 0) {
		for (int j = 0; j < cfg->wf.nstatus; j++)
			if (pk_wf_allowed(&cfg->wf, sc->tk->status, cfg->wf.status[j]))
				offer(matches, &n, &cap, field, cfg->wf.status[j], prefix);
	} else if (strcmp(field, "type") == 0) {
		for (int j = 0; pk_ticket_types[j]; j++)
			offer(matches, &n, &cap, field, pk_ticket_types[j], prefix);
	} else if (strcmp(field, "priority") == 0) {
		static const char *const prios[] = { "P1", "P2", "P3", "P4" };
		for (size_t j = 0; j < PK_ARRAY_LEN(prios); j++)
			offer(matches, &n, &cap, field, prios[j], prefix);
	} else if (strcmp(field, "impact") == 0 || strcmp(field, "urgency") == 0) {
		static const char *const levels[] = { "1", "2", "3", "4" };
		for (size_t j = 0; j < PK_ARRAY_LEN(levels); j++)
			offer(matches, &n, &cap, field, levels[j], prefix);
	} else if (strcmp(field, "classification") == 0) {
		/* '_' for a space keeps the level one word on the line */
		for (int j = 0; j < cfg->nlevels && j <= cfg->system_high; j++) {
			snprintf(level, sizeof(level), "%s", cfg->levels[j]);
			for (char *p = level; *p; p++)
				if (*p == ' ')
					*p = '_';
			offer(matches, &n, &cap, field, level, prefix);
		}
	} else if (strcmp(field, "assignee") == 0 || strcmp(field, "requester") == 0) {
		char **names = NULL;
		int k = complete_user(sc->t, eq + 1, &names);
		for (int j = 0; j < k; j++) {
			if (strcmp(field, "assignee") == 0 || strcmp(names[j], "none") != 0)
				offer(matches, &n, &cap, field, names[j], prefix);
			free(names[j]);
		}
		free(names);
	}
	free(field);
	return n;
}

/* The long-text fields, edited in the editor; NULL for one-line fields. */
static const char *long_field(const char *field)
{
	if (strcmp(field, "description") == 0)
		return "description";
	return strcmp(field, "resolution") == 0 ? "resolution" : NULL;
}

/* Asks for a new value of `field`, starting from the current one. */
static int ask_value(struct tui *t, struct ticket_view *s, const struct pk_ticket *tk,
		     const char *field, char **value)
{
	char *current = pk_ticket_field_text(tk, field), *what;
	int ok;
	if (long_field(field)) {
		what = pk_xasprintf("%s: %s", tk->ref, field);
		ok = edit_text(t, s, long_field(field), what, current, value);
	} else {
		int users = strcmp(field, "assignee") == 0 || strcmp(field, "requester") == 0;
		what = pk_xasprintf("%s: ", field);
		ok = tui_prompt(t, what, current, users ? complete_user : NULL, t, value);
	}
	free(what);
	free(current);
	return ok;
}

/* FIELD=VALUE; a field alone edits its current value (long text in the
 * editor). */
static void do_set(struct tui *t, struct ticket_view *s)
{
	struct pk_ticket *tk = fresh(t, s);
	struct pk_change *ch = NULL;
	char *line = NULL, *value = NULL, *done = NULL;
	if (!tk)
		return;
	struct set_completion sc = { t, tk };
	if (!tui_prompt(t, _("Set (field=value): "), NULL, complete_set, &sc, &line))
		goto out;
	char *eq = strchr(line, '=');
	if (eq)
		*eq = '\0';
	const char *field = trim(line);
	if (!*field)
		goto out;
	if (strcmp(field, "class") == 0)
		field = "classification";
	ch = pk_change_update(&pk_ticket_entity, tk->uuid);
	int rc;
	if (!pk_ticket_field_settable(field)) {
		tui_fail(t, pk_ticket_put(tui_db(t), ch, field, "", 0)); /* names the fields */
		goto out;
	}
	if (eq)
		value = pk_xstrdup(trim(eq + 1));
	else if (!ask_value(t, s, tk, field, &value))
		goto out;
	const char *v = value;
	if (strcmp(field, "assignee") == 0 && strcmp(trim(value), "me") == 0)
		v = tui_user(t); /* as `picket set` reads it */
	if ((rc = pk_ticket_put(tui_db(t), ch, field, v, 0)) != PK_OK) {
		tui_fail(t, rc);
		goto out;
	}
	done = pk_xasprintf(_("%s updated"), field);
	if (save(t, tk, ch, NULL, done) != PK_OK && !eq && long_field(field))
		keep_draft(s, long_field(field), &value);
out:
	free(done);
	free(value);
	free(line);
	pk_change_free(&ch);
	pk_ticket_free(&tk);
}

/* A status change that needs no text; `resolution` may be NULL. */
static void move_to(struct tui *t, struct ticket_view *s, struct pk_ticket *tk, const char *to,
		    char **resolution, const char *done)
{
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, tk->uuid);
	int rc = PK_OK;
	if (resolution)
		rc = pk_ticket_put(tui_db(t), ch, "resolution", *resolution, 0);
	if (rc == PK_OK)
		rc = pk_ticket_put(tui_db(t), ch, "status", to, 0);
	if (rc != PK_OK)
		tui_fail(t, rc);
	else if (save(t, tk, ch, NULL, done) != PK_OK && resolution)
		keep_draft(s, "resolution", resolution);
	pk_change_free(&ch);
}

static int already(struct tui *t, const struct pk_ticket *tk, const char *status)
{
	if (strcmp(tk->status, status) != 0)
		return 0;
	tui_message(t, 1, _("%s already has status %s"), tk->ref, status);
	return 1;
}

static void do_resolve(struct tui *t, struct ticket_view *s)
{
	struct pk_ticket *tk = fresh(t, s);
	char *text = NULL;
	if (!tk || already(t, tk, "resolved") || refused(t, tk, "resolved"))
		goto out;
	char *what = pk_xasprintf(_("Resolution of %s"), tk->ref);
	int ok = edit_text(t, s, "resolution", what, tk->resolution, &text);
	free(what);
	if (ok)
		move_to(t, s, tk, "resolved", &text, _("resolved"));
out:
	free(text);
	pk_ticket_free(&tk);
}

static void do_reopen(struct tui *t, struct ticket_view *s)
{
	struct pk_ticket *tk = fresh(t, s);
	if (tk && !already(t, tk, "reopened"))
		move_to(t, s, tk, "reopened", NULL, _("reopened"));
	pk_ticket_free(&tk);
}

/* To a vendor: who, their reference, and pending_vendor, in one save.  A
 * ticket already waiting on a vendor may change vendor. */
/* Completes a vendor name from the known vendors. */
struct vendor_names {
	char **v;
	int n;
};

static int keep_vendor(const struct pk_vendor *v, void *data)
{
	struct vendor_names *x = data;
	x->v = pk_xrealloc(x->v, (size_t)(x->n + 1) * sizeof(*x->v));
	x->v[x->n++] = pk_xstrdup(v->name);
	return 0;
}

static int complete_vendor(void *data, const char *prefix, char ***matches)
{
	struct vendor_names *x = data;
	size_t len = strlen(prefix);
	int n = 0;
	*matches = pk_xcalloc((size_t)x->n + 1, sizeof(char *));
	for (int i = 0; i < x->n; i++)
		if (strncasecmp(x->v[i], prefix, len) == 0)
			(*matches)[n++] = pk_xstrdup(x->v[i]);
	return n;
}

static void do_escalate(struct tui *t, struct ticket_view *s)
{
	static const char to[] = "pending_vendor";
	struct pk_ticket *tk = fresh(t, s);
	struct vendor_names names = { 0 };
	char *vendor = NULL, *ref = NULL, *follow = NULL;
	struct pk_db *db = tui_db(t);
	if (!tk || refused(t, tk, to))
		goto out;
	pk_vendor_list(db, keep_vendor, &names);
	if (!tui_prompt(t, _("Vendor: "), tk->vendor, complete_vendor, &names, &vendor))
		goto out;
	if (!*trim(vendor)) {
		tui_message(t, 1, "%s", _("escalating needs a vendor"));
		goto out;
	}
	if (!tui_prompt(t, _("Vendor ref: "), tk->vendor_ref, NULL, NULL, &ref))
		goto out;
	if (!tui_prompt(t, _("Follow up in (e.g. 2d) or on (date): "),
			pk_config_str(tui_cfg(t), "sla.follow_up"), NULL, NULL, &follow))
		goto out;
	int64_t at = 0, d;
	if (*trim(follow) && pk_duration_parse(trim(follow), &d) == 0)
		at = pk_clock_now() + d;
	else if (*trim(follow) && pk_zone_time_parse(NULL, trim(follow), &at) != 0) {
		tui_message(t, 1, _("'%s' is not a delay (2d) or a date"), trim(follow));
		goto out;
	}
	int rc = pk_vendor_escalate(db, tk, trim(vendor), trim(ref), at, NULL);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		goto out;
	}
	/* TRANSLATORS: a ticket ref, then the vendor */
	tui_message(t, 0, _("%s: escalated to %s"), tk->ref, trim(vendor));
	tui_changed(t);
out:
	for (int i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	free(follow);
	free(ref);
	free(vendor);
	pk_ticket_free(&tk);
}

static void scroll_by(struct ticket_view *s, int delta)
{
	long v = (long)s->scroll + delta;
	if (v > max_scroll(s))
		v = max_scroll(s);
	s->scroll = v < 0 ? 0 : (int)v;
}

static int ticket_action(struct tui *t, void *state, enum tui_action a)
{
	struct ticket_view *s = state;
	int half = s->page / 2 ? s->page / 2 : 1;
	switch (a) {
	case TUI_UP: scroll_by(s, -1); break;
	case TUI_DOWN: scroll_by(s, 1); break;
	case TUI_PAGE_UP: scroll_by(s, -s->page); break;
	case TUI_PAGE_DOWN: scroll_by(s, s->page); break;
	case TUI_HALF_UP: scroll_by(s, -half); break;
	case TUI_HALF_DOWN: scroll_by(s, half); break;
	case TUI_FIRST: s->scroll = 0; break;
	case TUI_LAST: s->scroll = max_scroll(s); break;
	case TUI_TAKE: assign_to(t, s, "me"); break;
	case TUI_ASSIGN: do_assign(t, s); break;
	case TUI_MOVE: do_move(t, s); break;
	case TUI_COMMENT: do_comment(t, s, "public"); break;
	case TUI_NOTE: do_comment(t, s, "internal"); break;
	case TUI_WORKLOG: do_comment(t, s, "worklog"); break;
	case TUI_SET: do_set(t, s); break;
	case TUI_RESOLVE: do_resolve(t, s); break;
	case TUI_REOPEN: do_reopen(t, s); break;
	case TUI_ESCALATE: do_escalate(t, s); break;
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

static const enum tui_action ticket_hints[] = { TUI_TAKE, TUI_ASSIGN,  TUI_MOVE,    TUI_COMMENT,
						TUI_NOTE, TUI_WORKLOG, TUI_RESOLVE, TUI_HELP,
						TUI_QUIT, TUI_NONE };

const struct tui_view tui_view_ticket = {
	.name = "ticket",
	.state_size = sizeof(struct ticket_view),
	.open = ticket_open,
	.close = ticket_close,
	.draw = ticket_draw,
	.action = ticket_action,
	.reload = ticket_reload,
	.level = ticket_level,
	.current = ticket_current,
	.hints = ticket_hints,
};
