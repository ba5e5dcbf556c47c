/* Every character from the database reaches the screen through here:
 * sanitized (pk_sanitize), fitted to its columns, in a colour role. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/sla.h"
#include "picket/text.h"
#include "tui_private.h"

attr_t tui_attr(struct tui *t, enum tui_color c)
{
	return c < TUI_COLOR_COUNT ? t->attrs[c] : A_NORMAL;
}

enum tui_color tui_priority_color(int priority)
{
	switch (priority) {
	case 1: return TUI_C_P1;
	case 2: return TUI_C_P2;
	case 3: return TUI_C_P3;
	default: return TUI_C_P4;
	}
}

static int san_flags(struct tui *t, int multiline)
{
	return (multiline ? PK_SAN_KEEP_NEWLINES : 0) | (t->ascii ? PK_SAN_ASCII : 0);
}

void tui_fill(struct tui *t, int y, int x, int width, enum tui_color c)
{
	if (width <= 0)
		return;
	attrset(tui_attr(t, c));
	mvhline(y, x, ' ', width);
	attrset(A_NORMAL);
}

void tui_table_header(struct tui *t, int y, int cols, const struct tui_column *columns, int n,
		      int marked, const char *mark)
{
	tui_fill(t, y, 0, cols, TUI_C_HEADER);
	for (int c = 0, x = 0; c < n && x < cols; c++) {
		int w = columns[c].width ? columns[c].width : cols - x;
		char title[96];
		snprintf(title, sizeof(title), "%s%s", _(columns[c].title),
			 c == marked && mark ? mark : "");
		tui_text(t, y, x, w < cols - x ? w : cols - x, title, TUI_C_HEADER);
		x += w;
	}
}

void tui_table_row(struct tui *t, int y, int cols, const struct tui_column *columns, int n,
		   const char *const *cells, int selected, int prio_col, int priority,
		   const enum tui_color *colors)
{
	enum tui_color base = selected ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(t, y, 0, cols, base);
	for (int c = 0, x = 0; c < n && x < cols; c++) {
		int w = columns[c].width ? columns[c].width : cols - x;
		if (w > cols - x)
			w = cols - x;
		enum tui_color col =
			!selected && c == prio_col ? tui_priority_color(priority) : base;
		if (!selected && colors && colors[c] != TUI_C_NORMAL)
			col = colors[c];
		/* a fixed column keeps one blank column before the next */
		tui_text(t, y, x, w - (columns[c].width ? 1 : 0), cells[c], col);
		x += w;
	}
}

enum tui_color tui_sla_cell(struct tui *t, const struct pk_ticket *tk, char *buf, size_t len)
{
	const struct pk_config *cfg = tui_cfg(t);
	int64_t now = pk_clock_now();
	int level = pk_sla_level(cfg, tk, now);
	if (level == PK_SLA_LEVEL_NONE) {
		int paused =
			!pk_wf_is_closed(&cfg->wf, tk->status) && pk_sla_pauses(cfg, tk->status);
		snprintf(buf, len, "%s", paused ? "||" : "-");
		return TUI_C_NORMAL;
	}
	if (level == PK_SLA_LEVEL_BREACH) {
		pk_age_format(tk->sla_due - now, buf, len);
		return TUI_C_BREACH;
	}
	pk_age_format(tk->sla_due - now, buf, len);
	return level == PK_SLA_LEVEL_WARN ? TUI_C_WARN : TUI_C_NORMAL;
}

void tui_text(struct tui *t, int y, int x, int width, const char *s, enum tui_color c)
{
	if (width <= 0)
		return;
	struct pk_buf safe = { 0 }, line = { 0 };
	pk_sanitize(&safe, s ? s : "", s ? strlen(s) : 0, san_flags(t, 0));
	pk_text_fit(&line, safe.data ? safe.data : "", width);
	attrset(tui_attr(t, c));
	mvaddstr(y, x, line.data ? line.data : "");
	attrset(A_NORMAL);
	pk_buf_free(&safe);
	pk_buf_free(&line);
}

/* Length in bytes of the longest prefix of s (up to a newline) that fits in
 * `width` columns, breaking after a space when one is there. */
static size_t wrap_point(const char *s, int width, size_t *next)
{
	size_t i = 0, last_space = 0;
	int w = 0;
	while (s[i] && s[i] != '\n') {
		size_t len = 1;
		while ((s[i + len] & 0xc0) == 0x80)
			len++;
		char ch[8] = { 0 };
		memcpy(ch, s + i, len < 7 ? len : 7);
		int cw = pk_text_width(ch);
		if (w + cw > width)
			break;
		w += cw;
		i += len;
		if (s[i - 1] == ' ')
			last_space = i;
	}
	if (!s[i] || s[i] == '\n') {
		*next = s[i] ? i + 1 : i;
		return i;
	}
	if (last_space > 0) {
		*next = last_space;
		return last_space - 1;
	}
	*next = i ? i : 1; /* a character wider than the width: show it anyway */
	return i ? i : 1;
}

int tui_wrap(struct tui *t, int y, int x, int width, int skip, int rows, const char *s,
	     enum tui_color c)
{
	struct pk_buf safe = { 0 };
	pk_sanitize(&safe, s ? s : "", s ? strlen(s) : 0, san_flags(t, 1));
	const char *p = safe.data ? safe.data : "";
	int n = 0;
	if (width < 1)
		width = 1;
	do {
		size_t next, len = wrap_point(p, width, &next);
		if (n >= skip && n - skip < rows) {
			char *piece = pk_xstrndup(p, len);
			/* tabs kept by the sanitizer would move the cursor: spaces */
			for (char *q = piece; *q; q++)
				if (*q == '\t')
					*q = ' ';
			tui_text(t, y + n - skip, x, width, piece, c);
			free(piece);
		}
		n++;
		p += next;
	} while (*p);
	pk_buf_free(&safe);
	return n;
}
