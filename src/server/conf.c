/* picketd's configuration file. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"
#include "picket/config.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/status.h"

enum conf_type { CT_STRING, CT_PATH, CT_INT, CT_SIZE, CT_BOOL, CT_LEVEL, CT_METHOD };

struct conf_key {
	const char *section, *key;
	enum conf_type type;
	const char *def; /* NULL: unset */
	long long min, max;
	size_t offset;
	const char *help;
};

#define OFF(field) offsetof(struct srv_conf, field)

/* Every key, once: parsing, checking and `picketd --help`. */
static const struct conf_key keys[] = {
	{ "server", "listen", CT_STRING, "127.0.0.1", 0, 0, OFF(listen),
	  N_("Address to listen on (IPv4 or IPv6 literal, or a host name).") },
	{ "server", "port", CT_INT, "8443", 0, 65535, OFF(port),
	  N_("TCP port (0: any free port, logged at start).") },
	{ "server", "threads", CT_INT, "4", 1, 256, OFF(threads),
	  N_("Worker threads answering requests.") },
	{ "server", "max_connections", CT_INT, "64", 1, 65536, OFF(max_connections),
	  N_("Connections open at once, at most.") },
	{ "server", "max_connections_per_ip", CT_INT, "0", 0, 65536, OFF(max_connections_per_ip),
	  N_("Connections from one address, at most (0: no limit).") },
	{ "server", "max_body", CT_SIZE, "16M", 1024, 1LL << 30, OFF(max_body),
	  N_("Largest request body in bytes (suffixes k, M, G); larger pushes get 413.") },
	{ "server", "max_header", CT_SIZE, "16k", 1024, 1 << 20, OFF(max_header),
	  N_("Largest request head (request line and headers) in bytes.") },
	{ "server", "timeout", CT_INT, "30", 1, 3600, OFF(timeout),
	  N_("Seconds an idle connection is kept open.") },
	{ "server", "rate", CT_INT, "100", 0, 1000000, OFF(rate),
	  N_("Requests per second per user, with bursts of twice as many (0: no limit).") },
	{ "server", "plain_http", CT_BOOL, "false", 0, 0, OFF(plain_http),
	  N_("Serve plain HTTP: only behind a proxy that terminates TLS on the same host.") },
	{ "tls", "cert", CT_PATH, NULL, 0, 0, OFF(cert),
	  N_("Server certificate chain, PEM (required unless plain_http).") },
	{ "tls", "key", CT_PATH, NULL, 0, 0, OFF(key),
	  N_("Private key of the certificate, PEM; refused if group- or world-readable.") },
	{ "tls", "client_ca", CT_PATH, NULL, 0, 0, OFF(client_ca),
	  N_("Certificate authorities (PEM) that sign client certificates; picketd then asks "
	     "clients for one. Needed by the certificate methods of auth.method.") },
	{ "tls", "client_crl", CT_PATH, NULL, 0, 0, OFF(client_crl),
	  N_("Revocation lists (one or more CRLs, PEM) of the client_ca authorities; reread "
	     "on SIGHUP.") },
	{ "store", "backend", CT_STRING, "sqlite", 0, 0, OFF(backend),
	  N_("Where events are kept: sqlite (one file) or postgresql (shared by several "
	     "picketd).") },
	{ "store", "path", CT_PATH, "/var/lib/picketd/picketd.db", 0, 0, OFF(store_path),
	  N_("The SQLite database (created 0600, WAL).") },
	{ "store", "conninfo", CT_STRING, NULL, 0, 0, OFF(conninfo),
	  N_("The PostgreSQL database, a libpq connection string (\"host=/run/postgresql "
	     "dbname=picketd\" or a postgresql:// URI); required by the postgresql "
	     "backend.") },
	{ "auth", "users", CT_PATH, "/etc/picketd/users", 0, 0, OFF(users),
	  N_("The users file: NAME ROLE GROUP SHA256 [SUBJECT] lines, 0600, kept by picketd "
	     "adduser.") },
	{ "auth", "method", CT_METHOD, "token", 0, 0, OFF(auth_method),
	  N_("How clients prove who they are: token (a bearer token), certificate (a client "
	     "certificate bound to a user), either, or both (a certificate and a token of the "
	     "same user).") },
	{ "classification", "levels", CT_STRING,
	  "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET", 0, 0, OFF(levels),
	  N_("Classification levels, lowest first, as the clients name them.") },
	{ "classification", "ceiling", CT_STRING, NULL, 0, 0, OFF(ceiling),
	  N_("The highest level this server is accredited for: pushes holding a record "
	     "above it are refused, and clients hold such records back. Default: the "
	     "lowest level.") },
	{ "bundle", "key", CT_PATH, "/var/lib/picketd/bundle.key", 0, 0, OFF(bundle_key),
	  N_("The server's Ed25519 signing key for bundles (made 0600 on first use).") },
	{ "bundle", "trusted", CT_PATH, "/etc/picketd/trusted_keys", 0, 0, OFF(trusted_keys),
	  N_("Public keys of the sites whose bundles picketd bundle import accepts, one "
	     "\"picket-ed25519 KEY NAME\" line each (picketd key trust adds them).") },
	{ "sites", "<node>", CT_STRING, NULL, 0, 0, 0,
	  N_("The accredited level of a site receiving bundles, e.g. GVA2 = RESTRICTED: "
	     "picketd bundle export --to GVA2 leaves out records above it.") },
	{ "log", "syslog", CT_BOOL, "false", 0, 0, OFF(syslog),
	  N_("Also log to syslog (facility daemon).") },
	{ "log", "file", CT_PATH, NULL, 0, 0, OFF(log_file),
	  N_("Also append the log to this file (reopened on SIGHUP).") },
	{ "log", "level", CT_LEVEL, "info", 0, 0, OFF(log_level),
	  N_("Least severe messages logged: error, warn or info (info logs every request).") },
};

