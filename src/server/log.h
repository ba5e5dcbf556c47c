/* picketd's log: one line per message, "picketd: LEVEL message", on
 * standard error, to syslog when enabled and to a log file when set.
 * Safe to call from any thread.  Never log a token or a token hash. */
#ifndef PICKETD_LOG_H
#define PICKETD_LOG_H

#include <stdarg.h>

#include "picket/util.h"

enum srv_log_level { SRV_LOG_ERROR, SRV_LOG_WARN, SRV_LOG_INFO };

/* "error", "warn", "info" -> level; -1 when unknown. */
int srv_log_level_parse(const char *s);

/* Starts logging at `level`: syslog when asked, and the file at `path`
 * (appended, created 0640; NULL for none).  Returns PK_OK or PK_EIO with
 * err saying why. */
int srv_log_open(enum srv_log_level level, int use_syslog, const char *path, struct pk_error *err);
/* Reopens the log file (after rotation, on SIGHUP); on failure keeps the
 * old one and logs why. */
void srv_log_reopen(void);
void srv_log_close(void);

void srv_log(enum srv_log_level level, const char *fmt, ...) PK_PRINTF(2, 3);
void srv_logv(enum srv_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
