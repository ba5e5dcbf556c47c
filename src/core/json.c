/* The tree-less JSON reader (see json.h).  Every byte is looked at once;
 * strings are unescaped only when the caller keeps them. */
#include "picket/json.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "picket/text.h"

void pk_json_init(struct pk_json *j, const char *text, size_t len)
{
	memset(j, 0, sizeof(*j));
	j->start = j->p = text;
	j->end = text + len;
}

int pk_json_fail(struct pk_json *j, const char *why)
{
	if (!j->err) {
		j->err = why;
		j->err_at = j->p;
	}
	return -1;
}

const char *pk_json_error(struct pk_json *j)
{
	if (!j->err)
		return NULL;
	snprintf(j->msg, sizeof(j->msg), "%s at byte %zu", j->err, (size_t)(j->err_at - j->start));
	return j->msg;
}

static void skip_space(struct pk_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

enum pk_json_type pk_json_peek(struct pk_json *j)
{
	if (j->err)
		return PK_JSON_NONE;
	skip_space(j);
	if (j->p == j->end)
		return PK_JSON_NONE;
	switch (*j->p) {
	case 'n': return PK_JSON_NULL;
	case 't':
	case 'f': return PK_JSON_BOOL;
	case '"': return PK_JSON_STRING;
	case '{': return PK_JSON_OBJECT;
	case '[': return PK_JSON_ARRAY;
	case '-': return PK_JSON_NUMBER;
	default: return *j->p >= '0' && *j->p <= '9' ? PK_JSON_NUMBER : PK_JSON_NONE;
	}
}

/* Reads `word` exactly. */
static int literal(struct pk_json *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return pk_json_fail(j, "invalid literal");
	j->p += n;
	return 0;
}

int pk_json_null(struct pk_json *j)
{
	if (pk_json_peek(j) != PK_JSON_NULL)
		return pk_json_fail(j, "expected null");
	return literal(j, "null");
}

int pk_json_bool(struct pk_json *j, int *v)
{
	if (pk_json_peek(j) != PK_JSON_BOOL)
		return pk_json_fail(j, "expected true or false");
	*v = *j->p == 't';
	return literal(j, *v ? "true" : "false");
}

static int digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* Reads a number; *integer says whether it had neither fraction nor
 * exponent, *v its value then (*overflow when beyond int64_t). */
static int number(struct pk_json *j, int *integer, int64_t *v, int *overflow)
{
	const char *p = j->p;
	int neg = p < j->end && *p == '-';
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	*overflow = 0;
	p += neg;
	if (!digit(p, j->end))
		return pk_json_fail(j, "invalid number");
	if (*p == '0') {
		p++;
	} else {
		while (digit(p, j->end)) {
			unsigned d = (unsigned)(*p++ - '0');
			if (mag > (limit - d) / 10)
				*overflow = 1;
			else
				mag = mag * 10 + d;
		}
	}
	*integer = 1;
	if (p < j->end && *p == '.') {
		p++;
		if (!digit(p, j->end))
			return pk_json_fail(j, "invalid number");
		while (digit(p, j->end))
			p++;
		*integer = 0;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (!digit(p, j->end))
			return pk_json_fail(j, "invalid number");
		while (digit(p, j->end))
			p++;
		*integer = 0;
	}
	j->p = p;
	if (v)
		*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

int pk_json_int(struct pk_json *j, int64_t *v)
{
	int integer, overflow;
	if (pk_json_peek(j) != PK_JSON_NUMBER)
		return pk_json_fail(j, "expected an integer");
	const char *at = j->p;
	if (number(j, &integer, v, &overflow) != 0)
		return -1;
	if (!integer || overflow) {
		j->p = at;
		return pk_json_fail(j, integer ? "integer out of range" : "expected an integer");
	}
	return 0;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

static void put_utf8(struct pk_buf *out, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	pk_buf_add(out, b, n);
}

/* One \u escape at j->p (after the backslash and the u), with the low
 * half of a surrogate pair when it is the high one. */
static int unicode_escape(struct pk_json *j, unsigned *cp)
{
	if (j->end - j->p < 4 || hex4(j->p, cp) != 0)
		return pk_json_fail(j, "invalid \\u escape");
	j->p += 4;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return pk_json_fail(j, "lone low surrogate");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		unsigned lo;
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    hex4(j->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
			return pk_json_fail(j, "lone high surrogate");
		j->p += 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*cp == 0)
		return pk_json_fail(j, "NUL in a string");
	return 0;
}

/* The end of a run of plain string bytes from p: none is a quote, a
 * backslash or a control character.  *seen gets the bytes or'ed (bit 7:
 * some are not ASCII, to check as UTF-8).  ASCII goes eight bytes at a
 * time: most text is, and every string is read this way. */
static const char *plain_run(const char *p, const char *end, unsigned char *seen)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t x, q, b;
		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		/* bit 7 of a byte set when it is 0 in q or b, below 0x20 in x,
		 * or not ASCII: exact as to whether any is */
		if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high)
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		*seen |= (unsigned char)*p++;
	return p;
}

/* A string at j->p (the opening quote), unescaped into out when not NULL. */
static int string(struct pk_json *j, struct pk_buf *out)
{
	const char *p = ++j->p, *run = p;
	for (;;) {
		unsigned char seen = 0;
		p = plain_run(p, j->end, &seen);
		size_t bad;
		if ((seen & 0x80) && !pk_utf8_valid(run, (size_t)(p - run), &bad)) {
			j->p = run + bad;
			return pk_json_fail(j, "invalid UTF-8");
		}
		if (out)
			pk_buf_add(out, run, (size_t)(p - run));
		j->p = p;
		if (p == j->end)
			return pk_json_fail(j, "unterminated string");
		if (*p == '"')
			break;
		if (*p != '\\')
			return pk_json_fail(j, "control character in a string");
		if (++j->p == j->end)
			return pk_json_fail(j, "unterminated string");
		char c = *j->p++, esc;
		switch (c) {
		case '"':
		case '\\':
		case '/': esc = c; break;
		case 'b': esc = '\b'; break;
		case 'f': esc = '\f'; break;
		case 'n': esc = '\n'; break;
		case 'r': esc = '\r'; break;
		case 't': esc = '\t'; break;
		case 'u': {
			unsigned cp;
			if (unicode_escape(j, &cp) != 0)
				return -1;
			if (out)
				put_utf8(out, cp);
			esc = 0;
			break;
		}
		default: j->p--; return pk_json_fail(j, "invalid escape");
		}
		if (esc && out)
			pk_buf_putc(out, esc);
		p = run = j->p;
	}
	j->p++;
	return 0;
}

int pk_json_string(struct pk_json *j, struct pk_buf *out)
{
	pk_buf_reset(out);
	if (pk_json_peek(j) != PK_JSON_STRING)
		return pk_json_fail(j, "expected a string");
	if (string(j, out) != 0)
		return -1;
	pk_buf_putc(out, '\0');
	out->len--;
	return 0;
}

static int open_nested(struct pk_json *j, char c, const char *what)
{
	if (pk_json_peek(j) == PK_JSON_NONE || *j->p != c)
		return pk_json_fail(j, what);
	if (j->depth == PK_JSON_MAX_DEPTH)
		return pk_json_fail(j, "nested too deep");
	j->p++;
	j->first[++j->depth] = 1;
	return 0;
}

int pk_json_object(struct pk_json *j)
{
	return open_nested(j, '{', "expected an object");
}

int pk_json_array(struct pk_json *j)
{
	return open_nested(j, '[', "expected an array");
}

/* Before the next member or element: the closing character (returns 0),
 * or a comma unless it is the first (returns 1). */
static int next_item(struct pk_json *j, char close)
{
	if (j->err || j->depth == 0)
		return pk_json_fail(j, "not in an object or array");
	skip_space(j);
	if (j->p < j->end && *j->p == close && j->first[j->depth]) {
		j->p++;
		j->depth--;
		return 0;
	}
	if (!j->first[j->depth]) {
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		if (j->p == j->end || *j->p != ',')
			return pk_json_fail(j,
					    close == '}' ? "expected , or }" : "expected , or ]");
		j->p++;
	}
	j->first[j->depth] = 0;
	return 1;
}

int pk_json_member(struct pk_json *j, struct pk_buf *key)
{
	int more = next_item(j, '}');
	if (more <= 0)
		return more;
	if (pk_json_string(j, key) != 0)
		return -1;
	skip_space(j);
	if (j->p == j->end || *j->p != ':')
		return pk_json_fail(j, "expected :");
	j->p++;
	return 1;
}

int pk_json_element(struct pk_json *j)
{
	return next_item(j, ']');
}

static int skip_value(struct pk_json *j)
{
	int integer, overflow, more;
	switch (pk_json_peek(j)) {
	case PK_JSON_NULL: return literal(j, "null");
	case PK_JSON_BOOL: return literal(j, *j->p == 't' ? "true" : "false");
	case PK_JSON_NUMBER: return number(j, &integer, NULL, &overflow);
	case PK_JSON_STRING: return string(j, NULL);
	case PK_JSON_OBJECT:
		if (pk_json_object(j) != 0)
			return -1;
		while ((more = next_item(j, '}')) > 0) {
			if (pk_json_peek(j) != PK_JSON_STRING)
				return pk_json_fail(j, "expected a member name");
			if (string(j, NULL) != 0)
				return -1;
			skip_space(j);
			if (j->p == j->end || *j->p != ':')
				return pk_json_fail(j, "expected :");
			j->p++;
			if (skip_value(j) != 0)
				return -1;
		}
		return more;
	case PK_JSON_ARRAY:
		if (pk_json_array(j) != 0)
			return -1;
		while ((more = next_item(j, ']')) > 0)
			if (skip_value(j) != 0)
				return -1;
		return more;
	case PK_JSON_NONE: break;
	}
	return pk_json_fail(j, j->p == j->end ? "unexpected end" : "expected a value");
}

int pk_json_skip(struct pk_json *j, const char **text, size_t *len)
{
	if (pk_json_peek(j) == PK_JSON_NONE)
		return skip_value(j);
	const char *at = j->p;
	if (skip_value(j) != 0)
		return -1;
	if (text)
		*text = at;
	if (len)
		*len = (size_t)(j->p - at);
	return 0;
}

char *pk_json_one_line(const char *text, size_t len, size_t *out_len)
{
	/* a line break can only be white space: strings escape theirs */
	if (!memchr(text, '\n', len) && !memchr(text, '\r', len)) {
		*out_len = len;
		return pk_xstrndup(text, len);
	}
	char *out = pk_xmalloc(len + 1), *o = out;
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\' && i + 1 < len)
				*o++ = text[i++]; /* an escape's next byte is no quote */
			else if (c == '"')
				in_string = 0;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_string = 1;
		}
		*o++ = text[i];
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

int pk_json_end(struct pk_json *j)
{
	if (j->err)
		return -1;
	skip_space(j);
	if (j->p != j->end)
		return pk_json_fail(j, "unexpected text after the value");
	return 0;
}
