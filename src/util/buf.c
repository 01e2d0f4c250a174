#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	free(b->ptr);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static enum status buf_grow(struct buf *b, size_t extra)
{
	/* Overflow-safe: max is at most SIZE_MAX - 1 in practice, checked in unsigned arithmetic. */
	if (extra > b->max || b->len > b->max - extra)
		return ST_TOO_LARGE;
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return ST_OK;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > ((size_t)-1) / 2 ? need : n * 2;
	if (n > b->max + 1)
		n = b->max + 1;
	char *p = realloc(b->ptr, n);
	if (!p)
		return ST_NOMEM;
	b->ptr = p;
	b->alloc = n;
	return ST_OK;
}

enum status buf_add(struct buf *b, const void *p, size_t n)
{
	enum status st = buf_grow(b, n);
	if (st != ST_OK)
		return st;
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return ST_OK;
}

enum status buf_adds(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

enum status buf_addc(struct buf *b, char c) { return buf_add(b, &c, 1); }

enum status buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ST_INVALID;
	enum status st = buf_grow(b, (size_t)n);
	if (st != ST_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ST_OK;
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p = b->ptr;
	if (len_out)
		*len_out = b->len;
	if (!p)
		p = calloc(1, 1);
	buf_init(b, b->max);
	return p;
}
