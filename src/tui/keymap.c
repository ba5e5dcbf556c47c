/* Key bindings as data: the defaults come from TUI_ACTIONS, picket.conf's
 * [keys] section replaces an action's keys ("take = t T"). */
#include <ctype.h>
#include <iniparser.h>
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"
#include "tui_private.h"

static const struct {
	const char *name, *help, *keys;
} actions[] = { { "", "", "" },
#define TUI_ACTION_ROW(id, name, help, keys) { name, help, keys },
		TUI_ACTIONS(TUI_ACTION_ROW)
#undef TUI_ACTION_ROW
};

/* Names of special keys, as written in [keys] and shown by help. */
static const struct {
	const char *name;
	int code;
} special[] = {
	{ "Up", KEY_UP },	{ "Down", KEY_DOWN },	 { "Left", KEY_LEFT },
	{ "Right", KEY_RIGHT }, { "PageUp", KEY_PPAGE }, { "PageDown", KEY_NPAGE },
	{ "Home", KEY_HOME },	{ "End", KEY_END },	 { "BackTab", KEY_BTAB },
	{ "Delete", KEY_DC },	{ "Insert", KEY_IC },	 { "F1", KEY_F(1) },
	{ "F2", KEY_F(2) },	{ "F3", KEY_F(3) },	 { "F4", KEY_F(4) },
	{ "F5", KEY_F(5) },	{ "F10", KEY_F(10) },	 { "Backspace", KEY_BACKSPACE },
};

const char *tui_action_name(enum tui_action a)
{
	return a > TUI_NONE && a < TUI_ACTION_COUNT ? actions[a].name : "";
}

const char *tui_action_help(enum tui_action a)
{
	return a > TUI_NONE && a < TUI_ACTION_COUNT ? _(actions[a].help) : "";
}

/* Parses one key name: "j", "C-d", "Enter", "Tab", "Space", "Esc", "PageDown".
 * Returns 0 and fills the key, or -1. */
static int parse_key(const char *name, struct tui_key *k)
{
	memset(k, 0, sizeof(*k));
	if (strcmp(name, "Enter") == 0)
		return k->ch = '\n', 0;
	if (strcmp(name, "Tab") == 0)
		return k->ch = '\t', 0;
	if (strcmp(name, "Space") == 0)
		return k->ch = ' ', 0;
	if (strcmp(name, "Esc") == 0)
		return k->ch = 27, 0;
	if (name[0] == 'C' && name[1] == '-' && name[2] && !name[3] &&
	    isalpha((unsigned char)name[2]))
		return k->ch = (wint_t)(tolower((unsigned char)name[2]) - 'a' + 1), 0;
	for (size_t i = 0; i < PK_ARRAY_LEN(special); i++)
		if (strcmp(special[i].name, name) == 0)
			return k->ch = (wint_t)special[i].code, k->is_key = 1, 0;
	/* one character, UTF-8 allowed */
	wchar_t wc;
	mbstate_t st = { 0 };
	size_t n = mbrtowc(&wc, name, strlen(name), &st);
	if (n == 0 || n == (size_t)-1 || n == (size_t)-2 || name[n] != '\0' || wc < 0x21)
		return -1;
	k->ch = (wint_t)wc;
	return 0;
}

static void binding_name(const struct tui_key *k, struct pk_buf *out)
{
	if (k->is_key) {
		for (size_t i = 0; i < PK_ARRAY_LEN(special); i++)
			if ((wint_t)special[i].code == k->ch) {
				pk_buf_puts(out, special[i].name);
				return;
			}
		pk_buf_printf(out, "key%u", (unsigned)k->ch);
	} else if (k->ch == '\n') {
		pk_buf_puts(out, "Enter");
	} else if (k->ch == '\t') {
		pk_buf_puts(out, "Tab");
	} else if (k->ch == ' ') {
		pk_buf_puts(out, "Space");
	} else if (k->ch == 27) {
		pk_buf_puts(out, "Esc");
	} else if (k->ch < 32) {
		pk_buf_printf(out, "C-%c", (char)('a' + k->ch - 1));
	} else {
		char mb[8];
		mbstate_t st = { 0 };
		size_t n = wcrtomb(mb, (wchar_t)k->ch, &st);
		if (n != (size_t)-1)
			pk_buf_add(out, mb, n);
	}
}

static int bind_list(struct tui_keymap *km, enum tui_action a, const char *list, const char *where,
		     struct pk_error *err)
{
	char *copy = pk_xstrdup(list), *save = NULL;
	int rc = PK_OK;
	for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		struct tui_key k;
		if (parse_key(tok, &k) != 0) {
			rc = pk_error_set(err, PK_ECONFIG, _("%s: keys.%s: '%s' is not a key name"),
					  where, actions[a].name, tok);
			break;
		}
		if (km->n == TUI_MAX_BINDINGS) {
			rc = pk_error_set(err, PK_ECONFIG, _("%s: [keys]: too many bindings"),
					  where);
			break;
		}
		k.action = a;
		km->b[km->n++] = k;
	}
	free(copy);
	return rc;
}

int tui_keymap_load(struct tui_keymap *km, const struct pk_config *cfg, struct pk_error *err)
{
	km->n = 0;
	dictionary *ini = cfg->ini;
	for (int a = 1; a < TUI_ACTION_COUNT; a++) {
		char key[64];
		snprintf(key, sizeof(key), "keys:%s", actions[a].name);
		const char *v = ini ? iniparser_getstring(ini, key, NULL) : NULL;
		int rc = bind_list(km, (enum tui_action)a, v ? v : actions[a].keys,
				   cfg->path ? cfg->path : "picket.conf", err);
		if (rc != PK_OK)
			return rc;
	}
	/* unknown names in [keys] are typos: say so */
	if (ini && iniparser_find_entry(ini, "keys")) {
		int nk = iniparser_getsecnkeys(ini, "keys");
		const char **ks = pk_xcalloc((size_t)(nk > 0 ? nk : 1), sizeof(*ks));
		iniparser_getseckeys(ini, "keys", ks);
		for (int i = 0; i < nk; i++) {
			const char *name = strchr(ks[i], ':') ? strchr(ks[i], ':') + 1 : ks[i];
			int found = 0;
			for (int a = 1; a < TUI_ACTION_COUNT; a++)
				found |= strcmp(actions[a].name, name) == 0;
			if (!found) {
				int rc = pk_error_set(err, PK_ECONFIG,
						      _("%s: [keys]: unknown action '%s'"),
						      cfg->path ? cfg->path : "picket.conf", name);
				free(ks);
				return rc;
			}
		}
		free(ks);
	}
	return PK_OK;
}

enum tui_action tui_keymap_lookup(const struct tui_keymap *km, wint_t ch, int is_key)
{
	/* Enter arrives as CR (nonl), LF or the keypad's KEY_ENTER */
	if ((!is_key && ch == '\r') || (is_key && ch == KEY_ENTER))
		ch = '\n', is_key = 0;
	for (int i = 0; i < km->n; i++)
		if (km->b[i].ch == ch && km->b[i].is_key == is_key)
			return km->b[i].action;
	return TUI_NONE;
}

void tui_keymap_keys(const struct tui_keymap *km, enum tui_action a, struct pk_buf *out)
{
	int n = 0;
	for (int i = 0; i < km->n; i++) {
		if (km->b[i].action != a)
			continue;
		if (n++)
			pk_buf_putc(out, ' ');
		binding_name(&km->b[i], out);
	}
}

void tui_action_keys(struct tui *t, enum tui_action a, struct pk_buf *out)
{
	tui_keymap_keys(&t->keys, a, out);
}
