/* A push judged in memory, for every store: which of its events are new,
 * which records they make or change, and whether the policy and the
 * ceiling allow them.
 *
 * A store begins its transaction, reads its head, loads what the batch
 * names (the events it holds already, the records, their tickets and the
 * tracked fields, the unique names taken), calls srv_batch_judge() and
 * writes what the batch says: the events of b->stored numbered head + 1,
 * head + 2, ..., the new records and the changed fields.  So both stores
 * decide exactly alike, and neither merges a whole desk's rows per event:
 * the server keeps the events and only what its checks read. */
#ifndef PICKETD_JUDGE_H
#define PICKETD_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "users.h"
#include "picket/config.h"
#include "picket/protocol.h"

/* The ticket fields whose current value the policy is given, in this
 * order: srv_tracked[k] is the field's name. */
#define SRV_NTRACKED 2
#define SRV_T_GROUP  0
#define SRV_T_CLASS  1
extern const char *const srv_tracked[SRV_NTRACKED];

/* A record a batch names, as the store has it and as the batch leaves it. */
struct srv_prec {
	char uuid[PK_UUID_LEN + 1]; /* first: the map's key */
	char entity[32];
	char ticket[PK_UUID_LEN + 1]; /* a child's ticket, else "" */
	char *name;		      /* the unique name it holds, or NULL */
	int is_new;		      /* created by this batch */
	int dirty;		      /* a tracked field changed */
	struct srv_tfield {
		int set;
		char *value; /* NULL: none */
		int64_t hlc; /* the clock a set must beat */
		char *origin;
		int by_set; /* the clock is a set's, not the creation's */
	} f[SRV_NTRACKED];
};

/* A small open-addressing map from a uuid to an entry that begins with it. */
struct srv_umap {
	char **v;
	size_t cap, n;
};

struct srv_batch {
	const struct pk_config *classes; /* the levels; the ceiling is system_high */
	const struct pk_events *evs;
	char (*parents)[PK_UUID_LEN + 1]; /* a create's parent, per event */
	/* what a create's value says, read once, per event: the unique name
	 * and the tracked fields (NULL when absent or null) */
	struct srv_create {
		char *name;
		char *f[SRV_NTRACKED];
	} * creates;
	size_t bad; /* the first event that failed its check */
	struct pk_error bad_err;
	struct srv_umap seen;  /* event uuids stored, owned */
	struct srv_umap recs;  /* struct srv_prec, owned */
	struct srv_umap names; /* names taken, "entity:lower-case name", owned */
	size_t *stored;	       /* the events to write, in order (indexes) */
	size_t nstored;
	int64_t head; /* the store's head; srv_batch_judge() leaves the new one */
};

/* Checks each event (pk_event_validate, no database needed) and parses
 * what the judgement reads.  The events must outlive the batch. */
void srv_batch_init(struct srv_batch *b, const struct pk_events *evs,
		    const struct pk_config *classes);
void srv_batch_free(struct srv_batch *b);

/* What a store loads: the batch names event i's record (ev->entity_uuid)
 * and its parent (b->parents[i], may be ""), for each i below b->bad; a
 * create of event i may take the unique name srv_batch_name(b, i). */
const char *srv_batch_name(const struct srv_batch *b, size_t i);
/* Notes that the store holds the event `uuid` already. */
void srv_batch_seen(struct srv_batch *b, const char *uuid);
/* A record as the store has it (ticket, name: NULL or ""); the one the
 * batch has when loaded twice. */
struct srv_prec *srv_batch_record(struct srv_batch *b, const char *uuid, const char *entity,
				  const char *ticket, const char *name);
struct srv_prec *srv_batch_get(const struct srv_batch *b, const char *uuid);
/* A tracked field of a loaded ticket, as the store has it. */
void srv_batch_field(struct srv_prec *rec, const char *field, const char *value, int64_t hlc,
		     const char *origin, int by_set);
/* Notes that a record of `entity` holds `name` (compared without regard
 * to ASCII case) in the store. */
void srv_batch_taken(struct srv_batch *b, const char *entity, const char *name);
/* The batch's records, for writing: *at starts at 0; NULL at the end. */
struct srv_prec *srv_batch_next_record(const struct srv_batch *b, size_t *at);

/* Judges every event, then the ceiling (srv_store_ops.push says what
 * comes back).  On PK_OK, b->stored lists the events to write and
 * b->head is the new head. */
int srv_batch_judge(struct srv_batch *b, const struct srv_user *user, struct pk_push_result *res,
		    const char **refusal, struct pk_error *err);

/* The sequence of b->stored[k] once judged: the old head + 1 + k. */
int64_t srv_batch_seq(const struct srv_batch *b, size_t k);

/* The rank of a level's name; -1 for none, the highest for a name the
 * server does not know. */
int srv_level_rank(const struct pk_config *cls, const char *name);

#endif
