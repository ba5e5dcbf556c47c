/* Working-time calendars.
 *
 * A calendar answers two questions for the SLA clocks: how much working
 * time lies between two instants, and when a given amount of working time
 * will have passed.  Both walk local days; each day's working windows are
 * converted to UTC once (DST handled by the C library) and kept in a small
 * direct-mapped cache, so a queue of tickets opened in the same weeks costs
 * a few conversions, not thousands. */
#include "picket/calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "picket/clock.h"
#include "picket/i18n.h"
#include "picket/status.h"

#define CACHE_DAYS 2048 /* a power of two: walks of up to five and a half years stay cached */
#define MAX_DAYS   3660
#define W	   PK_CAL_MAX_WINDOWS

struct day_slot {
	int64_t day;
	int valid, n;
	int64_t from[W], to[W];
};

struct pk_calendar {
	char *name, *zone;
	unsigned days; /* bit 0 = Monday ... bit 6 = Sunday */
	int nwin;
	int wstart[W], wend[W]; /* minutes after midnight, end up to 1440 */
	int64_t *hol;		/* holiday day numbers, sorted */
	int nhol;
	int always;
	struct day_slot cache[CACHE_DAYS];
};

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return pk_xstrndup(s, n);
}

/* "mon-fri", "mon, wed, sat-sun", "all" */
static int parse_days(const char *text, unsigned *out)
{
	unsigned mask = 0;
	if (strcasecmp(text, "all") == 0) {
		*out = 0x7f;
		return 0;
	}
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		char *item = trimmed(p, n);
		char *dash = strchr(item, '-');
		int a, b;
		if (dash) {
			char *l = trimmed(item, (size_t)(dash - item));
			char *r = trimmed(dash + 1, strlen(dash + 1));
			a = day_index(l, strlen(l));
			b = day_index(r, strlen(r));
			free(l);
			free(r);
		} else {
			a = b = day_index(item, strlen(item));
		}
		free(item);
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % 7) {
			mask |= 1u << d;
			if (d == b)
				break;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!mask)
		return -1;
	*out = mask;
	return 0;
}

static int parse_hhmm(const char *s, int *min)
{
	int h, m;
	char tail;
	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || m < 0 || m > 59 || h > 24 ||
	    (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

/* "08:00-12:00, 13:00-17:00" */
static int parse_hours(struct pk_calendar *cal, const char *text)
{
	const char *p = text;
	cal->nwin = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char *item = trimmed(p, n);
		char *dash = strchr(item, '-');
		int a = 0, b = 0, ok = 0;
		if (dash) {
			*dash = '\0';
			char *l = trimmed(item, strlen(item));
			char *r = trimmed(dash + 1, strlen(dash + 1));
			ok = parse_hhmm(l, &a) == 0 && parse_hhmm(r, &b) == 0 && a < b &&
			     cal->nwin < W && (cal->nwin == 0 || a >= cal->wend[cal->nwin - 1]);
			free(l);
			free(r);
		}
		free(item);
		if (!ok)
			return -1;
		cal->wstart[cal->nwin] = a;
		cal->wend[cal->nwin] = b;
		cal->nwin++;
		p += n;
		if (*p == ',')
			p++;
	}
	return cal->nwin ? 0 : -1;
}

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_holidays(struct pk_calendar *cal, const char *text, char **bad)
{
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		char *item = trimmed(p, n);
		if (*item) {
			int64_t t;
			if (strlen(item) != 10 || pk_time_parse(item, &t) != 0) {
				*bad = item;
				return -1;
			}
			cal->hol =
				pk_xrealloc(cal->hol, (size_t)(cal->nhol + 1) * sizeof(*cal->hol));
			cal->hol[cal->nhol++] = t / 86400;
		}
		free(item);
		p += n;
		if (*p == ',')
			p++;
	}
	if (cal->nhol)
		qsort(cal->hol, (size_t)cal->nhol, sizeof(*cal->hol), cmp_day);
	return 0;
}

struct pk_calendar *pk_calendar_new(const char *name, const char *days, const char *hours,
				    const char *zone, const char *holidays, struct pk_error *err)
{
	struct pk_calendar *cal = pk_xcalloc(1, sizeof(*cal));
	cal->name = pk_xstrdup(name);
	cal->zone = pk_xstrdup(zone ? zone : "");
	char *bad = NULL;
	if (parse_days(days && *days ? days : "all", &cal->days) != 0) {
		pk_error_set(err, PK_ECONFIG,
			     _("calendar %s: days '%s' is not like mon-fri or mon, wed, sat"), name,
			     days);
	} else if (parse_hours(cal, hours && *hours ? hours : "00:00-24:00") != 0) {
		pk_error_set(err, PK_ECONFIG,
			     _("calendar %s: hours '%s' is not like 08:00-18:00 or 08:00-12:00, "
			       "13:00-17:00 (at most 4 ranges, in order)"),
			     name, hours);
	} else if (!pk_zone_valid(cal->zone)) {
		pk_error_set(err, PK_ECONFIG,
			     _("calendar %s: unknown time zone '%s' (an IANA name such as "
			       "Europe/Brussels)"),
			     name, cal->zone);
	} else if (holidays && parse_holidays(cal, holidays, &bad) != 0) {
		pk_error_set(err, PK_ECONFIG,
			     _("calendar %s: holiday '%s' is not a date YYYY-MM-DD"), name, bad);
		free(bad);
	} else {
		cal->always = cal->days == 0x7f && cal->nwin == 1 && cal->wstart[0] == 0 &&
			      cal->wend[0] == 1440 && cal->nhol == 0;
		return cal;
	}
	pk_calendar_free(&cal);
	return NULL;
}

