/* gettext wrappers.  English is the source language. */
#ifndef PICKET_I18N_H
#define PICKET_I18N_H

#include <libintl.h>

#define _(s)	    dgettext("picket", s)
#define N_(s)	    (s)
#define P_(s, p, n) dngettext("picket", s, p, n)

/* Binds the message catalogue (the build tree's when run uninstalled) and
 * sets the locale from the environment.  Cheap; call once at start. */
void pk_i18n_init(void);

#endif
