#include "picket/i18n.h"

#include <locale.h>
#include <unistd.h>

#include "picket/buildconf.h"

void pk_i18n_init(void)
{
	setlocale(LC_ALL, "");
	/* Run from the build tree, use its catalogues; installed, the system's. */
	const char *dir = PICKET_LOCALEDIR;
	if (access(PICKET_BUILD_LOCALEDIR, R_OK) == 0 &&
	    access(PICKET_LOCALEDIR "/fr/LC_MESSAGES/picket.mo", R_OK) != 0)
		dir = PICKET_BUILD_LOCALEDIR;
	bindtextdomain("picket", dir);
	bind_textdomain_codeset("picket", "UTF-8");
}
