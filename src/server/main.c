/* picketd: the central sync server of picket.  Entry point, the user
 * commands (adduser, deluser, users), and the server's life: start,
 * SIGHUP (reopen the log, reload the users and the client certificate
 * authorities and CRLs), SIGTERM/SIGINT (finish the requests in flight,
 * then exit). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "bundle.h"
#include "cert.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "rate.h"
#include "store.h"
#include "users.h"
#include "picket/buildconf.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define DRAIN_SECONDS 30

struct opts {
	const char *config;
	const char *role;
	const char *group;
	const char *subject;
	const char *cert;
	int no_token;
	const char *name; /* key trust --name */
	const char *to;	  /* bundle export --to */
	long long since;  /* bundle export --since, -1 when not given */
	int all;	  /* bundle export --all */
};

static void usage(FILE *f)
{
	fprintf(f, _("usage: picketd [--config FILE]\n"
		     "       picketd adduser NAME --role ROLE [--group GROUP]\n"
		     "               [--subject DN | --cert FILE] [--no-token] [--config FILE]\n"
		     "       picketd deluser NAME [--config FILE]\n"
		     "       picketd users [--config FILE]\n"
		     "       picketd key [show] | list | trust FILE|KEY [--name SITE]\n"
		     "       picketd bundle export FILE [--since SEQ|--all] [--to SITE]\n"
		     "       picketd bundle import FILE | inspect FILE\n"
		     "       picketd --help | --version\n"));
}

static void help(void)
{
	usage(stdout);
	printf(_("\nThe central sync server of picket: runs in the foreground (for systemd),\n"
		 "logs to standard error. SIGHUP reopens the log file and reloads the users\n"
		 "and the client certificate authorities and CRLs; SIGTERM finishes the\n"
		 "requests in flight, then exits.\n\n"
		 "  adduser   add a user and print their token (shown once; only its hash\n"
		 "            is stored). Roles: viewer (pull only), technician (push own\n"
		 "            events), supervisor (also moves tickets across groups), admin.\n"
		 "            --subject binds the user to a client certificate subject, as\n"
		 "            RFC 4514 writes it (CN=alice,O=Example); --cert takes it from\n"
		 "            a certificate file; --no-token issues no token (with\n"
		 "            auth.method = certificate none is issued anyway).\n"
		 "  deluser   remove a user (their token stops working at the next SIGHUP)\n"
		 "  users     list the users and their roles\n"
		 "  key       the server's bundle signing key, and the sites' keys it trusts\n"
		 "  bundle    write the events after a sequence to a signed file for a site\n"
		 "            with no network, or store the events of a site's bundle\n\n"
		 "The configuration (default %s) is INI:\n"),
	       SRV_DEFAULT_CONFIG);
	srv_conf_describe(stdout);
	printf(_("\nExit codes: 0 ok, 1 error, 2 usage, 9 configuration; bundles also 4 invalid,\n"
		 "10 above the ceiling, 11 input/output, 18 signature.  See picketd(8).\n"));
}

/* Exit codes: 0 ok, 2 usage, 9 configuration, 1 anything else. */
static int exit_code(int rc)
{
	return rc == PK_OK || rc == PK_EUSAGE || rc == PK_ECONFIG ? rc : 1;
}

/* The bundle commands also exit as picket's do for what a bundle may be
 * refused for. */
static int exchange_exit_code(int rc)
{
	switch (rc) {
	case PK_EINVAL:
	case PK_ECLASS:
	case PK_EIO:
	case PK_ESIG: return rc;
	}
	return exit_code(rc);
}

static int fail(int rc, const char *msg)
{
	fprintf(stderr, "picketd: %s\n", msg);
	return exit_code(rc);
}

static int load_conf(const struct opts *o, struct srv_conf **conf)
{
	struct pk_error err = { 0 };
	int rc = srv_conf_load(o->config ? o->config : SRV_DEFAULT_CONFIG, conf, &err);
	return rc == PK_OK ? PK_OK : fail(rc, err.msg);
}

/* --- keys and bundles --- */

