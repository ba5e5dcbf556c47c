/* The sync protocol's decoders, on both ends: whatever arrives is decoded
 * or refused with a reason; what decodes encodes back to the same events;
 * and decoded events merged into a database either apply or are refused
 * whole, never crash or leave the database inconsistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picket/config.h"
#include "picket/db.h"
#include "picket/oplog.h"
#include "picket/protocol.h"
#include "picket/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_event(const struct pk_event *a, const struct pk_event *b)
{
	if (strcmp(a->uuid, b->uuid) != 0 || strcmp(a->entity, b->entity) != 0 ||
	    strcmp(a->entity_uuid, b->entity_uuid) != 0 || a->create != b->create ||
	    a->hlc != b->hlc || a->base != b->base || a->at != b->at ||
	    strcmp(a->origin, b->origin) != 0 || strcmp(a->actor, b->actor) != 0 ||
	    strcmp(a->value, b->value) != 0 || (a->field != NULL) != (b->field != NULL) ||
	    (a->field && strcmp(a->field, b->field) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pk_config *cfg;
	static struct pk_db *db;
	if (!cfg) {
		struct pk_error err = { 0 };
		cfg = pk_config_defaults();
		if (pk_db_open(":memory:", PK_DB_CREATE, cfg, "fuzz", &db, &err) != PK_OK)
			abort();
	}
	const char *json = (const char *)data;
	struct pk_error err = { 0 };
	char *node = NULL;
	struct pk_events evs = { 0 };
	if (pk_proto_push_decode(json, size, &node, &evs, &err) == PK_OK) {
		/* round trip */
		struct pk_buf out = { 0 };
		pk_proto_push_encode(&out, node, evs.v, evs.n);
		char *node2 = NULL;
		struct pk_events again = { 0 };
		if (pk_proto_push_decode(out.data, out.len, &node2, &again, &err) != PK_OK ||
		    strcmp(node, node2) != 0 || again.n != evs.n)
			abort();
		for (size_t i = 0; i < evs.n; i++)
			same_event(&evs.v[i], &again.v[i]);
		/* merging: each event applies or is refused whole */
		for (size_t i = 0; i < evs.n; i++) {
			enum pk_merge_result res;
			int conflict;
			int rc = pk_merge_event(db, &evs.v[i], &res, &conflict);
			if (rc != PK_OK && rc != PK_EINVAL)
				abort();
		}
		pk_events_free(&again);
		free(node2);
		pk_buf_free(&out);
	} else if (err.msg[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	pk_events_free(&evs);
	free(node);

	struct pk_pull_page page;
	if (pk_proto_pull_decode(json, size, &page, &err) == PK_OK)
		pk_pull_page_free(&page);
	struct pk_push_result r;
	pk_proto_push_result_decode(json, size, &r, &err);
	char code[64], msg[256];
	pk_proto_error_decode(json, size, code, sizeof(code), msg, sizeof(msg));
	return 0;
}
