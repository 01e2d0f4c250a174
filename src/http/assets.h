/* Static web assets embedded in the binary by tools/embed.cmake. */
#ifndef SIDANG_HTTP_ASSETS_H
#define SIDANG_HTTP_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;          /* "/index.html", "/app.js", ... */
	const unsigned char *data; /* NUL-terminated for convenience; len excludes it */
	size_t len;
};

/* Terminated by an entry with path == NULL. */
extern const struct asset assets[];

/* Returns the asset at PATH, or NULL. */
const struct asset *asset_find(const char *path);

/* The Content-Type to serve an asset with, chosen by its extension. */
const char *asset_content_type(const char *path);

#endif
