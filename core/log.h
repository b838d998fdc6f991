/*
 * log: one line per event, "LEVEL module: text key=value ...".
 *
 * stderr when running in the foreground, syslog(LOG_DAEMON) otherwise.
 * log_warn() appends strerror(errno); log_warnx() does not (OpenBSD log.h).
 * Never pass a message body, a key, a password or a dialback key.
 */
#ifndef FG_CORE_LOG_H
#define FG_CORE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

#define FG_PRINTF(f, a) __attribute__((format(printf, f, a)))

void	log_init(int foreground, enum log_level level);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
int	log_enabled(enum log_level level);
const char *log_level_name(enum log_level level);
int	log_level_parse(const char *name, enum log_level *out);

void	log_error(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3);
void	log_warn(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3);
void	log_warnx(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3);
void	log_info(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3);
void	log_debug(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3);
void	log_vlog(enum log_level level, const char *mod, const char *fmt,
	    va_list ap) FG_PRINTF(3, 0);

/* Broken invariant or out of memory: log and exit(1). */
void	fatal(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3)
	    __attribute__((noreturn));
void	fatalx(const char *mod, const char *fmt, ...) FG_PRINTF(2, 3)
	    __attribute__((noreturn));

#endif
