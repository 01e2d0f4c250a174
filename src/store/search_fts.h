/*
 * The full-text tokenizer "sidang" for SQLite FTS5 (docs/api.md "Search"): FTS5's own unicode61
 * tokenizer with remove_diacritics 2 (Unicode case folding, diacritics removed), each token then
 * stemmed by Snowball's Indonesian stemmer (libstemmer, UTF-8), so "Perbatasan" and "batas" or
 * "pertemuan" and "temu" are the same term. Registered on every connection by db_sqlite.c's
 * connection setup, before any statement can touch the index.
 */
#ifndef SIDANG_STORE_SEARCH_FTS_H
#define SIDANG_STORE_SEARCH_FTS_H

#include <sqlite3.h>

/* The tokenizer's name, as written in `tokenize='sidang'`. */
#define SEARCH_TOKENIZER "sidang"
/* Tokens longer than this (bytes) are indexed as folded but not stemmed: no Indonesian word is
 * that long, and a long run of letters (a hash, an OCR artefact) gains nothing from stemming. */
#define SEARCH_STEM_MAX_BYTES 64

/* Registers the tokenizer on connection H. Returns an SQLite result code (SQLITE_OK, or
 * SQLITE_ERROR when this SQLite has no FTS5). */
int search_register(sqlite3 *h);

#endif
