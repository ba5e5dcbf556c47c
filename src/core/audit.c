/* The hash-chained history.  Each entry's hash is BLAKE2b-256 over the
 * previous entry's hash and this entry's fields, each length-prefixed, so
 * changing, removing or inserting an entry breaks every later link. */
#include "picket/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define HASH_LEN 32

static void hash_field(crypto_generichash_state *s, const void *p, size_t n, int is_null)
{
	unsigned char len[9];
	uint64_t v = is_null ? UINT64_MAX : n;
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(v >> (8 * i));
	crypto_generichash_update(s, len, 8);
	if (!is_null && n)
		crypto_generichash_update(s, p, n);
}

static void hash_text(crypto_generichash_state *s, const char *t)
{
	hash_field(s, t, t ? strlen(t) : 0, t == NULL);
}

static void hash_entry(unsigned char out[HASH_LEN], const unsigned char prev[HASH_LEN], int64_t id,
		       int64_t at, const char *actor, const char *entity, const char *uuid,
		       const char *field, const char *old_value, const char *new_value)
{
	crypto_generichash_state s;
	char num[48];
	crypto_generichash_init(&s, NULL, 0, HASH_LEN);
	crypto_generichash_update(&s, prev, HASH_LEN);
	snprintf(num, sizeof(num), "%lld:%lld", (long long)id, (long long)at);
	hash_text(&s, num);
	hash_text(&s, actor);
	hash_text(&s, entity);
	hash_text(&s, uuid);
	hash_text(&s, field);
	hash_text(&s, old_value);
	hash_text(&s, new_value);
	crypto_generichash_final(&s, out, HASH_LEN);
}

static int load_head(struct pk_db *db, int64_t *last_id)
{
	sqlite3_stmt *st = pk_db_stmt(db, "SELECT id, hash FROM history ORDER BY id DESC LIMIT 1");
	if (!st)
		return db->err.code;
	int rc = sqlite3_step(st);
	memset(db->last_hash, 0, HASH_LEN);
	*last_id = 0;
	if (rc == SQLITE_ROW) {
		*last_id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == HASH_LEN)
			memcpy(db->last_hash, sqlite3_column_blob(st, 1), HASH_LEN);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pk_db_fail(db, rc, _("reading the history"));
	return PK_OK;
}

static void check_head(struct pk_db *db, int64_t last_id, const unsigned char *last_hash,
		       struct pk_audit_result *res);

