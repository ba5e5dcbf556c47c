/* The rules of the desk: ticket types, the status workflow, the priority
 * matrix and classification levels.  One table each, all in core. */
#ifndef PICKET_POLICY_H
#define PICKET_POLICY_H

#include <stddef.h>

#include "picket/config.h"

/* Ticket types and comment kinds; NULL-terminated. */
extern const char *const pk_ticket_types[];
extern const char *const pk_comment_kinds[];

int pk_type_valid(const char *type);
int pk_comment_kind_valid(const char *kind);

/* Index of a status in the workflow, or -1. */
int pk_wf_index(const struct pk_workflow *wf, const char *status);
/* 1 if moving from -> to is allowed. */
int pk_wf_allowed(const struct pk_workflow *wf, const char *from, const char *to);
/* 1 if the status counts as closed (not "open"). */
int pk_wf_is_closed(const struct pk_workflow *wf, const char *status);
/* Writes the statuses reachable from `from`, space separated, into out. */
void pk_wf_targets(const struct pk_workflow *wf, const char *from, struct pk_buf *out);

/* Priority 1..4 from impact and urgency 1..4 (1 = most severe). */
int pk_priority_of(const struct pk_config *cfg, int impact, int urgency);
/* Parses "P1".."P4" or "1".."4"; returns 1..4 or 0 when invalid. */
int pk_priority_parse(const char *s);

/* Rank of a classification level (0 = lowest), or -1 when unknown.
 * Matching ignores case and treats '_' as a space. */
int pk_class_rank(const struct pk_config *cfg, const char *name);

#endif
