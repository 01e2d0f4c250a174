/*
 * multipart/form-data, streaming. The body is a byte stream scanned for the delimiter
 * CRLF "--" boundary; the parser is a small state machine fed by multipart_feed. See
 * docs/internals/multipart.md for the invariants this file keeps.
 */
#include "http/multipart.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sidang_limits.h"

/* "\r\n--" in front of the boundary. */
#define DELIM_PREFIX 4

enum mp_state {
	MP_PREAMBLE,    /* before the first delimiter: bytes are dropped */
	MP_AFTER_DELIM, /* "--boundary" just matched: "--", padding or CRLF must follow */
	MP_AFTER_DASH,  /* "--boundary-": the second '-' of the close delimiter must follow */
	MP_PADDING,     /* transport padding (spaces, tabs) after the boundary */
	MP_LINE_CR,     /* CR after the boundary; LF must follow */
	MP_HEADERS,     /* a part's header block, collected in hdr[] */
	MP_BODY,        /* a part's content, passed on through part_data */
	MP_EPILOGUE,    /* after the close delimiter: bytes are dropped */
	MP_FAILED,      /* sticky: every call returns `failed` */
};

struct multipart {
	struct multipart_callbacks cb;
	void *ctx;
	enum mp_state state;
	enum status failed;
	const char *err;
	bool in_part; /* part_begin was called, part_end not yet */
	size_t parts;
	/* In MP_PREAMBLE and MP_BODY: the input seen last that equals delim[0..held) and may yet
	 * become a delimiter. It is not kept anywhere else: delim[] itself holds those bytes. */
	size_t held;
	size_t delim_len;
	char delim[DELIM_PREFIX + LIMIT_MULTIPART_BOUNDARY];
	/* The header block of the current part after a CRLF sentinel, so that "\r\n\r\n" marks its end
	 * even when the block is empty. Also scratch space for the Content-Type in multipart_new. */
	size_t hdr_len;
	char hdr[2 + LIMIT_MULTIPART_PART_HEADER_BYTES];
};

/* A range of bytes inside our own buffer, which parsers may decode in place. */
struct span {
	char *p;
	size_t n;
};

static enum status fail(struct multipart *m, enum status st, const char *why)
{
	m->state = MP_FAILED;
	m->failed = st;
	m->err = why;
	return st;
}

/* --- header value syntax (RFC 7230 tokens, RFC 2045 parameters) ---------------------------- */

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes allowed in an unquoted parameter value. Wider than a token so that the unquoted
 * boundaries and file names real clients send (with '=', '/', UTF-8) are read, yet a value can
 * never swallow the ';' or quote that ends it. */
static bool is_bare_value_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != ';' && c != '"' && c != '\\';
}

static void skip_ows(struct span *s)
{
	while (s->n && (s->p[0] == ' ' || s->p[0] == '\t')) {
		s->p++;
		s->n--;
	}
}

static size_t token_len(const struct span *s)
{
	size_t i = 0;
	while (i < s->n && is_tchar((unsigned char)s->p[i]))
		i++;
	return i;
}

static void advance(struct span *s, size_t k)
{
	s->p += k;
	s->n -= k;
}

/* Reads a token or quoted-string value. A quoted-string is unescaped in place (the result is
 * never longer than its encoding, and the write position trails the read position). */
static enum status param_value(struct span *s, struct span *out)
{
	if (s->n && s->p[0] == '"') {
		char *w = s->p;
		const char *r = s->p + 1;
		const char *end = s->p + s->n;
		for (;;) {
			if (r == end)
				return ST_INVALID;
			char c = *r++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (r == end)
					return ST_INVALID;
				c = *r++;
			}
			*w++ = c;
		}
		out->p = s->p;
		out->n = (size_t)(w - s->p);
		advance(s, (size_t)(r - s->p));
		return ST_OK;
	}
	size_t i = 0;
	while (i < s->n && is_bare_value_char((unsigned char)s->p[i]))
		i++;
	if (i == 0)
		return ST_INVALID;
	out->p = s->p;
	out->n = i;
	advance(s, i);
	return ST_OK;
}

