/* Full-text search: query building, the access-filtered query, snippets, keeping the index. */
#include "domain/search.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/acl.h"
#include "domain/documents.h"
#include "domain/shapes.h"
#include "sidang_limits.h"
#include "util/utf8.h"

#define MARK_OPEN '\x01'
#define MARK_CLOSE '\x02'

static bool is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* A letter or digit (any non-ASCII byte may start one): a piece without one yields no token. */
static bool has_word_char(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z'))
			return true;
	}
	return false;
}

int search_build_match(const char *q, size_t n, char *out, size_t cap)
{
	if (cap == 0)
		return -1;
	size_t o = 0, i = 0;
	int terms = 0;
	out[0] = '\0';
	while (i < n) {
		if (is_space((unsigned char)q[i])) {
			i++;
			continue;
		}
		size_t start, end;
		if (q[i] == '"') { /* a phrase, to the next quote or the end */
			start = ++i;
			while (i < n && q[i] != '"')
				i++;
			end = i;
			if (i < n)
				i++;
		} else {
			start = i;
			while (i < n && !is_space((unsigned char)q[i]) && q[i] != '"')
				i++;
			end = i;
		}
		if (!has_word_char(q + start, end - start))
			continue;
		if (terms == SEARCH_MAX_TERMS)
			return -1;
		/* separator, two quotes, each byte possibly doubled, the NUL */
		size_t need = (terms ? 1 : 0) + 2 + 2 * (end - start) + 1;
		if (need > cap - o)
			return -1;
		if (terms)
			out[o++] = ' ';
		out[o++] = '"';
		for (size_t k = start; k < end; k++) {
			unsigned char ch = (unsigned char)q[k];
			if (ch == '"') /* not reachable from the split above; kept as FTS5's escape */
				out[o++] = '"';
			out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
		}
		out[o++] = '"';
		out[o] = '\0';
		terms++;
	}
	return terms;
}

json_t *search_snippet_segments(const char *s)
{
	json_t *segs = json_array();
	if (!segs || !s)
		return segs;
	bool hit = false;
	const char *p = s;
	for (;;) {
		size_t n = strcspn(p, "\x01\x02");
		if (n > 0) {
			json_t *text = json_stringn(p, n);
			if (!text) /* not UTF-8: cannot happen for stored text, never sent as such */
				text = json_string("\xef\xbf\xbd");
			json_array_append_new(segs, json_pack("{s:o, s:b}", "text", text, "hit", hit));
		}
		if (!p[n])
			break;
		hit = p[n] == MARK_OPEN;
		p += n + 1;
	}
	return segs;
}

static enum status fail(struct field_error *fe, const char *field, const char *why)
{
	fe->field = field;
	snprintf(fe->message, sizeof fe->message, "parameter '%s': %s", field, why);
	return ST_INVALID;
}

static bool type_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > DOC_TYPE_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static enum status validate(const struct search_params *p, enum classification *cls,
			    struct field_error *fe)
{
	if (!p->q)
		return fail(fe, "q", "required");
	size_t n = strlen(p->q);
	if (n > SEARCH_QUERY_MAX_BYTES)
		return fail(fe, "q", "at most 200 bytes");
	size_t blank = 0;
	while (blank < n && is_space((unsigned char)p->q[blank]))
		blank++;
	if (blank == n)
		return fail(fe, "q", "required");
	if (!utf8_valid(p->q, n))
		return fail(fe, "q", "not UTF-8");
	if (p->meeting_id < 0)
		return fail(fe, "meeting", "expected a meeting id");
	if (p->stage && !stage_valid(p->stage))
		return fail(fe, "stage", "expected perencanaan, pelaksanaan or pelaporan");
	if (p->type && !type_valid(p->type))
		return fail(fe, "type", "expected 1 to 64 of a-z, 0-9 and _");
	if (p->classification && !classification_parse(p->classification, cls))
		return fail(fe, "classification",
			    "expected biasa, terbatas, rahasia or sangat_rahasia");
	if (p->from && !date_valid(p->from))
		return fail(fe, "from", "expected YYYY-MM-DD");
	if (p->to && !date_valid(p->to))
		return fail(fe, "to", "expected YYYY-MM-DD");
	if (p->limit < 1 || p->limit > SEARCH_LIMIT_MAX)
		return fail(fe, "limit", "expected a number from 1 to 50");
	if (p->offset < 0 || p->offset > SEARCH_OFFSET_MAX)
		return fail(fe, "offset", "expected a number from 0 to 10000");
	return ST_OK;
}

