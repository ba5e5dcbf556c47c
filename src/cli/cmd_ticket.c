/* Commands on one ticket: new, show, set, assign, take, move, comment,
 * resolve, close, reopen, history. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/policy.h"
#include "picket/sla.h"
#include "picket/status.h"
#include "picket/text.h"

/* Parses the command's options; returns PK_OK with optind at the first
 * positional argument, or a usage status. */
static int no_options(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	int c;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1)
		return PK_EUSAGE;
	return PK_OK;
}

static int load(struct cli *cli, const struct cli_cmd *cmd, const char *ref, struct pk_ticket **t)
{
	int rc = cli_open(cli, cmd->flags);
	if (rc != PK_OK)
		return rc;
	rc = pk_ticket_get(cli->db, ref, t);
	return rc == PK_OK ? PK_OK : cli_fail(cli, rc);
}

/* After a change: the ticket as JSON, or one line saying where it stands. */
static int report(struct cli *cli, const char *uuid)
{
	struct pk_ticket *t;
	int rc = pk_ticket_get(cli->db, uuid, &t);
	if (rc != PK_OK)
		return cli_fail(cli, rc);
	if (cli->out == CLI_OUT_JSON) {
		cli_json_print(pk_ticket_to_json(t));
	} else {
		cli_print_safe(stdout, t->ref, 0);
		printf(" P%d %s", t->priority, t->status);
		if (t->assignee) {
			fputs(" ", stdout);
			cli_print_safe(stdout, t->assignee, 0);
		}
		putchar('\n');
	}
	pk_ticket_free(&t);
	return PK_OK;
}

/* Applies `ch` to the ticket, reporting the engine's error if refused. */
static int save(struct cli *cli, struct pk_ticket *t, struct pk_change *ch, const char *note)
{
	int rc = pk_ticket_save(cli->db, t, ch, note);
	if (rc != PK_OK)
		return cli_fail(cli, rc);
	return report(cli, t->uuid);
}

int cmd_new(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("new");
	struct {
		int opt;
		const char *field;
	} map[] = { { 't', "title" },	   { 'T', "type" },	{ 'i', "impact" },
		    { 'u', "urgency" },	   { 'p', "priority" }, { 'C', "category" },
		    { 'S', "service" },	   { 'I', "ci" },	{ 'r', "requester" },
		    { 'a', "assignee" },   { 'g', "group" },	{ 'c', "classification" },
		    { 'b', "description" } };
	const char *values[PK_ARRAY_LEN(map)] = { 0 };
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		size_t i;
		for (i = 0; i < PK_ARRAY_LEN(map) && map[i].opt != c; i++)
			;
		if (i == PK_ARRAY_LEN(map))
			return PK_EUSAGE;
		values[i] = optarg;
	}
	if (optind != argc)
		return cli_usage(cmd);
	if (!values[0])
		return cli_failf(PK_EUSAGE, _("a new ticket needs --title TEXT"));
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;

	struct pk_change *ch = pk_ticket_draft(cli->db);
	char *body = NULL;
	for (size_t i = 0; i < PK_ARRAY_LEN(map) && rc == PK_OK; i++) {
		if (!values[i])
			continue;
		const char *v = values[i];
		if (map[i].opt == 'b') {
			if ((rc = cli_text_arg(v, &body)) != PK_OK)
				break;
			v = body;
		} else if (map[i].opt == 'a') {
			v = cli_user_arg(cli, v);
		}
		if ((rc = pk_ticket_put(cli->db, ch, map[i].field, v, 0)) != PK_OK)
			rc = cli_fail(cli, rc);
	}
	if (rc == PK_OK && values[9] && pk_change_get_text(ch, "assignee") &&
	    pk_wf_index(&cli->cfg->wf, "assigned") >= 0)
		pk_change_text(ch, "status", "assigned");
	char *ref = NULL;
	if (rc == PK_OK && (rc = pk_ticket_insert(cli->db, ch, &ref)) != PK_OK)
		rc = cli_fail(cli, rc);
	if (rc == PK_OK) {
		if (cli->out == CLI_OUT_JSON)
			rc = report(cli, pk_change_uuid(ch));
		else
			printf("%s\n", ref);
	}
	free(ref);
	free(body);
	pk_change_free(&ch);
	return rc;
}

