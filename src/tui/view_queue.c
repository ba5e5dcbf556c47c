/* The queue: saved views as tabs, a filter in the query language, sort by
 * column; rows come from the engine a window at a time, never all. */
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/query.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui.h"

/* Columns, and each one's sort key in the query language. */
static const struct tui_column columns[] = {
	{ N_("REF"), 11 },    { N_("P"), 3 },	      { N_("SLA"), 5 }, { N_("AGE"), 5 },
	{ N_("STATUS"), 17 }, { N_("ASSIGNEE"), 11 }, { N_("UPD"), 5 }, { N_("TITLE"), 0 },
};
static const char *const sort_keys[] = { "ref",	   "priority", "sla",	  "created",
					 "status", "assignee", "updated", "title" };
#define NCOLUMNS ((int)PK_ARRAY_LEN(columns))

struct queue {
	int tab;
	char *filter; /* typed with f, added to the tab's query */
	int sort_col; /* -1: the tab's own order */
	int reverse;
	struct pk_query *q;
	char *error; /* the filter's error, shown in place */
	long total;
	long cursor, top;
	int page;		/* list rows on screen at the last draw */
	struct pk_ticket **win; /* rows [win_first, win_first + win_n) */
	long win_first;
	int win_n;
	int level;
};

static void window_free(struct queue *s)
{
	for (int i = 0; i < s->win_n; i++)
		pk_ticket_free(&s->win[i]);
	free(s->win);
	s->win = NULL;
	s->win_n = 0;
}

/* The tab's query without its sort: terms when the user picked a column. */
static char *query_text(struct tui *t, struct queue *s)
{
	const struct tui_saved_view *views;
	int n = tui_saved_views(t, &views);
	struct pk_buf b = { 0 };
	const char *base = n ? views[s->tab].query : "status:open";
	char *copy = pk_xstrdup(base), *save = NULL;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (s->sort_col < 0 || strncmp(tok, "sort:", 5) != 0)
			pk_buf_printf(&b, "%s%s", b.len ? " " : "", tok);
	free(copy);
	if (s->filter && *s->filter)
		pk_buf_printf(&b, "%s%s", b.len ? " " : "", s->filter);
	if (s->sort_col >= 0) {
		/* priority reads best as most urgent first */
		int desc = strcmp(sort_keys[s->sort_col], "priority") == 0 ||
			   strcmp(sort_keys[s->sort_col], "updated") == 0;
		pk_buf_printf(&b, " sort:%s%s", desc != s->reverse ? "-" : "",
			      sort_keys[s->sort_col]);
	}
	return pk_buf_detach(&b);
}

/* Compiles the query and counts; on an error keeps the last good list. */
static void reload(struct tui *t, struct queue *s)
{
	char *text = query_text(t, s);
	struct pk_query *q;
	struct pk_error err;
	int rc = pk_query_compile(tui_cfg(t), tui_user(t), pk_clock_now(), text, 0, &q, &err);
	free(text);
	pk_freep(&s->error);
	if (rc != PK_OK) {
		s->error = pk_xstrdup(err.msg);
		return;
	}
	pk_query_free(&s->q);
	s->q = q;
	window_free(s);
	if (pk_ticket_count(tui_db(t), s->q, &s->total) != PK_OK) {
		tui_fail(t, pk_db_error(tui_db(t))->code);
		s->total = 0;
	}
	if (s->cursor >= s->total)
		s->cursor = s->total > 0 ? s->total - 1 : 0;
}

static int collect(struct pk_ticket *tk, void *data)
{
	struct queue *s = data;
	s->win[s->win_n++] = pk_xcalloc(1, sizeof(struct pk_ticket));
	*s->win[s->win_n - 1] = *tk;
	memset(tk, 0, sizeof(*tk)); /* ownership moves to the window */
	return 0;
}

/* Makes rows [from, from + n) available, fetching a window around them. */
static void ensure_window(struct tui *t, struct queue *s, long from, int n)
{
	if (s->win && from >= s->win_first && from + n <= s->win_first + s->win_n)
		return;
	if (s->win && s->win_first + s->win_n >= s->total && from >= s->win_first)
		return; /* the window already reaches the end */
	window_free(s);
	long first = from - n > 0 ? from - n : 0;
	int limit = 3 * (n > 0 ? n : 1);
	s->win = pk_xcalloc((size_t)limit, sizeof(*s->win));
	s->win_first = first;
	if (s->q && pk_ticket_window(tui_db(t), s->q, first, limit, collect, s) != PK_OK)
		tui_fail(t, pk_db_error(tui_db(t))->code);
}

