/* Modal input: a line editor on the message line, a menu, and long text
 * through $VISUAL/$EDITOR (curses suspended) or a built-in editor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/text.h"
#include "tui_private.h"

#define LINE_MAX_CHARS 1024

static char *to_utf8(const wchar_t *w, size_t n)
{
	struct pk_buf b = { 0 };
	mbstate_t st = { 0 };
	char mb[MB_LEN_MAX];
	for (size_t i = 0; i < n; i++) {
		size_t k = wcrtomb(mb, w[i], &st);
		if (k != (size_t)-1)
			pk_buf_add(&b, mb, k);
	}
	return pk_buf_detach(&b);
}

static size_t from_utf8(const char *s, wchar_t *w, size_t max)
{
	mbstate_t st = { 0 };
	size_t n = 0, len = strlen(s);
	while (*s && n < max) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, len, &st);
		if (k == 0 || k == (size_t)-1 || k == (size_t)-2)
			break;
		w[n++] = wc;
		s += k;
		len -= k;
	}
	return n;
}

/* Completes the word before the cursor; returns the new length. */
static size_t complete(struct tui *t, wchar_t *buf, size_t n, size_t *cur, tui_complete_fn fn,
		       void *data)
{
	size_t start = *cur;
	while (start > 0 && buf[start - 1] != ' ')
		start--;
	char *prefix = to_utf8(buf + start, *cur - start);
	char **matches = NULL;
	int m = fn(data, prefix, &matches);
	if (m <= 0) {
		tui_message(t, 0, "%s", _("no completion"));
	} else {
		/* the longest common prefix of all matches */
		size_t common = strlen(matches[0]);
		for (int i = 1; i < m; i++) {
			size_t k = 0;
			while (k < common && matches[i][k] == matches[0][k])
				k++;
			common = k;
		}
		char *ins = pk_xstrndup(matches[0], common);
		wchar_t w[LINE_MAX_CHARS];
		size_t wn = from_utf8(ins, w, LINE_MAX_CHARS);
		if (n - (*cur - start) + wn + 1 < LINE_MAX_CHARS) {
			memmove(buf + start + wn, buf + *cur, (n - *cur) * sizeof(wchar_t));
			memcpy(buf + start, w, wn * sizeof(wchar_t));
			n = n - (*cur - start) + wn;
			*cur = start + wn;
			/* a whole word is done: a space, unless it asks for more */
			if (m == 1 && *cur == n && n + 1 < LINE_MAX_CHARS && common &&
			    matches[0][common - 1] != '=')
				buf[n++] = ' ', (*cur)++;
		}
		free(ins);
		if (m > 1) {
			struct pk_buf list = { 0 };
			for (int i = 0; i < m && list.len < 400; i++)
				pk_buf_printf(&list, "%s%s", i ? " " : "", matches[i]);
			tui_message(t, 0, "%s", list.data);
			pk_buf_free(&list);
		}
	}
	for (int i = 0; i < m; i++)
		free(matches[i]);
	free(matches);
	free(prefix);
	return n;
}

static void draw_line(struct tui *t, const char *label, const wchar_t *buf, size_t n, size_t cur)
{
	int y = t->rows - 2;
	int lw = pk_text_width(label);
	int room = t->cols - lw - 1;
	/* scroll so the cursor stays visible */
	size_t first = cur > (size_t)room ? cur - (size_t)room : 0;
	char *text = to_utf8(buf + first, n - first);
	/* completions and errors show on the hint line, above the prompt */
	tui_fill(t, t->rows - 4, 0, t->cols, TUI_C_HINT);
	if (t->message[0])
		tui_text(t, t->rows - 4, 0, t->cols, t->message,
			 t->message_error ? TUI_C_ERROR : TUI_C_HINT);
	tui_fill(t, y, 0, t->cols, TUI_C_NORMAL);
	tui_text(t, y, 0, lw, label, TUI_C_LABEL);
	tui_text(t, y, lw, room, text, TUI_C_NORMAL);
	char *before = to_utf8(buf + first, cur - first);
	int cx = lw + pk_text_width(before);
	free(before);
	free(text);
	move(y, cx < t->cols ? cx : t->cols - 1);
	refresh();
}

