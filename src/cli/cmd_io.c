/* import and export. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/status.h"

int cmd_import(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("import");
	enum pk_format fmt = PK_FMT_AUTO;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c != 'f')
			return PK_EUSAGE;
		if (strcmp(optarg, "csv") == 0)
			fmt = PK_FMT_CSV;
		else if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0)
			fmt = PK_FMT_JSONL;
		else
			return cli_failf(PK_EUSAGE, _("--format: '%s' is not csv or jsonl"),
					 optarg);
	}
	if (argc - optind != 1)
		return cli_usage(cmd);
	const char *path = argv[optind];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f)
		return cli_failf(PK_EIO, _("cannot open %s: %s"), path, strerror(errno));
	if (fmt == PK_FMT_AUTO) {
		size_t n = strlen(path);
		if (n > 4 && strcmp(path + n - 4, ".csv") == 0)
			fmt = PK_FMT_CSV;
	}
	struct stat sb;
	uint64_t total =
		fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	struct pk_import_stats stats;
	rc = pk_import(cli->db, f, fmt, total, cli_progress, (void *)_("importing"), &stats);
	cli_progress_done();
	if (f != stdin)
		fclose(f);
	if (rc != PK_OK) {
		cli_fail(cli, rc);
		fprintf(stderr, _("picket: nothing was imported\n"));
		return rc;
	}
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "tickets", json_integer(stats.tickets));
		json_object_set_new(o, "comments", json_integer(stats.comments));
		json_object_set_new(o, "lines", json_integer(stats.lines));
		cli_json_print(o);
	} else {
		printf(P_("imported %ld ticket", "imported %ld tickets", stats.tickets),
		       stats.tickets);
		printf(P_(", %ld comment\n", ", %ld comments\n", stats.comments), stats.comments);
	}
	return PK_OK;
}

/* A new temporary file in the target's directory (mkstemp: never through
 * an existing name or link), with the mode the target has, or 0600. */
static FILE *open_beside(const char *target, char **tmp)
{
	*tmp = pk_xasprintf("%s.XXXXXX", target);
	int fd = mkstemp(*tmp);
	if (fd < 0)
		return NULL;
	struct stat sb;
	mode_t mode;
	if (stat(target, &sb) == 0) {
		mode = sb.st_mode & 07777;
	} else {
		mode = 0600; /* the desk's data, private like the database itself */
	}
	FILE *f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int e = errno;
		close(fd);
		unlink(*tmp);
		errno = e;
	}
	return f;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("export");
	const char *output = NULL;
	int c, rc;
	argc = cli_split_query_args(argc, argv);
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c != 'o')
			return PK_EUSAGE;
		output = optarg;
	}
	if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
		return rc;
	struct pk_buf query = { 0 };
	char *words = cli_query_text(argc, argv);
	pk_buf_puts(&query, words);
	free(words);
	struct pk_query *q;
	struct pk_error err;
	/* oldest first, so an import recreates refs in their order */
	pk_buf_puts(&query, query.len ? " sort:created" : "sort:created");
	rc = pk_query_compile(cli->cfg, cli->user, pk_clock_now(), query.data, 0, &q, &err);
	if (rc != PK_OK) {
		cli_print_query_error(query.data, &err);
		pk_buf_free(&query);
		return rc;
	}
	pk_buf_free(&query);
	FILE *out = stdout;
	char *tmp = NULL;
	if (output) {
		/* write beside the target and rename: no half-written export */
		out = open_beside(output, &tmp);
		if (!out) {
			rc = cli_failf(PK_EIO, _("cannot write beside %s: %s"), output,
				       strerror(errno));
			free(tmp);
			pk_query_free(&q);
			return rc;
		}
	}
	long count = 0;
	rc = pk_export(cli->db, q, out, cli_progress, (void *)_("exporting"), &count);
	cli_progress_done();
	pk_query_free(&q);
	if (output) {
		if (fclose(out) != 0 && rc == PK_OK)
			rc = pk_error_set(pk_db_err(cli->db), PK_EIO, _("writing %s: %s"), tmp,
					  strerror(errno));
		if (rc == PK_OK && rename(tmp, output) != 0)
			rc = pk_error_set(pk_db_err(cli->db), PK_EIO, _("renaming %s: %s"), tmp,
					  strerror(errno));
		if (rc != PK_OK)
			remove(tmp);
		free(tmp);
	}
	if (rc != PK_OK)
		return cli_fail(cli, rc);
	if (output)
		fprintf(stderr,
			P_("exported %ld ticket to %s\n", "exported %ld tickets to %s\n", count),
			count, output);
	return PK_OK;
}
