/* The "sidang" FTS5 tokenizer: unicode61 (remove_diacritics 2), then the Indonesian stemmer; and
 * the ranking function sidang_rank. */
#include "store/search_fts.h"

#include <libstemmer.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tokenizer {
	fts5_tokenizer inner_api; /* unicode61's functions */
	Fts5Tokenizer *inner;
	struct sb_stemmer *stemmer; /* one per instance: a stemmer is not thread-safe, an FTS5
				     * tokenizer instance belongs to one connection */
};

struct token_ctx {
	struct tokenizer *t;
	void *ctx;
	int (*token)(void *ctx, int flags, const char *tok, int n, int start, int end);
};

static int stem_token(void *p, int flags, const char *tok, int n, int start, int end)
{
	struct token_ctx *tc = p;
	if (n <= 0 || n > SEARCH_STEM_MAX_BYTES)
		return tc->token(tc->ctx, flags, tok, n, start, end);
	const sb_symbol *s = sb_stemmer_stem(tc->t->stemmer, (const sb_symbol *)tok, n);
	if (!s)
		return SQLITE_NOMEM;
	int len = sb_stemmer_length(tc->t->stemmer);
	/* A stem is never empty in practice; should one be, keep the folded word. */
	if (len <= 0)
		return tc->token(tc->ctx, flags, tok, n, start, end);
	return tc->token(tc->ctx, flags, (const char *)s, len, start, end);
}

static int tok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	struct tokenizer *t = (struct tokenizer *)p;
	struct token_ctx tc = {t, ctx, token};
	return t->inner_api.xTokenize(t->inner, &tc, flags, text, n, stem_token);
}

static void tok_delete(Fts5Tokenizer *p)
{
	struct tokenizer *t = (struct tokenizer *)p;
	if (!t)
		return;
	if (t->inner)
		t->inner_api.xDelete(t->inner);
	if (t->stemmer)
		sb_stemmer_delete(t->stemmer);
	free(t);
}

static int tok_create(void *api_ptr, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)args;
	*out = NULL;
	if (nargs != 0)
		return SQLITE_ERROR; /* the folding and stemming are fixed: the index depends on them */
	fts5_api *api = api_ptr;
	struct tokenizer *t = calloc(1, sizeof *t);
	if (!t)
		return SQLITE_NOMEM;
	void *uctx = NULL;
	int rc = api->xFindTokenizer(api, "unicode61", &uctx, &t->inner_api);
	if (rc == SQLITE_OK) {
		static const char *const inner_args[] = {"remove_diacritics", "2"};
		rc = t->inner_api.xCreate(uctx, (const char **)inner_args, 2, &t->inner);
	}
	if (rc == SQLITE_OK) {
		t->stemmer = sb_stemmer_new("indonesian", "UTF_8");
		if (!t->stemmer)
			rc = SQLITE_NOMEM;
	}
	if (rc != SQLITE_OK) {
		tok_delete((Fts5Tokenizer *)t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

/* --- sidang_rank: bm25(), and "can this row still be among the first K?" ------------------- */

/* FTS5's bm25() constants (fts5_aux.c), so the scores are bm25()'s own. */
#define BM25_K1 1.2
#define BM25_B 0.75

struct rank_data {
	int nphrase, ncol;
	int64_t k;      /* 0: nothing is cut */
	double avgdl;   /* average tokens per row */
	double *idf;    /* per phrase */
	double *freq;   /* per phrase, for the current row */
	double *weight; /* per column */
	double *best;   /* min-heap of the highest scores of the rows kept, at most k */
	int64_t nbest;
	bool have_last, last_kept; /* the last row scored: its rowid and score, whether kept */
	int64_t last_rowid;
	double last_score;
};

enum rank_mode { RANK_SCORE, RANK_CUT };

static int count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *user)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)user)++;
	return SQLITE_OK;
}

