#include "picket/config.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/desk.h"
#include "picket/escalate.h"
#include "picket/sla.h"
#include "picket/status.h"

#define DEFAULT_STATUSES                                                 \
	"new, assigned, in_progress, pending_customer, pending_vendor, " \
	"pending_change, resolved, reopened, closed"

/* Every key, once.  Drives parsing, validation, `picket config --list`
 * and picket.conf(5). */
static const struct pk_config_key keys[] = {
	{ "core.node", PK_CT_STRING, NULL,
	  N_("Short name of this installation, used in refs NODE-N (letters and "
	     "digits, at most 8). Default: derived from the host name.") },
	{ "db.path", PK_CT_STRING, NULL,
	  N_("The database file. Default: $XDG_DATA_HOME/picket/picket.db.") },
	{ "db.busy_timeout", PK_CT_INT, "5000",
	  N_("Milliseconds to wait for another writer before giving up.") },
	{ "classification.levels", PK_CT_LIST,
	  "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET",
	  N_("Classification levels, lowest first.") },
	{ "classification.system_high", PK_CT_STRING, NULL,
	  N_("The highest level this workstation is accredited for; tickets "
	     "above it are refused. Default: the highest level.") },
	{ "classification.default", PK_CT_STRING, NULL,
	  N_("Level of new tickets when none is given. Default: the lowest.") },
	{ "priority.matrix", PK_CT_LIST, "1 1 2 3, 1 2 3 3, 2 3 3 4, 3 3 4 4",
	  N_("Priority by impact (rows 1-4) and urgency (columns 1-4); 1 is the "
	     "most severe.") },
	{ "defaults.type", PK_CT_STRING, "incident",
	  N_("Type of new tickets: incident, request, problem or change.") },
	{ "defaults.impact", PK_CT_INT, "3", N_("Impact of new tickets, 1-4.") },
	{ "defaults.urgency", PK_CT_INT, "3", N_("Urgency of new tickets, 1-4.") },
	{ "workflow.statuses", PK_CT_LIST, DEFAULT_STATUSES,
	  N_("The ticket statuses, in display order.") },
	{ "workflow.closed", PK_CT_LIST, "resolved, closed",
	  N_("Statuses that are not open (the query word `open` excludes them).") },
	{ "users.<login>", PK_CT_LIST, NULL,
	  N_("Role and group of a login: technician, supervisor or admin, then optionally a "
	     "group, e.g. alice = supervisor, network. Default: technician, no group.") },
	{ "ui.theme", PK_CT_STRING, "default",
	  N_("Colour theme of the full-screen interface: default, high-contrast, light, "
	     "monochrome, or the name of themes/NAME.ini in the configuration directory.") },
	{ "ui.mouse", PK_CT_BOOL, "false",
	  N_("Mouse wheel scrolls and a click selects (a second click opens).") },
	{ "keys.<action>", PK_CT_LIST, NULL,
	  N_("Keys bound to an action of the full-screen interface, replacing its "
	     "defaults, e.g. take = t T (see picket(1), KEYS).") },
	{ "views.<name>", PK_CT_STRING, NULL,
	  N_("A saved view of the queue: the key is its name (_ for spaces), the value "
	     "a query. Default: My tickets, Unassigned, Open P1/P2, Pending vendor, All "
	     "open, Recently closed, Breaching next, Vendor follow-up.") },
	{ "transitions.<status>", PK_CT_LIST, NULL,
	  N_("Statuses a ticket in <status> may move to. Default: the built-in "
	     "workflow.") },
	{ "sla.warn", PK_CT_LIST, "75, 90",
	  N_("Warning thresholds of the SLA clocks, in percent of the target.") },
	{ "sla.pause", PK_CT_LIST, "pending_customer, pending_vendor",
	  N_("Statuses in which the SLA clocks pause (none: an empty value).") },
	{ "sla.p1", PK_CT_STRING, "respond 15m, resolve 4h, calendar 24x7",
	  N_("Targets of priority 1: respond DURATION|none, resolve DURATION|none, "
	     "calendar NAME. In a business calendar 1d is one working day.") },
	{ "sla.p2", PK_CT_STRING, "respond 30m, resolve 8h, calendar 24x7",
	  N_("Targets of priority 2.") },
	{ "sla.p3", PK_CT_STRING, "respond 4h, resolve 3d, calendar business",
	  N_("Targets of priority 3.") },
	{ "sla.p4", PK_CT_STRING, "respond 1d, resolve 5d, calendar business",
	  N_("Targets of priority 4.") },
	{ "sla.follow_up", PK_CT_STRING, "2d",
	  N_("Default delay before following up a ticket handed to a vendor.") },
	{ "sla.<type>.p<N>", PK_CT_STRING, NULL,
	  N_("Targets for tickets of one type, in section [sla.TYPE], e.g. [sla.request] "
	     "p3 = respond 1d, resolve 10d, calendar business.") },
	{ "sla.service.<name>.p<N>", PK_CT_STRING, NULL,
	  N_("Targets for tickets of one service, in section [sla.service.NAME]; they win "
	     "over type and default targets.") },
	{ "escalate.timeout", PK_CT_INT, "10",
	  N_("Seconds a notify command may run before it is killed and retried later.") },
	{ "escalate.retries", PK_CT_INT, "5",
	  N_("Retries of a failed notify command (with growing delays) before giving "
	     "up.") },
	{ "escalate.interval", PK_CT_INT, "60",
	  N_("Seconds between the escalation runs of the full-screen interface while it "
	     "is open (0: never).") },
	{ "escalate.<rule>.when", PK_CT_STRING, NULL,
	  N_("In section [escalate.RULE]: warning (an SLA threshold of sla.warn passed), "
	     "breach (a target passed) or match (a ticket matches the query).") },
	{ "escalate.<rule>.clock", PK_CT_STRING, "any",
	  N_("For warning and breach rules: response, resolve or any.") },
	{ "escalate.<rule>.threshold", PK_CT_INT, NULL,
	  N_("For warning rules: fire from this threshold of sla.warn on (default: at "
	     "each).") },
	{ "escalate.<rule>.query", PK_CT_STRING, NULL,
	  N_("Only tickets matching this query (required for match rules), e.g. "
	     "priority:1.") },
	{ "escalate.<rule>.priority", PK_CT_STRING, NULL,
	  N_("Action: raise (one level) or P1-P4 (never lowers).") },
	{ "escalate.<rule>.group", PK_CT_STRING, NULL,
	  N_("Action: reassign to this group (the assignee is cleared).") },
	{ "escalate.<rule>.note", PK_CT_STRING, NULL, N_("Action: add this internal note.") },
	{ "escalate.<rule>.notify", PK_CT_STRING, NULL,
	  N_("Action: run this command (no shell) with the ticket as JSON on standard "
	     "input and PICKET_REF, PICKET_UUID, PICKET_RULE, PICKET_CONDITION, "
	     "PICKET_PRIORITY, PICKET_STATUS, PICKET_GROUP, PICKET_ASSIGNEE, PICKET_ONCALL "
	     "and PICKET_DB in its environment.") },
	{ "sync.url", PK_CT_STRING, NULL,
	  N_("Base URL of the picketd server, e.g. https://picketd.example:8443. Plain "
	     "http:// is refused unless allow_insecure_http is true.") },
	{ "sync.token_file", PK_CT_STRING, NULL,
	  N_("File holding this user's picketd token (from picketd adduser); refused when "
	     "other users may read it. Not needed when cert_file signs in alone.") },
	{ "sync.token", PK_CT_STRING, NULL,
	  N_("The token itself, instead of token_file; the configuration file must then be "
	     "readable by its owner only.") },
	{ "sync.ca_file", PK_CT_STRING, NULL,
	  N_("PEM file of the certificate authority that signed the server's certificate. "
	     "Default: the system's trusted authorities.") },
	{ "sync.cert_file", PK_CT_STRING, NULL,
	  N_("PEM file of this user's client certificate, for a server that asks for one "
	     "(picketd's auth.method certificate, either or both); with no token, the "
	     "certificate alone signs in.") },
	{ "sync.key_file", PK_CT_STRING, NULL,
	  N_("PEM file of the client certificate's private key (unencrypted); refused when "
	     "other users may read it. Default: cert_file, which then holds both.") },
	{ "sync.allow_insecure_http", PK_CT_BOOL, "false",
	  N_("Accept a plain http:// URL, sending the token and the tickets unencrypted "
	     "(only behind a trusted tunnel).") },
	{ "sync.timeout", PK_CT_INT, "30", N_("Seconds one request to the server may take.") },
	{ "sync.retries", PK_CT_INT, "5",
	  N_("Attempts after a network failure or a server error, with growing delays, "
	     "before picket sync gives up (it resumes where it stopped).") },
	{ "sync.batch", PK_CT_INT, "1000", N_("Events per request, 1 to 5000.") },
	{ "sync.commit_events", PK_CT_INT, "100000",
	  N_("Events a pull merges before it commits them (whole pages): fewer commits are "
	     "faster, more keep more of an interrupted pull. 1 commits each page.") },
	{ "sync.ceiling", PK_CT_STRING, NULL,
	  N_("The highest level to send to the server, when lower than the ceiling the "
	     "server announces; changes of tickets above it stay here. Default: the "
	     "server's.") },
	{ "bundle.key_file", PK_CT_STRING, NULL,
	  N_("This installation's Ed25519 signing key for bundles (made 0600 by picket "
	     "init). Default: the database's path with .key added.") },
	{ "bundle.trusted_keys", PK_CT_STRING, NULL,
	  N_("Public keys of the sites whose bundles picket bundle import accepts (picket "
	     "key trust adds them). Default: the database's path with .trusted added.") },
	{ "sites.<node>", PK_CT_STRING, NULL,
	  N_("The accredited level of a site receiving bundles, e.g. GVA2 = RESTRICTED: "
	     "picket bundle export --to GVA2 leaves out tickets above it.") },
	{ "sync.interval", PK_CT_INT, "0",
	  N_("Minutes between automatic syncs of the full-screen interface while it is open "
	     "(0: only when asked).") },
	{ "rota.<name>.people", PK_CT_LIST, NULL,
	  N_("In section [rota.NAME]: the logins taking turns on call, in order.") },
	{ "rota.<name>.group", PK_CT_STRING, NULL,
	  N_("The group the rota covers. Default: NAME.") },
	{ "rota.<name>.start", PK_CT_STRING, NULL,
	  N_("Local date and time the first person's first shift starts, e.g. "
	     "2026-01-05T08:00.") },
	{ "rota.<name>.length", PK_CT_STRING, "1w",
	  N_("Length of a shift: 12h, 1d, 1w; whole days hand over at the same local "
	     "time across DST changes.") },
	{ "rota.<name>.timezone", PK_CT_STRING, NULL,
	  N_("IANA time zone of the rota. Default: local time.") },
	{ "vendors.<name>", PK_CT_LIST, NULL,
	  N_("A vendor: contact, then contract reference, e.g. acme = noc@acme.example, "
	     "C-2291. Vendors may also be added with picket vendor add.") },
	{ "calendar.<name>.days", PK_CT_LIST, NULL,
	  N_("Working days of calendar NAME, in section [calendar.NAME]: mon-fri, or a "
	     "list such as mon, tue, sat-sun, or all. Built in: 24x7 and business "
	     "(mon-fri 08:00-18:00, local time).") },
	{ "calendar.<name>.hours", PK_CT_LIST, NULL,
	  N_("Working hours of each working day: 08:00-18:00, or up to four ranges such "
	     "as 08:00-12:00, 13:00-17:00. Default: 00:00-24:00.") },
	{ "calendar.<name>.timezone", PK_CT_STRING, NULL,
	  N_("IANA time zone of the calendar, e.g. Europe/Brussels. Default: local "
	     "time.") },
	{ "calendar.<name>.holidays", PK_CT_LIST, NULL,
	  N_("Dates (YYYY-MM-DD) on which the calendar does not count.") },
};

