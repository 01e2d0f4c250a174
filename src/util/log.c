#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/clock.h"

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level lvl) { min_level = lvl; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (lvl < min_level)
		return;
	char ts[21];
	clock_format_iso(clock_now(), ts);
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s %s: ", ts, names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
	va_end(ap);
}
