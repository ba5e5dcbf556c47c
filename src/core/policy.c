#include "picket/policy.h"

#include <ctype.h>
#include <string.h>

const char *const pk_ticket_types[] = { "incident", "request", "problem", "change", NULL };
const char *const pk_comment_kinds[] = { "public", "internal", "worklog", NULL };

static int in_list(const char *const *list, const char *s)
{
	if (!s)
		return 0;
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int pk_type_valid(const char *type)
{
	return in_list(pk_ticket_types, type);
}

int pk_comment_kind_valid(const char *kind)
{
	return in_list(pk_comment_kinds, kind);
}

int pk_wf_index(const struct pk_workflow *wf, const char *status)
{
	if (!status)
		return -1;
	for (int i = 0; i < wf->nstatus; i++)
		if (strcmp(wf->status[i], status) == 0)
			return i;
	return -1;
}

int pk_wf_allowed(const struct pk_workflow *wf, const char *from, const char *to)
{
	int i = pk_wf_index(wf, from), j = pk_wf_index(wf, to);
	return i >= 0 && j >= 0 && wf->allowed[i][j];
}

int pk_wf_is_closed(const struct pk_workflow *wf, const char *status)
{
	int i = pk_wf_index(wf, status);
	return i >= 0 && wf->closed[i];
}

void pk_wf_targets(const struct pk_workflow *wf, const char *from, struct pk_buf *out)
{
	int i = pk_wf_index(wf, from);
	int n = 0;
	if (i < 0)
		return;
	for (int j = 0; j < wf->nstatus; j++)
		if (wf->allowed[i][j])
			pk_buf_printf(out, "%s%s", n++ ? " " : "", wf->status[j]);
}

int pk_priority_of(const struct pk_config *cfg, int impact, int urgency)
{
	if (impact < 1 || impact > 4 || urgency < 1 || urgency > 4)
		return 0;
	return cfg->matrix[impact - 1][urgency - 1];
}

int pk_priority_parse(const char *s)
{
	if (!s)
		return 0;
	if (*s == 'P' || *s == 'p')
		s++;
	if (s[0] >= '1' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return 0;
}

/* Level names compare without case, '_' standing for a space, so
 * TOP_SECRET works on a command line. */
static int level_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '_' ? ' ' : (char)toupper((unsigned char)*a);
		char y = *b == '_' ? ' ' : (char)toupper((unsigned char)*b);
		if (x != y)
			return 0;
	}
	return *a == *b;
}

int pk_class_rank(const struct pk_config *cfg, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < cfg->nlevels; i++)
		if (level_eq(cfg->levels[i], name))
			return i;
	return -1;
}
