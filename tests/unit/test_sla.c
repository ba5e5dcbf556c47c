/* calendar.c, sla.c and the SLA upkeep of ticket.c: working-time
 * arithmetic, the pure clock evaluation, the derived columns the change
 * path keeps, `sla:` queries and the [sla]/[calendar] settings.
 *
 * Dates to keep in mind: 2026-03-01 (T_NOW, 09:00Z) is a Sunday, so
 * 2026-03-02/09 are Mondays; Europe/Brussels moves from CET (UTC+1) to
 * CEST (UTC+2) on Sunday 2026-03-29 at 01:00Z and back on Sunday
 * 2026-10-25 at 01:00Z.  Tests named test_* expose defects in the code
 * under test and fail until it is fixed. */
#include <time.h>
#include <unistd.h>

#include "unit.h"

#include "picket/calendar.h"
#include "picket/sla.h"

#define H   INT64_C(3600)
#define MIN INT64_C(60)

#define DB(state)  fx_db(state)
#define CFG(state) (((struct fx *)*(state))->cfg)

static void tz_set(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* Every test starts in TZ=UTC: the built-in business calendar is local. */
static int setup(void **state)
{
	tz_set("UTC");
	return fx_setup(state);
}

static int teardown(void **state)
{
	tz_set("UTC");
	return fx_teardown(state);
}

static int64_t at(const char *iso)
{
	int64_t t = 0;
	assert_int_equal(pk_time_parse(iso, &t), 0);
	return t;
}

/* Compares a UTC time with its ISO 8601 spelling, so failures read well. */
#define assert_time(got, iso)                                      \
	do {                                                       \
		char b_[32];                                       \
		pk_time_format((got), b_, sizeof(b_));             \
		if (strcmp(b_, (iso)) != 0)                        \
			fprintf(stderr, "%s: got %s\n", #got, b_); \
		assert_string_equal(b_, (iso));                    \
	} while (0)

static struct pk_calendar *cal_ok(const char *days, const char *hours, const char *zone,
				  const char *holidays)
{
	struct pk_error err = { 0 };
	struct pk_calendar *c = pk_calendar_new("lab", days, hours, zone, holidays, &err);
	if (!c)
		fprintf(stderr, "pk_calendar_new: %s\n", err.msg);
	assert_non_null(c);
	return c;
}

static int64_t dur(const struct pk_calendar *c, const char *s)
{
	int64_t v = -1;
	assert_int_equal(pk_calendar_duration(c, s, &v), 0);
	return v;
}

/* One calendar fact: work(from, to) == secs and, for ADD rows, also
 * add(from, secs) == to (the earliest such moment). */
struct cal_case {
	const char *from;
	int64_t secs;
	const char *to;
	int add;
};
#define ADD(from, secs, to)  ((struct cal_case){ from, secs, to, 1 })
#define WORK(from, to, secs) ((struct cal_case){ from, secs, to, 0 })

static void check_cases(struct pk_calendar *c, const struct cal_case *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t from = at(cs[i].from), to = at(cs[i].to);
		int64_t w = pk_calendar_work(c, from, to);
		if (w != cs[i].secs)
			fprintf(stderr, "case %zu: work %lld\n", i, (long long)w);
		assert_int_equal(w, cs[i].secs);
		if (cs[i].add)
			assert_time(pk_calendar_add(c, from, cs[i].secs), cs[i].to);
	}
}

/* Runs the cases on a calendar built for them. */
static void check_calendar(const char *days, const char *hours, const char *zone,
			   const char *holidays, const struct cal_case *cs, size_t n)
{
	struct pk_calendar *c = cal_ok(days, hours, zone, holidays);
	check_cases(c, cs, n);
	pk_calendar_free(&c);
	assert_null(c);
}
#define CHECK_CALENDAR(days, hours, zone, holidays, cases) \
	check_calendar(days, hours, zone, holidays, cases, PK_ARRAY_LEN(cases))

/* --- calendars: 24x7 and business hours ---------------------------------- */

static void test_cal_24x7(void **state)
{
	(void)state;
	struct pk_calendar *c = cal_ok(NULL, NULL, NULL, NULL);
	assert_true(pk_calendar_always(c));
	assert_string_equal(pk_calendar_zone(c), "");
	assert_int_equal(pk_calendar_day_length(c), T_DAY);
	assert_int_equal(pk_calendar_work(c, T_NOW, T_NOW - 1), 0);
	const struct cal_case cs[] = {
		ADD("2026-03-01T09:00:00Z", 4 * H, "2026-03-01T13:00:00Z"),
		ADD("2026-03-01T09:00:00Z", 0, "2026-03-01T09:00:00Z"),
		ADD("2026-03-06T17:00:00Z", 3 * T_DAY + 5, "2026-03-09T17:00:05Z"),
	};
	check_cases(c, cs, PK_ARRAY_LEN(cs));
	/* "d" is a whole day on 24x7 */
	assert_int_equal(dur(c, "15m"), 900);
	assert_int_equal(dur(c, "3d"), 3 * T_DAY);
	assert_int_equal(dur(c, "1d4h30m"), T_DAY + 4 * H + 30 * MIN);
	const char *bad[] = { "", "0m", "15", "4x", "h", "1.5h", "-1h", "1w", "1000000000m" };
	int64_t v;
	for (size_t i = 0; i < PK_ARRAY_LEN(bad); i++)
		assert_int_not_equal(pk_calendar_duration(c, bad[i], &v), 0);
	pk_calendar_free(&c);
	/* the same hours with a holiday no longer count every second:
	 * Sunday 09:00-24:00 + Monday off + Tuesday 00:00-09:00 */
	c = cal_ok("all", "00:00-24:00", "UTC", "2026-03-02");
	assert_false(pk_calendar_always(c));
	assert_int_equal(pk_calendar_work(c, T_NOW, T_NOW + 2 * T_DAY), T_DAY);
	pk_calendar_free(&c);
}

static void test_cal_business_weekend(void **state)
{
	(void)state;
	struct pk_calendar *c = cal_ok("mon-fri", "08:00-18:00", NULL, NULL);
	assert_false(pk_calendar_always(c));
	assert_int_equal(pk_calendar_day_length(c), 10 * H);
	assert_int_equal(dur(c, "1d"), 10 * H);
	assert_int_equal(dur(c, "3d"), 30 * H);
	const struct cal_case cs[] = {
		/* Friday 17:00 + 2h: one hour on Friday, one on Monday */
		ADD("2026-03-06T17:00:00Z", 2 * H, "2026-03-09T09:00:00Z"),
		/* seconds 0: the first working moment; a window's end is out */
		ADD("2026-03-07T10:00:00Z", 0, "2026-03-09T08:00:00Z"),
		ADD("2026-03-06T18:00:00Z", 0, "2026-03-09T08:00:00Z"),
		ADD("2026-03-09T07:00:00Z", H, "2026-03-09T09:00:00Z"),
		/* Sunday T_NOW + 4h = Monday 12:00 */
		ADD("2026-03-01T09:00:00Z", 4 * H, "2026-03-02T12:00:00Z"),
		/* 3d from Monday 08:00 ends at Wednesday 18:00, not Thursday 08:00 */
		ADD("2026-03-09T08:00:00Z", 30 * H, "2026-03-11T18:00:00Z"),
		/* a week is five days of ten hours */
		WORK("2026-03-09", "2026-03-16", 50 * H),
	};
	check_cases(c, cs, PK_ARRAY_LEN(cs));
	pk_calendar_free(&c);

	/* no zone = the process's local time, here New York, where DST starts
	 * on Sunday 8 March: Friday 08:00 EST = 13:00Z; Friday 17:00 EST =
	 * 22:00Z + 1h to 18:00 EST, then Monday 08:00 EDT = 12:00Z + 1h */
	tz_set("America/New_York");
	const struct cal_case ny[] = {
		ADD("2026-03-06T12:00:00Z", 0, "2026-03-06T13:00:00Z"),
		ADD("2026-03-06T22:00:00Z", 2 * H, "2026-03-09T13:00:00Z"),
	};
	CHECK_CALENDAR("mon-fri", "08:00-18:00", "", NULL, ny);

	/* "fri-mon" wraps round the week (Fri, Sat, Sun, Mon); names are
	 * case-insensitive */
	const struct cal_case wrap[] = {
		ADD("2026-03-03T10:00:00Z", 0, "2026-03-06T00:00:00Z"),
		WORK("2026-03-05", "2026-03-10", 4 * T_DAY),
	};
	CHECK_CALENDAR("FRI-Mon", NULL, "UTC", NULL, wrap);
	/* Monday, Wednesday, Saturday, Sunday: four hours a week */
	const struct cal_case list[] = { WORK("2026-03-02", "2026-03-09", 4 * H) };
	CHECK_CALENDAR("mon, wed, sat-sun", "09:00-10:00", "", NULL, list);
}

static void test_cal_holidays(void **state)
{
	(void)state;
	/* Monday 9 and Tuesday 10 off (given out of order): Friday 17:00 +
	 * 2h = Wednesday 09:00; only Wednesday works in Mon-Wed */
	const struct cal_case cs[] = {
		ADD("2026-03-06T17:00:00Z", 2 * H, "2026-03-11T09:00:00Z"),
		WORK("2026-03-09", "2026-03-12", 10 * H),
	};
	CHECK_CALENDAR("mon-fri", "08:00-18:00", NULL, "2026-03-10, 2026-03-09", cs);
	/* holidays are local dates: in Tokyo (UTC+9) Friday 18:00 is 09:00Z,
	 * Monday 9 is off, Tuesday 08:00 JST is Monday 23:00Z */
	const struct cal_case tokyo[] = {
		ADD("2026-03-06T09:00:00Z", 0, "2026-03-09T23:00:00Z"),
	};
	CHECK_CALENDAR("mon-fri", "08:00-18:00", "Asia/Tokyo", "2026-03-09", tokyo);
}

static void test_cal_multiple_windows(void **state)
{
	(void)state;
	struct pk_calendar *c = cal_ok("mon-fri", "08:00-12:00, 13:00-17:00", "UTC", NULL);
	assert_int_equal(pk_calendar_day_length(c), 8 * H);
	assert_int_equal(dur(c, "1d"), 8 * H);
	const struct cal_case cs[] = {
		/* 11:00 + 2h: one hour to noon, lunch, one hour from 13:00 */
		ADD("2026-03-02T11:00:00Z", 2 * H, "2026-03-02T14:00:00Z"),
		ADD("2026-03-02T12:00:00Z", 0, "2026-03-02T13:00:00Z"),
		ADD("2026-03-02T12:30:00Z", 30 * MIN, "2026-03-02T13:30:00Z"),
		WORK("2026-03-02T11:30:00Z", "2026-03-02T13:30:00Z", H),
		/* 16:00 + 2h: one hour on Monday, one from Tuesday 08:00 */
		ADD("2026-03-02T16:00:00Z", 2 * H, "2026-03-03T09:00:00Z"),
		/* 1d = both windows of a day */
		ADD("2026-03-02T08:00:00Z", 8 * H, "2026-03-02T17:00:00Z"),
	};
	check_cases(c, cs, PK_ARRAY_LEN(cs));
	pk_calendar_free(&c);
	/* touching windows are fine, four at most: 4 + 1 + 1 + 1 hours */
	c = cal_ok("all", "08:00-12:00,12:00-13:00, 14:00-15:00, 23:00-24:00", "UTC", NULL);
	assert_int_equal(pk_calendar_day_length(c), 7 * H);
	const struct cal_case four[] = {
		ADD("2026-03-02T23:30:00Z", H, "2026-03-03T08:30:00Z"),
	};
	check_cases(c, four, PK_ARRAY_LEN(four));
	pk_calendar_free(&c);
}

/* --- calendars in Europe/Brussels across both DST changes ---------------- */

static void test_cal_brussels_spring(void **state)
{
	(void)state;
	struct pk_calendar *c = cal_ok("mon-fri", "08:00-18:00", "Europe/Brussels", NULL);
	assert_string_equal(pk_calendar_zone(c), "Europe/Brussels");
	const struct cal_case cs[] = {
		/* Friday 27 March 17:00 CET = 16:00Z + 2h = Monday 30 March
		 * 09:00 CEST = 07:00Z */
		ADD("2026-03-27T16:00:00Z", 2 * H, "2026-03-30T07:00:00Z"),
		/* the day starts at 08:00 wall clock on both sides */
		ADD("2026-03-23T00:00:00Z", 0, "2026-03-23T07:00:00Z"),
		ADD("2026-03-30T00:00:00Z", 0, "2026-03-30T06:00:00Z"),
		/* Wednesday 25 08:00 CET + 5d (50h): Wed-Fri 30h, Mon 10h, Tue
		 * 10h = Tuesday 31 18:00 CEST = 16:00Z */
		ADD("2026-03-25T07:00:00Z", 50 * H, "2026-03-31T16:00:00Z"),
		WORK("2026-03-23", "2026-04-06", 100 * H),
	};
	check_cases(c, cs, PK_ARRAY_LEN(cs));
	pk_calendar_free(&c);
	/* Sunday 29 March lasts 23 hours: 00:00 CET = 28th 23:00Z to 00:00
	 * CEST = 29th 22:00Z */
	const struct cal_case day[] = {
		WORK("2026-03-28", "2026-03-31", 23 * H),
		ADD("2026-03-28T00:00:00Z", 0, "2026-03-28T23:00:00Z"),
		ADD("2026-03-28T00:00:00Z", 23 * H, "2026-03-29T22:00:00Z"),
	};
	CHECK_CALENDAR("sun", "00:00-24:00", "Europe/Brussels", NULL, day);
	/* a window around the gap: 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z */
	const struct cal_case around[] = { WORK("2026-03-28", "2026-03-31", 2 * H) };
	CHECK_CALENDAR("sun", "01:00-04:00", "Europe/Brussels", NULL, around);
	/* a window from the skipped 02:00 starts at the change, 01:00Z */
	const struct cal_case from_gap[] = {
		ADD("2026-03-28T00:00:00Z", 0, "2026-03-29T01:00:00Z"),
		WORK("2026-03-28", "2026-03-31", H),
	};
	CHECK_CALENDAR("sun", "02:00-04:00", "Europe/Brussels", NULL, from_gap);
}

static void test_cal_brussels_autumn(void **state)
{
	(void)state;
	const struct cal_case cs[] = {
		/* Friday 23 October 17:00 CEST = 15:00Z + 2h = Monday 26 09:00
		 * CET = 08:00Z */
		ADD("2026-10-23T15:00:00Z", 2 * H, "2026-10-26T08:00:00Z"),
		/* Friday 12:00 CEST + 1d (10h): 6h to 18:00, 4h on Monday =
		 * 12:00 CET, the same wall-clock time an hour later in UTC */
		ADD("2026-10-23T10:00:00Z", 10 * H, "2026-10-26T11:00:00Z"),
	};
	CHECK_CALENDAR("mon-fri", "08:00-18:00", "Europe/Brussels", NULL, cs);
	/* Sunday 25 October lasts 25 hours: 24th 22:00Z to 25th 23:00Z */
	const struct cal_case day[] = {
		WORK("2026-10-24", "2026-10-27", 25 * H),
		ADD("2026-10-24T00:00:00Z", 25 * H, "2026-10-25T23:00:00Z"),
	};
	CHECK_CALENDAR("sun", "00:00-24:00", "Europe/Brussels", NULL, day);
	/* 01:00 CEST = 24th 23:00Z to 04:00 CET = 03:00Z: the repeated hour
	 * counts twice */
	const struct cal_case around[] = { WORK("2026-10-24", "2026-10-27", 4 * H) };
	CHECK_CALENDAR("sun", "01:00-04:00", "Europe/Brussels", NULL, around);
}

/* Regression: clock.h says a time skipped by a DST change
 * "counts as the moment after the change", i.e. 02:30 on 29 March 2026 in
 * Brussels is 03:00 CEST = 01:00Z.  pk_zone_to_utc() returns 01:30Z
 * (03:30 CEST: mktime's shift by the gap), so a window starting in the gap
 * loses its first half hour and a window wholly inside the gap counts
 * working time outside the configured hours. */
static void test_cal_spring_gap_window(void **state)
{
	(void)state;
	/* 02:30-04:00: only 03:00-04:00 CEST exists = 01:00Z-02:00Z */
	const struct cal_case half[] = { WORK("2026-03-28", "2026-03-31", H) };
	CHECK_CALENDAR("sun", "02:30-04:00", "Europe/Brussels", NULL, half);
	/* 02:15-02:45 never happens that day */
	const struct cal_case none[] = { WORK("2026-03-28", "2026-03-31", 0) };
	CHECK_CALENDAR("sun", "02:15-02:45", "Europe/Brussels", NULL, none);
	assert_time(pk_zone_to_utc("Europe/Brussels", 2026, 3, 29, 2, 30), "2026-03-29T01:00:00Z");
}

/* --- calendars: work and add are inverse --------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL; /* fixed seed */

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void test_cal_work_add_inverse(void **state)
{
	(void)state;
	static const char *const defs[][4] = {
		{ NULL, NULL, "UTC", NULL },
		{ "mon-fri", "08:00-18:00", "UTC", "2026-05-01" },
		{ "mon-fri", "08:00-12:00, 13:00-17:00", "Europe/Brussels",
		  "2026-03-30, 2026-10-26, 2026-12-25" },
		/* windows at the day's edges, across New York's 02:00 gap */
		{ "mon, wed, fri-sun", "00:00-03:30, 22:00-24:00", "America/New_York", NULL },
		{ "all", "09:30-17:45", "Australia/Lord_Howe", "2026-04-05" }, /* 30-min DST */
		{ "sun-thu", "07:15-11:00, 11:30-16:00", "Asia/Kolkata", NULL },
	};
	int64_t y2026 = at("2026-01-01");
	for (size_t k = 0; k < PK_ARRAY_LEN(defs); k++) {
		struct pk_calendar *c = cal_ok(defs[k][0], defs[k][1], defs[k][2], defs[k][3]);
		for (int i = 0; i < 400; i++) {
			int64_t from = y2026 + (int64_t)(rng() % (365 * T_DAY));
			int64_t s = (int64_t)(rng() % (120 * H));
			int64_t t = pk_calendar_add(c, from, s);
			int64_t w = pk_calendar_work(c, from, t);
			/* t is the earliest such moment: the second before it works */
			int64_t w1 = s ? pk_calendar_work(c, from, t - 1) : 0;
			if (t < from || w != s || w1 != (s ? s - 1 : 0))
				fprintf(stderr, "calendar %zu: add(%lld, %lld) = %lld\n", k,
					(long long)from, (long long)s, (long long)t);
			assert_true(t >= from);
			assert_int_equal(w, s);
			assert_int_equal(w1, s ? s - 1 : 0);
			/* and the other way round, from any interval */
			int64_t to = from + (int64_t)(rng() % (30 * T_DAY));
			int64_t wt = pk_calendar_work(c, from, to);
			if (wt > 0) {
				int64_t back = pk_calendar_add(c, from, wt);
				assert_true(back <= to);
				assert_int_equal(pk_calendar_work(c, from, back), wt);
				assert_int_equal(pk_calendar_work(c, back, to), 0);
			}
		}
		pk_calendar_free(&c);
	}
}

/* --- calendars: settings refused ----------------------------------------- */

/* Each bad value of one setting is refused, and the message names the
 * calendar and the value. */
static void refused(int which, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v[4] = { NULL, NULL, NULL, NULL };
		struct pk_error err = { 0 };
		v[which] = values[i];
		struct pk_calendar *c = pk_calendar_new("lab", v[0], v[1], v[2], v[3], &err);
		if (c || err.code != PK_ECONFIG)
			fprintf(stderr, "'%s' accepted\n", values[i]);
		assert_null(c);
		assert_int_equal(err.code, PK_ECONFIG);
		assert_contains(err.msg, "lab");
		assert_contains(err.msg, values[i]);
	}
}
#define REFUSED(which, values) refused(which, values, PK_ARRAY_LEN(values))

