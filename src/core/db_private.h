/* Private to core: the database handle's insides, shared by db.c, the
 * change path and the audit chain. */
#ifndef PICKET_CORE_DB_PRIVATE_H
#define PICKET_CORE_DB_PRIVATE_H

#include <sqlite3.h>
#include <stdint.h>

#include "picket/db.h"
#include "picket/oplog.h"

struct stmt_slot {
	char *sql;
	sqlite3_stmt *st;
};

/* The search index's columns, words and memory (schema.c); fts.c builds
 * the same index elsewhere during a first sync. */
#define PK_FTS_COLUMNS	"title, description, comments"
#define PK_FTS_TOKENIZE "'unicode61 remove_diacritics 2'"
#define PK_FTS_HASHSIZE "16777216"

struct pk_fts_builder; /* fts.c */

#define STMT_SLOTS    256 /* open addressing; a power of two */
#define FTS_BATCH     256 /* tickets pending re-indexing before a flush */
#define MAX_OBSERVERS 8
#define ENT_SQL_SLOTS 16 /* kinds of record (entities) */

enum pk_entity_sql {
	PK_SQL_INSERT, /* INSERT INTO table(uuid, every field) VALUES (?, ...) */
	PK_SQL_SELECT, /* SELECT id, every field FROM table WHERE uuid = ?1 */
	PK_SQL_ID,     /* SELECT id FROM table WHERE uuid = ?1 */
	PK_SQL_KINDS
};

struct pk_db {
	sqlite3 *h;
	char *path;
	char *user;
	const struct pk_config *cfg;
	struct pk_error err;
	int readonly;
	const struct pk_schema *schema;

	int depth;  /* transaction nesting */
	int doomed; /* a nested level rolled back */
	int wrote;  /* the transaction changed data */

	struct stmt_slot stmts[STMT_SLOTS];
	/* each kind of record's statements (pk_entity_sql), built once */
	struct entity_sql {
		const struct pk_entity *ent;
		char *sql[PK_SQL_KINDS];
	} ent_sql[ENT_SQL_SLOTS];
	int nent_sql;

	/* full-text upkeep: tickets whose document must be re-inserted */
	int64_t fts_pending[FTS_BATCH];
	int nfts;
	/* bulk mode (import): tickets from bulk_first on are indexed in one
	 * pass at the flush, by 'rebuild' when the index started empty */
	int fts_bulk;
	int fts_rebuild;
	int64_t bulk_first;
	/* a first sync's index, built on a second thread (fts.c) */
	struct pk_fts_builder *fts_builder;
	int sla_bulk; /* SLA clocks of tickets from bulk_first on: at the end */
	/* a batch (pk_db_batch_begin): SLA refreshes wait for the commit, one
	 * per ticket however many of its events the batch merged; those the
	 * batch created (id >= bulk_first) in one pass (sla.c) */
	int sla_defer;
	int64_t *sla_pending;
	int nsla_pending, sla_pending_cap;
	int bulk_journal; /* switched to a rollback journal for the bulk */

	/* per-transaction caches of the chain head and the clock */
	unsigned char last_hash[32];
	int have_last_hash;
	int64_t history_next;
	int history_dirty; /* appended in this transaction: re-anchor the head */
	int64_t hlc_last;
	int have_hlc;
	int hlc_seen_dirty; /* a merged clock moved hlc_last: store it at commit */

	/* The event from another node being merged (oplog.c): the change path
	 * writes it as is, under its author's name and time, instead of making
	 * a local event. */
	const struct pk_event *remote;
	int remote_written;
	/* Undoing a change the server refused (pk_oplog_refuse): the row and
	 * history change, no event is made. */
	int undoing;

	struct {
		pk_db_observer fn;
		void *data;
	} observers[MAX_OBSERVERS];
	int nobservers;
	int64_t data_version;

	/* PICKET_SQL_PROFILE: time spent per statement, printed at close */
	struct profile_entry {
		char *sql;
		int64_t ns;
		int64_t runs;
	} * profile;
	int nprofile;
};

/* Appends the merged event db->remote to the oplog without changing any
 * record (it lost to a later value, or set what was there). */
int pk_oplog_append_remote(struct pk_db *db);
/* The author and time of the change being applied: the merged event's, or
 * this handle's user and the clock. */
const char *pk_db_actor(struct pk_db *db);
int64_t pk_db_change_time(struct pk_db *db);
/* The hlc of the value a field holds: its winning event's (0 if none). */
int pk_oplog_field_clock(struct pk_db *db, const char *entity_uuid, const char *field, int64_t *hlc,
			 char *origin, size_t origin_len);

/* A kind of record's statement text, built on first use and kept by the
 * handle (change.c). */
const char *pk_entity_sql(struct pk_db *db, const struct pk_entity *ent, enum pk_entity_sql kind);

/* A commit makes final what its transaction handed a first sync's index
 * builder; a rollback after a hand-over voids the build, and the index is
 * then rebuilt instead (fts.c). */
void pk_fts_build_commit(struct pk_db *db);
void pk_fts_build_rollback(struct pk_db *db);

#endif
