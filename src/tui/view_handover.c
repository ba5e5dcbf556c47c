/* The shift handover: the report `picket handover` prints, on screen, with
 * keys to write a note for the next shift and to acknowledge the notes the
 * last one left. */
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/handover.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "tui.h"

#define SHIFT_SECONDS (12 * 3600)

struct handover_view {
	char **lines;
	int nlines;
	int scroll, page;
	int level; /* highest classification listed */
};

static void lines_free(struct handover_view *s)
{
	for (int i = 0; i < s->nlines; i++)
		free(s->lines[i]);
	free(s->lines);
	s->lines = NULL;
	s->nlines = 0;
}

static int set_level(const struct pk_config *cfg, const struct pk_ticket_set *set, int level)
{
	for (size_t i = 0; i < set->n; i++) {
		int r = pk_class_rank(cfg, set->t[i]->classification);
		if (r > level)
			level = r;
	}
	return level;
}

static void load(struct tui *t, struct handover_view *s)
{
	struct pk_handover h;
	lines_free(s);
	int rc = pk_handover_build(tui_db(t), pk_clock_now() - SHIFT_SECONDS, &h);
	if (rc != PK_OK) {
		pk_handover_free(&h);
		tui_fail(t, rc);
		return;
	}
	const struct pk_config *cfg = tui_cfg(t);
	const struct pk_ticket_set *sets[] = { &h.opened,   &h.resolved, &h.major,
					       &h.breached, &h.near,	 &h.followups };
	s->level = -1;
	for (size_t i = 0; i < PK_ARRAY_LEN(sets); i++)
		s->level = set_level(cfg, sets[i], s->level);
	char *text = pk_handover_text(&h, 0);
	pk_handover_free(&h);
	for (char *p = text, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		s->lines = pk_xrealloc(s->lines, (size_t)(s->nlines + 1) * sizeof(*s->lines));
		s->lines[s->nlines++] = pk_xstrdup(p);
		if (!nl)
			break;
	}
	free(text);
}

static int handover_open(struct tui *t, void *state, const char *arg)
{
	(void)arg;
	load(t, state);
	return PK_OK;
}

static void handover_close(struct tui *t, void *state)
{
	(void)t;
	lines_free(state);
}

/* Section titles stand out; lines of breached tickets show in the breach
 * colour. */
static enum tui_color line_color(const char *line, int *section_breach)
{
	if (line[0] && line[0] != ' ') {
		*section_breach = strstr(line, _("SLA breached")) == line;
		return TUI_C_LABEL;
	}
	return *section_breach && line[0] ? TUI_C_BREACH : TUI_C_NORMAL;
}

static void handover_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct handover_view *s = state;
	s->page = rows > 0 ? rows : 1;
	if (s->scroll > s->nlines - s->page)
		s->scroll = s->nlines > s->page ? s->nlines - s->page : 0;
	int breach = 0;
	for (int i = 0; i < s->scroll && i < s->nlines; i++)
		line_color(s->lines[i], &breach);
	for (int y = 0; y < rows && s->scroll + y < s->nlines; y++) {
		const char *l = s->lines[s->scroll + y];
		enum tui_color c = s->scroll + y == 0 ? TUI_C_HEADER : line_color(l, &breach);
		tui_text(t, top + y, 0, cols, l, c);
	}
}

static void scroll_by(struct handover_view *s, int delta)
{
	int max = s->nlines > s->page ? s->nlines - s->page : 0;
	s->scroll += delta;
	if (s->scroll > max)
		s->scroll = max;
	if (s->scroll < 0)
		s->scroll = 0;
}

static void write_note(struct tui *t, struct handover_view *s)
{
	char *text = NULL;
	if (!tui_edit_text(t, _("handover note"), NULL, &text))
		return;
	int rc = pk_note_add(tui_db(t), text);
	free(text);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		return;
	}
	tui_message(t, 0, "%s", _("handover note added"));
	tui_changed(t);
	(void)s;
}

static void ack_notes(struct tui *t)
{
	long n = 0;
	int rc = pk_note_ack_all(tui_db(t), &n);
	if (rc != PK_OK) {
		tui_fail(t, rc);
		return;
	}
	tui_message(t, 0,
		    P_("acknowledged %ld handover note", "acknowledged %ld handover notes", n), n);
	tui_changed(t);
}

static int handover_action(struct tui *t, void *state, enum tui_action a)
{
	struct handover_view *s = state;
	switch (a) {
	case TUI_UP: scroll_by(s, -1); break;
	case TUI_DOWN: scroll_by(s, 1); break;
	case TUI_PAGE_UP: scroll_by(s, -s->page); break;
	case TUI_PAGE_DOWN: scroll_by(s, s->page); break;
	case TUI_HALF_UP: scroll_by(s, -(s->page / 2 ? s->page / 2 : 1)); break;
	case TUI_HALF_DOWN: scroll_by(s, s->page / 2 ? s->page / 2 : 1); break;
	case TUI_FIRST: s->scroll = 0; break;
	case TUI_LAST: scroll_by(s, s->nlines); break;
	case TUI_NOTE: write_note(t, s); break;
	case TUI_ACK: ack_notes(t); break;
	case TUI_REFRESH: load(t, s); break;
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

static void handover_reload(struct tui *t, void *state)
{
	load(t, state);
}

static int handover_level(struct tui *t, void *state)
{
	(void)t;
	return ((struct handover_view *)state)->level;
}

static const enum tui_action handover_hints[] = { TUI_NOTE, TUI_ACK,  TUI_DOWN, TUI_UP,
						  TUI_HELP, TUI_QUIT, TUI_NONE };

const struct tui_view tui_view_handover = {
	.name = "handover",
	.state_size = sizeof(struct handover_view),
	.open = handover_open,
	.close = handover_close,
	.draw = handover_draw,
	.action = handover_action,
	.reload = handover_reload,
	.level = handover_level,
	.hints = handover_hints,
};
