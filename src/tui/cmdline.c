/* The `:` line: the CLI's verbs on the ticket under the cursor.
 *   :take  :assign USER  :move STATUS [NOTE]  :comment TEXT  :note TEXT
 *   :worklog MIN TEXT  :resolve TEXT  :close  :reopen  :set FIELD=VALUE...
 *   :open REF  :new  :search [WORDS]  :resolve-conflict FIELD N  :sync  :q */
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/oplog.h"
#include "picket/policy.h"
#include "picket/status.h"
#include "tui_private.h"

static const char *const verbs[] = { "take",	"assign",  "move",   "comment",		 "note",
				     "worklog", "resolve", "close",  "reopen",		 "set",
				     "open",	"new",	   "search", "resolve-conflict", "sync",
				     "q",	"quit",	   NULL };

static int complete_verb(void *data, const char *prefix, char ***matches)
{
	int n = 0;
	size_t len = strlen(prefix);
	*matches = pk_xcalloc(PK_ARRAY_LEN(verbs), sizeof(char *));
	for (int i = 0; verbs[i]; i++)
		if (strncmp(verbs[i], prefix, len) == 0)
			(*matches)[n++] = pk_xstrdup(verbs[i]);
	(void)data;
	return n;
}

void tui_command_line(struct tui *t)
{
	char *line;
	if (tui_prompt(t, ":", NULL, complete_verb, NULL, &line)) {
		tui_command(t, line);
		free(line);
	}
}

/* The ticket the command is about, read afresh (the view's copy may be
 * stale, and it is freed when the view reloads). */
static struct pk_ticket *target(struct tui *t)
{
	struct tui_frame *f = &t->stack[t->depth - 1];
	const struct pk_ticket *cur = f->view->current ? f->view->current(t, f->state) : NULL;
	struct pk_ticket *tk = NULL;
	if (!cur) {
		tui_message(t, 1, "%s", _("no ticket here: open one first"));
		return NULL;
	}
	if (pk_ticket_get(t->db, cur->uuid, &tk) != PK_OK) {
		tui_fail(t, pk_db_error(t->db)->code);
		return NULL;
	}
	return tk;
}

/* Saves a change and reports the result the way every action does. */
static int save(struct tui *t, struct pk_ticket *tk, struct pk_change *ch, const char *note,
		const char *done)
{
	int rc = pk_ticket_save(t->db, tk, ch, note);
	if (rc != PK_OK)
		return tui_fail(t, rc);
	/* TRANSLATORS: a ticket ref, then what happened to it ("LUX1-4: moved") */
	tui_message(t, 0, _("%s: %s"), tk->ref, done);
	tui_changed(t);
	return PK_OK;
}