static void test_cal_invalid_settings(void **state)
{
	(void)state;
	static const char *const days[] = { "monday", "mon-fry", "mon,,fri", "weekdays" };
	static const char *const hours[] = {
		"8-18",
		"08:00-25:00",
		"08:60-09:00",
		"24:30-24:45",
		"18:00-08:00",
		"08:00-08:00",
		"08:00-18:00x",
		"08:00",
		"08:00-12:00, 11:00-17:00", /* overlapping */
		"13:00-17:00, 08:00-12:00", /* out of order */
		"01:00-02:00, 03:00-04:00, 05:00-06:00, 07:00-08:00, 09:00-10:00",
	};
	static const char *const zones[] = { "Mars/Olympus_Mons", "../../etc/passwd",
					     "/usr/share/zoneinfo/UTC", "Europe/Brussels " };
	static const char *const holidays[] = { "2026-02-30",	     "2026-13-01",
						"01/05/2026",	     "2026-5-1",
						"2026-05-01T00:00Z", "2026-05-01 2026-05-02" };
	REFUSED(0, days);
	REFUSED(1, hours);
	REFUSED(2, zones);
	REFUSED(3, holidays);
}

/* --- time zones ---------------------------------------------------------- */

static void test_zone_functions(void **state)
{
	(void)state;
	const char *bx = "Europe/Brussels";
	assert_true(pk_zone_valid(NULL) && pk_zone_valid("") && pk_zone_valid(bx));
	assert_false(pk_zone_valid("Mars/Base") || pk_zone_valid("../zoneinfo/UTC"));
	assert_int_equal(pk_zone_to_utc(NULL, 2026, 3, 1, 9, 0), T_NOW); /* TZ=UTC */
	assert_time(pk_zone_to_utc(bx, 2026, 3, 29, 1, 59), "2026-03-29T00:59:00Z");
	assert_time(pk_zone_to_utc(bx, 2026, 3, 29, 3, 0), "2026-03-29T01:00:00Z");
	assert_time(pk_zone_to_utc(bx, 2026, 10, 25, 12, 0), "2026-10-25T11:00:00Z");
	struct tm tm;
	pk_zone_local(bx, at("2026-03-29T01:00:00Z"), &tm);
	assert_true(tm.tm_hour == 3 && tm.tm_isdst == 1);
	pk_zone_local(bx, at("2026-03-29T00:59:59Z"), &tm);
	assert_true(tm.tm_hour == 1 && tm.tm_min == 59 && tm.tm_isdst == 0);
	/* wall-clock times in the zone; an explicit zone or Unix time stands */
	int64_t t = 0;
	assert_int_equal(pk_zone_time_parse(bx, "2026-03-29T12:00", &t), 0);
	assert_time(t, "2026-03-29T10:00:00Z");
	assert_int_equal(pk_zone_time_parse(bx, "2026-10-25", &t), 0);
	assert_time(t, "2026-10-24T22:00:00Z");
	assert_int_equal(pk_zone_time_parse(bx, "2026-03-29T12:00-05:00", &t), 0);
	assert_time(t, "2026-03-29T17:00:00Z");
	assert_int_not_equal(pk_zone_time_parse(bx, "tomorrow", &t), 0);
	assert_string_equal(getenv("TZ"), "UTC"); /* put back */
}

