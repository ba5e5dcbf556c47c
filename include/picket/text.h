/* Text from the database is untrusted.  These functions check and defuse
 * it before it reaches a terminal. */
#ifndef PICKET_TEXT_H
#define PICKET_TEXT_H

#include <stddef.h>

#include "picket/util.h"

/* Returns 1 if s[0..n) is valid UTF-8 without NUL bytes, 0 otherwise; the
 * byte offset of the first bad byte goes to *bad when not NULL. */
int pk_utf8_valid(const char *s, size_t n, size_t *bad);

enum pk_sanitize_flags {
	PK_SAN_KEEP_NEWLINES = 1 << 0, /* keep \n (and \t) for multi-line text */
	PK_SAN_ASCII = 1 << 1,	       /* escape all non-ASCII (non-UTF-8 locale) */
};

/* Appends a terminal-safe rendering of s[0..n) to `out`: C0 controls and
 * DEL in caret notation (^[, ^G, ^?), C1 controls and bidi overrides as
 * <U+009B>, invalid UTF-8 bytes as \xff, so nothing in the text can move
 * the cursor, change the title or clear the screen. */
void pk_sanitize(struct pk_buf *out, const char *s, size_t n, int flags);
/* Convenience: a newly allocated sanitized copy (NULL gives ""). */
char *pk_sanitize_dup(const char *s, int flags);

/* 1 if s reaches a terminal as it is: pk_sanitize would change nothing
 * (for names read from outside, such as a level in a bundle's header). */
int pk_text_clean(const char *s);

/* Appends s as a JSON string literal (quotes included): quotes,
 * backslashes and control characters escaped, UTF-8 kept. */
void pk_json_quote(struct pk_buf *out, const char *s);

/* Display width of a UTF-8 string in terminal columns (wcwidth based). */
int pk_text_width(const char *s);
/* Appends s to out, truncated or padded to exactly `width` columns. */
void pk_text_fit(struct pk_buf *out, const char *s, int width);

#endif
