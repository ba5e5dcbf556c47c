/* Import and export.  An import is one transaction: the first bad record
 * stops it with its line number and nothing is kept. */
#include "picket/io.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/query.h"
#include "picket/status.h"
#include "picket/text.h"
#include "picket/ticket.h"

static void set_time(json_t *o, const char *key, int64_t t)
{
	char buf[32];
	json_object_set_new(o, key,
			    t ? json_string(pk_time_format(t, buf, sizeof(buf))) : json_null());
}

static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s ? json_string(s) : json_null());
}

json_t *pk_ticket_to_json(const struct pk_ticket *t)
{
	json_t *o = json_object();
	char prio[4];
	snprintf(prio, sizeof(prio), "P%d", t->priority);
	set_str(o, "ref", t->ref);
	set_str(o, "uuid", t->uuid);
	set_str(o, "type", t->type);
	set_str(o, "title", t->title);
	set_str(o, "description", t->description);
	set_str(o, "status", t->status);
	set_str(o, "priority", prio);
	json_object_set_new(o, "impact", json_integer(t->impact));
	json_object_set_new(o, "urgency", json_integer(t->urgency));
	set_str(o, "category", t->category);
	set_str(o, "service", t->service);
	set_str(o, "ci", t->ci);
	set_str(o, "requester", t->requester);
	set_str(o, "assignee", t->assignee);
	set_str(o, "group", t->group);
	set_str(o, "classification", t->classification);
	set_str(o, "vendor", t->vendor);
	set_str(o, "vendor_ref", t->vendor_ref);
	set_str(o, "resolution", t->resolution);
	set_time(o, "created_at", t->created_at);
	set_time(o, "updated_at", t->updated_at);
	set_time(o, "resolved_at", t->resolved_at);
	set_time(o, "closed_at", t->closed_at);
	set_time(o, "followup", t->followup_at);
	return o;
}

json_t *pk_comment_to_json(const struct pk_comment *c)
{
	json_t *o = json_object();
	set_str(o, "uuid", c->uuid);
	set_str(o, "kind", c->kind);
	set_str(o, "author", c->author);
	set_str(o, "body", c->body);
	json_object_set_new(o, "minutes", json_integer(c->minutes));
	set_time(o, "created_at", c->created_at);
	return o;
}

struct reader {
	FILE *f;
	char *line;
	size_t cap;
	ssize_t len;
	long lineno;
	uint64_t bytes;
};

static int read_line(struct reader *r)
{
	r->len = getline(&r->line, &r->cap, r->f);
	if (r->len < 0)
		return 0;
	r->lineno++;
	r->bytes += (uint64_t)r->len;
	return 1;
}

static int line_error(struct pk_db *db, long line, int rc)
{
	struct pk_error *err = pk_db_err(db);
	char msg[sizeof(err->msg)];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	pk_error_set(err, rc, _("line %ld: %s"), line, msg);
	err->line = line;
	return rc;
}

/* A JSON value as the text pk_ticket_put() parses. */
static int json_text(struct pk_db *db, const char *key, json_t *v, char **out)
{
	*out = NULL;
	if (json_is_null(v))
		return PK_OK;
	if (json_is_string(v)) {
		*out = pk_xstrndup(json_string_value(v), json_string_length(v));
		if (strlen(*out) != json_string_length(v)) {
			pk_freep(out);
			return pk_error_set(pk_db_err(db), PK_EINVAL, _("%s contains a NUL byte"),
					    key);
		}
		return PK_OK;
	}
	if (json_is_integer(v)) {
		*out = pk_xasprintf("%lld", (long long)json_integer_value(v));
		return PK_OK;
	}
	return pk_error_set(pk_db_err(db), PK_EINVAL, _("%s must be a string or a number"), key);
}

