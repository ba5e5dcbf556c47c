/* Small helpers shared by every layer: allocation that fails loudly,
 * a growable string buffer and the error record engine calls fill. */
#ifndef PICKET_UTIL_H
#define PICKET_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PK_PRINTF(f, a)
#endif

/* Allocation wrappers: on out-of-memory they print one line and abort, so
 * callers never see NULL. */
void *pk_xmalloc(size_t n);
void *pk_xcalloc(size_t n, size_t size);
void *pk_xrealloc(void *p, size_t n);
char *pk_xstrdup(const char *s); /* NULL in, NULL out */
char *pk_xstrndup(const char *s, size_t n);
char *pk_xasprintf(const char *fmt, ...) PK_PRINTF(1, 2);

/* Frees *p and sets it to NULL. */
void pk_freep(char **p);

/* A growable NUL-terminated string; zero-initialise to use. */
struct pk_buf {
	char *data;
	size_t len;
	size_t cap;
};

void pk_buf_add(struct pk_buf *b, const char *s, size_t n);
void pk_buf_puts(struct pk_buf *b, const char *s);
void pk_buf_putc(struct pk_buf *b, char c);
void pk_buf_printf(struct pk_buf *b, const char *fmt, ...) PK_PRINTF(2, 3);
void pk_buf_reset(struct pk_buf *b);
/* Returns the string (never NULL) and leaves the buffer empty; the caller
 * owns the result. */
char *pk_buf_detach(struct pk_buf *b);
void pk_buf_free(struct pk_buf *b);

/* What went wrong, for the caller to show.  `pos` is a 1-based column in
 * the input the error refers to (queries, import lines), or 0. */
struct pk_error {
	int code;
	long line;
	int pos;
	char msg[512];
};

/* Fills `err` (if not NULL) and returns `code`. */
int pk_error_set(struct pk_error *err, int code, const char *fmt, ...) PK_PRINTF(3, 4);
void pk_error_clear(struct pk_error *err);

/* String helpers. */
int pk_streq(const char *a, const char *b); /* NULL-safe equality */
/* Adds s (NULL as "") to a 64-bit FNV-1a digest, with a separator so
 * ("ab", "c") and ("a", "bc") differ.  Start from PK_DIGEST_INIT. */
#define PK_DIGEST_INIT 1469598103934665603ULL
void pk_digest_add(uint64_t *h, const char *s);
int pk_strcaseeq(const char *a, const char *b);
/* Parses a whole decimal integer; returns 0 on success. */
int pk_parse_int(const char *s, long long min, long long max, long long *out);
/* Secrets (keys, tokens, users files) must be their owner's alone: PK_OK
 * when `mode` gives group and others nothing, else PK_ECONFIG with err
 * naming what and path and saying how to fix it. */
int pk_check_private(const char *what, const char *path, unsigned mode, struct pk_error *err);

/* A file replaced whole or not at all: written to a temporary file beside
 * it (mode 0600), synced, then renamed over `path`. */
struct pk_atomic {
	char *path, *tmp;
	void *f; /* FILE *, written by the caller */
};
int pk_atomic_open(struct pk_atomic *a, const char *path, struct pk_error *err);
/* Flushes, syncs and renames; PK_EIO (and the temporary file removed) on
 * failure.  Either way the handle is closed. */
int pk_atomic_commit(struct pk_atomic *a, struct pk_error *err);
/* Removes the temporary file; `path` is untouched. */
void pk_atomic_abort(struct pk_atomic *a);

#endif
