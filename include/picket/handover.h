/* The shift handover report: what the outgoing shift leaves to the
 * incoming one.  Built once, rendered as text, Markdown or JSON by the CLI
 * and shown by the interface's handover screen. */
#ifndef PICKET_HANDOVER_H
#define PICKET_HANDOVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "picket/desk.h"
#include "picket/ticket.h"
#include "picket/util.h"

struct pk_db;

#define PK_HANDOVER_LIST_MAX 50 /* tickets listed per section; counts are exact */

struct pk_ticket_set {
	struct pk_ticket **t;
	size_t n;
	long total;
};

struct pk_handover {
	int64_t since, now;
	struct pk_ticket_set opened, resolved, major, breached, near, followups;
	struct pk_note *notes;
	size_t nnotes;
	struct pk_duty *duty; /* one per group with a rota */
	size_t nduty;
};

/* Builds the report of the shift that started at `since`. */
int pk_handover_build(struct pk_db *db, int64_t since, struct pk_handover *h);
void pk_handover_free(struct pk_handover *h);
/* The report as plain text (markdown = 0) or Markdown.  Raw database text:
 * sanitize before it reaches a terminal.  Owned by the caller. */
char *pk_handover_text(const struct pk_handover *h, int markdown);
json_t *pk_handover_json(const struct pk_handover *h);

#endif