/* Reads the next `; name=value` of a parameter list. *DONE is set at the end of S. Empty
 * parameters (a trailing ';') are skipped, as some clients send them. */
static enum status next_param(struct span *s, struct span *name, struct span *value, bool *done)
{
	*done = false;
	for (;;) {
		skip_ows(s);
		if (s->n == 0) {
			*done = true;
			return ST_OK;
		}
		if (s->p[0] != ';')
			return ST_INVALID;
		advance(s, 1);
		skip_ows(s);
		if (s->n && s->p[0] != ';')
			break;
	}
	size_t t = token_len(s);
	if (t == 0)
		return ST_INVALID;
	name->p = s->p;
	name->n = t;
	advance(s, t);
	skip_ows(s);
	if (s->n == 0 || s->p[0] != '=')
		return ST_INVALID;
	advance(s, 1);
	skip_ows(s);
	return param_value(s, value);
}

static bool span_is(struct span s, const char *lit)
{
	return slice_eq_nocase(slice_of(s.p, s.n), lit);
}

static struct slice span_slice(struct span s) { return slice_of(s.p, s.n); }

/* --- Content-Type of the request: the boundary ---------------------------------------------- */

/* RFC 2046 bchars; a space may not be the last one. */
static bool valid_boundary(struct span b)
{
	if (b.n == 0 || b.n > LIMIT_MULTIPART_BOUNDARY || b.p[b.n - 1] == ' ')
		return false;
	for (size_t i = 0; i < b.n; i++) {
		unsigned char c = (unsigned char)b.p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (c == '\0' || !strchr("'()+_,-./:=? ", c)))
			return false;
	}
	return true;
}

static enum status parse_content_type(struct multipart *m, struct slice ct)
{
	/* Decoding in place needs our own copy; a Content-Type longer than the header area is not
	 * one any client sends. */
	if (ct.len > sizeof(m->hdr))
		return ST_INVALID;
	if (ct.len)
		memcpy(m->hdr, ct.ptr, ct.len);
	struct span s = {m->hdr, ct.len};
	skip_ows(&s);
	struct span type = {s.p, token_len(&s)};
	advance(&s, type.n);
	if (s.n == 0 || s.p[0] != '/')
		return ST_INVALID;
	advance(&s, 1);
	struct span subtype = {s.p, token_len(&s)};
	advance(&s, subtype.n);
	if (!span_is(type, "multipart") || !span_is(subtype, "form-data"))
		return ST_INVALID;

	bool have = false;
	for (;;) {
		struct span name, value;
		bool done;
		if (next_param(&s, &name, &value, &done) != ST_OK)
			return ST_INVALID;
		if (done)
			break;
		if (!span_is(name, "boundary"))
			continue;
		/* Two boundaries could make two parsers disagree on where parts begin. */
		if (have || !valid_boundary(value))
			return ST_INVALID;
		have = true;
		memcpy(m->delim, "\r\n--", DELIM_PREFIX);
		memcpy(m->delim + DELIM_PREFIX, value.p, value.n);
		m->delim_len = DELIM_PREFIX + value.n;
	}
	return have ? ST_OK : ST_INVALID;
}

enum status multipart_new(struct slice content_type, const struct multipart_callbacks *cb, void *ctx,
                          struct multipart **out)
{
	enum status st = ST_OK;
	struct multipart *m = NULL;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		st = ST_NOMEM;
		goto out;
	}
	if (cb)
		m->cb = *cb;
	m->ctx = ctx;
	m->err = "no error";
	st = parse_content_type(m, content_type);
	if (st != ST_OK)
		goto out;
	/* The body is scanned as if a CRLF came before it, so the first delimiter may stand at the
	 * very start without one (RFC 2046: the preamble, CRLF included, is optional). */
	m->state = MP_PREAMBLE;
	m->held = 2;
	*out = m;
	m = NULL;
out:
	free(m);
	return st;
}

/* --- part headers --------------------------------------------------------------------------- */

/* Decodes an RFC 5987 ext-value (`UTF-8'lang'percent-encoded`) in place. Only UTF-8 is
 * accepted: RFC 7578 §4.2 and browsers use nothing else, and transcoding is not our job. */
