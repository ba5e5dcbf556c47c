/* The one source of time.  PICKET_NOW=2026-03-01T09:00:00Z (or a Unix
 * time) overrides the wall clock so SLA, reports and tests are repeatable. */
#ifndef PICKET_CLOCK_H
#define PICKET_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Current UTC time in seconds. */
int64_t pk_clock_now(void);
/* Current UTC time in milliseconds (for the hybrid logical clock). */
int64_t pk_clock_now_ms(void);
/* Forget a cached PICKET_NOW (tests change the variable). */
void pk_clock_reset(void);

/* Parses an absolute time: 2026-03-01, 2026-03-01T09:00, 2026-03-01T09:00:00Z,
 * "2026-03-01 09:00:00" or Unix seconds "@1772355600".  Times without a zone
 * are UTC.  Returns 0 on success. */
int pk_time_parse(const char *s, int64_t *out);
/* Parses a duration such as 30m, 2h, 7d, 2w, 90s, 1d12h.  Returns 0 on
 * success. */
int pk_duration_parse(const char *s, int64_t *seconds);
/* The same with the lengths of a day and a week given (0: the unit is not
 * allowed): SLA targets count working days of a calendar. */
int pk_duration_parse_units(const char *s, int64_t day, int64_t week, int64_t *seconds);
/* Formats as 2026-03-01T09:00:00Z into buf (at least 21 bytes). */
char *pk_time_format(int64_t t, char *buf, size_t len);
/* Formats an age/duration compactly: 45s, 12m, 3h, 5d, 8w. */
char *pk_age_format(int64_t seconds, char *buf, size_t len);

/* Days since 1970-01-01 of a Gregorian date, and back. */
int64_t pk_days_from_civil(int64_t y, unsigned m, unsigned d);
void pk_civil_from_days(int64_t days, int *y, int *m, int *d);

/* Time zones by IANA name ("Europe/Brussels"); NULL or "" is the process's
 * local zone, "UTC" is UTC.  1 if the zone exists in the zone database. */
int pk_zone_valid(const char *zone);
/* The UTC time of a wall-clock time in zone.  A time that a DST change
 * skips counts as the moment after the change, as mktime() does. */
int64_t pk_zone_to_utc(const char *zone, int y, int m, int d, int hh, int mm);
/* The wall-clock time in zone of a UTC time. */
void pk_zone_local(const char *zone, int64_t t, struct tm *out);
/* pk_time_parse(), but a time without a zone is wall-clock time in zone. */
int pk_zone_time_parse(const char *zone, const char *s, int64_t *out);

#endif
