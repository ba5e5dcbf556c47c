/* picket sync, conflicts and resolve-conflict. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/oplog.h"
#include "picket/status.h"
#include "picket/sync.h"
#include "picket/text.h"

static void progress(const char *phase, int64_t done, int64_t total, void *data)
{
	(void)data;
	cli_progress((void *)(strcmp(phase, "pull") == 0 ? _("pulling") : _("pushing")),
		     (uint64_t)done, (uint64_t)total);
}

static json_t *summary_json(const struct pk_sync_summary *s, int rc, const struct pk_error *err)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_boolean(rc == PK_OK));
	json_object_set_new(o, "pushed", json_integer(s->pushed));
	json_object_set_new(o, "pulled", json_integer(s->pulled));
	json_object_set_new(o, "duplicates", json_integer(s->duplicates));
	json_object_set_new(o, "conflicts", json_integer(s->conflicts));
	json_object_set_new(o, "pending", json_integer(s->pending));
	json_object_set_new(o, "cursor", json_integer(s->cursor));
	json_object_set_new(o, "server", s->server[0] ? json_string(s->server) : json_null());
	json_object_set_new(o, "refused", json_integer(s->refused));
	json_object_set_new(o, "held", json_integer(s->held));
	json_object_set_new(o, "ceiling", s->ceiling[0] ? json_string(s->ceiling) : json_null());
	json_t *lines = json_array();
	for (char *p = s->refusals.data, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		json_array_append_new(lines, json_stringn(p, (size_t)(nl - p)));
	}
	json_object_set_new(o, "refusals", lines);
	if (rc != PK_OK) {
		json_object_set_new(o, "exit", json_integer(rc));
		json_object_set_new(o, "error", json_string(err->msg));
	}
	return o;
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("sync");
	int c, rc, quiet = 0;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		default: return PK_EUSAGE;
		}
	}
	if (argc != optind)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	struct pk_sync_options o;
	struct pk_error err = { 0 };
	if ((rc = pk_sync_options_load(cli->cfg, &o, &err)) != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	struct pk_sync_summary s;
	int show = !quiet && cli->out != CLI_OUT_JSON;
	rc = pk_sync_run(cli->db, &o, show ? progress : NULL, NULL, &s, &err);
	cli_progress_done();
	pk_sync_options_free(&o);
	if (s.refusals.len) {
		/* each refusal on a line of its own, before the verdict */
		for (char *p = s.refusals.data, *nl; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			*nl = '\0';
			fputs("picket: ", stderr);
			cli_print_safe(stderr, p, 0);
			fputc('\n', stderr);
			*nl = '\n';
		}
	}
	if (cli->out == CLI_OUT_JSON) {
		cli_json_print(summary_json(&s, rc, &err));
		if (rc != PK_OK)
			cli_failf(rc, "%s", err.msg);
		pk_sync_summary_free(&s);
		return rc;
	}
	pk_sync_summary_free(&s);
	if (rc == PK_EREFUSED && s.refused) {
		printf(_("synced: pushed %lld, pulled %lld, conflicts %lld, refused %lld\n"),
		       (long long)s.pushed, (long long)s.pulled, (long long)s.conflicts,
		       (long long)s.refused);
		return cli_failf(rc, "%s", err.msg);
	}
	if (rc != PK_OK) {
		if (s.pushed || s.pulled)
			fprintf(stderr,
				_("picket: stopped after pushing %lld and pulling %lld events; "
				  "run picket sync again to resume\n"),
				(long long)s.pushed, (long long)s.pulled);
		return cli_failf(rc, "%s", err.msg);
	}
	if (!quiet) {
		printf(_("synced: pushed %lld, pulled %lld, conflicts %lld"), (long long)s.pushed,
		       (long long)s.pulled, (long long)s.conflicts);
		if (s.pending > s.held)
			printf(_(", %lld still to push"), (long long)(s.pending - s.held));
		putchar('\n');
	}
	if (s.held)
		fprintf(stderr,
			P_("picket: %lld change held back: its ticket is above the server's "
			   "ceiling %s\n",
			   "picket: %lld changes held back: their tickets are above the server's "
			   "ceiling %s\n",
			   (unsigned long)s.held),
			(long long)s.held, s.ceiling);
	return PK_OK;
}

json_t *cli_conflicts_json(struct cli *cli, const char *uuid)
{
	struct pk_conflict *cs;
	size_t n;
	json_t *arr = json_array();
	if (pk_conflicts_list(cli->db, uuid, &cs, &n) != PK_OK)
		return arr;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "entity", json_string(cs[i].entity));
		json_object_set_new(o, "uuid", json_string(cs[i].entity_uuid));
		json_object_set_new(o, "field", json_string(cs[i].field));
		json_t *vals = json_array();
		for (size_t k = 0; k < cs[i].nvalues; k++) {
			const struct pk_conflict_value *v = &cs[i].values[k];
			char when[32];
			json_t *e = json_object();
			json_t *jv =
				json_loads(v->value ? v->value : "null", JSON_DECODE_ANY, NULL);
			json_object_set_new(e, "value", jv ? jv : json_null());
			json_object_set_new(e, "actor", json_string(v->actor));
			json_object_set_new(e, "origin", json_string(v->origin));
			json_object_set_new(e, "at",
					    json_string(pk_time_format(v->at, when, sizeof(when))));
			json_object_set_new(e, "current", json_boolean(v->winner));
			json_array_append_new(vals, e);
		}
		json_object_set_new(o, "values", vals);
		json_array_append_new(arr, o);
	}
	pk_conflicts_free(cs, n);
	return arr;
}

