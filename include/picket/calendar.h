/* Working-time calendars: 24x7, or business hours on working days in a
 * time zone, minus holidays.  SLA clocks count working seconds on them. */
#ifndef PICKET_CALENDAR_H
#define PICKET_CALENDAR_H

#include <stdint.h>

#include "picket/util.h"

struct pk_calendar;

#define PK_CAL_MAX_WINDOWS 4

/* Builds a calendar from its settings (see picket.conf(5), [calendar.NAME]):
 * days "mon-fri" or "mon, tue, sat" or "all"; hours "08:00-18:00" or
 * "08:00-12:00, 13:00-17:00" or "00:00-24:00"; zone an IANA name (NULL or
 * "" = local time); holidays a comma-separated list of dates YYYY-MM-DD.
 * NULL days/hours mean every day, all day.  Returns NULL with err set (the
 * message names `name`) when a setting is invalid. */
struct pk_calendar *pk_calendar_new(const char *name, const char *days, const char *hours,
				    const char *zone, const char *holidays, struct pk_error *err);
void pk_calendar_free(struct pk_calendar **cal);

const char *pk_calendar_name(const struct pk_calendar *cal);
const char *pk_calendar_zone(const struct pk_calendar *cal); /* "" = local */
/* 1 for a calendar that counts every second (24x7, no holidays). */
int pk_calendar_always(const struct pk_calendar *cal);
/* Seconds of working time in a normal working day: what one "d" of an SLA
 * target means on this calendar (86400 on 24x7). */
int64_t pk_calendar_day_length(const struct pk_calendar *cal);

/* Working seconds in [from, to). */
int64_t pk_calendar_work(struct pk_calendar *cal, int64_t from, int64_t to);
/* The time at which `seconds` of working time have passed after `from`;
 * with seconds 0, the first working moment at or after `from`.  Returns
 * INT64_MAX when the calendar has no working time for ten years ahead. */
int64_t pk_calendar_add(struct pk_calendar *cal, int64_t from, int64_t seconds);

/* Parses an SLA-style duration on a calendar: 15m, 4h, 3d, 1d4h; "d" is one
 * working day of the calendar.  Returns 0 on success. */
int pk_calendar_duration(const struct pk_calendar *cal, const char *s, int64_t *seconds);

#endif
