/* picketd's log: standard error, syslog and an optional file. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "picket/i18n.h"
#include "picket/status.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum srv_log_level log_level = SRV_LOG_INFO;
static int log_syslog;
static int log_fd = -1;
static char *log_path;

static const char *const level_names[] = { "error", "warn", "info" };

int srv_log_level_parse(const char *s)
{
	for (size_t i = 0; i < PK_ARRAY_LEN(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static int open_file(const char *path, struct pk_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -pk_error_set(err, PK_EIO, _("cannot open the log file %s: %s"), path,
				     strerror(errno));
	return fd;
}

int srv_log_open(enum srv_log_level level, int use_syslog, const char *path, struct pk_error *err)
{
	int fd = -1;
	if (path && (fd = open_file(path, err)) < 0)
		return -fd;
	pthread_mutex_lock(&log_lock);
	log_level = level;
	log_fd = fd;
	log_path = pk_xstrdup(path);
	log_syslog = use_syslog;
	if (use_syslog)
		openlog("picketd", LOG_PID, LOG_DAEMON);
	pthread_mutex_unlock(&log_lock);
	return PK_OK;
}

void srv_log_reopen(void)
{
	struct pk_error err = { 0 };
	pthread_mutex_lock(&log_lock);
	char *path = pk_xstrdup(log_path);
	pthread_mutex_unlock(&log_lock);
	if (!path)
		return;
	int fd = open_file(path, &err);
	free(path);
	if (fd < 0) {
		srv_log(SRV_LOG_ERROR, "%s", err.msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
}

void srv_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	pk_freep(&log_path);
	if (log_syslog)
		closelog();
	log_syslog = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Writes all of s, retrying short writes; errors are dropped (there is
 * nowhere left to report them). */
static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void srv_logv(enum srv_log_level level, const char *fmt, va_list ap)
{
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO };
	char msg[2048], line[2200], stamp[32];
	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t end = strlen(msg);
	while (end > 0 && (msg[end - 1] == '\n' || msg[end - 1] == '\r'))
		msg[--end] = '\0';
	/* one event, one line: a message quoting outside input cannot forge
	 * another entry */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	int n = snprintf(line, sizeof(line), "picketd: %s %s\n", level_names[level], msg);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}

	struct tm tm;
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", gmtime_r(&now, &tm));

	pthread_mutex_lock(&log_lock);
	write_all(STDERR_FILENO, line, len);
	if (log_fd >= 0) {
		char *both = pk_xasprintf("%s%.*s", stamp, (int)len, line);
		write_all(log_fd, both, strlen(both));
		free(both);
	}
	if (log_syslog)
		syslog(priorities[level], "%s: %s", level_names[level], msg);
	pthread_mutex_unlock(&log_lock);
}

void srv_log(enum srv_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	srv_logv(level, fmt, ap);
	va_end(ap);
}
