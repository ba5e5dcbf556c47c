/* init, audit and config. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "picket/audit.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/query.h"
#include "picket/status.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("init");
	int demo = 0, c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c != 'd')
			return PK_EUSAGE;
		demo = 1;
	}
	if (optind != argc)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, CLI_NEEDS_DB | CLI_CREATE)) != PK_OK)
		return rc;
	char *created = NULL;
	if (pk_db_meta_get(cli->db, "created_at", &created) != PK_OK) {
		char when[32];
		if ((rc = pk_db_begin(cli->db)) != PK_OK ||
		    (rc = pk_db_meta_set(cli->db, "created_at",
					 pk_time_format(pk_clock_now(), when, sizeof(when)))) !=
			    PK_OK ||
		    (rc = pk_db_meta_set(cli->db, "node", cli->cfg->node)) != PK_OK ||
		    (rc = pk_db_commit(cli->db)) != PK_OK) {
			pk_db_rollback(cli->db);
			return cli_fail(cli, rc);
		}
		/* the key that signs this installation's bundles */
		if ((rc = cli_key_create(cli, 1)) != PK_OK)
			return rc;
	}
	free(created);
	if (demo) {
		struct pk_query *q;
		struct pk_error err;
		long n = 0;
		pk_query_compile(cli->cfg, cli->user, pk_clock_now(), "", 0, &q, &err);
		pk_ticket_count(cli->db, q, &n);
		pk_query_free(&q);
		if (n > 0)
			return cli_failf(PK_EINVAL,
					 P_("%s already holds %ld ticket; demo data goes only "
					    "into an empty database",
					    "%s already holds %ld tickets; demo data goes only "
					    "into an empty database",
					    n),
					 pk_db_path(cli->db), n);
		if ((rc = cli_demo_load(cli->db)) != PK_OK)
			return cli_fail(cli, rc);
	}
	printf(_("picket database ready at %s (node %s)\n"), pk_db_path(cli->db), cli->cfg->node);
	return PK_OK;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("audit");
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1)
		return PK_EUSAGE;
	if (argc - optind != 1 || strcmp(argv[optind], "verify") != 0)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	struct pk_audit_result res;
	rc = pk_audit_verify(cli->db, &res);
	if (rc != PK_OK && rc != PK_EAUDIT)
		return cli_fail(cli, rc);
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "intact", json_boolean(rc == PK_OK));
		json_object_set_new(o, "checked", json_integer(res.checked));
		json_object_set_new(o, "first_bad",
				    res.first_bad ? json_integer(res.first_bad) : json_null());
		if (res.first_bad)
			json_object_set_new(o, "reason", json_string(res.reason));
		cli_json_print(o);
	} else if (rc == PK_OK) {
		printf(P_("history intact: %lld entry verified\n",
			  "history intact: %lld entries verified\n", res.checked),
		       (long long)res.checked);
	}
	if (rc != PK_OK)
		cli_fail(cli, rc);
	return rc;
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("config");
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1)
		if (c != 'l')
			return PK_EUSAGE;
	if (optind != argc)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, 0)) != PK_OK)
		return rc;
	size_t n;
	const struct pk_config_key *keys = pk_config_keys(&n);
	json_t *arr = cli->out == CLI_OUT_JSON ? json_array() : NULL;
	if (!arr)
		printf(_("# configuration file: %s\n"),
		       cli->cfg->path ? cli->cfg->path : _("(none)"));
	for (size_t i = 0; i < n; i++) {
		/* a key per status stands for one line per configured status */
		int per_status = strstr(keys[i].name, "<status>") != NULL;
		if (strchr(keys[i].name, '<') && !per_status) {
			/* keys.<action>, views.<name>: documented, listed by the TUI's help */
			if (!arr)
				printf("# %s\n%s\n\n", _(keys[i].help), keys[i].name);
			continue;
		}
		int count = per_status ? cli->cfg->wf.nstatus : 1;
		if (!arr && per_status)
			printf("# %s\n", _(keys[i].help));
		for (int k = 0; k < count; k++) {
			char name[96];
			if (per_status)
				snprintf(name, sizeof(name), "transitions.%s",
					 cli->cfg->wf.status[k]);
			else
				snprintf(name, sizeof(name), "%s", keys[i].name);
			char *v = pk_config_value(cli->cfg, name);
			if (arr) {
				json_t *o = json_object();
				json_object_set_new(o, "name", json_string(name));
				json_object_set_new(o, "value", json_string(v ? v : ""));
				json_object_set_new(o, "help", json_string(_(keys[i].help)));
				json_array_append_new(arr, o);
			} else {
				if (!per_status)
					printf("# %s\n", _(keys[i].help));
				printf("%s = ", name);
				cli_print_safe(stdout, v, 0);
				printf(per_status && k + 1 < count ? "\n" : "\n\n");
			}
			free(v);
		}
	}
	if (arr)
		cli_json_print(arr);
	return PK_OK;
}
