/* The store backends, by name. */
#include "store.h"

#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"

static const struct srv_store_ops *const backends[] = { &srv_store_sqlite, &srv_store_pg };

int srv_store_open(const struct srv_conf *conf, struct srv_store **out, struct pk_error *err)
{
	*out = NULL;
	for (size_t i = 0; i < PK_ARRAY_LEN(backends); i++)
		if (strcmp(backends[i]->name, conf->backend) == 0)
			return backends[i]->open(conf, out, err);
	return pk_error_set(err, PK_ECONFIG,
			    _("store.backend: '%s' is not a store this picketd has"),
			    conf->backend);
}

void srv_store_close(struct srv_store **st)
{
	if (*st)
		(*st)->ops->close(*st);
	*st = NULL;
}
