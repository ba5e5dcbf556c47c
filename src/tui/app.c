/* The app: terminal set-up and restore, the view stack, the loop that
 * turns keys into actions, the banner and status lines, live refresh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "picket/clock.h"
#include "picket/desk.h"
#include "picket/escalate.h"
#include "picket/sync.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/query.h"
#include "picket/status.h"
#include "picket/text.h"
#include "tui_private.h"

#define MIN_ROWS 24
#define MIN_COLS 80

static volatile sig_atomic_t got_signal;
static int curses_on;

struct pk_db *tui_db(struct tui *t)
{
	return t->db;
}
const struct pk_config *tui_cfg(struct tui *t)
{
	return t->cfg;
}
const char *tui_user(struct tui *t)
{
	return t->user;
}
void tui_redraw(struct tui *t)
{
	t->redraw = 1;
}

void tui_wake_after(struct tui *t, int ms)
{
	if (ms > 0 && (t->wake_ms == 0 || ms < t->wake_ms))
		t->wake_ms = ms;
}

void tui_message(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
	t->message_error = error;
	t->redraw = 1;
}

int tui_fail(struct tui *t, int status)
{
	const struct pk_error *e = pk_db_error(t->db);
	tui_message(t, 1, "%s", e->msg[0] ? e->msg : pk_strerror(status));
	return status;
}

void tui_push(struct tui *t, const struct tui_view *v, const char *arg)
{
	if (t->depth == TUI_MAX_VIEWS) {
		tui_message(t, 1, "%s", _("too many screens open: go back first"));
		return;
	}
	void *state = pk_xcalloc(1, v->state_size ? v->state_size : 1);
	t->stack[t->depth].view = v;
	t->stack[t->depth].state = state;
	t->depth++;
	if (v->open && v->open(t, state, arg) != PK_OK) {
		t->depth--;
		if (v->close)
			v->close(t, state);
		free(state);
	}
	t->redraw = 1;
}

void tui_pop(struct tui *t)
{
	if (t->depth == 0)
		return;
	struct tui_frame *f = &t->stack[--t->depth];
	if (f->view->close)
		f->view->close(t, f->state);
	free(f->state);
	f->state = NULL;
	if (t->depth == 0)
		t->quit = 1;
	t->redraw = 1;
}

/* Who is on call for the user's group (or the first rota), for the status
 * bar. */