/* --- pk_sla_evaluate: the pure clock ------------------------------------- */

/* A status mark `off` seconds after T_NOW. */
#define MK(off, status) ((struct pk_sla_mark){ T_NOW + (off), status })

/* Evaluates an incident of priority `prio` created at marks[0].at, `now`
 * and `responded` (0 = none) given as offsets from T_NOW. */
static void eval(void **state, int prio, int64_t responded, const struct pk_sla_mark *m, size_t n,
		 int64_t now, struct pk_sla *s)
{
	struct pk_ticket t = { .type = (char *)"incident",
			       .priority = prio,
			       .created_at = m[0].at,
			       .responded_at = responded ? T_NOW + responded : 0 };
	pk_sla_evaluate(CFG(state), &t, m, n, T_NOW + now, s);
}

/* Checks a clock; due, stopped and breached are offsets from T_NOW, 0
 * for "not set". */
static void clock_is(const char *what, const struct pk_sla_clock *c, int state, int64_t elapsed,
		     int64_t due, int64_t stopped, int64_t breached)
{
#define REL(x) ((x) ? (x)-T_NOW : 0)
	if (c->state != state || c->elapsed != elapsed || REL(c->due) != due ||
	    REL(c->stopped) != stopped || REL(c->breached_at) != breached)
		fprintf(stderr, "%s: %s, elapsed %lld, due %+lld, stopped %+lld, breached %+lld\n",
			what, pk_sla_state_name(c->state), (long long)c->elapsed,
			(long long)REL(c->due), (long long)REL(c->stopped),
			(long long)REL(c->breached_at));
	assert_int_equal(c->state, state);
	assert_int_equal(c->elapsed, elapsed);
	assert_int_equal(REL(c->due), due);
	assert_int_equal(REL(c->stopped), stopped);
	assert_int_equal(REL(c->breached_at), breached);
#undef REL
}
#define CLOCK_IS(c, ...) clock_is(#c, &(c), __VA_ARGS__)