/* The built-in workflow: from -> allowed targets. */
static const struct {
	const char *from, *to;
} default_moves[] = {
	{ "new", "assigned, in_progress, pending_customer, resolved, closed" },
	{ "assigned",
	  "new, in_progress, pending_customer, pending_vendor, pending_change, resolved" },
	{ "in_progress", "assigned, pending_customer, pending_vendor, pending_change, resolved" },
	{ "pending_customer", "assigned, in_progress, resolved" },
	{ "pending_vendor", "assigned, in_progress, resolved" },
	{ "pending_change", "assigned, in_progress, resolved" },
	{ "resolved", "closed, reopened" },
	{ "reopened",
	  "assigned, in_progress, pending_customer, pending_vendor, pending_change, resolved" },
	{ "closed", "" },
};

const struct pk_config_key *pk_config_keys(size_t *n)
{
	*n = PK_ARRAY_LEN(keys);
	return keys;
}

static char ini_errbuf[512];

/* iniparser's error callback: its formats are its own literals */
static int ini_error(const char *fmt, ...) PK_PRINTF(1, 2);

static int ini_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ini_errbuf, sizeof(ini_errbuf), fmt, ap);
	va_end(ap);
	char *nl;
	while ((nl = strchr(ini_errbuf, '\n')))
		*nl = ' ';
	return 0;
}