static int import_comment(struct pk_db *db, const struct pk_ticket *t, json_t *c)
{
	if (!json_is_object(c))
		return pk_error_set(pk_db_err(db), PK_EINVAL, _("a comment must be an object"));
	const char *key;
	json_t *v;
	char *kind = NULL, *author = NULL, *body = NULL, *uuid = NULL, *created = NULL;
	long long minutes = 0;
	int rc = PK_OK;
	json_object_foreach(c, key, v)
	{
		char **slot = strcmp(key, "kind") == 0	       ? &kind
			      : strcmp(key, "author") == 0     ? &author
			      : strcmp(key, "body") == 0       ? &body
			      : strcmp(key, "uuid") == 0       ? &uuid
			      : strcmp(key, "created_at") == 0 ? &created
							       : NULL;
		if (slot) {
			if ((rc = json_text(db, key, v, slot)) != PK_OK)
				break;
		} else if (strcmp(key, "minutes") == 0) {
			if (!json_is_integer(v) && !json_is_null(v)) {
				rc = pk_error_set(pk_db_err(db), PK_EINVAL,
						  _("comment minutes must be a number"));
				break;
			}
			minutes = json_is_integer(v) ? json_integer_value(v) : 0;
		} else {
			rc = pk_error_set(pk_db_err(db), PK_EINVAL, _("unknown comment field '%s'"),
					  key);
			break;
		}
	}
	int64_t at = 0;
	if (rc == PK_OK && created && pk_time_parse(created, &at) != 0)
		rc = pk_error_set(pk_db_err(db), PK_EINVAL,
				  _("comment created_at: '%s' is not a time"), created);
	if (rc == PK_OK && (minutes < 0 || minutes > 100000))
		rc = pk_error_set(pk_db_err(db), PK_EINVAL,
				  _("worklog minutes must be from 0 to 100000"));
	if (rc == PK_OK)
		rc = pk_comment_add(db, t, kind ? kind : "public", body, (int)minutes, author,
				    at ? at : pk_clock_now(), uuid);
	free(kind);
	free(author);
	free(body);
	free(uuid);
	free(created);
	return rc;
}

/* Imports one parsed record; the caller releases it. */
static int import_json_record(struct pk_db *db, json_t *obj, struct pk_import_stats *stats)
{
	if (!json_is_object(obj)) {
		return pk_error_set(pk_db_err(db), PK_EINVAL, _("a record must be a JSON object"));
	}
	struct pk_change *ch = pk_ticket_draft(db);
	const char *key;
	json_t *v, *comments = NULL;
	int rc = PK_OK;
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "comments") == 0) {
			if (!json_is_array(v) && !json_is_null(v)) {
				rc = pk_error_set(pk_db_err(db), PK_EINVAL,
						  _("comments must be an array"));
				break;
			}
			comments = v;
			continue;
		}
		char *text;
		if ((rc = json_text(db, key, v, &text)) != PK_OK)
			break;
		rc = pk_ticket_put(db, ch, key, text, 1);
		free(text);
		if (rc != PK_OK)
			break;
	}
	char *ref = NULL;
	if (rc == PK_OK)
		rc = pk_ticket_insert(db, ch, &ref);
	if (rc == PK_OK && comments && json_array_size(comments)) {
		/* the comments need only the new ticket's identity */
		struct pk_ticket t = { .id = pk_change_rowid(ch),
				       .uuid = (char *)pk_change_uuid(ch),
				       .ref = ref };
		size_t i;
		json_t *c;
		json_array_foreach(comments, i, c)
		{
			if ((rc = import_comment(db, &t, c)) != PK_OK)
				break;
			stats->comments++;
		}
	}
	if (rc == PK_OK)
		stats->tickets++;
	free(ref);
	pk_change_free(&ch);
	return rc;
}

/* CSV (RFC 4180): fields may be quoted, quoted fields may hold commas,
 * doubled quotes and newlines.  Returns the number of fields, or -1 at end
 * of input, -2 on an unterminated quote. */
