/* Incremental full-text search: a query line and the tickets it finds,
 * updated as you type without ever making the keyboard wait.
 *
 * Keys only edit the text; the search runs from draw() once typing has
 * paused for QUIET_MS: each frame drawn while typing asks the app to wake
 * the view after QUIET_MS (tui_wake_after), a key cancels that, and the
 * wake (tick) marks the text quiet.  The pause is measured by the app's
 * input timeout, not by pk_clock_now_ms(), which PICKET_NOW freezes. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/query.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui.h"

#define MAX_RESULTS 200
#define TEXT_MAX    500 /* bytes of query text */
#define QUIET_MS    150 /* search once typing pauses this long */
/* A last word this long or longer is also searched as a prefix, so results
 * come while the word is being typed. */
#define PREFIX_MIN 3

/* Columns, as in the queue; width 0: the rest. */
static const struct tui_column columns[] = {
	{ N_("REF"), 11 },	{ N_("P"), 3 },	    { N_("STATUS"), 17 },
	{ N_("ASSIGNEE"), 11 }, { N_("TITLE"), 0 },
};
#define NCOLUMNS ((int)PK_ARRAY_LEN(columns))

/* Rows above the results: the query line, the info line, the header. */
#define HEAD_ROWS 3

struct search {
	struct pk_buf text;	    /* the query typed so far, UTF-8 */
	int pending;		    /* the text changed since the last search */
	int quiet;		    /* ... and no key came for QUIET_MS since */
	int stale;		    /* the data changed: search the same text again */
	char *searched;		    /* the text the results are for */
	struct pk_ticket **results; /* owned; descriptions not kept */
	int n;
	int sel, first;
	int top, page;	 /* body top and result rows at the last draw */
	char error[512]; /* the query's error, or a database error */
};

static void results_free(struct pk_ticket ***results, int *n)
{
	for (int i = 0; i < *n; i++)
		pk_ticket_free(&(*results)[i]);
	free(*results);
	*results = NULL;
	*n = 0;
}

/* A copy that outlives the engine's callback; the description, which may
 * be a megabyte, stays in the database. */
static struct pk_ticket *ticket_copy(const struct pk_ticket *tk)
{
	struct pk_ticket *c = pk_xmalloc(sizeof(*c));
	*c = *tk;
	char **strs[] = { &c->uuid,	 &c->ref,	 &c->type,	&c->title,
			  &c->status,	 &c->category,	 &c->service,	&c->ci,
			  &c->requester, &c->assignee,	 &c->group,	&c->classification,
			  &c->vendor,	 &c->vendor_ref, &c->resolution };
	for (size_t i = 0; i < PK_ARRAY_LEN(strs); i++)
		*strs[i] = pk_xstrdup(*strs[i]);
	c->description = NULL;
	return c;
}

struct collect {
	struct pk_ticket **v;
	int n;
};

static int collect(struct pk_ticket *tk, void *data)
{
	struct collect *c = data;
	if (c->n < MAX_RESULTS)
		c->v[c->n++] = ticket_copy(tk);
	return 0;
}

static int blank(const char *s)
{
	while (*s == ' ')
		s++;
	return !*s;
}

/* The text with '*' after its last word when that word is bare (no field,
 * quote or star) and long enough: "print" finds "printer" while typing.
 * NULL when nothing is to be added. */
static char *with_prefix(const char *text)
{
	size_t n = strlen(text);
	if (!n || text[n - 1] == ' ')
		return NULL;
	const char *word = strrchr(text, ' ');
	word = word ? word + 1 : text;
	if (*word == '-')
		word++;
	int alnum = 0;
	for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
		if (*p == ':' || *p == '"' || *p == '*' || *p == '(' || *p == ')')
			return NULL;
		alnum |= (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			 (*p >= 'A' && *p <= 'Z') || *p >= 0x80;
	}
	if (!alnum || strlen(word) < PREFIX_MIN)
		return NULL;
	return pk_xasprintf("%s*", text);
}