static struct pk_ticket *row(struct queue *s, long i)
{
	if (i < s->win_first || i >= s->win_first + s->win_n)
		return NULL;
	return s->win[i - s->win_first];
}

static int queue_open(struct tui *t, void *state, const char *arg)
{
	struct queue *s = state;
	s->sort_col = -1;
	if (arg && *arg)
		s->filter = pk_xstrdup(arg);
	reload(t, s);
	return PK_OK;
}

static void queue_close(struct tui *t, void *state)
{
	struct queue *s = state;
	window_free(s);
	pk_query_free(&s->q);
	free(s->filter);
	free(s->error);
}

static void draw_tabs(struct tui *t, struct queue *s, int y, int cols)
{
	const struct tui_saved_view *views;
	int n = tui_saved_views(t, &views), x = 0, first = 0;
	tui_fill(t, y, 0, cols, TUI_C_TAB);
	/* tabs scroll so the active one is always whole on the line, with "<"
	 * saying some are left of it */
	for (;;) {
		int w = first ? 2 : 0;
		for (int i = first; i <= s->tab && i < n; i++) {
			char label[128];
			snprintf(label, sizeof(label), " %s ", views[i].name);
			w += pk_text_width(label) + 1;
		}
		if (w <= cols || first >= s->tab)
			break;
		first++;
	}
	if (first) {
		tui_text(t, y, 0, 2, "<", TUI_C_TAB);
		x = 2;
	}
	for (int i = first; i < n && x < cols; i++) {
		char label[128];
		snprintf(label, sizeof(label), " %s ", views[i].name);
		int w = pk_text_width(label);
		tui_text(t, y, x, w < cols - x ? w : cols - x, label,
			 i == s->tab ? TUI_C_TAB_ACTIVE : TUI_C_TAB);
		x += w + 1;
	}
}

static void draw_row(struct tui *t, struct queue *s, int y, int cols, const struct pk_ticket *tk,
		     int selected)
{
	char prio[4], sla[16], age[16], upd[16];
	int64_t now = pk_clock_now();
	snprintf(prio, sizeof(prio), "P%d", tk->priority);
	enum tui_color colors[NCOLUMNS] = { TUI_C_NORMAL };
	colors[2] = tui_sla_cell(t, tk, sla, sizeof(sla));
	pk_age_format(now - tk->created_at, age, sizeof(age));
	pk_age_format(now - tk->updated_at, upd, sizeof(upd));
	const char *cells[NCOLUMNS] = { tk->ref, prio,	     sla,
					age,	 tk->status, tk->assignee ? tk->assignee : "-",
					upd,	 tk->title };
	tui_table_row(t, y, cols, columns, NCOLUMNS, cells, selected, 1, tk->priority, colors);
	(void)s;
}

static void queue_draw(struct tui *t, void *state, int top, int rows, int cols)
{
	struct queue *s = state;
	draw_tabs(t, s, top, cols);
	int y = top + 1;
	if (s->error) {
		char line[600];
		snprintf(line, sizeof(line), _("filter: %s"), s->error);
		tui_text(t, y++, 0, cols, line, TUI_C_ERROR);
	} else if (s->filter && *s->filter) {
		char line[600];
		snprintf(line, sizeof(line), _("filter: %s   (%ld)"), s->filter, s->total);
		tui_text(t, y++, 0, cols, line, TUI_C_LABEL);
	}
	/* the header, with the sort column marked (UTF-8 arrows, or ASCII) */
	const char *mark = s->reverse ? (MB_CUR_MAX > 1 ? "\xe2\x96\xb2" : "^")
				      : (MB_CUR_MAX > 1 ? "\xe2\x96\xbc" : "v");
	tui_table_header(t, y, cols, columns, NCOLUMNS, s->sort_col, mark);
	y++;
	int list_rows = rows - (y - top);
	s->page = list_rows > 0 ? list_rows : 1;
	/* keep the cursor on screen */
	if (s->cursor < s->top)
		s->top = s->cursor;
	if (s->cursor >= s->top + s->page)
		s->top = s->cursor - s->page + 1;
	if (s->top < 0)
		s->top = 0;
	ensure_window(t, s, s->top, s->page);
	s->level = 0;
	for (int i = 0; i < list_rows; i++) {
		const struct pk_ticket *tk = row(s, s->top + i);
		if (!tk)
			break;
		draw_row(t, s, y + i, cols, tk, s->top + i == s->cursor);
		int rank = pk_class_rank(tui_cfg(t), tk->classification);
		if (rank > s->level)
			s->level = rank;
	}
	if (s->total == 0 && !s->error)
		tui_text(t, y, 1, cols - 1, _("no tickets in this view"), TUI_C_HINT);
}

