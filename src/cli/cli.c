/* What every command shares: options, opening, errors and output. */
#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/text.h"

const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, _("usage: picket %s %s\n"), cmd->name, cmd->args);
	return PK_EUSAGE;
}

static void help(const struct cli_cmd *cmd)
{
	printf(_("usage: picket %s %s\n"), cmd->name, cmd->args);
	printf("%s\n", _(cmd->summary));
	if (cmd->flags & (CLI_JSON | CLI_CSV))
		printf(_("Output: %s%s\n"), cmd->flags & CLI_JSON ? "--json " : "",
		       cmd->flags & CLI_CSV ? "--csv" : "");
	printf(_("See picket(1).\n"));
}

int cli_getopt(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct option all[32];
	char shorts[64];
	int n = 0;
	if (cmd->longopts)
		for (const struct option *o = cmd->longopts; o->name && n < 24; o++)
			all[n++] = *o;
	all[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	all[n++] = (struct option){ "csv", no_argument, NULL, 'K' };
	all[n++] = (struct option){ "db", required_argument, NULL, 'D' };
	all[n++] = (struct option){ "config", required_argument, NULL, 'F' };
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ 0 };
	snprintf(shorts, sizeof(shorts), "%sh", cmd->options ? cmd->options : "");

	for (;;) {
		int c = getopt_long(argc, argv, shorts, all, NULL);
		switch (c) {
		case 'J':
			if (!(cmd->flags & CLI_JSON))
				goto bad;
			cli->out = CLI_OUT_JSON;
			continue;
		case 'K':
			if (!(cmd->flags & CLI_CSV))
				goto bad;
			cli->out = CLI_OUT_CSV;
			continue;
		case 'D': cli->db_path = optarg; continue;
		case 'F': cli->config_path = optarg; continue;
		case 'h': help(cmd); exit(PK_OK);
		case '?':
		case ':': cli_usage(cmd); return '?';
		default: return c;
		}
	bad:
		fprintf(stderr, _("picket %s: this command has no such output format\n"),
			cmd->name);
		cli_usage(cmd);
		return '?';
	}
}

static char *default_db_path(const struct pk_config *cfg)
{
	const char *env = getenv("PICKET_DB");
	if (env && *env)
		return pk_xstrdup(env);
	if (cfg->db_path)
		return pk_xstrdup(cfg->db_path);
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg)
		return pk_xasprintf("%s/picket/picket.db", xdg);
	const char *home = getenv("HOME");
	return pk_xasprintf("%s/.local/share/picket/picket.db", home && *home ? home : ".");
}

int cli_open(struct cli *cli, unsigned flags)
{
	struct pk_error err = { 0 };
	int rc;
	if (!cli->cfg && (rc = pk_config_load(cli->config_path, &cli->cfg, &err)) != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	if (!cli->user)
		cli->user = pk_identity_user();
	if (!(flags & CLI_NEEDS_DB) || cli->db)
		return PK_OK;
	char *path = cli->db_path ? pk_xstrdup(cli->db_path) : default_db_path(cli->cfg);
	int dbflags = (flags & CLI_CREATE) ? PK_DB_CREATE : 0;
	if (flags & CLI_READONLY)
		dbflags |= PK_DB_READONLY;
	rc = pk_db_open(path, dbflags, cli->cfg, cli->user, &cli->db, &err);
	free(path);
	if (rc != PK_OK)
		return cli_failf(rc, "%s", err.msg);
	return PK_OK;
}

int cli_failf(int code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fputs("picket: ", stderr);
	cli_print_safe(stderr, msg, 0);
	fputc('\n', stderr);
	return code;
}

int cli_fail(struct cli *cli, int code)
{
	const struct pk_error *e = cli->db ? pk_db_error(cli->db) : NULL;
	return cli_failf(code, "%s", e && e->msg[0] ? e->msg : pk_strerror(code));
}

void cli_print_query_error(const char *query, const struct pk_error *err)
{
	cli_failf(err->code, "%s", err->msg);
	if (query && err->pos > 0 && (size_t)err->pos <= strlen(query) + 1) {
		/* the caret goes under the token's display column, not its byte */
		char *before = pk_xstrndup(query, (size_t)err->pos - 1);
		char *safe = pk_sanitize_dup(before, 0);
		fputs("  ", stderr);
		cli_print_safe(stderr, query, 0);
		fprintf(stderr, "\n  %*s^\n", pk_text_width(safe), "");
		free(safe);
		free(before);
	}
}

int cli_san_flags(int multiline)
{
	/* a locale without UTF-8 gets ASCII: its terminal could not show more */
	return (multiline ? PK_SAN_KEEP_NEWLINES : 0) | (MB_CUR_MAX == 1 ? PK_SAN_ASCII : 0);
}

void cli_print_safe(FILE *f, const char *s, int multiline)
{
	struct pk_buf b = { 0 };
	if (!s)
		return;
	pk_sanitize(&b, s, strlen(s), cli_san_flags(multiline));
	if (b.data)
		fputs(b.data, f);
	pk_buf_free(&b);
}

void cli_json_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(v);
}

