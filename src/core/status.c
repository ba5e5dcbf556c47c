#include "picket/status.h"

#include "picket/i18n.h"

const char *pk_strerror(int status)
{
	switch (status) {
#define PK_STATUS_CASE(name, value, text) \
	case value: return _(text);
		PK_STATUS_LIST(PK_STATUS_CASE)
#undef PK_STATUS_CASE
	}
	return _("unknown error");
}

/* The texts above, for xgettext (it cannot see through the X-macro). */
#if 0
N_("success") N_("internal error") N_("usage error") N_("not found")
N_("invalid data") N_("transition refused") N_("database busy or locked")
N_("database unusable") N_("database schema is newer than this program")
N_("configuration error") N_("above the classification ceiling")
N_("input/output error") N_("audit chain broken") N_("invalid query")
N_("network or server unavailable") N_("refused by the server")
N_("sync protocol mismatch") N_("not permitted for this role")
N_("bad, missing or untrusted signature")
#endif
