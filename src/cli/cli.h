/* The command-line front end: one table of commands, one file per family. */
#ifndef PICKET_CLI_H
#define PICKET_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "picket/config.h"
#include "picket/db.h"
#include "picket/query.h"
#include "picket/ticket.h"

enum cli_output { CLI_OUT_TEXT, CLI_OUT_JSON, CLI_OUT_CSV };

struct cli {
	const char *db_path;	 /* --db */
	const char *config_path; /* --config */
	struct pk_config *cfg;
	struct pk_db *db;
	char *user;
	enum cli_output out;
	int tty;  /* stdout is a terminal */
	int utf8; /* the locale speaks UTF-8 */
};

enum cli_cmd_flags {
	CLI_NEEDS_DB = 1 << 0, /* open the database before the handler */
	CLI_JSON = 1 << 1,     /* accepts --json */
	CLI_CSV = 1 << 2,      /* accepts --csv */
	CLI_READONLY = 1 << 3, /* opens the database read-only */
	CLI_CREATE = 1 << 4,   /* creates the database if missing */
};

struct cli_cmd {
	const char *name;
	const char *args;    /* usage after the name, untranslated */
	const char *summary; /* one line, untranslated */
	int (*run)(struct cli *cli, int argc, char **argv);
	unsigned flags;
	const char *options;	       /* getopt short options */
	const struct option *longopts; /* command's own long options */
};

/* The command table (main.c), NULL-name terminated. */
extern const struct cli_cmd cli_commands[];
const struct cli_cmd *cli_cmd_find(const char *name);

/* Parses the command's options with the common ones (--json, --csv, --db,
 * --config, --help) added.  Returns the next option character like
 * getopt_long, or -1 at the end; handles the common ones itself and
 * returns '?' (after printing the usage) on a bad option. */
int cli_getopt(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv);
/* Opens configuration and database if not done yet. */
int cli_open(struct cli *cli, unsigned flags);
/* Prints "picket: message" and returns code; the db error when msg NULL. */
int cli_fail(struct cli *cli, int code);
int cli_failf(int code, const char *fmt, ...) PK_PRINTF(2, 3);
int cli_usage(const struct cli_cmd *cmd);
void cli_print_query_error(const char *query, const struct pk_error *err);

/* Sets aside query words that start with '-' (see cli.c) before getopt;
 * cli_query_text() then joins the positional words and those terms. */
int cli_split_query_args(int argc, char **argv);
char *cli_query_text(int argc, char **argv);

/* Output */
void cli_csv_cell(struct cli *cli, const char *s); /* CSV-quoted, sanitized on a tty */
int cli_san_flags(int multiline);		   /* pk_sanitize flags for this terminal */
void cli_print_safe(FILE *f, const char *s, int multiline); /* sanitized */
void cli_json_print(json_t *v);				    /* steals v */
void cli_progress(void *data, uint64_t done, uint64_t total);
void cli_progress_done(void);
int cli_term_width(void);
/* Reads TEXT or, for "-", all of stdin (refusing NUL bytes). */
int cli_text_arg(const char *arg, char **out);
/* Resolves "me" to the current user. */
const char *cli_user_arg(struct cli *cli, const char *name);

/* Shared ticket rendering (cmd_list.c) */
void cli_ticket_line(struct cli *cli, const struct pk_ticket *t, int width);
void cli_ticket_header(int width);
int cli_list_tickets(struct cli *cli, const char *query, long limit, int flags);

/* Command handlers */
int cmd_init(struct cli *, int, char **);
int cmd_new(struct cli *, int, char **);
int cmd_list(struct cli *, int, char **);
int cmd_search(struct cli *, int, char **);
int cmd_show(struct cli *, int, char **);
int cmd_set(struct cli *, int, char **);
int cmd_assign(struct cli *, int, char **);
int cmd_take(struct cli *, int, char **);
int cmd_move(struct cli *, int, char **);
int cmd_comment(struct cli *, int, char **);
int cmd_resolve(struct cli *, int, char **);
int cmd_close(struct cli *, int, char **);
int cmd_reopen(struct cli *, int, char **);
int cmd_history(struct cli *, int, char **);
int cmd_import(struct cli *, int, char **);
int cmd_export(struct cli *, int, char **);
int cmd_audit(struct cli *, int, char **);
int cmd_config(struct cli *, int, char **);
int cmd_sla(struct cli *, int, char **);
int cmd_escalate(struct cli *, int, char **);
int cmd_vendor(struct cli *, int, char **);
int cmd_oncall(struct cli *, int, char **);
int cmd_handover(struct cli *, int, char **);
int cmd_queue(struct cli *, int, char **);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_conflicts(struct cli *cli, int argc, char **argv);
int cmd_resolve_conflict(struct cli *cli, int argc, char **argv);
int cmd_bundle(struct cli *cli, int argc, char **argv);
int cmd_key(struct cli *cli, int argc, char **argv);
/* Makes this installation's bundle signing key (cmd_bundle.c). */
int cli_key_create(struct cli *cli, int quiet);
/* Conflicts of one record (or all, uuid NULL), for show (cmd_sync.c). */
void cli_print_conflicts(struct cli *cli, const char *uuid);
json_t *cli_conflicts_json(struct cli *cli, const char *uuid);

/* The demo data of `picket init --demo` (demo.c). */
int cli_demo_load(struct pk_db *db);

#endif
