/* Import of JSON lines and CSV: any input imports whole or is refused
 * whole with a message, into a database that stays consistent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "picket/config.h"
#include "picket/db.h"
#include "picket/io.h"
#include "picket/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pk_config *cfg;
	static struct pk_db *db;
	static int runs;
	if (!cfg) {
		setenv("PICKET_NOW", "2026-03-01T09:00:00Z", 1);
		setenv("TZ", "UTC", 1);
		cfg = pk_config_defaults();
	}
	/* a fresh database now and then, so imports do not pile up */
	if (db && ++runs % 200 == 0)
		pk_db_close(&db);
	if (!db) {
		struct pk_error err = { 0 };
		if (pk_db_open(":memory:", PK_DB_CREATE, cfg, "alice", &db, &err) != PK_OK)
			abort();
	}
	if (!size)
		return 0;
	enum pk_format fmt = data[0] % 3 == 0	? PK_FMT_AUTO
			     : data[0] % 3 == 1 ? PK_FMT_JSONL
						: PK_FMT_CSV;
	FILE *f = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "rb");
	if (!f)
		return 0;
	if (size == 1)
		fseek(f, 0, SEEK_END);
	struct pk_import_stats stats = { 0 };
	int rc = pk_import(db, f, fmt, size - 1, NULL, NULL, &stats);
	fclose(f);
	if (rc != PK_OK && !pk_db_error(db)->msg[0])
		abort();
	return 0;
}
