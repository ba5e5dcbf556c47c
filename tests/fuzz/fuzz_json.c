/* The tree-less JSON reader against jansson: both must agree on what is
 * JSON, except where their rules differ on purpose (pk_json refuses text
 * with a NUL byte and nesting beyond PK_JSON_MAX_DEPTH; jansson refuses
 * integers beyond 64 bits and reals beyond a double).  A string read must
 * come out as valid UTF-8 without NUL. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picket/json.h"
#include "picket/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int depth_over(const uint8_t *p, size_t n)
{
	int d = 0, in_string = 0;
	for (size_t i = 0; i < n; i++) {
		if (in_string) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = 0;
		} else if (p[i] == '"') {
			in_string = 1;
		} else if (p[i] == '[' || p[i] == '{') {
			if (++d > PK_JSON_MAX_DEPTH)
				return 1;
		} else if (p[i] == ']' || p[i] == '}') {
			d--;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct pk_json j;
	pk_json_init(&j, text, size);
	int ours = pk_json_skip(&j, NULL, NULL) == 0 && pk_json_end(&j) == 0;
	if (!ours && !pk_json_error(&j))
		abort();

	json_error_t jerr;
	json_t *v = json_loadb(text, size, JSON_DECODE_ANY, &jerr);
	int theirs = v != NULL;
	json_decref(v);
	int exempt = memchr(data, 0, size) || depth_over(data, size) ||
		     (!theirs && (strstr(jerr.text, "too big") || strstr(jerr.text, "overflow")));
	if (!exempt && ours != theirs)
		abort();

	/* a top-level string reads back as UTF-8 without NUL */
	pk_json_init(&j, text, size);
	if (pk_json_peek(&j) == PK_JSON_STRING) {
		struct pk_buf s = { 0 };
		if (pk_json_string(&j, &s) == 0 &&
		    (!pk_utf8_valid(s.data, s.len, NULL) || strlen(s.data) != s.len))
			abort();
		pk_buf_free(&s);
	}
	return 0;
}