int pk_ini_load(const char *path, void **out, struct pk_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return pk_error_set(err, PK_ECONFIG, _("cannot read %s: %s"), path,
				    strerror(errno));
	fclose(f);
	ini_errbuf[0] = '\0';
	iniparser_set_error_callback(ini_error);
	dictionary *d = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	if (!d || ini_errbuf[0]) {
		if (d)
			iniparser_freedict(d);
		return pk_error_set(err, PK_ECONFIG, "%s: %s", path,
				    ini_errbuf[0] ? ini_errbuf : _("cannot parse"));
	}
	/* iniparser names a key "section:key" and keeps a section as a key
	 * without a value, so a ':' of the file's own would make [users:x] a
	 * key of [users] without a value, and its keys keys of [users]. */
	for (ssize_t i = 0; i < d->size; i++) {
		const char *k = d->key[i], *colon = k ? strchr(k, ':') : NULL;
		if (colon && (!d->val[i] || strchr(colon + 1, ':'))) {
			int rc = pk_error_set(err, PK_ECONFIG,
					      _("%s: '%s': a section or key name cannot "
						"contain ':'"),
					      path, d->val[i] ? colon + 1 : k);
			iniparser_freedict(d);
			return rc;
		}
	}
	*out = d;
	return PK_OK;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Splits a comma-separated list; returns the count, items owned by out. */
static int split_list(const char *text, char **out, int max)
{
	char *copy = pk_xstrdup(text), *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *t = trim(tok);
		if (!*t)
			continue;
		if (n == max) {
			while (n > 0)
				pk_freep(&out[--n]);
			n = -1;
			break;
		}
		out[n++] = pk_xstrdup(t);
	}
	free(copy);
	return n;
}

