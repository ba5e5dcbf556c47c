/* Who may push what. */
#include "policy.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "picket/config.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/status.h"

int srv_policy_may_push(const struct srv_user *user)
{
	return user->role >= SRV_TECHNICIAN;
}

/* A ticket moving from its group to another: the supervisors' call (a
 * ticket without a group may be given one by anybody). */
static int moves_group(const struct pk_event *ev, const struct srv_record *rec)
{
	if (ev->create || strcmp(ev->entity, "ticket") != 0 || !pk_streq(ev->field, "group") ||
	    !rec->group || !*rec->group)
		return 0;
	json_t *v = json_loads(ev->value ? ev->value : "null", JSON_DECODE_ANY, NULL);
	int moves = !json_is_string(v) || strcmp(json_string_value(v), rec->group) != 0;
	json_decref(v);
	return moves;
}

/* The person a record names as its author or acknowledger, when it is
 * not the one pushing it: comments and handover notes are signed by
 * whoever wrote them; supervisors may carry others' (imports). */
static const char *signed_by_other(const struct pk_event *ev)
{
	const char *member = NULL;
	if (ev->create &&
	    (strcmp(ev->entity, "comment") == 0 || strcmp(ev->entity, "handover_note") == 0))
		member = "author";
	else if (!ev->create && strcmp(ev->entity, "handover_note") == 0 &&
		 pk_streq(ev->field, "acked_by"))
		member = NULL; /* the value itself */
	else
		return NULL;
	static _Thread_local char who[72];
	json_t *v = json_loads(ev->value ? ev->value : "null", JSON_DECODE_ANY, NULL);
	json_t *name = member ? json_object_get(v, member) : v;
	const char *s = json_string_value(name);
	const char *other = NULL;
	if (s && !pk_streq(s, ev->actor)) {
		snprintf(who, sizeof(who), "%.64s", s);
		other = who;
	}
	json_decref(v);
	return other;
}

enum srv_verdict srv_policy_event(const struct srv_user *user, const struct pk_event *ev,
				  const struct srv_record *rec, const char **code,
				  struct pk_error *err)
{
	*code = NULL;
	if (!srv_policy_may_push(user)) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED, _("user %s is a %s and may only pull"), user->name,
			     srv_role_name(user->role));
		return SRV_REFUSE_BATCH;
	}
	if (!user->site && !pk_streq(ev->actor, user->name)) {
		*code = "forged_actor";
		pk_error_set(err, PK_EREFUSED,
			     _("event %s was made by %s; user %s may push only their own events"),
			     ev->uuid, ev->actor ? ev->actor : "", user->name);
		return SRV_REFUSE_BATCH;
	}
	if (user->role >= SRV_SUPERVISOR)
		return SRV_ALLOW;
	if (moves_group(ev, rec)) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED,
			     _("only supervisors reassign tickets across groups"));
		return SRV_REJECT_EVENT;
	}
	if (rec->level >= 0 && rec->new_level >= 0 && rec->new_level < rec->level) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED,
			     _("only supervisors lower a ticket's classification"));
		return SRV_REJECT_EVENT;
	}
	const char *other = signed_by_other(ev);
	if (other) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED,
			     _("only supervisors may send a %s signed by someone else (%s)"),
			     ev->entity, other);
		return SRV_REJECT_EVENT;
	}
	return SRV_ALLOW;
}

enum srv_verdict srv_policy_level(const struct pk_config *cls, const char *entity, const char *uuid,
				  int rank, const char **code, struct pk_error *err)
{
	*code = NULL;
	if (rank <= cls->system_high)
		return SRV_ALLOW;
	*code = "above_ceiling";
	pk_error_set(err, PK_EREFUSED,
		     _("%s %s is %s, above this server's ceiling %s: the push is refused"), entity,
		     uuid, cls->levels[rank], cls->levels[cls->system_high]);
	return SRV_REFUSE_BATCH;
}

int srv_event_level(const struct pk_config *cls, const struct pk_event *ev)
{
	json_t *v = json_loads(ev->value ? ev->value : "null", JSON_DECODE_ANY, NULL);
	const char *name = json_string_value(v);
	int rank = name ? pk_class_rank(cls, name) : -1;
	if (name && rank < 0)
		rank = cls->nlevels - 1; /* unknown here: the most careful reading */
	json_decref(v);
	return rank;
}
