/* Bearer tokens: the table picketd answers from, and the lookup. */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "users.h"
#include "picket/status.h"

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
		if (sodium_memcmp(hash, auth_users.v[i].hash, SRV_HASH_LEN) == 0)
			found = &auth_users.v[i];
	if (found)
		*user = *found;
	pthread_rwlock_unlock(&auth_lock);
	sodium_memzero(hash, sizeof(hash));
	return found != NULL;
}
