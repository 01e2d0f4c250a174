/* The text of office files' XML parts (jobs/office_xml.c): each kind of part, entities, CDATA,
 * comments, a DOCTYPE that tries to define entities, cut-off input, NULs and bad UTF-8, the page
 * cap, and ODS/ODP pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/office_xml.h"

/* The text of XML as KIND (no strings, no page callback), in a NUL-terminated static buffer. */
static const char *text_of(enum office_part kind, const char *xml, const struct office_strings *ss)
{
	static char out[4096];
	struct buf b;
	buf_init(&b, sizeof out - 1);
	assert_true(office_xml_text(kind, xml, strlen(xml), ss, &b, NULL, NULL, NULL));
	memcpy(out, b.ptr ? b.ptr : "", b.len);
	out[b.len] = '\0';
	buf_release(&b);
	return out;
}

static void test_word(void **state)
{
	(void)state;
	assert_string_equal(
		text_of(OFFICE_PART_WORD,
			"<?xml version=\"1.0\"?><w:document xmlns:w=\"x\"><w:body>"
			"<w:p><w:r><w:t>Rapat</w:t></w:r><w:r><w:tab/><w:t xml:space=\"preserve\">"
			" koordinasi</w:t></w:r></w:p><w:p><w:r><w:delText>dihapus</w:delText>"
			"<w:t>A &amp; B &lt;C&gt; &#65;&#x42;&#x1F600; &unknown; &#0;</w:t><w:br/>"
			"<w:t>baris</w:t></w:r></w:p></w:body></w:document>",
			NULL),
		"Rapat\t koordinasi\nA & B <C> AB\xF0\x9F\x98\x80 &unknown; \nbaris\n");
}

static void test_slide(void **state)
{
	(void)state;
	assert_string_equal(text_of(OFFICE_PART_SLIDE,
				    "<p:sld><a:p><a:r><a:t>Judul</a:t></a:r></a:p><a:p><a:r>"
				    "<a:t><![CDATA[<b>mentah</b>]]></a:t></a:r></a:p>"
				    "<!-- <a:t>komentar</a:t> --></p:sld>",
				    NULL),
			    "Judul\n<b>mentah</b>\n");
}

static void test_workbook(void **state)
{
	(void)state;
	struct buf strings;
	buf_init(&strings, 1024);
	const char *sst = "<sst><si><t>satu</t></si><si><r><t>du</t></r><r><t>a</t></r>"
			  "<rPh><t>phonetic</t></rPh></si><si/></sst>";
	office_xml_text(OFFICE_PART_STRINGS, sst, strlen(sst), NULL, &strings, NULL, NULL, NULL);
	assert_int_equal(strings.len, 10);
	assert_memory_equal(strings.ptr, "satu\0dua\0\0", 10);
	uint32_t off[] = {0, 5, 9};
	struct office_strings ss = {strings.ptr, off, 3};
	assert_string_equal(
		text_of(OFFICE_PART_SHEET,
			"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>1</v></c>"
			"<c r=\"B1\"><v>12345</v></c><c r=\"C1\" t=\"inlineStr\"><is><t>sebaris</t>"
			"</is></c></row><row><c t='s'><v>0</v></c><c t=\"str\"><f>A1</f><v>hasil</v>"
			"</c><c t=\"s\"><v>99</v></c><c t=\"s\"><v>x</v></c></row></sheetData>"
			"</worksheet>",
			&ss),
		"dua\tsebaris\nsatu\thasil\n");
	buf_release(&strings);
}

static void test_odt_and_doctype(void **state)
{
	(void)state;
	assert_string_equal(
		text_of(OFFICE_PART_ODT,
			"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
			"<office:document-content><office:body><office:text>"
			"<text:h>Judul</text:h><text:p>satu<text:s text:c=\"3\"/>dua<text:tab/>tiga"
			"<text:line-break/>empat &b;</text:p><text:p/></office:text></office:body>"
			"</office:document-content>",
			NULL),
		"Judul\nsatu dua\ttiga\nempat &b;\n");
}

