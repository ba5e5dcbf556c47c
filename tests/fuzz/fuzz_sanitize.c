/* The terminal sanitizer: whatever comes in, what goes out has no control
 * character but newline and tab (when kept), no C1 control, and is valid
 * UTF-8 (or ASCII when asked). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picket/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	int flags = data[0] & (PK_SAN_KEEP_NEWLINES | PK_SAN_ASCII);
	struct pk_buf out = { 0 };
	pk_sanitize(&out, (const char *)data + 1, size - 1, flags);
	const unsigned char *p = (const unsigned char *)(out.data ? out.data : "");
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = p[i];
		if ((c < 0x20 && !((flags & PK_SAN_KEEP_NEWLINES) && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			abort();
		if ((flags & PK_SAN_ASCII) && c >= 0x80)
			abort();
		/* C1 controls in UTF-8: C2 80..C2 9F */
		if (c == 0xc2 && i + 1 < out.len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			abort();
	}
	if (out.len && !pk_utf8_valid(out.data, out.len, NULL))
		abort();
	pk_buf_free(&out);
	return 0;
}
