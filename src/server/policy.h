/* Who may push what: the roles of users.h applied to events.  Every store
 * asks this one module, inside its push transaction. */
#ifndef PICKETD_POLICY_H
#define PICKETD_POLICY_H

#include "users.h"
#include "picket/oplog.h"

/* What becomes of one event of a push. */
enum srv_verdict {
	SRV_ALLOW,	  /* store it */
	SRV_REJECT_EVENT, /* beyond the user's role: leave it out, store the rest
			   * and name it in the answer, so the client takes it back */
	SRV_REFUSE_BATCH, /* not the user's to send at all: refuse the whole push */
};

/* 1 if the user's role may push at all (viewers may not). */
int srv_policy_may_push(const struct srv_user *user);

/* Decides what becomes of `ev` pushed by `user` (rec: the record as the
 * store has it).  Unless SRV_ALLOW, *code
 * is the protocol's error code ("forbidden", "forged_actor") and err's
 * message says why (naming the event when the whole batch is refused; a
 * rejected event is named beside its message). */
/* What the store knows of the record an event changes. */
struct srv_record {
	const char *group;	    /* a ticket's current group, NULL when none */
	const char *classification; /* and its level's name (stores that keep it) */
	/* for an event setting a ticket's classification: the ticket's level
	 * now and the one the event sets (ranks); -1 otherwise */
	int level, new_level;
};

enum srv_verdict srv_policy_event(const struct srv_user *user, const struct pk_event *ev,
				  const struct srv_record *rec, const char **code,
				  struct pk_error *err);

/* After a push is merged, each record it touched is judged by the level it
 * has now (rank, in cls's levels): SRV_REFUSE_BATCH with *code
 * "above_ceiling" when above the server's ceiling (cls->system_high).
 * Judging the result rather than each event lets a ticket lowered below
 * the ceiling arrive with the events it had while it was above. */
struct pk_config;
/* The level (rank) an event setting a classification sets; -1 for null. */
int srv_event_level(const struct pk_config *cls, const struct pk_event *ev);
enum srv_verdict srv_policy_level(const struct pk_config *cls, const char *entity, const char *uuid,
				  int rank, const char **code, struct pk_error *err);

#endif
