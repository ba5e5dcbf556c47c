/* clock.c: the PICKET_NOW override, time and duration parsing, formats. */
#include <time.h>

#include "unit.h"

static int restore_clock(void **state)
{
	(void)state;
	clock_restore();
	return 0;
}

static void assert_time(const char *s, int64_t expect)
{
	int64_t t = -12345;
	int rc = pk_time_parse(s, &t);
	if (rc != 0 || t != expect)
		fprintf(stderr, "pk_time_parse('%s'): rc %d, %lld (expected %lld)\n", s, rc,
			(long long)t, (long long)expect);
	assert_int_equal(rc, 0);
	assert_int_equal(t, expect);
}

static void assert_bad_time(const char *s)
{
	int64_t t = 0;
	int rc = pk_time_parse(s, &t);
	if (rc == 0)
		fprintf(stderr, "pk_time_parse('%s') accepted: %lld\n", s ? s : "(null)",
			(long long)t);
	assert_int_not_equal(rc, 0);
}

/* --- the clock ---------------------------------------------------------- */

static void test_now_from_environment(void **state)
{
	(void)state;
	pk_clock_reset();
	assert_int_equal(pk_clock_now(), T_NOW);
	assert_int_equal(pk_clock_now_ms(), T_NOW * 1000);
}

static void test_now_override_changes_after_reset(void **state)
{
	(void)state;
	clock_set("2030-06-15T12:30:00Z");
	assert_int_equal(pk_clock_now(), 1907757000);
	clock_set("@1000");
	assert_int_equal(pk_clock_now(), 1000);
	assert_int_equal(pk_clock_now_ms(), 1000000);
	clock_set("2026-01-01");
	assert_int_equal(pk_clock_now(), 1767225600);
	/* fixed: it does not move */
	assert_int_equal(pk_clock_now(), 1767225600);
}

static void test_now_without_override_is_wall_clock(void **state)
{
	(void)state;
	unsetenv("PICKET_NOW");
	pk_clock_reset();
	int64_t before = (int64_t)time(NULL);
	int64_t now = pk_clock_now();
	int64_t after = (int64_t)time(NULL);
	assert_true(now >= before && now <= after + 1); /* time() may lag a tick */
	int64_t ms = pk_clock_now_ms();
	assert_true(ms / 1000 >= before && ms / 1000 <= after + 1);
}

static void test_now_bad_override_ignored(void **state)
{
	(void)state;
	clock_set("not a time");
	int64_t before = (int64_t)time(NULL);
	int64_t now = pk_clock_now();
	assert_true(now >= before && now <= before + 2);
}

/* --- pk_time_parse ------------------------------------------------------ */

static void test_parse_date_only(void **state)
{
	(void)state;
	assert_time("2026-03-01", 1772323200);
	assert_time("1970-01-01", 0);
	assert_time("2000-02-29", 951782400);
	assert_time("2024-02-29", 1709164800);
	assert_time("2026-12-31", 1798675200);
}

static void test_parse_date_time_forms(void **state)
{
	(void)state;
	assert_time("2026-03-01T09:00", T_NOW);
	assert_time("2026-03-01T09:00:00", T_NOW);
	assert_time("2026-03-01T09:00:00Z", T_NOW);
	assert_time("2026-03-01 09:00:00", T_NOW);
	assert_time("2026-03-01 09:00", T_NOW);
	assert_time("2026-03-01T09:00Z", T_NOW);
	assert_time("2026-03-01T23:59:59Z", 1772409599);
}

static void test_parse_offsets(void **state)
{
	(void)state;
	assert_time("2026-03-01T10:00:00+01:00", T_NOW);
	assert_time("2026-03-01T10:00:00+0100", T_NOW);
	assert_time("2026-03-01T04:00:00-05:00", T_NOW);
	assert_time("2026-03-01T14:30:00+05:30", T_NOW);
	assert_time("2026-03-01T09:00:00+00:00", T_NOW);
	/* across midnight */
	assert_time("2026-02-28T23:00:00-10:00", T_NOW);
}

static void test_parse_unix_seconds(void **state)
{
	(void)state;
	assert_time("@1772355600", T_NOW);
	assert_time("@0", 0);
	assert_bad_time("@");
	assert_bad_time("@abc");
	assert_bad_time("@12x");
	assert_bad_time("@1772355600Z");
}

static void test_parse_unix_seconds_overflow(void **state)
{
	(void)state;
	/* strtoll saturates at LLONG_MAX: that must not pass as a time */
	assert_bad_time("@99999999999999999999");
	assert_bad_time("@-99999999999999999999");
}

static void test_parse_invalid_dates(void **state)
{
	(void)state;
	assert_bad_time("2026-02-30");
	assert_bad_time("2026-02-29"); /* 2026 is not a leap year */
	assert_bad_time("2100-02-29"); /* nor is 2100 */
	assert_bad_time("2026-04-31");
	assert_bad_time("2026-13-01");
	assert_bad_time("2026-00-10");
	assert_bad_time("2026-01-00");
	assert_bad_time("2026-01-32");
	assert_bad_time("2026-03-01T24:00");
	assert_bad_time("2026-03-01T09:60");
	assert_bad_time("2026-03-01T09:00:61");
}

static void test_parse_bad_offsets(void **state)
{
	(void)state;
	assert_bad_time("2026-03-01T09:00:00+1");
	assert_bad_time("2026-03-01T09:00:00+01");
	assert_bad_time("2026-03-01T09:00:00+01:0");
	/* RFC 3339: hours 00-23 and minutes 00-59 */
	assert_bad_time("2026-03-01T09:00:00+24:00");
	assert_bad_time("2026-03-01T09:00:00+01:60");
	assert_bad_time("2026-03-01T09:00:00+99:99");
}

