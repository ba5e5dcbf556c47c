/* picketd key and picketd bundle (see bundle.c). */
#ifndef PICKETD_BUNDLE_H
#define PICKETD_BUNDLE_H

#include <stdint.h>

#include "conf.h"

/* key show | list | trust KEY|FILE [--name SITE]; returns a picket status. */
int srv_cmd_key(const struct srv_conf *conf, const char *sub, const char *arg, const char *name);
/* bundle export FILE [--since SEQ] [--to SITE] | import FILE | inspect FILE */
int srv_cmd_bundle(const struct srv_conf *conf, const char *sub, const char *path, int64_t since,
		   const char *to);

#endif
