/* The sync client: libcurl over HTTPS to picketd (see sync.h). */
#include "picket/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "picket/change.h"
#include "picket/clock.h"
#include "picket/config.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/oplog.h"
#include "picket/policy.h"
#include "picket/protocol.h"
#include "picket/status.h"
#include "picket/ticket.h"
#include "picket/buildconf.h"
#include "libcurl.h"

#define MAX_ANSWER (64 << 20) /* bytes of one answer we are willing to hold */
#define MAX_TOKEN  512
/* a pull of this many events or more writes through a rollback journal */
#define PULL_BULK_EVENTS 50000

/* --- options --- */

static int cfg_bool(const char *s)
{
	return s && (pk_strcaseeq(s, "true") || pk_strcaseeq(s, "yes") || pk_strcaseeq(s, "on") ||
		     strcmp(s, "1") == 0);
}

static int cfg_int(const struct pk_config *cfg, const char *key, int def, int min, int max,
		   int *out, struct pk_error *err)
{
	const char *s = pk_config_str(cfg, key);
	long long v = def;
	if (s && *s && pk_parse_int(s, min, max, &v) != PK_OK)
		return pk_error_set(err, PK_ECONFIG, _("%s: '%s' is not a number from %d to %d"),
				    key, s, min, max);
	*out = (int)v;
	return PK_OK;
}

/* A secret's file must be this user's alone. */
static int private_file(const char *path, const char *what, struct pk_error *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return pk_error_set(err, PK_ECONFIG, _("%s: cannot read %s: %s"), what, path,
				    strerror(errno));
	return pk_check_private(what, path, (unsigned)sb.st_mode, err);
}

static int read_token(const char *path, char **out, struct pk_error *err)
{
	int rc = private_file(path, "sync.token_file", err);
	if (rc != PK_OK)
		return rc;
	FILE *f = fopen(path, "r");
	if (!f)
		return pk_error_set(err, PK_ECONFIG, _("sync.token_file: cannot read %s: %s"), path,
				    strerror(errno));
	char buf[MAX_TOKEN + 2];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!*buf || strlen(buf) > MAX_TOKEN)
		return pk_error_set(err, PK_ECONFIG, _("sync.token_file: %s holds no token"), path);
	*out = pk_xstrdup(buf);
	return PK_OK;
}

/* cert_file and key_file: readable, the key this user's alone. */
static int client_cert(const struct pk_config *cfg, struct pk_sync_options *o, struct pk_error *err)
{
	const char *cert = pk_config_str(cfg, "sync.cert_file");
	const char *key = pk_config_str(cfg, "sync.key_file");
	int rc;
	if (!cert || !*cert) {
		if (key && *key)
			return pk_error_set(err, PK_ECONFIG,
					    _("sync.key_file is set but sync.cert_file is not: "
					      "set both"));
		return PK_OK;
	}
	if (access(cert, R_OK) != 0)
		return pk_error_set(err, PK_ECONFIG, _("sync.cert_file: cannot read %s: %s"), cert,
				    strerror(errno));
	if (!key || !*key)
		key = cert;
	if ((rc = private_file(
		     key, key == cert ? _("sync.cert_file (which holds the key)") : "sync.key_file",
		     err)) != PK_OK)
		return rc;
	if (access(key, R_OK) != 0)
		return pk_error_set(err, PK_ECONFIG, _("sync.key_file: cannot read %s: %s"), key,
				    strerror(errno));
	o->cert_file = pk_xstrdup(cert);
	o->key_file = pk_xstrdup(key);
	return PK_OK;
}

int pk_sync_options_load(const struct pk_config *cfg, struct pk_sync_options *o,
			 struct pk_error *err)
{
	memset(o, 0, sizeof(*o));
	int rc;
	const char *url = pk_config_str(cfg, "sync.url");
	if (!url || !*url)
		return pk_error_set(err, PK_ECONFIG,
				    _("no sync server: set url in the [sync] section of %s"),
				    cfg->path ? cfg->path : "picket.conf");
	o->allow_http = cfg_bool(pk_config_str(cfg, "sync.allow_insecure_http"));
	if (strncmp(url, "https://", 8) != 0) {
		if (strncmp(url, "http://", 7) != 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("sync.url: '%s' is not an https:// URL"), url);
		if (!o->allow_http)
			return pk_error_set(
				err, PK_ECONFIG,
				_("sync.url: '%s' is plain http, which sends the token "
				  "and every ticket unencrypted; use https, or set "
				  "allow_insecure_http = true in [sync] to accept that"),
				url);
	}
	o->url = pk_xstrdup(url);
	size_t len = strlen(o->url);
	while (len > 0 && o->url[len - 1] == '/')
		o->url[--len] = '\0';

