/* The full-screen interface: one app loop, views as tables of functions,
 * actions and colours as data.  Only this directory includes curses. */
#ifndef PICKET_TUI_H
#define PICKET_TUI_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdint.h>
#include <wchar.h>

#include "picket/config.h"
#include "picket/db.h"
#include "picket/ticket.h"
#include "picket/util.h"

/* Every action, once: the enum, its name in picket.conf [keys], its help
 * text and its default keys (space separated key names, see keymap.c). */
#define TUI_ACTIONS(X)                                                                 \
	X(QUIT, "quit", N_("go back; quit from the queue"), "q")                       \
	X(HELP, "help", N_("show the keys of this screen"), "? F1")                    \
	X(COMMAND, "command", N_("command line (:assign bob, :move STATUS, :q)"), ":") \
	X(UP, "up", N_("move up"), "Up k")                                             \
	X(DOWN, "down", N_("move down"), "Down j")                                     \
	X(PAGE_UP, "page-up", N_("page up"), "PageUp C-b")                             \
	X(PAGE_DOWN, "page-down", N_("page down"), "PageDown C-f")                     \
	X(HALF_UP, "half-up", N_("half a page up"), "C-u")                             \
	X(HALF_DOWN, "half-down", N_("half a page down"), "C-d")                       \
	X(FIRST, "first", N_("first line"), "Home g")                                  \
	X(LAST, "last", N_("last line"), "End G")                                      \
	X(OPEN, "open", N_("open the ticket"), "Enter l")                              \
	X(NEXT_TAB, "next-view", N_("next saved view"), "Tab")                         \
	X(PREV_TAB, "prev-view", N_("previous saved view"), "BackTab")                 \
	X(FILTER, "filter", N_("filter with a query"), "f")                            \
	X(SORT, "sort", N_("sort by the next column"), "o")                            \
	X(REVERSE, "reverse", N_("reverse the sort"), "O")                             \
	X(SEARCH, "search", N_("full-text search"), "/")                               \
	X(NEW, "new", N_("new ticket"), "n")                                           \
	X(TAKE, "take", N_("take the ticket"), "t")                                    \
	X(ASSIGN, "assign", N_("assign the ticket"), "a")                              \
	X(MOVE, "move", N_("move to another status"), "m")                             \
	X(COMMENT, "comment", N_("add a public comment"), "c")                         \
	X(NOTE, "note", N_("add an internal note"), "i")                               \
	X(WORKLOG, "worklog", N_("log work"), "w")                                     \
	X(SET, "set", N_("set a field"), "s")                                          \
	X(RESOLVE, "resolve", N_("resolve the ticket"), "r")                           \
	X(REOPEN, "reopen", N_("reopen the ticket"), "R")                              \
	X(ESCALATE, "escalate", N_("escalate to a vendor"), "e")                       \
	X(HANDOVER, "handover", N_("the shift handover report"), "H")                  \
	X(ACK, "acknowledge", N_("acknowledge the handover notes"), "A")               \
	X(SYNC, "sync", N_("sync with the server now"), "S")                           \
	X(REFRESH, "refresh", N_("reload from the database"), "C-l")

enum tui_action {
	TUI_NONE = 0,
#define TUI_ACTION_ENUM(id, name, help, keys) TUI_##id,
	TUI_ACTIONS(TUI_ACTION_ENUM)
#undef TUI_ACTION_ENUM
		TUI_ACTION_COUNT
};

/* Colour roles: themes/NAME.ini name them, views draw with them. */
#define TUI_COLORS(X)                           \
	X(NORMAL, "normal")                     \
	X(HEADER, "header")                     \
	X(SELECTED, "selected")                 \
	X(STATUS, "status")                     \
	X(HINT, "hint")                         \
	X(ERROR, "error")                       \
	X(TAB, "tab")                           \
	X(TAB_ACTIVE, "tab-active")             \
	X(P1, "p1")                             \
	X(P2, "p2")                             \
	X(P3, "p3")                             \
	X(P4, "p4")                             \
	X(WARN, "warn")                         \
	X(BREACH, "breach")                     \
	X(LABEL, "label")                       \
	X(COMMENT_PUBLIC, "comment-public")     \
	X(COMMENT_INTERNAL, "comment-internal") \
	X(WORKLOG, "worklog")                   \
	X(HISTORY, "history")                   \
	X(BANNER_0, "banner-0")                 \
	X(BANNER_1, "banner-1")                 \
	X(BANNER_2, "banner-2")                 \
	X(BANNER_3, "banner-3")                 \
	X(BANNER_4, "banner-4")

enum tui_color {
#define TUI_COLOR_ENUM(id, name) TUI_C_##id,
	TUI_COLORS(TUI_COLOR_ENUM)
#undef TUI_COLOR_ENUM
		TUI_COLOR_COUNT
};

/* What a view's handler did. */
enum tui_result {
	TUI_UNHANDLED = 0,
	TUI_HANDLED = 1 << 0,
	TUI_REDRAW = 1 << 1,
};

struct tui;