static int csv_record(struct reader *r, char ***fields, int *cap, struct pk_buf *store,
		      size_t **offs)
{
	int n = 0;
	pk_buf_reset(store);
	if (!read_line(r))
		return -1;
	size_t i = 0;
	for (;;) {
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 32;
			*offs = pk_xrealloc(*offs, (size_t)*cap * sizeof(**offs));
			*fields = pk_xrealloc(*fields, (size_t)*cap * sizeof(**fields));
		}
		(*offs)[n++] = store->len;
		if (i < (size_t)r->len && r->line[i] == '"') {
			i++;
			for (;;) {
				if (i >= (size_t)r->len) {
					if (!read_line(r))
						return -2;
					i = 0;
					continue;
				}
				char ch = r->line[i];
				if (ch == '"') {
					if (i + 1 < (size_t)r->len && r->line[i + 1] == '"') {
						pk_buf_putc(store, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				pk_buf_putc(store, ch);
				i++;
			}
		}
		while (i < (size_t)r->len && r->line[i] != ',' && r->line[i] != '\n' &&
		       r->line[i] != '\r') {
			pk_buf_putc(store, r->line[i]);
			i++;
		}
		pk_buf_putc(store, '\0');
		if (i < (size_t)r->len && r->line[i] == ',') {
			i++;
			continue;
		}
		break;
	}
	for (int k = 0; k < n; k++)
		(*fields)[k] = store->data + (*offs)[k];
	return n;
}

static int import_csv(struct pk_db *db, struct reader *r, uint64_t total, pk_progress_fn progress,
		      void *pdata, struct pk_import_stats *stats)
{
	char **fields = NULL, **header = NULL;
	size_t *offs = NULL;
	int cap = 0, nh, rc = PK_OK;
	struct pk_buf store = { 0 };

	nh = csv_record(r, &fields, &cap, &store, &offs);
	if (nh < 0) {
		free(fields);
		free(offs);
		pk_buf_free(&store);
		return nh == -1 ? PK_OK
				: line_error(db, r->lineno,
					     pk_error_set(pk_db_err(db), PK_EINVAL,
							  _("unterminated quote")));
	}
	header = pk_xcalloc((size_t)nh, sizeof(*header));
	for (int i = 0; i < nh; i++) {
		header[i] = pk_xstrdup(fields[i]);
		if (rc == PK_OK && !pk_ticket_field_known(header[i], 1))
			rc = pk_error_set(pk_db_err(db), PK_EINVAL,
					  _("unknown column '%s' in the header"), header[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(header[i], header[j]) == 0)
				rc = pk_error_set(pk_db_err(db), PK_EINVAL,
						  _("column '%s' appears twice in the header"),
						  header[i]);
	}
	if (rc != PK_OK)
		rc = line_error(db, 1, rc);
	while (rc == PK_OK) {
		long start = r->lineno + 1;
		int n = csv_record(r, &fields, &cap, &store, &offs);
		if (n == -1)
			break;
		if (n == -2) {
			rc = line_error(
				db, start,
				pk_error_set(pk_db_err(db), PK_EINVAL, _("unterminated quote")));
			break;
		}
		if (n == 1 && !fields[0][0])
			continue; /* blank line */
		if (n != nh) {
			pk_error_set(pk_db_err(db), PK_EINVAL,
				     _("%d fields where the header has %d"), n, nh);
			rc = line_error(db, start, PK_EINVAL);
			break;
		}
		/* a NUL byte inside the record ends a field early */
		size_t expect = 0;
		for (int i = 0; i < n; i++)
			expect += strlen(fields[i]) + 1;
		if (expect != store.len) {
			pk_error_set(pk_db_err(db), PK_EINVAL, _("the record contains a NUL byte"));
			rc = line_error(db, start, PK_EINVAL);
			break;
		}
		struct pk_change *ch = pk_ticket_draft(db);
		for (int i = 0; i < n && rc == PK_OK; i++)
			if (fields[i][0] || strcmp(header[i], "title") == 0)
				rc = pk_ticket_put(db, ch, header[i], fields[i], 1);
		if (rc == PK_OK)
			rc = pk_ticket_insert(db, ch, NULL);
		pk_change_free(&ch);
		if (rc != PK_OK) {
			rc = line_error(db, start, rc);
			break;
		}
		stats->tickets++;
		if (progress && stats->tickets % 1000 == 0)
			progress(pdata, r->bytes, total);
	}
	for (int i = 0; i < nh; i++)
		free(header[i]);
	free(header);
	free(fields);
	free(offs);
	pk_buf_free(&store);
	return rc;
}

/* JSON lines are parsed on a second thread while this one writes: parsing
 * is a fifth of an import and the machines have two cores.  The reader
 * hands records over, in order, through a bounded queue. */
#define QUEUE_LEN 256

struct parsed {
	json_t *obj; /* NULL: the line did not parse, see err */
	long line;
	char err[160];
};

struct reader_queue {
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct parsed ring[QUEUE_LEN];
	size_t head, count;
	int done;	 /* the reader has reached the end (or failed) */
	int reader_gone; /* ...and frees no more garbage */
	int stop;	 /* the writer gave up: the reader must stop */
	int io_errno;
	uint64_t bytes_read; /* published under the lock, for progress */
	struct reader r;
	/* records the writer is done with, freed by the reader: glibc frees a
	 * block allocated by another thread slowly, through its arena lock */
	json_t *garbage[QUEUE_LEN];
	size_t ngarbage;
};

static void free_garbage(struct reader_queue *q)
{
	json_t *batch[QUEUE_LEN];
	pthread_mutex_lock(&q->mu);
	size_t n = q->ngarbage;
	memcpy(batch, q->garbage, n * sizeof(*batch));
	q->ngarbage = 0;
	pthread_cond_signal(&q->room);
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < n; i++)
		json_decref(batch[i]);
}

static void *reader_main(void *arg)
{
	struct reader_queue *q = arg;
	struct reader *r = &q->r;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		int stop = q->stop;
		pthread_mutex_unlock(&q->mu);
		if (stop || !read_line(r))
			break;
		size_t len = (size_t)r->len;
		while (len && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
			len--;
		size_t k = 0;
		while (k < len && (r->line[k] == ' ' || r->line[k] == '\t'))
			k++;
		if (k == len)
			continue;
		struct parsed item = { .line = r->lineno };
		json_error_t jerr;
		item.obj = json_loadb(r->line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!item.obj)
			snprintf(item.err, sizeof(item.err), "%s", jerr.text);
		free_garbage(q);
		pthread_mutex_lock(&q->mu);
		/* only a full queue makes the reader wait: a full garbage list
		 * does not (the writer frees for itself then), or the reader,
		 * its only emptier, would wait for itself */
		while (q->count == QUEUE_LEN && !q->stop)
			pthread_cond_wait(&q->room, &q->mu);
		if (q->stop) {
			pthread_mutex_unlock(&q->mu);
			json_decref(item.obj);
			break;
		}
		q->ring[(q->head + q->count) % QUEUE_LEN] = item;
		q->count++;
		q->bytes_read = r->bytes;
		pthread_cond_signal(&q->more);
		pthread_mutex_unlock(&q->mu);
		if (!item.obj)
			break; /* the writer reports it; nothing after it matters */
	}
	pthread_mutex_lock(&q->mu);
	q->io_errno = ferror(r->f) ? (errno ? errno : EIO) : 0;
	q->done = 1;
	q->reader_gone = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Gives a finished record back for the reader to free (or frees it when
 * the reader has gone), then takes the next record; 0 at the end.  It
 * always takes `finished`, also when it returns 0. */
static int queue_pop(struct reader_queue *q, json_t *finished, struct parsed *out, uint64_t *bytes)
{
	pthread_mutex_lock(&q->mu);
	if (finished && !q->reader_gone && q->ngarbage < QUEUE_LEN) {
		q->garbage[q->ngarbage++] = finished;
		finished = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	json_decref(finished);
	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && !q->done)
		pthread_cond_wait(&q->more, &q->mu);
	int got = q->count > 0;
	if (got) {
		*out = q->ring[q->head];
		q->head = (q->head + 1) % QUEUE_LEN;
		q->count--;
		pthread_cond_signal(&q->room);
	}
	*bytes = q->bytes_read;
	pthread_mutex_unlock(&q->mu);
	return got;
}

static int import_jsonl(struct pk_db *db, FILE *f, long first_line, uint64_t total,
			pk_progress_fn progress, void *pdata, struct pk_import_stats *stats)
{
	struct reader_queue *q = pk_xcalloc(1, sizeof(*q));
	pthread_t tid;
	int rc = PK_OK;
	q->r.f = f;
	q->r.lineno = first_line;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&tid, NULL, reader_main, q) != 0) {
		rc = pk_error_set(pk_db_err(db), PK_ERR, _("cannot start the reader thread"));
		goto out;
	}
	struct parsed item = { 0 };
	uint64_t bytes = 0;
	json_t *finished = NULL;
	while (queue_pop(q, finished, &item, &bytes)) {
		finished = item.obj;
		if (rc == PK_OK && !item.obj)
			rc = line_error(db, item.line,
					pk_error_set(pk_db_err(db), PK_EINVAL,
						     _("invalid JSON: %s"), item.err));
		else if (rc == PK_OK && (rc = import_json_record(db, item.obj, stats)) != PK_OK)
			rc = line_error(db, item.line, rc);
		if (rc != PK_OK) {
			pthread_mutex_lock(&q->mu);
			q->stop = 1;
			pthread_cond_signal(&q->room);
			pthread_mutex_unlock(&q->mu);
		} else if (progress && stats->tickets % 1000 == 0) {
			progress(pdata, bytes, total);
		}
	}
	/* queue_pop() took the last record back too, even when it found no more */
	pthread_join(tid, NULL);
	for (size_t i = 0; i < q->ngarbage; i++)
		json_decref(q->garbage[i]);
	if (rc == PK_OK && q->io_errno)
		rc = pk_error_set(pk_db_err(db), PK_EIO, _("reading the input: %s"),
				  strerror(q->io_errno));
	stats->lines = q->r.lineno;
out:
	free(q->r.line);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	free(q);
	return rc;
}

int pk_import(struct pk_db *db, FILE *f, enum pk_format fmt, uint64_t total,
	      pk_progress_fn progress, void *pdata, struct pk_import_stats *stats)
{
	struct reader r = { .f = f };
	int rc;
	memset(stats, 0, sizeof(*stats));
	if (fmt == PK_FMT_AUTO) {
		int c;
		/* the blank lines skipped here still count for line numbers */
		while ((c = getc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r')
			if (c == '\n')
				r.lineno++;
		if (c != EOF)
			ungetc(c, f);
		fmt = c == '{' ? PK_FMT_JSONL : PK_FMT_CSV;
	}
	if ((rc = pk_db_bulk_begin(db)) != PK_OK)
		return rc;
	if (fmt == PK_FMT_CSV) {
		rc = import_csv(db, &r, total, progress, pdata, stats);
		if (rc == PK_OK && ferror(f))
			rc = pk_error_set(pk_db_err(db), PK_EIO, _("reading the input: %s"),
					  strerror(errno));
		stats->lines = r.lineno;
	} else {
		rc = import_jsonl(db, f, r.lineno, total, progress, pdata, stats);
	}
	free(r.line);
	if (rc != PK_OK) {
		pk_db_bulk_end(db, 0);
		return rc;
	}
	if (progress)
		progress(pdata, total, total);
	return pk_db_bulk_end(db, 1);
}

struct export_ctx {
	struct pk_db *db;
	FILE *out;
	json_t *comments;
	long count;
	pk_progress_fn progress;
	void *pdata;
	long total;
};

static int export_comment(struct pk_comment *c, void *data)
{
	struct export_ctx *x = data;
	json_array_append_new(x->comments, pk_comment_to_json(c));
	return 0;
}

static int export_one(struct pk_ticket *t, void *data)
{
	struct export_ctx *x = data;
	json_t *o = pk_ticket_to_json(t);
	x->comments = json_array();
	int rc = pk_comment_list(x->db, t->id, export_comment, x);
	json_object_set_new(o, "comments", x->comments);
	if (rc == PK_OK) {
		if (json_dumpf(o, x->out, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
		    fputc('\n', x->out) == EOF)
			rc = pk_error_set(pk_db_err(x->db), PK_EIO, _("writing the export: %s"),
					  strerror(errno));
	}
	json_decref(o);
	x->count++;
	if (x->progress && x->count % 1000 == 0)
		x->progress(x->pdata, (uint64_t)x->count, (uint64_t)x->total);
	return rc;
}

int pk_export(struct pk_db *db, const struct pk_query *q, FILE *out, pk_progress_fn progress,
	      void *pdata, long *count)
{
	struct export_ctx x = { .db = db, .out = out, .progress = progress, .pdata = pdata };
	int rc;
	/* one read transaction: a consistent snapshot while others write */
	if ((rc = pk_db_exec(db, "BEGIN")) != PK_OK)
		return rc;
	if (progress)
		pk_ticket_count(db, q, &x.total);
	rc = pk_ticket_list(db, q, -1, export_one, &x);
	pk_db_exec(db, "COMMIT");
	if (rc == PK_OK && fflush(out) != 0)
		rc = pk_error_set(pk_db_err(db), PK_EIO, _("writing the export: %s"),
				  strerror(errno));
	if (rc == PK_OK && progress)
		progress(pdata, (uint64_t)x.count, (uint64_t)x.total);
	*count = x.count;
	return rc;
}