static void free_list(char **items, int n)
{
	for (int i = 0; i < n; i++)
		pk_freep(&items[i]);
}

/* The raw text for a key from the file, or NULL. */
static const char *ini_get(const struct pk_config *cfg, const char *name)
{
	if (!cfg->ini)
		return NULL;
	char key[128];
	snprintf(key, sizeof(key), "%s", name);
	char *dot = strchr(key, '.');
	if (dot)
		*dot = ':';
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return iniparser_getstring(cfg->ini, key, NULL);
}

static const struct pk_config_key *find_key(const char *name)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const char *get(const struct pk_config *cfg, const char *name)
{
	const char *v = ini_get(cfg, name);
	if (v)
		return v;
	const struct pk_config_key *k = find_key(name);
	return k ? k->def : NULL;
}

const char *pk_config_str(const struct pk_config *cfg, const char *name)
{
	return get(cfg, name);
}

const char *pk_config_raw(const struct pk_config *cfg, const char *section, const char *key)
{
	if (!cfg->ini)
		return NULL;
	char name[256];
	snprintf(name, sizeof(name), "%s:%s", section, key);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return iniparser_getstring(cfg->ini, name, NULL);
}

int pk_config_sections(const struct pk_config *cfg, const char *prefix, char ***names)
{
	*names = NULL;
	if (!cfg->ini)
		return 0;
	int n = 0, ns = iniparser_getnsec(cfg->ini);
	size_t len = strlen(prefix);
	for (int i = 0; i < ns; i++) {
		const char *sec = iniparser_getsecname(cfg->ini, i);
		if (!sec || strncmp(sec, prefix, len) != 0 || !sec[len])
			continue;
		*names = pk_xrealloc(*names, (size_t)(n + 1) * sizeof(**names));
		(*names)[n++] = pk_xstrdup(sec);
	}
	return n;
}

int pk_config_section_keys(const struct pk_config *cfg, const char *section, char ***out)
{
	*out = NULL;
	if (!cfg->ini)
		return 0;
	int nk = iniparser_getsecnkeys(cfg->ini, section);
	if (nk <= 0)
		return 0;
	const char **ks = pk_xcalloc((size_t)nk, sizeof(*ks));
	iniparser_getseckeys(cfg->ini, section, ks);
	*out = pk_xcalloc((size_t)nk, sizeof(**out));
	for (int i = 0; i < nk; i++) {
		const char *colon = strchr(ks[i], ':');
		(*out)[i] = pk_xstrdup(colon ? colon + 1 : ks[i]);
	}
	free(ks);
	return nk;
}

int pk_config_check_section(const struct pk_config *cfg, const char *section,
			    const char *const *known, struct pk_error *err)
{
	char **names;
	int nk = pk_config_section_keys(cfg, section, &names), rc = PK_OK;
	for (int i = 0; i < nk && rc == PK_OK; i++) {
		int ok = 0;
		for (int k = 0; known[k]; k++)
			ok |= strcmp(names[i], known[k]) == 0;
		if (ok)
			continue;
		struct pk_buf list = { 0 };
		for (int k = 0; known[k]; k++)
			pk_buf_printf(&list, "%s%s", k ? ", " : "", known[k]);
		rc = pk_error_set(err, PK_ECONFIG, _("%s: unknown setting '%s.%s' (%s)"),
				  cfg->path ? cfg->path : "", section, names[i], list.data);
		pk_buf_free(&list);
	}
	pk_config_free_names(names, nk);
	return rc;
}

