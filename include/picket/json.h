/* A strict JSON reader that builds no tree: the sync protocol reads its
 * events straight into their structs, and the merge reads a value's
 * members where they lie, with no allocation per node.  It accepts exactly
 * RFC 8259 JSON text, in UTF-8, with strings free of NUL and nesting at
 * most PK_JSON_MAX_DEPTH deep; on the first error every call fails and
 * pk_json_error() says what and where.
 *
 *	struct pk_json j;
 *	pk_json_init(&j, text, len);
 *	if (pk_json_object(&j) == 0)
 *		while (pk_json_member(&j, &key) > 0)
 *			... read the member's value, or pk_json_skip() it ...
 *	if (pk_json_end(&j) != 0)
 *		... pk_json_error(&j) ...
 */
#ifndef PICKET_JSON_H
#define PICKET_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "picket/util.h"

#define PK_JSON_MAX_DEPTH 32

enum pk_json_type {
	PK_JSON_NONE, /* end of input, or not the start of a value */
	PK_JSON_NULL,
	PK_JSON_BOOL,
	PK_JSON_NUMBER,
	PK_JSON_STRING,
	PK_JSON_OBJECT,
	PK_JSON_ARRAY,
};

struct pk_json {
	const char *start, *p, *end;
	const char *err; /* the first error (English, untranslated), or NULL */
	const char *err_at;
	int depth;
	unsigned char first[PK_JSON_MAX_DEPTH + 1]; /* no member or element read yet */
	char msg[96];
};

void pk_json_init(struct pk_json *j, const char *text, size_t len);
/* The type of the next value, by its first character (skipping white
 * space); nothing is consumed. */
enum pk_json_type pk_json_peek(struct pk_json *j);

/* Each reads one value of its type and returns 0, or -1 with the error
 * set (a value of another type is an error too). */
int pk_json_null(struct pk_json *j);
int pk_json_bool(struct pk_json *j, int *v);
/* An integer written without fraction or exponent, within int64_t. */
int pk_json_int(struct pk_json *j, int64_t *v);
/* A string, unescaped into out (cleared first; NUL-terminated). */
int pk_json_string(struct pk_json *j, struct pk_buf *out);
/* Any value, checked but not kept; *text and *len (may be NULL) get the
 * value's own text. */
int pk_json_skip(struct pk_json *j, const char **text, size_t *len);

/* A copy of len bytes of valid JSON text (one that pk_json_skip() read)
 * on one line (a bundle holds one event a line): as it is when it has no
 * line break, else without its white space between tokens. */
char *pk_json_one_line(const char *text, size_t len, size_t *out_len);

/* Objects: pk_json_object() reads the "{"; then each pk_json_member()
 * returns 1 with the next member's name in key (its value comes next, to
 * be read or skipped), 0 after the closing "}", or -1. */
int pk_json_object(struct pk_json *j);
int pk_json_member(struct pk_json *j, struct pk_buf *key);
/* Arrays alike: 1 when an element comes next, 0 after the "]". */
int pk_json_array(struct pk_json *j);
int pk_json_element(struct pk_json *j);

/* 0 when only white space is left, else -1 with the error set. */
int pk_json_end(struct pk_json *j);
/* Sets the error (the first one stays); returns -1. */
int pk_json_fail(struct pk_json *j, const char *why);
/* "why at byte N", or NULL when there was no error.  Valid until the next
 * call on j. */
const char *pk_json_error(struct pk_json *j);

#endif
