/* Per-thread read handles of a store. */
#include "readers.h"

#include <stdlib.h>

#include "picket/i18n.h"
#include "picket/status.h"

struct srv_reader {
	struct srv_readers *rs;
	void *handle;
	struct srv_reader *next;
};

static void unlink_reader(struct srv_readers *rs, struct srv_reader *r)
{
	for (struct srv_reader **p = &rs->list; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
}

/* Thread-exit destructor of a worker's handle. */
static void reader_free(void *data)
{
	struct srv_reader *r = data;
	struct srv_readers *rs = r->rs;
	pthread_mutex_lock(&rs->lock);
	unlink_reader(rs, r);
	pthread_mutex_unlock(&rs->lock);
	rs->close(r->handle);
	free(r);
}

int srv_readers_init(struct srv_readers *rs, void *(*open)(void *, struct pk_error *),
		     void (*close)(void *), void *ctx, struct pk_error *err)
{
	rs->open = open;
	rs->close = close;
	rs->ctx = ctx;
	rs->list = NULL;
	if (pthread_key_create(&rs->key, reader_free) != 0)
		return pk_error_set(err, PK_ERR, _("cannot create a thread key"));
	pthread_mutex_init(&rs->lock, NULL);
	return PK_OK;
}

void *srv_readers_get(struct srv_readers *rs, struct pk_error *err)
{
	struct srv_reader *r = pthread_getspecific(rs->key);
	if (r)
		return r->handle;
	void *h = rs->open(rs->ctx, err);
	if (!h)
		return NULL;
	r = pk_xcalloc(1, sizeof(*r));
	r->rs = rs;
	r->handle = h;
	pthread_mutex_lock(&rs->lock);
	r->next = rs->list;
	rs->list = r;
	pthread_mutex_unlock(&rs->lock);
	pthread_setspecific(rs->key, r);
	return h;
}

void srv_readers_fini(struct srv_readers *rs)
{
	pthread_mutex_lock(&rs->lock);
	while (rs->list) {
		struct srv_reader *r = rs->list;
		rs->list = r->next;
		rs->close(r->handle);
		free(r);
	}
	pthread_mutex_unlock(&rs->lock);
	/* no destructor may run for a reader freed above */
	pthread_key_delete(rs->key);
	pthread_mutex_destroy(&rs->lock);
}
