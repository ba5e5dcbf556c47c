/* text.c: UTF-8 validation, the terminal sanitizer, display widths. */
#include <locale.h>

#include "unit.h"

#include "picket/text.h"

/* --- pk_utf8_valid ------------------------------------------------------ */

static void assert_valid(const char *s, size_t n)
{
	size_t bad = 12345;
	assert_int_equal(pk_utf8_valid(s, n, &bad), 1);
}

static void assert_invalid_at(const char *s, size_t n, size_t at)
{
	size_t bad = 12345;
	assert_int_equal(pk_utf8_valid(s, n, &bad), 0);
	assert_int_equal(bad, at);
}

static void test_utf8_ascii_and_empty(void **state)
{
	(void)state;
	assert_valid("", 0);
	assert_valid("hello, world ~!", 15);
	/* bad may be NULL */
	assert_int_equal(pk_utf8_valid("abc", 3, NULL), 1);
	assert_int_equal(pk_utf8_valid("\xff", 1, NULL), 0);
}

static void test_utf8_multibyte_valid(void **state)
{
	(void)state;
	assert_valid("\xc3\xa9", 2);		     /* U+00E9 e acute */
	assert_valid("\xc2\x80", 2);		     /* U+0080, smallest 2-byte */
	assert_valid("\xdf\xbf", 2);		     /* U+07FF */
	assert_valid("\xe2\x82\xac", 3);	     /* U+20AC euro */
	assert_valid("\xe0\xa0\x80", 3);	     /* U+0800, smallest 3-byte */
	assert_valid("\xe6\x97\xa5\xe6\x9c\xac", 6); /* CJK */
	assert_valid("\xed\x9f\xbf", 3);	     /* U+D7FF, just below surrogates */
	assert_valid("\xee\x80\x80", 3);	     /* U+E000, just above */
	assert_valid("\xf0\x9f\x98\x80", 4);	     /* U+1F600 emoji */
	assert_valid("\xf4\x8f\xbf\xbf", 4);	     /* U+10FFFF, the last */
	const char *mixed = "caf\xc3\xa9 \xe2\x82\xac 42 \xf0\x9f\x98\x80!";
	assert_valid(mixed, strlen(mixed));
}

static void test_utf8_overlong(void **state)
{
	(void)state;
	assert_invalid_at("\xc0\xaf", 2, 0); /* '/' in 2 bytes */
	assert_invalid_at("\xc1\xbf", 2, 0);
	assert_invalid_at("ab\xc0\x80", 4, 2);	      /* overlong NUL */
	assert_invalid_at("\xe0\x80\xaf", 3, 0);      /* '/' in 3 bytes */
	assert_invalid_at("\xe0\x9f\xbf", 3, 0);      /* U+07FF in 3 bytes */
	assert_invalid_at("x\xf0\x80\x80\xaf", 5, 1); /* '/' in 4 bytes */
	assert_invalid_at("\xf0\x8f\xbf\xbf", 4, 0);  /* U+FFFF in 4 bytes */
}

static void test_utf8_surrogates_and_range(void **state)
{
	(void)state;
	assert_invalid_at("\xed\xa0\x80", 3, 0);   /* U+D800 */
	assert_invalid_at("ok\xed\xbf\xbf", 5, 2); /* U+DFFF */
	/* a CESU-8 style surrogate pair */
	assert_invalid_at("\xed\xa0\xbd\xed\xb8\x80", 6, 0);
	assert_invalid_at("\xf4\x90\x80\x80", 4, 0); /* U+110000 */
	assert_invalid_at("\xf5\x80\x80\x80", 4, 0);
	assert_invalid_at("\xf8\x88\x80\x80\x80", 5, 0); /* 5-byte form */
	assert_invalid_at("\xfe", 1, 0);
	assert_invalid_at("abc\xff", 4, 3);
}

static void test_utf8_truncated_and_stray(void **state)
{
	(void)state;
	assert_invalid_at("\xe2\x82", 2, 0); /* euro missing a byte */
	assert_invalid_at("abc\xf0\x9f\x98", 6, 3);
	/* the length given is what counts, not the NUL terminator */
	assert_invalid_at("\xc3\xa9", 1, 0);
	assert_invalid_at("\x80", 1, 0); /* lone continuation */
	assert_invalid_at("a\xbf"
			  "b",
			  3, 1);
	assert_invalid_at("\xc3(", 2, 0); /* lead byte, no continuation */
	assert_invalid_at("\xe2\x28\xa1", 3, 0);
}