static int cmd_exchange(const struct opts *o, int argc, char **argv)
{
	const char *cmd = argv[0], *sub = argc > 1 ? argv[1] : "show";
	int key = strcmp(cmd, "key") == 0;
	int ok;
	if (key)
		ok = ((strcmp(sub, "show") == 0 || strcmp(sub, "list") == 0) && argc <= 2 &&
		      !o->name) ||
		     (strcmp(sub, "trust") == 0 && argc == 3);
	else
		ok = argc == 3 && (strcmp(sub, "export") == 0 ||
				   ((strcmp(sub, "import") == 0 || strcmp(sub, "inspect") == 0) &&
				    !o->to && !o->all && o->since < 0));
	if (!ok || o->role || o->group || (key && (o->to || o->all || o->since >= 0)) ||
	    (o->all && o->since >= 0)) {
		usage(stderr);
		return PK_EUSAGE;
	}
	struct srv_conf *conf;
	int rc = load_conf(o, &conf);
	if (rc != PK_OK)
		return rc;
	if (key)
		rc = srv_cmd_key(conf, sub, argc > 2 ? argv[2] : NULL, o->name);
	else
		rc = srv_cmd_bundle(conf, sub, argv[2], o->since > 0 ? o->since : 0, o->to);
	srv_conf_free(&conf);
	return rc;
}

/* --- user commands --- */

/* The subject adduser binds: --subject as given, or --cert's. */
static int adduser_subject(const struct opts *o, char **subject)
{
	struct pk_error err = { 0 };
	*subject = NULL;
	if (o->subject && o->cert) {
		fprintf(stderr, _("picketd: --subject and --cert both name a subject: give "
				  "one\n"));
		return PK_EUSAGE;
	}
	if (o->cert) {
		int rc = srv_cert_subject_file(o->cert, subject, &err);
		return rc == PK_OK ? PK_OK : fail(rc, err.msg);
	}
	if (o->subject && !srv_subject_valid(o->subject)) {
		fprintf(stderr,
			_("picketd: '%s' is not a certificate subject (such as "
			  "CN=alice,O=Example, as openssl x509 -noout -subject -nameopt RFC2253 "
			  "prints it)\n"),
			o->subject);
		return PK_EUSAGE;
	}
	*subject = pk_xstrdup(o->subject);
	return PK_OK;
}

static int cmd_adduser(const struct opts *o, const char *name)
{
	struct pk_error err = { 0 };
	struct srv_conf *conf;
	char *token = NULL, *subject = NULL;
	int role = o->role ? srv_role_parse(o->role) : -1;
	if (!srv_name_valid(name)) {
		fprintf(stderr,
			_("picketd: '%s' is not a user name (1 to %d of A-Z a-z 0-9 . _ -)\n"),
			name, SRV_NAME_MAX);
		return PK_EUSAGE;
	}
	if (role < 0) {
		fprintf(stderr, _("picketd: --role viewer, technician, supervisor or admin is "
				  "needed\n"));
		return PK_EUSAGE;
	}
	if (o->group && !srv_name_valid(o->group)) {
		fprintf(stderr, _("picketd: '%s' is not a group name\n"), o->group);
		return PK_EUSAGE;
	}
	int rc = adduser_subject(o, &subject);
	if (rc != PK_OK)
		return rc;
	if (o->no_token && !subject) {
		fprintf(stderr, _("picketd: --no-token needs --subject or --cert: the user "
				  "would have no way in\n"));
		free(subject);
		return PK_EUSAGE;
	}
	if ((rc = load_conf(o, &conf)) != PK_OK) {
		free(subject);
		return rc;
	}
	int want_token =
		!o->no_token && srv_auth_uses_tokens((enum srv_auth_method)conf->auth_method);
	if (!want_token && !subject) {
		srv_conf_free(&conf);
		fprintf(stderr, _("picketd: auth.method = certificate: --subject or --cert is "
				  "needed\n"));
		return PK_EUSAGE;
	}
	rc = srv_users_add(conf->users, name, (enum srv_role)role, o->group, subject,
			   want_token ? &token : NULL, &err);
	if (rc == PK_OK && token) {
		printf("%s\n", token);
		fprintf(stderr,
			_("picketd: added %s (%s) to %s.  The token above is shown only once: "
			  "give it to %s, to keep in a file of mode 0600 named by [sync] "
			  "token_file "
			  "in picket.conf.  A running picketd loads "
			  "it on SIGHUP (systemctl reload picketd).\n"),
			name, srv_role_name((enum srv_role)role), conf->users, name);
		sodium_memzero(token, strlen(token));
		free(token);
	} else if (rc == PK_OK) {
		fprintf(stderr,
			_("picketd: added %s (%s) to %s, without a token.  A running picketd "
			  "loads it on SIGHUP (systemctl reload picketd).\n"),
			name, srv_role_name((enum srv_role)role), conf->users);
	}
	if (rc == PK_OK && subject)
		fprintf(stderr, _("picketd: %s signs in with the client certificate '%s'.\n"), name,
			subject);
	free(subject);
	srv_conf_free(&conf);
	return rc == PK_OK ? PK_OK : fail(rc, err.msg);
}

