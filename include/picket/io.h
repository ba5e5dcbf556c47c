/* Import and export: JSON lines (one ticket with its comments a line) and
 * CSV (one ticket a row, header of field names). */
#ifndef PICKET_IO_H
#define PICKET_IO_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct pk_db;
struct pk_query;
struct pk_ticket;
struct pk_comment;

enum pk_format { PK_FMT_AUTO, PK_FMT_JSONL, PK_FMT_CSV };

typedef void (*pk_progress_fn)(void *data, uint64_t done, uint64_t total);

struct pk_import_stats {
	long tickets;
	long comments;
	long lines;
};

/* Imports every record of `f` in ONE transaction: a bad record is reported
 * with its line number in the db handle's error (line set) and nothing of
 * the file is committed.  `total` is the file size for progress (0 if
 * unknown). */
int pk_import(struct pk_db *db, FILE *f, enum pk_format fmt, uint64_t total,
	      pk_progress_fn progress, void *pdata, struct pk_import_stats *stats);

/* Writes the matching tickets as JSON lines, each with its comments. */
int pk_export(struct pk_db *db, const struct pk_query *q, FILE *out, pk_progress_fn progress,
	      void *pdata, long *count);

/* The JSON form of a ticket (stable field names of the data model). */
json_t *pk_ticket_to_json(const struct pk_ticket *t);
json_t *pk_comment_to_json(const struct pk_comment *c);

#endif
