/* Help: the keys of the screen it was opened from, read from the key map
 * (so bindings changed in picket.conf show as they are), and the `:`
 * command line. */
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui.h"

#define KEYS_WIDTH_MAX 24
#define NAME_WIDTH     12

/* An action that means something on a screen, with what it does there
 * (NULL: the action's own help text). */
struct entry {
	enum tui_action action;
	const char *help;
};

static const struct entry queue_entries[] = {
	{ TUI_OPEN, NULL },
	{ TUI_UP, NULL },
	{ TUI_DOWN, NULL },
	{ TUI_PAGE_UP, NULL },
	{ TUI_PAGE_DOWN, NULL },
	{ TUI_HALF_UP, NULL },
	{ TUI_HALF_DOWN, NULL },
	{ TUI_FIRST, NULL },
	{ TUI_LAST, NULL },
	{ TUI_NEXT_TAB, NULL },
	{ TUI_PREV_TAB, NULL },
	{ TUI_FILTER, NULL },
	{ TUI_SORT, NULL },
	{ TUI_REVERSE, NULL },
	{ TUI_TAKE, N_("take the ticket under the cursor") },
	{ TUI_SEARCH, NULL },
	{ TUI_NEW, NULL },
	{ TUI_HANDOVER, NULL },
	{ TUI_NONE, NULL },
};

static const struct entry handover_entries[] = {
	{ TUI_NOTE, N_("write a note for the next shift") },
	{ TUI_ACK, NULL },
	{ TUI_UP, NULL },
	{ TUI_DOWN, NULL },
	{ TUI_PAGE_UP, NULL },
	{ TUI_PAGE_DOWN, NULL },
	{ TUI_FIRST, NULL },
	{ TUI_LAST, NULL },
	{ TUI_REFRESH, NULL },
	{ TUI_NONE, NULL },
};

static const struct entry ticket_entries[] = {
	{ TUI_TAKE, NULL },
	{ TUI_ASSIGN, NULL },
	{ TUI_MOVE, NULL },
	{ TUI_COMMENT, NULL },
	{ TUI_NOTE, NULL },
	{ TUI_WORKLOG, NULL },
	{ TUI_SET, NULL },
	{ TUI_RESOLVE, NULL },
	{ TUI_REOPEN, NULL },
	{ TUI_ESCALATE, NULL },
	{ TUI_UP, N_("scroll up a line") },
	{ TUI_DOWN, N_("scroll down a line") },
	{ TUI_PAGE_UP, N_("scroll up a page") },
	{ TUI_PAGE_DOWN, N_("scroll down a page") },
	{ TUI_HALF_UP, N_("scroll up half a page") },
	{ TUI_HALF_DOWN, N_("scroll down half a page") },
	{ TUI_FIRST, N_("the top of the ticket") },
	{ TUI_LAST, N_("the end of the timeline") },
	{ TUI_SEARCH, NULL },
	{ TUI_NEW, NULL },
	{ TUI_NONE, NULL },
};

static const struct entry search_entries[] = {
	{ TUI_OPEN, N_("open the selected ticket") },
	{ TUI_UP, N_("previous result") },
	{ TUI_DOWN, N_("next result") },
	{ TUI_PAGE_UP, NULL },
	{ TUI_PAGE_DOWN, NULL },
	{ TUI_HALF_DOWN, NULL },
	{ TUI_FIRST, N_("first result") },
	{ TUI_LAST, N_("last result") },
	{ TUI_NONE, NULL },
};

static const struct entry form_entries[] = {
	{ TUI_OPEN, N_("edit the field; on Create, create the ticket") },
	{ TUI_DOWN, N_("next field") },
	{ TUI_UP, N_("previous field") },
	{ TUI_NEXT_TAB, N_("next field") },
	{ TUI_PREV_TAB, N_("previous field") },
	{ TUI_FIRST, N_("first field") },
	{ TUI_LAST, N_("the Create button") },
	{ TUI_QUIT, N_("leave the form (asks before discarding)") },
	{ TUI_NONE, NULL },
};

/* What every screen understands, through the app's generic layer. */
static const struct entry common_entries[] = {
	{ TUI_HELP, NULL },    { TUI_QUIT, NULL }, { TUI_COMMAND, NULL },
	{ TUI_REFRESH, NULL }, { TUI_NONE, NULL },
};