int tui_prompt(struct tui *t, const char *label, const char *initial, tui_complete_fn fn,
	       void *data, char **out)
{
	wchar_t buf[LINE_MAX_CHARS];
	size_t n = initial ? from_utf8(initial, buf, LINE_MAX_CHARS - 1) : 0, cur = n;
	int done = 0;
	*out = NULL;
	curs_set(1);
	timeout(-1);
	while (!done) {
		if (t->redraw) {
			/* a completion list or a resize: repaint underneath first */
			t->redraw = 0;
		}
		draw_line(t, label, buf, n, cur);
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR)
			continue;
		if (r == KEY_CODE_YES) {
			switch (ch) {
			case KEY_LEFT:
				if (cur > 0)
					cur--;
				break;
			case KEY_RIGHT:
				if (cur < n)
					cur++;
				break;
			case KEY_HOME: cur = 0; break;
			case KEY_END: cur = n; break;
			case KEY_BACKSPACE:
				if (cur > 0) {
					memmove(buf + cur - 1, buf + cur,
						(n - cur) * sizeof(wchar_t));
					cur--, n--;
				}
				break;
			case KEY_DC:
				if (cur < n) {
					memmove(buf + cur, buf + cur + 1,
						(n - cur - 1) * sizeof(wchar_t));
					n--;
				}
				break;
			case KEY_ENTER: done = 1; break;
			default: break;
			}
			continue;
		}
		switch (ch) {
		case '\r':
		case '\n': done = 1; break;
		case 27: /* Esc */
		case 7: /* C-g */ done = -1; break;
		case 1: cur = 0; break; /* C-a */
		case 5: cur = n; break; /* C-e */
		case 8:			/* C-h */
		case 127:
			if (cur > 0) {
				memmove(buf + cur - 1, buf + cur, (n - cur) * sizeof(wchar_t));
				cur--, n--;
			}
			break;
		case 21: /* C-u */
			memmove(buf, buf + cur, (n - cur) * sizeof(wchar_t));
			n -= cur, cur = 0;
			break;
		case 11: n = cur; break; /* C-k */
		case 23: {		 /* C-w: the word before the cursor */
			size_t s = cur;
			while (s > 0 && buf[s - 1] == ' ')
				s--;
			while (s > 0 && buf[s - 1] != ' ')
				s--;
			memmove(buf + s, buf + cur, (n - cur) * sizeof(wchar_t));
			n -= cur - s, cur = s;
			break;
		}
		case '\t':
			if (fn)
				n = complete(t, buf, n, &cur, fn, data);
			break;
		default:
			if (ch >= 32 && n + 1 < LINE_MAX_CHARS) {
				memmove(buf + cur + 1, buf + cur, (n - cur) * sizeof(wchar_t));
				buf[cur++] = (wchar_t)ch;
				n++;
			}
		}
	}
	curs_set(0);
	timeout(1000);
	t->message[0] = '\0';
	t->redraw = 1;
	if (done < 0)
		return 0;
	*out = to_utf8(buf, n);
	return 1;
}

int tui_choose(struct tui *t, const char *title, const char *const *items, int n)
{
	if (n <= 0)
		return -1;
	const char *footer = _("Enter: choose  Esc: cancel");
	int width = pk_text_width(title) + 4, sel = 0;
	if (pk_text_width(footer) + 4 > width)
		width = pk_text_width(footer) + 4;
	for (int i = 0; i < n; i++)
		if (pk_text_width(items[i]) + 8 > width)
			width = pk_text_width(items[i]) + 8;
	if (width > t->cols - 4)
		width = t->cols - 4;
	int height = n + 2 > t->rows - 6 ? t->rows - 6 : n + 2;
	int y0 = (t->rows - height) / 2, x0 = (t->cols - width) / 2;
	timeout(-1);
	for (;;) {
		int visible = height - 2, first = sel >= visible ? sel - visible + 1 : 0;
		tui_fill(t, y0, x0, width, TUI_C_HEADER);
		tui_text(t, y0, x0 + 1, width - 2, title, TUI_C_HEADER);
		for (int r = 0; r < visible; r++) {
			int i = first + r;
			char line[256];
			snprintf(line, sizeof(line), " %c %s", i < 9 ? '1' + i : ' ',
				 i < n ? items[i] : "");
			tui_fill(t, y0 + 1 + r, x0, width,
				 i == sel ? TUI_C_SELECTED : TUI_C_STATUS);
			tui_text(t, y0 + 1 + r, x0, width, i < n ? line : "",
				 i == sel ? TUI_C_SELECTED : TUI_C_STATUS);
		}
		tui_fill(t, y0 + height - 1, x0, width, TUI_C_HEADER);
		tui_text(t, y0 + height - 1, x0 + 1, width - 2, footer, TUI_C_HEADER);
		refresh();
		wint_t ch;
		int r = get_wch(&ch);
		enum tui_action a =
			r == ERR ? TUI_NONE : tui_keymap_lookup(&t->keys, ch, r == KEY_CODE_YES);
		if (r == ERR)
			continue;
		if (r != KEY_CODE_YES && (ch == 27 || ch == 7 || ch == 'q')) {
			sel = -1;
			break;
		}
		if ((r != KEY_CODE_YES && (ch == '\n' || ch == '\r')) ||
		    (r == KEY_CODE_YES && ch == KEY_ENTER))
			break;
		if (r != KEY_CODE_YES && ch >= '1' && ch <= '9' && (int)(ch - '1') < n) {
			sel = (int)(ch - '1');
			break;
		}
		if (a == TUI_UP && sel > 0)
			sel--;
		else if (a == TUI_DOWN && sel + 1 < n)
			sel++;
		else if (a == TUI_FIRST)
			sel = 0;
		else if (a == TUI_LAST)
			sel = n - 1;
	}
	timeout(1000);
	t->redraw = 1;
	return sel;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct pk_buf b = { 0 };
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pk_buf_add(&b, chunk, n);
	fclose(f);
	return pk_buf_detach(&b);
}

