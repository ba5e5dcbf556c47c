#include "picket/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/status.h"

static void oom(size_t n)
{
	fprintf(stderr, "picket: out of memory (%zu bytes)\n", n);
	abort();
}

void *pk_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *pk_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *pk_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *pk_xstrdup(const char *s)
{
	return s ? pk_xstrndup(s, strlen(s)) : NULL;
}

char *pk_xstrndup(const char *s, size_t n)
{
	char *p = pk_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *pk_xasprintf(const char *fmt, ...)
{
	struct pk_buf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pk_xstrdup("");
	b.data = pk_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return b.data;
}

void pk_freep(char **p)
{
	free(*p);
	*p = NULL;
}

static void buf_grow(struct pk_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = pk_xrealloc(b->data, cap);
	b->cap = cap;
}

void pk_buf_add(struct pk_buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void pk_buf_puts(struct pk_buf *b, const char *s)
{
	pk_buf_add(b, s, strlen(s));
}

void pk_buf_putc(struct pk_buf *b, char c)
{
	pk_buf_add(b, &c, 1);
}

void pk_buf_printf(struct pk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pk_buf_reset(struct pk_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *pk_buf_detach(struct pk_buf *b)
{
	char *s = b->data ? b->data : pk_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void pk_buf_free(struct pk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int pk_error_set(struct pk_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void pk_error_clear(struct pk_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int pk_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int pk_strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcasecmp(a, b) == 0;
}

int pk_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void pk_digest_add(uint64_t *h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		*h ^= *p;
		*h *= 1099511628211ULL;
	}
	*h ^= 0xff;
	*h *= 1099511628211ULL;
}

int pk_check_private(const char *what, const char *path, unsigned mode, struct pk_error *err)
{
	if (!(mode & 077))
		return PK_OK;
	return pk_error_set(err, PK_ECONFIG,
			    _("%s %s may be read by group or others (mode %04o); make it private: "
			      "chmod 600 %s"),
			    what, path, mode & 07777, path);
}

int pk_atomic_open(struct pk_atomic *a, const char *path, struct pk_error *err)
{
	a->path = pk_xstrdup(path);
	a->tmp = pk_xasprintf("%s.XXXXXX", path);
	a->f = NULL;
	int fd = mkstemp(a->tmp); /* 0600 */
	if (fd >= 0 && !(a->f = fdopen(fd, "w")))
		close(fd);
	if (a->f)
		return PK_OK;
	int rc = pk_error_set(err, PK_EIO, _("cannot create a file beside %s: %s"), path,
			      strerror(errno));
	if (fd >= 0)
		unlink(a->tmp);
	pk_freep(&a->path);
	pk_freep(&a->tmp);
	return rc;
}

/* Syncs the directory holding path, so a rename in it survives a crash. */
static void sync_dir(const char *path)
{
	char *dir = pk_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int pk_atomic_commit(struct pk_atomic *a, struct pk_error *err)
{
	FILE *f = a->f;
	int rc = PK_OK;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = pk_error_set(err, PK_EIO, _("cannot write %s: %s"), a->tmp, strerror(errno));
	if (fclose(f) != 0 && rc == PK_OK)
		rc = pk_error_set(err, PK_EIO, _("cannot write %s: %s"), a->tmp, strerror(errno));
	if (rc == PK_OK && rename(a->tmp, a->path) != 0)
		rc = pk_error_set(err, PK_EIO, _("cannot replace %s: %s"), a->path,
				  strerror(errno));
	if (rc != PK_OK)
		unlink(a->tmp);
	else
		sync_dir(a->path);
	pk_freep(&a->path);
	pk_freep(&a->tmp);
	a->f = NULL;
	return rc;
}

void pk_atomic_abort(struct pk_atomic *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	pk_freep(&a->path);
	pk_freep(&a->tmp);
	a->f = NULL;
}