void pk_calendar_free(struct pk_calendar **pcal)
{
	struct pk_calendar *cal = *pcal;
	if (!cal)
		return;
	free(cal->name);
	free(cal->zone);
	free(cal->hol);
	free(cal);
	*pcal = NULL;
}

const char *pk_calendar_name(const struct pk_calendar *cal)
{
	return cal->name;
}

const char *pk_calendar_zone(const struct pk_calendar *cal)
{
	return cal->zone;
}

int pk_calendar_always(const struct pk_calendar *cal)
{
	return cal->always;
}

int64_t pk_calendar_day_length(const struct pk_calendar *cal)
{
	int64_t s = 0;
	for (int i = 0; i < cal->nwin; i++)
		s += (int64_t)(cal->wend[i] - cal->wstart[i]) * 60;
	return s;
}

static int is_holiday(const struct pk_calendar *cal, int64_t day)
{
	return cal->nhol &&
	       bsearch(&day, cal->hol, (size_t)cal->nhol, sizeof(*cal->hol), cmp_day) != NULL;
}

/* The working windows of local day `day` (days since 1970-01-01), in UTC. */
static const struct day_slot *day_windows(struct pk_calendar *cal, int64_t day)
{
	struct day_slot *s = &cal->cache[(uint64_t)day & (CACHE_DAYS - 1)];
	if (s->valid && s->day == day)
		return s;
	s->valid = 1;
	s->day = day;
	s->n = 0;
	int weekday = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
	if (!(cal->days & (1u << weekday)) || is_holiday(cal, day))
		return s;
	int y, m, d, ny, nm, nd;
	pk_civil_from_days(day, &y, &m, &d);
	pk_civil_from_days(day + 1, &ny, &nm, &nd);
	for (int i = 0; i < cal->nwin; i++) {
		int64_t a = pk_zone_to_utc(cal->zone, y, m, d, cal->wstart[i] / 60,
					   cal->wstart[i] % 60);
		int64_t b = cal->wend[i] == 1440
				    ? pk_zone_to_utc(cal->zone, ny, nm, nd, 0, 0)
				    : pk_zone_to_utc(cal->zone, y, m, d, cal->wend[i] / 60,
						     cal->wend[i] % 60);
		if (b > a) {
			s->from[s->n] = a;
			s->to[s->n] = b;
			s->n++;
		}
	}
	return s;
}

static int64_t floor_day(int64_t t)
{
	return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

/* Local days start at most 14 hours before and 12 hours after UTC days, so
 * a walk from the UTC day before `t` misses no window containing `t`. */
int64_t pk_calendar_work(struct pk_calendar *cal, int64_t from, int64_t to)
{
	if (to <= from)
		return 0;
	if (cal->always)
		return to - from;
	int64_t total = 0;
	for (int64_t day = floor_day(from) - 1; day * 86400 - 14 * 3600 < to; day++) {
		const struct day_slot *s = day_windows(cal, day);
		for (int i = 0; i < s->n; i++) {
			int64_t a = s->from[i] > from ? s->from[i] : from;
			int64_t b = s->to[i] < to ? s->to[i] : to;
			if (b > a)
				total += b - a;
		}
	}
	return total;
}

int64_t pk_calendar_add(struct pk_calendar *cal, int64_t from, int64_t seconds)
{
	if (cal->always)
		return from + seconds;
	int64_t left = seconds;
	int64_t first = floor_day(from) - 1;
	for (int64_t day = first; day < first + MAX_DAYS; day++) {
		const struct day_slot *s = day_windows(cal, day);
		for (int i = 0; i < s->n; i++) {
			if (s->to[i] <= from)
				continue;
			int64_t a = s->from[i] > from ? s->from[i] : from;
			int64_t len = s->to[i] - a;
			if (left <= len)
				return a + left;
			left -= len;
		}
	}
	return INT64_MAX;
}

int pk_calendar_duration(const struct pk_calendar *cal, const char *s, int64_t *seconds)
{
	/* no weeks: a week of working days would read as seven of them */
	int64_t v;
	if (pk_duration_parse_units(s, pk_calendar_day_length(cal), 0, &v) != 0 || v <= 0)
		return -1;
	*seconds = v;
	return 0;
}
