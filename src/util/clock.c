#include "util/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Tests move the clock in two ways: SIDANG_CLOCK_OFFSET (seconds) read at start-up, and
 * SIDANG_CLOCK_FILE, a file holding an offset in seconds that is re-read whenever it changes, so
 * an integration test can move a running server's clock without any network-facing knob.
 */
static _Atomic int64_t offset_seconds;
static _Atomic int offset_loaded;
static const char *clock_file;
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec file_mtime;
static off_t file_size = -1;

static int64_t parse_offset(const char *s, int64_t fallback)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (end == s)
		return fallback;
	while (end && (*end == '\n' || *end == ' ' || *end == '\r'))
		end++;
	return end && *end == '\0' ? (int64_t)v : fallback;
}

static void reload_file(void)
{
	struct stat sb;
	if (stat(clock_file, &sb) != 0)
		return;
	pthread_mutex_lock(&file_lock);
	if (sb.st_mtim.tv_sec != file_mtime.tv_sec || sb.st_mtim.tv_nsec != file_mtime.tv_nsec ||
	    sb.st_size != file_size) {
		FILE *f = fopen(clock_file, "r");
		char line[64] = "";
		if (f) {
			if (fgets(line, sizeof line, f))
				atomic_store(&offset_seconds, parse_offset(line, atomic_load(&offset_seconds)));
			fclose(f);
		}
		file_mtime = sb.st_mtim;
		file_size = sb.st_size;
	}
	pthread_mutex_unlock(&file_lock);
}

static int64_t offset(void)
{
	if (!atomic_load(&offset_loaded)) {
		const char *env = getenv("SIDANG_CLOCK_OFFSET");
		if (env && *env)
			atomic_store(&offset_seconds, parse_offset(env, 0));
		clock_file = getenv("SIDANG_CLOCK_FILE");
		if (clock_file && !*clock_file)
			clock_file = NULL;
		atomic_store(&offset_loaded, 1);
	}
	if (clock_file)
		reload_file();
	return atomic_load(&offset_seconds);
}

void clock_set_offset(int64_t seconds)
{
	offset();
	atomic_store(&offset_seconds, seconds);
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