static void test_eval_running(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new") };
	struct pk_sla s;
	eval(state, 1, 0, m, 1, H, &s);
	assert_string_equal(s.policy, "sla.p1");
	assert_string_equal(s.calendar, "24x7");
	assert_true(s.nspans == 1 && s.spans[0].running && s.spans[0].to == T_NOW + H);
	/* respond 15m: overdue since T+15m but still counting */
	assert_int_equal(s.response.target, 15 * MIN);
	CLOCK_IS(s.response, PK_SLA_RUNNING, H, 15 * MIN, 0, 15 * MIN);
	assert_int_equal(s.resolve.target, 4 * H);
	CLOCK_IS(s.resolve, PK_SLA_RUNNING, H, 4 * H, 0, 0);
	assert_string_equal(pk_sla_state_name(s.resolve.state), "running");
	pk_sla_free(&s);
	/* a clock set before the ticket existed reads as its creation */
	eval(state, 1, 0, m, 1, -H, &s);
	assert_int_equal(s.now, T_NOW);
	CLOCK_IS(s.resolve, PK_SLA_RUNNING, 0, 4 * H, 0, 0);
	pk_sla_free(&s);
}

static void test_eval_response_stop(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new") };
	struct pk_sla s;
	/* answered after 10 minutes: met; the resolution clock runs on */
	eval(state, 1, 10 * MIN, m, 1, H, &s);
	CLOCK_IS(s.response, PK_SLA_MET, 10 * MIN, 0, 10 * MIN, 0);
	CLOCK_IS(s.resolve, PK_SLA_RUNNING, H, 4 * H, 0, 0);
	pk_sla_free(&s);
	eval(state, 1, 20 * MIN, m, 1, H, &s);
	CLOCK_IS(s.response, PK_SLA_BREACHED, 20 * MIN, 0, 20 * MIN, 15 * MIN);
	pk_sla_free(&s);
	/* a response after `now` has not happened yet */
	eval(state, 1, 2 * H, m, 1, H, &s);
	assert_int_equal(s.response.state, PK_SLA_RUNNING);
	pk_sla_free(&s);
}

static void test_eval_pause_resume(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new"), MK(H, "pending_customer"),
					 MK(3 * H, "in_progress") };
	struct pk_sla s;
	/* 1h running, 2h waiting for the customer, 1h running: the due time
	 * moves from T+4h to T+6h */
	eval(state, 1, 5 * MIN, m, 3, 4 * H, &s);
	assert_int_equal(s.nspans, 3);
	assert_true(s.spans[0].running && !s.spans[1].running && s.spans[2].running);
	CLOCK_IS(s.resolve, PK_SLA_RUNNING, 2 * H, 6 * H, 0, 0);
	CLOCK_IS(s.response, PK_SLA_MET, 5 * MIN, 0, 5 * MIN, 0);
	pk_sla_free(&s);
	/* while waiting: paused, no due time */
	eval(state, 1, 5 * MIN, m, 2, 2 * H, &s);
	CLOCK_IS(s.resolve, PK_SLA_PAUSED, H, 0, 0, 0);
	pk_sla_free(&s);
	/* paused after the target passed: it stays breached */
	const struct pk_sla_mark late[] = { MK(0, "new"), MK(5 * H, "pending_vendor") };
	eval(state, 1, 0, late, 2, 6 * H, &s);
	CLOCK_IS(s.resolve, PK_SLA_PAUSED, 5 * H, 0, 0, 4 * H);
	CLOCK_IS(s.response, PK_SLA_PAUSED, 5 * H, 0, 0, 15 * MIN);
	pk_sla_free(&s);
	assert_true(pk_sla_pauses(CFG(state), "pending_customer"));
	assert_true(pk_sla_pauses(CFG(state), "pending_vendor"));
	assert_false(pk_sla_pauses(CFG(state), "in_progress"));
	assert_false(pk_sla_pauses(CFG(state), "nonsense"));
}