	const char *token = pk_config_str(cfg, "sync.token");
	const char *token_file = pk_config_str(cfg, "sync.token_file");
	if ((rc = client_cert(cfg, o, err)) != PK_OK)
		goto fail;
	if (token && *token) {
		/* a token in the configuration makes the file a secret */
		if (cfg->path && (rc = private_file(cfg->path, "sync.token", err)) != PK_OK)
			goto fail;
		o->token = pk_xstrdup(token);
	} else if (token_file && *token_file) {
		if ((rc = read_token(token_file, &o->token, err)) != PK_OK)
			goto fail;
	} else if (!o->cert_file) {
		rc = pk_error_set(err, PK_ECONFIG,
				  _("no sync token: set token_file (or cert_file, for a server "
				    "that takes client certificates) in [sync]"));
		goto fail;
	}
	const char *ca = pk_config_str(cfg, "sync.ca_file");
	if (ca && *ca) {
		if (access(ca, R_OK) != 0) {
			rc = pk_error_set(err, PK_ECONFIG, _("sync.ca_file: cannot read %s: %s"),
					  ca, strerror(errno));
			goto fail;
		}
		o->ca_file = pk_xstrdup(ca);
	}
	const char *ceiling = pk_config_str(cfg, "sync.ceiling");
	o->ceiling = -1;
	if (ceiling && *ceiling && (o->ceiling = pk_class_rank(cfg, ceiling)) < 0) {
		rc = pk_error_set(err, PK_ECONFIG, _("sync.ceiling: unknown level '%s'"), ceiling);
		goto fail;
	}
	if ((rc = cfg_int(cfg, "sync.timeout", 30, 1, 3600, &o->timeout, err)) != PK_OK ||
	    (rc = cfg_int(cfg, "sync.retries", 5, 0, 100, &o->retries, err)) != PK_OK ||
	    (rc = cfg_int(cfg, "sync.batch", 1000, 1, PK_PROTOCOL_MAX_BATCH, &o->batch, err)) !=
		    PK_OK ||
	    (rc = cfg_int(cfg, "sync.commit_events", 100000, 1, 1000000, &o->commit_events, err)) !=
		    PK_OK)
		goto fail;
	return PK_OK;
fail:
	pk_sync_options_free(o);
	return rc;
}

int pk_sync_interval(const struct pk_config *cfg)
{
	long long v = 0;
	const char *s = pk_config_str(cfg, "sync.interval");
	if (!s || pk_parse_int(s, 0, 100000, &v) != PK_OK)
		return 0;
	return (int)v;
}

void pk_sync_options_free(struct pk_sync_options *o)
{
	free(o->url);
	if (o->token)
		memset(o->token, 0, strlen(o->token));
	free(o->token);
	free(o->ca_file);
	free(o->cert_file);
	free(o->key_file);
	memset(o, 0, sizeof(*o));
}

/* --- HTTP --- */

struct client {
	struct pk_db *db;
	const struct pk_sync_options *o;
	CURL *curl;
	struct curl_slist *headers;
	struct pk_buf answer;
	int too_big;
	char curl_err[CURL_ERROR_SIZE];
	int retry_after; /* seconds the server asked us to wait, or 0 */
	struct pk_error *err;
	pk_sync_progress progress;
	void *pdata;
	int ceiling;	    /* rank: what may be pushed; -1 until the server says */
	int64_t txn_events; /* events merged in the pull's open transaction */
	int txn_open;
	/* the summary's counts when it began, restored if it rolls back */
	int64_t txn_pulled, txn_duplicates, txn_cursor;
};

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
	struct client *c = data;
	size_t len = size * n;
	if (c->answer.len + len > MAX_ANSWER) {
		c->too_big = 1;
		return 0;
	}
	pk_buf_add(&c->answer, p, len);
	return len;
}

static int client_init(struct client *c)
{
	c->curl = pk_curl.easy_init();
	if (!c->curl)
		return pk_error_set(c->err, PK_ERR, _("cannot start libcurl"));
	const struct pk_sync_options *o = c->o;
	if (o->token) {
		char *auth = pk_xasprintf("Authorization: Bearer %s", o->token);
		c->headers = pk_curl.slist_append(c->headers, auth);
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	char proto[64];
	snprintf(proto, sizeof(proto), "%s: %d", PK_PROTOCOL_HEADER, PK_PROTOCOL_VERSION);
	c->headers = pk_curl.slist_append(c->headers, proto);
	c->headers = pk_curl.slist_append(c->headers, "Content-Type: application/json");
	c->headers = pk_curl.slist_append(c->headers, "Accept: application/json");
	c->headers = pk_curl.slist_append(c->headers, "Expect:");
	CURL *h = c->curl;
	pk_curl.easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	pk_curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https");
	pk_curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	pk_curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	pk_curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	pk_curl.easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file)
		pk_curl.easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->cert_file) {
		pk_curl.easy_setopt(h, CURLOPT_SSLCERT, o->cert_file);
		pk_curl.easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		pk_curl.easy_setopt(h, CURLOPT_SSLKEY, o->key_file);
		pk_curl.easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	pk_curl.easy_setopt(h, CURLOPT_TIMEOUT, (long)o->timeout);
	pk_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(o->timeout < 10 ? o->timeout : 10));
	pk_curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	pk_curl.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	pk_curl.easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	pk_curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	pk_curl.easy_setopt(h, CURLOPT_WRITEDATA, c);
	pk_curl.easy_setopt(h, CURLOPT_USERAGENT, "picket/" PICKET_VERSION);
	return PK_OK;
}

static void client_free(struct client *c)
{
	if (c->curl)
		pk_curl.easy_cleanup(c->curl);
	pk_curl.slist_free_all(c->headers);
	pk_buf_free(&c->answer);
}

/* Transport failures worth another attempt: the network or the server
 * being down, slow or restarting. */
static int transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR: return 1;
	default: return 0;
	}
}

