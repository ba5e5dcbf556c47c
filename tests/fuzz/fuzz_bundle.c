/* Bundle files: whatever the bytes, pk_bundle_open and pk_bundle_verify
 * refuse or accept them with a reason, never crash.  So that mutated
 * events get past the signature to the event reader and the merge, each
 * input is also signed as it is by a fixed key (its header made to name
 * that key), then read through and merged into a database in one
 * transaction, which is rolled back. */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "picket/bundle.h"
#include "picket/config.h"
#include "picket/db.h"
#include "picket/oplog.h"
#include "picket/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const void *a, size_t n, const void *b, size_t m)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(a, 1, n, f) != n || (m && fwrite(b, 1, m, f) != m) || fclose(f) != 0)
		abort();
}

/* Opens, verifies and (when it verifies) merges the bundle at path. */
static void read_bundle(struct pk_db *db, const char *path)
{
	struct pk_bundle_reader *r;
	struct pk_bundle_info info;
	struct pk_error err = { 0 };
	if (pk_bundle_open(path, &r, &info, &err) != PK_OK)
		return;
	if (pk_bundle_verify(r, NULL, NULL, &err) == PK_OK && pk_db_batch_begin(db) == PK_OK) {
		int got = 1, rc = PK_OK;
		int64_t n = 0;
		while (rc == PK_OK && got) {
			struct pk_event ev;
			rc = pk_bundle_next(r, &ev, &got, &err);
			if (rc != PK_OK || !got)
				break;
			enum pk_merge_result res;
			int conflict;
			pk_merge_event(db, &ev, &res, &conflict);
			pk_event_clear(&ev);
			n++;
		}
		/* a verified bundle hands out exactly the events its header counts */
		if (rc == PK_OK && n != info.events)
			abort();
		pk_db_rollback(db);
	}
	pk_bundle_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pk_config *cfg;
	static struct pk_db *db;
	static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	static char path[64], b64key[64];
	if (!cfg) {
		struct pk_error err = { 0 };
		unsigned char seed[crypto_sign_SEEDBYTES] = { 7 };
		if (sodium_init() < 0)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_bin2base64(b64key, sizeof(b64key), pk, sizeof(pk),
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(path, sizeof(path), "/tmp/fuzz-bundle-%d", (int)getpid());
		cfg = pk_config_defaults();
		if (pk_db_open(":memory:", PK_DB_CREATE, cfg, "fuzz", &db, &err) != PK_OK)
			abort();
	}
	/* the bytes as they are */
	write_file(path, data, size, NULL, 0);
	read_bundle(db, path);

	/* the bytes naming our key, signed by it */
	uint8_t *copy = malloc(size + 1);
	memcpy(copy, data, size);
	static const char tag[] = "\"key\":\"";
	uint8_t *at = memmem(copy, size, tag, sizeof(tag) - 1);
	size_t klen = strlen(b64key);
	if (at && (size_t)(at - copy) + sizeof(tag) - 1 + klen <= size)
		memcpy(at + sizeof(tag) - 1, b64key, klen);
	crypto_sign_state st;
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_init(&st);
	crypto_sign_update(&st, copy, size);
	crypto_sign_final_create(&st, sig, NULL, sk);
	char line[160] = "signature ";
	sodium_bin2base64(line + 10, sizeof(line) - 11, sig, sizeof(sig),
			  sodium_base64_VARIANT_ORIGINAL);
	strcat(line, "\n");
	write_file(path, copy, size, line, strlen(line));
	read_bundle(db, path);
	free(copy);
	unlink(path);
	return 0;
}
