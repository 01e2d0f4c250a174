/*
 * libFuzzer harness for src/jobs/office_xml.c, the tag scanner that reads the XML parts of
 * office files in the sandboxed child. The first byte picks the kind of part (and, for sheets,
 * whether shared strings are given); the rest is the part. Checked: it returns, text never
 * passes the buffer's cap, and after office_utf8_clean the text is valid UTF-8 (what leaves
 * the child); a page callback sees every ODS/ODP page within the cap too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/office_xml.h"
#include "util/buf.h"
#include "util/utf8.h"

#define CAP 4096

static void check(struct buf *text)
{
	if (text->len > CAP)
		abort();
	office_utf8_clean(text->ptr, text->len);
	if (!utf8_valid(text->ptr, text->len))
		abort();
}

static bool on_page(void *ctx, const struct buf *text)
{
	(void)ctx;
	if (text->len > CAP)
		abort();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum office_part kind = (enum office_part)(data[0] % 7);
	bool with_strings = data[0] & 0x80;
	static const char strings_text[] = "satu\0dua\0tiga";
	static const uint32_t offs[] = {0, 5, 9};
	struct office_strings strings = {strings_text, offs, 3};
	struct buf text;
	buf_init(&text, CAP);
	bool cut = false;
	office_xml_text(kind, (const char *)data + 1, size - 1, with_strings ? &strings : NULL, &text,
			&cut, on_page, NULL);
	check(&text);
	buf_release(&text);
	return 0;
}
