/* libcurl, opened the first time a sync needs it.  Linked into picket,
 * libcurl and the forty libraries it brings cost every command about
 * 11 ms before main() (tests/bench/RESULTS.md, "picket starts without
 * libcurl"), and only sync uses it.  The client calls it through
 * pk_curl, filled by pk_curl_open(). */
#ifndef PICKET_SYNC_LIBCURL_H
#define PICKET_SYNC_LIBCURL_H

#include <curl/curl.h>

struct pk_error;

struct pk_curl {
	curl_version_info_data *(*version_info)(CURLversion age);
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLHcode (*easy_header)(CURL *h, const char *name, size_t index, unsigned int origin,
				 int request, struct curl_header **hout);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *h);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

extern struct pk_curl pk_curl;

/* Opens libcurl and initialises it, once per process: PK_OK, or PK_ERR
 * with err saying what is missing. */
int pk_curl_open(struct pk_error *err);

#endif
