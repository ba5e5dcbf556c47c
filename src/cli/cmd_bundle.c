/* picket key and picket bundle: signed files for sites with no network. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "picket/bundle.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/key.h"
#include "picket/status.h"
#include "picket/text.h"

/* bundle.key_file, or the database's path with .key added. */
static char *key_path(struct cli *cli)
{
	const char *p = pk_config_str(cli->cfg, "bundle.key_file");
	return p && *p ? pk_xstrdup(p) : pk_xasprintf("%s.key", pk_db_path(cli->db));
}

static char *trusted_path(struct cli *cli)
{
	const char *p = pk_config_str(cli->cfg, "bundle.trusted_keys");
	return p && *p ? pk_xstrdup(p) : pk_xasprintf("%s.trusted", pk_db_path(cli->db));
}

int cli_key_create(struct cli *cli, int quiet)
{
	char *path = key_path(cli);
	struct pk_error err = { 0 };
	if (access(path, F_OK) == 0) {
		free(path);
		return PK_OK; /* made before: a database made again beside it */
	}
	int rc = pk_key_create(path, cli->cfg->node, &err);
	if (rc == PK_OK && !quiet)
		fprintf(stderr, _("picket: made the bundle signing key %s\n"), path);
	free(path);
	return rc == PK_OK ? PK_OK : cli_failf(rc, "%s", err.msg);
}

/* The installation's key; made on first use for a database older than
 * keys (picket init makes it). */
static int load_key(struct cli *cli, struct pk_key *k)
{
	char *path = key_path(cli);
	struct pk_error err = { 0 };
	int rc = pk_key_load(path, k, &err);
	if (rc == PK_ENOTFOUND && (rc = cli_key_create(cli, 0)) == PK_OK)
		rc = pk_key_load(path, k, &err);
	free(path);
	return rc == PK_OK ? PK_OK : cli_failf(rc, "%s", err.msg);
}

/* The trusted keys, and (with_own) this installation's own. */
static int load_trusted(struct cli *cli, struct pk_keyring *kr, int with_own)
{
	char *path = trusted_path(cli), *own = key_path(cli);
	struct pk_error err = { 0 };
	struct pk_key k;
	int rc = pk_keyring_load(path, kr, &err);
	if (rc == PK_OK && with_own && pk_key_load(own, &k, &err) == PK_OK)
		pk_keyring_push(kr, &k);
	free(path);
	free(own);
	return rc == PK_OK ? PK_OK : cli_failf(rc, "%s", err.msg);
}

static json_t *key_json(const struct pk_key *k)
{
	struct pk_buf line = { 0 };
	char fpr[PK_KEY_FPR_MAX];
	pk_key_public_text(k, &line);
	pk_key_fingerprint(k->pub, fpr);
	json_t *o =
		json_pack("{s:s,s:s,s:s}", "name", k->name, "key", line.data, "fingerprint", fpr);
	pk_buf_free(&line);
	return o;
}

static int key_show(struct cli *cli)
{
	struct pk_key k;
	int rc = load_key(cli, &k);
	if (rc != PK_OK)
		return rc;
	pk_key_wipe(&k);
	if (cli->out == CLI_OUT_JSON) {
		cli_json_print(key_json(&k));
		return PK_OK;
	}
	pk_key_print(stdout, &k);
	return PK_OK;
}

static int key_list(struct cli *cli)
{
	struct pk_keyring kr;
	int rc = load_trusted(cli, &kr, 0);
	if (rc != PK_OK)
		return rc;
	if (cli->out == CLI_OUT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < kr.n; i++)
			json_array_append_new(arr, key_json(&kr.v[i]));
		cli_json_print(arr);
	} else {
		pk_keyring_print(stdout, &kr);
	}
	if (kr.n == 0 && cli->out != CLI_OUT_JSON)
		fprintf(stderr, _("picket: no trusted keys yet (picket key trust adds one)\n"));
	pk_keyring_free(&kr);
	return PK_OK;
}

