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
	const char *group; /* a ticket's current group, NULL when none */
};

enum srv_verdict srv_policy_event(const struct srv_user *user, const struct pk_event *ev,
				  const struct srv_record *rec, const char **code,
				  struct pk_error *err);

#endif
