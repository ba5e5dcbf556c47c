/* Who is asking: the users table picketd answers from (reloaded on
 * SIGHUP), the methods of [auth] method, and the one decision every
 * request passes, from its bearer token and its TLS client certificate. */
#ifndef PICKETD_AUTH_H
#define PICKETD_AUTH_H

#include <stddef.h>

#include "cert.h"
#include "users.h"

enum srv_auth_method {
	SRV_AUTH_TOKEN,	      /* a bearer token */
	SRV_AUTH_CERTIFICATE, /* a client certificate bound to a user */
	SRV_AUTH_EITHER,      /* one or the other; when both come, the same user */
	SRV_AUTH_BOTH,	      /* a certificate and a token, of the same user */
};

/* "either" -> SRV_AUTH_EITHER; -1 when unknown. */
int srv_auth_method_parse(const char *s);
const char *srv_auth_method_name(enum srv_auth_method m);
/* 1 if the method looks at client certificates (they are then asked
 * for), or at tokens. */
int srv_auth_uses_certificates(enum srv_auth_method m);
int srv_auth_uses_tokens(enum srv_auth_method m);

/* The authentication table, reloadable while picketd runs (SIGHUP).
 * srv_auth_load() replaces it only when the file loads. */
int srv_auth_load(const char *path, struct pk_error *err);
void srv_auth_free(void);
/* Number of users in the table. */
size_t srv_auth_count(void);
/* Finds the user whose token hashes to SHA-256(token): compares with
 * every user's hash in constant time, without stopping at a match.
 * Returns 1 and fills *user, or 0. */
int srv_auth_token(const char *token, size_t len, struct srv_user *user);
/* Finds the user bound to certificate `subject` (exact match).  Returns
 * 1 and fills *user, or 0. */
int srv_auth_subject(const char *subject, struct srv_user *user);

/* What a request brings. */
struct srv_credentials {
	const char *authorization;	    /* the Authorization header, or NULL */
	const struct srv_cert_result *cert; /* its TLS client certificate */
};

/* Why a request was refused: a line for the log (never a token) and the
 * message of the 401 answer. */
struct srv_auth_refusal {
	char log[768];
	char reply[768];
};

/* Decides who is asking under method m: each credential the method looks
 * at must be good if present (a revoked certificate is refused even with a
 * good token), the method's credentials must be there, and a certificate
 * and a token must name the same user.  Returns 1 with *user filled, or 0
 * with *why filled. */
int srv_auth_check(enum srv_auth_method m, const struct srv_credentials *c, struct srv_user *user,
		   struct srv_auth_refusal *why);

#endif