static void backoff(int attempt, int retry_after)
{
	/* what the server asked for (at most 30 s), else 250 ms, 500 ms, 1 s,
	 * 2 s, 4 s, then 8 s */
	int ms = retry_after > 0 ? (retry_after < 30 ? retry_after : 30) * 1000
		 : attempt < 6	 ? 250 << attempt
				 : 8000;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One request (GET when body is NULL), retried on transient failures and
 * 5xx/429 answers.  On PK_OK the 200 answer is in c->answer. */
static int request(struct client *c, const char *path, const char *body, size_t len)
{
	char *url = pk_xasprintf("%s%s", c->o->url, path);
	int rc = PK_OK;
	/* this struct's buffers, also when it is a fetch's copy (below) */
	pk_curl.easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	pk_curl.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_err);
	for (int attempt = 0;; attempt++) {
		pk_buf_reset(&c->answer);
		c->too_big = 0;
		c->curl_err[0] = '\0';
		pk_curl.easy_setopt(c->curl, CURLOPT_URL, url);
		if (body) {
			pk_curl.easy_setopt(c->curl, CURLOPT_POST, 1L);
			pk_curl.easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
			pk_curl.easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			pk_curl.easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		}
		CURLcode cc = pk_curl.easy_perform(c->curl);
		long status = 0;
		pk_curl.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		int retry = 0;
		c->retry_after = 0;
		if (cc != CURLE_OK) {
			const char *why = c->curl_err[0] ? c->curl_err : pk_curl.easy_strerror(cc);
			if (c->too_big)
				rc = pk_error_set(c->err, PK_EPROTO,
						  _("the server's answer is larger than %d MB"),
						  MAX_ANSWER >> 20);
			else if (cc == CURLE_PEER_FAILED_VERIFICATION)
				rc = pk_error_set(
					c->err, PK_ENET,
					_("%s: the server's certificate is not trusted: %s"),
					c->o->url, why);
			else if (cc == CURLE_SSL_CERTPROBLEM)
				rc = pk_error_set(c->err, PK_ECONFIG,
						  _("sync.cert_file %s and sync.key_file %s: not a "
						    "usable client certificate and key (PEM, the "
						    "key unencrypted and matching): %s"),
						  c->o->cert_file ? c->o->cert_file : "-",
						  c->o->key_file ? c->o->key_file : "-", why);
			else
				rc = pk_error_set(c->err, PK_ENET, _("%s: %s"), c->o->url, why);
			retry = transient(cc);
		} else if (status == 200) {
			const char *ct = NULL;
			pk_curl.easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct);
			struct curl_header *hv = NULL;
			if (pk_curl.easy_header(c->curl, PK_PROTOCOL_HEADER, 0, CURLH_HEADER, -1,
						&hv) != CURLHE_OK ||
			    atoi(hv->value) != PK_PROTOCOL_VERSION)
				rc = pk_error_set(
					c->err, PK_EPROTO,
					_("%s does not speak picket sync protocol %d (is it "
					  "picketd, and of a compatible version?)"),
					c->o->url, PK_PROTOCOL_VERSION);
			else
				rc = PK_OK;
		} else {
			char code[64] = "", msg[256] = "";
			pk_buf_putc(&c->answer, '\0');
			c->answer.len--;
			if (pk_proto_error_decode(c->answer.data ? c->answer.data : "",
						  c->answer.len, code, sizeof(code), msg,
						  sizeof(msg)) != PK_OK)
				snprintf(msg, sizeof(msg), "%s", _("no explanation given"));
			if (status >= 500 || status == 429) {
				rc = pk_error_set(c->err, PK_ENET, _("%s: server error %ld: %s"),
						  c->o->url, status, msg);
				retry = 1;
				struct curl_header *ra = NULL;
				if (pk_curl.easy_header(c->curl, "Retry-After", 0, CURLH_HEADER, -1,
							&ra) == CURLHE_OK)
					c->retry_after = atoi(ra->value);
			} else if (strcmp(code, "protocol") == 0) {
				rc = pk_error_set(c->err, PK_EPROTO, _("%s refused: %s"), c->o->url,
						  msg);
			} else {
				rc = pk_error_set(c->err, PK_EREFUSED, _("%s refused (%ld %s): %s"),
						  c->o->url, status, code, msg);
			}
		}
		if (rc == PK_OK || !retry || attempt >= c->o->retries)
			break;
		backoff(attempt, c->retry_after);
	}
	free(url);
	return rc;
}

/* A request on a thread of its own while the caller works on the
 * database: the next page of a pull, a batch being pushed while the next
 * is read and encoded.  The thread works on a copy of the client with an
 * error and answer buffer of its own; the curl handle is the thread's
 * until fetch_wait(), which swaps the answer into the client. */
struct fetch {
	pthread_t th;
	int running; /* 1: a thread; 2: run already (no thread could start) */
	struct client tc;
	struct pk_buf buf; /* the answer buffer this fetch holds when idle */
	struct pk_error err;
	char *path;
	const char *body; /* the caller's, kept until fetch_wait() */
	size_t len;
	int pull;	/* decode the answer as a page */
	int64_t cursor; /* the page's: after= */
	struct pk_pull_page page;
	struct pk_merge_prep **prep; /* the page's events read (pk_merge_prepare) */
	int requested;		     /* the request succeeded (rc is then the decoding's) */
	int rc;
	/* a page merged already: the thread frees it first, so the memory
	 * the fetch threads allocated is freed off the merging thread */
	struct pk_pull_page done;
	struct pk_merge_prep **done_prep;
};

/* One page of a pull, its events read for the merge (*prep, one each):
 * *requested is 1 when the request succeeded, the status then the
 * decoding's. */