void srv_conf_describe(FILE *f)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s.%s", keys[i].section, keys[i].key);
		fprintf(f, "  %-30s %s\n", name, _(keys[i].help));
		if (keys[i].def)
			fprintf(f, "  %-30s %s %s\n", "", _("default:"), keys[i].def);
	}
}

static const struct conf_key *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    (!key || strcmp(keys[i].key, key) == 0))
			return &keys[i];
	return NULL;
}

/* Refuses sections and keys nobody reads, so a typo is not ignored. */
static int check_known(const char *path, dictionary *d, struct pk_error *err)
{
	int rc = PK_OK;
	/* iniparser keeps keys above the first section as ":key" */
	for (ssize_t i = 0; i < d->size; i++)
		if (d->key[i] && d->key[i][0] == ':')
			return pk_error_set(err, PK_ECONFIG,
					    _("%s: setting '%s' is outside any [section]"), path,
					    d->key[i] + 1);
	for (int s = 0; s < iniparser_getnsec(d) && rc == PK_OK; s++) {
		const char *sec = iniparser_getsecname(d, s);
		if (!find_key(sec, NULL))
			return pk_error_set(err, PK_ECONFIG,
					    _("%s: unknown section [%s] (server, tls, store, "
					      "auth, classification, bundle, sites, log)"),
					    path, sec);
		int nk = iniparser_getsecnkeys(d, sec);
		if (nk <= 0 || strcmp(sec, "sites") == 0)
			continue;
		const char **ks = pk_xcalloc((size_t)nk, sizeof(*ks));
		iniparser_getseckeys(d, sec, ks);
		for (int i = 0; i < nk && rc == PK_OK; i++) {
			const char *colon = strchr(ks[i], ':');
			const char *name = colon ? colon + 1 : ks[i];
			if (!find_key(sec, name))
				rc = pk_error_set(err, PK_ECONFIG, _("%s: unknown setting '%s.%s'"),
						  path, sec, name);
		}
		free(ks);
	}
	return rc;
}

