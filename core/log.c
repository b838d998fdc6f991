/*
 * log: see log.h. The format is fixed so that tests and admins can grep it:
 *   2026-11-22T19:30:01.123Z info xmpp: stream established id=4 peer=...
 * (syslog adds its own time stamp, so the syslog line starts at the level.)
 */
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

static int log_foreground = 1;
static enum log_level log_level = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(int foreground, enum log_level level)
{
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog("fedgated", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

int
log_level_parse(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Replace control characters so one event is always one line. */
static void
log_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
log_emit(enum log_level level, const char *mod, const char *text)
{
	if (log_foreground) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when, ts.tv_nsec / 1000000L,
		    level_names[level], mod, text);
		fflush(stderr);
	} else {
		syslog(level_syslog[level], "%s %s: %s", level_names[level], mod,
		    text);
	}
}

void
log_vlog(enum log_level level, const char *mod, const char *fmt, va_list ap)
{
	char buf[2048];

	if (!log_enabled(level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_sanitize(buf);
	log_emit(level, mod, buf);
}

#define LOG_BODY(level) do {			\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vlog((level), mod, fmt, ap);	\
	va_end(ap);				\
} while (0)

void log_error(const char *mod, const char *fmt, ...) { LOG_BODY(LOG_LVL_ERROR); }
void log_warnx(const char *mod, const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN); }
void log_info(const char *mod, const char *fmt, ...) { LOG_BODY(LOG_LVL_INFO); }
void log_debug(const char *mod, const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG); }

static void
log_with_errno(enum log_level level, const char *mod, int err,
    const char *fmt, va_list ap)
{
	char buf[1536];

	if (!log_enabled(level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_sanitize(buf);
	char line[2048];
	snprintf(line, sizeof(line), "%s: %s", buf, strerror(err));
	log_emit(level, mod, line);
}

void
log_warn(const char *mod, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_with_errno(LOG_LVL_WARN, mod, err, fmt, ap);
	va_end(ap);
}

void
fatal(const char *mod, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_with_errno(LOG_LVL_ERROR, mod, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *mod, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, mod, fmt, ap);
	va_end(ap);
	exit(1);
}
