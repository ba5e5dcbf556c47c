/* Per-user token buckets. */
#include "rate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "users.h"
#include "picket/util.h"

struct bucket {
	char name[SRV_NAME_MAX + 1];
	double tokens;
	double last; /* monotonic seconds of the last refill */
};

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static int rate_per_sec;
static struct bucket *buckets;
static size_t nbuckets;

void srv_rate_init(int rate)
{
	pthread_mutex_lock(&rate_lock);
	rate_per_sec = rate;
	pthread_mutex_unlock(&rate_lock);
}

void srv_rate_free(void)
{
	pthread_mutex_lock(&rate_lock);
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
	pthread_mutex_unlock(&rate_lock);
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The bucket of a user, made full on first use (users are few: the table
 * of the users file, so a linear search is enough). */
static struct bucket *bucket_of(const char *user, double now)
{
	for (size_t i = 0; i < nbuckets; i++)
		if (strcmp(buckets[i].name, user) == 0)
			return &buckets[i];
	buckets = pk_xrealloc(buckets, (nbuckets + 1) * sizeof(*buckets));
	struct bucket *b = &buckets[nbuckets++];
	snprintf(b->name, sizeof(b->name), "%s", user);
	b->tokens = 2.0 * rate_per_sec;
	b->last = now;
	return b;
}

int srv_rate_take(const char *user)
{
	int wait = 0;
	pthread_mutex_lock(&rate_lock);
	if (rate_per_sec > 0) {
		double now = now_sec(), burst = 2.0 * rate_per_sec;
		struct bucket *b = bucket_of(user, now);
		b->tokens += (now - b->last) * rate_per_sec;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last = now;
		if (b->tokens >= 1.0) {
			b->tokens -= 1.0;
		} else {
			double secs = (1.0 - b->tokens) / rate_per_sec;
			wait = (int)secs + ((double)(int)secs < secs ? 1 : 0);
			if (wait < 1)
				wait = 1;
		}
	}
	pthread_mutex_unlock(&rate_lock);
	return wait;
}