static void test_eval_reopen_resumes(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new"), MK(H, "resolved"), MK(5 * H, "reopened") };
	struct pk_sla s;
	/* resolved after 1h: met; the response clock stops with it (no
	 * response came) and had breached at T+15m */
	eval(state, 1, 0, m, 2, 2 * H, &s);
	CLOCK_IS(s.resolve, PK_SLA_MET, H, 0, H, 0);
	CLOCK_IS(s.response, PK_SLA_BREACHED, H, 0, H, 15 * MIN);
	pk_sla_free(&s);
	/* reopened at T+5h: the 4h resolved do not count; 3h are left */
	eval(state, 1, 0, m, 3, 6 * H, &s);
	assert_false(s.spans[1].running);
	CLOCK_IS(s.resolve, PK_SLA_RUNNING, 2 * H, 8 * H, 0, 0);
	CLOCK_IS(s.response, PK_SLA_BREACHED, H, 0, H, 15 * MIN);
	pk_sla_free(&s);
}

/* Regression: sla.h: "a resolution without a response stops the
 * response clock too".  Resolved at T+10m without a response (met), then
 * reopened at T+1h and answered at T+2h: the clock must stay stopped at
 * T+10m, met.  pk_sla_evaluate() prefers responded_at to the earlier
 * resolution, counts 10m + 1h of the reopened span and says breached. */
static void test_eval_response_after_reopen(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new"), MK(10 * MIN, "resolved"),
					 MK(H, "reopened") };
	struct pk_sla s;
	eval(state, 1, 0, m, 3, 3 * H, &s);
	CLOCK_IS(s.response, PK_SLA_MET, 10 * MIN, 0, 10 * MIN, 0);
	pk_sla_free(&s);
	eval(state, 1, 2 * H, m, 3, 3 * H, &s);
	CLOCK_IS(s.response, PK_SLA_MET, 10 * MIN, 0, 10 * MIN, 0);
	pk_sla_free(&s);
}

/* Regression: a resolved ticket that is then closed
 * reports its resolution clock stopped at the closure (T+3h), not at the
 * resolution (T+1h) as sla.h describes `stopped`. */
static void test_eval_closed_stop_time(void **state)
{
	const struct pk_sla_mark m[] = { MK(0, "new"), MK(H, "resolved"), MK(3 * H, "closed") };
	struct pk_sla s;
	eval(state, 1, 5 * MIN, m, 3, 4 * H, &s);
	CLOCK_IS(s.resolve, PK_SLA_MET, H, 0, H, 0);
	pk_sla_free(&s);
}

static void test_eval_met_or_breached(void **state)
{
	struct pk_sla s;
	/* P2: respond 30m, resolve 8h; exactly on target is met */
	const struct pk_sla_mark on[] = { MK(0, "new"), MK(8 * H, "resolved") };
	eval(state, 2, 30 * MIN, on, 2, 9 * H, &s);
	assert_int_equal(s.resolve.state, PK_SLA_MET);
	assert_int_equal(s.resolve.elapsed, 8 * H);
	assert_int_equal(s.response.state, PK_SLA_MET);
	assert_string_equal(pk_sla_state_name(s.response.state), "met");
	pk_sla_free(&s);
	/* one second late */
	const struct pk_sla_mark late[] = { MK(0, "new"), MK(8 * H + 1, "resolved") };
	eval(state, 2, 30 * MIN + 1, late, 2, 9 * H, &s);
	CLOCK_IS(s.resolve, PK_SLA_BREACHED, 8 * H + 1, 0, 8 * H + 1, 8 * H);
	CLOCK_IS(s.response, PK_SLA_BREACHED, 30 * MIN + 1, 0, 30 * MIN + 1, 30 * MIN);
	assert_string_equal(pk_sla_state_name(s.resolve.state), "breached");
	pk_sla_free(&s);
}

static void test_eval_priority_change(void **state)
{
	/* the same life told with each priority: targets from the start */
	const struct pk_sla_mark m[] = { MK(0, "new") };
	struct pk_sla s;
	eval(state, 1, 0, m, 1, 10 * MIN, &s);
	assert_int_equal(s.response.due, T_NOW + 15 * MIN);
	assert_int_equal(s.resolve.due, T_NOW + 4 * H);
	pk_sla_free(&s);
	/* P3 on business hours (TZ=UTC), created on a Sunday: nothing counts
	 * yet; respond 4h = Monday 12:00; resolve 3d = 30h = Wednesday 18:00 */
	eval(state, 3, 0, m, 1, 10 * MIN, &s);
	assert_string_equal(s.policy, "sla.p3");
	assert_string_equal(s.calendar, "business");
	assert_true(s.response.target == 4 * H && s.resolve.target == 30 * H);
	assert_int_equal(s.response.elapsed, 0);
	assert_time(s.response.due, "2026-03-02T12:00:00Z");
	assert_time(s.resolve.due, "2026-03-04T18:00:00Z");
	pk_sla_free(&s);
	/* P4: respond 1d = Monday 18:00; resolve 5d = Friday 18:00 */
	eval(state, 4, 0, m, 1, 10 * MIN, &s);
	assert_time(s.response.due, "2026-03-02T18:00:00Z");
	assert_time(s.resolve.due, "2026-03-06T18:00:00Z");
	pk_sla_free(&s);
}

static void test_eval_crossing_and_next(void **state)
{
	const struct pk_config *cfg = CFG(state);
	const int *levels;
	assert_int_equal(pk_sla_warn_levels(cfg, &levels), 2);
	assert_true(levels[0] == 75 && levels[1] == 90);
	const struct pk_sla_mark m[] = { MK(0, "new") };
	struct pk_sla s;
	eval(state, 1, 0, m, 1, 5 * MIN, &s);
	/* 75%, 90% and 100% of 15m (675s, 810s, 900s) and of 4h */
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.response, 75), T_NOW + 675);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.response, 90), T_NOW + 810);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.response, 100), T_NOW + 900);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.resolve, 75), T_NOW + 3 * H);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.resolve, 90), T_NOW + 3 * H + 36 * MIN);
	/* the next moment of either clock after `after` */
	assert_int_equal(pk_sla_next(cfg, &s, 0), T_NOW + 675);
	assert_int_equal(pk_sla_next(cfg, &s, T_NOW + 675), T_NOW + 810);
	assert_int_equal(pk_sla_next(cfg, &s, T_NOW + 900), T_NOW + 3 * H);
	assert_int_equal(pk_sla_next(cfg, &s, T_NOW + 3 * H + 36 * MIN), T_NOW + 4 * H);
	assert_int_equal(pk_sla_next(cfg, &s, T_NOW + 4 * H), 0);
	pk_sla_free(&s);
	/* a pause pushes a crossing by its length, a stopped clock (the
	 * response) has none: 75% of 4h = 1h before the pause + 2h from T+3h */
	const struct pk_sla_mark p[] = { MK(0, "new"), MK(H, "pending_customer"),
					 MK(3 * H, "in_progress") };
	eval(state, 1, 5 * MIN, p, 3, 3 * H + 30 * MIN, &s);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.resolve, 75), T_NOW + 5 * H);
	assert_int_equal(pk_sla_next(cfg, &s, 0), T_NOW + 5 * H);
	pk_sla_free(&s);
	/* paused before 75%: not reached */
	eval(state, 1, 5 * MIN, p, 2, 2 * H, &s);
	assert_int_equal(pk_sla_crossing(cfg, &s, &s.resolve, 75), 0);
	assert_int_equal(pk_sla_next(cfg, &s, 0), 0);
	pk_sla_free(&s);
	/* business hours: 75% of P3's 4h = Monday 11:00 */
	eval(state, 3, 0, m, 1, 5 * MIN, &s);
	assert_time(pk_sla_crossing(cfg, &s, &s.response, 75), "2026-03-02T11:00:00Z");
	pk_sla_free(&s);
}

