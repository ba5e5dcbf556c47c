/* Who is asking: the users table, lookups by token and by certificate
 * subject, and the decision of [auth] method. */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "picket/i18n.h"
#include "picket/status.h"

static const char *const method_names[] = { "token", "certificate", "either", "both" };

int srv_auth_method_parse(const char *s)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(method_names); i++)
		if (strcmp(s, method_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *srv_auth_method_name(enum srv_auth_method m)
{
	return method_names[m];
}

int srv_auth_uses_certificates(enum srv_auth_method m)
{
	return m != SRV_AUTH_TOKEN;
}

int srv_auth_uses_tokens(enum srv_auth_method m)
{
	return m != SRV_AUTH_CERTIFICATE;
}

static pthread_rwlock_t auth_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct srv_users auth_users;

int srv_auth_load(const char *path, struct pk_error *err)
{
	struct srv_users fresh;
	int rc = srv_users_load(path, 0, &fresh, err);
	if (rc != PK_OK)
		return rc;
	pthread_rwlock_wrlock(&auth_lock);
	struct srv_users old = auth_users;
	auth_users = fresh;
	pthread_rwlock_unlock(&auth_lock);
	srv_users_free(&old);
	return PK_OK;
}

void srv_auth_free(void)
{
	pthread_rwlock_wrlock(&auth_lock);
	srv_users_free(&auth_users);
	pthread_rwlock_unlock(&auth_lock);
}

size_t srv_auth_count(void)
{
	pthread_rwlock_rdlock(&auth_lock);
	size_t n = auth_users.n;
	pthread_rwlock_unlock(&auth_lock);
	return n;
}

int srv_auth_token(const char *token, size_t len, struct srv_user *user)
{
	unsigned char hash[SRV_HASH_LEN];
	const struct srv_user *found = NULL;
	if (len == 0 || len > SRV_TOKEN_MAX)
		return 0;
	crypto_hash_sha256(hash, (const unsigned char *)token, len);
	pthread_rwlock_rdlock(&auth_lock);
	/* every hash is compared, in constant time, so the answer's timing
	 * tells nothing about which user or how many bytes matched */
	for (size_t i = 0; i < auth_users.n; i++)
		if (sodium_memcmp(hash, auth_users.v[i].hash, SRV_HASH_LEN) == 0 &&
		    auth_users.v[i].has_token)
			found = &auth_users.v[i];
	if (found)
		*user = *found;
	pthread_rwlock_unlock(&auth_lock);
	sodium_memzero(hash, sizeof(hash));
	return found != NULL;
}

int srv_auth_subject(const char *subject, struct srv_user *user)
{
	int found = 0;
	if (!*subject)
		return 0;
	pthread_rwlock_rdlock(&auth_lock);
	for (size_t i = 0; i < auth_users.n && !found; i++)
		if (strcmp(auth_users.v[i].subject, subject) == 0) {
			*user = auth_users.v[i];
			found = 1;
		}
	pthread_rwlock_unlock(&auth_lock);
	return found;
}

/* --- the decision --- */

enum cred_state { CRED_NONE, CRED_OK, CRED_BAD };

static int refuse(struct srv_auth_refusal *why, const char *log, const char *reply)
{
	snprintf(why->log, sizeof(why->log), "%s", log);
	snprintf(why->reply, sizeof(why->reply), "%s", reply);
	return 0;
}

/* The bearer token of the Authorization header; *log says why not. */
static enum cred_state token_user(const char *authorization, struct srv_user *user,
				  const char **log)
{
	if (!authorization) {
		*log = _("no Authorization header");
		return CRED_NONE;
	}
	if (strncasecmp(authorization, "Bearer ", 7) != 0) {
		*log = _("not a bearer token");
		return CRED_BAD;
	}
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	if (!srv_auth_token(token, strlen(token), user)) {
		*log = _("unknown token");
		return CRED_BAD;
	}
	return CRED_OK;
}

/* The user bound to a good certificate; the refusal when it is bad. */
static enum cred_state cert_user(const struct srv_cert_result *cert, struct srv_user *user,
				 struct srv_auth_refusal *why)
{
	const char *subject = cert && *cert->subject ? cert->subject : "?";
	char log[sizeof(why->log)], reply[sizeof(why->reply)];
	if (!cert || cert->state == SRV_CERT_NONE)
		return CRED_NONE;
	if (cert->state == SRV_CERT_BAD) {
		snprintf(log, sizeof(log), _("client certificate '%s' (serial %s) refused: %s"),
			 subject, *cert->serial ? cert->serial : "?", cert->why);
		snprintf(reply, sizeof(reply), _("the client certificate was refused: %s"),
			 cert->why);
		refuse(why, log, reply);
		return CRED_BAD;
	}
	if (srv_auth_subject(cert->subject, user))
		return CRED_OK;
	snprintf(log, sizeof(log), _("client certificate '%s' (serial %s) is bound to no user"),
		 subject, *cert->serial ? cert->serial : "?");
	snprintf(reply, sizeof(reply),
		 _("the client certificate '%s' is bound to no user of this server (the "
		   "administrator binds it with picketd adduser --subject)"),
		 subject);
	refuse(why, log, reply);
	return CRED_BAD;
}

int srv_auth_check(enum srv_auth_method m, const struct srv_credentials *c, struct srv_user *user,
		   struct srv_auth_refusal *why)
{
	static const char *const need_token =
		N_("a valid bearer token is needed (Authorization: Bearer TOKEN)");
	struct srv_user by_cert = { 0 }, by_token = { 0 };
	enum cred_state cs = CRED_NONE, ts = CRED_NONE;
	const char *token_log = NULL;
	int ok = 0;

	if (srv_auth_uses_certificates(m) && (cs = cert_user(c->cert, &by_cert, why)) == CRED_BAD)
		goto out;
	if (srv_auth_uses_tokens(m))
		ts = token_user(c->authorization, &by_token, &token_log);
	if (ts == CRED_BAD || (ts == CRED_NONE && m == SRV_AUTH_TOKEN)) {
		refuse(why, token_log, _(need_token));
		goto out;
	}
	if (cs == CRED_NONE && (m == SRV_AUTH_CERTIFICATE || m == SRV_AUTH_BOTH)) {
		refuse(why, _("no client certificate"),
		       m == SRV_AUTH_BOTH
			       ? _("this server needs a client certificate signed by an authority "
				   "it "
				   "trusts, and a bearer token")
			       : _("this server needs a client certificate signed by an authority "
				   "it trusts"));
		goto out;
	}
	if (ts == CRED_NONE && m == SRV_AUTH_BOTH) {
		refuse(why, token_log,
		       _("this server needs a bearer token (Authorization: Bearer TOKEN) as "
			 "well as the client certificate"));
		goto out;
	}
	if (cs == CRED_NONE && ts == CRED_NONE) {
		refuse(why, _("neither a client certificate nor an Authorization header"),
		       _("a client certificate or a bearer token is needed"));
		goto out;
	}
	if (cs == CRED_OK && ts == CRED_OK && strcmp(by_cert.name, by_token.name) != 0) {
		char log[sizeof(why->log)];
		snprintf(log, sizeof(log),
			 _("the client certificate is %s's but the token is %s's"), by_cert.name,
			 by_token.name);
		refuse(why, log,
		       _("the client certificate and the bearer token belong to different "
			 "users"));
		goto out;
	}
	*user = cs == CRED_OK ? by_cert : by_token;
	ok = 1;
out:
	sodium_memzero(&by_cert, sizeof(by_cert));
	sodium_memzero(&by_token, sizeof(by_token));
	return ok;
}