static int compile(struct tui *t, const char *text, struct pk_query **q, struct pk_error *err)
{
	return pk_query_compile(tui_cfg(t), tui_user(t), pk_clock_now(), text, PK_Q_RANK, q, err);
}

/* Runs the text as a query.  A bad query or a database error is shown in
 * place and keeps the results of the last good one. */
static void run_search(struct tui *t, struct search *st)
{
	const char *text = st->text.data ? st->text.data : "";
	int same = pk_streq(text, st->searched);
	st->pending = st->quiet = st->stale = 0;
	st->error[0] = '\0';
	if (blank(text)) {
		results_free(&st->results, &st->n);
		pk_freep(&st->searched);
		st->sel = st->first = 0;
		return;
	}
	struct pk_query *q = NULL;
	struct pk_error err = { 0 };
	char *prefixed = with_prefix(text);
	int rc = prefixed ? compile(t, prefixed, &q, &err) : PK_EQUERY;
	free(prefixed);
	if (rc != PK_OK && (rc = compile(t, text, &q, &err)) != PK_OK) {
		snprintf(st->error, sizeof(st->error), "%s", err.msg);
		return;
	}
	struct collect c = { .v = pk_xcalloc(MAX_RESULTS, sizeof(*c.v)) };
	rc = pk_ticket_list(tui_db(t), q, MAX_RESULTS, collect, &c);
	pk_query_free(&q);
	if (rc != PK_OK) {
		const struct pk_error *e = pk_db_error(tui_db(t));
		snprintf(st->error, sizeof(st->error), "%s", e->msg[0] ? e->msg : pk_strerror(rc));
		results_free(&c.v, &c.n);
		return;
	}
	/* the same text again (the data changed): stay on the same ticket */
	int sel = 0;
	if (same && st->sel < st->n)
		for (int i = 0; i < c.n; i++)
			if (pk_streq(c.v[i]->uuid, st->results[st->sel]->uuid))
				sel = i;
	results_free(&st->results, &st->n);
	st->results = c.v;
	st->n = c.n;
	st->sel = sel;
	if (!same)
		st->first = 0;
	free(st->searched);
	st->searched = pk_xstrdup(text);
}

/* The highest classification among the result rows on screen. */
static int shown_level(struct tui *t, const struct search *st)
{
	int level = -1;
	for (int i = st->first; i < st->n && i < st->first + st->page; i++) {
		int rank = pk_class_rank(tui_cfg(t), st->results[i]->classification);
		if (rank > level)
			level = rank;
	}
	return level;
}

/* Typing paused for QUIET_MS: the next frame searches. */
static void search_tick(struct tui *t, void *state)
{
	struct search *st = state;
	if (st->pending)
		st->quiet = 1;
}

static int search_open(struct tui *t, void *state, const char *arg)
{
	struct search *st = state;
	if (arg && *arg) {
		pk_buf_puts(&st->text, arg);
		st->pending = st->quiet = 1; /* no typing to wait for */
	}
	return PK_OK;
}

static void search_close(struct tui *t, void *state)
{
	struct search *st = state;
	results_free(&st->results, &st->n);
	pk_buf_free(&st->text);
	free(st->searched);
}

static void draw_query(struct tui *t, struct search *st, int y, int cols)
{
	const char *label = _("Search: ");
	/* measured as it will be shown, so the cursor mark lands right */
	char *safe = pk_sanitize_dup(st->text.data, 0);
	const char *text = safe;
	int lw = pk_text_width(label);
	int room = cols - lw - 1; /* the cursor mark takes the last column */
	/* a long query shows its end, where the typing is */
	while (*text && pk_text_width(text) > room) {
		text++;
		while ((*text & 0xc0) == 0x80)
			text++;
	}
	tui_text(t, y, 0, lw, label, TUI_C_LABEL);
	int w = pk_text_width(text);
	tui_text(t, y, lw, w, text, TUI_C_NORMAL);
	tui_fill(t, y, lw + w, 1, TUI_C_SELECTED);
	free(safe);
}