/* --- the engine: derived columns on the tickets table -------------------- */

static int move(struct pk_db *db, const char *ref, const char *status, const char *field,
		const char *value)
{
	struct pk_ticket *t = ticket_get(db, ref);
	struct pk_change *ch = pk_change_update(&pk_ticket_entity, t->uuid);
	int rc = field ? pk_ticket_put(db, ch, field, value, 0) : PK_OK;
	if (rc == PK_OK)
		rc = pk_ticket_put(db, ch, "status", status, 0);
	if (rc == PK_OK)
		rc = pk_ticket_save(db, t, ch, NULL);
	if (rc != PK_OK)
		fprintf(stderr, "move %s to %s: %s\n", ref, status, pk_db_error(db)->msg);
	pk_change_free(&ch);
	pk_ticket_free(&t);
	return rc;
}

static void to_status(struct pk_db *db, const char *ref, const char *status)
{
	assert_int_equal(move(db, ref, status, NULL, NULL), PK_OK);
}

static void resolve(struct pk_db *db, const char *ref)
{
	assert_int_equal(move(db, ref, "resolved", "resolution", "fixed"), PK_OK);
}

static void comment(struct pk_db *db, const char *ref, const char *kind, int64_t when)
{
	struct pk_ticket *t = ticket_get(db, ref);
	assert_int_equal(pk_comment_add(db, t, kind, "Looking", 0, NULL, when, NULL), PK_OK);
	pk_ticket_free(&t);
}

static void assign(struct pk_db *db, const char *ref, const char *user)
{
	struct pk_ticket *t = ticket_get(db, ref);
	assert_int_equal(pk_ticket_assign(db, t, user), PK_OK);
	pk_ticket_free(&t);
}

/* An integer column of a ticket (0 for NULL). */
static int64_t column(struct pk_db *db, const char *ref, const char *col)
{
	char *sql = pk_xasprintf("SELECT %s FROM tickets WHERE ref = '%s'", col, ref);
	int64_t v = sql_int(db, sql);
	free(sql);
	return v;
}

/* Checks the stored due times of a ticket (0 = NULL). */
static void dues_are(struct pk_db *db, const char *ref, int64_t response, int64_t resolve,
		     int64_t sla)
{
	struct pk_ticket *t = ticket_get(db, ref);
	char got[80], want[80];
	snprintf(got, sizeof(got), "%lld %lld %lld", (long long)t->response_due,
		 (long long)t->resolve_due, (long long)t->sla_due);
	snprintf(want, sizeof(want), "%lld %lld %lld", (long long)response, (long long)resolve,
		 (long long)sla);
	assert_string_equal(got, want);
	pk_ticket_free(&t);
}

static void outcomes_are(struct pk_db *db, const char *ref, const char *response,
			 const char *resolve)
{
	struct pk_ticket *t = ticket_get(db, ref);
	char *got = pk_xasprintf("%s/%s", t->sla_response ? t->sla_response : "-",
				 t->sla_resolve ? t->sla_resolve : "-");
	char *want = pk_xasprintf("%s/%s", response ? response : "-", resolve ? resolve : "-");
	assert_string_equal(got, want);
	free(got);
	free(want);
	pk_ticket_free(&t);
}

/* The policy that gives a ticket its targets. */
static void policy_is(struct pk_db *db, const char *ref, const char *policy)
{
	struct pk_ticket *t = ticket_get(db, ref);
	struct pk_sla s;
	assert_int_equal(pk_sla_compute(db, t, pk_clock_now(), &s), PK_OK);
	assert_string_equal(s.policy, policy);
	pk_sla_free(&s);
	pk_ticket_free(&t);
}

static void test_engine_create_p1(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Mail down", "priority", "P1", NULL));
	dues_are(db, "TEST-1", T_NOW + 15 * MIN, T_NOW + 4 * H, T_NOW + 15 * MIN);
	outcomes_are(db, "TEST-1", NULL, NULL);
	assert_int_equal(column(db, "TEST-1", "responded_at"), 0);
	/* escalation looks first at 75% of the response target */
	assert_int_equal(column(db, "TEST-1", "sla_next"), T_NOW + 675);
	policy_is(db, "TEST-1", "sla.p1");
	/* the default P3 counts business hours from Monday 08:00 */
	free(ticket_new(db, "Printer", NULL));
	dues_are(db, "TEST-2", at("2026-03-02T12:00:00Z"), at("2026-03-04T18:00:00Z"),
		 at("2026-03-02T12:00:00Z"));
}

static void test_engine_pause_moves_due(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Mail down", "priority", "P1", NULL));
	clock_set("2026-03-01T09:05:00Z");
	comment(db, "TEST-1", "public", 0);
	dues_are(db, "TEST-1", 0, T_NOW + 4 * H, T_NOW + 4 * H);
	/* waiting for the customer from T+1h: no due time while paused */
	clock_set("2026-03-01T10:00:00Z");
	to_status(db, "TEST-1", "pending_customer");
	dues_are(db, "TEST-1", 0, 0, 0);
	/* back after 2 more hours: the 4h target now falls at T+6h */
	clock_set("2026-03-01T12:00:00Z");
	to_status(db, "TEST-1", "in_progress");
	dues_are(db, "TEST-1", 0, T_NOW + 6 * H, T_NOW + 6 * H);
	/* 75% of 4h: 1h before the pause, 2h after it */
	assert_int_equal(column(db, "TEST-1", "sla_next"), T_NOW + 5 * H);
	outcomes_are(db, "TEST-1", "met", NULL);
}

