/*
 * The full-text tokenizer "sidang" for SQLite FTS5 (docs/api.md "Search"): FTS5's own unicode61
 * tokenizer with remove_diacritics 2 (Unicode case folding, diacritics removed), each token then
 * stemmed by Snowball's Indonesian stemmer (libstemmer, UTF-8), so "Perbatasan" and "batas" or
 * "pertemuan" and "temu" are the same term. Registered on every connection by db_sqlite.c's
 * connection setup, before any statement can touch the index, together with the ranking
 * function below.
 */
#ifndef SIDANG_STORE_SEARCH_FTS_H
#define SIDANG_STORE_SEARCH_FTS_H

#include <sqlite3.h>
#include <stdint.h>

/* The tokenizer's name, as written in `tokenize='sidang'`. */
#define SEARCH_TOKENIZER "sidang"
/* Tokens longer than this (bytes) are indexed as folded but not stemmed: no Indonesian word is
 * that long, and a long run of letters (a hash, an OCR artefact) gains nothing from stemming. */
#define SEARCH_STEM_MAX_BYTES 64

/* The FTS5 auxiliary function sidang_rank(TABLE, MODE, DOCSIZE, K, W0, W1, ...), for "the first
 * K matches, best first" without bm25() cost per match (docs/benchmarks.md):
 *
 * - MODE 'score': FTS5's bm25(TABLE, W0, W1, ...) of the row (the same IDF, k1 1.2, b 0.75,
 *   column weights W, missing ones 1.0), as an integer that orders as bm25()'s double does
 *   (lower is better), so it is read through the integer column accessors. The row is counted
 *   as one the caller ranks: call it in the SELECT list, where only rows that passed the whole
 *   WHERE clause arrive.
 * - MODE 'cut': 0 when K rows are counted already (above) and this row's score is strictly
 *   below the K-th best of theirs, so it cannot be among the first K; else 1. Put it in the
 *   WHERE clause: a term on TABLE and its docsize row alone is tested before the other joins,
 *   so a row that cannot place costs no lookups. K 0: always 1.
 *
 * DOCSIZE is the row's blob from TABLE's own %_docsize table (joined by rowid): FTS5's
 * xColumnSize reads it with a nested statement per row, which is most of bm25()'s cost (half a
 * microsecond a row); NULL falls back to xColumnSize. K and the weights must be constant for the
 * query; each row is scored once for both calls. Never under ORDER BY rank: FTS5 evaluates that
 * before the WHERE clause of a join. */
#define SEARCH_RANK_FUNCTION "sidang_rank"
/* The largest K: its heap is K doubles. */
#define SEARCH_RANK_K_MAX 100000

/* Registers the tokenizer and sidang_rank on connection H. Returns an SQLite result code (SQLITE_OK, or
 * SQLITE_ERROR when this SQLite has no FTS5). */
int search_register(sqlite3 *h);

#endif