/* Parameters ?1 to ?9 of SQL_SEARCH_QUERY and SQL_SEARCH_ALL. */
static void bind_filters(struct db_stmt *s, const char *match, const struct user *u,
			 const struct search_params *p, bool has_cls, enum classification cls)
{
	int ceiling = acl_read_ceiling(u);
	db_bind_text(s, 1, match);
	if (ceiling >= 0) {
		db_bind_int(s, 2, ceiling);
		db_bind_null(s, 3);
	} else {
		db_bind_int(s, 2, (int)u->clearance);
		db_bind_int(s, 3, u->id);
	}
	if (p->meeting_id > 0)
		db_bind_int(s, 4, p->meeting_id);
	else
		db_bind_null(s, 4);
	db_bind_text(s, 5, p->stage);
	db_bind_text(s, 6, p->type);
	if (has_cls)
		db_bind_int(s, 7, (int)cls);
	else
		db_bind_null(s, 7);
	db_bind_text(s, 8, p->from);
	db_bind_text(s, 9, p->to);
}

struct hit {
	int64_t document_id, meeting_id;
	char *meeting_title, *meeting_number, *meeting_date, *snippet;
};

static char *dup_col(struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	return strdup(v ? v : "");
}

static void hits_free(struct hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hits[i].meeting_title);
		free(hits[i].meeting_number);
		free(hits[i].meeting_date);
		free(hits[i].snippet);
	}
}

struct ranked {
	int64_t id, key;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The page's document ids, best first, into HITS (*n_out of them), and the total. First every
 * readable match up to SEARCH_TOTAL_CAP + 1 (SQL_SEARCH_ALL, with scores): when there are no
 * more, that is the exact total and the ranking, in one pass. Past the cap the total is capped
 * and SQL_SEARCH_QUERY ranks all the matches for the page, bm25 read in full only for rows that
 * can still reach it. */
static enum status page_ids(struct db_conn *c, const char *match, const struct user *u,
			    const struct search_params *p, bool has_cls, enum classification cls,
			    struct hit *hits, size_t *n_out, int64_t *total_out, bool *capped_out)
{
	*n_out = 0;
	*total_out = 0;
	*capped_out = false;
	struct ranked *all = malloc((SEARCH_TOTAL_CAP + 1) * sizeof *all);
	if (!all)
		return ST_NOMEM;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SEARCH_ALL, &s);
	if (st != ST_OK)
		goto out;
	bind_filters(s, match, u, p, has_cls, cls);
	db_bind_int(s, 10, SEARCH_TOTAL_CAP + 1);
	bool row;
	size_t n = 0;
	while ((st = db_step(s, &row)) == ST_OK && row && n < SEARCH_TOTAL_CAP + 1) {
		all[n].id = db_col_int(s, 0);
		all[n].key = db_col_int(s, 1);
		n++;
	}
	db_done(s);
	if (st != ST_OK)
		goto out;
	if (n <= SEARCH_TOTAL_CAP) {
		*total_out = (int64_t)n;
		qsort(all, n, sizeof *all, ranked_cmp);
		for (size_t i = (size_t)p->offset; i < n && *n_out < (size_t)p->limit; i++)
			hits[(*n_out)++].document_id = all[i].id;
		goto out;
	}
	*total_out = SEARCH_TOTAL_CAP;
	*capped_out = true;
	if ((st = db_prepare(c, SQL_SEARCH_QUERY, &s)) != ST_OK)
		goto out;
	bind_filters(s, match, u, p, has_cls, cls);
	db_bind_int(s, 10, p->limit + p->offset);
	db_bind_int(s, 11, p->limit);
	db_bind_int(s, 12, p->offset);
	while ((st = db_step(s, &row)) == ST_OK && row && *n_out < SEARCH_LIMIT_MAX)
		hits[(*n_out)++].document_id = db_col_int(s, 0);
	db_done(s);
out:
	free(all);
	return st;
}

/* Each hit's meeting and snippet (SQL_SEARCH_HIT): snippets are made for the page only.
 * *done_out counts the hits whose strings were allocated (for hits_free). */