int tui_command(struct tui *t, const char *line)
{
	while (*line == ' ')
		line++;
	char *copy = pk_xstrdup(line);
	char *rest = strchr(copy, ' ');
	if (rest) {
		*rest++ = '\0';
		while (*rest == ' ')
			rest++;
	} else {
		rest = copy + strlen(copy);
	}
	const char *verb = copy;
	int rc = PK_OK;
	struct pk_ticket *tk = NULL;
	struct pk_change *ch = NULL;

	if (!*verb) {
		goto out;
	} else if (strcmp(verb, "q") == 0 || strcmp(verb, "quit") == 0) {
		tui_pop(t);
		goto out;
	} else if (strcmp(verb, "new") == 0) {
		tui_push(t, &tui_view_form, NULL);
		goto out;
	} else if (strcmp(verb, "search") == 0) {
		tui_push(t, &tui_view_search, *rest ? rest : NULL);
		goto out;
	} else if (strcmp(verb, "open") == 0) {
		if (!*rest || pk_ticket_get(t->db, rest, &tk) != PK_OK) {
			rc = *rest ? tui_fail(t, PK_ENOTFOUND) : PK_EUSAGE;
			if (!*rest)
				tui_message(t, 1, "%s", _("usage: :open REF"));
		} else {
			tui_push(t, &tui_view_ticket, tk->uuid);
		}
		goto out;
	}
	int known = 0;
	for (int i = 0; verbs[i]; i++)
		known |= strcmp(verbs[i], verb) == 0;
	if (!known) {
		tui_message(t, 1,
			    _("unknown command '%s' (take, assign, move, comment, note, "
			      "worklog, resolve, close, reopen, set, open, new, search, "
			      "resolve-conflict, sync, q)"),
			    verb);
		rc = PK_EUSAGE;
		goto out;
	}
	if (strcmp(verb, "sync") == 0) {
		tui_sync_now(t);
		goto out;
	}
	if (!(tk = target(t))) {
		rc = PK_ENOTFOUND;
		goto out;
	}
	if (strcmp(verb, "resolve-conflict") == 0) {
		char *sp = strchr(rest, ' ');
		long long pick = 0;
		if (sp)
			*sp = '\0';
		if (!sp || !*rest || pk_parse_int(sp + 1, 1, 100, &pick) != PK_OK) {
			tui_message(t, 1, "%s", _("usage: :resolve-conflict FIELD N"));
			rc = PK_EUSAGE;
		} else if ((rc = pk_conflict_pick(t->db, tk->uuid, rest, (size_t)pick)) != PK_OK) {
			tui_fail(t, rc);
		} else {
			tui_message(t, 0, _("%s: conflict on %s resolved"), tk->ref, rest);
			tui_changed(t);
		}
		goto out;
	}
	const struct pk_workflow *wf = &t->cfg->wf;
	ch = pk_change_update(&pk_ticket_entity, tk->uuid);
	if (strcmp(verb, "take") == 0 || strcmp(verb, "assign") == 0) {
		const char *who = strcmp(verb, "take") == 0 ? "me" : rest;
		if (!*who) {
			tui_message(t, 1, "%s", _("usage: :assign USER (or me, none)"));
			rc = PK_EUSAGE;
			goto out;
		}
		const char *user = strcmp(who, "none") == 0 ? ""
				   : strcmp(who, "me") == 0 ? t->user
							    : who;
		if ((rc = pk_ticket_put(t->db, ch, "assignee", user, 0)) != PK_OK) {
			tui_fail(t, rc);
			goto out;
		}
		if (*user && pk_wf_allowed(wf, tk->status, "assigned") &&
		    (strcmp(tk->status, "new") == 0 || strcmp(tk->status, "reopened") == 0))
			pk_change_text(ch, "status", "assigned");
		else if (!*user && strcmp(tk->status, "assigned") == 0 &&
			 pk_wf_allowed(wf, tk->status, "new"))
			pk_change_text(ch, "status", "new");
		rc = save(t, tk, ch, NULL, *user ? _("assigned") : _("unassigned"));
	} else if (strcmp(verb, "move") == 0 || strcmp(verb, "close") == 0 ||
		   strcmp(verb, "reopen") == 0 || strcmp(verb, "resolve") == 0) {
		const char *status = verb[0] == 'c'			? "closed"
				     : verb[0] == 'r' && verb[2] == 'o' ? "reopened"
				     : verb[0] == 'r'			? "resolved"
									: NULL;
		char *note = NULL;
		if (!status) {
			char *sp = strchr(rest, ' ');
			if (sp) {
				*sp = '\0';
				note = sp + 1;
			}
			status = rest;
		} else if (strcmp(status, "resolved") == 0) {
			if (!*rest) {
				tui_message(t, 1, "%s", _("usage: :resolve RESOLUTION"));
				rc = PK_EUSAGE;
				goto out;
			}
			pk_ticket_put(t->db, ch, "resolution", rest, 0);
		}
		if (!*status) {
			tui_message(t, 1, "%s", _("usage: :move STATUS [NOTE]"));
			rc = PK_EUSAGE;
			goto out;
		}
		if ((rc = pk_ticket_put(t->db, ch, "status", status, 0)) != PK_OK) {
			tui_fail(t, rc);
			goto out;
		}
		rc = save(t, tk, ch, note, _("moved"));
	} else if (strcmp(verb, "set") == 0) {
		char *save_ptr = NULL;
		int n = 0;
		for (char *kv = strtok_r(rest, " ", &save_ptr); kv && rc == PK_OK;
		     kv = strtok_r(NULL, " ", &save_ptr), n++) {
			char *eq = strchr(kv, '=');
			if (!eq) {
				tui_message(t, 1, _("'%s' is not FIELD=VALUE"), kv);
				rc = PK_EUSAGE;
				break;
			}
			*eq = '\0';
			const char *value = strcmp(kv, "assignee") == 0 && strcmp(eq + 1, "me") == 0
						    ? t->user
						    : eq + 1;
			if ((rc = pk_ticket_put(t->db, ch, kv, value, 0)) != PK_OK)
				tui_fail(t, rc);
		}
		if (rc == PK_OK && n == 0) {
			tui_message(t, 1, "%s", _("usage: :set FIELD=VALUE..."));
			rc = PK_EUSAGE;
		}
		if (rc == PK_OK)
			rc = save(t, tk, ch, NULL, _("updated"));
	} else {
		/* comment, note, worklog */
		const char *kind = verb[0] == 'c'   ? "public"
				   : verb[0] == 'n' ? "internal"
						    : "worklog";
		long long minutes = 0;
		const char *body = rest;
		if (strcmp(kind, "worklog") == 0) {
			char *sp = strchr(rest, ' ');
			if (sp)
				*sp = '\0';
			if (pk_parse_int(rest, 0, 100000, &minutes) != 0 || !sp) {
				tui_message(t, 1, "%s", _("usage: :worklog MINUTES TEXT"));
				rc = PK_EUSAGE;
				goto out;
			}
			body = sp + 1;
		}
		rc = pk_comment_add(t->db, tk, kind, body, (int)minutes, NULL, 0, NULL);
		if (rc != PK_OK) {
			tui_fail(t, rc);
		} else {
			if (minutes)
				tui_message(t, 0, _("%s: %lld min logged"), tk->ref, minutes);
			else if (strcmp(kind, "internal") == 0)
				tui_message(t, 0, _("%s: note added"), tk->ref);
			else
				tui_message(t, 0, _("%s: comment added"), tk->ref);
			tui_changed(t);
		}
	}
out:
	pk_change_free(&ch);
	pk_ticket_free(&tk);
	free(copy);
	return rc;
}
