/* The users of picketd: names, roles, groups, the SHA-256 of their
 * tokens and the subject of their client certificate, kept one per line in
 * the users file ("NAME ROLE GROUP SHA256HEX [SUBJECT]": GROUP "-" for
 * none, SHA256HEX "-" for no token, SUBJECT the rest of the line, # starts
 * a comment line).  Tokens themselves are never stored. */
#ifndef PICKETD_USERS_H
#define PICKETD_USERS_H

#include <stddef.h>

#include "picket/util.h"

#define SRV_NAME_MAX  64
#define SRV_HASH_LEN  32 /* SHA-256 */
#define SRV_TOKEN_MAX 256
/* The longest certificate subject kept, as GnuTLS prints it (RFC 4514). */
#define SRV_SUBJECT_MAX 512

/* Ordered: each role may do what the ones before it may. */
enum srv_role {
	SRV_VIEWER,	/* pull only */
	SRV_TECHNICIAN, /* push their own events */
	SRV_SUPERVISOR, /* also move tickets across groups */
	SRV_ADMIN,	/* everything */
};

struct srv_user {
	char name[SRV_NAME_MAX + 1];
	char group[SRV_NAME_MAX + 1]; /* "" when none */
	enum srv_role role;
	int has_token; /* 0: "-", certificate only */
	unsigned char hash[SRV_HASH_LEN];
	char subject[SRV_SUBJECT_MAX + 1]; /* "" when no certificate is bound */
	/* a trusted site's bundle (picketd bundle import): it carries the
	 * events of every person of that site, so no actor is forged */
	int site;
};

struct srv_users {
	struct srv_user *v;
	size_t n;
};

/* "technician" -> SRV_TECHNICIAN; -1 when unknown. */
int srv_role_parse(const char *s);
const char *srv_role_name(enum srv_role role);
/* 1 if s is a valid user or group name: 1-64 of [A-Za-z0-9._-]. */
int srv_name_valid(const char *s);
/* 1 if s may be kept as a certificate subject: 1 to SRV_SUBJECT_MAX
 * bytes, no control characters, no blank at either end, an '=' in it. */
int srv_subject_valid(const char *s);

/* Reads the users file.  A missing file is an empty list when
 * `missing_ok`; a file readable by group or others, a bad line, a
 * duplicate name or a subject bound to two users is PK_ECONFIG with err
 * naming the file and line. */
int srv_users_load(const char *path, int missing_ok, struct srv_users *out, struct pk_error *err);
void srv_users_free(struct srv_users *u);

/* Adds a user, bound to certificate `subject` unless NULL, and, when
 * `token` is not NULL, with a new token returned in *token (caller frees
 * and wipes): the file is rewritten atomically, comments kept.  PK_EINVAL
 * for a name that exists already or a subject bound to another user. */
int srv_users_add(const char *path, const char *name, enum srv_role role, const char *group,
		  const char *subject, char **token, struct pk_error *err);
/* Removes a user; PK_ENOTFOUND when there is none of that name. */
int srv_users_del(const char *path, const char *name, struct pk_error *err);

#endif