static int get_page(struct client *c, const char *path, struct pk_pull_page *page,
		    struct pk_merge_prep ***prep, int *requested)
{
	*prep = NULL;
	int rc = request(c, path, NULL, 0);
	*requested = rc == PK_OK;
	if (rc == PK_OK)
		rc = pk_proto_pull_decode(c->answer.data, c->answer.len, page, c->err);
	if (rc == PK_OK && page->events.n > 0) {
		*prep = pk_xcalloc(page->events.n, sizeof(**prep));
		for (size_t i = 0; i < page->events.n; i++)
			(*prep)[i] = pk_merge_prepare(&page->events.v[i]);
	}
	return rc;
}

static void page_free(struct pk_pull_page *page, struct pk_merge_prep ***prep)
{
	for (size_t i = 0; *prep && i < page->events.n; i++)
		pk_merge_prep_free(&(*prep)[i]);
	free(*prep);
	*prep = NULL;
	pk_pull_page_free(page);
}

static void *fetch_run(void *data)
{
	struct fetch *f = data;
	page_free(&f->done, &f->done_prep);
	if (f->pull) {
		f->rc = get_page(&f->tc, f->path, &f->page, &f->prep, &f->requested);
	} else {
		f->rc = request(&f->tc, f->path, f->body, f->len);
		f->requested = f->rc == PK_OK;
	}
	return NULL;
}

static void fetch_start(struct client *c, struct fetch *f, const char *path, const char *body,
			size_t len, int pull, int64_t cursor)
{
	memset(&f->err, 0, sizeof(f->err));
	memset(&f->page, 0, sizeof(f->page));
	f->prep = NULL;
	f->tc = *c;
	f->tc.err = &f->err;
	f->tc.answer = f->buf;
	memset(&f->buf, 0, sizeof(f->buf));
	f->path = pk_xstrdup(path);
	f->body = body;
	f->len = len;
	f->pull = pull;
	f->cursor = cursor;
	if (pthread_create(&f->th, NULL, fetch_run, f) == 0) {
		f->running = 1;
	} else {
		fetch_run(f);
		f->running = 2;
	}
}

/* Waits for the request and gives the client its handle and answer back;
 * the request's status (and *c->err when it failed). */
static int fetch_wait(struct client *c, struct fetch *f)
{
	if (!f->running)
		return PK_OK;
	if (f->running == 1)
		pthread_join(f->th, NULL);
	f->running = 0;
	f->buf = c->answer;
	c->answer = f->tc.answer;
	c->too_big = f->tc.too_big;
	c->retry_after = f->tc.retry_after;
	memcpy(c->curl_err, f->tc.curl_err, sizeof(c->curl_err));
	pk_freep(&f->path);
	if (f->rc != PK_OK)
		*c->err = f->err;
	return f->rc;
}

/* Waits for a request nobody will read the answer of, and drops it. */
static void fetch_drop(struct client *c, struct fetch *f)
{
	if (!f->running)
		return;
	struct pk_error keep = *c->err;
	fetch_wait(c, f);
	struct pk_buf dropped = c->answer; /* the client's answer stays as it was */
	c->answer = f->buf;
	f->buf = dropped;
	*c->err = keep;
	page_free(&f->page, &f->prep);
}

static void fetch_free(struct client *c, struct fetch *f)
{
	fetch_drop(c, f);
	page_free(&f->done, &f->done_prep);
	pk_buf_free(&f->buf);
}

/* --- pull --- */

/* A number kept in meta (0 when absent); for "SEQ:UUID", the SEQ. */
static int64_t meta_int(struct pk_db *db, const char *key)
{
	char *v = NULL;
	long long n = 0;
	if (pk_db_meta_get(db, key, &v) == PK_OK && v)
		n = atoll(v);
	free(v);
	return n;
}

/* The anchor: the highest sequence this database knows the server holds,
 * with the event there ("SEQ:UUID" in meta sync_anchor), from the pages it
 * pulled and the batches it pushed.  A pull offers it; a server that holds
 * another event there, or none, lost events (a store restored from a
 * backup) and is treated as a new server.  Moves it to seq (inside the
 * caller's transaction) when higher. */
static int anchor_move(struct pk_db *db, int64_t seq, const char *uuid)
{
	if (seq <= meta_int(db, "sync_anchor"))
		return PK_OK;
	char buf[32 + PK_UUID_LEN];
	snprintf(buf, sizeof(buf), "%lld:%s", (long long)seq, uuid);
	return pk_db_meta_set(db, "sync_anchor", buf);
}

/* The pull's transaction is over; when it was undone, so are its counts. */
static void txn_end(struct client *c, struct pk_sync_summary *sum, int undone)
{
	c->txn_open = 0;
	c->txn_events = 0;
	if (!undone)
		return;
	sum->pulled = c->txn_pulled;
	sum->duplicates = c->txn_duplicates;
	sum->cursor = c->txn_cursor;
	*c->err = *pk_db_error(c->db);
}

/* Ends the pull's transaction: its pages' events and their cursor, all
 * or none. */
static int pull_commit(struct client *c, struct pk_sync_summary *sum)
{
	if (!c->txn_open)
		return PK_OK;
	int rc = pk_db_commit(c->db);
	txn_end(c, sum, rc != PK_OK);
	return rc;
}

/* Merges a page, with the cursor it moves to, into the pull's transaction:
 * pages join one transaction until it holds sync.commit_events events or the
 * last page is in.  A long pull so commits (and rebuilds its search index,
 * its SLA clocks) a few times, not once a page; one cut short keeps what
 * its committed transactions merged and starts again from there. */
