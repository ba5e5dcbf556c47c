/* Configuration: INI files read with iniparser.
 *
 * Every key is described once in a table (name, type, default, help); that
 * table drives parsing, validation, `picket config --list` and the man
 * page.  Lookup order of the file: --config, $PICKET_CONFIG,
 * $XDG_CONFIG_HOME/picket/picket.conf, /etc/picket/picket.conf; a missing
 * default file is not an error, a missing explicit one is. */
#ifndef PICKET_CONFIG_H
#define PICKET_CONFIG_H

#include "picket/util.h"

enum pk_config_type { PK_CT_STRING, PK_CT_INT, PK_CT_BOOL, PK_CT_LIST };

struct pk_config_key {
	const char *name; /* "section.key" */
	enum pk_config_type type;
	const char *def;  /* default as text; NULL = computed (see help) */
	const char *help; /* untranslated; translate with _() when shown */
};

#define PK_MAX_LEVELS	16
#define PK_MAX_STATUSES 32

struct pk_workflow {
	int nstatus;
	char *status[PK_MAX_STATUSES];
	/* allowed[i][j]: moving from status i to status j is allowed */
	unsigned char allowed[PK_MAX_STATUSES][PK_MAX_STATUSES];
	unsigned char closed[PK_MAX_STATUSES]; /* not "open" */
};

struct pk_sla_config;
struct pk_rota_config;
struct pk_escalate_config;

struct pk_config {
	char *path;    /* file read, or NULL when none was found */
	char *node;    /* NODE of the NODE-N refs */
	char *db_path; /* [db] path, or NULL */
	int busy_timeout_ms;
	int nlevels;
	char *levels[PK_MAX_LEVELS]; /* lowest first */
	int system_high;	     /* index into levels */
	int default_level;
	int matrix[4][4]; /* [impact-1][urgency-1] -> priority 1..4 */
	char *default_type;
	int default_impact;
	int default_urgency;
	struct pk_workflow wf;
	void *ini;			     /* the iniparser dictionary, for later modules */
	struct pk_sla_config *sla;	     /* service levels and calendars (sla.h) */
	struct pk_rota_config *rota;	     /* on-call rotas (desk.h) */
	struct pk_escalate_config *escalate; /* escalation rules (escalate.h) */
};

/* Loads configuration.  `explicit_path` (from --config) may be NULL.
 * Returns PK_OK or PK_ECONFIG with err filled; *out is owned by the caller
 * and freed with pk_config_free(). */
int pk_config_load(const char *explicit_path, struct pk_config **out, struct pk_error *err);
/* Reads an INI file into an iniparser dictionary (*out, freed with
 * iniparser_freedict).  PK_ECONFIG, with the file named in err, when it
 * cannot be read or parsed, or when a section name holds ':', iniparser's
 * own separator between section and key. */
int pk_ini_load(const char *path, void **out, struct pk_error *err);
/* Built-in defaults only (tests, and `picket init` before a file exists). */
struct pk_config *pk_config_defaults(void);
void pk_config_free(struct pk_config **cfg);

/* Replaces the classification levels with a comma-separated list, lowest
 * first; system_high becomes the highest, the default the lowest.
 * PK_ECONFIG when the list is empty or too long. */
int pk_config_set_levels(struct pk_config *cfg, const char *list, struct pk_error *err);

/* The key table. */
const struct pk_config_key *pk_config_keys(size_t *n);
/* The effective value of a key as text ("section.key"); never NULL for a
 * known key, NULL for an unknown one.  The result is owned by the caller. */
char *pk_config_value(const struct pk_config *cfg, const char *name);

/* A key's text: the file's value, else the key table's default; NULL
 * for an unknown or unset key.  Borrowed from the configuration. */
const char *pk_config_str(const struct pk_config *cfg, const char *name);
/* The file's value of `key` in [section], or NULL (borrowed). */
const char *pk_config_raw(const struct pk_config *cfg, const char *section, const char *key);
/* Sections whose name starts with `prefix` ("calendar."), and the keys of
 * one section; free with pk_config_free_names(). */
int pk_config_sections(const struct pk_config *cfg, const char *prefix, char ***names);
int pk_config_section_keys(const struct pk_config *cfg, const char *section, char ***keys);
void pk_config_free_names(char **names, int n);
/* Refuses a key of [section] that is not in `known` (NULL-terminated),
 * naming the keys it takes. */
int pk_config_check_section(const struct pk_config *cfg, const char *section,
			    const char *const *known, struct pk_error *err);
/* Splits a comma-separated list into at most max trimmed items (owned by
 * out); -1 when there are more. */
int pk_config_split(const char *text, char **out, int max);

/* The login of the person running picket: $PICKET_USER when set (scripts,
 * tests), else the operating-system account.  Owned by the caller. */
char *pk_identity_user(void);
/* The role (technician, supervisor, admin) and group of a login, from the
 * [users] section; technician and NULL when not listed.  Owned by the
 * caller. */
char *pk_user_role(const struct pk_config *cfg, const char *login);
char *pk_user_group(const struct pk_config *cfg, const char *login);
/* The accredited level (rank) of a site receiving bundles, from [sites];
 * -1 when it is not listed. */
int pk_config_site_level(const struct pk_config *cfg, const char *node);
/* The default node name derived from the hostname: upper-case, letters and
 * digits only, at most 8 characters. */
char *pk_identity_node(void);

#endif