static enum status decode_ext_value(struct span v, struct span *out)
{
	const char *q1 = memchr(v.p, '\'', v.n);
	if (!q1 || !slice_eq_nocase(slice_of(v.p, (size_t)(q1 - v.p)), "utf-8"))
		return ST_INVALID;
	const char *end = v.p + v.n;
	const char *r = q1 + 1;
	while (r < end && *r != '\'') {
		unsigned char c = (unsigned char)*r;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-')
			return ST_INVALID;
		r++;
	}
	if (r == end)
		return ST_INVALID;
	r++;
	char *w = v.p;
	while (r < end) {
		unsigned char c = (unsigned char)*r++;
		if (c == '%') {
			if (end - r < 2)
				return ST_INVALID;
			int hi = 0, lo = 0;
			for (int k = 0; k < 2; k++) {
				unsigned char h = (unsigned char)r[k];
				int d = h >= '0' && h <= '9' ? h - '0'
				        : h >= 'a' && h <= 'f' ? h - 'a' + 10
				        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
				if (d < 0)
					return ST_INVALID;
				if (k == 0)
					hi = d;
				else
					lo = d;
			}
			r += 2;
			*w++ = (char)(hi << 4 | lo);
			continue;
		}
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (c == '\0' || !strchr("!#$&+-.^_`|~", c)))
			return ST_INVALID;
		*w++ = (char)c;
	}
	out->p = v.p;
	out->n = (size_t)(w - v.p);
	return ST_OK;
}

struct part_head {
	bool have_disposition, have_type, have_name, have_filename, have_filename_ext;
	struct span name, filename, filename_ext, type;
};

static enum status parse_disposition(struct multipart *m, struct span v, struct part_head *h)
{
	struct span kind = {v.p, token_len(&v)};
	advance(&v, kind.n);
	if (!span_is(kind, "form-data"))
		return fail(m, ST_INVALID, "part content-disposition is not form-data");
	for (;;) {
		struct span name, value;
		bool done;
		if (next_param(&v, &name, &value, &done) != ST_OK)
			return fail(m, ST_INVALID, "malformed part content-disposition");
		if (done)
			break;
		bool *seen;
		struct span *dst;
		if (span_is(name, "name")) {
			seen = &h->have_name;
			dst = &h->name;
		} else if (span_is(name, "filename")) {
			seen = &h->have_filename;
			dst = &h->filename;
		} else if (span_is(name, "filename*")) {
			if (decode_ext_value(value, &value) != ST_OK)
				return fail(m, ST_INVALID, "malformed filename* in part content-disposition");
			seen = &h->have_filename_ext;
			dst = &h->filename_ext;
		} else {
			continue;
		}
		/* A repeated parameter is ambiguous: another parser might take the other one. */
		if (*seen)
			return fail(m, ST_INVALID, "repeated parameter in part content-disposition");
		*seen = true;
		*dst = value;
	}
	if (!h->have_name)
		return fail(m, ST_INVALID, "part without a field name");
	if (memchr(h->name.p, '\0', h->name.n))
		return fail(m, ST_INVALID, "nul byte in a part's field name");
	if (h->have_filename_ext) {
		h->filename = h->filename_ext;
		h->have_filename = true;
	}
	if (h->have_filename && memchr(h->filename.p, '\0', h->filename.n))
		return fail(m, ST_INVALID, "nul byte in a part's file name");
	return ST_OK;
}

