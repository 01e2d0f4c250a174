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

/* Office formats, by what reads them: OOXML and ODF are ZIP archives of XML parts; the legacy
 * binary formats (.doc, .xls, .ppt) only LibreOffice reads. */
enum filetype_office {
	FILETYPE_NOT_OFFICE,
	FILETYPE_DOCX,
	FILETYPE_XLSX,
	FILETYPE_PPTX,
	FILETYPE_ODT,
	FILETYPE_ODS,
	FILETYPE_ODP,
	FILETYPE_DOC,
	FILETYPE_XLS,
	FILETYPE_PPT,
};

/* The office format of MIME (FILETYPE_NOT_OFFICE for anything else). */
enum filetype_office filetype_office(const char *mime);
/* The usual file name extension of office format F ("docx"); "" for FILETYPE_NOT_OFFICE. */
const char *filetype_office_ext(enum filetype_office f);
/* True for .doc, .xls and .ppt. */
int filetype_office_legacy(enum filetype_office f);

#endif
