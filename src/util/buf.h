/*
 * A growable byte buffer with a maximum fixed at init (after curl's dynbuf): growing past the
 * maximum fails with ST_TOO_LARGE and leaves the contents as they were. The contents are always
 * NUL-terminated so they can be used as a C string when they hold text.
 */
#ifndef SIDANG_UTIL_BUF_H
#define SIDANG_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/status.h"

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
enum status buf_add(struct buf *b, const void *p, size_t n);
enum status buf_adds(struct buf *b, const char *s);
enum status buf_addc(struct buf *b, char c);
__attribute__((format(printf, 2, 3))) enum status buf_printf(struct buf *b, const char *fmt, ...);
/* Hands the contents to the caller (free() them) and leaves the buffer empty. */
char *buf_detach(struct buf *b, size_t *len_out);

#endif
