/* The new-ticket form: one line a field, Enter edits the field under the
 * cursor, impact x urgency shows the priority as it changes, and the
 * engine's own validation (pk_ticket_put) speaks beside the field it
 * refuses. */
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui.h"

enum field_kind {
	K_LINE,	  /* one line, tui_prompt */
	K_NUMBER, /* 1..4, tui_prompt or a digit */
	K_TYPE,	  /* tui_choose among the ticket types */
	K_CLASS,  /* tui_choose among the levels up to system-high */
	K_TEXT,	  /* tui_edit_text */
};

enum {
	F_TYPE,
	F_TITLE,
	F_IMPACT,
	F_URGENCY,
	F_CATEGORY,
	F_SERVICE,
	F_CI,
	F_REQUESTER,
	F_GROUP,
	F_CLASS,
	F_DESCRIPTION,
	NFIELDS,
	F_CREATE = NFIELDS, /* the [ Create ] line */
};

static const struct {
	const char *name; /* the engine's field name */
	const char *label;
	enum field_kind kind;
} fields[NFIELDS] = {
	[F_TYPE] = { "type", N_("Type"), K_TYPE },
	[F_TITLE] = { "title", N_("Title"), K_LINE },
	[F_IMPACT] = { "impact", N_("Impact"), K_NUMBER },
	[F_URGENCY] = { "urgency", N_("Urgency"), K_NUMBER },
	[F_CATEGORY] = { "category", N_("Category"), K_LINE },
	[F_SERVICE] = { "service", N_("Service"), K_LINE },
	[F_CI] = { "ci", N_("CI"), K_LINE },
	[F_REQUESTER] = { "requester", N_("Requester"), K_LINE },
	[F_GROUP] = { "group", N_("Group"), K_LINE },
	[F_CLASS] = { "classification", N_("Classification"), K_CLASS },
	[F_DESCRIPTION] = { "description", N_("Description"), K_TEXT },
};

/* Body rows: a title line and a blank one, the fields with the derived
 * priority line after urgency, a blank line, [ Create ]. */
#define FIELDS_ROW 2

struct form {
	char *value[NFIELDS]; /* NULL or "": not given */
	char *error[NFIELDS]; /* the engine's word on the field, or NULL */
	int cur;	      /* a field, or F_CREATE */
	int typed;	      /* something was entered: confirm before leaving */
	int top;	      /* body top at the last draw, for clicks */
};

/* Screen row of field i (F_CREATE included) below the body top. */
static int field_row(int i)
{
	if (i == F_CREATE)
		return FIELDS_ROW + NFIELDS + 2;
	return FIELDS_ROW + i + (i > F_URGENCY ? 1 : 0);
}

static int given(const char *v)
{
	return v && *v;
}

static void set_error(struct form *f, int i, const char *msg)
{
	free(f->error[i]);
	f->error[i] = msg ? pk_xstrdup(msg) : NULL;
}

/* Asks the engine about one field as the form stands; the message stays
 * beside the field until it is edited. */
static int check_field(struct tui *t, struct form *f, struct pk_change *ch, int i)
{
	if (i == F_TITLE && !given(f->value[i])) {
		set_error(f, i, _("a ticket needs a title"));
		return PK_EINVAL;
	}
	set_error(f, i, NULL);
	/* an empty free-text field is left out; an empty number is wrong */
	if (!given(f->value[i]) && fields[i].kind != K_NUMBER)
		return PK_OK;
	int rc = pk_ticket_put(tui_db(t), ch, fields[i].name, f->value[i], 0);
	if (rc != PK_OK) {
		const struct pk_error *e = pk_db_error(tui_db(t));
		set_error(f, i, e->msg[0] ? e->msg : pk_strerror(rc));
	}
	return rc;
}

static int check_one(struct tui *t, struct form *f, int i)
{
	struct pk_change *ch = pk_change_create(&pk_ticket_entity);
	int rc = check_field(t, f, ch, i);
	pk_change_free(&ch);
	return rc;
}