static int progress_shown;

void cli_progress(void *data, uint64_t done, uint64_t total)
{
	const char *what = data;
	if (!isatty(STDERR_FILENO))
		return;
	progress_shown = 1;
	if (total) {
		int pct = (int)(done * 100 / (total ? total : 1));
		if (pct > 100)
			pct = 100;
		char bar[31];
		int fill = pct * 30 / 100;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(30 - fill));
		bar[30] = '\0';
		fprintf(stderr, "\r%s [%s] %3d%%", what, bar, pct);
	} else {
		fprintf(stderr, "\r%s %llu", what, (unsigned long long)done);
	}
	fflush(stderr);
}

void cli_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}

int cli_term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	if (cols && atoi(cols) > 20)
		return atoi(cols);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

int cli_text_arg(const char *arg, char **out)
{
	*out = NULL;
	if (strcmp(arg, "-") != 0) {
		*out = pk_xstrdup(arg);
		return PK_OK;
	}
	/* Read at most a little over the engine's limit, so a huge input is
	 * refused with its size instead of filling memory. */
	const size_t max = PK_TEXT_MAX * 16;
	struct pk_buf b = { 0 };
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (memchr(chunk, '\0', n)) {
			pk_buf_free(&b);
			return cli_failf(PK_EINVAL,
					 _("the text on standard input contains a NUL byte"));
		}
		pk_buf_add(&b, chunk, n);
		if (b.len > max) {
			pk_buf_free(&b);
			return cli_failf(PK_EINVAL,
					 _("the text on standard input is over %zu bytes; a text "
					   "may hold at most %d bytes"),
					 max, PK_TEXT_MAX);
		}
	}
	if (ferror(stdin)) {
		pk_buf_free(&b);
		return cli_failf(PK_EIO, _("reading standard input: %s"), strerror(errno));
	}
	/* one trailing newline is the terminal's, not the text's */
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	*out = pk_buf_detach(&b);
	return PK_OK;
}

const char *cli_user_arg(struct cli *cli, const char *name)
{
	return strcmp(name, "me") == 0 ? cli->user : name;
}

void cli_csv_cell(struct cli *cli, const char *s)
{
	if (!s)
		return;
	char *safe = cli->tty ? pk_sanitize_dup(s, cli_san_flags(1)) : NULL;
	const char *v = safe ? safe : s;
	if (strpbrk(v, ",\"\r\n")) {
		putchar('"');
		for (; *v; v++) {
			if (*v == '"')
				putchar('"');
			putchar(*v);
		}
		putchar('"');
	} else {
		fputs(v, stdout);
	}
	free(safe);
}

/* Query words such as -assignee:bob or -printer look like options to
 * getopt.  Every argument of the form -word (longer than one letter and not
 * an option with a number, like -n50) is set aside as a query term; the
 * rest keep their order.  Returns the argc left for getopt. */
static char **query_terms;
static int nquery_terms;

int cli_split_query_args(int argc, char **argv)
{
	int keep = 0;
	free(query_terms);
	query_terms = pk_xcalloc((size_t)argc + 1, sizeof(*query_terms));
	nquery_terms = 0;
	int after_dashdash = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int term = i > 0 && !after_dashdash && a[0] == '-' && a[1] != '-' && a[1] != '\0' &&
			   a[2] != '\0' && !(a[1] == 'n' && a[2] >= '0' && a[2] <= '9');
		if (strcmp(a, "--") == 0)
			after_dashdash = 1;
		if (term)
			query_terms[nquery_terms++] = argv[i];
		else
			argv[keep++] = argv[i];
	}
	argv[keep] = NULL;
	return keep;
}

char *cli_query_text(int argc, char **argv)
{
	struct pk_buf b = { 0 };
	/* the set-aside terms go back in their original order relative to
	 * each other; their place among positional words does not matter to
	 * the query language (terms are ANDed, sort: is order-free) */
	for (int i = optind; i < argc; i++)
		pk_buf_printf(&b, "%s%s", b.len ? " " : "", argv[i]);
	for (int i = 0; i < nquery_terms; i++)
		pk_buf_printf(&b, "%s%s", b.len ? " " : "", query_terms[i]);
	free(query_terms);
	query_terms = NULL;
	nquery_terms = 0;
	return pk_buf_detach(&b);
}