static void test_utf8_nul_byte(void **state)
{
	(void)state;
	assert_invalid_at("ab\0cd", 5, 2);
	assert_invalid_at("\0", 1, 0);
	/* a NUL right after a valid multi-byte character */
	assert_invalid_at("\xc3\xa9\0", 3, 2);
}

/* --- pk_sanitize -------------------------------------------------------- */

static char *san(const char *s, size_t n, int flags)
{
	struct pk_buf b = { 0 };
	pk_sanitize(&b, s, n, flags);
	return pk_buf_detach(&b);
}

/* No byte that a terminal would act on: C0 controls (except the newline
 * and tab asked for), DEL, and no C1 control encoded in UTF-8. */
static void assert_harmless(const char *out, int allow_newlines)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		if (allow_newlines && (*p == '\n' || *p == '\t'))
			continue;
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "control byte 0x%02x left in '%s'\n", *p, out);
			fail();
		}
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(stderr, "C1 control left in '%s'\n", out);
			fail();
		}
	}
	assert_int_equal(pk_utf8_valid(out, strlen(out), NULL), 1);
}

static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && (hay[i] | 0x20) == (needle[i] | 0x20))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

static void test_sanitize_plain_text_unchanged(void **state)
{
	(void)state;
	const char *s =
		"Disk full on mx1 (95%) - caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
	char *out = san(s, strlen(s), 0);
	assert_string_equal(out, s);
	free(out);
}

static void test_sanitize_osc_title_sequence(void **state)
{
	(void)state;
	const char *s = "before\x1b]0;pwned\x07"
			"after";
	char *out = san(s, strlen(s), 0);
	assert_null(strchr(out, 0x1b));
	assert_null(strchr(out, 0x07));
	assert_harmless(out, 0);
	/* the text stays visible */
	assert_contains(out, "before");
	assert_contains(out, "]0;pwned");
	assert_contains(out, "after");
	/* ESC and BEL are shown, in caret notation */
	assert_string_equal(out, "before^[]0;pwned^Gafter");
	free(out);
}

static void test_sanitize_csi_clear_screen(void **state)
{
	(void)state;
	const char *s = "\x1b[2J\x1b[H\x1b[31mred\x1b[0m";
	char *out = san(s, strlen(s), 0);
	assert_null(strchr(out, 0x1b));
	assert_harmless(out, 0);
	assert_contains(out, "[2J");
	assert_contains(out, "[31mred");
	assert_string_equal(out, "^[[2J^[[H^[[31mred^[[0m");
	free(out);
}

static void test_sanitize_c1_csi(void **state)
{
	(void)state;
	/* U+009B is the one-character CSI of 8-bit terminals */
	const char *s = "x\xc2\x9b"
			"2Jy";
	char *out = san(s, strlen(s), 0);
	assert_null(strstr(out, "\xc2\x9b"));
	assert_harmless(out, 0);
	assert_true(contains_nocase(out, "009b"));
	assert_string_equal(out, "x<U+009B>2Jy");
	free(out);
}

/* Device control strings, 7-bit (ESC P ... ESC \) and 8-bit (U+0090 ...
 * U+009C): the DECRQSS query that makes some terminals answer on stdin. */
static void test_sanitize_dcs(void **state)
{
	(void)state;
	const char *s = "a\x1bP$qm\x1b\\b\xc2\x90$q\xc2\x9c"
			"c";
	char *out = san(s, strlen(s), 0);
	assert_null(strchr(out, 0x1b));
	assert_harmless(out, 0);
	assert_string_equal(out, "a^[P$qm^[\\b<U+0090>$q<U+009C>c");
	free(out);
}

static void test_sanitize_raw_c1_byte_is_invalid_utf8(void **state)
{
	(void)state;
	const char *s = "a\x9b[2J";
	char *out = san(s, strlen(s), 0);
	assert_string_equal(out, "a\\x9b[2J");
	free(out);
}

static void test_sanitize_bidi_override(void **state)
{
	(void)state;
	/* "Trojan Source": U+202E reverses what follows */
	const char *s = "access\xe2\x80\xae"
			"nimda";
	char *out = san(s, strlen(s), 0);
	assert_null(strstr(out, "\xe2\x80\xae"));
	assert_true(contains_nocase(out, "202e"));
	assert_contains(out, "access");
	assert_contains(out, "nimda");
	assert_string_equal(out, "access<U+202E>nimda");
	free(out);

	const char *others[] = { "\xe2\x80\xaa", "\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x80\x8f",
				 "\xd8\x9c" };
	for (size_t i = 0; i < PK_ARRAY_LEN(others); i++) {
		out = san(others[i], strlen(others[i]), 0);
		assert_null(strstr(out, others[i]));
		assert_true(strlen(out) > 0);
		assert_harmless(out, 0);
		free(out);
	}
}