static int form_open(struct tui *t, void *state, const char *arg)
{
	struct form *f = state;
	const struct pk_config *cfg = tui_cfg(t);
	f->value[F_TYPE] = pk_xstrdup(cfg->default_type);
	f->value[F_IMPACT] = pk_xasprintf("%d", cfg->default_impact);
	f->value[F_URGENCY] = pk_xasprintf("%d", cfg->default_urgency);
	f->value[F_CLASS] = pk_xstrdup(cfg->levels[cfg->default_level]);
	f->cur = F_TITLE;
	(void)arg;
	return PK_OK;
}

static void form_close(struct tui *t, void *state)
{
	struct form *f = state;
	for (int i = 0; i < NFIELDS; i++) {
		free(f->value[i]);
		free(f->error[i]);
	}
}

/* The priority impact x urgency gives, or 0 while either is not 1..4. */
static int live_priority(struct tui *t, const struct form *f)
{
	long long impact, urgency;
	if (!given(f->value[F_IMPACT]) || !given(f->value[F_URGENCY]) ||
	    pk_parse_int(f->value[F_IMPACT], 1, 4, &impact) != 0 ||
	    pk_parse_int(f->value[F_URGENCY], 1, 4, &urgency) != 0)
		return 0;
	return pk_priority_of(tui_cfg(t), (int)impact, (int)urgency);
}

/* What the field's line shows: a description by its first line. */
static char *shown_value(const struct form *f, int i)
{
	const char *v = f->value[i] ? f->value[i] : "";
	const char *nl = strchr(v, '\n');
	if (fields[i].kind != K_TEXT || !nl)
		return pk_xstrdup(v);
	int more = 0;
	for (const char *p = nl; p; p = strchr(p + 1, '\n'))
		more++;
	char *first = pk_xstrndup(v, (size_t)(nl - v));
	char *s = pk_xasprintf(P_("%s  (+%d line)", "%s  (+%d lines)", more), first, more);
	free(first);
	return s;
}

static int label_width(void)
{
	int w = 0;
	for (int i = 0; i < NFIELDS; i++)
		if (pk_text_width(_(fields[i].label)) > w)
			w = pk_text_width(_(fields[i].label));
	int pw = pk_text_width(_("Priority"));
	return (pw > w ? pw : w) + 3;
}

static void draw_field(struct tui *t, struct form *f, int i, int y, int lw, int cols)
{
	int selected = f->cur == i;
	enum tui_color base = selected ? TUI_C_SELECTED : TUI_C_NORMAL;
	int vx = 2 + lw, required = i == F_TITLE && !given(f->value[i]);
	char *v = required ? pk_xstrdup(_("(required)")) : shown_value(f, i);
	int vw = cols - vx;
	if (f->error[i]) {
		/* the error takes at least two thirds of the room; the message
		 * line shows it whole when it appears */
		int want = pk_text_width(v) + 1;
		vw = want < (cols - vx) / 3 ? want : (cols - vx) / 3;
		if (vw < 4)
			vw = 4;
	}
	tui_fill(t, y, 0, f->error[i] ? vx + vw : cols, base);
	tui_text(t, y, 2, lw, _(fields[i].label), selected ? base : TUI_C_LABEL);
	tui_text(t, y, vx, vw, v, required && !selected ? TUI_C_HINT : base);
	if (f->error[i])
		tui_text(t, y, vx + vw + 1, cols - vx - vw - 1, f->error[i], TUI_C_ERROR);
	free(v);
}

