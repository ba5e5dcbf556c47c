/* Configuration files: any bytes load or are refused with PK_ECONFIG and a
 * message; nothing crashes or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "picket/config.h"
#include "picket/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0]) {
		/* a mkstemp template in $TMPDIR, rewritten for each input */
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/picket-fuzz-config-XXXXXX",
			 dir && *dir && strlen(dir) < 32 ? dir : "/tmp");
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		setenv("TZ", "UTC", 1);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct pk_config *cfg = NULL;
	struct pk_error err = { 0 };
	int rc = pk_config_load(path, &cfg, &err);
	if (rc == PK_OK)
		pk_config_free(&cfg);
	else if (rc != PK_ECONFIG || !err.msg[0])
		abort();
	return 0;
}