struct pages {
	int n;
	char text[4][64];
};

static bool on_page(void *ctx, const struct buf *text)
{
	struct pages *p = ctx;
	if (p->n < 4) {
		size_t k = text->len < 63 ? text->len : 63;
		memcpy(p->text[p->n], text->ptr ? text->ptr : "", k);
		p->text[p->n][k] = '\0';
	}
	p->n++;
	return true;
}

static void test_ods_odp_pages(void **state)
{
	(void)state;
	struct pages p = {0};
	struct buf b;
	buf_init(&b, 1024);
	const char *ods = "<office:spreadsheet><table:table><table:table-row><table:table-cell>"
			  "<text:p>A</text:p></table:table-cell><table:table-cell><table:table>"
			  "<text:p>nested</text:p></table:table></table:table-cell></table:table-row>"
			  "</table:table><text:p>outside</text:p><table:table><table:table-row>"
			  "<table:table-cell><text:p>B</text:p></table:table-cell></table:table-row>"
			  "</table:table></office:spreadsheet>";
	assert_true(office_xml_text(OFFICE_PART_ODS, ods, strlen(ods), NULL, &b, NULL, on_page, &p));
	assert_int_equal(p.n, 2);
	assert_string_equal(p.text[0], "A\nnested\n");
	assert_string_equal(p.text[1], "B\n");
	memset(&p, 0, sizeof p);
	const char *odp = "<draw:page><draw:frame><text:p>satu</text:p></draw:frame></draw:page>"
			  "<draw:page/><draw:page><text:p>tiga</text:p></draw:page>";
	assert_true(office_xml_text(OFFICE_PART_ODP, odp, strlen(odp), NULL, &b, NULL, on_page, &p));
	assert_int_equal(p.n, 3);
	assert_string_equal(p.text[0], "satu\n");
	assert_string_equal(p.text[1], "");
	assert_string_equal(p.text[2], "tiga\n");
	buf_release(&b);
}

static void test_cut_input_and_cap(void **state)
{
	(void)state;
	/* Input that ends inside a tag, a comment, a CDATA section, an attribute. */
	static const char *const cut[] = {"<w:p><w:t>ab", "<w:t>ab</w:t><w:p attr=\"x>", "<!-- x",
					  "<w:t><![CDATA[abc", "<", "<w:t>&#x41", "<?xml "};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++)
		text_of(OFFICE_PART_WORD, cut[i], NULL);
	assert_string_equal(text_of(OFFICE_PART_WORD, "<w:t>ab", NULL), "ab");
	/* The page's cap: text past it is dropped and said so. */
	struct buf b;
	buf_init(&b, 5);
	bool cut_flag = false;
	const char *x = "<w:t>123</w:t><w:t>4567</w:t><w:t>8</w:t>";
	office_xml_text(OFFICE_PART_WORD, x, strlen(x), NULL, &b, &cut_flag, NULL, NULL);
	assert_true(cut_flag);
	assert_int_equal(b.len, 3);
	buf_release(&b);
	/* NUL bytes never reach the text. */
	const char nul[] = "<w:t>a\0b</w:t>";
	buf_init(&b, 64);
	office_xml_text(OFFICE_PART_WORD, nul, sizeof nul - 1, NULL, &b, NULL, NULL, NULL);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.ptr, "ab", 2);
	buf_release(&b);
}

static void test_utf8_clean(void **state)
{
	(void)state;
	char s[] = "ok \xC3\xA9 \xFF \xE2\x82 \xED\xA0\x80 \xF0\x9F\x98\x80";
	office_utf8_clean(s, strlen(s));
	assert_string_equal(s, "ok \xC3\xA9 ? ?? ??? \xF0\x9F\x98\x80");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_slide),
		cmocka_unit_test(test_workbook),
		cmocka_unit_test(test_odt_and_doctype),
		cmocka_unit_test(test_ods_odp_pages),
		cmocka_unit_test(test_cut_input_and_cap),
		cmocka_unit_test(test_utf8_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