static void draw_info(struct tui *t, struct search *st, int y, int cols)
{
	char line[256];
	const char *keys = _("Enter: open  Esc: back");
	int kw = pk_text_width(keys);
	if (st->error[0]) {
		tui_text(t, y, 0, cols, st->error, TUI_C_ERROR);
		return;
	}
	if (!st->searched && !st->pending) {
		tui_text(t, y, 0, cols,
			 _("Type words to search; add terms like status:open.  Esc: back"),
			 TUI_C_HINT);
		return;
	}
	/* while typing, the count of the results on screen stays */
	if (!st->searched)
		snprintf(line, sizeof(line), "%s", _("searching..."));
	else if (st->n >= MAX_RESULTS)
		snprintf(line, sizeof(line),
			 _("the first %d tickets; add words to narrow the search"), st->n);
	else if (st->n == 0)
		snprintf(line, sizeof(line), "%s", _("no tickets match"));
	else
		snprintf(line, sizeof(line), P_("%d ticket", "%d tickets", st->n), st->n);
	tui_text(t, y, 0, cols, line, TUI_C_HINT);
	if (cols - kw > pk_text_width(line) + 2)
		tui_text(t, y, cols - kw, kw, keys, TUI_C_HINT);
}

static void draw_header(struct tui *t, int y, int cols)
{
	tui_table_header(t, y, cols, columns, NCOLUMNS, -1, NULL);
}

static void draw_row(struct tui *t, int y, int cols, const struct pk_ticket *tk, int selected)
{
	char prio[8];
	snprintf(prio, sizeof(prio), "P%d", tk->priority);
	const char *cells[NCOLUMNS] = { tk->ref, prio, tk->status,
					tk->assignee ? tk->assignee : "-", tk->title };
	tui_table_row(t, y, cols, columns, NCOLUMNS, cells, selected, 1, tk->priority, NULL);
}

static void search_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct search *st = state;
	if ((st->pending && st->quiet) || (st->stale && !st->pending))
		run_search(t, st);
	st->top = top;
	st->page = rows - HEAD_ROWS > 1 ? rows - HEAD_ROWS : 1;
	if (st->sel >= st->n)
		st->sel = st->n > 0 ? st->n - 1 : 0;
	if (st->sel < st->first)
		st->first = st->sel;
	if (st->sel >= st->first + st->page)
		st->first = st->sel - st->page + 1;

	draw_query(t, st, top, cols);
	draw_info(t, st, top + 1, cols);
	if (st->n > 0)
		draw_header(t, top + 2, cols);
	for (int i = 0; i < st->page && st->first + i < st->n; i++)
		draw_row(t, top + HEAD_ROWS + i, cols, st->results[st->first + i],
			 st->first + i == st->sel);

	/* typing may pause: come back to see */
	if (st->pending && !st->quiet)
		tui_wake_after(t, QUIET_MS);
}

static void select_row(struct search *st, int sel)
{
	if (sel >= st->n)
		sel = st->n - 1;
	st->sel = sel < 0 ? 0 : sel;
}

static void edited(struct search *st)
{
	st->pending = 1;
	st->quiet = 0;
}

static void delete_char(struct search *st)
{
	if (!st->text.len)
		return;
	do
		st->text.len--;
	while (st->text.len && (st->text.data[st->text.len] & 0xc0) == 0x80);
	st->text.data[st->text.len] = '\0';
	edited(st);
}

static void delete_word(struct search *st)
{
	while (st->text.len && st->text.data[st->text.len - 1] == ' ')
		st->text.len--;
	while (st->text.len && st->text.data[st->text.len - 1] != ' ')
		st->text.len--;
	if (st->text.data)
		st->text.data[st->text.len] = '\0';
	edited(st);
}

static void insert_char(struct search *st, wint_t ch)
{
	char mb[MB_LEN_MAX];
	mbstate_t ps = { 0 };
	size_t k = wcrtomb(mb, (wchar_t)ch, &ps);
	if (k == (size_t)-1 || st->text.len + k > TEXT_MAX)
		return;
	pk_buf_add(&st->text, mb, k);
	edited(st);
}