void pk_config_free_names(char **names, int n)
{
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int pk_config_split(const char *text, char **out, int max)
{
	return split_list(text ? text : "", out, max);
}

static int get_int(const struct pk_config *cfg, const char *name, long long min, long long max,
		   int *out, struct pk_error *err)
{
	long long v;
	const char *s = get(cfg, name);
	if (pk_parse_int(s, min, max, &v) != 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("%s: '%s' is not a whole number from %lld to %lld"), name,
				    s ? s : "", min, max);
	*out = (int)v;
	return PK_OK;
}

/* [sync] is read by the sync module when it runs; its numbers are checked
 * here so a mistake shows at once, not at the first sync. */
static int check_sync(const struct pk_config *cfg, struct pk_error *err)
{
	static const struct {
		const char *key;
		long long min, max;
	} ranges[] = {
		{ "sync.timeout", 1, 3600 },
		{ "sync.retries", 0, 100 },
		{ "sync.batch", 1, 5000 }, /* PK_PROTOCOL_MAX_BATCH */
		{ "sync.commit_events", 1, 1000000 },
		{ "sync.interval", 0, 100000 },
	};
	int v, rc;
	for (size_t i = 0; i < PK_ARRAY_LEN(ranges); i++)
		if ((rc = get_int(cfg, ranges[i].key, ranges[i].min, ranges[i].max, &v, err)) !=
		    PK_OK)
			return rc;
	return PK_OK;
}

char *pk_identity_node(void)
{
	char host[256] = "";
	char out[9];
	int n = 0;
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	for (char *p = host; *p && *p != '.' && n < 8; p++)
		if (isalnum((unsigned char)*p))
			out[n++] = (char)toupper((unsigned char)*p);
	if (n == 0)
		out[n++] = 'L', out[n++] = 'O', out[n++] = 'C', out[n++] = 'A', out[n++] = 'L';
	out[n] = '\0';
	return pk_xstrdup(out);
}

char *pk_identity_user(void)
{
	const char *env = getenv("PICKET_USER");
	if (env && *env)
		return pk_xstrdup(env);
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return pk_xstrdup(pw->pw_name);
	return pk_xasprintf("uid%ld", (long)getuid());
}

static int node_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 8)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return 0;
	return 1;
}

static int load_workflow(struct pk_config *cfg, struct pk_error *err)
{
	struct pk_workflow *wf = &cfg->wf;
	char *closed[PK_MAX_STATUSES];
	wf->nstatus = split_list(get(cfg, "workflow.statuses"), wf->status, PK_MAX_STATUSES);
	if (wf->nstatus <= 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("workflow.statuses: between 1 and %d statuses are needed"),
				    PK_MAX_STATUSES);
	for (int i = 0; i < wf->nstatus; i++)
		for (char *p = wf->status[i]; *p; p++)
			if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
			      *p == '_'))
				return pk_error_set(
					err, PK_ECONFIG,
					_("workflow.statuses: '%s' is not a valid status "
					  "name (lower-case letters, digits and _)"),
					wf->status[i]);
	int nclosed = split_list(get(cfg, "workflow.closed"), closed, PK_MAX_STATUSES);
	for (int i = 0; i < nclosed; i++) {
		int k = pk_wf_index(wf, closed[i]);
		if (k < 0) {
			int rc = pk_error_set(err, PK_ECONFIG,
					      _("workflow.closed: unknown status '%s'"), closed[i]);
			free_list(closed, nclosed);
			return rc;
		}
		wf->closed[k] = 1;
	}
	free_list(closed, nclosed);

	for (int i = 0; i < wf->nstatus; i++) {
		char name[64];
		snprintf(name, sizeof(name), "transitions.%s", wf->status[i]);
		const char *moves = ini_get(cfg, name);
		int builtin = !moves;
		if (builtin) {
			moves = "";
			for (size_t k = 0; k < PK_ARRAY_LEN(default_moves); k++)
				if (strcmp(default_moves[k].from, wf->status[i]) == 0)
					moves = default_moves[k].to;
		}
		char *to[PK_MAX_STATUSES];
		int nto = split_list(moves, to, PK_MAX_STATUSES);
		for (int j = 0; j < nto; j++) {
			int k = pk_wf_index(wf, to[j]);
			if (k < 0 && builtin)
				continue; /* a built-in move to a status the site dropped */
			if (k < 0) {
				int rc = pk_error_set(err, PK_ECONFIG, _("%s: unknown status '%s'"),
						      name, to[j]);
				free_list(to, nto);
				return rc;
			}
			wf->allowed[i][k] = 1;
		}
		free_list(to, nto);
	}
	return PK_OK;
}

