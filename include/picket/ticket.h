/* Tickets and their comments: the records of the desk. */
#ifndef PICKET_TICKET_H
#define PICKET_TICKET_H

#include <sqlite3.h>
#include <stdint.h>

#include "picket/change.h"
#include "picket/util.h"

struct pk_db;
struct pk_query;

/* Size limits, in bytes. */
#define PK_TITLE_MAX 500
#define PK_TEXT_MAX  (1024 * 1024) /* descriptions, comments */
#define PK_FIELD_MAX 200	   /* short fields: names, groups, ... */

struct pk_ticket {
	int64_t id;
	char *uuid, *ref, *type, *title, *description, *status;
	int priority, impact, urgency;
	char *category, *service, *ci, *requester, *assignee, *group;
	char *classification, *vendor, *vendor_ref, *resolution;
	/* UTC seconds; 0 = not set */
	int64_t created_at, updated_at, resolved_at, closed_at;
	int64_t response_due, resolve_due;
	/* service levels (sla.h): derived by the engine */
	int64_t responded_at, sla_due;
	char *sla_response, *sla_resolve; /* "met", "breached" or NULL */
	int64_t followup_at;		  /* when to chase the vendor */
};

struct pk_comment {
	int64_t id;
	char *uuid, *kind, *author, *body;
	int minutes;
	int64_t created_at;
};

struct pk_history {
	int64_t id, at;
	char *actor, *entity, *entity_uuid, *field, *old_value, *new_value;
};

extern const struct pk_entity pk_ticket_entity;
extern const struct pk_entity pk_comment_entity;

/* The columns every ticket query selects, in pk_ticket_from_row() order,
 * for a table aliased `t`. */
extern const char pk_ticket_columns[];

void pk_ticket_free(struct pk_ticket **t);
/* A deep copy, owned by the caller. */
struct pk_ticket *pk_ticket_dup(const struct pk_ticket *t);
void pk_comment_free(struct pk_comment **c);
void pk_history_free(struct pk_history **h);

/* Builds a ticket from a row selected with pk_ticket_columns starting at
 * column `col`.  The caller owns the result. */
struct pk_ticket *pk_ticket_from_row(sqlite3_stmt *st, int col);

/* Finds a ticket by ref (case-insensitive) or uuid.  PK_ENOTFOUND when
 * there is none. */
int pk_ticket_get(struct pk_db *db, const char *key, struct pk_ticket **out);

/* Field access by name, for `set`, import and the TUI's forms. */
/* 1 if `name` is a ticket field a person may set with pk_ticket_put(). */
int pk_ticket_field_settable(const char *name);
/* 1 if `name` is a field pk_ticket_put() accepts (with `import`, also the
 * identity and time fields). */
int pk_ticket_field_known(const char *name, int import);
/* Parses and validates a text value for a ticket field into the change
 * (priority "P2", impact "3", times, classification within the ceiling,
 * sizes, UTF-8).  `import` also allows identity and time fields.  Returns
 * PK_OK, PK_EINVAL or PK_ECLASS with the db handle's error set. */
int pk_ticket_put(struct pk_db *db, struct pk_change *ch, const char *field, const char *value,
		  int import);
/* The field's value as text ("P2", times in ISO 8601); NULL when unset.
 * Owned by the caller. */
char *pk_ticket_field_text(const struct pk_ticket *t, const char *field);

/* Starts a new ticket with the configured defaults. */
struct pk_change *pk_ticket_draft(struct pk_db *db);
/* Creates the ticket: fills ref, priority (from impact x urgency unless
 * given), times; checks type, status, classification ceiling.  *ref_out
 * (optional) receives the new ref, owned by the caller. */
int pk_ticket_insert(struct pk_db *db, struct pk_change *ch, char **ref_out);
/* Saves changes to an existing ticket: checks the status transition,
 * recomputes priority when impact or urgency change (unless priority is
 * given), maintains resolved/closed times.  `note`, when not NULL, is added
 * as an internal comment in the same transaction. */
int pk_ticket_save(struct pk_db *db, const struct pk_ticket *t, struct pk_change *ch,
		   const char *note);

/* Assigns a ticket to `user` ("" or NULL: nobody), with the workflow's
 * rule: a new or reopened ticket moves to assigned, and an assigned one
 * left without an assignee moves back to new (when the workflow has those
 * moves). */
int pk_ticket_assign(struct pk_db *db, const struct pk_ticket *t, const char *user);

/* Adds a comment of `kind` (public, internal, worklog) to a ticket.
 * `author` NULL = the current user, `at` 0 = now, `uuid` NULL = new. */
int pk_comment_add(struct pk_db *db, const struct pk_ticket *t, const char *kind, const char *body,
		   int minutes, const char *author, int64_t at, const char *uuid);

/* A ticket's timeline: its history in order, each comment standing where
 * the history records it was added (both kinds owned by the timeline). */
struct pk_timeline_entry {
	struct pk_history *history; /* set for a history entry */
	struct pk_comment *comment; /* set for a comment */
};

struct pk_timeline {
	struct pk_timeline_entry *entries;
	size_t n;
};

int pk_timeline_load(struct pk_db *db, const struct pk_ticket *t, struct pk_timeline *tl);
void pk_timeline_free(struct pk_timeline *tl);

typedef int (*pk_ticket_cb)(struct pk_ticket *t, void *data);
typedef int (*pk_comment_cb)(struct pk_comment *c, void *data);
typedef int (*pk_history_cb)(struct pk_history *h, void *data);

/* Callbacks borrow the record; returning non-zero stops the walk and is
 * returned. */
int pk_comment_list(struct pk_db *db, int64_t ticket_id, pk_comment_cb cb, void *data);
int pk_history_list(struct pk_db *db, const char *entity_uuid, pk_history_cb cb, void *data);

/* Tickets matching a compiled query, in its order; limit < 0 = all. */
int pk_ticket_list(struct pk_db *db, const struct pk_query *q, long limit, pk_ticket_cb cb,
		   void *data);
/* The window [offset, offset + limit) of the same list: screens page
 * through a million tickets without loading them. */
int pk_ticket_window(struct pk_db *db, const struct pk_query *q, long offset, long limit,
		     pk_ticket_cb cb, void *data);
int pk_ticket_count(struct pk_db *db, const struct pk_query *q, long *count);
/* Open tickets whose resolution target is before `now` (index-backed). */
int pk_ticket_count_overdue(struct pk_db *db, int64_t now, long *count);

#endif