static enum status hit_details(struct db_conn *c, const char *match, struct hit *hits, size_t n,
			       size_t *done_out)
{
	*done_out = 0;
	enum status st = ST_OK;
	for (size_t i = 0; i < n && st == ST_OK; i++) {
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_SEARCH_HIT, &s)) != ST_OK)
			break;
		db_bind_text(s, 1, match);
		db_bind_int(s, 2, hits[i].document_id);
		struct hit *h = &hits[i];
		bool row;
		if ((st = db_step(s, &row)) == ST_OK && !row)
			st = ST_IO; /* ranked a moment ago in the same snapshot */
		if (st == ST_OK) {
			h->meeting_id = db_col_int(s, 0);
			h->meeting_title = dup_col(s, 1);
			h->meeting_number = dup_col(s, 2);
			h->meeting_date = dup_col(s, 3);
			h->snippet = dup_col(s, 4);
			*done_out = i + 1;
			if (!h->meeting_title || !h->meeting_number || !h->meeting_date || !h->snippet)
				st = ST_NOMEM;
		}
		db_done(s);
	}
	return st;
}

static json_t *shape_hit(struct db_conn *c, const struct hit *h)
{
	struct document d;
	if (documents_load(c, h->document_id, &d) != ST_OK)
		return NULL;
	return json_pack("{s:o, s:{s:I, s:s, s:s, s:s}, s:o}", "document",
			 shape_document(c, &d, false), "meeting", "id", (json_int_t)h->meeting_id,
			 "title", h->meeting_title, "number", h->meeting_number, "date",
			 h->meeting_date, "snippet", search_snippet_segments(h->snippet));
}

enum status search_query(struct db_conn *c, const struct user *u, const struct search_params *p,
			 json_t **out, struct field_error *fe)
{
	*out = NULL;
	enum classification cls = CLASS_BIASA;
	enum status st = validate(p, &cls, fe);
	if (st != ST_OK)
		return st;
	char match[SEARCH_MATCH_MAX_BYTES];
	int terms = search_build_match(p->q, strlen(p->q), match, sizeof match);
	if (terms < 0)
		return fail(fe, "q", "too many words (at most 32)");
	struct hit hits[SEARCH_LIMIT_MAX] = {{0}};
	size_t n = 0, ndone = 0;
	int64_t total = 0;
	bool capped = false;
	json_t *items = json_array();
	if (!items)
		return ST_NOMEM;
	/* Nothing to look for, or nobody to look: no rows, and no query that could show any. */
	if (terms == 0 || !u || u->disabled)
		goto done;
	bool has_cls = p->classification != NULL;
	if ((st = page_ids(c, match, u, p, has_cls, cls, hits, &n, &total, &capped)) != ST_OK ||
	    (st = hit_details(c, match, hits, n, &ndone)) != ST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *item = shape_hit(c, &hits[i]);
		if (!item) {
			st = ST_IO;
			goto out;
		}
		json_array_append_new(items, item);
	}
done:
	*out = json_pack("{s:O, s:I, s:b, s:I, s:I}", "items", items, "total", (json_int_t)total,
			 "total_capped", capped, "limit", (json_int_t)p->limit, "offset",
			 (json_int_t)p->offset);
	if (!*out)
		st = ST_NOMEM;
out:
	hits_free(hits, ndone);
	json_decref(items);
	return st;
}

enum status search_record(struct db_conn *c, struct audit *a, const struct user *u,
			  const char *address, const struct search_params *p, int64_t total,
			  bool total_capped, int64_t returned)
{
	json_t *filters = json_object();
	if (p->meeting_id > 0)
		json_object_set_new(filters, "meeting", json_integer(p->meeting_id));
	const struct {
		const char *name, *value;
	} strs[] = {{"stage", p->stage}, {"type", p->type}, {"classification", p->classification},
		    {"from", p->from}, {"to", p->to}};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (strs[i].value)
			json_object_set_new(filters, strs[i].name, json_string(strs[i].value));
	json_t *detail = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "q", p->q ? p->q : "",
				   "filters", filters, "limit", (json_int_t)p->limit, "offset",
				   (json_int_t)p->offset, "total", (json_int_t)total, "returned",
				   (json_int_t)returned);
	if (!detail)
		return ST_NOMEM;
	/* "total" is then a floor: more matched than were counted. */
	if (total_capped)
		json_object_set_new(detail, "total_capped", json_true());
	struct audit_event ev = {u->id, u->username, address, "search", "search", "", detail};
	enum status st = db_begin(c);
	if (st == ST_OK && (st = audit_append(a, c, &ev, NULL)) == ST_OK)
		st = db_commit(c);
	if (st != ST_OK)
		db_rollback(c);
	json_decref(detail);
	return st;
}