static void oncall_now(struct tui *t)
{
	const char **groups;
	int n = pk_rota_groups(t->cfg, &groups);
	t->oncall[0] = '\0';
	if (!n)
		return;
	char *mine = pk_user_group(t->cfg, t->user);
	const char *group = groups[0];
	for (int i = 0; mine && i < n; i++)
		if (strcasecmp(groups[i], mine) == 0)
			group = groups[i];
	struct pk_duty d;
	if (pk_oncall(t->db, group, pk_clock_now(), &d) == PK_OK) {
		snprintf(t->oncall, sizeof(t->oncall), "%s (%s)", d.person, d.group);
		pk_duty_clear(&d);
	}
	free(mine);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts picket itself with args, detached from the terminal: stdout to
 * /dev/null, stderr to a pipe read when it ends. */
static void job_start(struct tui *t, struct tui_job *j, const char *const *args)
{
	int fds[2] = { -1, -1 };
	if (pipe(fds) != 0)
		fds[0] = fds[1] = -1;
	j->last = mono_ms();
	pid_t pid = fork();
	if (pid != 0) {
		if (fds[1] >= 0)
			close(fds[1]);
		j->pid = pid > 0 ? pid : 0;
		j->errfd = pid > 0 ? fds[0] : -1;
		if (pid < 0 && fds[0] >= 0)
			close(fds[0]);
		return;
	}
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(fds[1] >= 0 ? fds[1] : devnull, STDERR_FILENO);
	}
	setpgid(0, 0);
	char *argv[16];
	int n = 0;
	argv[n++] = "picket";
	argv[n++] = "--db";
	argv[n++] = (char *)pk_db_path(t->db);
	if (t->cfg->path) {
		argv[n++] = "--config";
		argv[n++] = t->cfg->path;
	}
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	/* this very program, by its path first: under valgrind (and other
	 * loaders) /proc/self/exe is the loader, while its link names the
	 * program; a binary replaced or removed since falls back to the one
	 * still mapped */
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		execv(exe, argv);
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* 1 when the job has ended (or never ran); *status gets its exit status
 * and msg the first line it wrote to stderr. */
static int job_done(struct tui_job *j, int *status, char *msg, size_t len)
{
	if (msg && len)
		msg[0] = '\0';
	if (j->pid <= 0)
		return 1;
	int ws;
	if (waitpid(j->pid, &ws, WNOHANG) == 0)
		return 0;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
	j->pid = 0;
	if (j->errfd >= 0) {
		if (msg && len) {
			ssize_t n = read(j->errfd, msg, len - 1);
			msg[n > 0 ? n : 0] = '\0';
			msg[strcspn(msg, "\r\n")] = '\0';
		}
		close(j->errfd);
		j->errfd = -1;
	}
	return 1;
}

static int job_due(const struct tui_job *j, int64_t interval_ms)
{
	return interval_ms > 0 && (!j->last || mono_ms() - j->last >= interval_ms);
}

/* The escalation rules run in the background while the interface is open:
 * a child `picket escalate --run --quiet` every escalate.interval seconds,
 * so a slow notify command never holds up a key press. */
static void escalate_tick(struct tui *t)
{
	static const char *const args[] = { "escalate", "--run", "--quiet", NULL };
	int status;
	if (!job_done(&t->escalate, &status, NULL, 0))
		return;
	if (job_due(&t->escalate, pk_escalate_interval(t->cfg) * 1000LL))
		job_start(t, &t->escalate, args);
}

/* The sync line of the status bar, from the database (another process may
 * have synced). */
static void sync_state(struct tui *t)
{
	struct pk_sync_state st;
	if (!t->sync_configured) {
		snprintf(t->sync_state, sizeof(t->sync_state), "%s", _("sync: off"));
		return;
	}
	if (t->sync.pid > 0) {
		snprintf(t->sync_state, sizeof(t->sync_state), "%s", _("sync: running"));
		return;
	}
	if (pk_sync_state(t->db, &st) != PK_OK)
		return;
	char age[16];
	int n;
	if (st.last_ok) {
		pk_age_format(pk_clock_now() - st.last_ok, age, sizeof(age));
		n = snprintf(t->sync_state, sizeof(t->sync_state), _("sync: %s ago"), age);
	} else {
		n = snprintf(t->sync_state, sizeof(t->sync_state), "%s", _("sync: never"));
	}
	if (st.pending > 0 && n > 0 && (size_t)n < sizeof(t->sync_state))
		n += snprintf(t->sync_state + n, sizeof(t->sync_state) - (size_t)n,
			      _(", %lld to push"), (long long)st.pending);
	if (st.conflicts > 0 && n > 0 && (size_t)n < sizeof(t->sync_state))
		snprintf(t->sync_state + n, sizeof(t->sync_state) - (size_t)n,
			 P_(", %lld conflict", ", %lld conflicts", (unsigned long)st.conflicts),
			 (long long)st.conflicts);
}

static void sync_start(struct tui *t, int manual)
{
	static const char *const args[] = { "sync", "--quiet", NULL };
	t->sync_manual = manual;
	job_start(t, &t->sync, args);
	sync_state(t);
	t->redraw = 1;
}

void tui_sync_now(struct tui *t)
{
	if (!t->sync_configured) {
		tui_message(t, 1, "%s", _("no sync server: set url in the [sync] section"));
		return;
	}
	if (t->sync.pid > 0) {
		tui_message(t, 0, "%s", _("a sync is running already"));
		return;
	}
	sync_start(t, 1);
}

/* Automatic sync every sync.interval minutes, and the end of a run. */
static void sync_tick(struct tui *t)
{
	int status = 0;
	char msg[256];
	if (t->sync.pid > 0) {
		if (!job_done(&t->sync, &status, msg, sizeof(msg)))
			return;
		if (status != 0) {
			/* "picket: " starts every error line */
			const char *why = strncmp(msg, "picket: ", 8) == 0 ? msg + 8 : msg;
			tui_message(t, 1, _("sync failed: %s"), *why ? why : _("see picket sync"));
		} else if (t->sync_manual) {
			tui_message(t, 0, "%s", _("synced"));
		}
		sync_state(t);
		t->redraw = 1;
		return;
	}
	if (t->sync_configured && job_due(&t->sync, pk_sync_interval(t->cfg) * 60000LL))
		sync_start(t, 0);
}

/* Open tickets and those past their resolution target, for the status
 * bar; counted when the data changes, not on every key. */
static void count_tickets(struct tui *t)
{
	struct pk_query *q;
	struct pk_error err;
	t->open_count = 0;
	if (pk_query_compile(t->cfg, t->user, pk_clock_now(), "status:open", 0, &q, &err) ==
	    PK_OK) {
		pk_ticket_count(t->db, q, &t->open_count);
		pk_query_free(&q);
	}
	t->breach_count = 0;
	pk_ticket_count_overdue(t->db, pk_clock_now(), &t->breach_count);
	oncall_now(t);
	sync_state(t);
}

void tui_changed(struct tui *t)
{
	count_tickets(t);
	for (int i = 0; i < t->depth; i++)
		if (t->stack[i].view->reload)
			t->stack[i].view->reload(t, t->stack[i].state);
	t->redraw = 1;
}

static void draw_banner(struct tui *t, int y, int level)
{
	const struct pk_config *cfg = t->cfg;
	if (level < 0)
		level = 0;
	if (level >= cfg->nlevels)
		level = cfg->nlevels - 1;
	int role = TUI_C_BANNER_0 + (level > 4 ? 4 : level);
	tui_fill(t, y, 0, t->cols, (enum tui_color)role);
	const char *name = cfg->levels[level];
	int w = (int)strlen(name);
	tui_text(t, y, (t->cols - w) / 2 > 0 ? (t->cols - w) / 2 : 0, w, name,
		 (enum tui_color)role);
}

static void draw_status(struct tui *t, int y)
{
	char line[512];
	const char *path = pk_db_path(t->db);
	const char *base = strrchr(path, '/');
	int n = snprintf(line, sizeof(line), _(" %s (%s)@%s  %s  open %ld  breaching %ld"), t->user,
			 t->role, t->cfg->node, base ? base + 1 : path, t->open_count,
			 t->breach_count);
	if (t->oncall[0] && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, _("  on call: %s"), t->oncall);
	if (n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, "  %s", t->sync_state);
	tui_fill(t, y, 0, t->cols, TUI_C_STATUS);
	tui_text(t, y, 0, t->cols, line, TUI_C_STATUS);
}

static void draw_hints(struct tui *t, int y, const struct tui_frame *f)
{
	static const enum tui_action common[] = { TUI_HELP, TUI_QUIT, TUI_NONE };
	const enum tui_action *hints = f->view->hints ? f->view->hints : common;
	struct pk_buf b = { 0 };
	for (int i = 0; hints[i] != TUI_NONE; i++) {
		struct pk_buf keys = { 0 };
		tui_keymap_keys(&t->keys, hints[i], &keys);
		if (keys.len) {
			char *sp = strchr(keys.data, ' ');
			if (sp)
				*sp = '\0'; /* the first key is enough for a hint */
			char item[96];
			snprintf(item, sizeof(item), "%s%s:%s", b.len ? "  " : "", keys.data,
				 tui_action_name(hints[i]));
			/* whole hints only: the last ones give way on a narrow screen */
			if (pk_text_width(b.data ? b.data : "") + pk_text_width(item) > t->cols) {
				pk_buf_free(&keys);
				break;
			}
			pk_buf_puts(&b, item);
		}
		pk_buf_free(&keys);
	}
	tui_text(t, y, 0, t->cols, b.data ? b.data : "", TUI_C_HINT);
	pk_buf_free(&b);
}

/* The message line; a message too long for it takes the hint line as
 * well, so a refused move still lists the statuses it allows. */
void tui_draw_message(struct tui *t)
{
	enum tui_color c = t->message_error ? TUI_C_ERROR : TUI_C_NORMAL;
	int lines = tui_wrap(t, 0, 0, t->cols, 0, 0, t->message, c);
	if (lines > 1) {
		tui_fill(t, t->rows - 4, 0, t->cols, c);
		tui_wrap(t, t->rows - 4, 0, t->cols, 0, 1, t->message, c);
		tui_fill(t, t->rows - 2, 0, t->cols, c);
		tui_wrap(t, t->rows - 2, 0, t->cols, 1, 1, t->message, c);
	} else {
		tui_text(t, t->rows - 2, 0, t->cols, t->message, c);
	}
}

static void draw(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	erase();
	if (t->rows < MIN_ROWS || t->cols < MIN_COLS) {
		char msg[160];
		snprintf(msg, sizeof(msg), _("picket needs at least %dx%d; this terminal is %dx%d"),
			 MIN_COLS, MIN_ROWS, t->cols, t->rows);
		mvaddnstr(t->rows / 2, 0, msg, t->cols);
		refresh();
		return;
	}
	struct tui_frame *f = &t->stack[t->depth - 1];
	t->redraw = 0; /* cleared first: a view may ask for another frame */
	f->view->draw(t, f->state, 1, t->rows - 5, t->cols);
	/* after drawing: the banner names the highest level now on screen */
	int level = f->view->level ? f->view->level(t, f->state) : 0;
	draw_banner(t, 0, level);
	draw_hints(t, t->rows - 4, f);
	draw_status(t, t->rows - 3);
	if (t->message[0])
		tui_draw_message(t);
	draw_banner(t, t->rows - 1, level);
	refresh();
}

void tui_draw_banners(struct tui *t)
{
	struct tui_frame *f = &t->stack[t->depth - 1];
	int level = f->view->level ? f->view->level(t, f->state) : 0;
	draw_banner(t, 0, level);
	draw_banner(t, t->rows - 1, level);
}

static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = 0;
		endwin();
	}
}

