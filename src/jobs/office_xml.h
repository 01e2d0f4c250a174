/*
 * The text of the XML parts of office files (private to src/jobs; used by kind_office.c in the
 * sandboxed child): a streaming tag scanner, not a DOM, so a part costs no more memory than its
 * text. It knows which elements hold text in each kind of part (WordprocessingML's w:t,
 * DrawingML's a:t, SpreadsheetML's shared strings and cells, ODF's text:p and text:h) and turns
 * paragraphs, rows and line breaks into newlines, cells and tabs into tabs.
 *
 * Bytes come from the file as they are: nothing is read past LEN, no entity is defined or
 * expanded beyond XML's five and character references (a DOCTYPE is skipped whole, so no
 * "billion laughs"), and invalid UTF-8 is replaced (office_utf8_clean) before the text leaves
 * the child. Elements are matched by local name: the prefix is the file's choice.
 */
#ifndef SIDANG_JOBS_OFFICE_XML_H
#define SIDANG_JOBS_OFFICE_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum office_part {
	OFFICE_PART_WORD,    /* word/document.xml, headers, footers, notes: w:t, w:tab, w:br, w:p */
	OFFICE_PART_SLIDE,   /* ppt/slides/slideN.xml: a:t, a:br, a:p */
	OFFICE_PART_STRINGS, /* xl/sharedStrings.xml: each si as one string, NUL-terminated */
	OFFICE_PART_SHEET,   /* xl/worksheets/sheetN.xml: string cells (shared ones looked up) */
	OFFICE_PART_ODT,     /* content.xml of a text document: one page */
	OFFICE_PART_ODS,     /* content.xml of a spreadsheet: a page per table:table */
	OFFICE_PART_ODP,     /* content.xml of a presentation: a page per draw:page */
};

/* A workbook's shared strings: TEXT holds COUNT strings, each ended by a NUL, OFF their starts. */
struct office_strings {
	const char *text;
	const uint32_t *off;
	size_t count;
};

/* Called at the end of each page of an ODS or ODP part with the page's text; false stops. */
typedef bool (*office_page_fn)(void *ctx, const struct buf *text);

/* Appends the text of part P[0..N) of KIND to TEXT (its maximum is the page's: text past it is
 * dropped, *cut_out (may be NULL) set). For OFFICE_PART_SHEET, STRINGS resolves shared strings
 * (may be NULL: none). For ODS and ODP, PAGE gets each page and TEXT is emptied after it. False
 * when PAGE said stop. */
bool office_xml_text(enum office_part kind, const char *p, size_t n,
		     const struct office_strings *strings, struct buf *text, bool *cut_out,
		     office_page_fn page, void *ctx);

/* Replaces each byte of P[0..N) that is not part of a valid UTF-8 sequence by '?', in place. */
void office_utf8_clean(char *p, size_t n);

#endif