static int merge_page(struct client *c, struct pk_pull_page *page, struct pk_merge_prep **prep,
		      struct pk_sync_summary *sum, int last_page)
{
	struct pk_db *db = c->db;
	int rc = PK_OK;
	if (!c->txn_open) {
		if ((rc = pk_db_batch_begin(db)) != PK_OK) {
			*c->err = *pk_db_error(db);
			return rc;
		}
		c->txn_open = 1;
		c->txn_pulled = sum->pulled;
		c->txn_duplicates = sum->duplicates;
		c->txn_cursor = sum->cursor;
	}
	for (size_t i = 0; i < page->events.n && rc == PK_OK; i++) {
		enum pk_merge_result res;
		int conflict;
		rc = pk_merge_prepared(db, &page->events.v[i], prep[i], &res, &conflict);
		if (rc != PK_OK)
			break;
		if (res == PK_MERGED_DUPLICATE)
			sum->duplicates++;
		else
			sum->pulled++;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)page->next);
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sync_cursor", buf);
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sync_server", page->server);
	if (rc == PK_OK && page->events.n > 0) {
		const struct pk_event *last = &page->events.v[page->events.n - 1];
		rc = anchor_move(db, last->seq, last->uuid);
	}
	if (rc != PK_OK) {
		pk_db_rollback(db);
		txn_end(c, sum, 1);
		return rc;
	}
	c->txn_events += (int64_t)page->events.n;
	return last_page || c->txn_events >= c->o->commit_events ? pull_commit(c, sum) : PK_OK;
}

/* The server is not the one this database synced with (a new server, or
 * one restored empty): start from its beginning and offer it all of our
 * own events again; it ignores those it has. */
static int server_changed(struct client *c, const char *server)
{
	struct pk_db *db = c->db;
	int rc = pk_db_begin(db);
	if (rc == PK_OK)
		rc = pk_oplog_repush(db, pk_db_config(db)->node);
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sync_cursor", "0");
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sync_anchor", "");
	if (rc == PK_OK)
		rc = pk_db_meta_set(db, "sync_server", server);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		*c->err = *pk_db_error(db);
		return rc;
	}
	if ((rc = pk_db_commit(db)) != PK_OK)
		*c->err = *pk_db_error(db);
	return rc;
}

/* The server's accredited ceiling, from its first answer: it must be a
 * level of ours, and not above this workstation's system-high (it could
 * hold events this workstation must not).  We push nothing above it, nor
 * above sync.ceiling. */
static int take_ceiling(struct client *c, const char *name, struct pk_sync_summary *sum)
{
	const struct pk_config *cfg = pk_db_config(c->db);
	int rank = pk_class_rank(cfg, name);
	if (rank < 0)
		return pk_error_set(c->err, PK_ECLASS,
				    _("the server's ceiling '%s' is not a classification level "
				      "here: classification.levels must be the same on both"),
				    name);
	if (rank > cfg->system_high)
		return pk_error_set(c->err, PK_ECLASS,
				    _("the server is accredited up to %s, above this "
				      "workstation's system-high %s: it may hold events this "
				      "workstation must not, so sync is refused"),
				    cfg->levels[rank], cfg->levels[cfg->system_high]);
	c->ceiling = c->o->ceiling >= 0 && c->o->ceiling < rank ? c->o->ceiling : rank;
	snprintf(sum->ceiling, sizeof(sum->ceiling), "%s", cfg->levels[c->ceiling]);
	return PK_OK;
}