/* KEY is a public key line, or a file holding one (as key show printed). */
static int key_trust(struct cli *cli, const char *arg, const char *name)
{
	struct pk_key k;
	struct pk_error err = { 0 };
	int rc = pk_key_read_arg(arg, name, &k, &err);
	if (rc != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	char *path = trusted_path(cli);
	rc = pk_keyring_add(path, &k, &err);
	char fpr[PK_KEY_FPR_MAX];
	pk_key_fingerprint(k.pub, fpr);
	if (rc == PK_OK && cli->out != CLI_OUT_JSON)
		printf(_("trusted %s as %s (in %s)\n"), fpr, k.name, path);
	else if (rc == PK_OK)
		cli_json_print(key_json(&k));
	free(path);
	return rc == PK_OK ? PK_OK : cli_failf(rc, "%s", err.msg);
}

int cmd_key(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("key");
	const char *name = NULL;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c != 'n')
			return PK_EUSAGE;
		name = optarg;
	}
	const char *sub = optind < argc ? argv[optind] : "show";
	int nargs = argc - optind;
	int trust = strcmp(sub, "trust") == 0;
	if ((trust && nargs != 2) || (!trust && nargs > 1) || (name && !trust) ||
	    (!trust && strcmp(sub, "show") != 0 && strcmp(sub, "list") != 0))
		return cli_usage(cmd);
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	if (trust)
		return key_trust(cli, argv[optind + 1], name);
	return strcmp(sub, "list") == 0 ? key_list(cli) : key_show(cli);
}

/* --- bundles --- */

static json_t *info_json(const struct pk_bundle_info *info)
{
	char fpr[PK_KEY_FPR_MAX], when[32];
	pk_key_fingerprint(info->key, fpr);
	return json_pack("{s:i,s:s,s:o,s:s,s:I,s:s,s:I,s:I,s:s}", "format", info->format, "origin",
			 info->origin, "to", *info->to ? json_string(info->to) : json_null(),
			 "created", pk_time_format(info->created, when, sizeof(when)), "events",
			 (json_int_t)info->events, "classification", info->classification, "from",
			 (json_int_t)info->from, "upto", (json_int_t)info->upto, "key", fpr);
}

static int bundle_export(struct cli *cli, const char *path, int64_t since, const char *to)
{
	struct pk_key k;
	int rc = load_key(cli, &k);
	if (rc != PK_OK)
		return rc;
	struct pk_bundle_export opt = { .since = since, .to = to };
	struct pk_bundle_summary sum;
	struct pk_error err = { 0 };
	rc = pk_bundle_export(cli->db, path, &opt, &k, &sum, &err);
	pk_key_wipe(&k);
	if (rc != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	if (sum.held)
		fprintf(stderr,
			P_("picket: %lld change held back: its ticket is above %s\n",
			   "picket: %lld changes held back: their tickets are above %s\n",
			   (unsigned long)sum.held),
			(long long)sum.held, sum.ceiling);
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = info_json(&sum.info);
		json_object_set_new(o, "held", json_integer(sum.held));
		json_object_set_new(o, "ceiling", json_string(sum.ceiling));
		cli_json_print(o);
	} else if (strcmp(path, "-") != 0) {
		printf(_("exported %lld events to %s (classification %s; next export continues "
			 "after %lld)\n"),
		       (long long)sum.info.events, path, sum.info.classification,
		       (long long)sum.info.upto);
	}
	return PK_OK;
}

static int bundle_import(struct cli *cli, const char *path)
{
	struct pk_keyring kr;
	int rc = load_trusted(cli, &kr, 1);
	if (rc != PK_OK)
		return rc;
	struct pk_bundle_summary sum;
	struct pk_error err = { 0 };
	rc = pk_bundle_import(cli->db, path, &kr, &sum, &err);
	pk_keyring_free(&kr);
	if (rc != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = info_json(&sum.info);
		json_object_set_new(o, "imported", json_integer(sum.imported));
		json_object_set_new(o, "duplicates", json_integer(sum.duplicates));
		json_object_set_new(o, "conflicts", json_integer(sum.conflicts));
		json_object_set_new(o, "signer", json_string(sum.signer));
		cli_json_print(o);
		return PK_OK;
	}
	printf(_("imported %lld events from %s (signed by %s), %lld already here, conflicts "
		 "%lld\n"),
	       (long long)sum.imported, sum.info.origin, sum.signer, (long long)sum.duplicates,
	       (long long)sum.conflicts);
	return PK_OK;
}

