/* Escalation: rules from [escalate.NAME] that act on tickets when an SLA
 * clock warns or breaches, or when a ticket matches a query (a new P1).
 *
 * A rule fires once per ticket and condition, however many evaluations run
 * at once: the firing is a row with a primary key, inserted in the same
 * transaction as the rule's actions (raise priority, reassign to a group,
 * internal note).  A notify command is queued in that transaction too and
 * run afterwards, outside any lock, with a timeout; a failure is retried
 * with backoff and never blocks the desk. */
#ifndef PICKET_ESCALATE_H
#define PICKET_ESCALATE_H

#include <stdint.h>

#include "picket/config.h"
#include "picket/util.h"

struct pk_db;

struct pk_escalate_stats {
	long examined;	 /* tickets looked at */
	long fired;	 /* rule firings */
	long notified;	 /* notify commands that succeeded */
	long failed;	 /* notify attempts that failed (to be retried) */
	long abandoned;	 /* notifications given up after the last retry */
	long recomputed; /* tickets whose clocks were recomputed first */
	long errors;	 /* tickets a rule could not act on */
};

/* A rule as configured, for `picket escalate` and the documentation. */
struct pk_rule_info {
	const char *name, *when, *clock, *query, *priority, *group, *note, *notify;
	int threshold;
};

int pk_escalate_config_load(struct pk_config *cfg, struct pk_error *err);
void pk_escalate_config_free(struct pk_escalate_config **ec);
int pk_escalate_rules(const struct pk_config *cfg, struct pk_rule_info *out, int max);
/* Seconds between the interface's background evaluations (0 = never). */
int pk_escalate_interval(const struct pk_config *cfg);

/* Evaluates every rule once and delivers due notifications.  Messages
 * about failed notifications go to `log` (may be NULL). */
int pk_escalate_run(struct pk_db *db, struct pk_escalate_stats *stats,
		    void (*log)(const char *msg, void *data), void *log_data);

/* The notification queue, for `picket escalate`. */
struct pk_notification {
	int64_t id;
	const char *rule, *ticket_ref, *condition, *state, *last_error;
	int attempts;
	int64_t created_at, next_at;
};
typedef int (*pk_notification_cb)(const struct pk_notification *n, void *data);
int pk_notification_list(struct pk_db *db, pk_notification_cb cb, void *data);

#endif
