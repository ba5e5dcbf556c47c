/* The users file: reading, checking and atomic rewrites. */
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/status.h"

#define TOKEN_PREFIX "pkt_"
#define TOKEN_BYTES  32
#define LINE_MAX_LEN 1024

static const char *const role_names[] = { "viewer", "technician", "supervisor", "admin" };

int srv_role_parse(const char *s)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(role_names); i++)
		if (strcmp(s, role_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *srv_role_name(enum srv_role role)
{
	return role_names[role];
}

int srv_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SRV_NAME_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

void srv_users_free(struct srv_users *u)
{
	if (u->v)
		sodium_memzero(u->v, u->n * sizeof(*u->v));
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/* Opens the users file for reading, refusing one others could read. */
static int open_checked(const char *path, int missing_ok, FILE **out, struct pk_error *err)
{
	struct stat sb;
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && missing_ok)
		return PK_OK;
	if (fd < 0)
		return pk_error_set(err, PK_ECONFIG, _("cannot read the users file %s: %s"), path,
				    strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return pk_error_set(err, PK_ECONFIG, _("the users file %s is not a regular file"),
				    path);
	}
	int rc = pk_check_private(_("the users file"), path, (unsigned)sb.st_mode, err);
	if (rc != PK_OK) {
		close(fd);
		return rc;
	}
	*out = fdopen(fd, "r");
	if (!*out) {
		close(fd);
		return pk_error_set(err, PK_EIO, "%s: %s", path, strerror(errno));
	}
	return PK_OK;
}

int srv_subject_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SRV_SUBJECT_MAX || !strchr(s, '=') || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* The next blank-separated field of *p, NUL-terminated in place. */
static char *next_field(char **p)
{
	char *s = *p + strspn(*p, " \t");
	if (!*s)
		return NULL;
	char *end = s + strcspn(s, " \t");
	*p = *end ? end + 1 : end;
	*end = '\0';
	return s;
}

/* One line "NAME ROLE GROUP SHA256HEX [SUBJECT]" into u; 1 for a user, 0
 * for a blank or comment line, -1 with err set when malformed. */
static int parse_line(const char *path, long lineno, char *line, struct srv_user *u,
		      struct pk_error *err)
{
	char *field[4] = { 0 }, *rest = line;
	int n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	while (n < 4 && (field[n] = next_field(&rest)))
		n++;
	if (n == 0 || field[0][0] == '#')
		return 0;
	/* the subject is the rest of the line: it may hold blanks */
	rest += strspn(rest, " \t");
	size_t sublen = strlen(rest);
	while (sublen > 0 && (rest[sublen - 1] == ' ' || rest[sublen - 1] == '\t'))
		rest[--sublen] = '\0';
	int role = n == 4 ? srv_role_parse(field[1]) : -1;
	int no_token = n == 4 && strcmp(field[3], "-") == 0;
	size_t binlen = 0;
	if (n != 4 || !srv_name_valid(field[0]) || role < 0 ||
	    (strcmp(field[2], "-") != 0 && !srv_name_valid(field[2])) ||
	    (!no_token && (strlen(field[3]) != 2 * SRV_HASH_LEN ||
			   sodium_hex2bin(u->hash, sizeof(u->hash), field[3], strlen(field[3]),
					  NULL, &binlen, NULL) != 0 ||
			   binlen != SRV_HASH_LEN)) ||
	    (*rest && !srv_subject_valid(rest))) {
		pk_error_set(err, PK_ECONFIG,
			     _("%s:%ld: expected NAME ROLE GROUP SHA256 [SUBJECT] (roles: viewer, "
			       "technician, supervisor, admin; GROUP - for none; SHA256 - for "
			       "no token)"),
			     path, lineno);
		return -1;
	}
	if (no_token && !*rest) {
		pk_error_set(err, PK_ECONFIG,
			     _("%s:%ld: user %s has neither a token nor a certificate subject"),
			     path, lineno, field[0]);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", field[0]);
	snprintf(u->group, sizeof(u->group), "%s", strcmp(field[2], "-") ? field[2] : "");
	snprintf(u->subject, sizeof(u->subject), "%s", rest);
	u->role = (enum srv_role)role;
	u->has_token = !no_token;
	return 1;
}

static int find(const struct srv_users *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int find_subject(const struct srv_users *u, const char *subject)
{
	for (size_t i = 0; *subject && i < u->n; i++)
		if (strcmp(u->v[i].subject, subject) == 0)
			return (int)i;
	return -1;
}

int srv_users_load(const char *path, int missing_ok, struct srv_users *out, struct pk_error *err)
{
	FILE *f;
	memset(out, 0, sizeof(*out));
	int rc = open_checked(path, missing_ok, &f, err);
	if (rc != PK_OK || !f)
		return rc;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	ssize_t len;
	while (rc == PK_OK && (len = getline(&line, &cap, f)) >= 0) {
		struct srv_user u = { 0 };
		lineno++;
		if (len > LINE_MAX_LEN) {
			rc = pk_error_set(err, PK_ECONFIG, _("%s:%ld: line too long"), path,
					  lineno);
			break;
		}
		int got = parse_line(path, lineno, line, &u, err);
		if (got < 0) {
			rc = PK_ECONFIG;
		} else if (got > 0 && find(out, u.name) >= 0) {
			rc = pk_error_set(err, PK_ECONFIG, _("%s:%ld: user %s is listed twice"),
					  path, lineno, u.name);
		} else if (got > 0 && find_subject(out, u.subject) >= 0) {
			rc = pk_error_set(
				err, PK_ECONFIG, _("%s:%ld: subject '%s' is bound to %s already"),
				path, lineno, u.subject, out->v[find_subject(out, u.subject)].name);
		} else if (got > 0) {
			out->v = pk_xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->v[out->n++] = u;
		}
	}
	if (rc == PK_OK && ferror(f))
		rc = pk_error_set(err, PK_EIO, _("cannot read the users file %s: %s"), path,
				  strerror(errno));
	free(line);
	fclose(f);
	if (rc != PK_OK)
		srv_users_free(out);
	return rc;
}

/* Copies the lines of the old file to f, leaving out user `drop`. */
static int copy_lines(const char *path, const char *drop, FILE *f, struct pk_error *err)
{
	FILE *in;
	int rc = open_checked(path, 1, &in, err);
	if (rc != PK_OK)
		return rc;
	if (!in) {
		fputs("# picketd users: NAME ROLE GROUP SHA256-OF-TOKEN [CERTIFICATE SUBJECT]\n"
		      "# (kept by picketd adduser and deluser; - for no group or no token)\n",
		      f);
		return PK_OK;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) >= 0) {
		const char *name = line + strspn(line, " \t");
		size_t n = strcspn(name, " \t\r\n");
		if (drop && n == strlen(drop) && strncmp(name, drop, n) == 0)
			continue;
		fputs(line, f);
		if (!strchr(line, '\n'))
			fputc('\n', f);
	}
	free(line);
	fclose(in);
	return PK_OK;
}

/* Gives the new file the old one's owner; only root may, and otherwise
 * the file stays ours, as the old one was. */
static void keep_owner(const char *path, int fd)
{
	struct stat sb;
	if (geteuid() == 0 && stat(path, &sb) == 0 && fchown(fd, sb.st_uid, sb.st_gid) != 0)
		return;
}

/* Rewrites the users file atomically: a temporary file in the same
 * directory (0600), written in full and synced, then renamed over the old
 * one, which keeps its owner when we may set it (adduser run as root for
 * a file the service account reads). */
static int rewrite(const char *path, const char *drop, const char *add, struct pk_error *err)
{
	struct pk_atomic a;
	int rc = pk_atomic_open(&a, path, err);
	if (rc != PK_OK)
		return rc;
	keep_owner(path, fileno(a.f));
	if ((rc = copy_lines(path, drop, a.f, err)) != PK_OK) {
		pk_atomic_abort(&a);
		return rc;
	}
	if (add)
		fprintf(a.f, "%s\n", add);
	return pk_atomic_commit(&a, err);
}

/* Serialises rewrites by two admins at once: a lock on the directory. */
static int lock_dir(const char *path, struct pk_error *err)
{
	char *dir = pk_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		pk_error_set(err, PK_EIO, _("cannot lock the directory of %s: %s"), path,
			     strerror(errno));
	free(dir);
	return fd;
}

/* Unlocks the directory (pk_atomic_commit synced it). */
static void unlock_dir(int fd)
{
	close(fd);
}

static char *new_token(void)
{
	unsigned char raw[TOKEN_BYTES];
	char hex[2 * TOKEN_BYTES + 1];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	char *token = pk_xasprintf(TOKEN_PREFIX "%s", hex);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
	return token;
}

int srv_users_add(const char *path, const char *name, enum srv_role role, const char *group,
		  const char *subject, char **token, struct pk_error *err)
{
	struct srv_users users;
	int other;
	if (token)
		*token = NULL;
	if (!token && !subject)
		return pk_error_set(err, PK_EINVAL,
				    _("user %s needs a token or a certificate subject"), name);
	if (subject && !srv_subject_valid(subject))
		return pk_error_set(err, PK_EINVAL,
				    _("'%s' is not a certificate subject (such as "
				      "CN=alice,O=Example; at most %d characters)"),
				    subject, SRV_SUBJECT_MAX);
	int dirfd = lock_dir(path, err);
	if (dirfd < 0)
		return PK_EIO;
	int rc = srv_users_load(path, 1, &users, err);
	if (rc == PK_OK && find(&users, name) >= 0)
		rc = pk_error_set(err, PK_EINVAL,
				  _("user %s exists already (picketd deluser %s "
				    "first to give them a new token)"),
				  name, name);
	else if (rc == PK_OK && subject && (other = find_subject(&users, subject)) >= 0)
		rc = pk_error_set(err, PK_EINVAL, _("subject '%s' is bound to %s already"), subject,
				  users.v[other].name);
	srv_users_free(&users);
	if (rc == PK_OK) {
		unsigned char hash[SRV_HASH_LEN];
		char hex[2 * SRV_HASH_LEN + 1] = "-";
		char *tok = NULL;
		if (token) {
			tok = new_token();
			crypto_hash_sha256(hash, (const unsigned char *)tok, strlen(tok));
			sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
		}
		char *line = pk_xasprintf("%s %s %s %s%s%s", name, srv_role_name(role),
					  group && *group ? group : "-", hex, subject ? " " : "",
					  subject ? subject : "");
		rc = rewrite(path, NULL, line, err);
		free(line);
		if (rc == PK_OK && token) {
			*token = tok;
		} else if (tok) {
			sodium_memzero(tok, strlen(tok));
			free(tok);
		}
	}
	unlock_dir(dirfd);
	return rc;
}

int srv_users_del(const char *path, const char *name, struct pk_error *err)
{
	struct srv_users users;
	int dirfd = lock_dir(path, err);
	if (dirfd < 0)
		return PK_EIO;
	int rc = srv_users_load(path, 0, &users, err);
	if (rc == PK_OK && find(&users, name) < 0)
		rc = pk_error_set(err, PK_ENOTFOUND, _("no user %s in %s"), name, path);
	srv_users_free(&users);
	if (rc == PK_OK)
		rc = rewrite(path, name, NULL, err);
	unlock_dir(dirfd);
	return rc;
}
