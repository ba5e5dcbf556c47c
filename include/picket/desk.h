/* The desk around the tickets: vendors tickets are escalated to, on-call
 * rotas with their overrides, and shift handover notes.  Each record kind
 * goes through the change path (history and oplog) like tickets do. */
#ifndef PICKET_DESK_H
#define PICKET_DESK_H

#include <stdint.h>

#include "picket/change.h"
#include "picket/config.h"
#include "picket/util.h"

struct pk_db;
struct pk_ticket;

extern const struct pk_entity pk_vendor_entity;
extern const struct pk_entity pk_override_entity;
extern const struct pk_entity pk_note_entity;

/* Vendors: from [vendors] in the configuration (name = contact, contract)
 * and from the database (picket vendor add). */
struct pk_vendor {
	char *name, *contact, *contract;
	int configured; /* from the configuration file */
};

typedef int (*pk_vendor_cb)(const struct pk_vendor *v, void *data);
/* Every vendor, configured ones first, each name once. */
int pk_vendor_list(struct pk_db *db, pk_vendor_cb cb, void *data);
/* Finds a vendor by name (case-insensitive); PK_ENOTFOUND when unknown. */
int pk_vendor_find(struct pk_db *db, const char *name, struct pk_vendor *out);
void pk_vendor_clear(struct pk_vendor *v);
int pk_vendor_add(struct pk_db *db, const char *name, const char *contact, const char *contract);
/* Hands a ticket to a vendor: vendor, their reference, status
 * pending_vendor and a follow-up date (0 = the configured delay from now),
 * with an optional internal note, in one transaction. */
int pk_vendor_escalate(struct pk_db *db, const struct pk_ticket *t, const char *vendor,
		       const char *their_ref, int64_t followup, const char *note);

/* On-call rotas ([rota.NAME] in the configuration) and overrides. */
struct pk_duty {
	char *group, *person;
	int64_t from, until; /* the duty's span; 0 when open-ended */
	int override;	     /* from an override, not the rota */
	char *reason;
	char *next_person; /* who takes over at `until` */
};

int pk_rota_config_load(struct pk_config *cfg, struct pk_error *err);
void pk_rota_config_free(struct pk_rota_config **rc);
/* Groups that have a rota, in configuration order. */
int pk_rota_groups(const struct pk_config *cfg, const char ***groups);
/* Who is on duty for `group` at `at`.  PK_ENOTFOUND when the group has no
 * rota and no override then. */
int pk_oncall(struct pk_db *db, const char *group, int64_t at, struct pk_duty *out);
void pk_duty_clear(struct pk_duty *d);
/* Records a swap or leave cover: `person` is on duty for `group` from
 * `from` until `until`. */
int pk_oncall_override(struct pk_db *db, const char *group, const char *person, int64_t from,
		       int64_t until, const char *reason);

/* Handover notes. */
struct pk_note {
	int64_t id;
	char *uuid, *author, *body, *acked_by;
	int64_t created_at, acked_at;
};
typedef int (*pk_note_cb)(const struct pk_note *n, void *data);
int pk_note_add(struct pk_db *db, const char *body);
/* Notes written at or after `since`, oldest first. */
int pk_note_list(struct pk_db *db, int64_t since, pk_note_cb cb, void *data);
/* Acknowledges every unacknowledged note by someone else; *n gets how
 * many. */
int pk_note_ack_all(struct pk_db *db, long *n);

#endif
