/*
 * The one clock of Sidang. Tests move it: SIDANG_CLOCK_OFFSET (seconds, may be negative) at
 * start-up; SIDANG_CLOCK_FILE, a file holding an offset in seconds, re-read whenever it changes
 * (so a test can move a running server's clock); or clock_set_offset in unit tests.
 */
#ifndef SIDANG_UTIL_CLOCK_H
#define SIDANG_UTIL_CLOCK_H

#include <stdint.h>

/* Seconds since the Unix epoch, UTC. */
int64_t clock_now(void);
/* Milliseconds since the Unix epoch, UTC. */
int64_t clock_now_ms(void);
void clock_set_offset(int64_t seconds);
/* Formats T as "2026-11-24T10:43:51Z" into OUT (at least 21 bytes). */
void clock_format_iso(int64_t t, char out[21]);

#endif