static void test_engine_first_response(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "A", "priority", "P1", NULL));
	free(ticket_new(db, "B", "priority", "P1", NULL));
	free(ticket_new(db, "C", "priority", "P1", NULL));
	/* giving C to someone else is no response; taking it (alice is the
	 * acting user) is */
	clock_set("2026-03-01T09:03:00Z");
	assign(db, "TEST-3", "bob");
	outcomes_are(db, "TEST-3", NULL, NULL);
	clock_set("2026-03-01T09:06:00Z");
	assign(db, "TEST-3", "alice");
	assert_int_equal(column(db, "TEST-3", "responded_at"), T_NOW + 6 * MIN);
	outcomes_are(db, "TEST-3", "met", NULL);
	/* an internal note on A is no response, a public answer is */
	comment(db, "TEST-1", "internal", 0);
	assert_int_equal(column(db, "TEST-1", "responded_at"), 0);
	clock_set("2026-03-01T09:10:00Z");
	comment(db, "TEST-1", "public", 0);
	assert_int_equal(column(db, "TEST-1", "responded_at"), T_NOW + 10 * MIN);
	outcomes_are(db, "TEST-1", "met", NULL);
	dues_are(db, "TEST-1", 0, T_NOW + 4 * H, T_NOW + 4 * H);
	/* the earliest answer wins, whenever it is recorded */
	comment(db, "TEST-1", "public", T_NOW + 7 * MIN);
	comment(db, "TEST-1", "public", T_NOW + 12 * MIN);
	assert_int_equal(column(db, "TEST-1", "responded_at"), T_NOW + 7 * MIN);
	/* B answered after 20 minutes: breached */
	clock_set("2026-03-01T09:20:00Z");
	comment(db, "TEST-2", "public", 0);
	outcomes_are(db, "TEST-2", "breached", NULL);
	dues_are(db, "TEST-2", 0, T_NOW + 4 * H, T_NOW + 4 * H);
}

static void test_engine_resolve_and_reopen(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Mail down", "priority", "P1", NULL));
	free(ticket_new(db, "Slow", "priority", "P1", NULL));
	/* resolved at T+2h without an answer: resolution met, response
	 * breached (stopped by the resolution), nothing left to count */
	clock_set("2026-03-01T11:00:00Z");
	resolve(db, "TEST-1");
	outcomes_are(db, "TEST-1", "breached", "met");
	dues_are(db, "TEST-1", 0, 0, 0);
	assert_int_equal(column(db, "TEST-1", "sla_next"), 0);
	/* reopened at T+5h: 2h left, due at T+7h */
	clock_set("2026-03-01T14:00:00Z");
	to_status(db, "TEST-1", "reopened");
	outcomes_are(db, "TEST-1", "breached", NULL);
	dues_are(db, "TEST-1", 0, T_NOW + 7 * H, T_NOW + 7 * H);
	/* resolved again at T+6h: 3h counted in all, met */
	clock_set("2026-03-01T15:00:00Z");
	resolve(db, "TEST-1");
	outcomes_are(db, "TEST-1", "breached", "met");
	/* the other, resolved at T+6h straight: breached at T+4h */
	resolve(db, "TEST-2");
	outcomes_are(db, "TEST-2", "breached", "breached");
	dues_are(db, "TEST-2", 0, 0, 0);
}

static void test_engine_priority_change(void **state)
{
	struct pk_db *db = DB(state);
	free(ticket_new(db, "Printer", NULL));
	dues_are(db, "TEST-1", at("2026-03-02T12:00:00Z"), at("2026-03-04T18:00:00Z"),
		 at("2026-03-02T12:00:00Z"));
	/* raised to P1 an hour later: targets count from the start */
	clock_set("2026-03-01T10:00:00Z");
	assert_int_equal(ticket_set(db, "TEST-1", "priority", "P1"), PK_OK);
	dues_are(db, "TEST-1", T_NOW + 15 * MIN, T_NOW + 4 * H, T_NOW + 15 * MIN);
	/* and lowered to P4: 1d and 5d of business hours from Sunday */
	assert_int_equal(ticket_set(db, "TEST-1", "priority", "P4"), PK_OK);
	dues_are(db, "TEST-1", at("2026-03-02T18:00:00Z"), at("2026-03-06T18:00:00Z"),
		 at("2026-03-02T18:00:00Z"));
}

/* --- the engine: sla: queries -------------------------------------------- */

static long count_of(struct pk_db *db, const char *text)
{
	struct pk_query *q = NULL;
	struct pk_error err = { 0 };
	int rc = pk_query_compile(pk_db_config(db), pk_db_user(db), pk_clock_now(), text, 0, &q,
				  &err);
	if (rc != PK_OK)
		fprintf(stderr, "query '%s': %s\n", text, err.msg);
	assert_int_equal(rc, PK_OK);
	long n = -1;
	assert_int_equal(pk_ticket_count(db, q, &n), PK_OK);
	pk_query_free(&q);
	return n;
}

static void test_engine_sla_queries(void **state)
{
	struct pk_db *db = DB(state);
	/* A: P1 (response due T+15m); B: P3 (Monday 12:00 = T+27h); C: P2
	 * resolved at T+30m without an answer: both targets met exactly */
	free(ticket_new(db, "A", "priority", "P1", NULL));
	free(ticket_new(db, "B", NULL));
	free(ticket_new(db, "C", "priority", "P2", NULL));
	clock_set("2026-03-01T09:30:00Z");
	resolve(db, "TEST-3");
	clock_set("2026-03-01T10:00:00Z");
	assert_int_equal(count_of(db, "sla:breached"), 1);
	assert_query(db, "sla:breached", "TEST-1");
	assert_int_equal(count_of(db, "sla:<2h"), 1);
	assert_int_equal(count_of(db, "sla:<2d"), 2);
	assert_int_equal(count_of(db, "sla:>2h"), 1);
	assert_int_equal(count_of(db, "sla:paused"), 0);
	assert_int_equal(count_of(db, "sla:running"), 2);
	assert_query(db, "sla:met", "TEST-3");
	assert_int_equal(count_of(db, "sla:missed"), 0);
	assert_query(db, "sla:none", "TEST-3");
	/* tickets without a due time last, either way */
	assert_query(db, "sort:sla", "TEST-1 TEST-2 TEST-3");
	assert_query(db, "sort:-sla", "TEST-2 TEST-1 TEST-3");
	long n = -1;
	assert_int_equal(pk_ticket_count_overdue(db, pk_clock_now(), &n), PK_OK);
	assert_int_equal(n, 1);
	/* B waits for the customer: paused, and no due time */
	to_status(db, "TEST-2", "pending_customer");
	assert_query(db, "sla:paused", "TEST-2");
	assert_query(db, "sla:none sort:id", "TEST-2 TEST-3");
	/* a vendor follow-up half an hour ago is overdue */
	assert_int_equal(ticket_set(db, "TEST-2", "followup", "2026-03-01T09:30:00Z"), PK_OK);
	assert_query(db, "followup:overdue", "TEST-2");
	/* resolving A late makes it missed */
	clock_set("2026-03-01T14:00:00Z");
	resolve(db, "TEST-1");
	assert_query(db, "sla:missed", "TEST-1");
	assert_int_equal(count_of(db, "sla:breached"), 0);

	struct pk_query *q = NULL;
	struct pk_error err = { 0 };
	assert_int_equal(pk_query_compile(CFG(state), "alice", T_NOW, "sla:soon", 0, &q, &err),
			 PK_EQUERY);
}

/* --- settings: [sla.TYPE], [sla.service.NAME], [calendar.NAME] ----------- */

static int load_ini(const char *text, struct pk_config **out, struct pk_error *err)
{
	char *path = fx_tmp_template("sla");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	pk_error_clear(err);
	int rc = pk_config_load(path, out, err);
	unlink(path);
	free(path);
	return rc;
}

