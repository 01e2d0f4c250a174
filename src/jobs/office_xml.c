/* The text of office files' XML parts: see jobs/office_xml.h. */
#include "jobs/office_xml.h"

#include <string.h>

#include "util/utf8.h"

struct scan {
	enum office_part kind;
	const struct office_strings *strings;
	struct buf *text;
	bool cut;
	office_page_fn page;
	void *ctx;
	bool stopped;
	int capture;     /* > 0: character data is text */
	int skip;        /* > 0: inside an element whose text is not shown (phonetic runs) */
	int tables;      /* ODS: depth of table:table */
	bool in_page;    /* ODS, ODP: text belongs to a page */
	char cell;       /* SHEET: 's' shared string, 'i' inline, 'f' formula string, 0 other */
	bool in_value;   /* SHEET: inside the v of a shared-string cell */
	char index[12];  /* ... its digits */
	size_t index_len;
};

/* --- output -------------------------------------------------------------------------------- */

static void add(struct scan *s, const char *p, size_t n)
{
	if (!s->cut && n > 0 && buf_add(s->text, p, n) != ST_OK)
		s->cut = true;
}

/* Text, without NUL bytes (they would end a page's text, and they end shared strings). */
static void emit(struct scan *s, const char *p, size_t n)
{
	const char *nul;
	while (n > 0 && (nul = memchr(p, '\0', n)) != NULL) {
		add(s, p, (size_t)(nul - p));
		n -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	add(s, p, n);
}

static void emitc(struct scan *s, char c)
{
	emit(s, &c, 1);
}

/* A line or cell break, not repeated and not at the start. */
static void emit_break(struct scan *s, char c)
{
	if (s->text->len > 0 && s->text->ptr[s->text->len - 1] != c)
		emitc(s, c);
}

static void end_page(struct scan *s)
{
	if (!s->in_page)
		return;
	s->in_page = false;
	if (s->page && !s->page(s->ctx, s->text))
		s->stopped = true;
	buf_reset(s->text);
	s->cut = false;
}

/* Code point CP as UTF-8 into OUT (4 bytes); its length, 0 when CP is not a character. */
static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The entity at P[0..N) (P[0] is '&'): its text into OUT (4 bytes) and *olen; the bytes it
 * takes, 0 when it is not one we know (the '&' is then text). */
static size_t entity(const char *p, size_t n, char *out, size_t *olen)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		size_t k = strlen(named[i].name);
		if (n > k && memcmp(p + 1, named[i].name, k) == 0) {
			out[0] = named[i].c;
			*olen = 1;
			return k + 1;
		}
	}
	if (n < 4 || p[1] != '#')
		return 0;
	bool hex = p[2] == 'x' || p[2] == 'X';
	size_t i = hex ? 3 : 2;
	uint32_t cp = 0;
	size_t digits = 0;
	for (; i < n && digits < 8; i++, digits++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'		 ? c - '0'
			: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
			: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
						      : -1;
		if (d < 0)
			break;
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
	}
	if (digits == 0 || i >= n || p[i] != ';')
		return 0;
	*olen = utf8_put(cp, out); /* not a character: dropped */
	return i + 1;
}

/* Character data P[0..N) with its references decoded. */
static void text_run(struct scan *s, const char *p, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '&')
			continue;
		char out[4];
		size_t olen = 0, k = entity(p + i, n - i, out, &olen);
		if (k == 0)
			continue;
		emit(s, p + start, i - start);
		emit(s, out, olen);
		i += k - 1;
		start = i + 1;
	}
	emit(s, p + start, n - start);
}

/* --- elements ------------------------------------------------------------------------------ */

static bool is(const char *name, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(name, want, n) == 0;
}

/* The value of attribute WANT (local name) in ATTS[0..N), or NULL; *vlen_out its length. */
static const char *attr(const char *atts, size_t n, const char *want, size_t *vlen_out)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (atts[i] == ' ' || atts[i] == '\t' || atts[i] == '\r' || atts[i] == '\n'))
			i++;
		size_t name = i;
		while (i < n && atts[i] != '=' && atts[i] != ' ' && atts[i] != '\t' && atts[i] != '\r' &&
		       atts[i] != '\n')
			i++;
		size_t name_end = i;
		while (i < n && atts[i] != '=')
			i++;
		if (i >= n)
			return NULL;
		i++;
		while (i < n && atts[i] != '"' && atts[i] != '\'')
			i++;
		if (i >= n)
			return NULL;
		char q = atts[i++];
		size_t v = i;
		while (i < n && atts[i] != q)
			i++;
		if (i >= n)
			return NULL;
		const char *local = memchr(atts + name, ':', name_end - name);
		local = local ? local + 1 : atts + name;
		if (is(local, (size_t)(atts + name_end - local), want)) {
			*vlen_out = i - v;
			return atts + v;
		}
		i++;
	}
	return NULL;
}