static int cmd_deluser(const struct opts *o, const char *name)
{
	struct pk_error err = { 0 };
	struct srv_conf *conf;
	int rc = load_conf(o, &conf);
	if (rc != PK_OK)
		return rc;
	rc = srv_users_del(conf->users, name, &err);
	if (rc == PK_OK)
		fprintf(stderr,
			_("picketd: removed %s from %s (a running picketd forgets them on "
			  "SIGHUP)\n"),
			name, conf->users);
	srv_conf_free(&conf);
	return rc == PK_OK ? PK_OK : fail(rc, err.msg);
}

static int cmd_users(const struct opts *o)
{
	struct pk_error err = { 0 };
	struct srv_conf *conf;
	struct srv_users users;
	int rc = load_conf(o, &conf);
	if (rc != PK_OK)
		return rc;
	rc = srv_users_load(conf->users, 1, &users, &err);
	for (size_t i = 0; rc == PK_OK && i < users.n; i++)
		printf("%-20s %-10s %-12s %-5s %s\n", users.v[i].name,
		       srv_role_name(users.v[i].role), users.v[i].group[0] ? users.v[i].group : "-",
		       users.v[i].has_token ? "token" : "-",
		       users.v[i].subject[0] ? users.v[i].subject : "-");
	srv_users_free(&users);
	srv_conf_free(&conf);
	return rc == PK_OK ? PK_OK : fail(rc, err.msg);
}

/* --- the server --- */

/* The client authorities and CRLs, at start and on SIGHUP. */
static int load_certs(const struct srv_conf *conf, struct pk_error *err)
{
	if (!conf->client_ca)
		return PK_OK;
	return srv_cert_load(conf->client_ca, conf->client_crl, err);
}

static void reload(const struct srv_conf *conf)
{
	struct pk_error err = { 0 };
	srv_log_reopen();
	if (srv_auth_load(conf->users, &err) != PK_OK)
		srv_log(SRV_LOG_ERROR, _("users not reloaded, the old list stays: %s"), err.msg);
	else
		srv_log(SRV_LOG_INFO, _("reloaded %zu users from %s"), srv_auth_count(),
			conf->users);
	if (!conf->client_ca)
		return;
	if (load_certs(conf, &err) != PK_OK)
		srv_log(SRV_LOG_ERROR,
			_("client certificate authorities and CRLs not reloaded, the old ones "
			  "stay: %s"),
			err.msg);
	else
		srv_log(SRV_LOG_INFO, _("reloaded the client certificate authorities from %s%s%s"),
			conf->client_ca, conf->client_crl ? _(" and the CRLs from ") : "",
			conf->client_crl ? conf->client_crl : "");
}

/* Waits for the requests in flight, up to DRAIN_SECONDS; a second
 * SIGTERM or SIGINT stops waiting. */
static void drain(struct srv *srv, const sigset_t *set)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 }, now, end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += DRAIN_SECONDS;
	for (;;) {
		if (atomic_load(&srv->inflight) == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			srv_log(SRV_LOG_WARN, _("second signal: stopping now"));
			return;
		}
	}
	srv_log(SRV_LOG_WARN, _("%d requests still running after %d s: stopping anyway"),
		atomic_load(&srv->inflight), DRAIN_SECONDS);
}

/* Runs until SIGTERM or SIGINT; returns the exit status. */
static int run(struct srv *srv, const sigset_t *set)
{
	int sig;
	const struct srv_conf *conf = srv->conf;
	int v6 = strchr(conf->listen, ':') != NULL;
	srv_log(SRV_LOG_INFO,
		_("listening on %s://%s%s%s:%d (%d threads, store %s, %zu users, "
		  "authentication by %s)"),
		conf->plain_http ? "http" : "https", v6 ? "[" : "", conf->listen, v6 ? "]" : "",
		srv->port, conf->threads,
		strcmp(conf->backend, "sqlite") == 0 ? conf->store_path : conf->backend,
		srv_auth_count(), srv_auth_method_name((enum srv_auth_method)conf->auth_method));
	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(conf);
			continue;
		}
		break;
	}
	/* turned away first, then counted: no request starts after the count */
	srv_http_quiesce(srv);
	srv_log(SRV_LOG_INFO, _("signal %d: no new connections; finishing %d requests"), sig,
		atomic_load(&srv->inflight));
	drain(srv, set);
	srv_http_stop(srv);
	return PK_OK;
}

