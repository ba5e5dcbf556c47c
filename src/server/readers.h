/* Per-thread read handles of a store (a read-only database, a connection):
 * a worker thread's is opened on its first use, closed when the thread
 * ends or the pool is torn down.  Both stores keep one. */
#ifndef PICKETD_READERS_H
#define PICKETD_READERS_H

#include <pthread.h>

#include "picket/util.h"

struct srv_reader;

struct srv_readers {
	/* opens a handle (NULL with err filled on failure); closes one */
	void *(*open)(void *ctx, struct pk_error *err);
	void (*close)(void *handle);
	void *ctx;
	pthread_key_t key;
	pthread_mutex_t lock;
	struct srv_reader *list;
};

/* PK_OK or PK_ERR (no thread key left). */
int srv_readers_init(struct srv_readers *rs, void *(*open)(void *, struct pk_error *),
		     void (*close)(void *), void *ctx, struct pk_error *err);
/* This thread's handle, opened on first use; NULL with err on failure. */
void *srv_readers_get(struct srv_readers *rs, struct pk_error *err);
/* Closes every handle; no thread may use the pool any more. */
void srv_readers_fini(struct srv_readers *rs);

#endif