int pk_config_set_levels(struct pk_config *cfg, const char *list, struct pk_error *err)
{
	if (cfg->nlevels > 0)
		free_list(cfg->levels, cfg->nlevels);
	cfg->nlevels = split_list(list, cfg->levels, PK_MAX_LEVELS);
	cfg->system_high = cfg->nlevels - 1;
	cfg->default_level = 0;
	if (cfg->nlevels <= 0) {
		cfg->nlevels = 0;
		return pk_error_set(err, PK_ECONFIG,
				    _("classification.levels: between 1 and %d levels are needed"),
				    PK_MAX_LEVELS);
	}
	return PK_OK;
}

static int load_levels(struct pk_config *cfg, struct pk_error *err)
{
	int rc = pk_config_set_levels(cfg, get(cfg, "classification.levels"), err);
	if (rc != PK_OK)
		return rc;
	const char *hi = get(cfg, "classification.system_high");
	cfg->system_high = hi ? pk_class_rank(cfg, hi) : cfg->nlevels - 1;
	if (cfg->system_high < 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("classification.system_high: unknown level '%s'"), hi);
	const char *def = get(cfg, "classification.default");
	cfg->default_level = def ? pk_class_rank(cfg, def) : 0;
	if (cfg->default_level < 0)
		return pk_error_set(err, PK_ECONFIG,
				    _("classification.default: unknown level '%s'"), def);
	if (cfg->default_level > cfg->system_high)
		return pk_error_set(
			err, PK_ECONFIG,
			_("classification.default is above classification.system_high"));
	return PK_OK;
}

