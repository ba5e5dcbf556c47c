#include "picket/clock.h"

#include "picket/i18n.h"
#include "picket/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static int fixed_cached;
static int64_t fixed_ms = -1;

void pk_clock_reset(void)
{
	fixed_cached = 0;
	fixed_ms = -1;
}

static void load_fixed(void)
{
	if (fixed_cached)
		return;
	fixed_cached = 1;
	const char *s = getenv("PICKET_NOW");
	int64_t t;
	if (s && *s && pk_time_parse(s, &t) == 0)
		fixed_ms = t * 1000;
}

int64_t pk_clock_now_ms(void)
{
	load_fixed();
	if (fixed_ms >= 0)
		return fixed_ms;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int64_t pk_clock_now(void)
{
	return pk_clock_now_ms() / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm); avoids timegm's dependence on the process time zone. */
int64_t pk_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int pk_time_parse(const char *s, int64_t *out)
{
	if (!s)
		return -1;
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		/* up to the end of year 9999, like the dated forms */
		if (end == s + 1 || *end || errno || v < 0 || v > 253402300799LL)
			return -1;
		*out = v;
		return 0;
	}
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || y < 1970)
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
			return -1;
		p += 5;
		if (*p == ':') {
			if (digits(p + 1, 2, &se))
				return -1;
			p += 3;
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
	}
	int64_t off = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		int sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(p, 2, &oh))
			return -1;
		p += 2;
		if (*p == ':')
			p++;
		if (digits(p, 2, &om) || oh > 23 || om > 59)
			return -1;
		p += 2;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p)
		return -1;
	*out = pk_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
	       off;
	return 0;
}

int pk_duration_parse(const char *s, int64_t *seconds)
{
	return pk_duration_parse_units(s, 86400, 7 * 86400, seconds);
}

int pk_duration_parse_units(const char *s, int64_t day, int64_t week, int64_t *seconds)
{
	int64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		int64_t v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 100000000)
				return -1;
		}
		int64_t unit;
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = day; break;
		case 'w': unit = week; break;
		default: return -1;
		}
		if (!unit)
			return -1;
		total += v * unit;
	}
	*seconds = total;
	return 0;
}

void pk_civil_from_days(int64_t days, int *py, int *pm, int *pd)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	*py = (int)y;
	*pm = (int)m;
	*pd = (int)d;
}

char *pk_time_format(int64_t t, char *buf, size_t len)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	int y, m, d;
	pk_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

/* Time zones.  The C library knows them only through TZ, so a conversion
 * sets TZ for its duration and puts the caller's back; callers cache what
 * they convert (calendars keep their working days). */
static char *zone_saved;
static int zone_had;

static void zone_enter(const char *zone)
{
	if (!zone || !*zone)
		return;
	const char *old = getenv("TZ");
	zone_had = old != NULL;
	zone_saved = old ? pk_xstrdup(old) : NULL;
	char *tz = pk_xasprintf(":%s", zone);
	setenv("TZ", tz, 1);
	free(tz);
	tzset();
}

static void zone_leave(const char *zone)
{
	if (!zone || !*zone)
		return;
	if (zone_had)
		setenv("TZ", zone_saved, 1);
	else
		unsetenv("TZ");
	pk_freep(&zone_saved);
	tzset();
}

int pk_zone_valid(const char *zone)
{
	if (!zone || !*zone || strcmp(zone, "UTC") == 0)
		return 1;
	if (zone[0] == '/' || strstr(zone, "..") || strlen(zone) > 64)
		return 0;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return 0;
	const char *dir = getenv("TZDIR");
	char *path = pk_xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	FILE *f = fopen(path, "rb");
	char magic[4] = { 0 };
	int ok = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f)
		fclose(f);
	free(path);
	return ok;
}

int64_t pk_zone_to_utc(const char *zone, int y, int m, int d, int hh, int mm)
{
	if (zone && strcmp(zone, "UTC") == 0)
		return pk_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 +
		       mm * 60;
	zone_enter(zone);
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = m - 1,
			 .tm_mday = d,
			 .tm_hour = hh,
			 .tm_min = mm,
			 .tm_isdst = -1 };
	time_t t = mktime(&tm);
	/* a wall-clock time the change to summer time skips: mktime moves it
	 * on by the gap; the first moment at or after it is the change */
	if (tm.tm_hour != hh || tm.tm_min != mm) {
		int64_t want = ((int64_t)y * 10000 + m * 100 + d) * 10000 + hh * 100 + mm;
		time_t lo = t - 3 * 3600, hi = t;
		while (hi - lo > 1) {
			time_t mid = lo + (hi - lo) / 2;
			struct tm l;
			localtime_r(&mid, &l);
			int64_t have = ((int64_t)(l.tm_year + 1900) * 10000 + (l.tm_mon + 1) * 100 +
					l.tm_mday) *
					       10000 +
				       l.tm_hour * 100 + l.tm_min;
			if (have >= want)
				hi = mid;
			else
				lo = mid;
		}
		t = hi;
	}
	zone_leave(zone);
	return (int64_t)t;
}

void pk_zone_local(const char *zone, int64_t t, struct tm *out)
{
	time_t tt = (time_t)t;
	if (zone && strcmp(zone, "UTC") == 0) {
		gmtime_r(&tt, out);
		return;
	}
	zone_enter(zone);
	localtime_r(&tt, out);
	zone_leave(zone);
}

int pk_zone_time_parse(const char *zone, const char *s, int64_t *out)
{
	int64_t t;
	if (pk_time_parse(s, &t) != 0)
		return -1;
	/* an explicit zone or Unix time stands as given */
	size_t n = strlen(s);
	if (s[0] == '@' ||
	    (n > 10 && (s[n - 1] == 'Z' || strchr(s + 10, '+') || strchr(s + 10, '-'))))
		return *out = t, 0;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	int y, m, d;
	pk_civil_from_days(days, &y, &m, &d);
	*out = pk_zone_to_utc(zone, y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60));
	return 0;
}

char *pk_age_format(int64_t s, char *buf, size_t len)
{
	const char *sign = s < 0 ? "-" : "";
	if (s < 0)
		s = -s;
	/* TRANSLATORS: short time units after a number, in 5-column
	 * ages: seconds, minutes, hours, days, weeks ("3d" is three days) */
	if (s < 60)
		snprintf(buf, len, _("%s%llds"), sign, (long long)s);
	else if (s < 3600)
		snprintf(buf, len, _("%s%lldm"), sign, (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, _("%s%lldh"), sign, (long long)(s / 3600));
	else if (s < 14 * 86400)
		snprintf(buf, len, _("%s%lldd"), sign, (long long)(s / 86400));
	else
		snprintf(buf, len, _("%s%lldw"), sign, (long long)(s / (7 * 86400)));
	return buf;
}