static void test_sanitize_invalid_bytes_as_hex(void **state)
{
	(void)state;
	char *out = san("ab\xff"
			"cd",
			5, 0);
	assert_string_equal(out, "ab\\xffcd");
	free(out);
	/* a truncated sequence: each byte shown */
	out = san("\xe2\x82", 2, 0);
	assert_string_equal(out, "\\xe2\\x82");
	free(out);
	/* overlong and surrogate forms are invalid too */
	out = san("\xc0\xaf", 2, 0);
	assert_string_equal(out, "\\xc0\\xaf");
	free(out);
	out = san("\xed\xa0\x80", 3, 0);
	assert_null(strstr(out, "\xed\xa0\x80"));
	assert_contains(out, "\\xed");
	assert_harmless(out, 0);
	free(out);
}

static void test_sanitize_newlines_only_when_asked(void **state)
{
	(void)state;
	char *out = san("line1\nline2", 11, 0);
	assert_null(strchr(out, '\n'));
	assert_contains(out, "line1");
	assert_contains(out, "line2");
	assert_harmless(out, 0);
	free(out);

	out = san("line1\nline2\n", 12, PK_SAN_KEEP_NEWLINES);
	assert_string_equal(out, "line1\nline2\n");
	free(out);

	out = san("a\tb", 3, PK_SAN_KEEP_NEWLINES);
	assert_string_equal(out, "a\tb");
	free(out);
	out = san("a\tb", 3, 0);
	assert_null(strchr(out, '\t'));
	free(out);
}

static void test_sanitize_carriage_return_never_kept(void **state)
{
	(void)state;
	/* \r would let text overwrite what the line already shows */
	char *out = san("safe\rEVIL", 9, PK_SAN_KEEP_NEWLINES);
	assert_null(strchr(out, '\r'));
	assert_contains(out, "safe");
	assert_contains(out, "EVIL");
	free(out);
}

static void test_sanitize_other_controls(void **state)
{
	(void)state;
	const char s[] = "a\x01"
			 "b\x08"
			 "c\x7f"
			 "d\x00"
			 "e";
	char *out = san(s, sizeof(s) - 1, PK_SAN_KEEP_NEWLINES);
	assert_harmless(out, 1);
	/* the NUL does not cut the result short */
	assert_string_equal(out, "a^Ab^Hc^?d^@e");
	free(out);
}

static void test_sanitize_ascii_mode(void **state)
{
	(void)state;
	const char *s = "caf\xc3\xa9 \xe6\x97\xa5";
	char *out = san(s, strlen(s), PK_SAN_ASCII);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_true(*p < 0x80);
	assert_contains(out, "caf");
	free(out);
}

static void test_sanitize_appends_and_dup(void **state)
{
	(void)state;
	struct pk_buf b = { 0 };
	pk_buf_puts(&b, "pre:");
	pk_sanitize(&b, "x\x1b", 2, 0);
	assert_true(strncmp(b.data, "pre:x", 5) == 0);
	assert_null(strchr(b.data, 0x1b));
	pk_buf_free(&b);

	char *d = pk_sanitize_dup(NULL, 0);
	assert_string_equal(d, "");
	free(d);
	d = pk_sanitize_dup("t\x1b]0;x\x07", 0);
	assert_null(strchr(d, 0x1b));
	assert_null(strchr(d, 0x07));
	free(d);
}

/* --- widths ------------------------------------------------------------- */

static char *fit(const char *s, int width)
{
	struct pk_buf b = { 0 };
	pk_text_fit(&b, s, width);
	return pk_buf_detach(&b);
}

#define ELLIPSIS "\xe2\x80\xa6"

static void test_width_basic(void **state)
{
	(void)state;
	assert_int_equal(pk_text_width(""), 0);
	assert_int_equal(pk_text_width("abc"), 3);
	assert_int_equal(pk_text_width("caf\xc3\xa9"), 4);
	/* e + combining acute: one column */
	assert_int_equal(pk_text_width("e\xcc\x81"), 1);
}

static void test_width_cjk_double(void **state)
{
	(void)state;
	assert_int_equal(pk_text_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6);
	assert_int_equal(pk_text_width("a\xe6\x97\xa5"
				       "b"),
			 4);
	/* full-width Latin A */
	assert_int_equal(pk_text_width("\xef\xbc\xa1"), 2);
}