static void form_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct form *f = state;
	int lw = label_width();
	f->top = top;
	tui_fill(t, top, 0, cols, TUI_C_HEADER);
	tui_text(t, top, 1, cols - 1, _("New ticket"), TUI_C_HEADER);
	for (int i = 0; i < NFIELDS; i++)
		if (field_row(i) < rows)
			draw_field(t, f, i, top + field_row(i), lw, cols);
	/* derived, not a field: the cursor never stops here */
	int prow = field_row(F_URGENCY) + 1;
	if (prow < rows) {
		int p = live_priority(t, f);
		char prio[8] = "P?";
		if (p)
			snprintf(prio, sizeof(prio), "P%d", p);
		tui_text(t, top + prow, 2, lw, _("Priority"), TUI_C_LABEL);
		tui_text(t, top + prow, 2 + lw, 3, prio, p ? tui_priority_color(p) : TUI_C_ERROR);
		tui_text(t, top + prow, 2 + lw + 4, cols - lw - 6, _("from impact and urgency"),
			 TUI_C_HINT);
	}
	if (field_row(F_CREATE) < rows) {
		const char *create = _("[ Create ]");
		tui_text(t, top + field_row(F_CREATE), 2 + lw, pk_text_width(create), create,
			 f->cur == F_CREATE ? TUI_C_SELECTED : TUI_C_NORMAL);
	}
}

/* Replaces field i's value after an edit; returns 1 if the value is fine. */
static int store(struct tui *t, struct form *f, int i, char *v)
{
	if (!pk_streq(v, f->value[i]))
		f->typed = 1;
	free(f->value[i]);
	f->value[i] = v;
	if (check_one(t, f, i) == PK_OK)
		return 1;
	tui_message(t, 1, "%s", f->error[i]);
	return 0;
}

static char *trimmed(char *s)
{
	size_t n = strlen(s), k = 0;
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	while (s[k] == ' ')
		k++;
	memmove(s, s + k, n - k + 1);
	return s;
}

/* Edits the field under the cursor; returns 1 if a good value was entered. */
static int edit_field(struct tui *t, struct form *f)
{
	const struct pk_config *cfg = tui_cfg(t);
	int i = f->cur, n, sel;
	char *out = NULL, *label;
	switch (fields[i].kind) {
	case K_TYPE:
		for (n = 0; pk_ticket_types[n]; n++)
			;
		sel = tui_choose(t, _("Type"), pk_ticket_types, n);
		return sel >= 0 && store(t, f, i, pk_xstrdup(pk_ticket_types[sel]));
	case K_CLASS:
		sel = tui_choose(t, _("Classification"), (const char *const *)cfg->levels,
				 cfg->system_high + 1);
		return sel >= 0 && store(t, f, i, pk_xstrdup(cfg->levels[sel]));
	case K_TEXT:
		return tui_edit_text(t, _("Description"), f->value[i], &out) && store(t, f, i, out);
	case K_LINE:
	case K_NUMBER:
		label = pk_xasprintf(fields[i].kind == K_NUMBER ? _("%s (1-4): ") : _("%s: "),
				     _(fields[i].label));
		if (!tui_prompt(t, label, f->value[i], NULL, NULL, &out)) {
			free(label);
			return 0;
		}
		free(label);
		return store(t, f, i, trimmed(out));
	}
	return 0;
}

/* Checks every field, then creates the ticket and shows it. */
static int create(struct tui *t, struct form *f)
{
	struct pk_db *db = tui_db(t);
	int bad = -1, nbad = 0, rc;
	if (check_one(t, f, F_TITLE) != PK_OK) {
		tui_message(t, 1, "%s", f->error[F_TITLE]);
		f->cur = F_TITLE;
		return TUI_HANDLED;
	}
	struct pk_change *ch = pk_ticket_draft(db);
	for (int i = 0; i < NFIELDS; i++)
		if (check_field(t, f, ch, i) != PK_OK) {
			nbad++;
			if (bad < 0)
				bad = i;
		}
	if (nbad) {
		pk_change_free(&ch);
		f->cur = bad;
		if (nbad == 1)
			tui_message(t, 1, "%s", f->error[bad]);
		else
			tui_message(t, 1,
				    P_("%d field needs fixing", "%d fields need fixing", nbad),
				    nbad);
		return TUI_HANDLED;
	}
	char *ref = NULL;
	if ((rc = pk_ticket_insert(db, ch, &ref)) != PK_OK) {
		if (rc == PK_ECLASS) {
			set_error(f, F_CLASS, pk_db_error(db)->msg);
			f->cur = F_CLASS;
		}
		tui_fail(t, rc);
		pk_change_free(&ch);
		return TUI_HANDLED;
	}
	char *uuid = pk_xstrdup(pk_change_uuid(ch));
	pk_change_free(&ch);
	tui_message(t, 0, _("Created %s"), ref);
	free(ref);
	tui_changed(t);
	tui_pop(t); /* frees f */
	tui_push(t, &tui_view_ticket, uuid);
	free(uuid);
	return TUI_HANDLED;
}