int cmd_set(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("set");
	struct pk_ticket *t;
	int rc;
	if ((rc = no_options(cli, cmd, argc, argv)) != PK_OK)
		return rc;
	if (argc - optind < 2)
		return cli_usage(cmd);
	if ((rc = load(cli, cmd, argv[optind], &t)) != PK_OK)
		return rc;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	for (int i = optind + 1; i < argc && rc == PK_OK; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			rc = cli_failf(PK_EUSAGE, _("'%s' is not FIELD=VALUE"), argv[i]);
			break;
		}
		char *field = pk_xstrndup(argv[i], (size_t)(eq - argv[i]));
		const char *value = eq + 1;
		if (strcmp(field, "assignee") == 0)
			value = cli_user_arg(cli, value);
		if ((rc = pk_ticket_put(cli->db, ch, field, value, 0)) != PK_OK)
			rc = cli_fail(cli, rc);
		free(field);
	}
	if (rc == PK_OK)
		rc = save(cli, t, ch, NULL);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	return rc;
}

static int assign_to(struct cli *cli, const struct cli_cmd *cmd, const char *ref, const char *who)
{
	struct pk_ticket *t;
	int rc = load(cli, cmd, ref, &t);
	if (rc != PK_OK)
		return rc;
	const char *user = strcmp(who, "none") == 0 ? "" : cli_user_arg(cli, who);
	rc = pk_ticket_assign(cli->db, t, user);
	rc = rc == PK_OK ? report(cli, t->uuid) : cli_fail(cli, rc);
	pk_ticket_free(&t);
	return rc;
}

int cmd_assign(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("assign");
	int rc = no_options(cli, cmd, argc, argv);
	if (rc != PK_OK)
		return rc;
	if (argc - optind != 2)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, 0)) != PK_OK)
		return rc;
	return assign_to(cli, cmd, argv[optind], argv[optind + 1]);
}

int cmd_take(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("take");
	int rc = no_options(cli, cmd, argc, argv);
	if (rc != PK_OK)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cmd);
	return assign_to(cli, cmd, argv[optind], "me");
}

/* move, close, reopen, resolve: a status change with an optional note and
 * resolution. */
static int change_status(struct cli *cli, const struct cli_cmd *cmd, const char *ref,
			 const char *status, const char *note, const char *resolution)
{
	struct pk_ticket *t;
	int rc = load(cli, cmd, ref, &t);
	if (rc != PK_OK)
		return rc;
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	char *note_text = NULL, *res_text = NULL;
	if (note && (rc = cli_text_arg(note, &note_text)) != PK_OK)
		goto out;
	if (resolution && (rc = cli_text_arg(resolution, &res_text)) != PK_OK)
		goto out;
	if (res_text && (rc = pk_ticket_put(cli->db, ch, "resolution", res_text, 0)) != PK_OK) {
		rc = cli_fail(cli, rc);
		goto out;
	}
	if ((rc = pk_ticket_put(cli->db, ch, "status", status, 0)) != PK_OK) {
		rc = cli_fail(cli, rc);
		goto out;
	}
	if (strcmp(t->status, status) == 0) {
		rc = cli_failf(PK_ETRANSITION, _("%s already has status %s"), t->ref, status);
		goto out;
	}
	rc = save(cli, t, ch, note_text);
out:
	free(note_text);
	free(res_text);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	return rc;
}

static int status_command(struct cli *cli, const char *name, int argc, char **argv,
			  const char *status)
{
	const struct cli_cmd *cmd = cli_cmd_find(name);
	const char *note = NULL, *resolution = NULL;
	int c;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 'm')
			note = optarg;
		else if (c == 'r')
			resolution = optarg;
		else
			return PK_EUSAGE;
	}
	int want = status ? 1 : 2;
	if (argc - optind != want)
		return cli_usage(cmd);
	if (strcmp(name, "resolve") == 0 && !resolution)
		return cli_failf(PK_EUSAGE, _("resolve needs --resolution TEXT"));
	return change_status(cli, cmd, argv[optind], status ? status : argv[optind + 1], note,
			     resolution);
}

int cmd_move(struct cli *cli, int argc, char **argv)
{
	return status_command(cli, "move", argc, argv, NULL);
}

int cmd_resolve(struct cli *cli, int argc, char **argv)
{
	return status_command(cli, "resolve", argc, argv, "resolved");
}

int cmd_close(struct cli *cli, int argc, char **argv)
{
	return status_command(cli, "close", argc, argv, "closed");
}

int cmd_reopen(struct cli *cli, int argc, char **argv)
{
	return status_command(cli, "reopen", argc, argv, "reopened");
}