int pk_history_append(struct pk_db *db, const char *entity, const char *uuid, const char *field,
		      const char *old_value, const char *new_value)
{
	int rc;
	if (!db->have_last_hash) {
		int64_t last;
		if ((rc = load_head(db, &last)) != PK_OK)
			return rc;
		/* Never extend a chain whose end was cut or rewritten: the new
		 * entries would re-anchor it and hide the tampering. */
		struct pk_audit_result res = { 0 };
		check_head(db, last, db->last_hash, &res);
		if (res.first_bad)
			return pk_error_set(&db->err, PK_EAUDIT,
					    _("the history was altered outside picket (entry %lld: "
					      "%s); changes are refused until an administrator has "
					      "investigated with picket audit verify"),
					    (long long)res.first_bad, res.reason);
		db->history_next = last + 1;
		db->have_last_hash = 1;
	}
	int64_t at = pk_db_change_time(db);
	const char *actor = pk_db_actor(db);
	unsigned char h[HASH_LEN];
	hash_entry(h, db->last_hash, db->history_next, at, actor, entity, uuid, field, old_value,
		   new_value);

	sqlite3_stmt *st = pk_db_stmt(
		db, "INSERT INTO history(id, at, actor, entity, entity_uuid, field, old_value, "
		    "new_value, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, db->history_next);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, old_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, new_value, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, h, HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return pk_db_fail(db, rc, _("writing the history"));
	memcpy(db->last_hash, h, HASH_LEN);
	db->history_next++;
	db->history_dirty = 1;
	return PK_OK;
}

int pk_audit_anchor(struct pk_db *db)
{
	if (!db->history_dirty)
		return PK_OK;
	char head[32 + 2 * HASH_LEN];
	int n = snprintf(head, sizeof(head), "%lld ", (long long)db->history_next - 1);
	sodium_bin2hex(head + n, sizeof(head) - (size_t)n, db->last_hash, HASH_LEN);
	db->history_dirty = 0;
	return pk_db_meta_set(db, "history_head", head);
}

/* Compares the end of the verified chain with the recorded head. */
static void check_head(struct pk_db *db, int64_t last_id, const unsigned char *last_hash,
		       struct pk_audit_result *res)
{
	char *head = NULL;
	if (pk_db_meta_get(db, "history_head", &head) != PK_OK || !head)
		return;
	long long id = 0;
	char hex[2 * HASH_LEN + 1] = "";
	unsigned char want[HASH_LEN];
	if (sscanf(head, "%lld %64s", &id, hex) != 2 ||
	    sodium_hex2bin(want, sizeof(want), hex, strlen(hex), NULL, NULL, NULL) != 0) {
		res->first_bad = last_id ? last_id : 1;
		snprintf(res->reason, sizeof(res->reason),
			 _("the recorded chain head is unreadable"));
	} else if (id > last_id) {
		res->first_bad = last_id + 1;
		snprintf(res->reason, sizeof(res->reason),
			 _("entries %lld to %lld were removed from the end"),
			 (long long)last_id + 1, id);
	} else if (id < last_id) {
		res->first_bad = id + 1;
		snprintf(res->reason, sizeof(res->reason),
			 _("entries after %lld were not written by picket"), id);
	} else if (sodium_memcmp(want, last_hash, HASH_LEN) != 0) {
		res->first_bad = id;
		snprintf(res->reason, sizeof(res->reason),
			 _("the last entry does not match the recorded chain head"));
	}
	free(head);
}

int pk_audit_verify(struct pk_db *db, struct pk_audit_result *res)
{
	memset(res, 0, sizeof(*res));
	sqlite3_stmt *st;
	int rc = pk_db_prepare_once(
		db,
		"SELECT id, at, actor, entity, entity_uuid, field, old_value, new_value, hash "
		"FROM history ORDER BY id",
		&st);
	if (rc != PK_OK)
		return rc;
	unsigned char prev[HASH_LEN] = { 0 }, h[HASH_LEN];
	int64_t expect = 1;
	int sqrc;
	while ((sqrc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		hash_entry(h, prev, id, sqlite3_column_int64(st, 1),
			   (const char *)sqlite3_column_text(st, 2),
			   (const char *)sqlite3_column_text(st, 3),
			   (const char *)sqlite3_column_text(st, 4),
			   (const char *)sqlite3_column_text(st, 5),
			   (const char *)sqlite3_column_text(st, 6),
			   (const char *)sqlite3_column_text(st, 7));
		const void *stored = sqlite3_column_blob(st, 8);
		int bad = sqlite3_column_bytes(st, 8) != HASH_LEN ||
			  sodium_memcmp(stored, h, HASH_LEN) != 0;
		if (id != expect) {
			res->first_bad = id;
			snprintf(res->reason, sizeof(res->reason),
				 _("entries %lld to %lld are missing"), (long long)expect,
				 (long long)id - 1);
			break;
		}
		if (bad) {
			res->first_bad = id;
			snprintf(res->reason, sizeof(res->reason),
				 _("its hash does not match its contents or the entry before it"));
			break;
		}
		memcpy(prev, h, HASH_LEN);
		res->checked++;
		expect++;
	}
	sqlite3_finalize(st);
	if (!res->first_bad && sqrc == SQLITE_DONE)
		check_head(db, expect - 1, prev, res);
	if (res->first_bad)
		return pk_error_set(&db->err, PK_EAUDIT, _("history entry %lld is broken: %s"),
				    (long long)res->first_bad, res->reason);
	if (sqrc != SQLITE_DONE)
		return pk_db_fail(db, sqrc, _("reading the history"));
	return PK_OK;
}
