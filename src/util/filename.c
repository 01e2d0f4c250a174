#include "util/filename.h"

#include <stdint.h>
#include <string.h>

#include "sidang_limits.h"

/* Longest extension (after the dot) kept when a long name is cut: covers .pdf, .docx, .jpeg
 * and friends, while a "dot" in the middle of a long title is not mistaken for one. */
#define FILENAME_EXT_MAX 16

/*
 * Decodes one UTF-8 sequence at P (N ≥ 1 bytes) as RFC 3629 allows it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Returns its length and sets *CP. For an invalid sequence
 * *CP is -1 and the length is that of its maximal subpart (Unicode §3.9, at least 1), so that
 * each broken sequence becomes one replacement and a valid byte after it is not swallowed.
 */
static size_t utf8_decode(const unsigned char *p, size_t n, int32_t *cp)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xBF;
	size_t need;
	int32_t c;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		c = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		else if (b == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		else if (b == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*cp = -1;
			return i;
		}
		c = c << 6 | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	return need + 1;
}

/* Characters that do not belong in a name shown to people: controls, and the invisible ones
 * that reorder or hide text (see filename.h for the list and why). */
static bool is_dropped(int32_t c)
{
	if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
		return true;
	switch (c) {
	case 0x00AD: /* soft hyphen */
	case 0x061C: /* Arabic letter mark */
	case 0x180E: /* Mongolian vowel separator */
	case 0x2028: /* line separator */
	case 0x2029: /* paragraph separator */
	case 0xFEFF: /* zero width no-break space (BOM) */
		return true;
	default:
		break;
	}
	return (c >= 0x200B && c <= 0x200F) || /* zero width space/joiners, LRM, RLM */
	       (c >= 0x202A && c <= 0x202E) || /* bidi embeddings and overrides */
	       (c >= 0x2060 && c <= 0x2064) || /* word joiner, invisible operators */
	       (c >= 0x2066 && c <= 0x2069) || /* bidi isolates */
	       (c >= 0x206A && c <= 0x206F) || /* deprecated format characters */
	       (c >= 0xFFF9 && c <= 0xFFFB) || /* interlinear annotation */
	       (c >= 0xE0000 && c <= 0xE007F); /* tags: invisible text */
}

struct name_out {
	char *p;
	size_t cap;
	size_t len;
	bool full; /* a unit did not fit; nothing after it is taken, so no gap appears */
};

static void emit(struct name_out *o, const char *s, size_t n)
{
	/* Leading dots make hidden files and ".." names; leading spaces hide in lists. */
	if (o->len == 0 && n == 1 && (s[0] == '.' || s[0] == ' '))
		return;
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Cleans IN into OUT (at most CAP bytes, whole sequences only). Returns the length; *full_out
 * tells whether something was cut off. */
static size_t clean(struct slice in, char *out, size_t cap, bool *full_out)
{
	struct name_out o = {out, cap, 0, false};
	const unsigned char *p = (const unsigned char *)in.ptr;
	size_t i = 0;
	while (i < in.len && !o.full) {
		int32_t c;
		size_t n = utf8_decode(p + i, in.len - i, &c);
		if (c < 0)
			emit(&o, "_", 1);
		else if (!is_dropped(c))
			emit(&o, in.ptr + i, n);
		i += n;
	}
	*full_out = o.full;
	return o.len;
}

static size_t trim_trailing_spaces(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

/* Length of a ".ext" at the end of NAME (1 to FILENAME_EXT_MAX ASCII letters and digits after a
 * dot that is not the first byte), or 0. */
static size_t ext_len(struct slice name)
{
	for (size_t i = name.len; i > 0; i--) {
		char c = name.ptr[i - 1];
		if (c == '.') {
			size_t n = name.len - i;
			return (i - 1 > 0 && n >= 1 && n <= FILENAME_EXT_MAX) ? n + 1 : 0;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 0;
}

void filename_sanitize(struct slice in, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return;
	size_t cap = LIMIT_FILENAME_BYTES;
	if (outlen - 1 < cap)
		cap = outlen - 1;
	if (!in.ptr)
		in.len = 0;

	/* The last path component: browsers on Windows (and old IE) send "C:\Users\...\x.pdf".
	 * '/' and '\\' bytes never occur inside a multi-byte UTF-8 sequence, so scanning bytes is
	 * safe. */
	struct slice name = in;
	for (size_t i = in.len; i > 0; i--) {
		if (in.ptr[i - 1] == '/' || in.ptr[i - 1] == '\\') {
			name = slice_of(in.ptr + i, in.len - i);
			break;
		}
	}

	bool full;
	size_t len = clean(name, out, cap, &full);
	size_t ext = full ? ext_len(name) : 0;
	if (ext > 0 && ext < cap) {
		/* Cut the stem, not the extension: the extension tells the reader (and the
		 * browser) what the file is. The extension is plain ASCII, so it is its own clean
		 * form. */
		bool ignored;
		size_t stem = clean(slice_of(name.ptr, name.len - ext), out, cap - ext, &ignored);
		stem = trim_trailing_spaces(out, stem);
		if (stem > 0) {
			memcpy(out + stem, name.ptr + name.len - ext, ext);
			len = stem + ext;
		} else {
			len = clean(name, out, cap, &full);
		}
	}
	len = trim_trailing_spaces(out, len);
	if (len == 0) {
		len = sizeof FILENAME_FALLBACK - 1 < cap ? sizeof FILENAME_FALLBACK - 1 : cap;
		memcpy(out, FILENAME_FALLBACK, len);
	}
	out[len] = '\0';
}

/* RFC 5987 §3.2.1 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~". */
static bool is_attr_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL;
}

enum status filename_content_disposition(struct buf *b, const char *name, bool inline_)
{
	static const char hex[] = "0123456789ABCDEF";
	enum status st = ST_OK;
	size_t start = b->len;
	if (!name || !*name)
		name = FILENAME_FALLBACK;
	size_t n = strlen(name);

	if ((st = buf_adds(b, inline_ ? "inline" : "attachment")) != ST_OK)
		goto out;
	if ((st = buf_adds(b, "; filename=\"")) != ST_OK)
		goto out;
	/* The quoted form for old clients: ASCII only, and none of the characters that some
	 * parsers treat as ends or escapes ('"', '\\', ';') or decode ('%'). */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool plain = c >= 0x20 && c <= 0x7E && c != '"' && c != '\\' && c != ';' && c != '%';
		if ((st = buf_addc(b, plain ? (char)c : '_')) != ST_OK)
			goto out;
	}
	if ((st = buf_adds(b, "\"; filename*=UTF-8''")) != ST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (is_attr_char(c)) {
			st = buf_addc(b, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			st = buf_add(b, esc, sizeof esc);
		}
		if (st != ST_OK)
			goto out;
	}
out:
	if (st != ST_OK && b->ptr) {
		b->len = start;
		b->ptr[start] = '\0';
	}
	return st;
}
