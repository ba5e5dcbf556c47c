/* picket-load: many clients pulling from picketd at once, for the sync
 * benchmark (tests/bench/sync.sh, issue 5).
 *
 *   picket-load --url URL --ca FILE --tokens FILE [--clients N]
 *               [--seconds S] [--limit L] [--head SEQ] [--seed S]
 *
 * Each client is a thread with its own libcurl easy handle, so its own
 * keep-alive HTTPS connection, verifying the server's certificate against
 * --ca (peer and host name).  It sends `GET /v1/pull?after=X&limit=L` with
 * `Picket-Protocol: 1` and `Authorization: Bearer TOKEN`, X drawn at random
 * from 0 .. head - L (whole pages from anywhere in the store), again and
 * again for S seconds.  Client i uses the i-th line of --tokens (modulo
 * their number): one user each, as real clients would be, so that the
 * per-user rate limit of picketd sees one client per user.
 *
 * The head is read from GET /health unless --head gives it.  Before the
 * clock starts each client makes one untimed request (the TLS handshake
 * and the first page), then all start together.  When the time is up no
 * new request starts; those in flight finish and count.
 *
 * A request counts as an error when libcurl fails (transport), the status
 * is not 200, or the page does not hold min(L, head - X) events (counted
 * by their `{"seq":` members, and its "next" must be X plus that count).
 *
 * Printed: requests, errors by kind, requests/s, events/s, MB/s of
 * answers, latency p50/p90/p99/max of the successful requests (from
 * before curl_easy_perform to its return, so transfer included), new
 * connections, and the CPU time of this program (it shares the machine
 * with picketd).  The last line is `RESULT key=value ...` for scripts.
 *
 * Plain C11 with libcurl and POSIX threads. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_CLIENTS 1024
#define MAX_TOKEN   512

struct opts {
	const char *url, *ca, *tokens;
	int clients;
	double seconds;
	int limit;
	int64_t head;
	uint64_t seed;
};

struct buf {
	char *p;
	size_t len, cap;
};

struct client {
	int id;
	const struct opts *o;
	const char *token;
	uint64_t rng;
	CURL *h;
	struct curl_slist *headers;
	struct buf body;
	char curl_err[CURL_ERROR_SIZE];
	/* results */
	uint64_t ok, err_transport, err_status, err_page, err_429, err_5xx;
	uint64_t events, bytes;
	long connects; /* opened during the timed run */
	uint32_t *lat_us;
	size_t nlat, caplat;
	char first_error[256];
	int setup_failed;
};

static pthread_barrier_t start_line;
static struct timespec deadline;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("picket-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		die("out of memory");
	return q;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int past(const struct timespec *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > t->tv_sec || (ts.tv_sec == t->tv_sec && ts.tv_nsec >= t->tv_nsec);
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
	struct buf *b = data;
	size_t len = size * n;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* The integer after "key": in s (the last one: the page's own members
 * come after its events), or -1. */
static int64_t json_int_last(const char *s, size_t len, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	size_t plen = strlen(pat);
	const char *hit = NULL;
	/* the page's members are at its end: look in the last 512 bytes */
	const char *from = len > 512 ? s + len - 512 : s;
	for (const char *p = from; (p = strstr(p, pat)); p += plen)
		hit = p;
	if (!hit)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(hit + plen, &end, 10);
	if (errno || end == hit + plen)
		return -1;
	return v;
}

static uint64_t count_events(const char *s)
{
	uint64_t n = 0;
	for (const char *p = s; (p = strstr(p, "{\"seq\":")); p += 7)
		n++;
	return n;
}

static void setup(struct client *c)
{
	const struct opts *o = c->o;
	char line[MAX_TOKEN + 64];
	c->h = curl_easy_init();
	if (!c->h)
		die("curl_easy_init failed");
	snprintf(line, sizeof(line), "Authorization: Bearer %s", c->token);
	c->headers = curl_slist_append(c->headers, line);
	c->headers = curl_slist_append(c->headers, "Picket-Protocol: 1");
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca)
		curl_easy_setopt(c->h, CURLOPT_CAINFO, o->ca);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "picket-load");
}

