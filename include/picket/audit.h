/* The append-only, hash-chained history. */
#ifndef PICKET_AUDIT_H
#define PICKET_AUDIT_H

#include <stdint.h>

struct pk_db;

/* Appends one history entry (called only by the change path). */
int pk_history_append(struct pk_db *db, const char *entity, const char *uuid, const char *field,
		      const char *old_value, const char *new_value);

/* Records the chain head (last id and hash) in `meta`, so that entries cut
 * from the end are detected too; called by the outermost commit. */
int pk_audit_anchor(struct pk_db *db);

struct pk_audit_result {
	int64_t checked;   /* entries verified */
	int64_t first_bad; /* id of the first broken entry, 0 if none */
	char reason[128];
};

/* Recomputes the chain.  Returns PK_OK when intact, PK_EAUDIT with
 * `res->first_bad` set when an entry was altered, removed or inserted. */
int pk_audit_verify(struct pk_db *db, struct pk_audit_result *res);

#endif