/* Parses hdr[2..end): header lines, each ending in CRLF, then the CRLF of the empty line. */
static enum status parse_part_headers(struct multipart *m, size_t end)
{
	struct part_head h = {0};
	size_t pos = 2;
	while (pos < end - 2) {
		char *line = m->hdr + pos;
		const char *eol = memmem(line, end - pos, "\r\n", 2);
		size_t len = (size_t)(eol - line); /* found: the block ends in CRLF */
		pos += len + 2;
		if (memchr(line, '\r', len) || memchr(line, '\0', len))
			return fail(m, ST_INVALID, "control character in part headers");
		if (line[0] == ' ' || line[0] == '\t')
			return fail(m, ST_INVALID, "folded part header");
		struct span s = {line, len};
		struct span name = {line, token_len(&s)};
		advance(&s, name.n);
		if (name.n == 0 || s.n == 0 || s.p[0] != ':')
			return fail(m, ST_INVALID, "malformed part header");
		advance(&s, 1);
		struct slice value = slice_trim(span_slice(s));
		s.p = line + (value.ptr - line);
		s.n = value.len;
		if (span_is(name, "content-disposition")) {
			if (h.have_disposition)
				return fail(m, ST_INVALID, "repeated content-disposition in a part");
			h.have_disposition = true;
			enum status st = parse_disposition(m, s, &h);
			if (st != ST_OK)
				return st;
		} else if (span_is(name, "content-type")) {
			if (h.have_type)
				return fail(m, ST_INVALID, "repeated content-type in a part");
			for (size_t i = 0; i < s.n; i++) {
				unsigned char c = (unsigned char)s.p[i];
				if ((c < 0x20 && c != '\t') || c == 0x7f)
					return fail(m, ST_INVALID, "control character in part headers");
			}
			h.have_type = true;
			h.type = s;
		}
	}
	if (!h.have_disposition)
		return fail(m, ST_INVALID, "part without content-disposition");
	if (m->cb.part_begin) {
		struct slice fname = h.have_filename ? span_slice(h.filename) : slice_of(NULL, 0);
		struct slice type = h.have_type ? span_slice(h.type) : slice_of("", 0);
		enum status st = m->cb.part_begin(m->ctx, span_slice(h.name), fname, type);
		if (st != ST_OK)
			return fail(m, st, "stopped by the part handler");
	}
	return ST_OK;
}

/* Collects the header block. Input is copied into hdr[] up to its capacity; of it only the bytes
 * up to the end of the block are consumed, the rest is read again as part content. */
static enum status take_headers(struct multipart *m, const char *p, size_t n, size_t *used)
{
	size_t old = m->hdr_len;
	size_t take = sizeof(m->hdr) - old;
	if (take > n)
		take = n;
	memcpy(m->hdr + old, p, take);
	size_t len = old + take;
	size_t from = old >= 3 ? old - 3 : 0;
	const char *term = memmem(m->hdr + from, len - from, "\r\n\r\n", 4);
	size_t end = term ? (size_t)(term - m->hdr) + 4 : len;
	/* Catch LF-only clients here, with a clear reason, instead of running into the size limit. */
	for (size_t q = old; q < end;) {
		const char *lf = memchr(m->hdr + q, '\n', end - q);
		if (!lf)
			break;
		if (lf[-1] != '\r') /* q >= 2: the sentinel is before every new byte */
			return fail(m, ST_INVALID, "part header lines must end with crlf");
		q = (size_t)(lf - m->hdr) + 1;
	}
	if (!term) {
		m->hdr_len = len;
		*used = take;
		if (len == sizeof(m->hdr))
			return fail(m, ST_TOO_LARGE, "part headers too large");
		return ST_OK;
	}
	*used = end - old;
	enum status st = parse_part_headers(m, end);
	if (st != ST_OK)
		return st;
	m->in_part = true;
	m->held = 0;
	m->state = MP_BODY;
	return ST_OK;
}

/* --- content and delimiters ----------------------------------------------------------------- */

static enum status emit(struct multipart *m, const char *p, size_t n)
{
	if (m->state != MP_BODY || n == 0 || !m->cb.part_data)
		return ST_OK;
	enum status st = m->cb.part_data(m->ctx, p, n);
	if (st != ST_OK)
		return fail(m, st, "stopped by the part handler");
	return ST_OK;
}

/* In MP_PREAMBLE or MP_BODY: passes on (or drops) content up to the next delimiter. The
 * delimiter's only CR is its first byte (bchars exclude CR), which keeps the search simple: a
 * delimiter can only begin at a CR, and a partial match can only be a suffix starting at the last
 * CR of the input. */