/* Shows what a bundle holds, and whether it is sound and trusted, without
 * importing it (exit 18 when it is not). */
static int bundle_inspect(struct cli *cli, const char *path)
{
	struct pk_keyring kr;
	int rc = load_trusted(cli, &kr, 1);
	if (rc != PK_OK)
		return rc;
	struct pk_bundle_reader *r;
	struct pk_bundle_info info;
	struct pk_error err = { 0 };
	if ((rc = pk_bundle_open(path, &r, &info, &err)) != PK_OK) {
		pk_keyring_free(&kr);
		return cli_failf(rc, "%s", err.msg);
	}
	const struct pk_key *signer = NULL;
	int vrc = pk_bundle_verify(r, &kr, &signer, &err);
	json_t *kinds = json_object();
	for (int got = 1; vrc == PK_OK && got;) {
		struct pk_event ev;
		if ((vrc = pk_bundle_next(r, &ev, &got, &err)) != PK_OK || !got)
			break;
		char kind[64];
		snprintf(kind, sizeof(kind), "%s %s", ev.entity, ev.create ? "create" : "set");
		json_int_t was = json_integer_value(json_object_get(kinds, kind));
		json_object_set_new(kinds, kind, json_integer(was + 1));
		pk_event_clear(&ev);
	}
	pk_bundle_close(&r);
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = info_json(&info);
		json_object_set_new(o, "verified", json_boolean(vrc == PK_OK));
		json_object_set_new(o, "signer", signer ? json_string(signer->name) : json_null());
		json_object_set_new(o, "kinds", kinds);
		if (vrc != PK_OK)
			json_object_set_new(o, "error", json_string(err.msg));
		cli_json_print(o);
	} else {
		pk_bundle_info_print(stdout, &info);
		if (vrc == PK_OK) {
			printf(_("signature:      good, by %s\n"), signer->name);
			const char *k;
			json_t *v;
			json_object_foreach(kinds, k, v)
			{
				/* entity names come from the file: sanitized */
				char *safe = pk_sanitize_dup(k, cli_san_flags(0));
				printf("  %-24s %lld\n", safe, (long long)json_integer_value(v));
				free(safe);
			}
		}
		json_decref(kinds);
	}
	pk_keyring_free(&kr); /* (signer points into it) */
	return vrc == PK_OK ? PK_OK : cli_failf(vrc, "%s", err.msg);
}

int cmd_bundle(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("bundle");
	const char *to = NULL;
	int64_t since = -1;
	long long n;
	int c, rc, all = 0;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		switch (c) {
		case 's':
			if (pk_parse_int(optarg, 0, INT64_MAX, &n) != 0)
				return cli_failf(PK_EUSAGE, _("--since: '%s' is not a cursor"),
						 optarg);
			since = n;
			break;
		case 'a': all = 1; break;
		case 't': to = optarg; break;
		default: return PK_EUSAGE;
		}
	}
	if (argc - optind != 2)
		return cli_usage(cmd);
	const char *sub = argv[optind], *path = argv[optind + 1];
	int export = strcmp(sub, "export") == 0;
	if ((!export && strcmp(sub, "import") != 0 && strcmp(sub, "inspect") != 0) ||
	    (!export && (to || all || since >= 0)) || (all && since >= 0))
		return cli_usage(cmd);
	if (all)
		since = 0;
	unsigned flags = cmd->flags | (strcmp(sub, "inspect") == 0 ? CLI_READONLY : 0);
	if ((rc = cli_open(cli, flags)) != PK_OK)
		return rc;
	if (export)
		return bundle_export(cli, path, since, to);
	return strcmp(sub, "import") == 0 ? bundle_import(cli, path) : bundle_inspect(cli, path);
}
