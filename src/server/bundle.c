/* picketd key and picketd bundle: a central server serving sites with no
 * network by removable media.  The same file format and checks as picket's
 * (picket/bundle.h), against the store: an export reads it as a pull does,
 * an import is one push by the trusted site, judged as any push is. */
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "store.h"
#include "picket/bundle.h"
#include "picket/clock.h"
#include "picket/config.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/protocol.h"
#include "picket/status.h"

#define KEY_NAME "picketd"

static int fail(int rc, const struct pk_error *err)
{
	fprintf(stderr, "picketd: %s\n", err->msg);
	return rc;
}

/* The server's key, made 0600 on first use. */
static int load_key(const struct srv_conf *conf, struct pk_key *k, struct pk_error *err)
{
	int rc = pk_key_load(conf->bundle_key, k, err);
	if (rc != PK_ENOTFOUND)
		return rc;
	if ((rc = pk_key_create(conf->bundle_key, KEY_NAME, err)) != PK_OK)
		return rc;
	fprintf(stderr, _("picketd: made the bundle signing key %s\n"), conf->bundle_key);
	return pk_key_load(conf->bundle_key, k, err);
}

int srv_cmd_key(const struct srv_conf *conf, const char *sub, const char *arg, const char *name)
{
	struct pk_error err = { 0 };
	struct pk_key k;
	int rc;
	if (strcmp(sub, "show") == 0) {
		if ((rc = load_key(conf, &k, &err)) != PK_OK)
			return fail(rc, &err);
		pk_key_wipe(&k);
		pk_key_print(stdout, &k);
		return PK_OK;
	}
	if (strcmp(sub, "list") == 0) {
		struct pk_keyring kr;
		if ((rc = pk_keyring_load(conf->trusted_keys, &kr, &err)) != PK_OK)
			return fail(rc, &err);
		pk_keyring_print(stdout, &kr);
		pk_keyring_free(&kr);
		return PK_OK;
	}
	/* trust KEY|FILE */
	if ((rc = pk_key_read_arg(arg, name, &k, &err)) != PK_OK ||
	    (rc = pk_keyring_add(conf->trusted_keys, &k, &err)) != PK_OK)
		return fail(rc, &err);
	char fpr[PK_KEY_FPR_MAX];
	pk_key_fingerprint(k.pub, fpr);
	printf(_("trusted %s as %s (in %s)\n"), fpr, k.name, conf->trusted_keys);
	return PK_OK;
}

/* --- export --- */

struct exporter {
	struct srv_store *store;
	struct pk_bundle_writer *w;
	const char *skip_origin;
	int ceiling;
	int rc;
	struct pk_error *err;
};

static int export_event(const struct pk_event *ev, void *data)
{
	struct exporter *x = data;
	int rank = 0;
	if (x->skip_origin && strcasecmp(ev->origin, x->skip_origin) == 0)
		return 0;
	int rc = x->store->ops->level(x->store, ev->entity, ev->entity_uuid, &rank, x->err);
	if (rc == PK_OK || rc == PK_ENOTFOUND)
		rc = pk_bundle_offer(x->w, ev, rank, x->ceiling, x->err);
	x->rc = rc;
	return rc != PK_OK;
}

static int bundle_export(const struct srv_conf *conf, struct srv_store *store, const char *path,
			 int64_t since, const char *to, struct pk_error *err)
{
	const struct pk_config *cls = conf->classes;
	struct exporter x = { .store = store, .skip_origin = to, .err = err };
	x.ceiling = cls->system_high;
	if (to) {
		int level = srv_conf_site_level(conf, to);
		if (!pk_key_name_valid(to))
			return pk_error_set(err, PK_EUSAGE, _("'%s' is not a node name"), to);
		if (level < 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("the level of site %s is not known: add \"%s = "
					      "LEVEL\" to [sites] in %s"),
					    to, to, conf->path);
		x.ceiling = level < x.ceiling ? level : x.ceiling;
	}
	struct pk_key k;
	int rc = load_key(conf, &k, err);
	if (rc == PK_OK)
		rc = pk_bundle_writer_new(&x.w, err);
	int64_t after = since, next = since, head = 0;
	while (rc == PK_OK) {
		rc = store->ops->pull(store, after, 1000, NULL, export_event, &x, &next, &head,
				      err);
		if (rc == PK_OK)
			rc = x.rc;
		if (rc != PK_OK || next <= after || next >= head)
			break;
		after = next;
	}
	if (rc == PK_EINVAL)
		rc = pk_error_set(err, PK_EUSAGE, "--since: %s", err->msg);
	struct pk_bundle_info info = { 0 };
	if (rc == PK_OK) {
		snprintf(info.origin, sizeof(info.origin), "%s", k.name);
		snprintf(info.to, sizeof(info.to), "%s", to ? to : "");
		info.created = pk_clock_now();
		snprintf(info.classification, sizeof(info.classification), "%s",
			 cls->levels[pk_bundle_top(x.w)]);
		info.from = since;
		info.upto = next > since ? next : since;
		rc = pk_bundle_finish(x.w, path, &info, &k, err);
	}
	int64_t held = x.w ? pk_bundle_held(x.w) : 0;
	pk_bundle_writer_free(&x.w);
	pk_key_wipe(&k);
	if (rc != PK_OK)
		return rc;
	if (held)
		fprintf(stderr,
			P_("picketd: %lld change held back: its ticket is above %s\n",
			   "picketd: %lld changes held back: their tickets are above %s\n",
			   (unsigned long)held),
			(long long)held, cls->levels[x.ceiling]);
	if (strcmp(path, "-") != 0)
		printf(_("exported %lld events to %s (classification %s; sequences %lld to %lld: "
			 "export --since %lld next)\n"),
		       (long long)info.events, path, info.classification, (long long)info.from,
		       (long long)info.upto, (long long)info.upto);
	return PK_OK;
}

