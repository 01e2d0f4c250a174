/*
 * Safe file names: what we keep of an uploaded file's name, and how we hand it back in a
 * Content-Disposition header. An uploaded name is outside input shown to other officials, so it
 * must not carry a path, control characters or invisible characters that disguise it (a U+202E
 * RIGHT-TO-LEFT OVERRIDE turns "invoice\u202Efdp.exe" into "invoiceexe.pdf" on screen).
 */
#ifndef SIDANG_UTIL_FILENAME_H
#define SIDANG_UTIL_FILENAME_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/slice.h"

/* The name used when nothing of an uploaded name is left. */
#define FILENAME_FALLBACK "dokumen"

/* Makes an uploaded file name safe to keep and show: takes the last path component (after '/'
 * or '\\'); removes C0/C1 control characters and DEL, Unicode bidi controls (U+200E, U+200F,
 * U+061C, U+202A–U+202E, U+2066–U+2069) and invisible format characters (U+00AD, U+180E,
 * U+200B–U+200D, U+2028, U+2029, U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB, tags
 * U+E0000–U+E007F); replaces each invalid UTF-8 sequence (maximal subpart) with '_'; strips
 * leading dots and spaces and trailing spaces; caps the result at LIMIT_FILENAME_BYTES without
 * cutting a UTF-8 sequence, keeping a short extension (".pdf") when it has to cut; and falls
 * back to FILENAME_FALLBACK when nothing is left. Writes a NUL-terminated string into OUT
 * (OUTLEN ≥ LIMIT_FILENAME_BYTES + 1; a smaller OUTLEN caps lower). */
void filename_sanitize(struct slice in, char *out, size_t outlen);

/* Appends a Content-Disposition value for NAME (sanitized UTF-8) to B:
 *   attachment; filename="report_.pdf"; filename*=UTF-8''report%C3%A9.pdf
 * ("inline" when INLINE_). The quoted ASCII fallback replaces every byte outside printable ASCII
 * and every '"', '\\', ';', '%' with '_'; filename* percent-encodes (RFC 5987) every byte outside
 * attr-char. An empty NAME is sent as FILENAME_FALLBACK. On error B is left as it was. */
enum status filename_content_disposition(struct buf *b, const char *name, bool inline_);

#endif
