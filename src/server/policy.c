/* Who may push what. */
#include "policy.h"

#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"

int srv_policy_may_push(const struct srv_user *user)
{
	return user->role >= SRV_TECHNICIAN;
}

/* A ticket moving to another group: the supervisors' call. */
static int changes_group(const struct pk_event *ev)
{
	return !ev->create && strcmp(ev->entity, "ticket") == 0 && pk_streq(ev->field, "group");
}

enum srv_verdict srv_policy_event(const struct srv_user *user, const struct pk_event *ev,
				  const char **code, struct pk_error *err)
{
	*code = NULL;
	if (!srv_policy_may_push(user)) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED, _("user %s is a %s and may only pull"), user->name,
			     srv_role_name(user->role));
		return SRV_REFUSE_BATCH;
	}
	if (!pk_streq(ev->actor, user->name)) {
		*code = "forged_actor";
		pk_error_set(err, PK_EREFUSED,
			     _("event %s was made by %s; user %s may push only their own events"),
			     ev->uuid, ev->actor ? ev->actor : "", user->name);
		return SRV_REFUSE_BATCH;
	}
	if (changes_group(ev) && user->role < SRV_SUPERVISOR) {
		*code = "forbidden";
		pk_error_set(err, PK_EREFUSED,
			     _("only supervisors reassign tickets across groups"));
		return SRV_REJECT_EVENT;
	}
	return SRV_ALLOW;
}