/* Runs the editor on a private temporary file with curses suspended. */
static int external_editor(struct tui *t, const char *editor, const char *initial, char **out)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path = pk_xasprintf("%s/picket-XXXXXX.txt", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemps(path, 4);
	if (fd < 0) {
		tui_message(t, 1, _("cannot make a temporary file: %s"), strerror(errno));
		free(path);
		return 0;
	}
	if (initial && write(fd, initial, strlen(initial)) < 0) {
		close(fd);
		unlink(path);
		free(path);
		return 0;
	}
	close(fd);
	def_prog_mode();
	endwin();
	/* no shell: the editor's words (split at blanks, "vim -u NONE"),
	 * then the file */
	char *words = pk_xstrdup(editor), *argv[32], *save = NULL;
	int argc = 0;
	for (char *w = strtok_r(words, " \t", &save); w && argc < 30;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc++] = path;
	argv[argc] = NULL;
	pid_t pid = argc > 1 ? fork() : -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	free(words);
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	reset_prog_mode();
	refresh();
	t->redraw = 1;
	*out = NULL;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tui_message(t, 1, _("the editor (%s) failed; nothing was saved"), editor);
	} else {
		*out = read_file(path);
	}
	unlink(path);
	free(path);
	return *out != NULL;
}

/* The built-in editor: type lines; Ctrl-D or Ctrl-X saves, Esc cancels. */
static int builtin_editor(struct tui *t, const char *what, const char *initial, char **out)
{
	struct pk_buf text = { 0 };
	if (initial)
		pk_buf_puts(&text, initial);
	curs_set(1);
	timeout(-1);
	int done = 0;
	while (!done) {
		erase();
		char head[256];
		snprintf(head, sizeof(head), _("%s - Ctrl-D: save  Esc: cancel"), what);
		tui_fill(t, 0, 0, t->cols, TUI_C_HEADER);
		tui_text(t, 0, 0, t->cols, head, TUI_C_HEADER);
		int lines =
			tui_wrap(t, 1, 0, t->cols, 0, 0, text.data ? text.data : "", TUI_C_NORMAL);
		int skip = lines > t->rows - 2 ? lines - (t->rows - 2) : 0;
		tui_wrap(t, 1, 0, t->cols, skip, t->rows - 2, text.data ? text.data : "",
			 TUI_C_NORMAL);
		int y, x;
		getyx(stdscr, y, x);
		(void)x;
		/* the cursor after the last character */
		const char *last = text.data ? strrchr(text.data, '\n') : NULL;
		int cx = pk_text_width(last ? last + 1 : (text.data ? text.data : "")) % t->cols;
		move(text.len && text.data[text.len - 1] == '\n' ? y + 1 : y, cx);
		refresh();
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR)
			continue;
		if (r == KEY_CODE_YES) {
			if (ch == KEY_BACKSPACE && text.len) {
				do
					text.len--;
				while (text.len && (text.data[text.len] & 0xc0) == 0x80);
				text.data[text.len] = '\0';
			} else if (ch == KEY_ENTER) {
				pk_buf_putc(&text, '\n');
			}
			continue;
		}
		if (ch == 4 || ch == 24)
			done = 1;
		else if (ch == 27 || ch == 7)
			done = -1;
		else if ((ch == 127 || ch == 8) && text.len) {
			do
				text.len--;
			while (text.len && (text.data[text.len] & 0xc0) == 0x80);
			text.data[text.len] = '\0';
		} else if (ch == '\r' || ch == '\n') {
			pk_buf_putc(&text, '\n');
		} else if (ch == '\t' || ch >= 32) {
			char mb[MB_LEN_MAX];
			mbstate_t st = { 0 };
			size_t k = wcrtomb(mb, (wchar_t)ch, &st);
			if (k != (size_t)-1)
				pk_buf_add(&text, mb, k);
		}
	}
	curs_set(0);
	timeout(1000);
	t->redraw = 1;
	if (done < 0) {
		pk_buf_free(&text);
		return 0;
	}
	*out = pk_buf_detach(&text);
	return 1;
}

int tui_edit_text(struct tui *t, const char *what, const char *initial, char **out)
{
	const char *editor = getenv("VISUAL");
	if (!editor || !*editor)
		editor = getenv("EDITOR");
	int ok;
	if (editor && *editor) {
		ok = external_editor(t, editor, initial, out);
	} else {
		ok = builtin_editor(t, what, initial, out);
	}
	if (!ok)
		return 0;
	/* the editor's final newline is not part of the text */
	size_t n = strlen(*out);
	while (n && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r'))
		(*out)[--n] = '\0';
	const char *p = *out;
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	if (!*p) {
		pk_freep(out);
		tui_message(t, 0, "%s", _("empty text: nothing was saved"));
		return 0;
	}
	return 1;
}
