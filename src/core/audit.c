/* The hash-chained history.  Each entry's hash is BLAKE2b-256 over the
 * previous entry's hash and this entry's fields, each length-prefixed, so
 * changing, removing or inserting an entry breaks every later link. */
#include "picket/audit.h"

#include <sodium.h>
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

int pk_history_append(struct pk_db *db, const char *entity, const char *uuid, const char *field,
		      const char *old_value, const char *new_value)
{
	int rc;
	if (!db->have_last_hash) {
		int64_t last;
		if ((rc = load_head(db, &last)) != PK_OK)
			return rc;
		db->history_next = last + 1;
		db->have_last_hash = 1;
	}
	int64_t at = pk_clock_now();
	unsigned char h[HASH_LEN];
	hash_entry(h, db->last_hash, db->history_next, at, db->user, entity, uuid, field, old_value,
		   new_value);

	sqlite3_stmt *st = pk_db_stmt(
		db, "INSERT INTO history(id, at, actor, entity, entity_uuid, field, old_value, "
		    "new_value, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		return db->err.code;
	sqlite3_bind_int64(st, 1, db->history_next);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, db->user, -1, SQLITE_STATIC);
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
	return PK_OK;
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
	if (res->first_bad)
		return pk_error_set(&db->err, PK_EAUDIT, _("history entry %lld is broken: %s"),
				    (long long)res->first_bad, res->reason);
	if (sqrc != SQLITE_DONE)
		return pk_db_fail(db, sqrc, _("reading the history"));
	return PK_OK;
}