static int pull(struct client *c, struct pk_sync_summary *sum)
{
	struct pk_db *db = c->db;
	char *known = NULL;
	pk_db_meta_get(db, "sync_server", &known);
	int64_t cursor = meta_int(db, "sync_cursor");
	char *anchor = NULL;
	if (pk_db_meta_get(db, "sync_anchor", &anchor) == PK_OK && anchor && !*anchor)
		pk_freep(&anchor);
	/* a first sync cut short left its search index to rebuild */
	int rc = pk_fts_repair(db);
	if (rc != PK_OK) {
		*c->err = *pk_db_error(db);
		free(known);
		free(anchor);
		return rc;
	}
	int building = 0; /* tried to start the index builder */
	/* the next page is fetched and decoded while this one merges */
	struct fetch next = { 0 };
	struct pk_pull_page merged = { 0 }; /* the last page merged */
	struct pk_merge_prep **merged_prep = NULL;
	int bulk = 0; /* a rollback journal for a long pull */
	for (;;) {
		char path[160 + PK_UUID_LEN];
		snprintf(path, sizeof(path), "/v1/pull?after=%lld&limit=%d%s%s", (long long)cursor,
			 c->o->batch, anchor ? "&anchor=" : "", anchor ? anchor : "");
		struct pk_pull_page page;
		struct pk_merge_prep **prep;
		int requested;
		if (next.running && next.cursor == cursor && !anchor) {
			rc = fetch_wait(c, &next);
			requested = next.requested;
			page = next.page;
			prep = next.prep;
			next.prep = NULL;
		} else {
			fetch_drop(c, &next);
			rc = get_page(c, path, &page, &prep, &requested);
		}
		if (!requested && rc == PK_EREFUSED && (cursor > 0 || anchor) &&
		    strstr(c->err->msg, "bad_cursor")) {
			/* our cursor is past the server's end, or it does not hold
			 * what we saw: it lost data or was replaced; start over */
			if ((rc = pull_commit(c, sum)) != PK_OK ||
			    (rc = server_changed(c, known ? known : "")) != PK_OK)
				break;
			cursor = 0;
			pk_freep(&anchor);
			continue;
		}
		pk_freep(&anchor); /* checked: the first request carries it */
		if (rc != PK_OK) {
			if (requested && rc == PK_EINVAL)
				rc = PK_EPROTO; /* an answer that is no page */
			break;
		}
		if (known && strcmp(known, page.server) != 0 && cursor > 0) {
			page_free(&page, &prep);
			if ((rc = pull_commit(c, sum)) != PK_OK ||
			    (rc = server_changed(c, page.server)) != PK_OK)
				break;
			pk_freep(&known);
			known = pk_xstrdup(page.server);
			cursor = 0;
			continue;
		}
		if (c->ceiling < 0 && (rc = take_ceiling(c, page.ceiling, sum)) != PK_OK) {
			page_free(&page, &prep);
			break;
		}
		/* (the anchor belongs to the server it came from) */
		snprintf(sum->server, sizeof(sum->server), "%s", page.server);
		int more = page.more && page.next > cursor;
		if (more && page.head - cursor >= PULL_BULK_EVENTS && !bulk)
			bulk = pk_db_journal_bulk(c->db, 1);
		if (more) {
			char npath[64];
			snprintf(npath, sizeof(npath), "/v1/pull?after=%lld&limit=%d",
				 (long long)page.next, c->o->batch);
			/* its thread frees the page merged before this one */
			next.done = merged;
			next.done_prep = merged_prep;
			memset(&merged, 0, sizeof(merged));
			merged_prep = NULL;
			fetch_start(c, &next, npath, NULL, 0, 1, page.next);
		}
		/* into an empty database, a second thread builds the search index */
		if (!building && !c->txn_open && page.events.n > 0) {
			building = 1;
			if ((rc = pk_fts_build_start(db)) != PK_OK) {
				*c->err = *pk_db_error(db);
				page_free(&page, &prep);
				break;
			}
		}
		rc = merge_page(c, &page, prep, sum, !more);
		if (rc != PK_OK) { /* the pages since the last commit are undone */
			page_free(&page, &prep);
			break;
		}
		cursor = page.next;
		sum->cursor = cursor;
		if (c->progress)
			c->progress("pull", cursor, page.head, c->pdata);
		page_free(&merged, &merged_prep);
		merged = page;
		merged_prep = prep;
		if (rc != PK_OK || !more)
			break;
		if (!known)
			known = pk_xstrdup(sum->server);
	}
	fetch_free(c, &next);
	page_free(&merged, &merged_prep);
	/* what was merged before a failure is kept, with its cursor */
	struct pk_error first = *c->err;
	int crc = pull_commit(c, sum);
	/* what the commits kept is indexed, before the journal returns to WAL */
	if (pk_fts_build_finish(db) != PK_OK && crc == PK_OK) {
		crc = pk_db_error(db)->code;
		*c->err = *pk_db_error(db);
	}
	if (bulk && !pk_db_journal_bulk(c->db, 0) && crc == PK_OK)
		crc = pk_error_set(c->err, PK_EDB, _("cannot return %s to WAL mode after the pull"),
				   pk_db_path(c->db));
	if (rc == PK_OK)
		rc = crc;
	else
		*c->err = first;
	free(known);
	free(anchor);
	return rc;
}

/* --- push --- */

/* One batch being collected: the events within the ceiling, in oplog
 * order; those of records above it are held here. */
struct batch {
	struct client *c;
	struct pk_events evs;
	int64_t held;  /* events left out, this batch */
	int reordered; /* events added out of order, or some held */
	char last_uuid[PK_UUID_LEN + 1];
	int last_rank;
	int rc;
};

static int collect(const struct pk_event *ev, void *data)
{
	struct batch *b = data;
	const struct pk_config *cfg = pk_db_config(b->c->db);
	if (b->c->ceiling < cfg->nlevels - 1) {
		if (strcmp(ev->entity_uuid, b->last_uuid) != 0) {
			int rc = pk_record_level(b->c->db, ev->entity, ev->entity_uuid,
						 &b->last_rank);
			if (rc != PK_OK && rc != PK_ENOTFOUND) {
				b->rc = rc;
				return 1;
			}
			memcpy(b->last_uuid, ev->entity_uuid, sizeof(b->last_uuid));
		}
		if (b->last_rank > b->c->ceiling) {
			b->held++;
			b->reordered = 1;
			return 0;
		}
	}
	pk_events_add(&b->evs, ev);
	return 0;
}

/* A ticket lowered below the ceiling goes with events it had while above
 * it (its create says SECRET, say), and the server judges each record by
 * the level it has after the batch: so the batch also carries each
 * record's latest pending change of level, wherever it is in the oplog. */
static int bring_levels(struct batch *b, int64_t last)
{
	struct pk_db *db = b->c->db;
	size_t n = b->evs.n;
	for (size_t i = 0; i < n; i++) {
		const struct pk_event *ev = &b->evs.v[i];
		if (i > 0 && strcmp(ev->entity_uuid, b->evs.v[i - 1].entity_uuid) == 0)
			continue;
		struct pk_event later;
		int rc = pk_oplog_pending_set(db, ev->entity_uuid, "classification", last, &later);
		if (rc == PK_ENOTFOUND)
			continue;
		if (rc != PK_OK)
			return rc;
		size_t k = n;
		for (size_t j = 0; j < b->evs.n && k == n; j++)
			if (strcmp(b->evs.v[j].uuid, later.uuid) == 0)
				k = j;
		if (k == n) {
			pk_events_add(&b->evs, &later);
			b->reordered = 1;
		}
		pk_event_clear(&later);
	}
	return PK_OK;
}