/* The per-query data, made on the first call as bm25() makes its own: the IDF of each phrase
 * from the number of rows it is in, the average row length, K and the weights (arguments 3 on,
 * constant for the query). Both modes' calls share it: auxiliary data belongs to the function
 * and the cursor. */
static int rank_data_of(const Fts5ExtensionApi *api, Fts5Context *fts, int nval,
			sqlite3_value **vals, struct rank_data **out)
{
	struct rank_data *d = api->xGetAuxdata(fts, 0);
	if (d) {
		*out = d;
		return SQLITE_OK;
	}
	int nphrase = api->xPhraseCount(fts), ncol = api->xColumnCount(fts);
	int64_t k = sqlite3_value_int64(vals[2]);
	if (k < 0 || k > SEARCH_RANK_K_MAX)
		return SQLITE_RANGE;
	size_t bytes = sizeof *d + ((size_t)nphrase * 2 + (size_t)ncol + (size_t)k) * sizeof(double);
	d = sqlite3_malloc64(bytes);
	if (!d)
		return SQLITE_NOMEM;
	memset(d, 0, bytes);
	d->nphrase = nphrase;
	d->ncol = ncol;
	d->k = k;
	d->idf = (double *)(d + 1);
	d->freq = d->idf + nphrase;
	d->weight = d->freq + nphrase;
	d->best = d->weight + ncol;
	for (int i = 0; i < ncol; i++)
		d->weight[i] = nval > 3 + i ? sqlite3_value_double(vals[3 + i]) : 1.0;
	sqlite3_int64 nrow = 0, ntok = 0;
	int rc = api->xRowCount(fts, &nrow);
	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(fts, -1, &ntok);
	if (rc == SQLITE_OK)
		d->avgdl = nrow > 0 && ntok > 0 ? (double)ntok / (double)nrow : 1.0;
	for (int i = 0; rc == SQLITE_OK && i < nphrase; i++) {
		sqlite3_int64 nhit = 0;
		rc = api->xQueryPhrase(fts, i, &nhit, count_cb);
		/* as bm25(): a phrase in more than half of the rows still counts, a little */
		double idf = log(((double)nrow - (double)nhit + 0.5) / ((double)nhit + 0.5));
		d->idf[i] = idf <= 0.0 ? 1e-6 : idf;
	}
	if (rc == SQLITE_OK)
		rc = api->xSetAuxdata(fts, d, sqlite3_free);
	else
		sqlite3_free(d);
	*out = rc == SQLITE_OK ? d : NULL;
	return rc;
}

/* The row's length in tokens from its %_docsize blob (one SQLite varint per column, the file
 * format FTS5 writes), or -1 when the blob is not that. */
static int64_t docsize_total(const unsigned char *p, int n, int ncol)
{
	int64_t total = 0;
	int at = 0;
	for (int col = 0; col < ncol; col++) {
		uint64_t v = 0;
		for (int k = 0;; k++) {
			if (at >= n)
				return -1;
			unsigned char b = p[at++];
			if (k == 8) { /* a ninth byte holds eight bits */
				v = (v << 8) | b;
				break;
			}
			v = (v << 7) | (b & 0x7f);
			if (!(b & 0x80))
				break;
		}
		if (v > INT32_MAX)
			return -1;
		total += (int64_t)v;
	}
	return total;
}

