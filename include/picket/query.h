/* The query language shared by the CLI and the TUI, compiled to
 * parameterised SQL over `tickets t`.
 *
 *   status:open priority:<=P2 assignee:me type:incident group:network
 *   created:>-7d "disk full" sort:-priority
 *
 * Terms are ANDed; `-term` negates; `a,b` lists alternatives; bare words and
 * quoted phrases are full-text.  See picket(1), QUERY LANGUAGE. */
#ifndef PICKET_QUERY_H
#define PICKET_QUERY_H

#include <sqlite3.h>
#include <stdint.h>

#include "picket/config.h"
#include "picket/util.h"

struct pk_qparam {
	int is_int;
	int64_t i;
	char *s;
};

struct pk_query {
	char *sql_from;	 /* "tickets t" or the FTS join */
	char *sql_where; /* boolean SQL, "1" when empty */
	char *sql_order; /* ORDER BY body */
	char *match;	 /* FTS5 expression, or NULL */
	int nparams;
	struct pk_qparam *params;
};

enum pk_query_flags {
	PK_Q_RANK = 1 << 0, /* with full text and no sort:, order by relevance */
};

/* Compiles `text` (may be NULL or empty: every ticket).  `user` is what
 * `me` means; `now` anchors relative dates.  On a bad query returns
 * PK_EQUERY with err->pos the 1-based column of the offending token and
 * err->msg naming it.  *out is owned by the caller. */
int pk_query_compile(const struct pk_config *cfg, const char *user, int64_t now, const char *text,
		     int flags, struct pk_query **out, struct pk_error *err);
void pk_query_free(struct pk_query **q);
/* Binds the query's parameters to st starting at index `first`; returns
 * the next free index. */
int pk_query_bind(const struct pk_query *q, sqlite3_stmt *st, int first);
/* The full SELECT of ticket columns with LIMIT ? OFFSET ?; owned by the
 * caller. */
char *pk_query_select(const struct pk_query *q, const char *columns);

#endif