/* The server will not take one of our events: undo it here and say so. */
static int refused(struct client *c, const struct pk_rejection *x, struct pk_sync_summary *sum)
{
	struct pk_refused r;
	int rc = pk_oplog_refuse(c->db, x->uuid, &r);
	if (rc != PK_OK) {
		*c->err = *pk_db_error(c->db);
		return rc;
	}
	struct pk_ticket *t = NULL;
	const char *what = r.entity_uuid;
	if (strcmp(r.entity, "ticket") == 0 && pk_ticket_get(c->db, r.entity_uuid, &t) == PK_OK)
		what = t->ref;
	pk_buf_printf(&sum->refusals, "%s%s%s: %s%s\n", what, r.field ? " " : "",
		      r.field ? r.field : "", x->message ? x->message : x->code,
		      r.undone ? _(" (undone here)") : "");
	sum->refused++;
	pk_ticket_free(&t);
	pk_refused_clear(&r);
	return PK_OK;
}

/* The uuid of the event the server stored at res->seq, when the answer
 * tells: every event of the batch but the rejected ones was stored (no
 * duplicate), in order, so the last of them is at seq.  "" otherwise. */
static void stored_last(const struct pk_events *evs, const struct pk_push_result *res,
			char tail[PK_UUID_LEN + 1])
{
	*tail = '\0';
	if (res->seq <= res->from || (size_t)(res->seq - res->from) + res->nrejected != evs->n)
		return;
	for (size_t i = evs->n; i-- > 0;) {
		size_t k = 0;
		while (k < res->nrejected && strcmp(res->rejected[k].uuid, evs->v[i].uuid) != 0)
			k++;
		if (k == res->nrejected) {
			memcpy(tail, evs->v[i].uuid, PK_UUID_LEN + 1);
			return;
		}
	}
}

/* Marks what the batch sent as pushed: the whole window of the oplog it
 * read when it sent all of it in order, else event by event. */
static int mark_sent(struct pk_db *db, const struct batch *b, int64_t from, int64_t last)
{
	if (!b->reordered)
		return pk_oplog_mark_pushed(db, from, last);
	int rc = PK_OK;
	for (size_t i = 0; i < b->evs.n && rc == PK_OK; i++)
		rc = pk_oplog_mark_pushed_id(db, b->evs.v[i].seq);
	return rc;
}

/* The next batch to push, read from the oplog after `after` and encoded. */
struct outgoing {
	struct batch b;
	int64_t from, last; /* the oplog window it was read from */
	struct pk_buf body;
	int64_t held; /* events held back: this batch's, and those of the
		       * batches before it where every event was */
	int end;      /* nothing left after `after` */
};

static void outgoing_free(struct outgoing *o)
{
	pk_events_free(&o->b.evs);
	pk_buf_free(&o->body);
	memset(o, 0, sizeof(*o));
}

/* Reads and encodes the next batch after *after (moved past it); batches
 * whose every event is held are passed over, their count kept in o->held.
 * Reads only: it may run while another batch is on its way. */
static int prepare(struct client *c, int64_t *after, int batch, int lowered, struct outgoing *o,
		   struct pk_error *err)
{
	struct pk_db *db = c->db;
	int64_t held = 0;
	int rc = PK_OK;
	for (;;) {
		memset(o, 0, sizeof(*o));
		o->b.c = c;
		o->b.last_rank = -1;
		if ((rc = pk_oplog_unpushed(db, *after, batch, collect, &o->b, &o->last)) == PK_OK)
			rc = o->b.rc;
		if (rc == PK_OK && o->b.evs.n > 0 && lowered)
			rc = bring_levels(&o->b, o->last);
		if (rc != PK_OK) {
			*err = *pk_db_error(db);
			outgoing_free(o);
			return rc;
		}
		held += o->b.held;
		if (o->last == *after) { /* read to the end */
			outgoing_free(o);
			o->end = 1;
			o->held = held;
			return PK_OK;
		}
		o->from = *after;
		*after = o->last;
		if (o->b.evs.n > 0)
			break;
		outgoing_free(o);
	}
	o->held = held;
	pk_proto_push_encode(&o->body, pk_db_config(db)->node, o->b.evs.v, o->b.evs.n);
	return PK_OK;
}

/* What the server answered to a batch: refusals taken back, the batch
 * marked pushed, the anchor and cursor moved, in one transaction. */
static int pushed(struct client *c, struct outgoing *o, struct pk_sync_summary *sum)
{
	struct pk_db *db = c->db;
	struct pk_events *evs = &o->b.evs;
	struct pk_push_result res;
	int rc = pk_proto_push_result_decode(c->answer.data, c->answer.len, &res, c->err);
	if (rc != PK_OK)
		return PK_EPROTO;
	char tail[PK_UUID_LEN + 1];
	stored_last(evs, &res, tail);
	for (size_t i = 0; i < res.nrejected && rc == PK_OK; i++)
		rc = refused(c, &res.rejected[i], sum);
	pk_push_result_free(&res);
	if (rc == PK_OK && (rc = pk_db_begin(db)) == PK_OK) {
		rc = mark_sent(db, &o->b, o->from, o->last);
		if (rc == PK_OK && *tail)
			rc = anchor_move(db, res.seq, tail);
		/* nobody pushed between our pull and this batch: what the
		 * server stored is ours, no need to pull it back */
		if (rc == PK_OK && res.from == sum->cursor && res.seq > res.from) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%lld", (long long)res.seq);
			if ((rc = pk_db_meta_set(db, "sync_cursor", buf)) == PK_OK)
				sum->cursor = res.seq;
		}
		rc = rc == PK_OK ? pk_db_commit(db) : (pk_db_rollback(db), rc);
	}
	if (rc != PK_OK) {
		*c->err = *pk_db_error(db);
		return rc;
	}
	sum->pushed += res.accepted;
	sum->duplicates += res.duplicates;
	sum->held += o->held;
	return PK_OK;
}