/* "16M" -> 16777216: a whole number with an optional k, M or G suffix. */
static int parse_size(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	static const char suffixes[] = "kKmMgG"; /* 2^10, 2^20, 2^30 */
	unsigned long long mult = 1;
	const char *sfx = *end ? strchr(suffixes, *end) : NULL;
	if (sfx) {
		mult = 1ULL << (10 * (1 + (sfx - suffixes) / 2));
		end++;
	}
	if (*end || v > (unsigned long long)max / mult || (long long)(v * mult) < min)
		return -1;
	*out = (long long)(v * mult);
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < PK_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static char *absolute(const char *dir, const char *p)
{
	return p[0] == '/' ? pk_xstrdup(p) : pk_xasprintf("%s/%s", dir, p);
}

static int set_value(struct srv_conf *conf, const char *dir, const struct conf_key *k,
		     const char *v, struct pk_error *err)
{
	char *field = (char *)conf + k->offset;
	long long n;
	int b, level;
	switch (k->type) {
	case CT_STRING: *(char **)field = pk_xstrdup(v); return PK_OK;
	case CT_PATH: *(char **)field = *v ? absolute(dir, v) : NULL; return PK_OK;
	case CT_INT:
		if (pk_parse_int(v, k->min, k->max, &n) != 0)
			break;
		*(int *)field = (int)n;
		return PK_OK;
	case CT_SIZE:
		if (parse_size(v, k->min, k->max, &n) != 0)
			break;
		*(size_t *)field = (size_t)n;
		return PK_OK;
	case CT_BOOL:
		if (parse_bool(v, &b) != 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("%s: %s.%s: '%s' is not true or false"), conf->path,
					    k->section, k->key, v);
		*(int *)field = b;
		return PK_OK;
	case CT_LEVEL:
		if ((level = srv_log_level_parse(v)) < 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("%s: %s.%s: '%s' is not error, warn or info"),
					    conf->path, k->section, k->key, v);
		*(int *)field = level;
		return PK_OK;
	case CT_METHOD:
		if ((level = srv_auth_method_parse(v)) < 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("%s: %s.%s: '%s' is not token, certificate, either "
					      "or both"),
					    conf->path, k->section, k->key, v);
		*(int *)field = level;
		return PK_OK;
	}
	return pk_error_set(err, PK_ECONFIG,
			    _("%s: %s.%s: '%s' is not a number from %lld to %lld%s"), conf->path,
			    k->section, k->key, v, k->min, k->max,
			    k->type == CT_SIZE ? _(" (suffixes k, M, G)") : "");
}

/* Client certificates: asked for exactly when the method uses them, and
 * only where picketd itself speaks TLS. */
static int check_client_certs(const struct srv_conf *conf, struct pk_error *err)
{
	enum srv_auth_method m = (enum srv_auth_method)conf->auth_method;
	int certs = srv_auth_uses_certificates(m);
	if (certs && conf->plain_http)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: auth.method = %s needs client certificates, which "
				      "picketd cannot see with server.plain_http = true (the proxy "
				      "ends TLS); serve TLS here or use method = token"),
				    conf->path, srv_auth_method_name(m));
	if (certs && !conf->client_ca)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: auth.method = %s needs tls.client_ca, the authorities "
				      "that sign client certificates"),
				    conf->path, srv_auth_method_name(m));
	if (!certs && conf->client_ca)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: tls.client_ca is set but auth.method = token ignores "
				      "client certificates; set method = certificate, either or "
				      "both, or remove client_ca"),
				    conf->path);
	if (conf->client_crl && !conf->client_ca)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: tls.client_crl needs tls.client_ca, the authorities "
				      "whose revocations it lists"),
				    conf->path);
	return PK_OK;
}

/* Checks that go across keys. */
static int check_conf(struct srv_conf *conf, struct pk_error *err)
{
	int pg = strcmp(conf->backend, "postgresql") == 0;
	if (!pg && strcmp(conf->backend, "sqlite") != 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: store.backend: '%s' is not a store this picketd has "
				      "(sqlite, postgresql)"),
				    conf->path, conf->backend);
	if (pg && (!conf->conninfo || !*conf->conninfo))
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: store.backend is postgresql: store.conninfo must name "
				      "the database"),
				    conf->path);
	if (!*conf->listen)
		return pk_error_set(err, PK_ECONFIG, _("%s: server.listen is empty"), conf->path);
	if (!conf->store_path || !conf->users)
		return pk_error_set(err, PK_ECONFIG, _("%s: store.path and auth.users are needed"),
				    conf->path);
	if (!conf->plain_http && (!conf->cert || !conf->key))
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: tls.cert and tls.key are needed (or server.plain_http "
				      "= true behind a TLS-terminating proxy)"),
				    conf->path);
	return check_client_certs(conf, err);
}

/* The levels, the ceiling (as the system-high of conf->classes) and the
 * sites' levels. */