static void move_cursor(struct queue *s, long delta)
{
	s->cursor += delta;
	if (s->cursor >= s->total)
		s->cursor = s->total - 1;
	if (s->cursor < 0)
		s->cursor = 0;
}

static const struct pk_ticket *queue_current(struct tui *t, void *state)
{
	struct queue *s = state;
	if (s->total == 0)
		return NULL;
	ensure_window(t, s, s->cursor, 1);
	return row(s, s->cursor);
}

static void switch_tab(struct tui *t, struct queue *s, int delta)
{
	const struct tui_saved_view *views;
	int n = tui_saved_views(t, &views);
	if (n == 0)
		return;
	s->tab = (s->tab + delta + n) % n;
	s->cursor = s->top = 0;
	reload(t, s);
}

static int queue_action(struct tui *t, void *state, enum tui_action a)
{
	struct queue *s = state;
	const struct pk_ticket *cur;
	char *text;
	switch (a) {
	case TUI_UP: move_cursor(s, -1); break;
	case TUI_DOWN: move_cursor(s, 1); break;
	case TUI_PAGE_UP: move_cursor(s, -s->page); break;
	case TUI_PAGE_DOWN: move_cursor(s, s->page); break;
	case TUI_HALF_UP: move_cursor(s, -(s->page / 2 ? s->page / 2 : 1)); break;
	case TUI_HALF_DOWN: move_cursor(s, s->page / 2 ? s->page / 2 : 1); break;
	case TUI_FIRST: s->cursor = 0; break;
	case TUI_LAST: s->cursor = s->total > 0 ? s->total - 1 : 0; break;
	case TUI_NEXT_TAB: switch_tab(t, s, 1); break;
	case TUI_PREV_TAB: switch_tab(t, s, -1); break;
	case TUI_OPEN:
		if ((cur = queue_current(t, s)))
			tui_push(t, &tui_view_ticket, cur->uuid);
		break;
	case TUI_FILTER:
		if (tui_prompt(t, _("Filter: "), s->filter, NULL, NULL, &text)) {
			free(s->filter);
			s->filter = text;
			s->cursor = s->top = 0;
			reload(t, s);
		}
		break;
	case TUI_SORT:
		s->sort_col = (s->sort_col + 1) % NCOLUMNS;
		s->reverse = 0;
		reload(t, s);
		break;
	case TUI_REVERSE:
		if (s->sort_col < 0)
			s->sort_col = 1;
		else
			s->reverse = !s->reverse;
		reload(t, s);
		break;
	case TUI_TAKE: tui_command(t, "take"); break;
	case TUI_HANDOVER: tui_push(t, &tui_view_handover, NULL); break;
	default: return TUI_UNHANDLED;
	}
	return TUI_HANDLED | TUI_REDRAW;
}

static void queue_reload(struct tui *t, void *state)
{
	reload(t, state);
}

static int queue_level(struct tui *t, void *state)
{
	return ((struct queue *)state)->level;
}

static int queue_click(struct tui *t, void *state, int y, int x)
{
	struct queue *s = state;
	int first = 3 + ((s->error || (s->filter && *s->filter)) ? 1 : 0);
	long i = s->top + (y - first);
	if (y < first || i >= s->total)
		return TUI_UNHANDLED;
	if (i == s->cursor)
		return queue_action(t, s, TUI_OPEN);
	s->cursor = i;
	(void)x;
	return TUI_HANDLED | TUI_REDRAW;
}

static const enum tui_action queue_hints[] = { TUI_OPEN,     TUI_TAKE, TUI_FILTER, TUI_SEARCH,
					       TUI_NEXT_TAB, TUI_SORT, TUI_NEW,	   TUI_HELP,
					       TUI_QUIT,     TUI_NONE };

const struct tui_view tui_view_queue = {
	.name = "queue",
	.state_size = sizeof(struct queue),
	.open = queue_open,
	.close = queue_close,
	.draw = queue_draw,
	.action = queue_action,
	.reload = queue_reload,
	.level = queue_level,
	.current = queue_current,
	.click = queue_click,
	.hints = queue_hints,
};