static const char *ref_of(struct cli *cli, const char *uuid, char *buf, size_t len)
{
	struct pk_ticket *t;
	if (pk_ticket_get(cli->db, uuid, &t) != PK_OK)
		return uuid;
	snprintf(buf, len, "%s", t->ref);
	pk_ticket_free(&t);
	return buf;
}

void cli_print_conflicts(struct cli *cli, const char *uuid)
{
	struct pk_conflict *cs;
	size_t n;
	if (pk_conflicts_list(cli->db, uuid, &cs, &n) != PK_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		char ref[64];
		const char *r = ref_of(cli, cs[i].entity_uuid, ref, sizeof(ref));
		printf("\n");
		printf(_("Conflict on %s of "), cs[i].field);
		cli_print_safe(stdout, r, 0);
		printf(_(" (choose with: picket resolve-conflict "));
		cli_print_safe(stdout, r, 0);
		printf(" %s N)\n", cs[i].field);
		for (size_t k = 0; k < cs[i].nvalues; k++) {
			const struct pk_conflict_value *v = &cs[i].values[k];
			char when[32];
			char *text = pk_conflict_value_text(v->value);
			printf("  %zu) ", k + 1);
			cli_print_safe(stdout, text, 0);
			printf(_("  set by "));
			cli_print_safe(stdout, v->actor, 0);
			putchar('@');
			cli_print_safe(stdout, v->origin, 0);
			printf(" %s", pk_time_format(v->at, when, sizeof(when)));
			if (v->winner)
				printf(_("  (current)"));
			putchar('\n');
			free(text);
		}
	}
	pk_conflicts_free(cs, n);
}

int cmd_conflicts(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("conflicts");
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1)
		return PK_EUSAGE;
	if (argc - optind > 1)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	const char *uuid = NULL;
	struct pk_ticket *t = NULL;
	if (argc - optind == 1) {
		if ((rc = pk_ticket_get(cli->db, argv[optind], &t)) != PK_OK)
			return cli_fail(cli, rc);
		uuid = t->uuid;
	}
	if (cli->out == CLI_OUT_JSON) {
		cli_json_print(cli_conflicts_json(cli, uuid));
	} else {
		struct pk_conflict *cs;
		size_t n = 0;
		if ((rc = pk_conflicts_list(cli->db, uuid, &cs, &n)) != PK_OK) {
			pk_ticket_free(&t);
			return cli_fail(cli, rc);
		}
		pk_conflicts_free(cs, n);
		if (n == 0)
			printf(t ? _("%s has no conflicts\n") : _("no conflicts\n"),
			       t ? t->ref : "");
		else
			cli_print_conflicts(cli, uuid);
	}
	pk_ticket_free(&t);
	return PK_OK;
}

int cmd_resolve_conflict(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("resolve-conflict");
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1)
		return PK_EUSAGE;
	if (argc - optind != 3)
		return cli_usage(cmd);
	const char *field = argv[optind + 1];
	long long pick;
	if (pk_parse_int(argv[optind + 2], 1, 100, &pick) != PK_OK)
		return cli_failf(PK_EUSAGE, _("'%s' is not the number of a value"),
				 argv[optind + 2]);
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	struct pk_ticket *t;
	if ((rc = pk_ticket_get(cli->db, argv[optind], &t)) != PK_OK)
		return cli_fail(cli, rc);
	struct pk_conflict *cs;
	size_t n;
	if ((rc = pk_conflicts_list(cli->db, t->uuid, &cs, &n)) != PK_OK) {
		pk_ticket_free(&t);
		return cli_fail(cli, rc);
	}
	const struct pk_conflict *hit = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(cs[i].field, field) == 0)
			hit = &cs[i];
	if (!hit) {
		rc = cli_failf(PK_ENOTFOUND, _("%s has no conflict on %s"), t->ref, field);
	} else if ((size_t)pick > hit->nvalues) {
		rc = cli_failf(PK_EUSAGE, _("the conflict on %s has %zu values"), field,
			       hit->nvalues);
	} else if ((rc = pk_conflict_pick(cli->db, t->uuid, field, (size_t)pick)) != PK_OK) {
		rc = cli_fail(cli, rc);
	} else if (cli->out == CLI_OUT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "ref", json_string(t->ref));
		json_object_set_new(o, "field", json_string(field));
		json_t *jv = json_loads(hit->values[pick - 1].value, JSON_DECODE_ANY, NULL);
		json_object_set_new(o, "value", jv ? jv : json_null());
		cli_json_print(o);
	} else {
		char *text = pk_conflict_value_text(hit->values[pick - 1].value);
		printf(_("%s: %s is now "), t->ref, field);
		cli_print_safe(stdout, text, 0);
		putchar('\n');
		free(text);
	}
	pk_conflicts_free(cs, n);
	pk_ticket_free(&t);
	return rc;
}