int cmd_comment(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("comment");
	const char *kind = "public";
	long long minutes = 0;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 'i') {
			kind = "internal";
		} else if (c == 'p') {
			kind = "public";
		} else if (c == 'w') {
			kind = "worklog";
			if (pk_parse_int(optarg, 0, 100000, &minutes) != 0)
				return cli_failf(PK_EUSAGE,
						 _("--worklog: '%s' is not a number of minutes"),
						 optarg);
		} else {
			return PK_EUSAGE;
		}
	}
	if (argc - optind != 2)
		return cli_usage(cmd);
	struct pk_ticket *t;
	if ((rc = load(cli, cmd, argv[optind], &t)) != PK_OK)
		return rc;
	char *body;
	if ((rc = cli_text_arg(argv[optind + 1], &body)) == PK_OK) {
		rc = pk_comment_add(cli->db, t, kind, body, (int)minutes, NULL, 0, NULL);
		rc = rc == PK_OK ? report(cli, t->uuid) : cli_fail(cli, rc);
	}
	free(body);
	pk_ticket_free(&t);
	return rc;
}

static void print_field(const char *label, const char *value)
{
	struct pk_buf pad = { 0 };
	pk_text_fit(&pad, label, 15); /* by display width: labels may be accented */
	printf("%s ", pad.data);
	pk_buf_free(&pad);
	cli_print_safe(stdout, value && *value ? value : "-", 0);
	putchar('\n');
}

static void print_history_entry(const struct pk_history *h)
{
	char when[32];
	printf("%s  ", pk_time_format(h->at, when, sizeof(when)));
	cli_print_safe(stdout, h->actor, 0);
	fputs("  ", stdout);
	char *value = pk_sanitize_dup(h->new_value, cli_san_flags(0));
	if (strcmp(h->field, "created") == 0) {
		printf(_("created %s"), value);
	} else if (strcmp(h->field, "comment") == 0) {
		printf(_("added comment %s"), value);
	} else {
		cli_print_safe(stdout, h->field, 0);
		fputs(": ", stdout);
		cli_print_safe(stdout, h->old_value ? h->old_value : "-", 0);
		fputs(" -> ", stdout);
		cli_print_safe(stdout, h->new_value ? h->new_value : "-", 0);
	}
	free(value);
	putchar('\n');
}

static void print_comment(const struct pk_comment *c)
{
	char when[32];
	printf("%s  ", pk_time_format(c->created_at, when, sizeof(when)));
	cli_print_safe(stdout, c->author, 0);
	if (strcmp(c->kind, "worklog") == 0)
		printf(_("  worklog %d min\n"), c->minutes);
	else if (strcmp(c->kind, "internal") == 0)
		printf(_("  internal note\n"));
	else
		printf(_("  comment\n"));
	struct pk_buf b = { 0 };
	pk_sanitize(&b, c->body, strlen(c->body), cli_san_flags(1));
	for (char *line = b.data, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		printf("    %s\n", line);
	}
	pk_buf_free(&b);
}

