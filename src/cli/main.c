/* picket: entry point, global options and the command table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "picket/buildconf.h"
#include "picket/i18n.h"
#include "picket/status.h"

static const struct option list_opts[] = { { "limit", required_argument, NULL, 'n' }, { 0 } };
static const struct option new_opts[] = {
	{ "title", required_argument, NULL, 't' },     { "type", required_argument, NULL, 'T' },
	{ "impact", required_argument, NULL, 'i' },    { "urgency", required_argument, NULL, 'u' },
	{ "priority", required_argument, NULL, 'p' },  { "category", required_argument, NULL, 'C' },
	{ "service", required_argument, NULL, 'S' },   { "ci", required_argument, NULL, 'I' },
	{ "requester", required_argument, NULL, 'r' }, { "assign", required_argument, NULL, 'a' },
	{ "group", required_argument, NULL, 'g' },     { "class", required_argument, NULL, 'c' },
	{ "body", required_argument, NULL, 'b' },      { 0 }
};
static const struct option note_opts[] = { { "note", required_argument, NULL, 'm' }, { 0 } };
static const struct option comment_opts[] = { { "internal", no_argument, NULL, 'i' },
					      { "worklog", required_argument, NULL, 'w' },
					      { "public", no_argument, NULL, 'p' },
					      { 0 } };
static const struct option resolve_opts[] = { { "resolution", required_argument, NULL, 'r' },
					      { 0 } };
static const struct option init_opts[] = { { "demo", no_argument, NULL, 'd' }, { 0 } };
static const struct option import_opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
static const struct option export_opts[] = { { "output", required_argument, NULL, 'o' }, { 0 } };
static const struct option config_opts[] = { { "list", no_argument, NULL, 'l' }, { 0 } };
static const struct option sla_opts[] = { { "recompute", no_argument, NULL, 'R' }, { 0 } };
static const struct option escalate_opts[] = { { "run", no_argument, NULL, 'r' },
					       { "quiet", no_argument, NULL, 'q' },
					       { 0 } };
static const struct option vendor_opts[] = {
	{ "contact", required_argument, NULL, 'c' }, { "contract", required_argument, NULL, 'k' },
	{ "ref", required_argument, NULL, 'r' },     { "follow-up", required_argument, NULL, 'f' },
	{ "note", required_argument, NULL, 'm' },    { 0 }
};
static const struct option oncall_opts[] = {
	{ "group", required_argument, NULL, 'g' },  { "at", required_argument, NULL, 'a' },
	{ "from", required_argument, NULL, 'f' },   { "until", required_argument, NULL, 'u' },
	{ "reason", required_argument, NULL, 'm' }, { 0 }
};
static const struct option handover_opts[] = { { "since", required_argument, NULL, 's' },
					       { "markdown", no_argument, NULL, 'M' },
					       { 0 } };

static const struct option sync_opts[] = { { "quiet", no_argument, NULL, 'q' }, { 0 } };
static const struct option key_opts[] = { { "name", required_argument, NULL, 'n' }, { 0 } };
static const struct option bundle_opts[] = { { "since", required_argument, NULL, 's' },
					     { "all", no_argument, NULL, 'a' },
					     { "to", required_argument, NULL, 't' },
					     { 0 } };

/* One table: dispatch, `picket --help` and the man page's command list. */
const struct cli_cmd cli_commands[] = {
	{ "init", "[--demo]", N_("create the database (with demo tickets)"), cmd_init, 0, "",
	  init_opts },
	{ "new",
	  "--title TEXT [--type T] [--impact N --urgency N] [--priority P] "
	  "[--category C] [--service S] [--ci CI] [--requester R] [--assign USER] "
	  "[--group G] [--class LEVEL] [--body TEXT|-]",
	  N_("create a ticket and print its ref"), cmd_new, CLI_NEEDS_DB | CLI_JSON,
	  "t:", new_opts },
	{ "list", "[QUERY] [--limit N]", N_("list tickets matching a query"), cmd_list,
	  CLI_NEEDS_DB | CLI_JSON | CLI_CSV | CLI_READONLY, "n:", list_opts },
	{ "search", "TEXT [--limit N]", N_("full-text search, best matches first"), cmd_search,
	  CLI_NEEDS_DB | CLI_JSON | CLI_CSV | CLI_READONLY, "n:", list_opts },
	{ "show", "REF", N_("show a ticket with its timeline"), cmd_show,
	  CLI_NEEDS_DB | CLI_JSON | CLI_READONLY, "", NULL },
	{ "set", "REF FIELD=VALUE...", N_("change fields of a ticket"), cmd_set,
	  CLI_NEEDS_DB | CLI_JSON, "", NULL },
	{ "assign", "REF USER", N_("assign a ticket (USER may be me or none)"), cmd_assign,
	  CLI_NEEDS_DB | CLI_JSON, "", NULL },
	{ "take", "REF", N_("assign a ticket to yourself"), cmd_take, CLI_NEEDS_DB | CLI_JSON, "",
	  NULL },
	{ "move", "REF STATUS [--note TEXT]", N_("move a ticket to another status"), cmd_move,
	  CLI_NEEDS_DB | CLI_JSON, "m:", note_opts },
	{ "comment", "REF [--public|--internal|--worklog MIN] TEXT|-",
	  N_("add a public comment, internal note or worklog"), cmd_comment,
	  CLI_NEEDS_DB | CLI_JSON, "w:", comment_opts },
	{ "resolve", "REF --resolution TEXT", N_("resolve a ticket"), cmd_resolve,
	  CLI_NEEDS_DB | CLI_JSON, "r:", resolve_opts },
	{ "close", "REF", N_("close a resolved ticket"), cmd_close, CLI_NEEDS_DB | CLI_JSON, "",
	  NULL },
	{ "reopen", "REF [--note TEXT]", N_("reopen a resolved ticket"), cmd_reopen,
	  CLI_NEEDS_DB | CLI_JSON, "m:", note_opts },
	{ "history", "REF", N_("show the audit trail of a ticket"), cmd_history,
	  CLI_NEEDS_DB | CLI_JSON | CLI_CSV | CLI_READONLY, "", NULL },
	{ "import", "FILE|- [--format csv|jsonl]",
	  N_("import tickets from CSV or JSON lines, all or nothing"), cmd_import,
	  CLI_NEEDS_DB | CLI_JSON, "f:", import_opts },
	{ "export", "[QUERY] [--output FILE]", N_("export tickets as JSON lines"), cmd_export,
	  CLI_NEEDS_DB | CLI_READONLY, "o:", export_opts },
	{ "audit", "verify", N_("verify the hash chain of the history"), cmd_audit,
	  CLI_NEEDS_DB | CLI_JSON | CLI_READONLY, "", NULL },
	{ "sla", "REF | --recompute", N_("explain a ticket's SLA clocks (or recompute all)"),
	  cmd_sla, CLI_NEEDS_DB | CLI_JSON | CLI_READONLY, "", sla_opts },
	{ "escalate", "[--run [--quiet]]",
	  N_("run the escalation rules once (for cron), or list rules and notifications"),
	  cmd_escalate, CLI_NEEDS_DB | CLI_JSON, "", escalate_opts },
	{ "vendor",
	  "list | add NAME [--contact C] [--contract K] | REF VENDOR [--ref THEIR-ID] "
	  "[--follow-up WHEN] [--note TEXT]",
	  N_("list or add vendors, or hand a ticket to a vendor"), cmd_vendor,
	  CLI_NEEDS_DB | CLI_JSON, "", vendor_opts },
	{ "oncall",
	  "[--group G] [--at TIME] | override GROUP USER --from TIME --until TIME "
	  "[--reason TEXT]",
	  N_("who is on call, or record a swap or leave cover"), cmd_oncall,
	  CLI_NEEDS_DB | CLI_JSON, "", oncall_opts },
	{ "handover", "[--since TIME] [--markdown] | note TEXT|- | ack",
	  N_("the shift handover report, its notes and their acknowledgement"), cmd_handover,
	  CLI_NEEDS_DB | CLI_JSON, "", handover_opts },
	{ "sync", "[--quiet]",
	  N_("push this installation's changes to picketd and pull everyone else's"), cmd_sync,
	  CLI_NEEDS_DB | CLI_JSON, "q", sync_opts },
	{ "bundle", "export FILE [--since CURSOR|--all] [--to NODE] | import FILE | inspect FILE",
	  N_("carry changes to and from sites with no network, as signed files"), cmd_bundle,
	  CLI_NEEDS_DB | CLI_JSON, "", bundle_opts },
	{ "key", "[show] | list | trust FILE|KEY [--name SITE]",
	  N_("this installation's bundle signing key, and the keys it trusts"), cmd_key,
	  CLI_NEEDS_DB | CLI_JSON, "", key_opts },
	{ "conflicts", "[REF]", N_("list the fields edited concurrently by different people"),
	  cmd_conflicts, CLI_NEEDS_DB | CLI_JSON | CLI_READONLY, "", NULL },
	{ "resolve-conflict", "REF FIELD N",
	  N_("keep value N of a field in conflict (as listed by picket show)"),
	  cmd_resolve_conflict, CLI_NEEDS_DB | CLI_JSON, "", NULL },
	{ "config", "[--list]", N_("show every setting, its value and meaning"), cmd_config,
	  CLI_JSON, "l", config_opts },
	{ NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

static void usage_all(FILE *f)
{
	fprintf(f, _("usage: picket [--db FILE] [--config FILE] COMMAND [ARGS]\n"));
	fprintf(f, _("       picket [--db FILE]   (the open queue)\n"));
	fprintf(f, _("       picket --help | --version\n\n"));
	fprintf(f, _("Commands:\n"));
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		fprintf(f, "  %-16s %s\n", c->name, _(c->summary));
	fprintf(f,
		_("\nEvery command takes --help; commands that print take --json, and\n"
		  "tabular ones --csv.\n"
		  "Exit codes: 0 ok, 1 internal error, 2 usage, 3 not found, 4 invalid data,\n"
		  "5 transition refused, 6 database busy, 7 database unusable, 8 schema too\n"
		  "new, 9 configuration, 10 classification, 11 I/O, 12 audit chain broken,\n"
		  "13 invalid query, 14 network or server unavailable, 15 refused by the server,\n"
		  "16 sync protocol mismatch.  See picket(1).\n"));
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	static const struct option opts[] = { { "db", required_argument, NULL, 'D' },
					      { "config", required_argument, NULL, 'F' },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      { 0 } };
	int c, rc;

	pk_i18n_init();
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': cli.db_path = optarg; break;
		case 'F': cli.config_path = optarg; break;
		case 'h': usage_all(stdout); return PK_OK;
		case 'V': printf("picket %s\n", PICKET_VERSION); return PK_OK;
		default: usage_all(stderr); return PK_EUSAGE;
		}
	}
	cli.tty = isatty(STDOUT_FILENO);
	argc -= optind;
	argv += optind;

	if (argc == 0) {
		rc = cmd_queue(&cli, 0, NULL);
	} else {
		const struct cli_cmd *cmd = NULL;
		for (const struct cli_cmd *k = cli_commands; k->name; k++)
			if (strcmp(k->name, argv[0]) == 0)
				cmd = k;
		if (!cmd) {
			fprintf(stderr, _("picket: unknown command '%s'\n"), argv[0]);
			usage_all(stderr);
			return PK_EUSAGE;
		}
		optind = 0;
		rc = cmd->run(&cli, argc, argv);
	}
	pk_db_close(&cli.db);
	pk_config_free(&cli.cfg);
	free(cli.user);
	if (fflush(stdout) != 0 && rc == PK_OK) {
		fprintf(stderr, _("picket: cannot write the output\n"));
		rc = PK_EIO;
	}
	return rc;
}
