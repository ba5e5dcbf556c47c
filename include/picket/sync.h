/* `picket sync`: pull other nodes' events from picketd and merge them, then
 * push this installation's own, over HTTPS (libcurl).  Pages pulled are
 * committed with their cursor every sync.commit_events events, every batch
 * pushed on its own, so an interrupted sync is simply run again: the
 * server ignores events it has (by uuid) and the cursor resumes where the
 * last committed page ended.  The next page is fetched, and the next batch
 * read and sent, while the database works on the one before. */
#ifndef PICKET_SYNC_H
#define PICKET_SYNC_H

#include <stdint.h>

#include "picket/util.h"

struct pk_db;
struct pk_config;

struct pk_sync_options {
	char *url;	   /* base URL, no trailing slash */
	char *token;	   /* bearer token; NULL when the certificate alone signs in */
	char *ca_file;	   /* CA bundle to verify the server with; NULL = system's */
	char *cert_file;   /* client certificate (PEM), or NULL */
	char *key_file;	   /* its private key (PEM; cert_file when that holds both) */
	int allow_http;	   /* sync.allow_insecure_http */
	int timeout;	   /* seconds per request */
	int retries;	   /* attempts after a network failure or a 5xx */
	int batch;	   /* events per push and per pull page */
	int commit_events; /* events a pull merges per transaction (whole pages) */
	int ceiling;	   /* sync.ceiling as a rank; -1: the server's */
};

/* Reads [sync] from the configuration: url, token or token_file (refused
 * when group- or world-readable), cert_file and key_file (the key refused
 * when group- or world-readable), ca_file, allow_insecure_http, timeout,
 * retries.  A token or a certificate is needed.  Returns PK_OK or
 * PK_ECONFIG with err saying why (no url, a plain http URL without
 * allow_insecure_http, ...). */
int pk_sync_options_load(const struct pk_config *cfg, struct pk_sync_options *o,
			 struct pk_error *err);
void pk_sync_options_free(struct pk_sync_options *o);
/* sync.interval: minutes between the interface's automatic syncs, 0 = off. */
int pk_sync_interval(const struct pk_config *cfg);

struct pk_sync_summary {
	int64_t pushed;		/* events the server took */
	int64_t pulled;		/* events merged here */
	int64_t duplicates;	/* events either side had already */
	int64_t conflicts;	/* fields in conflict after the sync */
	int64_t pending;	/* local events still to push */
	int64_t cursor;		/* server sequence reached */
	int64_t refused;	/* local changes the server refused (and undone here) */
	int64_t held;		/* local changes not sent: above the ceiling */
	char ceiling[64];	/* the level pushes stop at */
	struct pk_buf refusals; /* one line each: "REF field: why" */
	char server[64];
};
void pk_sync_summary_free(struct pk_sync_summary *sum);

/* Progress: phase "pull" or "push", done and total events (total may grow). */
typedef void (*pk_sync_progress)(const char *phase, int64_t done, int64_t total, void *data);

/* Runs one sync.  Changes the server refuses (a role's limit) are taken
 * back here and listed in the summary; the sync goes on and returns
 * PK_EREFUSED at the end.  Returns PK_OK; PK_ENET (the server could not be reached
 * or kept failing after the retries), PK_EREFUSED (the server refused: bad
 * token, forbidden change, invalid event), PK_EPROTO (another protocol
 * version), PK_EINVAL (the server sent an event this database cannot
 * take) or a database status.  The summary holds what was done, even on
 * failure; err says why it stopped. */
int pk_sync_run(struct pk_db *db, const struct pk_sync_options *o, pk_sync_progress progress,
		void *data, struct pk_sync_summary *sum, struct pk_error *err);

/* What the status bar shows: last successful sync time (0 = never), local
 * events not pushed yet, fields in conflict. */
struct pk_sync_state {
	int64_t last_ok;
	int64_t pending;
	int64_t conflicts;
};
int pk_sync_state(struct pk_db *db, struct pk_sync_state *st);

#endif
