/*
 * A per-request memory arena (STYLE.md §6): allocations live until arena_release; handlers do
 * not free piecemeal. Blocks are chained; the total is capped.
 */
#ifndef SIDANG_UTIL_ARENA_H
#define SIDANG_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total;
	size_t max;
};

void arena_init(struct arena *a, size_t max);
void arena_release(struct arena *a);
/* Zeroed memory, aligned for any type; NULL when out of memory or over the cap. */
void *arena_alloc(struct arena *a, size_t n);
/* A NUL-terminated copy of N bytes of P. */
char *arena_strndup(struct arena *a, const char *p, size_t n);
char *arena_strdup(struct arena *a, const char *s);
__attribute__((format(printf, 2, 3))) char *arena_printf(struct arena *a, const char *fmt, ...);

#endif
