/*
 * Full-text search over documents (docs/api.md "Search"; docs/benchmarks.md): titles, the
 * document's type and file name, its meeting's title, number, place and chair, the alih-media
 * facts, and the text extracted from the current version's content, in an SQLite FTS5 index with
 * the tokenizer of store/search_fts.h (case and diacritics folded, Indonesian stems).
 *
 * Only what the searcher may read is searched: the access rule of domain/acl.h (the bureau by its
 * read ceiling; anyone else only published or verified documents granted to them, within their
 * clearance) is part of the SQL of both the result and the count, so neither a total nor a
 * snippet reveals anything else. The user's words never reach FTS5 as syntax: each word or
 * quoted phrase becomes one quoted FTS5 string.
 *
 * Cost (docs/benchmarks.md): up to SEARCH_TOTAL_CAP readable matches are counted and ranked in
 * one pass; past it the count stops, and the ranking reads every match but does the access
 * lookups only for those that can still reach the page (store/search_fts.h, sidang_rank).
 * Snippets are made for the page alone.
 */
#ifndef SIDANG_DOMAIN_SEARCH_H
#define SIDANG_DOMAIN_SEARCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "store/db.h"

/* The query text: a search box's worth; also bounds the FTS5 query we build from it. */
#define SEARCH_QUERY_MAX_BYTES 200
/* Words and phrases of one query; more is not a search but a document pasted in. */
#define SEARCH_MAX_TERMS 32
/* The FTS5 query built from a query: every byte at most doubled, plus quotes and spaces. */
#define SEARCH_MATCH_MAX_BYTES (3 * SEARCH_QUERY_MAX_BYTES + 3 * SEARCH_MAX_TERMS + 1)
/* Results per page, and how deep a page may start (ranking every match again per page). */
#define SEARCH_LIMIT_MAX 50
#define SEARCH_LIMIT_DEFAULT 20
#define SEARCH_OFFSET_MAX 10000
/* Matches counted exactly; past it the answer is "more than SEARCH_TOTAL_CAP" ("total_capped").
 * Nobody pages through a thousand hits, and counting stops costing more than the page itself:
 * 100 000 matches take 20 ms to count, 1001 a fraction of one. */
#define SEARCH_TOTAL_CAP 1000
/* The text of one page given to search_set_text (a dense A4 page is a few KiB). */
#define SEARCH_PAGE_TEXT_MAX_BYTES (1024 * 1024)

struct search_params {
	const char *q;              /* required: 1 to SEARCH_QUERY_MAX_BYTES bytes, not blank */
	int64_t meeting_id;         /* 0: any */
	const char *stage;          /* NULL: any */
	const char *type;           /* NULL: any */
	const char *classification; /* NULL: any */
	const char *from, *to;      /* meeting date YYYY-MM-DD, inclusive; NULL: open */
	int64_t limit;              /* 1 to SEARCH_LIMIT_MAX */
	int64_t offset;             /* 0 to SEARCH_OFFSET_MAX */
};

/* Runs the search P as U. *out (a new reference) is {"items": [{"document": DOCUMENT,
 * "meeting": {"id", "title", "number", "date"}, "snippet": [{"text", "hit"}...]}...], "total",
 * "total_capped", "limit", "offset"}, best first (bm25, then document id). "total" counts the
 * matches U may read, exactly up to SEARCH_TOTAL_CAP; past it "total" is SEARCH_TOTAL_CAP and
 * "total_capped" true. ST_INVALID with FE for bad parameters. Reads only: run it inside
 * db_begin_read for one snapshot of rows and count. */
enum status search_query(struct db_conn *c, const struct user *u, const struct search_params *p,
			 json_t **out, struct field_error *fe);
/* Appends the audit entry "search" (the query, its filters and the number of results, never the
 * results) in its own transaction. */
enum status search_record(struct db_conn *c, struct audit *a, const struct user *u,
			  const char *address, const struct search_params *p, int64_t total,
			  bool total_capped, int64_t returned);

/* Builds the FTS5 query for Q (N bytes) into OUT (CAP bytes): every whitespace-separated word,
 * and every "quoted phrase", as one FTS5 string, all ANDed. Nothing of Q is FTS5 syntax: *, :,
 * -, ^, NEAR, AND, OR, NOT, parentheses and column names are only text. Pieces with no letter
 * or digit are left out. Returns the number of terms (0: nothing to search), or -1 when Q has
 * more than SEARCH_MAX_TERMS terms or OUT is too small. */
int search_build_match(const char *q, size_t n, char *out, size_t cap);
/* Splits a snippet with hits between \x01 and \x02 into [{"text", "hit": bool}...] (a new
 * reference), so the browser renders it as text nodes. */
json_t *search_snippet_segments(const char *s);

/* Keeping the index in step; each runs inside the caller's write transaction. */
/* (Re)indexes document ID from its current row, version and text. */
enum status search_index_document(struct db_conn *c, int64_t id);
/* Reindexes the documents of meeting ID (after its title, number, place or chair changed). */
enum status search_index_meeting(struct db_conn *c, int64_t meeting_id);
/* Stores the extracted TEXT of page PAGE (from 1) of version VERSION of document DOCUMENT_ID,
 * replacing what the page had; reindexes the document when VERSION is its current one. Bytes
 * \x01 and \x02 (the snippet markers) become spaces. ST_TOO_LARGE over
 * SEARCH_PAGE_TEXT_MAX_BYTES; ST_INVALID for text that is not UTF-8 or a page outside 1 to
 * LIMIT_SCAN_PAGES; ST_NOT_FOUND for a missing document or version. Reindexing reads every page
 * of the document: for many pages use search_set_pages or search_store_page, which do it once. */
enum status search_set_text(struct db_conn *c, int64_t document_id, int64_t version, int64_t page,
			    const char *text);
/* Pages FIRST_PAGE to FIRST_PAGE + COUNT - 1 at once: TEXTS[i] is page FIRST_PAGE + i's text,
 * stored as search_set_text does, and the document reindexed once at the end (when VERSION is
 * its current one). Every text is checked before anything is stored, so an error (as
 * search_set_text's; ST_INVALID also for COUNT < 1 or a page past LIMIT_SCAN_PAGES) stores
 * nothing. One transaction of the caller's. */
enum status search_set_pages(struct db_conn *c, int64_t document_id, int64_t version,
			     int64_t first_page, int count, const char *const *texts);
/* For pages that come one at a time (a worker's output, read record by record): stores page PAGE
 * as search_set_text does but does not reindex; call search_pages_stored once after the last
 * one, in the same transaction. Errors as search_set_text's. */
enum status search_store_page(struct db_conn *c, int64_t document_id, int64_t version,
			      int64_t page, const char *text);
/* Reindexes document DOCUMENT_ID when VERSION is its current version (after search_store_page);
 * ST_NOT_FOUND for a missing document or version. */
enum status search_pages_stored(struct db_conn *c, int64_t document_id, int64_t version);

#endif