static int load_matrix(struct pk_config *cfg, struct pk_error *err)
{
	char *rows[5];
	int n = split_list(get(cfg, "priority.matrix"), rows, 5);
	int rc = PK_OK;
	if (n != 4)
		rc = pk_error_set(
			err, PK_ECONFIG,
			_("priority.matrix: 4 comma-separated rows of 4 priorities are needed"));
	for (int i = 0; i < n && rc == PK_OK; i++) {
		char *save = NULL;
		int j = 0;
		for (char *tok = strtok_r(rows[i], " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save)) {
			int p = pk_priority_parse(tok);
			if (j == 4 || !p) {
				rc = pk_error_set(err, PK_ECONFIG,
						  _("priority.matrix: row %d: '%s' is not a "
						    "priority 1-4 (or too many columns)"),
						  i + 1, tok);
				break;
			}
			cfg->matrix[i][j++] = p;
		}
		if (rc == PK_OK && j != 4)
			rc = pk_error_set(err, PK_ECONFIG,
					  _("priority.matrix: row %d needs 4 priorities"), i + 1);
	}
	free_list(rows, n > 0 ? n : 0);
	return rc;
}

static const char *const roles[] = { "technician", "supervisor", "admin", NULL };

/* "supervisor, network" -> role and group (either may be NULL to ignore);
 * returns 0 when the role is known, -1 otherwise. */
static int parse_user(const char *v, char **role, char **group)
{
	char *items[2] = { NULL, NULL };
	int n = split_list(v, items, 2);
	if (n < 0)
		return -1;
	int ok = n == 0;
	for (int i = 0; n >= 1 && roles[i]; i++)
		if (strcmp(items[0], roles[i]) == 0)
			ok = 1;
	if (role) {
		*role = items[0];
		items[0] = NULL;
	}
	if (group) {
		*group = items[1];
		items[1] = NULL;
	}
	pk_freep(&items[0]);
	pk_freep(&items[1]);
	return ok ? 0 : -1;
}

char *pk_user_role(const struct pk_config *cfg, const char *login)
{
	char key[160], *role = NULL;
	snprintf(key, sizeof(key), "users:%s", login);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *v = cfg->ini ? iniparser_getstring(cfg->ini, key, NULL) : NULL;
	if (!v || parse_user(v, &role, NULL) != 0 || !role) {
		free(role);
		return pk_xstrdup("technician");
	}
	return role;
}

int pk_config_site_level(const struct pk_config *cfg, const char *node)
{
	char key[160];
	snprintf(key, sizeof(key), "sites:%s", node);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *v = cfg->ini ? iniparser_getstring(cfg->ini, key, NULL) : NULL;
	return v ? pk_class_rank(cfg, v) : -1;
}

char *pk_user_group(const struct pk_config *cfg, const char *login)
{
	char key[160], *group = NULL;
	snprintf(key, sizeof(key), "users:%s", login);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *v = cfg->ini ? iniparser_getstring(cfg->ini, key, NULL) : NULL;
	if (v)
		parse_user(v, NULL, &group);
	return group;
}

/* Checks the values of the typed keys (booleans, numbers) the file sets,
 * so "mouse = maybe" is refused at start, not ignored later. */
static int check_types(struct pk_config *cfg, struct pk_error *err)
{
	static const char *const booleans[] = { "true", "false", "yes", "no", "on",
						"off",	"1",	 "0",	NULL };
	for (size_t i = 0; i < PK_ARRAY_LEN(keys); i++) {
		if (strchr(keys[i].name, '<'))
			continue;
		const char *v = ini_get(cfg, keys[i].name);
		if (!v)
			continue;
		int ok = 1;
		long long n;
		if (keys[i].type == PK_CT_BOOL) {
			ok = 0;
			for (int k = 0; booleans[k]; k++)
				ok |= strcasecmp(v, booleans[k]) == 0;
		} else if (keys[i].type == PK_CT_INT) {
			ok = pk_parse_int(v, INT32_MIN, INT32_MAX, &n) == 0;
		}
		if (!ok)
			return pk_error_set(err, PK_ECONFIG,
					    keys[i].type == PK_CT_BOOL
						    ? _("%s: %s: '%s' is not true or false")
						    : _("%s: %s: '%s' is not a whole number"),
					    cfg->path, keys[i].name, v);
	}
	return PK_OK;
}

/* Refuses keys that no module knows, so a typo is not silently ignored. */
static int check_known(struct pk_config *cfg, struct pk_error *err)
{
	dictionary *d = cfg->ini;
	if (!d)
		return PK_OK;
	for (int s = 0; s < iniparser_getnsec(d); s++) {
		const char *sec = iniparser_getsecname(d, s);
		int nk = iniparser_getsecnkeys(d, sec);
		if (nk <= 0)
			continue;
		const char **ks = pk_xcalloc((size_t)nk, sizeof(*ks));
		iniparser_getseckeys(d, sec, ks);
		int rc = PK_OK;
		for (int i = 0; i < nk && rc == PK_OK; i++) {
			char name[160];
			snprintf(name, sizeof(name), "%s", ks[i]);
			char *colon = strchr(name, ':');
			if (colon)
				*colon = '.';
			if (find_key(name))
				continue;
			/* sections whose keys are names: the interface checks them */
			if (strcmp(sec, "keys") == 0 || strcmp(sec, "views") == 0)
				continue;
			/* sections of the service-level modules: their loaders check
			 * every key (pk_sla_config_load, ...) */
			if (strncmp(sec, "sla.", 4) == 0 || strncmp(sec, "calendar.", 9) == 0 ||
			    strncmp(sec, "escalate.", 9) == 0 || strncmp(sec, "rota.", 5) == 0 ||
			    strcmp(sec, "vendors") == 0)
				continue;
			if (strcmp(sec, "users") == 0) {
				char *role = NULL;
				const char *v = iniparser_getstring(d, ks[i], "");
				if (parse_user(v, &role, NULL) != 0)
					rc = pk_error_set(
						err, PK_ECONFIG,
						_("%s: %s: '%s' is not a role (technician, "
						  "supervisor, admin)"),
						cfg->path, name, role ? role : v);
				free(role);
				continue;
			}
			if (strcmp(sec, "sites") == 0) {
				const char *v = iniparser_getstring(d, ks[i], "");
				if (pk_class_rank(cfg, v) < 0)
					rc = pk_error_set(err, PK_ECONFIG,
							  _("%s: %s: unknown level '%s'"),
							  cfg->path, name, v);
				continue;
			}
			if (strcmp(sec, "transitions") == 0 &&
			    pk_wf_index(&cfg->wf, colon ? colon + 1 : name) >= 0)
				continue;
			rc = pk_error_set(err, PK_ECONFIG, _("%s: unknown setting '%s'"), cfg->path,
					  name);
		}
		free(ks);
		if (rc != PK_OK)
			return rc;
	}
	return PK_OK;
}

static int finish(struct pk_config *cfg, struct pk_error *err)
{
	int rc;
	const char *node = get(cfg, "core.node");
	if (node) {
		if (!node_valid(node))
			return pk_error_set(err, PK_ECONFIG,
					    _("core.node: '%s' must be 1 to 8 letters or digits"),
					    node);
		cfg->node = pk_xstrdup(node);
		for (char *p = cfg->node; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	} else {
		cfg->node = pk_identity_node();
	}
	const char *path = get(cfg, "db.path");
	cfg->db_path = path && *path ? pk_xstrdup(path) : NULL;
	if ((rc = get_int(cfg, "db.busy_timeout", 0, 3600000, &cfg->busy_timeout_ms, err)) ||
	    (rc = get_int(cfg, "defaults.impact", 1, 4, &cfg->default_impact, err)) ||
	    (rc = get_int(cfg, "defaults.urgency", 1, 4, &cfg->default_urgency, err)))
		return rc;
	cfg->default_type = pk_xstrdup(get(cfg, "defaults.type"));
	if (!pk_type_valid(cfg->default_type))
		return pk_error_set(err, PK_ECONFIG, _("defaults.type: unknown type '%s'"),
				    cfg->default_type);
	if ((rc = load_levels(cfg, err)) || (rc = load_matrix(cfg, err)) ||
	    (rc = load_workflow(cfg, err)) || (rc = check_known(cfg, err)) ||
	    (rc = check_types(cfg, err)) || (rc = pk_sla_config_load(cfg, err)) ||
	    (rc = pk_rota_config_load(cfg, err)) || (rc = pk_escalate_config_load(cfg, err)) ||
	    (rc = check_sync(cfg, err)))
		return rc;
	return PK_OK;
}

struct pk_config *pk_config_defaults(void)
{
	struct pk_config *cfg = pk_xcalloc(1, sizeof(*cfg));
	struct pk_error err;
	if (finish(cfg, &err) != PK_OK) {
		fprintf(stderr, "picket: built-in configuration: %s\n", err.msg);
		abort();
	}
	return cfg;
}

static char *default_path(void)
{
	const char *env = getenv("PICKET_CONFIG");
	if (env && *env)
		return pk_xstrdup(env);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;
	if (xdg && *xdg)
		p = pk_xasprintf("%s/picket/picket.conf", xdg);
	else if (home && *home)
		p = pk_xasprintf("%s/.config/picket/picket.conf", home);
	if (p && access(p, F_OK) == 0)
		return p;
	free(p);
	if (access("/etc/picket/picket.conf", F_OK) == 0)
		return pk_xstrdup("/etc/picket/picket.conf");
	return NULL;
}

int pk_config_load(const char *explicit_path, struct pk_config **out, struct pk_error *err)
{
	*out = NULL;
	char *path = explicit_path ? pk_xstrdup(explicit_path) : default_path();
	struct pk_config *cfg = pk_xcalloc(1, sizeof(*cfg));
	if (path) {
		int rc = pk_ini_load(path, &cfg->ini, err);
		if (rc != PK_OK) {
			free(path);
			pk_config_free(&cfg);
			return rc;
		}
		cfg->path = path;
	}
	int rc = finish(cfg, err);
	if (rc != PK_OK) {
		pk_config_free(&cfg);
		return rc;
	}
	*out = cfg;
	return PK_OK;
}

void pk_config_free(struct pk_config **pcfg)
{
	struct pk_config *cfg = *pcfg;
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->node);
	free(cfg->db_path);
	free(cfg->default_type);
	free_list(cfg->levels, cfg->nlevels);
	free_list(cfg->wf.status, cfg->wf.nstatus);
	pk_escalate_config_free(&cfg->escalate);
	pk_rota_config_free(&cfg->rota);
	pk_sla_config_free(&cfg->sla);
	if (cfg->ini)
		iniparser_freedict(cfg->ini);
	free(cfg);
	*pcfg = NULL;
}

char *pk_config_value(const struct pk_config *cfg, const char *name)
{
	struct pk_buf b = { 0 };
	if (strcmp(name, "core.node") == 0)
		return pk_xstrdup(cfg->node);
	if (strcmp(name, "db.path") == 0)
		return pk_xstrdup(cfg->db_path ? cfg->db_path : "");
	if (strcmp(name, "classification.system_high") == 0)
		return pk_xstrdup(cfg->levels[cfg->system_high]);
	if (strcmp(name, "classification.default") == 0)
		return pk_xstrdup(cfg->levels[cfg->default_level]);
	if (strncmp(name, "transitions.", 12) == 0) {
		if (pk_wf_index(&cfg->wf, name + 12) < 0)
			return NULL;
		pk_wf_targets(&cfg->wf, name + 12, &b);
		for (char *p = b.data; p && *p; p++)
			if (*p == ' ')
				*p = ',';
		return pk_buf_detach(&b);
	}
	if (!find_key(name))
		return NULL;
	const char *v = get(cfg, name);
	return pk_xstrdup(v ? v : "");
}