static void test_parse_garbage(void **state)
{
	(void)state;
	assert_bad_time(NULL);
	assert_bad_time("");
	assert_bad_time("garbage");
	assert_bad_time("today");
	assert_bad_time("2026-3-1");
	assert_bad_time("2026/03/01");
	assert_bad_time("26-03-01");
	assert_bad_time("2026-03-01x");
	assert_bad_time("2026-03-01 ");
	assert_bad_time("2026-03-01T");
	assert_bad_time("2026-03-01T09");
	assert_bad_time("2026-03-01T09:");
	assert_bad_time("2026-03-01T9:00");
	assert_bad_time("2026-03-01T09:00:");
	assert_bad_time("2026-03-01T09:00:00ZZ");
	assert_bad_time("2026-03-01T09:00:00 Z");
	assert_bad_time(" 2026-03-01");
}

/* --- pk_time_format ----------------------------------------------------- */

static void test_format_known_values(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(pk_time_format(T_NOW, buf, sizeof(buf)), "2026-03-01T09:00:00Z");
	assert_string_equal(pk_time_format(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
	assert_string_equal(pk_time_format(951782400 + 3661, buf, sizeof(buf)),
			    "2000-02-29T01:01:01Z");
	assert_string_equal(pk_time_format(1798761599, buf, sizeof(buf)), "2026-12-31T23:59:59Z");
	/* 21 bytes are enough */
	char small[21];
	assert_string_equal(pk_time_format(T_NOW, small, sizeof(small)), "2026-03-01T09:00:00Z");
}

static void test_format_parse_round_trip(void **state)
{
	(void)state;
	char buf[32];
	/* every few hours over 60 years, odd step so all hours/minutes show */
	for (int64_t t = 0; t < INT64_C(1900000000); t += 7 * 3600 + 13 * 60 + 17) {
		int64_t back = -1;
		pk_time_format(t, buf, sizeof(buf));
		assert_int_equal(pk_time_parse(buf, &back), 0);
		if (back != t)
			fprintf(stderr, "%lld -> %s -> %lld\n", (long long)t, buf, (long long)back);
		assert_int_equal(back, t);
	}
}

/* --- durations ---------------------------------------------------------- */

static void assert_duration(const char *s, int64_t expect)
{
	int64_t d = -1;
	int rc = pk_duration_parse(s, &d);
	if (rc != 0 || d != expect)
		fprintf(stderr, "pk_duration_parse('%s'): rc %d, %lld\n", s, rc, (long long)d);
	assert_int_equal(rc, 0);
	assert_int_equal(d, expect);
}

static void assert_bad_duration(const char *s)
{
	int64_t d = 0;
	int rc = pk_duration_parse(s, &d);
	if (rc == 0)
		fprintf(stderr, "pk_duration_parse('%s') accepted: %lld\n", s ? s : "(null)",
			(long long)d);
	assert_int_not_equal(rc, 0);
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_duration("90s", 90);
	assert_duration("30m", 1800);
	assert_duration("2h", 7200);
	assert_duration("7d", 7 * T_DAY);
	assert_duration("2w", 14 * T_DAY);
	assert_duration("0m", 0);
}

static void test_duration_compound(void **state)
{
	(void)state;
	assert_duration("1d12h", 36 * 3600);
	assert_duration("2h30m", 9000);
	assert_duration("1w1d1h1m1s", 7 * T_DAY + T_DAY + 3661);
}

static void test_duration_invalid(void **state)
{
	(void)state;
	assert_bad_duration(NULL);
	assert_bad_duration("");
	assert_bad_duration("5");
	assert_bad_duration("m");
	assert_bad_duration("5x");
	assert_bad_duration("-5m");
	assert_bad_duration("1.5h");
	assert_bad_duration("2h30");
	assert_bad_duration(" 5m");
	assert_bad_duration("5m ");
	assert_bad_duration("5M");
	assert_bad_duration("999999999999d");
}

/* --- ages --------------------------------------------------------------- */

static void assert_age(int64_t s, const char *expect)
{
	char buf[32];
	assert_string_equal(pk_age_format(s, buf, sizeof(buf)), expect);
}

static void test_age_format(void **state)
{
	(void)state;
	assert_age(0, "0s");
	assert_age(45, "45s");
	assert_age(59, "59s");
	assert_age(60, "1m");
	assert_age(12 * 60 + 59, "12m");
	assert_age(3599, "59m");
	assert_age(3600, "1h");
	assert_age(3 * 3600 + 1800, "3h");
	assert_age(T_DAY - 1, "23h");
	assert_age(T_DAY, "1d");
	assert_age(5 * T_DAY, "5d");
	assert_age(13 * T_DAY, "13d");
	assert_age(14 * T_DAY, "2w");
	assert_age(8 * 7 * T_DAY, "8w");
}

static void test_age_negative(void **state)
{
	(void)state;
	assert_age(-45, "-45s");
	assert_age(-300, "-5m");
	assert_age(-2 * T_DAY, "-2d");
}

int main(void)
{
	unit_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_now_from_environment, restore_clock),
		cmocka_unit_test_teardown(test_now_override_changes_after_reset, restore_clock),
		cmocka_unit_test_teardown(test_now_without_override_is_wall_clock, restore_clock),
		cmocka_unit_test_teardown(test_now_bad_override_ignored, restore_clock),
		cmocka_unit_test(test_parse_date_only),
		cmocka_unit_test(test_parse_date_time_forms),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_unix_seconds),
		cmocka_unit_test(test_parse_unix_seconds_overflow),
		cmocka_unit_test(test_parse_invalid_dates),
		cmocka_unit_test(test_parse_bad_offsets),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_format_known_values),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_compound),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_age_format),
		cmocka_unit_test(test_age_negative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