static void on_signal(int sig)
{
	got_signal = sig;
}

/* A crash still gives the terminal back before the default action. */
static void on_crash(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Keys no view claimed. */
static void generic_action(struct tui *t, enum tui_action a)
{
	switch (a) {
	case TUI_QUIT: tui_pop(t); break;
	case TUI_HELP: tui_push(t, &tui_view_help, t->stack[t->depth - 1].view->name); break;
	case TUI_COMMAND: tui_command_line(t); break;
	case TUI_SYNC: tui_sync_now(t); break;
	case TUI_REFRESH:
		clearok(curscr, TRUE);
		tui_changed(t);
		break;
	case TUI_SEARCH: tui_push(t, &tui_view_search, NULL); break;
	case TUI_NEW: tui_push(t, &tui_view_form, NULL); break;
	default: break;
	}
}

static void handle_key(struct tui *t, wint_t ch, int is_key)
{
	struct tui_frame *f = &t->stack[t->depth - 1];
	/* a view that reads text sees keys before the bindings */
	if (f->view->key && f->view->key(t, f->state, ch, is_key) != TUI_UNHANDLED) {
		t->redraw = 1;
		return;
	}
	enum tui_action a = tui_keymap_lookup(&t->keys, ch, is_key);
	if (a == TUI_NONE)
		return;
	int r = f->view->action ? f->view->action(t, f->state, a) : TUI_UNHANDLED;
	if (r == TUI_UNHANDLED)
		generic_action(t, a);
	t->redraw = 1;
}

int tui_run(struct pk_db *db, const struct pk_config *cfg, const char *user)
{
	struct tui *t = pk_xcalloc(1, sizeof(*t));
	struct pk_error err = { 0 };
	int rc;
	t->db = db;
	t->cfg = cfg;
	t->user = user;
	t->utf8 = MB_CUR_MAX > 1;
	t->ascii = !t->utf8;
	if ((rc = tui_keymap_load(&t->keys, cfg, &err)) != PK_OK ||
	    (rc = tui_views_load(t, &err)) != PK_OK) {
		fprintf(stderr, "picket: %s\n", err.msg);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s",
			_("picket: the full-screen interface needs a terminal; "
			  "see picket list and picket --help\n"));
		rc = PK_EUSAGE;
		goto out;
	}
	install_signals();
	atexit(restore_terminal);
	if (!initscr()) {
		rc = PK_EIO;
		goto out;
	}
	curses_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	timeout(1000); /* wake every second to notice changes made elsewhere */
	if ((rc = tui_theme_load(t, &err)) != PK_OK) {
		restore_terminal();
		fprintf(stderr, "picket: %s\n", err.msg);
		goto out;
	}
	if (tui_mouse_enabled(t))
		mousemask(BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	t->role = pk_user_role(cfg, user);
	t->escalate.errfd = t->sync.errfd = -1;
	const char *url = pk_config_str(cfg, "sync.url");
	t->sync_configured = url && *url;
	pk_db_changed_elsewhere(db);
	count_tickets(t);
	tui_push(t, &tui_view_queue, NULL);
	t->redraw = 1;
	while (!t->quit && t->depth > 0) {
		if (got_signal)
			break;
		if (t->redraw)
			draw(t);
		wint_t ch;
		escalate_tick(t);
		sync_tick(t);
		timeout(t->wake_ms ? t->wake_ms : 1000);
		int r = get_wch(&ch);
		if (r == ERR) {
			if (t->wake_ms) {
				struct tui_frame *f = &t->stack[t->depth - 1];
				t->wake_ms = 0;
				if (f->view->tick)
					f->view->tick(t, f->state);
				t->redraw = 1;
			}
			if (pk_db_changed_elsewhere(db))
				tui_changed(t);
			continue;
		}
		t->wake_ms = 0;
		t->message[0] = '\0';
		if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
			t->redraw = 1;
			continue;
		}
		if (r == KEY_CODE_YES && ch == KEY_MOUSE) {
			tui_mouse(t);
			continue;
		}
		if (t->rows < MIN_ROWS || t->cols < MIN_COLS) {
			if (ch == 'q')
				break;
			continue;
		}
		handle_key(t, ch, r == KEY_CODE_YES);
		if (pk_db_changed_elsewhere(db))
			tui_changed(t);
	}
	while (t->depth > 0)
		tui_pop(t);
	restore_terminal();
	/* runs in flight finish on their own */
	int ignored;
	job_done(&t->escalate, &ignored, NULL, 0);
	job_done(&t->sync, &ignored, NULL, 0);
	rc = PK_OK;
out:
	tui_views_free(t);
	free(t->role);
	free(t);
	return rc;
}
