/* The "sidang" FTS5 tokenizer: unicode61 (remove_diacritics 2), then the Indonesian stemmer. */
#include "store/search_fts.h"

#include <libstemmer.h>
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
	return api->xCreateTokenizer(api, SEARCH_TOKENIZER, api, &tok, NULL);
}