/* Shared string number INDEX[0..N) of the workbook, as text. */
static void shared_string(struct scan *s, const char *digits, size_t n)
{
	if (!s->strings || n == 0 || n > 9)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return;
		k = k * 10 + (size_t)(digits[i] - '0');
	}
	if (k >= s->strings->count)
		return;
	const char *str = s->strings->text + s->strings->off[k];
	emit(s, str, strlen(str));
	emit_break(s, '\t');
}

/* An element starts (an empty one is then closed at once, so counts stay balanced). */
static void open_tag(struct scan *s, const char *name, size_t n, const char *atts, size_t alen)
{
	switch (s->kind) {
	case OFFICE_PART_WORD:
	case OFFICE_PART_SLIDE:
		if (is(name, n, "t"))
			s->capture++;
		else if (is(name, n, "br") || is(name, n, "cr"))
			emitc(s, '\n');
		else if (s->kind == OFFICE_PART_WORD && is(name, n, "tab"))
			emitc(s, '\t');
		break;
	case OFFICE_PART_STRINGS:
	case OFFICE_PART_SHEET:
		if (is(name, n, "rPh")) {
			s->skip++;
		} else if (is(name, n, "t")) {
			s->capture++;
		} else if (s->kind == OFFICE_PART_SHEET && is(name, n, "c")) {
			size_t tl = 0;
			const char *t = attr(atts, alen, "t", &tl);
			s->cell = !t			      ? 0
				  : is(t, tl, "s")	      ? 's'
				  : is(t, tl, "inlineStr") ? 'i'
				  : is(t, tl, "str")       ? 'f'
							   : 0;
		} else if (s->kind == OFFICE_PART_SHEET && is(name, n, "v")) {
			if (s->cell == 's') {
				s->in_value = true;
				s->index_len = 0;
			} else if (s->cell == 'f') {
				s->capture++;
			}
		}
		break;
	case OFFICE_PART_ODT:
	case OFFICE_PART_ODS:
	case OFFICE_PART_ODP:
		if (s->kind == OFFICE_PART_ODS && is(name, n, "table")) {
			if (s->tables++ == 0)
				s->in_page = true;
		} else if (s->kind == OFFICE_PART_ODP && is(name, n, "page")) {
			s->in_page = true;
		} else if ((is(name, n, "p") || is(name, n, "h"))) {
			s->capture++;
		} else if (s->capture > 0 && is(name, n, "s")) {
			emitc(s, ' ');
		} else if (s->capture > 0 && is(name, n, "tab")) {
			emitc(s, '\t');
		} else if (s->capture > 0 && is(name, n, "line-break")) {
			emitc(s, '\n');
		}
		break;
	}
}

static void close_tag(struct scan *s, const char *name, size_t n)
{
	switch (s->kind) {
	case OFFICE_PART_WORD:
	case OFFICE_PART_SLIDE:
		if (is(name, n, "t") && s->capture > 0)
			s->capture--;
		else if (is(name, n, "p"))
			emit_break(s, '\n');
		break;
	case OFFICE_PART_STRINGS:
	case OFFICE_PART_SHEET:
		if (is(name, n, "rPh") && s->skip > 0) {
			s->skip--;
		} else if (is(name, n, "t") && s->capture > 0) {
			s->capture--;
			if (s->kind == OFFICE_PART_SHEET)
				emit_break(s, '\t');
		} else if (s->kind == OFFICE_PART_STRINGS && is(name, n, "si")) {
			add(s, "", 1);
		} else if (s->kind == OFFICE_PART_SHEET && is(name, n, "v")) {
			if (s->in_value)
				shared_string(s, s->index, s->index_len);
			else if (s->cell == 'f' && s->capture > 0) {
				s->capture--;
				emit_break(s, '\t');
			}
			s->in_value = false;
		} else if (s->kind == OFFICE_PART_SHEET && is(name, n, "c")) {
			s->cell = 0;
		} else if (s->kind == OFFICE_PART_SHEET && is(name, n, "row")) {
			if (s->text->len > 0 && s->text->ptr[s->text->len - 1] == '\t')
				s->text->ptr[s->text->len - 1] = '\n';
			else
				emit_break(s, '\n');
		}
		break;
	case OFFICE_PART_ODT:
	case OFFICE_PART_ODS:
	case OFFICE_PART_ODP:
		if ((is(name, n, "p") || is(name, n, "h")) && s->capture > 0) {
			s->capture--;
			emit_break(s, '\n');
		} else if (s->kind == OFFICE_PART_ODS && is(name, n, "table") && s->tables > 0) {
			if (--s->tables == 0)
				end_page(s);
		} else if (s->kind == OFFICE_PART_ODP && is(name, n, "page")) {
			end_page(s);
		}
		break;
	}
}