static enum status scan_content(struct multipart *m, const char *p, size_t n, size_t *used)
{
	enum status st;
	if (m->held) {
		size_t want = m->delim_len - m->held;
		size_t k = n < want ? n : want;
		if (memcmp(p, m->delim + m->held, k) == 0) {
			m->held += k;
			*used = k;
			if (m->held == m->delim_len) {
				m->held = 0;
				m->state = MP_AFTER_DELIM;
			}
			return ST_OK;
		}
		/* Not a delimiter after all: the held bytes were content. None of them but the first is
		 * a CR, so no delimiter starts among them and P is searched afresh. */
		size_t h = m->held;
		m->held = 0;
		if ((st = emit(m, m->delim, h)) != ST_OK)
			return st;
	}
	const char *hit = memmem(p, n, m->delim, m->delim_len);
	if (hit) {
		if ((st = emit(m, p, (size_t)(hit - p))) != ST_OK)
			return st;
		*used = (size_t)(hit - p) + m->delim_len;
		m->state = MP_AFTER_DELIM;
		return ST_OK;
	}
	size_t tail = m->delim_len - 1;
	size_t from = n > tail ? n - tail : 0;
	const char *cr = memrchr(p + from, '\r', n - from);
	size_t keep = 0;
	if (cr && memcmp(cr, m->delim, (size_t)(p + n - cr)) == 0)
		keep = (size_t)(p + n - cr);
	if ((st = emit(m, p, n - keep)) != ST_OK)
		return st;
	m->held = keep;
	*used = n;
	return ST_OK;
}

static enum status end_part(struct multipart *m)
{
	if (!m->in_part)
		return ST_OK;
	m->in_part = false;
	if (m->cb.part_end) {
		enum status st = m->cb.part_end(m->ctx);
		if (st != ST_OK)
			return fail(m, st, "stopped by the part handler");
	}
	return ST_OK;
}

/* The rest of a delimiter line, byte by byte: it is at most a few bytes per part. */
static enum status delimiter_line(struct multipart *m, char c)
{
	enum status st;
	switch (m->state) {
	case MP_AFTER_DELIM:
	case MP_PADDING:
		if (c == '-' && m->state == MP_AFTER_DELIM) {
			m->state = MP_AFTER_DASH;
			return ST_OK;
		}
		if (c == ' ' || c == '\t') {
			m->state = MP_PADDING;
			return ST_OK;
		}
		if (c == '\r') {
			m->state = MP_LINE_CR;
			return ST_OK;
		}
		break;
	case MP_AFTER_DASH:
		if (c != '-')
			break;
		if ((st = end_part(m)) != ST_OK)
			return st;
		m->state = MP_EPILOGUE;
		return ST_OK;
	case MP_LINE_CR:
		if (c != '\n')
			break;
		if ((st = end_part(m)) != ST_OK)
			return st;
		if (m->parts >= LIMIT_MULTIPART_PARTS)
			return fail(m, ST_TOO_LARGE, "too many parts");
		m->parts++;
		memcpy(m->hdr, "\r\n", 2);
		m->hdr_len = 2;
		m->state = MP_HEADERS;
		return ST_OK;
	default:
		break;
	}
	/* The boundary must not occur in content (RFC 2046 §5.1.1), so this is a broken body,
	 * not content that happens to look like a delimiter. */
	return fail(m, ST_INVALID, "malformed boundary line");
}

enum status multipart_feed(struct multipart *m, const char *p, size_t n)
{
	while (n > 0 && m->state != MP_FAILED) {
		size_t used = 0;
		enum status st;
		switch (m->state) {
		case MP_PREAMBLE:
		case MP_BODY:
			st = scan_content(m, p, n, &used);
			break;
		case MP_HEADERS:
			st = take_headers(m, p, n, &used);
			break;
		case MP_EPILOGUE:
			st = ST_OK;
			used = n;
			break;
		default:
			st = delimiter_line(m, p[0]);
			used = 1;
			break;
		}
		if (st != ST_OK)
			break;
		p += used;
		n -= used;
	}
	return m->state == MP_FAILED ? m->failed : ST_OK;
}

enum status multipart_finish(struct multipart *m)
{
	if (m->state == MP_FAILED)
		return m->failed;
	if (m->state == MP_EPILOGUE)
		return ST_OK;
	return fail(m, ST_INVALID, "body ends before the closing boundary");
}

const char *multipart_error(const struct multipart *m) { return m->err; }

void multipart_free(struct multipart *m) { free(m); }