static int load_classes(struct srv_conf *conf, dictionary *d, struct pk_error *err)
{
	struct pk_config *cls = pk_config_defaults();
	conf->classes = cls;
	struct pk_error why;
	if (pk_config_set_levels(cls, conf->levels, &why) != PK_OK)
		return pk_error_set(err, PK_ECONFIG, "%s: %s", conf->path, why.msg);
	cls->system_high = conf->ceiling ? pk_class_rank(cls, conf->ceiling) : 0;
	if (cls->system_high < 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: classification.ceiling: unknown level '%s'"), conf->path,
				    conf->ceiling);
	int n = iniparser_getsecnkeys(d, "sites");
	if (n <= 0)
		return PK_OK;
	const char **ks = pk_xcalloc((size_t)n, sizeof(*ks));
	iniparser_getseckeys(d, "sites", ks);
	conf->sites = pk_xcalloc((size_t)n, sizeof(*conf->sites));
	int rc = PK_OK;
	for (int i = 0; i < n && rc == PK_OK; i++) {
		const char *node = strchr(ks[i], ':') + 1;
		const char *v = iniparser_getstring(d, ks[i], "");
		struct srv_site *site = &conf->sites[conf->nsites];
		site->level = pk_class_rank(cls, v);
		if (site->level < 0)
			rc = pk_error_set(err, PK_ECONFIG, _("%s: sites.%s: unknown level '%s'"),
					  conf->path, node, v);
		site->node = pk_xstrdup(node);
		conf->nsites++;
	}
	free(ks);
	return rc;
}

const char *srv_ceiling(const struct srv_conf *conf)
{
	return conf->classes->levels[conf->classes->system_high];
}

int srv_conf_site_level(const struct srv_conf *conf, const char *node)
{
	for (int i = 0; i < conf->nsites; i++)
		if (strcasecmp(conf->sites[i].node, node) == 0)
			return conf->sites[i].level;
	return -1;
}

/* The directory of the file, absolute, for relative paths in it. */
static char *file_dir(const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return NULL;
	char *slash = strrchr(real, '/');
	if (slash == real)
		slash[1] = '\0';
	else
		*slash = '\0';
	return real;
}

int srv_conf_load(const char *path, struct srv_conf **out, struct pk_error *err)
{
	*out = NULL;
	char *dir = file_dir(path);
	if (!dir)
		return pk_error_set(err, PK_ECONFIG, _("cannot read %s: %s"), path,
				    strerror(errno));
	void *ini;
	int rc = pk_ini_load(path, &ini, err);
	if (rc != PK_OK) {
		free(dir);
		return rc;
	}
	dictionary *d = ini;
	struct srv_conf *conf = pk_xcalloc(1, sizeof(*conf));
	conf->path = pk_xstrdup(path);
	rc = check_known(path, d, err);
	for (size_t i = 0; i < PK_ARRAY_LEN(keys) && rc == PK_OK; i++) {
		if (keys[i].key[0] == '<')
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", keys[i].section, keys[i].key);
		const char *v = iniparser_getstring(d, name, NULL);
		if (v || keys[i].def)
			rc = set_value(conf, dir, &keys[i], v ? v : keys[i].def, err);
	}
	if (rc == PK_OK)
		rc = check_conf(conf, err);
	if (rc == PK_OK)
		rc = load_classes(conf, d, err);
	iniparser_freedict(d);
	free(dir);
	if (rc != PK_OK) {
		srv_conf_free(&conf);
		return rc;
	}
	*out = conf;
	return PK_OK;
}

void srv_conf_free(struct srv_conf **pconf)
{
	struct srv_conf *conf = *pconf;
	if (!conf)
		return;
	free(conf->path);
	free(conf->listen);
	free(conf->cert);
	free(conf->key);
	free(conf->client_ca);
	free(conf->client_crl);
	free(conf->backend);
	free(conf->store_path);
	free(conf->conninfo);
	free(conf->users);
	free(conf->log_file);
	free(conf->levels);
	free(conf->ceiling);
	free(conf->bundle_key);
	free(conf->trusted_keys);
	for (int i = 0; i < conf->nsites; i++)
		free(conf->sites[i].node);
	free(conf->sites);
	pk_config_free(&conf->classes);
	free(conf);
	*pconf = NULL;
}