/* --- import and inspect --- */

/* The trusted keys, and the server's own. */
static int load_trusted(const struct srv_conf *conf, struct pk_keyring *kr, struct pk_error *err)
{
	struct pk_key k;
	struct pk_error ignored;
	int rc = pk_keyring_load(conf->trusted_keys, kr, err);
	if (rc == PK_OK && pk_key_load(conf->bundle_key, &k, &ignored) == PK_OK)
		pk_keyring_push(kr, &k);
	return rc;
}

/* Opens and checks a bundle against the trusted keys and the ceiling. */
static int open_checked(const struct srv_conf *conf, const char *path, struct pk_bundle_reader **r,
			struct pk_bundle_info *info, const struct pk_key **signer,
			struct pk_keyring *kr, struct pk_error *err)
{
	int rc = load_trusted(conf, kr, err);
	if (rc != PK_OK)
		return rc;
	if ((rc = pk_bundle_open(path, r, info, err)) != PK_OK)
		return rc;
	int rank = pk_class_rank(conf->classes, info->classification);
	if (rank < 0 || rank > conf->classes->system_high)
		return pk_error_set(err, PK_ECLASS,
				    _("%s is classified %s, above this server's ceiling %s"), path,
				    info->classification, srv_ceiling(conf));
	return pk_bundle_verify(*r, kr, signer, err);
}

static int collect(struct pk_bundle_reader *r, struct pk_events *evs, struct pk_error *err)
{
	int rc, got;
	for (;;) {
		struct pk_event ev;
		if ((rc = pk_bundle_next(r, &ev, &got, err)) != PK_OK || !got)
			return rc;
		if (evs->n == evs->cap) {
			evs->cap = evs->cap ? evs->cap * 2 : 256;
			evs->v = pk_xrealloc(evs->v, evs->cap * sizeof(*evs->v));
		}
		evs->v[evs->n++] = ev;
	}
}

static int bundle_import(const struct srv_conf *conf, struct srv_store *store, const char *path,
			 struct pk_error *err)
{
	struct pk_bundle_reader *r = NULL;
	struct pk_bundle_info info;
	struct pk_keyring kr = { 0 };
	struct pk_events evs = { 0 };
	const struct pk_key *signer = NULL;
	int rc = open_checked(conf, path, &r, &info, &signer, &kr, err);
	if (rc == PK_OK)
		rc = collect(r, &evs, err);
	pk_bundle_close(&r);
	/* one push by the site that signed it: the whole bundle or nothing */
	struct srv_user site = { .role = SRV_SUPERVISOR, .site = 1 };
	if (signer)
		snprintf(site.name, sizeof(site.name), "%s", signer->name);
	pk_keyring_free(&kr);
	struct pk_push_result res = { 0 };
	const char *refusal = NULL;
	if (rc == PK_OK &&
	    (rc = store->ops->push(store, &evs, &site, &res, &refusal, err)) == PK_OK) {
		printf(_("imported %lld events from %s (signed by %s), %lld already here\n"),
		       (long long)res.accepted, info.origin, site.name, (long long)res.duplicates);
		for (size_t i = 0; i < res.nrejected; i++)
			fprintf(stderr, _("picketd: event %s left out: %s\n"), res.rejected[i].uuid,
				res.rejected[i].message);
		pk_push_result_free(&res);
	} else if (rc == PK_EREFUSED && refusal && strcmp(refusal, "above_ceiling") == 0) {
		rc = PK_ECLASS;
	}
	pk_events_free(&evs);
	return rc;
}

static int bundle_inspect(const struct srv_conf *conf, const char *path, struct pk_error *err)
{
	struct pk_bundle_reader *r = NULL;
	struct pk_bundle_info info;
	struct pk_keyring kr = { 0 };
	const struct pk_key *signer = NULL;
	int rc = load_trusted(conf, &kr, err);
	if (rc == PK_OK)
		rc = pk_bundle_open(path, &r, &info, err);
	if (rc != PK_OK) {
		pk_keyring_free(&kr);
		return rc;
	}
	pk_bundle_info_print(stdout, &info);
	rc = pk_bundle_verify(r, &kr, &signer, err);
	if (rc == PK_OK)
		printf(_("signature:      good, by %s\n"), signer->name);
	pk_bundle_close(&r);
	pk_keyring_free(&kr);
	return rc;
}

int srv_cmd_bundle(const struct srv_conf *conf, const char *sub, const char *path, int64_t since,
		   const char *to)
{
	struct pk_error err = { 0 };
	if (strcmp(sub, "inspect") == 0) {
		int rc = bundle_inspect(conf, path, &err);
		return rc == PK_OK ? PK_OK : fail(rc, &err);
	}
	struct srv_store *store = NULL;
	int rc = srv_store_open(conf, &store, &err);
	if (rc == PK_OK)
		rc = strcmp(sub, "export") == 0 ? bundle_export(conf, store, path, since, to, &err)
						: bundle_import(conf, store, path, &err);
	srv_store_close(&store);
	return rc == PK_OK ? PK_OK : fail(rc, &err);
}