static enum status exec_id(struct db_conn *c, enum sql_id id, int64_t key)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, key);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

enum status search_index_document(struct db_conn *c, int64_t id)
{
	enum status st = exec_id(c, SQL_SEARCH_INDEX_DELETE, id);
	if (st == ST_OK)
		st = exec_id(c, SQL_SEARCH_INDEX_INSERT, id);
	return st;
}

enum status search_index_meeting(struct db_conn *c, int64_t meeting_id)
{
	enum status st = exec_id(c, SQL_SEARCH_INDEX_MEETING_DELETE, meeting_id);
	if (st == ST_OK)
		st = exec_id(c, SQL_SEARCH_INDEX_MEETING_INSERT, meeting_id);
	return st;
}

/* Checks TEXT (N bytes) as a page's text. */
static enum status page_text_valid(const char *text, size_t *n_out)
{
	if (!text)
		return ST_INVALID;
	size_t n = strlen(text);
	if (n > SEARCH_PAGE_TEXT_MAX_BYTES)
		return ST_TOO_LARGE;
	if (!utf8_valid(text, n))
		return ST_INVALID;
	*n_out = n;
	return ST_OK;
}

/* The document's current version, after checking that VERSION exists. */
static enum status version_check(struct db_conn *c, int64_t document_id, int64_t version,
				 int64_t *current_out)
{
	if (version < 1)
		return ST_INVALID;
	struct document d;
	enum status st = documents_load(c, document_id, &d);
	if (st != ST_OK)
		return st;
	if (version > d.current_version)
		return ST_NOT_FOUND;
	*current_out = d.current_version;
	return ST_OK;
}

/* Stores one page's checked text, the snippet markers made spaces; no reindexing. */
static enum status store_page(struct db_conn *c, int64_t document_id, int64_t version,
			      int64_t page, const char *text, size_t n)
{
	char *clean = malloc(n + 1);
	if (!clean)
		return ST_NOMEM;
	for (size_t i = 0; i <= n; i++)
		clean[i] = text[i] == MARK_OPEN || text[i] == MARK_CLOSE ? ' ' : text[i];
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SEARCH_TEXT_SET, &s);
	if (st == ST_OK) {
		db_bind_int(s, 1, document_id);
		db_bind_int(s, 2, version);
		db_bind_int(s, 3, page);
		db_bind_textn(s, 4, clean, n);
		st = db_exec_stmt(s);
		db_done(s);
	}
	free(clean);
	return st;
}

enum status search_store_page(struct db_conn *c, int64_t document_id, int64_t version,
			      int64_t page, const char *text)
{
	size_t n;
	int64_t current;
	enum status st = page < 1 || page > LIMIT_SCAN_PAGES ? ST_INVALID : ST_OK;
	if (st == ST_OK)
		st = page_text_valid(text, &n);
	if (st == ST_OK)
		st = version_check(c, document_id, version, &current);
	if (st == ST_OK)
		st = store_page(c, document_id, version, page, text, n);
	return st;
}

enum status search_pages_stored(struct db_conn *c, int64_t document_id, int64_t version)
{
	int64_t current;
	enum status st = version_check(c, document_id, version, &current);
	if (st == ST_OK && version == current)
		st = search_index_document(c, document_id);
	return st;
}

enum status search_set_pages(struct db_conn *c, int64_t document_id, int64_t version,
			     int64_t first_page, int count, const char *const *texts)
{
	if (!texts || count < 1 || count > LIMIT_SCAN_PAGES || first_page < 1 ||
	    first_page > LIMIT_SCAN_PAGES - count + 1)
		return ST_INVALID;
	/* Every page is checked before any is stored: a bad one changes nothing. */
	size_t n;
	enum status st = ST_OK;
	for (int i = 0; i < count && st == ST_OK; i++)
		st = page_text_valid(texts[i], &n);
	int64_t current;
	if (st == ST_OK)
		st = version_check(c, document_id, version, &current);
	for (int i = 0; i < count && st == ST_OK; i++)
		st = store_page(c, document_id, version, first_page + i, texts[i], strlen(texts[i]));
	if (st == ST_OK && version == current)
		st = search_index_document(c, document_id);
	return st;
}

enum status search_set_text(struct db_conn *c, int64_t document_id, int64_t version, int64_t page,
			    const char *text)
{
	if (page < 1 || page > LIMIT_SCAN_PAGES)
		return ST_INVALID;
	return search_set_pages(c, document_id, version, page, 1, &text);
}
