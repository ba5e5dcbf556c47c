/* picketd's configuration: one INI file (see picketd(8)), every key
 * described once in conf.c's table, which drives parsing and --help. */
#ifndef PICKETD_CONF_H
#define PICKETD_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "picket/util.h"

#define SRV_DEFAULT_CONFIG "/etc/picketd/picketd.conf"

struct pk_config;

/* A site receiving bundles and its accredited level. */
struct srv_site {
	char *node;
	int level; /* rank in conf->classes */
};

struct srv_conf {
	char *path; /* the file read */
	/* [server] */
	char *listen;
	int port;
	int threads;
	int max_connections;
	int max_connections_per_ip; /* 0: no limit */
	size_t max_body;
	size_t max_header;
	int timeout; /* seconds */
	int rate;    /* requests per second per user; 0: no limit */
	int plain_http;
	/* [tls]; absolute paths */
	char *cert;
	char *key;
	char *client_ca;  /* authorities of client certificates; NULL: none asked */
	char *client_crl; /* their revocation lists; NULL: none */
	/* [store] */
	char *backend;
	char *store_path;
	char *conninfo; /* PostgreSQL connection string; NULL when unset */
	/* [auth] */
	char *users;
	int auth_method; /* enum srv_auth_method */
	/* [classification]: classes holds the levels, with the ceiling as its
	 * system_high */
	char *levels;
	char *ceiling;
	struct pk_config *classes;
	/* [bundle] */
	char *bundle_key;
	char *trusted_keys;
	/* [sites] */
	struct srv_site *sites;
	int nsites;
	/* [log] */
	int syslog;
	char *log_file;
	int log_level; /* enum srv_log_level */
};

/* Reads and checks the file at `path`; relative paths in it are made
 * absolute against the file's directory.  Returns PK_OK, or PK_ECONFIG with
 * err naming the file and the key.  *out is freed with srv_conf_free(). */
int srv_conf_load(const char *path, struct srv_conf **out, struct pk_error *err);
void srv_conf_free(struct srv_conf **conf);

/* The name of the server's ceiling. */
const char *srv_ceiling(const struct srv_conf *conf);
/* The level (rank) of a site in [sites], or -1 when it is not listed. */
int srv_conf_site_level(const struct srv_conf *conf, const char *node);

/* Prints every key with its default and meaning (for --help). */
void srv_conf_describe(FILE *f);

#endif