static int push(struct client *c, struct pk_sync_summary *sum)
{
	struct pk_db *db = c->db;
	int64_t total = pk_oplog_pending(db), done = 0, after = 0;
	int batch = c->o->batch, rc = PK_OK, top;
	/* a large push first looks whether any record is above the ceiling
	 * at all (one scan), rather than at each event's record */
	if (total >= 500 && pk_level_max(db, &top) == PK_OK && top <= c->ceiling)
		c->ceiling = pk_db_config(db)->nlevels - 1;
	int lowered = pk_oplog_pending_field(db, "classification");
	/* While a batch is on its way the next is read and encoded, and it
	 * leaves as soon as the server has stored the first, before that one
	 * is marked pushed here.  Not when lowerings are pending: a batch may
	 * then carry a later event, which the next must not read before this
	 * one is marked. */
	int ahead = !lowered;
	struct outgoing cur, next = { 0 };
	/* the two requests' threads write into their struct: swapped, never copied */
	struct fetch reqs[2] = { 0 }, *req = &reqs[0], *nreq = &reqs[1];
	rc = prepare(c, &after, batch, lowered, &cur, c->err);
	if (rc == PK_OK && !cur.end)
		fetch_start(c, req, "/v1/push", cur.body.data, cur.body.len, 0, 0);
	while (rc == PK_OK && !cur.end) {
		struct pk_error next_err = { 0 };
		int next_rc = ahead ? prepare(c, &after, batch, lowered, &next, &next_err) : PK_OK;
		rc = fetch_wait(c, req);
		size_t n = cur.b.evs.n;
		if (rc == PK_EREFUSED && strstr(c->err->msg, "too_large") && n > 1) {
			/* larger than the server takes: smaller batches */
			batch = (int)(n / 2);
			after = cur.from;
			outgoing_free(&cur);
			outgoing_free(&next);
			rc = prepare(c, &after, batch, lowered, &cur, c->err);
			if (rc == PK_OK && !cur.end)
				fetch_start(c, req, "/v1/push", cur.body.data, cur.body.len, 0, 0);
			continue;
		}
		if (rc == PK_OK && ahead && next_rc == PK_OK && !next.end)
			fetch_start(c, nreq, "/v1/push", next.body.data, next.body.len, 0, 0);
		if (rc == PK_OK)
			rc = pushed(c, &cur, sum);
		outgoing_free(&cur);
		if (rc != PK_OK) {
			fetch_drop(c, nreq);
			outgoing_free(&next);
			break;
		}
		done += (int64_t)n;
		if (c->progress)
			c->progress("push", done, total > done ? total : done, c->pdata);
		if (!ahead) {
			rc = prepare(c, &after, batch, lowered, &cur, c->err);
			if (rc == PK_OK && !cur.end)
				fetch_start(c, req, "/v1/push", cur.body.data, cur.body.len, 0, 0);
		} else if (next_rc != PK_OK) {
			*c->err = next_err;
			rc = next_rc;
		} else {
			cur = next;
			memset(&next, 0, sizeof(next));
			struct fetch *t = req;
			req = nreq;
			nreq = t;
		}
	}
	if (rc == PK_OK)
		sum->held += cur.held; /* the batches at the end where every event was */
	fetch_free(c, &reqs[0]);
	fetch_free(c, &reqs[1]);
	return rc;
}

int pk_sync_run(struct pk_db *db, const struct pk_sync_options *o, pk_sync_progress progress,
		void *data, struct pk_sync_summary *sum, struct pk_error *err)
{
	memset(sum, 0, sizeof(*sum));
	int rc = pk_curl_open(err);
	if (rc != PK_OK)
		return rc;
	struct client c = {
		.db = db, .o = o, .err = err, .progress = progress, .pdata = data, .ceiling = -1
	};
	/* a first sync writes every index of a large database: give it a
	 * page cache of 64 MiB meanwhile */
	sqlite3 *h = pk_db_sqlite(db);
	sqlite3_exec(h, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	rc = client_init(&c);
	if (rc == PK_OK)
		rc = pull(&c, sum);
	if (rc == PK_OK)
		rc = push(&c, sum);
	client_free(&c);
	sqlite3_exec(h, "PRAGMA cache_size = -2000", NULL, NULL, NULL);
	sum->pending = pk_oplog_pending(db);
	sum->conflicts = pk_conflicts_count(db);
	if (rc == PK_OK) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)pk_clock_now());
		if ((rc = pk_db_meta_set(db, "sync_last_ok", buf)) != PK_OK)
			*err = *pk_db_error(db);
	}
	if (rc == PK_OK && sum->refused)
		rc = pk_error_set(err, PK_EREFUSED,
				  P_("the server refused %lld change (see above)",
				     "the server refused %lld changes (see above)",
				     (unsigned long)sum->refused),
				  (long long)sum->refused);
	return rc;
}

void pk_sync_summary_free(struct pk_sync_summary *sum)
{
	pk_buf_free(&sum->refusals);
}

int pk_sync_state(struct pk_db *db, struct pk_sync_state *st)
{
	st->last_ok = meta_int(db, "sync_last_ok");
	st->pending = pk_oplog_pending(db);
	st->conflicts = pk_conflicts_count(db);
	return st->pending < 0 || st->conflicts < 0 ? pk_db_error(db)->code : PK_OK;
}