static const char overrides_ini[] = "[sla]\n"
				    "p2 = resolve 8h\n"
				    "p4 = respond 1d, resolve 2d, calendar brussels\n"
				    "[sla.request]\n"
				    "p3 = respond 1h, resolve 2h, calendar 24x7\n"
				    "[sla.service.mail]\n"
				    "p3 = calendar 24x7, respond 5m, resolve 30m\n"
				    "[calendar.business]\n"
				    "hours = 09:00-17:00\n"
				    "[calendar.brussels]\n"
				    "days = mon-fri\n"
				    "hours = 09:00-17:00\n"
				    "timezone = Europe/Brussels\n"
				    "holidays = 2026-03-02\n";

static void test_config_overrides(void **state)
{
	(void)state;
	struct pk_config *cfg = NULL;
	struct pk_error err;
	int rc = load_ini(overrides_ini, &cfg, &err);
	if (rc != PK_OK)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, PK_OK);
	free(cfg->node);
	cfg->node = pk_xstrdup("TEST");
	struct pk_calendar *bx = pk_sla_calendar(cfg, "Brussels");
	assert_non_null(bx);
	assert_string_equal(pk_calendar_zone(bx), "Europe/Brussels");
	assert_int_equal(pk_calendar_day_length(bx), 8 * H);
	assert_null(pk_sla_calendar(cfg, "mars"));
	assert_int_equal(strlen(pk_sla_config_digest(cfg)), 16);

	struct pk_db *db = fx_open(cfg);
	/* [calendar.business] sets only the hours (09:00-17:00) and keeps the
	 * built-in days (mon-fri): from Sunday 09:00 the clock starts Monday
	 * 09:00; + 4h = Monday 13:00; 3d = 24h = Wednesday 17:00 */
	free(ticket_new(db, "Incident P3", NULL));
	dues_are(db, "TEST-1", at("2026-03-02T13:00:00Z"), at("2026-03-04T17:00:00Z"),
		 at("2026-03-02T13:00:00Z"));
	policy_is(db, "TEST-1", "sla.p3");
	/* [sla.request] wins over [sla], also when the type changes */
	free(ticket_new(db, "Request P3", "type", "request", NULL));
	dues_are(db, "TEST-2", T_NOW + H, T_NOW + 2 * H, T_NOW + H);
	policy_is(db, "TEST-2", "sla.request.p3");
	assert_int_equal(ticket_set(db, "TEST-1", "type", "request"), PK_OK);
	dues_are(db, "TEST-1", T_NOW + H, T_NOW + 2 * H, T_NOW + H);
	/* [sla.service.mail] wins over the type (any case) */
	free(ticket_new(db, "Mail request", "type", "request", "service", "Mail", NULL));
	dues_are(db, "TEST-3", T_NOW + 5 * MIN, T_NOW + 30 * MIN, T_NOW + 5 * MIN);
	policy_is(db, "TEST-3", "sla.service.mail.p3");
	/* a priority the service does not name falls back to [sla] */
	free(ticket_new(db, "Mail P1", "service", "mail", "priority", "P1", NULL));
	dues_are(db, "TEST-4", T_NOW + 15 * MIN, T_NOW + 4 * H, T_NOW + 15 * MIN);
	/* P4 on the Brussels calendar: Monday 2 is a holiday, Tuesday 09:00
	 * CET = 08:00Z; 1d = 8h = 16:00Z, 2d = 16h = Wednesday 16:00Z */
	free(ticket_new(db, "Incident P4", "priority", "P4", NULL));
	dues_are(db, "TEST-5", at("2026-03-03T16:00:00Z"), at("2026-03-04T16:00:00Z"),
		 at("2026-03-03T16:00:00Z"));
	/* P2 without a response target: no response clock */
	free(ticket_new(db, "Incident P2", "priority", "P2", NULL));
	dues_are(db, "TEST-6", 0, T_NOW + 8 * H, T_NOW + 8 * H);
	struct pk_sla s;

	/* P4 in Brussels across the spring change, created Friday 27 March
	 * 15:00 CET = 14:00Z: respond 8h = 2h Friday + 6h from Monday 09:00
	 * CEST (07:00Z) = 13:00Z; resolve 16h = 2h + 8h + 6h on Tuesday */
	const struct pk_sla_mark m[] = { { at("2026-03-27T14:00:00Z"), "new" } };
	struct pk_ticket p4 = { .type = (char *)"incident", .priority = 4, .created_at = m[0].at };
	pk_sla_evaluate(cfg, &p4, m, 1, m[0].at, &s);
	assert_string_equal(s.calendar, "brussels");
	assert_time(s.response.due, "2026-03-30T13:00:00Z");
	assert_time(s.resolve.due, "2026-03-31T13:00:00Z");
	pk_sla_free(&s);
	pk_db_close(&db);
	pk_config_free(&cfg);
}

static void test_config_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "[sla]\np1 = respond 15m, calendar mars\n", "mars" },
		{ "[sla]\np1 = respond soon\n", "soon" },
		{ "[sla]\np1 = reply 15m\n", "reply" },
		{ "[sla.bogus]\np1 = respond 1h\n", "bogus" },
		{ "[sla.request]\np5 = respond 1h\n", "p5" },
		{ "[sla]\nwarn = 90, 75\n", "75" },
		{ "[sla]\npause = sleeping\n", "sleeping" },
		{ "[sla]\nfollow_up = soon\n", "soon" },
		{ "[calendar.x]\nlunch = 12:00-13:00\n", "lunch" },
		{ "[calendar.x]\nhours = 08:00-12:00, 11:00-17:00\n", "11:00-17:00" },
		{ "[calendar.x]\ntimezone = Mars/Base\n", "Mars/Base" },
		{ "[calendar.x!]\ndays = mon\n", "x!" },
	};
	for (size_t i = 0; i < PK_ARRAY_LEN(bad); i++) {
		struct pk_config *cfg = (struct pk_config *)1;
		struct pk_error err;
		int rc = load_ini(bad[i][0], &cfg, &err);
		if (rc != PK_ECONFIG)
			fprintf(stderr, "expected PK_ECONFIG for:\n%sgot %d (%s)\n", bad[i][0], rc,
				err.msg);
		assert_int_equal(rc, PK_ECONFIG);
		assert_null(cfg);
		assert_contains(err.msg, bad[i][1]);
	}
}

int main(void)
{
	unit_init();
	tz_set("UTC");
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cal_24x7),
		T(test_cal_business_weekend),
		T(test_cal_holidays),
		T(test_cal_multiple_windows),
		T(test_cal_brussels_spring),
		T(test_cal_brussels_autumn),
		T(test_cal_spring_gap_window),
		T(test_cal_work_add_inverse),
		T(test_cal_invalid_settings),
		T(test_zone_functions),
		T(test_eval_running),
		T(test_eval_pause_resume),
		T(test_eval_reopen_resumes),
		T(test_eval_response_after_reopen),
		T(test_eval_closed_stop_time),
		T(test_eval_met_or_breached),
		T(test_eval_priority_change),
		T(test_eval_response_stop),
		T(test_eval_crossing_and_next),
		T(test_engine_create_p1),
		T(test_engine_pause_moves_due),
		T(test_engine_first_response),
		T(test_engine_resolve_and_reopen),
		T(test_engine_priority_change),
		T(test_engine_sla_queries),
		T(test_config_overrides),
		T(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
