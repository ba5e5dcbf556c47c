/* Private to src/tui: the app's state, shared by app.c, draw.c, keymap.c,
 * theme.c and prompt.c.  Views use only tui.h. */
#ifndef PICKET_TUI_PRIVATE_H
#define PICKET_TUI_PRIVATE_H

#include <sys/types.h>

#include "tui.h"

#define TUI_MAX_BINDINGS 256
#define TUI_MAX_VIEWS	 8

struct tui_key {
	wint_t ch;
	int is_key; /* a KEY_* code rather than a character */
	enum tui_action action;
};

struct tui_keymap {
	struct tui_key b[TUI_MAX_BINDINGS];
	int n;
};

struct tui_frame {
	const struct tui_view *view;
	void *state;
};

/* A background run of picket itself (so nothing slow holds up a key). */
struct tui_job {
	pid_t pid;    /* running, or 0 */
	int64_t last; /* monotonic ms of the last start */
	int errfd;    /* read end of its standard error, or -1 */
};

struct tui {
	struct pk_db *db;
	const struct pk_config *cfg;
	const char *user;
	char *role; /* from [users], technician by default */
	struct tui_keymap keys;
	attr_t attrs[TUI_COLOR_COUNT];
	int utf8;  /* the locale speaks UTF-8: line drawing, wide text */
	int ascii; /* sanitize to ASCII */

	struct tui_frame stack[TUI_MAX_VIEWS];
	int depth;

	char message[512];
	int message_error;
	int redraw;
	int wake_ms; /* a view asked for a tick after this long */
	int quit;
	int rows, cols;
	long open_count, breach_count; /* for the status bar */
	char oncall[160];	       /* "bob (network)", or "" without a rota */
	struct tui_job escalate;       /* `picket escalate --run` every escalate.interval */
	struct tui_job sync;	       /* `picket sync` every sync.interval, or on S */
	int sync_configured;	       /* [sync] url is set */
	int sync_manual;	       /* the running sync was asked for: report it */
	char sync_state[160];	       /* "sync: 5m ago, 3 to push, 1 conflict" */
	struct tui_saved_view *views;
	int nviews;
	int mouse;
};

int tui_keymap_load(struct tui_keymap *km, const struct pk_config *cfg, struct pk_error *err);
enum tui_action tui_keymap_lookup(const struct tui_keymap *km, wint_t ch, int is_key);
void tui_keymap_keys(const struct tui_keymap *km, enum tui_action a, struct pk_buf *out);

/* views.c */
int tui_views_load(struct tui *t, struct pk_error *err);
void tui_views_free(struct tui *t);
int tui_mouse_enabled(struct tui *t);
void tui_mouse(struct tui *t);

/* app.c: the classification banners, for screens drawn outside a view */
void tui_draw_banners(struct tui *t);
void tui_draw_message(struct tui *t);

/* theme.c */
int tui_theme_load(struct tui *t, struct pk_error *err);

#endif