/* Every action, for a screen this file does not know. */
static const struct entry all_entries[] = {
	{ TUI_OPEN, NULL },	 { TUI_UP, NULL },	  { TUI_DOWN, NULL },
	{ TUI_PAGE_UP, NULL },	 { TUI_PAGE_DOWN, NULL }, { TUI_HALF_UP, NULL },
	{ TUI_HALF_DOWN, NULL }, { TUI_FIRST, NULL },	  { TUI_LAST, NULL },
	{ TUI_NEXT_TAB, NULL },	 { TUI_PREV_TAB, NULL },  { TUI_FILTER, NULL },
	{ TUI_SORT, NULL },	 { TUI_REVERSE, NULL },	  { TUI_SEARCH, NULL },
	{ TUI_NEW, NULL },	 { TUI_TAKE, NULL },	  { TUI_ASSIGN, NULL },
	{ TUI_MOVE, NULL },	 { TUI_COMMENT, NULL },	  { TUI_NOTE, NULL },
	{ TUI_WORKLOG, NULL },	 { TUI_SET, NULL },	  { TUI_RESOLVE, NULL },
	{ TUI_REOPEN, NULL },	 { TUI_ESCALATE, NULL },  { TUI_HANDOVER, NULL },
	{ TUI_ACK, NULL },	 { TUI_NONE, NULL },
};

static const struct screen {
	const char *view;
	const char *title;
	const struct entry *entries;
	/* printable keys are typed as text there, so only the others act */
	int typing;
	const char *note; /* a line about the screen, or NULL */
} screens[] = {
	{ "queue", N_("Keys of the queue"), queue_entries, 0, NULL },
	{ "ticket", N_("Keys of the ticket screen"), ticket_entries, 0, NULL },
	{ "search", N_("Keys of the search screen"), search_entries, 1,
	  N_("Type words to search as you type; Backspace, C-w and C-u edit them. Esc goes "
	     "back.") },
	{ "handover", N_("Keys of the shift handover"), handover_entries, 0,
	  N_("The report covers the last 12 hours; picket handover --since TIME prints "
	     "other spans.") },
	{ "form", N_("Keys of the new ticket form"), form_entries, 0,
	  N_("On impact and urgency a digit from 1 to 4 is the value. Esc leaves like quit.") },
};

static const struct screen other = { NULL, N_("Keys"), all_entries, 0, NULL };

/* The lines of the help, built once: a heading, an action, or text. */
enum line_kind { LINE_TITLE, LINE_HEADING, LINE_ACTION, LINE_TEXT, LINE_BLANK };

struct line {
	enum line_kind kind;
	enum tui_action action;
	const char *text; /* translated; static */
	char *keys;	  /* the keys of the action, owned */
};

struct help {
	struct line *lines;
	int nlines;
	int keys_width;
	int total, total_cols; /* wrapped lines at total_cols */
	int scroll, page;
};

static void add(struct help *h, enum line_kind kind, const char *text)
{
	h->lines = pk_xrealloc(h->lines, (size_t)(h->nlines + 1) * sizeof(*h->lines));
	h->lines[h->nlines++] = (struct line){ kind, TUI_NONE, text, NULL };
}

/* A key a typing screen takes as text: one character, or Space. */
static int typed(const char *name)
{
	return strcmp(name, "Space") == 0 || pk_text_width(name) == 1;
}

/* The action's keys as configured, without those typed as text. */
static char *keys_of(struct tui *t, enum tui_action a, int typing)
{
	struct pk_buf all = { 0 }, keys = { 0 };
	tui_action_keys(t, a, &all);
	char *save = NULL;
	for (char *k = strtok_r(all.data ? all.data : "", " ", &save); k;
	     k = strtok_r(NULL, " ", &save))
		if (!typing || !typed(k))
			pk_buf_printf(&keys, "%s%s", keys.len ? " " : "", k);
	pk_buf_free(&all);
	return keys.len ? pk_buf_detach(&keys) : NULL;
}

static void add_entries(struct tui *t, struct help *h, const struct entry *e, int typing)
{
	for (; e->action != TUI_NONE; e++) {
		int listed = 0;
		for (int i = 0; i < h->nlines; i++)
			listed |= h->lines[i].action == e->action;
		char *keys = listed ? NULL : keys_of(t, e->action, typing);
		if (!keys)
			continue; /* listed, unbound, or every key of it is typed here */
		add(h, LINE_ACTION, e->help ? _(e->help) : tui_action_help(e->action));
		h->lines[h->nlines - 1].action = e->action;
		h->lines[h->nlines - 1].keys = keys;
		int w = pk_text_width(keys) + 2;
		if (w > h->keys_width)
			h->keys_width = w < KEYS_WIDTH_MAX ? w : KEYS_WIDTH_MAX;
	}
}