static int serve(const struct opts *o)
{
	struct pk_error err = { 0 };
	struct srv srv = { 0 };
	struct srv_conf *conf;
	sigset_t set;
	int rc;

	/* signals go to sigwait in this thread: block them before any thread
	 * starts, so every thread inherits the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = load_conf(o, &conf)) != PK_OK)
		return rc;
	if ((rc = srv_log_open(conf->log_level, conf->syslog, conf->log_file, &err)) != PK_OK) {
		srv_conf_free(&conf);
		return fail(rc, err.msg);
	}
	if (conf->plain_http)
		srv_log(SRV_LOG_WARN, _("plain_http: serving without TLS; tokens cross the "
					"network in clear unless a proxy on this host terminates "
					"TLS"));
	srv_rate_init(conf->rate);
	srv.conf = conf;
	rc = srv_auth_load(conf->users, &err);
	if (rc == PK_OK)
		rc = load_certs(conf, &err);
	if (rc == PK_OK && conf->client_ca && !conf->client_crl)
		srv_log(SRV_LOG_WARN, _("no tls.client_crl: a revoked client certificate is "
					"accepted until it expires"));
	if (rc == PK_OK)
		rc = srv_http_load_tls(&srv, &err);
	if (rc == PK_OK)
		rc = srv_store_open(conf, &srv.store, &err);
	if (rc == PK_OK)
		rc = srv_http_start(&srv, &err);
	if (rc == PK_OK)
		rc = run(&srv, &set);
	else
		srv_log(SRV_LOG_ERROR, "%s", err.msg);
	srv_http_stop(&srv);
	srv_store_close(&srv.store);
	srv_auth_free();
	srv_cert_free();
	srv_rate_free();
	if (rc == PK_OK)
		srv_log(SRV_LOG_INFO, _("stopped"));
	srv_log_close();
	srv_conf_free(&conf);
	return exit_code(rc);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "config", required_argument, NULL, 'c' },
						  { "role", required_argument, NULL, 'r' },
						  { "group", required_argument, NULL, 'g' },
						  { "subject", required_argument, NULL, 's' },
						  { "cert", required_argument, NULL, 'C' },
						  { "no-token", no_argument, NULL, 'T' },
						  { "name", required_argument, NULL, 'n' },
						  { "to", required_argument, NULL, 't' },
						  { "since", required_argument, NULL, 'e' },
						  { "all", no_argument, NULL, 'a' },
						  { "help", no_argument, NULL, 'h' },
						  { "version", no_argument, NULL, 'V' },
						  { 0 } };
	struct opts o = { .since = -1 };
	int c;

	pk_i18n_init();
	while ((c = getopt_long(argc, argv, "c:r:g:s:n:t:e:ahV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'r': o.role = optarg; break;
		case 'g': o.group = optarg; break;
		case 's': o.subject = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'T': o.no_token = 1; break;
		case 'n': o.name = optarg; break;
		case 't': o.to = optarg; break;
		case 'a': o.all = 1; break;
		case 'e':
			if (pk_parse_int(optarg, 0, INT64_MAX, &o.since) != 0) {
				fprintf(stderr, _("picketd: --since: '%s' is not a sequence\n"),
					optarg);
				return PK_EUSAGE;
			}
			break;
		case 'h': help(); return PK_OK;
		case 'V': printf("picketd %s\n", PICKET_VERSION); return PK_OK;
		default: usage(stderr); return PK_EUSAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (sodium_init() < 0)
		return fail(PK_ERR, _("cannot initialise libsodium"));

	const char *cmd = argc > 0 ? argv[0] : NULL;
	if (cmd && (strcmp(cmd, "key") == 0 || strcmp(cmd, "bundle") == 0))
		return exchange_exit_code(cmd_exchange(&o, argc, argv));
	int nargs = cmd && (strcmp(cmd, "adduser") == 0 || strcmp(cmd, "deluser") == 0) ? 2 : 1;
	if (o.name || o.to || o.all || o.since >= 0) {
		usage(stderr);
		return PK_EUSAGE;
	}
	if (cmd && strcmp(cmd, "adduser") != 0 && strcmp(cmd, "deluser") != 0 &&
	    strcmp(cmd, "users") != 0) {
		fprintf(stderr, _("picketd: unknown command '%s'\n"), cmd);
		usage(stderr);
		return PK_EUSAGE;
	}
	if ((cmd && argc != nargs) || (!cmd && argc != 0) ||
	    ((o.role || o.group || o.subject || o.cert || o.no_token) &&
	     !(cmd && strcmp(cmd, "adduser") == 0))) {
		usage(stderr);
		return PK_EUSAGE;
	}
	if (!cmd)
		return serve(&o);
	if (strcmp(cmd, "adduser") == 0)
		return exit_code(cmd_adduser(&o, argv[1]));
	if (strcmp(cmd, "deluser") == 0)
		return exit_code(cmd_deluser(&o, argv[1]));
	return exit_code(cmd_users(&o));
}