/* Where the SLA clocks stand, one line each (picket sla explains them). */
static void print_clocks(struct cli *cli, const struct pk_ticket *t)
{
	struct pk_sla s;
	if (pk_sla_compute(cli->db, t, pk_clock_now(), &s) != PK_OK)
		return;
	const struct pk_sla_clock *clocks[2] = { &s.response, &s.resolve };
	const char *labels[2] = { _("Response"), _("Resolution") };
	for (int k = 0; k < 2; k++) {
		const struct pk_sla_clock *c = clocks[k];
		char when[32], age[16], line[96];
		if (c->state == PK_SLA_NONE)
			continue;
		if (c->state == PK_SLA_RUNNING && !c->breached_at) {
			pk_age_format(c->due - s.now, age, sizeof(age));
			snprintf(line, sizeof(line), _("due %s (in %s)"),
				 pk_time_format(c->due, when, sizeof(when)), age);
		} else if (c->state == PK_SLA_RUNNING || c->state == PK_SLA_PAUSED) {
			if (c->breached_at)
				pk_age_format(s.now - c->breached_at, age, sizeof(age));
			snprintf(line, sizeof(line),
				 c->breached_at
					 ? (c->state == PK_SLA_PAUSED ? _("breached %s ago, paused")
								      : _("breached %s ago"))
					 : "%s",
				 c->breached_at ? age : pk_sla_state_name(c->state));
		} else {
			snprintf(line, sizeof(line), _("%s at %s"), pk_sla_state_name(c->state),
				 pk_time_format(c->stopped, when, sizeof(when)));
		}
		print_field(labels[k], line);
	}
	pk_sla_free(&s);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("show");
	struct pk_ticket *t;
	struct pk_timeline tl = { 0 };
	int rc;
	if ((rc = no_options(cli, cmd, argc, argv)) != PK_OK)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cmd);
	if ((rc = load(cli, cmd, argv[optind], &t)) != PK_OK)
		return rc;
	if ((rc = pk_timeline_load(cli->db, t, &tl)) != PK_OK) {
		rc = cli_fail(cli, rc);
		goto out;
	}
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = pk_ticket_to_json(t);
		json_t *cs = json_array();
		for (size_t i = 0; i < tl.n; i++)
			if (tl.entries[i].comment)
				json_array_append_new(cs,
						      pk_comment_to_json(tl.entries[i].comment));
		json_object_set_new(o, "comments", cs);
		json_object_set_new(o, "conflicts", cli_conflicts_json(cli, t->uuid));
		cli_json_print(o);
		goto out;
	}
	char buf[64], when[32];
	cli_print_safe(stdout, t->ref, 0);
	fputs("  ", stdout);
	cli_print_safe(stdout, t->title, 0);
	printf("\n\n");
	print_field(_("Type"), t->type);
	print_field(_("Status"), t->status);
	snprintf(buf, sizeof(buf), _("P%d (impact %d, urgency %d)"), t->priority, t->impact,
		 t->urgency);
	print_field(_("Priority"), buf);
	print_field(_("Assignee"), t->assignee);
	print_field(_("Group"), t->group);
	print_field(_("Requester"), t->requester);
	print_field(_("Category"), t->category);
	print_field(_("Service"), t->service);
	print_field(_("CI"), t->ci);
	if (t->vendor || t->vendor_ref) {
		print_field(_("Vendor"), t->vendor);
		print_field(_("Vendor ref"), t->vendor_ref);
	}
	print_field(_("Classification"), t->classification);
	print_field(_("Created"), pk_time_format(t->created_at, when, sizeof(when)));
	print_field(_("Updated"), pk_time_format(t->updated_at, when, sizeof(when)));
	if (t->resolved_at)
		print_field(_("Resolved"), pk_time_format(t->resolved_at, when, sizeof(when)));
	if (t->closed_at)
		print_field(_("Closed"), pk_time_format(t->closed_at, when, sizeof(when)));
	if (t->resolution)
		print_field(_("Resolution"), t->resolution);
	if (t->followup_at)
		print_field(_("Follow up"), pk_time_format(t->followup_at, when, sizeof(when)));
	print_clocks(cli, t);
	print_field(_("UUID"), t->uuid);
	cli_print_conflicts(cli, t->uuid);
	if (t->description && *t->description) {
		printf("\n");
		cli_print_safe(stdout, t->description, 1);
		printf("\n");
	}
	if (tl.n)
		printf(_("\nTimeline:\n"));
	for (size_t i = 0; i < tl.n; i++) {
		if (tl.entries[i].comment)
			print_comment(tl.entries[i].comment);
		else
			print_history_entry(tl.entries[i].history);
	}
out:
	pk_timeline_free(&tl);
	pk_ticket_free(&t);
	return rc;
}

struct history_out {
	struct cli *cli;
	json_t *array;
};

static int history_entry_out(struct pk_history *h, void *data)
{
	struct history_out *x = data;
	char when[32];
	pk_time_format(h->at, when, sizeof(when));
	if (x->array) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(h->id));
		json_object_set_new(o, "at", json_string(when));
		json_object_set_new(o, "actor", json_string(h->actor));
		json_object_set_new(o, "field", json_string(h->field));
		json_object_set_new(o, "old",
				    h->old_value ? json_string(h->old_value) : json_null());
		json_object_set_new(o, "new",
				    h->new_value ? json_string(h->new_value) : json_null());
		json_array_append_new(x->array, o);
	} else if (x->cli->out == CLI_OUT_CSV) {
		printf("%lld,%s,", (long long)h->id, when);
		cli_csv_cell(x->cli, h->actor);
		putchar(',');
		cli_csv_cell(x->cli, h->field);
		putchar(',');
		cli_csv_cell(x->cli, h->old_value);
		putchar(',');
		cli_csv_cell(x->cli, h->new_value);
		putchar('\n');
	} else {
		print_history_entry(h);
	}
	return 0;
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("history");
	struct pk_ticket *t;
	int rc;
	if ((rc = no_options(cli, cmd, argc, argv)) != PK_OK)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cmd);
	if ((rc = load(cli, cmd, argv[optind], &t)) != PK_OK)
		return rc;
	struct history_out x = { .cli = cli,
				 .array = cli->out == CLI_OUT_JSON ? json_array() : NULL };
	if (cli->out == CLI_OUT_CSV)
		printf("id,at,actor,field,old,new\n");
	rc = pk_history_list(cli->db, t->uuid, history_entry_out, &x);
	if (rc != PK_OK) {
		json_decref(x.array);
		rc = cli_fail(cli, rc);
	} else if (x.array) {
		cli_json_print(x.array);
	}
	pk_ticket_free(&t);
	return rc;
}
