/* Bundles and a desk's database: which events go out, and merging those
 * that come in. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "picket/bundle.h"
#include "picket/change.h"
#include "picket/clock.h"
#include "picket/config.h"
#include "picket/db.h"
#include "picket/i18n.h"
#include "picket/policy.h"
#include "picket/protocol.h"
#include "picket/status.h"

/* meta key of the export cursor: one per receiving site */
static void cursor_key(const char *to, char *out, size_t len)
{
	snprintf(out, len, "bundle_cursor%s%s", to ? ":" : "", to ? to : "");
	for (char *p = out; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

struct exporter {
	struct pk_db *db;
	const struct pk_config *cfg;
	struct pk_bundle_writer *w;
	struct pk_error *err;
	const char *skip_origin;
	int64_t upto;
	int ceiling;
	char last_uuid[PK_UUID_LEN + 1];
	int last_rank;
	struct pk_events lowered; /* a classification change of each record */
	int rc;
};

/* The level of ev's record, remembered for its next events. */
static int level_of(struct exporter *x, const struct pk_event *ev, int *rank)
{
	if (strcmp(ev->entity_uuid, x->last_uuid) != 0) {
		int rc = pk_record_level(x->db, ev->entity, ev->entity_uuid, &x->last_rank);
		if (rc == PK_ENOTFOUND)
			x->last_rank = 0;
		else if (rc != PK_OK)
			return rc;
		memcpy(x->last_uuid, ev->entity_uuid, sizeof(x->last_uuid));
	}
	*rank = x->last_rank;
	return PK_OK;
}

static int stop(struct exporter *x, int rc)
{
	x->rc = rc;
	if (rc != PK_OK && rc != PK_ESIG && rc != PK_EIO)
		*x->err = *pk_db_error(x->db);
	return 1;
}

/* First pass: the records whose level changed in the window. */
static int find_lowered(const struct pk_event *ev, void *data)
{
	struct exporter *x = data;
	if (ev->seq > x->upto)
		return 1;
	if (!ev->create && pk_streq(ev->field, "classification") &&
	    strcmp(ev->entity, "ticket") == 0) {
		for (size_t i = 0; i < x->lowered.n; i++)
			if (strcmp(x->lowered.v[i].entity_uuid, ev->entity_uuid) == 0)
				return 0;
		pk_events_add(&x->lowered, ev);
	}
	return 0;
}

static int write_event(const struct pk_event *ev, void *data)
{
	struct exporter *x = data;
	int rank, rc;
	if (ev->seq > x->upto)
		return 1;
	if (x->skip_origin && strcasecmp(ev->origin, x->skip_origin) == 0)
		return 0;
	if ((rc = level_of(x, ev, &rank)) != PK_OK)
		return stop(x, rc);
	if ((rc = pk_bundle_offer(x->w, ev, rank, x->ceiling, x->err)) != PK_OK) {
		x->rc = rc;
		return 1;
	}
	return 0;
}

/* Calls fn for the events with from < id <= x->upto, a page at a time. */
static int window(struct exporter *x, int64_t from, pk_event_fn fn)
{
	while (x->rc == PK_OK && from < x->upto) {
		int64_t last = from;
		int rc = pk_oplog_after(x->db, from, NULL, 1000, fn, x, &last);
		if (rc != PK_OK)
			return stop(x, rc), x->rc;
		if (last == from)
			break;
		from = last;
	}
	return x->rc;
}

int pk_bundle_export(struct pk_db *db, const char *path, const struct pk_bundle_export *opt,
		     const struct pk_key *key, struct pk_bundle_summary *sum, struct pk_error *err)
{
	const struct pk_config *cfg = pk_db_config(db);
	memset(sum, 0, sizeof(*sum));
	struct exporter x = { .db = db, .cfg = cfg, .err = err, .skip_origin = opt->to };
	x.ceiling = cfg->system_high;
	if (opt->to) {
		if (!pk_key_name_valid(opt->to))
			return pk_error_set(err, PK_EUSAGE, _("'%s' is not a node name"), opt->to);
		if ((x.ceiling = pk_config_site_level(cfg, opt->to)) < 0)
			return pk_error_set(err, PK_ECONFIG,
					    _("the level of site %s is not known: add \"%s = "
					      "LEVEL\" to [sites] in picket.conf"),
					    opt->to, opt->to);
		if (x.ceiling > cfg->system_high)
			x.ceiling = cfg->system_high;
	}
	char mkey[96];
	cursor_key(opt->to, mkey, sizeof(mkey));
	int64_t from = opt->since;
	char *v = NULL;
	if (from < 0) {
		from = 0;
		if (pk_db_meta_get(db, mkey, &v) == PK_OK && v)
			from = atoll(v);
		pk_freep(&v);
	}
	x.upto = pk_oplog_head(db);
	if (x.upto < 0)
		return pk_error_set(err, PK_EDB, "%s", pk_db_error(db)->msg);
	if (from > x.upto)
		from = x.upto;
	int rc = pk_bundle_writer_new(&x.w, err);
	if (rc != PK_OK)
		return rc;
	/* tickets whose level changed since: those lowered below the ceiling
	 * go out whole, with the events held back while they were above it */
	rc = window(&x, from, find_lowered);
	for (size_t i = 0; i < x.lowered.n && rc == PK_OK && from > 0; i++) {
		const struct pk_event *ev = &x.lowered.v[i];
		if ((rc = pk_oplog_record(db, ev->entity, ev->entity_uuid, from, write_event,
					  &x)) != PK_OK)
			stop(&x, rc);
		else
			rc = x.rc;
	}
	/* (what is held back is counted in the window, not here too) */
	int64_t held_before = pk_bundle_held(x.w);
	if (rc == PK_OK)
		rc = window(&x, from, write_event);
	pk_events_free(&x.lowered);
	if (rc == PK_OK) {
		struct pk_bundle_info *info = &sum->info;
		snprintf(info->origin, sizeof(info->origin), "%s", cfg->node);
		snprintf(info->to, sizeof(info->to), "%s", opt->to ? opt->to : "");
		for (char *p = info->to; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		info->created = pk_clock_now();
		snprintf(info->classification, sizeof(info->classification), "%s",
			 cfg->levels[pk_bundle_top(x.w)]);
		info->from = from;
		info->upto = x.upto;
		rc = pk_bundle_finish(x.w, path, info, key, err);
	}
	sum->held = pk_bundle_held(x.w) - held_before;
	pk_bundle_writer_free(&x.w);
	if (rc != PK_OK)
		return rc;
	snprintf(sum->ceiling, sizeof(sum->ceiling), "%s", cfg->levels[x.ceiling]);
	/* the cursor moves on only now the file is there */
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)x.upto);
	int64_t old = 0;
	if (pk_db_meta_get(db, mkey, &v) == PK_OK && v)
		old = atoll(v);
	pk_freep(&v);
	if (x.upto > old &&
	    ((rc = pk_db_begin(db)) != PK_OK || (rc = pk_db_meta_set(db, mkey, buf)) != PK_OK ||
	     (rc = pk_db_commit(db)) != PK_OK)) {
		pk_db_rollback(db);
		return pk_error_set(err, rc,
				    _("the bundle is written, but its cursor was not kept: %s"),
				    pk_db_error(db)->msg);
	}
	return PK_OK;
}

/* --- import --- */

/* Refuses the import when a record it touched is now above system-high. */
static int check_levels(struct pk_db *db, const struct pk_events *touched, struct pk_error *err)
{
	const struct pk_config *cfg = pk_db_config(db);
	for (size_t i = 0; i < touched->n; i++) {
		const struct pk_event *ev = &touched->v[i];
		int rank, rc = pk_record_level(db, ev->entity, ev->entity_uuid, &rank);
		if (rc == PK_ENOTFOUND)
			continue;
		if (rc != PK_OK)
			return pk_error_set(err, rc, "%s", pk_db_error(db)->msg);
		if (rank > cfg->system_high)
			return pk_error_set(err, PK_ECLASS,
					    _("%s %s would be %s, above this workstation's "
					      "system-high %s: the bundle is refused"),
					    ev->entity, ev->entity_uuid, cfg->levels[rank],
					    cfg->levels[cfg->system_high]);
	}
	return PK_OK;
}

int pk_bundle_import(struct pk_db *db, const char *path, const struct pk_keyring *trusted,
		     struct pk_bundle_summary *sum, struct pk_error *err)
{
	const struct pk_config *cfg = pk_db_config(db);
	memset(sum, 0, sizeof(*sum));
	struct pk_bundle_reader *r;
	int rc = pk_bundle_open(path, &r, &sum->info, err);
	if (rc != PK_OK)
		return rc;
	const struct pk_bundle_info *info = &sum->info;
	const struct pk_key *signer = NULL;
	int rank = pk_class_rank(cfg, info->classification);
	if (rank < 0)
		rc = pk_error_set(err, PK_ECLASS,
				  _("%s is classified %s, which is not a level here"), path,
				  info->classification);
	else if (rank > cfg->system_high)
		rc = pk_error_set(err, PK_ECLASS,
				  _("%s is classified %s, above this workstation's system-high %s"),
				  path, info->classification, cfg->levels[cfg->system_high]);
	else if (*info->to && strcasecmp(info->to, cfg->node) != 0)
		rc = pk_error_set(err, PK_EINVAL,
				  _("%s was made for site %s; this installation is %s"), path,
				  info->to, cfg->node);
	if (rc == PK_OK)
		rc = pk_bundle_verify(r, trusted, &signer, err);
	if (rc == PK_OK) {
		snprintf(sum->signer, sizeof(sum->signer), "%s", signer ? signer->name : "");
		rc = pk_db_batch_begin(db);
		if (rc != PK_OK)
			*err = *pk_db_error(db);
	}
	if (rc != PK_OK) {
		pk_bundle_close(&r);
		return rc;
	}
	struct pk_events touched = { 0 };
	for (;;) {
		struct pk_event ev;
		int got;
		if ((rc = pk_bundle_next(r, &ev, &got, err)) != PK_OK || !got)
			break;
		enum pk_merge_result res;
		int conflict = 0;
		rc = pk_merge_event(db, &ev, &res, &conflict);
		if (rc != PK_OK) {
			pk_error_set(err, rc, _("%s: %s"), path, pk_db_error(db)->msg);
			pk_event_clear(&ev);
			break;
		}
		if (res == PK_MERGED_DUPLICATE) {
			sum->duplicates++;
		} else {
			sum->imported++;
			if (!touched.n ||
			    strcmp(touched.v[touched.n - 1].entity_uuid, ev.entity_uuid) != 0)
				pk_events_add(&touched, &ev);
		}
		pk_event_clear(&ev);
	}
	pk_bundle_close(&r);
	if (rc == PK_OK)
		rc = check_levels(db, &touched, err);
	pk_events_free(&touched);
	if (rc == PK_OK && (rc = pk_db_commit(db)) != PK_OK)
		*err = *pk_db_error(db);
	else if (rc != PK_OK)
		pk_db_rollback(db);
	if (rc == PK_OK)
		sum->conflicts = pk_conflicts_count(db);
	return rc;
}