/* A screen.  Each view_<name>.c exports one of these. */
struct tui_view {
	const char *name;
	size_t state_size;
	/* arg: what to show (a ticket uuid, a query); may be NULL */
	int (*open)(struct tui *t, void *state, const char *arg);
	void (*close)(struct tui *t, void *state);
	/* draws the body: rows x cols from (top, 0) */
	void (*draw)(struct tui *t, void *state, int top, int rows, int cols);
	int (*action)(struct tui *t, void *state, enum tui_action a);
	/* every key, before the bindings, for views that read text; returns
	 * TUI_UNHANDLED to let the bindings have it; may be NULL */
	int (*key)(struct tui *t, void *state, wint_t ch, int is_key);
	/* the wake asked with tui_wake_after() came (no key meanwhile) */
	void (*tick)(struct tui *t, void *state);
	/* the data changed (this process or another): reload */
	void (*reload)(struct tui *t, void *state);
	/* the highest classification rank on screen, -1 for none */
	int (*level)(struct tui *t, void *state);
	/* the ticket under the cursor (for :commands), or NULL */
	const struct pk_ticket *(*current)(struct tui *t, void *state);
	/* a mouse click at (y, x) on the screen; may be NULL */
	int (*click)(struct tui *t, void *state, int y, int x);
	/* actions the hint line names, TUI_NONE-terminated; NULL: help, quit */
	const enum tui_action *hints;
};

extern const struct tui_view tui_view_queue;
extern const struct tui_view tui_view_ticket;
extern const struct tui_view tui_view_form;
extern const struct tui_view tui_view_search;
extern const struct tui_view tui_view_help;
extern const struct tui_view tui_view_handover;

/* Runs the interface until the user quits.  Returns a picket status. */
int tui_run(struct pk_db *db, const struct pk_config *cfg, const char *user);

/* app.c: the view stack, messages and shared state */
void tui_push(struct tui *t, const struct tui_view *v, const char *arg);
void tui_pop(struct tui *t);
/* A line at the bottom until the next key: information or an error. */
void tui_message(struct tui *t, int error, const char *fmt, ...) PK_PRINTF(3, 4);
/* The engine's last error as a message; returns `status`. */
int tui_fail(struct tui *t, int status);
void tui_redraw(struct tui *t);
struct pk_db *tui_db(struct tui *t);
const struct pk_config *tui_cfg(struct tui *t);
const char *tui_user(struct tui *t);
/* Every view gets reload() after the data changed. */
void tui_changed(struct tui *t);
/* Starts `picket sync` in the background now (app.c); the status bar
 * follows it and the result shows on the message line. */
void tui_sync_now(struct tui *t);
/* Calls the top view's tick() and redraws after `ms` milliseconds unless a
 * key comes first (a key cancels it; a view asks again while it waits). */
void tui_wake_after(struct tui *t, int ms);

/* draw.c: all text reaches the screen through these, sanitized */
void tui_text(struct tui *t, int y, int x, int width, const char *s, enum tui_color c);
/* Word-wraps s (sanitized, newlines kept) into width columns starting at
 * row y, skipping the first `skip` wrapped lines and drawing at most
 * `rows`; returns the number of wrapped lines s has in all. */
int tui_wrap(struct tui *t, int y, int x, int width, int skip, int rows, const char *s,
	     enum tui_color c);
void tui_fill(struct tui *t, int y, int x, int width, enum tui_color c);

/* A table column: its heading (untranslated, N_()) and width in columns
 * (0: the rest of the line). */
struct tui_column {
	const char *title;
	int width;
};
/* The heading line of a table; column `marked` (or -1) gets `mark` after
 * its title (the sort arrow). */
void tui_table_header(struct tui *t, int y, int cols, const struct tui_column *columns, int n,
		      int marked, const char *mark);
/* One table row of cells, highlighted when selected; the cell in column
 * `prio_col` (or -1) takes the colour of `priority` 1..4, and a cell whose
 * entry in `colors` (may be NULL) is not TUI_C_NORMAL takes that colour. */
void tui_table_row(struct tui *t, int y, int cols, const struct tui_column *columns, int n,
		   const char *const *cells, int selected, int prio_col, int priority,
		   const enum tui_color *colors);
/* The SLA cell of a ticket row: time left to the next target ("2h"), how
 * long ago it breached ("-45m"), "||" paused, "-" none; and its colour. */
enum tui_color tui_sla_cell(struct tui *t, const struct pk_ticket *tk, char *buf, size_t len);
attr_t tui_attr(struct tui *t, enum tui_color c);
/* The colour role of a priority 1..4. */
enum tui_color tui_priority_color(int priority);

/* prompt.c: modal input on the message line */
typedef int (*tui_complete_fn)(void *data, const char *prefix, char ***matches);
/* Reads a line; returns 1 with *out (owned by the caller) or 0 when
 * cancelled with Escape or Ctrl-G.  Tab completes through `complete`. */
int tui_prompt(struct tui *t, const char *label, const char *initial, tui_complete_fn complete,
	       void *data, char **out);
/* Picks one of n items from a menu; returns its index or -1. */
int tui_choose(struct tui *t, const char *title, const char *const *items, int n);
/* Long text: $VISUAL or $EDITOR with curses suspended, else a built-in
 * multi-line editor.  Returns 1 with *out, 0 when left empty/cancelled. */
int tui_edit_text(struct tui *t, const char *what, const char *initial, char **out);

/* Saved views (picket.conf [views], or the defaults): name and query. */
struct tui_saved_view {
	char *name;
	char *query;
};
int tui_saved_views(struct tui *t, const struct tui_saved_view **views);

/* cmdline.c: the `:` line, the CLI's verbs on the current ticket */
void tui_command_line(struct tui *t);
/* Runs one command line ("assign bob", "move pending_vendor", "q"). */
int tui_command(struct tui *t, const char *line);

/* keymap.c: keys are data */
const char *tui_action_name(enum tui_action a);
const char *tui_action_help(enum tui_action a);
/* The keys bound to `a`, as names ("j Down"), appended to out. */
void tui_action_keys(struct tui *t, enum tui_action a, struct pk_buf *out);

#endif