/* bm25()'s score of the current row (positive: higher is better; bm25() returns it negated). */
static int row_score(const Fts5ExtensionApi *api, Fts5Context *fts, struct rank_data *d,
		     sqlite3_value *docsize, double *out)
{
	memset(d->freq, 0, (size_t)d->nphrase * sizeof *d->freq);
	int rc = SQLITE_OK;
	for (int i = 0; rc == SQLITE_OK && i < d->nphrase; i++) {
		Fts5PhraseIter it;
		int col, off;
		rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		for (; rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			if (col < d->ncol)
				d->freq[i] += d->weight[col];
	}
	int64_t dl = -1;
	if (rc == SQLITE_OK && sqlite3_value_type(docsize) == SQLITE_BLOB)
		dl = docsize_total(sqlite3_value_blob(docsize), sqlite3_value_bytes(docsize), d->ncol);
	if (rc == SQLITE_OK && dl < 0) { /* no blob (or not FTS5's): FTS5's own lookup */
		int ntok = 0;
		rc = api->xColumnSize(fts, -1, &ntok);
		dl = ntok;
	}
	double score = 0.0;
	for (int i = 0; i < d->nphrase; i++)
		score += d->idf[i] * ((d->freq[i] * (BM25_K1 + 1.0)) /
				      (d->freq[i] + BM25_K1 * (1 - BM25_B + BM25_B * (double)dl / d->avgdl)));
	*out = score;
	return rc;
}

/* Adds SCORE to the K highest kept so far (the min-heap d->best). */
static void rank_keep(struct rank_data *d, double score)
{
	double *h = d->best;
	if (d->nbest < d->k) {
		int64_t i = d->nbest++;
		while (i > 0 && h[(i - 1) / 2] > score) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = score;
		return;
	}
	if (d->k == 0 || score <= h[0])
		return;
	int64_t i = 0;
	for (;;) {
		int64_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->k && h[l] < score)
			m = l;
		if (r < d->k && h[r] < (m == i ? score : h[l]))
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = score;
}

/* An integer that orders as the double S does (IEEE 754 bits, negatives' magnitude flipped). */
static int64_t order_key(double s)
{
	int64_t i;
	memcpy(&i, &s, sizeof i);
	return i < 0 ? i ^ INT64_MAX : i;
}

static void rank_function(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
			  int nval, sqlite3_value **vals)
{
	if (nval < 3) {
		sqlite3_result_error(ctx, "sidang_rank: expected (table, mode, docsize, k, ...)", -1);
		return;
	}
	const char *m = (const char *)sqlite3_value_text(vals[0]);
	enum rank_mode mode;
	if (m && strcmp(m, "score") == 0)
		mode = RANK_SCORE;
	else if (m && strcmp(m, "cut") == 0)
		mode = RANK_CUT;
	else {
		sqlite3_result_error(ctx, "sidang_rank: mode is 'score' or 'cut'", -1);
		return;
	}
	struct rank_data *d;
	int rc = rank_data_of(api, fts, nval, vals, &d);
	int64_t rowid = api->xRowid(fts);
	/* Each row is scored once, whichever call comes first, and kept at most once. */
	if (rc == SQLITE_OK && !(d->have_last && d->last_rowid == rowid)) {
		d->have_last = false;
		rc = row_score(api, fts, d, vals[1], &d->last_score);
		d->have_last = rc == SQLITE_OK;
		d->last_rowid = rowid;
		d->last_kept = false;
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	if (mode == RANK_CUT) {
		/* Strictly below the K-th: a tie may still be placed by the caller's tie-break. */
		bool out = d->k > 0 && d->nbest == d->k && d->last_score < d->best[0];
		sqlite3_result_int(ctx, !out);
		return;
	}
	if (!d->last_kept) {
		rank_keep(d, d->last_score);
		d->last_kept = true;
	}
	sqlite3_result_int64(ctx, order_key(-1.0 * d->last_score));
}

/* FTS5 hands out its API through a pointer-passing SQL function (sqlite.org/fts5.html §7.1). */
static fts5_api *fts5_api_of(sqlite3 *h)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api;
}

int search_register(sqlite3 *h)
{
	fts5_api *api = fts5_api_of(h);
	if (!api || api->iVersion < 2)
		return SQLITE_ERROR;
	fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
	int rc = api->xCreateTokenizer(api, SEARCH_TOKENIZER, api, &tok, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, SEARCH_RANK_FUNCTION, NULL, rank_function, NULL);
	return rc;
}
