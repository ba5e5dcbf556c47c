/* list, search and the queue shown by a bare `picket`. */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"
#include "tui.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/status.h"
#include "picket/text.h"

static const char *const csv_fields[] = {
	"ref",	      "uuid",	     "type",	       "title",	   "status",	 "priority",
	"impact",     "urgency",     "category",       "service",  "ci",	 "requester",
	"assignee",   "group",	     "classification", "vendor",   "vendor_ref", "created_at",
	"updated_at", "resolved_at", "closed_at",      "followup", NULL
};

static void csv_header(void)
{
	for (int i = 0; csv_fields[i]; i++)
		printf("%s%s", i ? "," : "", csv_fields[i]);
	putchar('\n');
}

static void csv_ticket(struct cli *cli, const struct pk_ticket *t)
{
	for (int i = 0; csv_fields[i]; i++) {
		char *v = pk_ticket_field_text(t, csv_fields[i]);
		if (i)
			putchar(',');
		cli_csv_cell(cli, v);
		free(v);
	}
	putchar('\n');
}

/* Column widths of the plain listing. */
enum { W_REF = 11, W_PRIO = 3, W_STATUS = 17, W_ASSIGNEE = 10, W_AGE = 5 };

static void cell(struct pk_buf *line, const char *s, int width)
{
	char *safe = pk_sanitize_dup(s ? s : "-", cli_san_flags(0));
	pk_text_fit(line, safe, width);
	pk_buf_putc(line, ' ');
	free(safe);
}

void cli_ticket_header(int width)
{
	struct pk_buf line = { 0 };
	cell(&line, _("REF"), W_REF);
	cell(&line, "P", W_PRIO);
	cell(&line, _("STATUS"), W_STATUS);
	cell(&line, _("ASSIGNEE"), W_ASSIGNEE);
	cell(&line, _("AGE"), W_AGE);
	pk_buf_puts(&line, _("TITLE"));
	puts(line.data);
	pk_buf_free(&line);
	(void)width;
}

void cli_ticket_line(struct cli *cli, const struct pk_ticket *t, int width)
{
	struct pk_buf line = { 0 };
	char prio[4], age[16];
	snprintf(prio, sizeof(prio), "P%d", t->priority);
	pk_age_format(pk_clock_now() - t->created_at, age, sizeof(age));
	cell(&line, t->ref, W_REF);
	cell(&line, prio, W_PRIO);
	cell(&line, t->status, W_STATUS);
	cell(&line, t->assignee, W_ASSIGNEE);
	cell(&line, age, W_AGE);
	int room = width - (W_REF + W_PRIO + W_STATUS + W_ASSIGNEE + W_AGE + 5);
	char *title = pk_sanitize_dup(t->title, cli_san_flags(0));
	if (width > 0 && room > 8 && pk_text_width(title) > room)
		pk_text_fit(&line, title, room);
	else
		pk_buf_puts(&line, title);
	free(title);
	puts(line.data);
	pk_buf_free(&line);
	(void)cli;
}

struct list_ctx {
	struct cli *cli;
	json_t *array;
	int width;
	long n;
};

static int list_one(struct pk_ticket *t, void *data)
{
	struct list_ctx *x = data;
	x->n++;
	switch (x->cli->out) {
	case CLI_OUT_JSON: json_array_append_new(x->array, pk_ticket_to_json(t)); break;
	case CLI_OUT_CSV: csv_ticket(x->cli, t); break;
	default: cli_ticket_line(x->cli, t, x->width);
	}
	return 0;
}

int cli_list_tickets(struct cli *cli, const char *query, long limit, int qflags)
{
	struct pk_query *q;
	struct pk_error err;
	int rc = pk_query_compile(cli->cfg, cli->user, pk_clock_now(), query, qflags, &q, &err);
	if (rc != PK_OK) {
		cli_print_query_error(query, &err);
		return rc;
	}
	struct list_ctx x = { .cli = cli, .width = cli->tty ? cli_term_width() : 0 };
	if (cli->out == CLI_OUT_JSON)
		x.array = json_array();
	else if (cli->out == CLI_OUT_CSV)
		csv_header();
	else if (cli->tty)
		cli_ticket_header(x.width);
	rc = pk_ticket_list(cli->db, q, limit, list_one, &x);
	pk_query_free(&q);
	if (rc != PK_OK) {
		json_decref(x.array);
		return cli_fail(cli, rc);
	}
	if (x.array)
		cli_json_print(x.array);
	else if (cli->out == CLI_OUT_TEXT && cli->tty && x.n == 0)
		printf(_("no tickets match\n"));
	return PK_OK;
}

static int list_or_search(struct cli *cli, const char *name, int argc, char **argv, long limit,
			  int qflags)
{
	const struct cli_cmd *cmd = cli_cmd_find(name);
	int c;
	long long n;
	argc = cli_split_query_args(argc, argv);
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 'n' && pk_parse_int(optarg, 0, 100000000, &n) == 0)
			limit = (long)n;
		else if (c == 'n')
			return cli_failf(PK_EUSAGE, _("--limit: '%s' is not a number"), optarg);
		else
			return PK_EUSAGE;
	}
	if (qflags && optind >= argc)
		return cli_usage(cmd);
	int rc = cli_open(cli, cmd->flags);
	if (rc != PK_OK)
		return rc;
	char *query = cli_query_text(argc, argv);
	rc = cli_list_tickets(cli, query, limit, qflags);
	free(query);
	return rc;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	return list_or_search(cli, "list", argc, argv, -1, 0);
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	return list_or_search(cli, "search", argc, argv, 50, PK_Q_RANK);
}

/* A bare `picket`: on a terminal the full-screen interface; otherwise (a
 * pipe, a script) counts and the open queue, most urgent first. */
int cmd_queue(struct cli *cli, int argc, char **argv)
{
	int interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	int rc = cli_open(cli, CLI_NEEDS_DB | (interactive ? 0 : CLI_READONLY));
	if (rc != PK_OK)
		return rc;
	if (interactive)
		return tui_run(cli->db, cli->cfg, cli->user);
	static const struct {
		const char *label, *query;
	} counts[] = {
		{ N_("open"), "status:open" },
		{ N_("mine"), "status:open assignee:me" },
		{ N_("unassigned"), "status:open assignee:none" },
		{ N_("P1/P2"), "status:open priority:<=P2" },
	};
	printf("picket  %s@%s  ", cli->user, cli->cfg->node);
	for (size_t i = 0; i < PK_ARRAY_LEN(counts); i++) {
		struct pk_query *q;
		struct pk_error err;
		long n = 0;
		if (pk_query_compile(cli->cfg, cli->user, pk_clock_now(), counts[i].query, 0, &q,
				     &err) == PK_OK) {
			pk_ticket_count(cli->db, q, &n);
			pk_query_free(&q);
		}
		printf("%s%s %ld", i ? " | " : "", _(counts[i].label), n);
	}
	printf("\n\n");
	rc = cli_list_tickets(cli, "status:open sort:-priority", cli->tty ? 20 : 50, 0);
	if (rc == PK_OK)
		printf(_("\nMore: picket list QUERY, picket show REF, picket --help\n"));
	(void)argc;
	(void)argv;
	return rc;
}