static int help_open(struct tui *t, void *state, const char *arg)
{
	struct help *h = state;
	const struct screen *sc = &other;
	for (size_t i = 0; i < PK_ARRAY_LEN(screens); i++)
		if (arg && strcmp(arg, screens[i].view) == 0)
			sc = &screens[i];
	add(h, LINE_TITLE, _(sc->title));
	add(h, LINE_BLANK, NULL);
	add_entries(t, h, sc->entries, sc->typing);
	if (sc->note) {
		add(h, LINE_BLANK, NULL);
		add(h, LINE_TEXT, _(sc->note));
	}
	add(h, LINE_BLANK, NULL);
	add(h, LINE_HEADING, _("On every screen"));
	add_entries(t, h, common_entries, sc->typing);
	add(h, LINE_BLANK, NULL);
	add(h, LINE_HEADING, _("The command line"));
	add(h, LINE_TEXT,
	    _("Type : then a command on the ticket at hand: :assign USER, :take, "
	      ":move STATUS, :comment TEXT, :note TEXT, :worklog MINUTES TEXT, "
	      ":resolve TEXT, :reopen, :close, :set FIELD=VALUE, :open REF, :new, "
	      ":search WORDS, :q. Tab completes; Esc cancels."));
	add(h, LINE_BLANK, NULL);
	add(h, LINE_TEXT,
	    _("Keys are set in picket.conf, section [keys] (for example: take = t T); "
	      "see picket.conf(5)."));
	return PK_OK;
}

static void help_close(struct tui *t, void *state)
{
	struct help *h = state;
	for (int i = 0; i < h->nlines; i++)
		free(h->lines[i].keys);
	free(h->lines);
}

/* Lines a help line takes at this width. */
static int height(struct tui *t, const struct line *l, int cols)
{
	return l->kind == LINE_TEXT ? tui_wrap(t, 0, 0, cols - 2, 0, 0, l->text, TUI_C_NORMAL) : 1;
}

static int max_scroll(const struct help *h)
{
	return h->total > h->page ? h->total - h->page : 0;
}

static void draw_line(struct tui *t, struct help *h, int i, int y, int cols)
{
	const struct line *l = &h->lines[i];
	int kw = h->keys_width, x;
	switch (l->kind) {
	case LINE_TITLE:
		tui_fill(t, y, 0, cols, TUI_C_HEADER);
		tui_text(t, y, 1, cols - 1, l->text, TUI_C_HEADER);
		break;
	case LINE_HEADING: tui_text(t, y, 1, cols - 1, l->text, TUI_C_LABEL); break;
	case LINE_ACTION:
		x = 2;
		tui_text(t, y, x, kw, l->keys, TUI_C_NORMAL);
		x += kw;
		tui_text(t, y, x, NAME_WIDTH < cols - x ? NAME_WIDTH : cols - x,
			 tui_action_name(l->action), TUI_C_LABEL);
		x += NAME_WIDTH;
		tui_text(t, y, x, cols - x, l->text, TUI_C_NORMAL);
		break;
	default: break;
	}
}

static void help_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct help *h = state;
	if (h->total_cols != cols) {
		h->total = 0;
		for (int i = 0; i < h->nlines; i++)
			h->total += height(t, &h->lines[i], cols);
		h->total_cols = cols;
	}
	h->page = rows > 0 ? rows : 1;
	if (h->scroll > max_scroll(h))
		h->scroll = max_scroll(h);
	int line = 0, y = top;
	for (int i = 0; i < h->nlines && y < top + rows; i++) {
		const struct line *l = &h->lines[i];
		int n = height(t, l, cols);
		if (line + n <= h->scroll) {
			line += n;
			continue;
		}
		int skip = h->scroll > line ? h->scroll - line : 0, left = top + rows - y;
		if (l->kind == LINE_TEXT) {
			tui_wrap(t, y, 2, cols - 2, skip, left, l->text, TUI_C_NORMAL);
			y += n - skip < left ? n - skip : left;
		} else {
			draw_line(t, h, i, y, cols);
			y++;
		}
		line += n;
	}
}

static void scroll_by(struct help *h, int delta)
{
	long v = (long)h->scroll + delta;
	if (v > max_scroll(h))
		v = max_scroll(h);
	h->scroll = v < 0 ? 0 : (int)v;
}

static int help_action(struct tui *t, void *state, enum tui_action a)
{
	struct help *h = state;
	int half = h->page / 2 ? h->page / 2 : 1;
	switch (a) {
	case TUI_UP: scroll_by(h, -1); break;
	case TUI_DOWN: scroll_by(h, 1); break;
	case TUI_PAGE_UP: scroll_by(h, -h->page); break;
	case TUI_PAGE_DOWN: scroll_by(h, h->page); break;
	case TUI_HALF_UP: scroll_by(h, -half); break;
	case TUI_HALF_DOWN: scroll_by(h, half); break;
	case TUI_FIRST: h->scroll = 0; break;
	case TUI_LAST: h->scroll = max_scroll(h); break;
	case TUI_HELP: break; /* already here: no help on help */
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* Nothing classified is on this screen. */
static int help_level(struct tui *t, void *state)
{
	return -1;
}

static const enum tui_action help_hints[] = { TUI_DOWN, TUI_UP, TUI_PAGE_DOWN, TUI_QUIT, TUI_NONE };

const struct tui_view tui_view_help = {
	.name = "help",
	.state_size = sizeof(struct help),
	.open = help_open,
	.close = help_close,
	.draw = help_draw,
	.action = help_action,
	.level = help_level,
	.hints = help_hints,
};