static void test_fit_pads_short_text(void **state)
{
	(void)state;
	char *out = fit("abc", 6);
	assert_string_equal(out, "abc   ");
	free(out);
	out = fit("", 3);
	assert_string_equal(out, "   ");
	free(out);
	out = fit("\xe6\x97\xa5", 4);
	assert_string_equal(out, "\xe6\x97\xa5  ");
	free(out);
}

static void test_fit_exact_width_untouched(void **state)
{
	(void)state;
	char *out = fit("abcd", 4);
	assert_string_equal(out, "abcd");
	free(out);
	out = fit("\xe6\x97\xa5\xe6\x9c\xac", 4);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac");
	free(out);
}

static void test_fit_truncates_with_ellipsis(void **state)
{
	(void)state;
	char *out = fit("abcdefgh", 5);
	assert_string_equal(out, "abcd" ELLIPSIS);
	assert_int_equal(pk_text_width(out), 5);
	free(out);
	out = fit("abc", 1);
	assert_string_equal(out, ELLIPSIS);
	free(out);
}

static void test_fit_cjk_never_split(void **state)
{
	(void)state;
	const char *s = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"; /* 6 columns */
	/* 4 columns: one CJK (2) + ellipsis (1) + one space of padding */
	char *out = fit(s, 4);
	assert_string_equal(out, "\xe6\x97\xa5" ELLIPSIS " ");
	assert_int_equal(pk_text_width(out), 4);
	assert_int_equal(pk_utf8_valid(out, strlen(out), NULL), 1);
	free(out);
	out = fit(s, 5);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac" ELLIPSIS);
	assert_int_equal(pk_text_width(out), 5);
	free(out);
}

static void test_fit_every_width_exact(void **state)
{
	(void)state;
	const char *s = "Disk \xe6\x97\xa5\xe6\x9c\xac full caf\xc3\xa9";
	int total = pk_text_width(s);
	for (int w = 1; w <= total + 3; w++) {
		char *out = fit(s, w);
		assert_int_equal(pk_text_width(out), w);
		assert_int_equal(pk_utf8_valid(out, strlen(out), NULL), 1);
		if (w < total)
			assert_non_null(strstr(out, ELLIPSIS));
		else
			assert_null(strstr(out, ELLIPSIS));
		free(out);
	}
}

static void test_fit_zero_width(void **state)
{
	(void)state;
	char *out = fit("abc", 0);
	assert_string_equal(out, "");
	free(out);
}

int main(void)
{
	unit_init();
	/* widths need a UTF-8 locale (ctest sets LC_ALL=C.UTF-8) */
	if (!setlocale(LC_ALL, "") || MB_CUR_MAX == 1)
		setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_ascii_and_empty),
		cmocka_unit_test(test_utf8_multibyte_valid),
		cmocka_unit_test(test_utf8_overlong),
		cmocka_unit_test(test_utf8_surrogates_and_range),
		cmocka_unit_test(test_utf8_truncated_and_stray),
		cmocka_unit_test(test_utf8_nul_byte),
		cmocka_unit_test(test_sanitize_plain_text_unchanged),
		cmocka_unit_test(test_sanitize_osc_title_sequence),
		cmocka_unit_test(test_sanitize_csi_clear_screen),
		cmocka_unit_test(test_sanitize_c1_csi),
		cmocka_unit_test(test_sanitize_raw_c1_byte_is_invalid_utf8),
		cmocka_unit_test(test_sanitize_bidi_override),
		cmocka_unit_test(test_sanitize_dcs),
		cmocka_unit_test(test_sanitize_invalid_bytes_as_hex),
		cmocka_unit_test(test_sanitize_newlines_only_when_asked),
		cmocka_unit_test(test_sanitize_carriage_return_never_kept),
		cmocka_unit_test(test_sanitize_other_controls),
		cmocka_unit_test(test_sanitize_ascii_mode),
		cmocka_unit_test(test_sanitize_appends_and_dup),
		cmocka_unit_test(test_width_basic),
		cmocka_unit_test(test_width_cjk_double),
		cmocka_unit_test(test_fit_pads_short_text),
		cmocka_unit_test(test_fit_exact_width_untouched),
		cmocka_unit_test(test_fit_truncates_with_ellipsis),
		cmocka_unit_test(test_fit_cjk_never_split),
		cmocka_unit_test(test_fit_every_width_exact),
		cmocka_unit_test(test_fit_zero_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
