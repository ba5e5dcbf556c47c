/* Colours as data: a theme names a foreground, background and attributes
 * for every colour role.  The default theme is compiled in; others are
 * themes/NAME.ini.  NO_COLOR and terminals without colour get attributes
 * only (bold, reverse, underline), so the screen stays readable. */
#include <ctype.h>
#include <iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "picket/buildconf.h"
#include "picket/i18n.h"
#include "picket/status.h"
#include "tui_private.h"

static const char *const role_names[] = {
#define TUI_COLOR_NAME(id, name) name,
	TUI_COLORS(TUI_COLOR_NAME)
#undef TUI_COLOR_NAME
};

/* The default theme, the same text as themes/default.ini. */
static const char *const builtin[][2] = {
	{ "normal", "default, default" },
	{ "header", "white, blue, bold" },
	{ "selected", "black, cyan" },
	{ "status", "black, white" },
	{ "hint", "cyan, default" },
	{ "error", "red, default, bold" },
	{ "tab", "default, default" },
	{ "tab-active", "black, yellow, bold" },
	{ "p1", "red, default, bold" },
	{ "p2", "yellow, default, bold" },
	{ "p3", "default, default" },
	{ "p4", "default, default, dim" },
	{ "warn", "yellow, default" },
	{ "breach", "white, red, bold" },
	{ "label", "cyan, default" },
	{ "comment-public", "green, default, bold" },
	{ "comment-internal", "magenta, default, bold" },
	{ "worklog", "blue, default, bold" },
	{ "history", "default, default, dim" },
	{ "banner-0", "black, green" },
	{ "banner-1", "black, cyan" },
	{ "banner-2", "white, blue, bold" },
	{ "banner-3", "white, red, bold" },
	{ "banner-4", "black, yellow, bold" },
};

/* Attributes alone, for NO_COLOR and monochrome terminals. */
static const attr_t mono[TUI_COLOR_COUNT] = {
	[TUI_C_HEADER] = A_BOLD | A_UNDERLINE,
	[TUI_C_SELECTED] = A_REVERSE,
	[TUI_C_STATUS] = A_REVERSE,
	[TUI_C_ERROR] = A_BOLD,
	[TUI_C_TAB_ACTIVE] = A_REVERSE | A_BOLD,
	[TUI_C_P1] = A_BOLD,
	[TUI_C_P2] = A_BOLD,
	[TUI_C_P4] = A_DIM,
	[TUI_C_BREACH] = A_REVERSE | A_BOLD,
	[TUI_C_WARN] = A_UNDERLINE,
	[TUI_C_COMMENT_PUBLIC] = A_BOLD,
	[TUI_C_COMMENT_INTERNAL] = A_BOLD | A_UNDERLINE,
	[TUI_C_WORKLOG] = A_BOLD,
	[TUI_C_HISTORY] = A_DIM,
	[TUI_C_BANNER_0] = A_REVERSE,
	[TUI_C_BANNER_1] = A_REVERSE,
	[TUI_C_BANNER_2] = A_REVERSE | A_BOLD,
	[TUI_C_BANNER_3] = A_REVERSE | A_BOLD,
	[TUI_C_BANNER_4] = A_REVERSE | A_BOLD,
};

static int color_number(const char *name, int *out)
{
	static const char *const names[] = { "black", "red",	 "green", "yellow",
					     "blue",  "magenta", "cyan",  "white" };
	if (strcmp(name, "default") == 0)
		return *out = -1, 0;
	for (int i = 0; i < 8; i++)
		if (strcmp(name, names[i]) == 0)
			return *out = i, 0;
	if (strncmp(name, "bright-", 7) == 0)
		for (int i = 0; i < 8; i++)
			if (strcmp(name + 7, names[i]) == 0)
				return *out = COLORS >= 16 ? i + 8 : i, 0;
	long long n;
	if (strncmp(name, "color", 5) == 0 && pk_parse_int(name + 5, 0, 255, &n) == 0) {
		/* fewer colours than asked: the basic colour of the same index */
		*out = n < COLORS ? (int)n : (int)(n % 8);
		return 0;
	}
	return -1;
}

static int parse_spec(struct tui *t, int role, const char *spec, struct pk_error *err)
{
	char *copy = pk_xstrdup(spec), *save = NULL;
	int fg = -1, bg = -1, nth = 0, rc = PK_OK;
	attr_t attr = A_NORMAL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		int c;
		if (strcmp(tok, "bold") == 0)
			attr |= A_BOLD;
		else if (strcmp(tok, "dim") == 0)
			attr |= A_DIM;
		else if (strcmp(tok, "underline") == 0)
			attr |= A_UNDERLINE;
		else if (strcmp(tok, "reverse") == 0)
			attr |= A_REVERSE;
		else if (nth < 2 && color_number(tok, &c) == 0)
			*(nth++ == 0 ? &fg : &bg) = c;
		else {
			rc = pk_error_set(err, PK_ECONFIG,
					  _("theme: %s: '%s' is not a colour or attribute"),
					  role_names[role], tok);
			break;
		}
	}
	free(copy);
	if (rc == PK_OK) {
		init_pair((short)(role + 1), (short)fg, (short)bg);
		t->attrs[role] = (attr_t)COLOR_PAIR(role + 1) | attr;
	}
	return rc;
}

/* Finds themes/NAME.ini: the user's, the installed, the source tree's. */
static char *theme_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *paths[3] = { NULL, NULL, NULL };
	if (xdg && *xdg)
		paths[0] = pk_xasprintf("%s/picket/themes/%s.ini", xdg, name);
	else if (home && *home)
		paths[0] = pk_xasprintf("%s/.config/picket/themes/%s.ini", home, name);
	paths[1] = pk_xasprintf("%s/themes/%s.ini", PICKET_DATADIR, name);
	paths[2] = pk_xasprintf("%s/themes/%s.ini", PICKET_SOURCE_DIR, name);
	char *found = NULL;
	for (int i = 0; i < 3; i++) {
		if (!found && paths[i] && access(paths[i], R_OK) == 0)
			found = paths[i];
		else
			free(paths[i]);
	}
	return found;
}

int tui_theme_load(struct tui *t, struct pk_error *err)
{
	const char *no_color = getenv("NO_COLOR");
	const char *name = "default";
	dictionary *cfg = t->cfg->ini;
	if (cfg)
		name = iniparser_getstring(cfg, "ui:theme", "default");
	int colour = has_colors() && !(no_color && *no_color) && strcmp(name, "monochrome") != 0;
	if (!colour) {
		memcpy(t->attrs, mono, sizeof(mono));
		return PK_OK;
	}
	start_color();
	use_default_colors();
	dictionary *theme = NULL;
	if (strcmp(name, "default") != 0) {
		char *path = theme_path(name);
		if (!path)
			return pk_error_set(err, PK_ECONFIG,
					    _("ui.theme: no theme '%s' (themes/%s.ini)"), name,
					    name);
		void *ini;
		int rc = pk_ini_load(path, &ini, err);
		free(path);
		if (rc != PK_OK)
			return rc;
		theme = ini;
	}
	int rc = PK_OK;
	for (int role = 0; role < TUI_COLOR_COUNT && rc == PK_OK; role++) {
		char key[64];
		snprintf(key, sizeof(key), "colors:%s", role_names[role]);
		const char *spec = theme ? iniparser_getstring(theme, key, NULL) : NULL;
		if (!spec)
			spec = builtin[role][1];
		rc = parse_spec(t, role, spec, err);
	}
	if (theme)
		iniparser_freedict(theme);
	return rc;
}
