/* json.c: the tree-less reader that the sync protocol and the merge read
 * events with.  It must accept exactly what a strict JSON parser accepts
 * (jansson here is the reference), so each case is also checked against
 * jansson where the two have the same rules. */
#include <jansson.h>

#include "unit.h"

#include "picket/json.h"

/* 1 when text is one whole JSON value for pk_json. */
static int valid(const char *text, size_t len)
{
	struct pk_json j;
	pk_json_init(&j, text, len);
	return pk_json_skip(&j, NULL, NULL) == 0 && pk_json_end(&j) == 0;
}

static int jansson_valid(const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	json_decref(v);
	return v != NULL;
}

/* Both readers agree, and on `want`. */
static void expect(const char *text, size_t len, int want)
{
	if (valid(text, len) != want || jansson_valid(text, len) != want)
		fprintf(stderr, "case %.*s: pk_json %d, jansson %d, want %d\n", (int)len, text,
			valid(text, len), jansson_valid(text, len), want);
	assert_int_equal(valid(text, len), want);
	assert_int_equal(jansson_valid(text, len), want);
}

#define ACCEPT(s) expect(s, sizeof(s) - 1, 1)
#define REJECT(s) expect(s, sizeof(s) - 1, 0)

static void test_accepts_json(void **state)
{
	(void)state;
	ACCEPT("null");
	ACCEPT(" true ");
	ACCEPT("false");
	ACCEPT("0");
	ACCEPT("-0");
	ACCEPT("-12");
	ACCEPT("1.5");
	ACCEPT("1e3");
	ACCEPT("-1.25E-2");
	ACCEPT("\"\"");
	ACCEPT("\"caf\xc3\xa9 \\u00e9 \\n \\\" \\\\ \\/ \\b\\f\\r\\t\"");
	ACCEPT("\"\\ud83d\\ude00\"");
	ACCEPT("\"\xf0\x9f\x98\x80\"");
	ACCEPT("[]");
	ACCEPT("{}");
	ACCEPT("[1, [2, [3]], {\"a\": {\"b\": []}}]");
	ACCEPT("\n\t{ \"a\" : 1 , \"b\" : [ ] }\r\n");
	ACCEPT("9223372036854775807");
	ACCEPT("-9223372036854775808");
}

static void test_rejects_what_is_not_json(void **state)
{
	(void)state;
	REJECT("");
	REJECT("   ");
	REJECT("nul");
	REJECT("True");
	REJECT("01");
	REJECT("-");
	REJECT("1.");
	REJECT(".5");
	REJECT("1e");
	REJECT("+1");
	REJECT("0x10");
	REJECT("[1,]");
	REJECT("[,1]");
	REJECT("{,}");
	REJECT("{\"a\":1,}");
	REJECT("{\"a\" 1}");
	REJECT("{\"a\":}");
	REJECT("{1:2}");
	REJECT("[1 2]");
	REJECT("[");
	REJECT("{\"a\":[}");
	REJECT("1 2");
	REJECT("\"open");
	REJECT("\"tab\there\"");
	REJECT("\"bad \\x escape\"");
	REJECT("\"\\u12\"");
	REJECT("\"\\ud83d\"");
	REJECT("\"\\ude00\"");
	REJECT("\"\\ud83d\\u0041\"");
	REJECT("\"\\u0000\"");
	REJECT("\"\xff\"");
	REJECT("\"\xc0\x80\"");
	REJECT("\"\xed\xa0\x80\"");
	REJECT("\"\xe2\x82\"");
	/* NUL bytes in the text itself (jansson stops reading at a NUL after
	 * a value; a message with one is not JSON text) */
	expect("\"a\0b\"", 5, 0);
	assert_int_equal(valid("1\0", 2), 0);
}

