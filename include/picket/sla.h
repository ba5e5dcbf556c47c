/* Service levels: policies, the two clocks of a ticket, and their upkeep.
 *
 * A ticket has a response clock (stopped by the first public comment or
 * take) and a resolution clock (stopped by resolution, resumed by reopening).
 * Both count working time on the policy's calendar, pause while the ticket
 * waits in a pause status (pending_customer, pending_vendor by default), and
 * take their targets from the ticket's current priority, type and service:
 * a priority change recomputes the targets from the ticket's start.
 *
 * The clock is a pure function of the ticket, its status history and the
 * configuration.  The change path keeps its results on the ticket row
 * (response_due, resolve_due, sla_due, sla_next, met/breached outcomes) so
 * that queues, `sla:` queries and escalation read an index, not history. */
#ifndef PICKET_SLA_H
#define PICKET_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "picket/config.h"
#include "picket/util.h"

struct pk_db;
struct pk_ticket;
struct pk_calendar;

#define PK_SLA_MAX_WARN 4

enum pk_sla_state {
	PK_SLA_NONE,	 /* no target for this clock */
	PK_SLA_RUNNING,	 /* counting */
	PK_SLA_PAUSED,	 /* waiting in a pause status */
	PK_SLA_MET,	 /* stopped within the target */
	PK_SLA_BREACHED, /* stopped after the target */
};

struct pk_sla_clock {
	int state;
	int64_t target;	     /* working seconds */
	int64_t elapsed;     /* working seconds counted up to now, or to the stop */
	int64_t due;	     /* when the target falls due if the clock runs on; 0 if not running */
	int64_t stopped;     /* when it stopped (first response, resolution), or 0 */
	int64_t breached_at; /* when elapsed passed the target, or 0 */
};

/* A stretch of the ticket's life in one status. */
struct pk_sla_span {
	int64_t from, to; /* to = now for the current one */
	char *status;
	int running; /* the clocks count in it */
};

struct pk_sla {
	char *policy;	/* the settings key that gave the targets, e.g. sla.p1 */
	char *calendar; /* name of the calendar */
	struct pk_sla_clock response, resolve;
	struct pk_sla_span *spans;
	size_t nspans;
	int64_t now;
};

/* One status change: from `at` on, the ticket was in `status`. */
struct pk_sla_mark {
	int64_t at;
	const char *status;
};

/* Loads [sla], [sla.TYPE], [sla.service.NAME] and [calendar.NAME] into
 * cfg->sla (called by pk_config_load; errors name the setting). */
int pk_sla_config_load(struct pk_config *cfg, struct pk_error *err);
void pk_sla_config_free(struct pk_sla_config **sc);

/* Warning thresholds, percent of the target, ascending. */
int pk_sla_warn_levels(const struct pk_config *cfg, const int **levels);
/* 1 if the clocks pause in `status`. */
int pk_sla_pauses(const struct pk_config *cfg, const char *status);
/* Default follow-up delay of a ticket handed to a vendor, in seconds. */
int64_t pk_sla_vendor_follow_up(const struct pk_config *cfg);
/* A digest of the settings the stored clocks depend on, as hex; a change
 * means the stored due times are stale (see pk_sla_recompute). */
const char *pk_sla_config_digest(const struct pk_config *cfg);
/* The calendar of that name, or NULL. */
struct pk_calendar *pk_sla_calendar(const struct pk_config *cfg, const char *name);

/* Evaluates the clocks of `t` from its status marks (the first at the
 * ticket's creation, in time order) at time `now`.  Pure: no database. */
void pk_sla_evaluate(const struct pk_config *cfg, const struct pk_ticket *t,
		     const struct pk_sla_mark *marks, size_t nmarks, int64_t now,
		     struct pk_sla *out);
/* The same, reading the status marks from the ticket's history. */
int pk_sla_compute(struct pk_db *db, const struct pk_ticket *t, int64_t now, struct pk_sla *out);
void pk_sla_free(struct pk_sla *s);

/* When `percent` of the clock's target was or will be reached (a running
 * clock projected forward), or 0 if it was not reached before the clock
 * paused or stopped. */
int64_t pk_sla_crossing(const struct pk_config *cfg, const struct pk_sla *s,
			const struct pk_sla_clock *c, int percent);
/* The earliest warning or breach moment of a clock still counting that is
 * after `after` (0 = none): when escalation must look at the ticket next. */
int64_t pk_sla_next(const struct pk_config *cfg, const struct pk_sla *s, int64_t after);

/* Recomputes and stores the derived SLA columns of one ticket; called by
 * the change path inside its transaction. */
int pk_sla_refresh(struct pk_db *db, int64_t ticket_id);
/* Computes the clocks refreshed during a batch (pk_db_batch_begin), once
 * per ticket; pk_db_commit calls it. */
int pk_sla_defer_flush(struct pk_db *db);
/* The end of a bulk import: the first responses and clocks of the tickets
 * it created, in one pass (their hooks skipped them). */
int pk_sla_bulk_finish(struct pk_db *db);
/* Records the first response of a ticket at `at` (earliest wins). */
int pk_sla_responded(struct pk_db *db, int64_t ticket_id, int64_t at);
/* Recomputes every open ticket (after the SLA settings changed); *n gets
 * the number of tickets.  Records the settings digest in meta. */
int pk_sla_recompute(struct pk_db *db, long *n);
/* The same for every ticket, closed ones too (a store made a desk's
 * database again). */
int pk_sla_recompute_all(struct pk_db *db);
/* 1 if the stored clocks were computed with different settings. */
int pk_sla_stale(struct pk_db *db);

/* How urgent a ticket's stored clock is at `now`, from the row alone (no
 * history): PK_SLA_LEVEL_OK, _WARN once the first sla.warn threshold has
 * passed, _BREACH once a target has.  For queues: cheap per row. */
enum { PK_SLA_LEVEL_NONE, PK_SLA_LEVEL_OK, PK_SLA_LEVEL_WARN, PK_SLA_LEVEL_BREACH };
int pk_sla_level(const struct pk_config *cfg, const struct pk_ticket *t, int64_t now);

/* Translated name of a state ("running", "paused", ...). */
const char *pk_sla_state_name(int state);

#endif
