#include "util/clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static _Atomic int64_t offset_seconds;
static _Atomic int offset_loaded;

static int64_t offset(void)
{
	if (!atomic_load(&offset_loaded)) {
		const char *env = getenv("SIDANG_CLOCK_OFFSET");
		if (env && *env) {
			char *end = NULL;
			long long v = strtoll(env, &end, 10);
			if (end && *end == '\0')
				atomic_store(&offset_seconds, (int64_t)v);
		}
		atomic_store(&offset_loaded, 1);
	}
	return atomic_load(&offset_seconds);
}

void clock_set_offset(int64_t seconds)
{
	atomic_store(&offset_seconds, seconds);
	atomic_store(&offset_loaded, 1);
}

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset() * 1000;
}

int64_t clock_now(void) { return clock_now_ms() / 1000; }

void clock_format_iso(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