/* 1 if the form may close: nothing typed, or the user says so. */
static int may_discard(struct tui *t, struct form *f)
{
	if (!f->typed)
		return 1;
	const char *items[] = { _("Keep editing"), _("Discard") };
	return tui_choose(t, _("Discard this ticket?"), items, 2) == 1;
}

static void cursor_to(struct form *f, int i)
{
	f->cur = i < 0 ? 0 : i > F_CREATE ? F_CREATE : i;
}

static int form_action(struct tui *t, void *state, enum tui_action a)
{
	struct form *f = state;
	switch (a) {
	case TUI_UP:
	case TUI_PREV_TAB: cursor_to(f, f->cur - 1); break;
	case TUI_DOWN:
	case TUI_NEXT_TAB: cursor_to(f, f->cur + 1); break;
	case TUI_FIRST:
	case TUI_PAGE_UP: cursor_to(f, 0); break;
	case TUI_LAST:
	case TUI_PAGE_DOWN: cursor_to(f, F_CREATE); break;
	case TUI_OPEN:
		if (f->cur == F_CREATE)
			return create(t, f);
		/* a good value moves on, as forms do */
		if (edit_field(t, f))
			cursor_to(f, f->cur + 1);
		break;
	case TUI_QUIT: return may_discard(t, f) ? TUI_UNHANDLED : TUI_HANDLED;
	case TUI_NEW: break; /* one new ticket at a time */
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* Esc leaves like quit; on impact and urgency a digit is the value. */
static int form_key(struct tui *t, void *state, wint_t ch, int is_key)
{
	struct form *f = state;
	if (is_key)
		return ch == KEY_ENTER ? form_action(t, f, TUI_OPEN) : TUI_UNHANDLED;
	if (ch == 27) {
		if (may_discard(t, f))
			tui_pop(t);
		return TUI_HANDLED;
	}
	/* Enter arrives as '\r' (the app runs nonl()), which the "Enter"
	 * binding ('\n') does not match */
	if (ch == '\r')
		return form_action(t, f, TUI_OPEN);
	if ((f->cur == F_IMPACT || f->cur == F_URGENCY) && ch >= '1' && ch <= '4') {
		store(t, f, f->cur, pk_xasprintf("%c", (char)ch));
		return TUI_HANDLED;
	}
	return TUI_UNHANDLED;
}

static int form_level(struct tui *t, void *state)
{
	struct form *f = state;
	return pk_class_rank(tui_cfg(t), f->value[F_CLASS]);
}

static int form_click(struct tui *t, void *state, int y, int x)
{
	struct form *f = state;
	for (int i = 0; i <= F_CREATE; i++)
		if (y == f->top + field_row(i)) {
			if (i == f->cur)
				return form_action(t, f, TUI_OPEN);
			f->cur = i;
			return TUI_HANDLED | TUI_REDRAW;
		}
	(void)x;
	return TUI_UNHANDLED;
}

static const enum tui_action form_hints[] = { TUI_OPEN, TUI_UP, TUI_DOWN, TUI_QUIT, TUI_NONE };

const struct tui_view tui_view_form = {
	.name = "form",
	.state_size = sizeof(struct form),
	.open = form_open,
	.close = form_close,
	.draw = form_draw,
	.action = form_action,
	.key = form_key,
	.level = form_level,
	.click = form_click,
	.hints = form_hints,
};
