/*
 * File types by content (libmagic), against the allowlist of what a meeting dossier may hold:
 * PDF, JPEG, PNG, TIFF, and office formats (Word, Excel, PowerPoint, OpenDocument). The name and
 * the declared type of an upload are never trusted.
 */
#ifndef SIDANG_DOMAIN_FILETYPE_H
#define SIDANG_DOMAIN_FILETYPE_H

#include <stddef.h>

#include "util/status.h"

#define FILETYPE_MIME_MAX 128

/* Detects the type of a file from its first N bytes (up to 64 KiB are looked at). ST_OK with
 * MIME (FILETYPE_MIME_MAX bytes) when allowed; ST_UNSUPPORTED with MIME set to what was found
 * otherwise; ST_IO when libmagic cannot be loaded. Thread-safe. */
enum status filetype_detect(const unsigned char *p, size_t n, char *mime);

/* True for types a browser may show inline (PDF, images). */
int filetype_inline_ok(const char *mime);

#endif