static void test_reads_values(void **state)
{
	(void)state;
	const char *text = "{\"s\": \"caf\\u00e9\\ud83d\\ude00\", \"i\": -42, \"b\": true, "
			   "\"n\": null, \"a\": [1, {\"x\": \"y\"}], \"r\": 2.5}";
	struct pk_json j;
	struct pk_buf key = { 0 }, s = { 0 };
	int64_t i = 0;
	int b = 0;
	const char *raw;
	size_t len;
	pk_json_init(&j, text, strlen(text));
	assert_int_equal(pk_json_object(&j), 0);
	assert_int_equal(pk_json_member(&j, &key), 1);
	assert_string_equal(key.data, "s");
	assert_int_equal(pk_json_string(&j, &s), 0);
	assert_string_equal(s.data, "caf\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(pk_json_member(&j, &key), 1);
	assert_int_equal(pk_json_int(&j, &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(pk_json_member(&j, &key), 1);
	assert_int_equal(pk_json_bool(&j, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(pk_json_member(&j, &key), 1);
	assert_int_equal(pk_json_peek(&j), PK_JSON_NULL);
	assert_int_equal(pk_json_null(&j), 0);
	assert_int_equal(pk_json_member(&j, &key), 1);
	assert_string_equal(key.data, "a");
	assert_int_equal(pk_json_skip(&j, &raw, &len), 0);
	assert_int_equal(len, strlen("[1, {\"x\": \"y\"}]"));
	assert_memory_equal(raw, "[1, {\"x\": \"y\"}]", len);
	assert_int_equal(pk_json_member(&j, &key), 1);
	/* a real is not an integer, and the error stays */
	assert_int_equal(pk_json_int(&j, &i), -1);
	assert_non_null(strstr(pk_json_error(&j), "expected an integer"));
	assert_int_equal(pk_json_member(&j, &key), -1);
	pk_buf_free(&key);
	pk_buf_free(&s);
}

static void test_integers_in_range(void **state)
{
	(void)state;
	struct pk_json j;
	int64_t v;
	pk_json_init(&j, "9223372036854775807", 19);
	assert_int_equal(pk_json_int(&j, &v), 0);
	assert_true(v == INT64_MAX);
	pk_json_init(&j, "-9223372036854775808", 20);
	assert_int_equal(pk_json_int(&j, &v), 0);
	assert_true(v == INT64_MIN);
	pk_json_init(&j, "9223372036854775808", 19);
	assert_int_equal(pk_json_int(&j, &v), -1);
	assert_non_null(strstr(pk_json_error(&j), "out of range"));
	pk_json_init(&j, "-99999999999999999999", 21);
	assert_int_equal(pk_json_int(&j, &v), -1);
	/* the error names where it is */
	pk_json_init(&j, "[1, x]", 6);
	assert_int_equal(pk_json_skip(&j, NULL, NULL), -1);
	assert_string_equal(pk_json_error(&j), "expected a value at byte 4");
}

static void test_depth_is_bounded(void **state)
{
	(void)state;
	char deep[2 * (PK_JSON_MAX_DEPTH + 1) + 1];
	for (int i = 0; i <= PK_JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[2 * (PK_JSON_MAX_DEPTH + 1) - 1 - i] = ']';
	}
	deep[2 * (PK_JSON_MAX_DEPTH + 1)] = '\0';
	assert_int_equal(valid(deep, strlen(deep)), 0);
	/* one level less is fine */
	assert_int_equal(valid(deep + 1, strlen(deep) - 2), 1);
}

static void test_members_and_elements(void **state)
{
	(void)state;
	struct pk_json j;
	struct pk_buf key = { 0 };
	int64_t v, sum = 0;
	pk_json_init(&j, "[1,2,3]", 7);
	assert_int_equal(pk_json_array(&j), 0);
	while (pk_json_element(&j) > 0 && pk_json_int(&j, &v) == 0)
		sum += v;
	assert_int_equal(sum, 6);
	assert_int_equal(pk_json_end(&j), 0);
	/* an object is not an array */
	pk_json_init(&j, "{}", 2);
	assert_int_equal(pk_json_array(&j), -1);
	pk_json_init(&j, "{}", 2);
	assert_int_equal(pk_json_object(&j), 0);
	assert_int_equal(pk_json_member(&j, &key), 0);
	assert_int_equal(pk_json_end(&j), 0);
	pk_buf_free(&key);
}

/* Text on lines loses its white space between tokens, the strings' own
 * stays; text on one line is copied as it is. */
/* Strings are scanned eight bytes at a time: a special byte at every
 * place of a word, after every length of plain text, is still seen, and
 * the text read back is the text written. */
static void test_string_scan_every_offset(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out; /* in a string, after the plain text */
		int ok;
	} cases[] = {
		{ "", "", 1 },
		{ "\\\"", "\"", 1 },
		{ "\\\\", "\\", 1 },
		{ "\\n", "\n", 1 },
		{ "\xc3\xa9", "\xc3\xa9", 1 },
		{ "\xe2\x82\xac!", "\xe2\x82\xac!", 1 },
		{ "\x01", NULL, 0 },
		{ "\x1f", NULL, 0 },
		{ "\t", NULL, 0 },
		{ "\x7f", "\x7f", 1 },
		{ "\xff", NULL, 0 },
		{ "\xc3", NULL, 0 },
		{ "\xc0\x80", NULL, 0 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t k = 0; k <= 17; k++) {
			for (size_t tail = 0; tail <= 9; tail += 9) {
				char text[64], want[64];
				size_t n = 0, w = 0;
				text[n++] = '"';
				for (size_t i = 0; i < k; i++)
					text[n++] = want[w++] = (char)('a' + i % 26);
				n += (size_t)sprintf(text + n, "%s", cases[c].in);
				if (cases[c].out)
					w += (size_t)sprintf(want + w, "%s", cases[c].out);
				for (size_t i = 0; i < tail; i++)
					text[n++] = want[w++] = ' ';
				text[n++] = '"';
				want[w] = '\0';
				expect(text, n, cases[c].ok);
				if (!cases[c].ok)
					continue;
				struct pk_json j;
				struct pk_buf got = { 0 };
				pk_json_init(&j, text, n);
				assert_int_equal(pk_json_string(&j, &got), 0);
				assert_string_equal(got.data, want);
				pk_buf_free(&got);
			}
		}
	}
	/* a quote in the middle of a word ends the string there */
	expect("\"abcdefg\"h\"", 12, 0);
	expect("\"abc\"", 5, 1);
}

static void test_one_line(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "{\n  \"title\": \"a  b\",\r\n\t\"n\" : 1 }", "{\"title\":\"a  b\",\"n\":1}" },
		{ "[ \"q\\\" \\\\\" ,\n \"x\\n y\" ]", "[\"q\\\" \\\\\",\"x\\n y\"]" },
		{ "\" \"", "\" \"" },
		{ " null\n", "null" },
		{ "{ \"a\": [1, 2] }", "{ \"a\": [1, 2] }" },
		{ "{}", "{}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the input is JSON, as pk_json_skip() hands it over */
		struct pk_json j;
		pk_json_init(&j, cases[i].in, strlen(cases[i].in));
		assert_int_equal(pk_json_skip(&j, NULL, NULL), 0);
		size_t len = 0;
		char *got = pk_json_one_line(cases[i].in, strlen(cases[i].in), &len);
		assert_string_equal(got, cases[i].want);
		assert_int_equal(len, strlen(cases[i].want));
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_string_scan_every_offset),
		cmocka_unit_test(test_accepts_json),
		cmocka_unit_test(test_rejects_what_is_not_json),
		cmocka_unit_test(test_reads_values),
		cmocka_unit_test(test_integers_in_range),
		cmocka_unit_test(test_depth_is_bounded),
		cmocka_unit_test(test_members_and_elements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
