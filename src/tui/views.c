/* Saved views and the mouse: small settings of the interface. */
#include <ctype.h>
#include <iniparser.h>
#include <stdlib.h>
#include <string.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/query.h"
#include "picket/status.h"
#include "tui_private.h"

/* The defaults, as a supervisor or technician would set them up. */
static const char *const default_views[][2] = {
	{ N_("My tickets"), "status:open assignee:me sort:-priority" },
	{ N_("Unassigned"), "status:open assignee:none sort:-priority" },
	{ N_("Open P1/P2"), "status:open priority:<=P2 sort:-priority" },
	{ N_("Pending vendor"), "status:pending_vendor sort:followup" },
	{ N_("All open"), "status:open sort:-priority" },
	{ N_("Recently closed"), "status:resolved,closed updated:>-7d sort:-updated" },
	{ N_("Breaching next"), "status:open sort:sla" },
	{ N_("Vendor follow-up"), "followup:overdue sort:followup" },
};

static void add_view(struct tui *t, const char *name, const char *query)
{
	t->views = pk_xrealloc(t->views, (size_t)(t->nviews + 1) * sizeof(*t->views));
	t->views[t->nviews].name = pk_xstrdup(name);
	t->views[t->nviews].query = pk_xstrdup(query);
	t->nviews++;
}

/* [views] my_queue = status:open group:network  ->  tab "My queue".  The
 * queries are compiled once here so a typo shows at start, not later. */
int tui_views_load(struct tui *t, struct pk_error *err)
{
	dictionary *ini = t->cfg->ini;
	int n = ini && iniparser_find_entry(ini, "views") ? iniparser_getsecnkeys(ini, "views") : 0;
	if (n > 0) {
		const char **ks = pk_xcalloc((size_t)n, sizeof(*ks));
		iniparser_getseckeys(ini, "views", ks);
		for (int i = 0; i < n; i++) {
			const char *key = strchr(ks[i], ':') ? strchr(ks[i], ':') + 1 : ks[i];
			char *name = pk_xstrdup(key);
			for (char *p = name; *p; p++)
				if (*p == '_')
					*p = ' ';
			name[0] = (char)toupper((unsigned char)name[0]);
			add_view(t, name, iniparser_getstring(ini, ks[i], ""));
			free(name);
		}
		free(ks);
	} else {
		for (size_t i = 0; i < PK_ARRAY_LEN(default_views); i++)
			add_view(t, _(default_views[i][0]), default_views[i][1]);
	}
	for (int i = 0; i < t->nviews; i++) {
		struct pk_query *q;
		struct pk_error qerr;
		if (pk_query_compile(t->cfg, t->user, pk_clock_now(), t->views[i].query, 0, &q,
				     &qerr) != PK_OK)
			return pk_error_set(err, PK_ECONFIG, _("views: %s: %s"), t->views[i].name,
					    qerr.msg);
		pk_query_free(&q);
	}
	const char *mouse = ini ? iniparser_getstring(ini, "ui:mouse", "false") : "false";
	t->mouse = strcmp(mouse, "true") == 0 || strcmp(mouse, "yes") == 0 ||
		   strcmp(mouse, "on") == 0 || strcmp(mouse, "1") == 0;
	return PK_OK;
}

void tui_views_free(struct tui *t)
{
	for (int i = 0; i < t->nviews; i++) {
		free(t->views[i].name);
		free(t->views[i].query);
	}
	free(t->views);
	t->views = NULL;
	t->nviews = 0;
}

int tui_saved_views(struct tui *t, const struct tui_saved_view **views)
{
	*views = t->views;
	return t->nviews;
}

int tui_mouse_enabled(struct tui *t)
{
	return t->mouse;
}

/* The wheel scrolls three lines; a click goes to the view. */
void tui_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || t->depth == 0)
		return;
	struct tui_frame *f = &t->stack[t->depth - 1];
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		enum tui_action a = (ev.bstate & BUTTON4_PRESSED) ? TUI_UP : TUI_DOWN;
		for (int i = 0; i < 3 && f->view->action; i++)
			f->view->action(t, f->state, a);
	} else if ((ev.bstate & BUTTON1_CLICKED) && f->view->click) {
		f->view->click(t, f->state, ev.y, ev.x);
	}
	t->redraw = 1;
}