static int open_selected(struct tui *t, struct search *st)
{
	if (st->sel < st->n)
		tui_push(t, &tui_view_ticket, st->results[st->sel]->uuid);
	else if (st->pending)
		st->quiet = 1; /* nothing to open yet: search now */
	return TUI_HANDLED;
}

static int search_key(struct tui *t, void *state, wint_t ch, int is_key)
{
	struct search *st = state;
	if (is_key) {
		switch (ch) {
		case KEY_BACKSPACE: delete_char(st); return TUI_HANDLED;
		case KEY_UP: select_row(st, st->sel - 1); return TUI_HANDLED;
		case KEY_DOWN: select_row(st, st->sel + 1); return TUI_HANDLED;
		case KEY_ENTER: return open_selected(t, st);
		default: break;
		}
	} else {
		switch (ch) {
		case 8: /* C-h */
		case 127: delete_char(st); return TUI_HANDLED;
		case 21: /* C-u */
			pk_buf_reset(&st->text);
			edited(st);
			return TUI_HANDLED;
		case 23: delete_word(st); return TUI_HANDLED;		  /* C-w */
		case 14: select_row(st, st->sel + 1); return TUI_HANDLED; /* C-n */
		case 16: select_row(st, st->sel - 1); return TUI_HANDLED; /* C-p */
		case '\n':
		case '\r': return open_selected(t, st);
		case 27: tui_pop(t); return TUI_HANDLED; /* st is gone */
		default:
			if (ch >= ' ' && iswprint(ch)) {
				insert_char(st, ch);
				return TUI_HANDLED;
			}
		}
	}
	return TUI_UNHANDLED; /* the bindings take it */
}

static int search_action(struct tui *t, void *state, enum tui_action a)
{
	struct search *st = state;
	int half = st->page / 2 ? st->page / 2 : 1;
	switch (a) {
	case TUI_UP: select_row(st, st->sel - 1); break;
	case TUI_DOWN: select_row(st, st->sel + 1); break;
	case TUI_PAGE_UP: select_row(st, st->sel - st->page); break;
	case TUI_PAGE_DOWN: select_row(st, st->sel + st->page); break;
	case TUI_HALF_UP: select_row(st, st->sel - half); break;
	case TUI_HALF_DOWN: select_row(st, st->sel + half); break;
	case TUI_FIRST: select_row(st, 0); break;
	case TUI_LAST: select_row(st, st->n - 1); break;
	case TUI_OPEN: return open_selected(t, st);
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

static void search_reload(struct tui *t, void *state)
{
	struct search *st = state;
	st->stale = st->searched != NULL;
}

static int search_level(struct tui *t, void *state)
{
	struct search *st = state;
	return shown_level(t, st);
}

static const struct pk_ticket *search_current(struct tui *t, void *state)
{
	struct search *st = state;
	return st->sel < st->n ? st->results[st->sel] : NULL;
}

static int search_click(struct tui *t, void *state, int y, int x)
{
	struct search *st = state;
	int i = st->first + (y - st->top - HEAD_ROWS);
	if (y < st->top + HEAD_ROWS || i >= st->n)
		return TUI_UNHANDLED;
	if (i == st->sel)
		return open_selected(t, st);
	st->sel = i;
	return TUI_HANDLED | TUI_REDRAW;
}

static const enum tui_action search_hints[] = { TUI_OPEN, TUI_UP, TUI_DOWN, TUI_NONE };

const struct tui_view tui_view_search = {
	.name = "search",
	.state_size = sizeof(struct search),
	.open = search_open,
	.close = search_close,
	.draw = search_draw,
	.action = search_action,
	.key = search_key,
	.tick = search_tick,
	.reload = search_reload,
	.level = search_level,
	.current = search_current,
	.click = search_click,
	.hints = search_hints,
};
