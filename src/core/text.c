/* wcwidth() is an X/Open interface. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "picket/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Decodes one UTF-8 sequence at s (n bytes left).  Returns its length and
 * the code point, or 0 when the bytes are not valid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF included). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int pk_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned cp;
		size_t len;
		if (p[i] == 0) {
			len = 0;
		} else if (p[i] < 0x80) {
			i++;
			continue;
		} else {
			len = utf8_decode(p + i, n - i, &cp);
		}
		if (!len) {
			if (bad)
				*bad = i;
			return 0;
		}
		i += len;
	}
	return 1;
}

/* Code points that reorder or hide text (bidi controls, "Trojan Source"). */
static int is_format_control(unsigned cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

void pk_sanitize(struct pk_buf *out, const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	char tmp[16];

	while (i < n) {
		unsigned c = p[i];
		if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		}
		pk_buf_add(out, s + start, i - start);
		if (c == '\n' || c == '\t') {
			if (flags & PK_SAN_KEEP_NEWLINES)
				pk_buf_putc(out, (char)c);
			else
				pk_buf_puts(out, c == '\n' ? "\\n" : " ");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			/* caret notation, as less and cat -v show it */
			tmp[0] = '^';
			tmp[1] = c == 0x7f ? '?' : (char)(c + '@');
			pk_buf_add(out, tmp, 2);
			i++;
		} else {
			unsigned cp;
			size_t len = utf8_decode(p + i, n - i, &cp);
			if (!len) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				pk_buf_puts(out, tmp);
				i++;
			} else if ((cp >= 0x80 && cp < 0xa0) || is_format_control(cp)) {
				snprintf(tmp, sizeof(tmp), "<U+%04X>", cp);
				pk_buf_puts(out, tmp);
				i += len;
			} else if (flags & PK_SAN_ASCII) {
				pk_buf_putc(out, '?');
				i += len;
			} else {
				pk_buf_add(out, s + i, len);
				i += len;
			}
		}
		start = i;
	}
	pk_buf_add(out, s + start, i - start);
}

char *pk_sanitize_dup(const char *s, int flags)
{
	struct pk_buf b = { 0 };
	if (s)
		pk_sanitize(&b, s, strlen(s), flags);
	return pk_buf_detach(&b);
}

int pk_text_clean(const char *s)
{
	char *safe = pk_sanitize_dup(s, 0);
	int same = strcmp(safe, s) == 0;
	free(safe);
	return same;
}

static int cp_width(unsigned cp)
{
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int pk_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	int w = 0;
	while (i < n) {
		unsigned cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		if (!len) {
			w++;
			i++;
			continue;
		}
		w += cp_width(cp);
		i += len;
	}
	return w;
}

void pk_text_fit(struct pk_buf *out, const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	int w = 0;
	int total = pk_text_width(s);
	int utf8 = MB_CUR_MAX > 1;
	int room = total > width ? width - 1 : width;

	while (i < n) {
		unsigned cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		int cw = len ? cp_width(cp) : 1;
		if (!len)
			len = 1;
		if (w + cw > room)
			break;
		pk_buf_add(out, s + i, len);
		w += cw;
		i += len;
	}
	if (total > width && width > 0) {
		pk_buf_puts(out, utf8 ? "\xe2\x80\xa6" : "~");
		w++;
	}
	while (w < width) {
		pk_buf_putc(out, ' ');
		w++;
	}
}

void pk_json_quote(struct pk_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *start = s;
	pk_buf_putc(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		pk_buf_add(out, start, (size_t)(s - start));
		start = s + 1;
		switch (c) {
		case '"': pk_buf_puts(out, "\\\""); break;
		case '\\': pk_buf_puts(out, "\\\\"); break;
		case '\n': pk_buf_puts(out, "\\n"); break;
		case '\t': pk_buf_puts(out, "\\t"); break;
		case '\r': pk_buf_puts(out, "\\r"); break;
		default: {
			char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
			pk_buf_puts(out, u);
		}
		}
	}
	pk_buf_add(out, start, (size_t)(s - start));
	pk_buf_putc(out, '"');
}
