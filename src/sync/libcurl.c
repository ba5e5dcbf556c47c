/* libcurl, opened when a sync first needs it (see libcurl.h). */
#include "libcurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/util.h"

struct pk_curl pk_curl;

/* Debian's two builds of libcurl 4 share one interface */
static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* why libcurl could not be opened; "" when it was */

/* a function's address, as POSIX hands it over (a data pointer) */
#define SYM(field, sym)                                                                            \
	do {                                                                                       \
		void *p = dlsym(lib, sym);                                                         \
		if (!p) {                                                                          \
			snprintf(failure, sizeof(failure),                                         \
				 _("%s has no %s: picket sync needs libcurl 7.85 or later"), name, \
				 sym);                                                             \
			goto fail;                                                                 \
		}                                                                                  \
		memcpy(&pk_curl.field, &p, sizeof(p));                                             \
	} while (0)

static void open_once(void)
{
	void *lib = NULL;
	const char *name = NULL;
	char why[PK_ARRAY_LEN(names)][96] = { "", "" };
	for (size_t i = 0; i < PK_ARRAY_LEN(names) && !lib; i++)
		if (!(lib = dlopen(name = names[i], RTLD_NOW | RTLD_LOCAL)))
			snprintf(why[i], sizeof(why[i]), "%s", dlerror());
	if (!lib) {
		snprintf(failure, sizeof(failure), _("picket sync needs libcurl: %s; %s"), why[0],
			 why[1]);
		return;
	}
	SYM(version_info, "curl_version_info");
	/* CURLOPT_PROTOCOLS_STR (https only) is 7.85's: an older libcurl
	 * would ignore it */
	const curl_version_info_data *v = pk_curl.version_info(CURLVERSION_NOW);
	if (!v || v->version_num < 0x075500) {
		snprintf(failure, sizeof(failure),
			 _("%s is libcurl %s: picket sync needs libcurl 7.85 or later"), name,
			 v ? v->version : "?");
		goto fail;
	}
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_header, "curl_easy_header");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	/* open for the life of the process from here on, even when its
	 * start fails: it may have started the libraries it uses */
	if (pk_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(failure, sizeof(failure), "%s", _("cannot start libcurl"));
	return;
fail:
	dlclose(lib);
}

int pk_curl_open(struct pk_error *err)
{
	pthread_once(&once, open_once);
	return failure[0] ? pk_error_set(err, PK_ERR, "%s", failure) : PK_OK;
}