static void chars(struct scan *s, const char *p, size_t n)
{
	if (s->in_value) {
		for (size_t i = 0; i < n && s->index_len < sizeof s->index; i++)
			if (p[i] > ' ')
				s->index[s->index_len++] = p[i];
		return;
	}
	if (s->capture <= 0 || s->skip > 0)
		return;
	if ((s->kind == OFFICE_PART_ODS || s->kind == OFFICE_PART_ODP) && !s->in_page)
		return;
	text_run(s, p, n);
}

/* --- the scanner --------------------------------------------------------------------------- */

/* The position of NEEDLE in P[from..N), or N. */
static size_t find(const char *p, size_t n, size_t from, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = from; i + k <= n; i++)
		if (p[i] == needle[0] && memcmp(p + i, needle, k) == 0)
			return i;
	return n;
}

static bool name_char(char c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '/' && c != '>';
}

bool office_xml_text(enum office_part kind, const char *p, size_t n,
		     const struct office_strings *strings, struct buf *text, bool *cut_out,
		     office_page_fn page, void *ctx)
{
	struct scan s = {.kind = kind, .strings = strings, .text = text, .page = page, .ctx = ctx};
	s.in_page = kind != OFFICE_PART_ODS && kind != OFFICE_PART_ODP;
	size_t i = 0;
	while (i < n && !s.stopped) {
		if (p[i] != '<') {
			const char *lt = memchr(p + i, '<', n - i);
			size_t end = lt ? (size_t)(lt - p) : n;
			chars(&s, p + i, end - i);
			i = end;
			continue;
		}
		if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
			i = find(p, n, i + 4, "-->") + 3;
		} else if (n - i >= 9 && memcmp(p + i, "<![CDATA[", 9) == 0) {
			size_t end = find(p, n, i + 9, "]]>");
			if (!s.in_value && s.capture > 0 && s.skip == 0 && s.in_page)
				emit(&s, p + i + 9, end - (i + 9));
			i = end + 3;
		} else if (n - i >= 2 && p[i + 1] == '!') {
			/* A DOCTYPE (its internal subset in brackets) or another declaration: skipped,
			 * nothing in it is defined for us. */
			int depth = 0;
			for (i += 2; i < n; i++) {
				if (p[i] == '[')
					depth++;
				else if (p[i] == ']' && depth > 0)
					depth--;
				else if (p[i] == '>' && depth == 0)
					break;
			}
			i++;
		} else if (n - i >= 2 && p[i + 1] == '?') {
			i = find(p, n, i + 2, "?>") + 2;
		} else {
			bool closing = n - i >= 2 && p[i + 1] == '/';
			size_t name = i + (closing ? 2 : 1), j = name;
			while (j < n && name_char(p[j]))
				j++;
			size_t name_end = j;
			/* The end of the tag, quotes respected. */
			char q = 0;
			for (; j < n; j++) {
				if (q) {
					if (p[j] == q)
						q = 0;
				} else if (p[j] == '"' || p[j] == '\'') {
					q = p[j];
				} else if (p[j] == '>') {
					break;
				}
			}
			if (j >= n)
				break; /* cut short: the rest is not a tag */
			const char *colon = memchr(p + name, ':', name_end - name);
			const char *local = colon ? colon + 1 : p + name;
			size_t ln = (size_t)(p + name_end - local);
			if (closing) {
				close_tag(&s, local, ln);
			} else {
				bool empty = j > name_end && p[j - 1] == '/';
				size_t alen = j - name_end - (empty ? 1 : 0);
				open_tag(&s, local, ln, p + name_end, alen);
				if (empty)
					close_tag(&s, local, ln);
			}
			i = j + 1;
		}
	}
	if (cut_out)
		*cut_out = s.cut;
	return !s.stopped;
}

void office_utf8_clean(char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
			 : c >= 0xF0 && c <= 0xF4		      ? 4
								      : 0;
		if (k == 0 || k > n - i || !utf8_valid(p + i, k)) {
			p[i++] = '?';
			continue;
		}
		i += k;
	}
}