static void note_error(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_error(struct client *c, const char *fmt, ...)
{
	if (c->first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->first_error, sizeof(c->first_error), fmt, ap);
	va_end(ap);
}

/* One pull; returns 1 when it succeeded.  `timed` records it. */
static int pull_once(struct client *c, int timed)
{
	const struct opts *o = c->o;
	int64_t span = o->head > o->limit ? o->head - o->limit : 0;
	int64_t after = span > 0 ? (int64_t)(rng_next(&c->rng) % (uint64_t)(span + 1)) : 0;
	int64_t want = o->head - after < o->limit ? o->head - after : o->limit;
	char url[1024];
	snprintf(url, sizeof(url), "%s/v1/pull?after=%" PRId64 "&limit=%d", o->url, after,
		 o->limit);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	c->body.len = 0;
	if (c->body.p)
		c->body.p[0] = '\0';
	c->curl_err[0] = '\0';
	double t0 = now_s();
	CURLcode cc = curl_easy_perform(c->h);
	double t1 = now_s();
	long status = 0, conns = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (!timed)
		return cc == CURLE_OK && status == 200;
	curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &conns);
	c->connects += conns;
	if (cc != CURLE_OK) {
		c->err_transport++;
		note_error(c, "transport: %s",
			   c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
		return 0;
	}
	c->bytes += c->body.len;
	if (status != 200) {
		c->err_status++;
		if (status == 429)
			c->err_429++;
		else if (status >= 500)
			c->err_5xx++;
		note_error(c, "HTTP %ld: %.160s", status, c->body.p ? c->body.p : "");
		return 0;
	}
	uint64_t n = count_events(c->body.p ? c->body.p : "");
	int64_t next = json_int_last(c->body.p ? c->body.p : "", c->body.len, "next");
	if (n != (uint64_t)want || next != after + want) {
		c->err_page++;
		note_error(c,
			   "page after %" PRId64 ": %" PRIu64 " events, next %" PRId64
			   "; expected %" PRId64 " and %" PRId64,
			   after, n, next, want, after + want);
		return 0;
	}
	c->ok++;
	c->events += n;
	if (c->nlat == c->caplat) {
		c->caplat = c->caplat ? c->caplat * 2 : 4096;
		c->lat_us = xrealloc(c->lat_us, c->caplat * sizeof(*c->lat_us));
	}
	double us = (t1 - t0) * 1e6;
	c->lat_us[c->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 1;
}

static void *client_main(void *data)
{
	struct client *c = data;
	setup(c);
	/* the handshake and a first page, untimed */
	if (!pull_once(c, 0)) {
		c->setup_failed = 1;
		long status = 0;
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		note_error(c, "first request failed: HTTP %ld %s", status, c->curl_err);
	}
	pthread_barrier_wait(&start_line);
	while (!c->setup_failed && !past(&deadline))
		pull_once(c, 1);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* nearest rank */
static double pct_ms(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1] / 1000.0;
}

static char **read_tokens(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	char **v = NULL;
	size_t cap = 0;
	char line[MAX_TOKEN + 2];
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = strdup(line);
	}
	fclose(f);
	if (*n == 0)
		die("%s holds no token", path);
	return v;
}

/* The head from GET /health. */
static int64_t fetch_head(const struct opts *o)
{
	struct buf b = { 0 };
	char url[1024], err[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof(url), "%s/health", o->url);
	CURL *h = curl_easy_init();
	if (!h)
		die("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (cc != CURLE_OK)
		die("%s: %s", url, err[0] ? err : curl_easy_strerror(cc));
	if (status != 200 || !b.p)
		die("%s: HTTP %ld", url, status);
	int64_t head = json_int_last(b.p, b.len, "head");
	if (head < 0)
		die("%s: no head in %.200s", url, b.p);
	free(b.p);
	return head;
}

static void usage(void)
{
	fprintf(stderr, "usage: picket-load --url URL --ca FILE --tokens FILE [--clients N] "
			"[--seconds S]\n"
			"                   [--limit L] [--head SEQ] [--seed S]\n");
	exit(2);
}

static long long num(const char *s, long long min, long long max, const char *what)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die("%s: '%s' is not a number from %lld to %lld", what, s, min, max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "url", required_argument, NULL, 'u' },
						  { "ca", required_argument, NULL, 'c' },
						  { "tokens", required_argument, NULL, 't' },
						  { "clients", required_argument, NULL, 'n' },
						  { "seconds", required_argument, NULL, 's' },
						  { "limit", required_argument, NULL, 'l' },
						  { "head", required_argument, NULL, 'H' },
						  { "seed", required_argument, NULL, 'S' },
						  { "help", no_argument, NULL, 'h' },
						  { 0 } };
	struct opts o = { .clients = 32, .seconds = 10, .limit = 1000, .head = -1, .seed = 1 };
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'c': o.ca = optarg; break;
		case 't': o.tokens = optarg; break;
		case 'n': o.clients = (int)num(optarg, 1, MAX_CLIENTS, "--clients"); break;
		case 's': o.seconds = (double)num(optarg, 1, 3600, "--seconds"); break;
		case 'l': o.limit = (int)num(optarg, 1, 1000000, "--limit"); break;
		case 'H': o.head = num(optarg, 0, INT64_MAX, "--head"); break;
		case 'S': o.seed = (uint64_t)num(optarg, 0, INT64_MAX, "--seed"); break;
		default: usage();
		}
	}
	if (optind != argc || !o.url || !o.tokens)
		usage();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	size_t ntok;
	char **tokens = read_tokens(o.tokens, &ntok);
	if (o.head < 0)
		o.head = fetch_head(&o);
	if (o.head == 0)
		die("the server holds no events: nothing to pull");

	struct client *cs = calloc((size_t)o.clients, sizeof(*cs));
	pthread_t *th = calloc((size_t)o.clients, sizeof(*th));
	if (!cs || !th)
		die("out of memory");
	pthread_barrier_init(&start_line, NULL, (unsigned)o.clients + 1);
	for (int i = 0; i < o.clients; i++) {
		cs[i].id = i;
		cs[i].o = &o;
		cs[i].token = tokens[(size_t)i % ntok];
		cs[i].rng = o.seed * 1000003u + (uint64_t)i;
		if (pthread_create(&th[i], NULL, client_main, &cs[i]) != 0)
			die("cannot start thread %d", i);
	}
	/* everyone has connected: set the deadline, then release them */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += (time_t)o.seconds;
	double start = now_s(), cpu0 = cpu_s();
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < o.clients; i++)
		pthread_join(th[i], NULL);
	double elapsed = now_s() - start, cpu = cpu_s() - cpu0;

	uint64_t ok = 0, et = 0, es = 0, ep = 0, e429 = 0, e5xx = 0, events = 0, bytes = 0;
	size_t nlat = 0;
	int failed_setup = 0;
	const char *first_error = NULL;
	for (int i = 0; i < o.clients; i++) {
		ok += cs[i].ok;
		et += cs[i].err_transport;
		es += cs[i].err_status;
		ep += cs[i].err_page;
		e429 += cs[i].err_429;
		e5xx += cs[i].err_5xx;
		events += cs[i].events;
		bytes += cs[i].bytes;
		nlat += cs[i].nlat;
		failed_setup += cs[i].setup_failed;
		if (!first_error && cs[i].first_error[0])
			first_error = cs[i].first_error;
	}
	uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
	if (!lat)
		die("out of memory");
	size_t k = 0;
	for (int i = 0; i < o.clients; i++) {
		memcpy(lat + k, cs[i].lat_us, cs[i].nlat * sizeof(*lat));
		k += cs[i].nlat;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	/* connections opened during the timed run (0 when every client kept
	 * the one of its untimed first request) */
	long connects = 0;
	for (int i = 0; i < o.clients; i++)
		connects += cs[i].connects;
	uint64_t errors = et + es + ep;
	double p50 = pct_ms(lat, nlat, 50), p90 = pct_ms(lat, nlat, 90),
	       p99 = pct_ms(lat, nlat, 99);
	double pmax = nlat ? lat[nlat - 1] / 1000.0 : 0;

	printf("picket-load: %d clients, %zu tokens, %.2f s, pages of %d from random cursors in "
	       "0..%" PRId64 "\n",
	       o.clients, ntok, elapsed, o.limit, o.head);
	printf("  requests  %" PRIu64 " ok, %" PRIu64 " errors (transport %" PRIu64
	       ", HTTP %" PRIu64 " of which 429: %" PRIu64 " and 5xx: %" PRIu64
	       ", bad page %" PRIu64 ")%s\n",
	       ok, errors, et, es, e429, e5xx, ep, failed_setup ? " SETUP FAILED" : "");
	printf("  rate      %.1f requests/s, %.0f events/s, %.1f MB/s of answers\n",
	       (double)ok / elapsed, (double)events / elapsed, (double)bytes / elapsed / 1048576.0);
	printf("  latency   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", p50, p90, p99,
	       pmax);
	printf("  load CPU  %.2f s (%.0f%% of one core); %ld new connections during the run\n", cpu,
	       100.0 * cpu / elapsed, connects);
	if (first_error)
		printf("  first error: %s\n", first_error);
	printf("RESULT clients=%d seconds=%.2f ok=%" PRIu64 " errors=%" PRIu64 " transport=%" PRIu64
	       " http=%" PRIu64 " e429=%" PRIu64 " e5xx=%" PRIu64 " badpage=%" PRIu64
	       " rps=%.1f events_s=%.0f mb_s=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f"
	       " cpu_s=%.2f connects=%ld setup_failed=%d\n",
	       o.clients, elapsed, ok, errors, et, es, e429, e5xx, ep, (double)ok / elapsed,
	       (double)events / elapsed, (double)bytes / elapsed / 1048576.0, p50, p90, p99, pmax,
	       cpu, connects, failed_setup);

	for (int i = 0; i < o.clients; i++) {
		curl_easy_cleanup(cs[i].h);
		curl_slist_free_all(cs[i].headers);
		free(cs[i].body.p);
		free(cs[i].lat_us);
	}
	for (size_t i = 0; i < ntok; i++)
		free(tokens[i]);
	free(tokens);
	free(lat);
	free(cs);
	free(th);
	pthread_barrier_destroy(&start_line);
	curl_global_cleanup();
	return errors || failed_setup ? 3 : 0;
}
