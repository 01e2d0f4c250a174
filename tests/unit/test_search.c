/* Full-text search: the tokenizer, query escaping, the access filter, snippets, the index. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/documents.h"
#include "domain/meetings.h"
#include "domain/search.h"
#include "domain/users.h"
#include "store/db.h"
#include "store/search_fts.h"
#include "store/sql.h"

/* --- the tokenizer, on a bare in-memory database ------------------------------------------ */

/* The terms the "sidang" tokenizer makes of TEXT, space-separated, in OUT. */
static void terms_of(const char *text, char *out, size_t cap)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
	assert_int_equal(search_register(h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'sidang');"
				      "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO t (x) VALUES (?1)", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT term FROM v ORDER BY offset", -1, &st, NULL),
			 SQLITE_OK);
	size_t o = 0;
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "",
				      (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_tokenizer_folds_case_and_diacritics(void **state)
{
	(void)state;
	char t[256];
	terms_of("Rapat RAPAT rapat", t, sizeof t);
	assert_string_equal(t, "rapat rapat rapat");
	terms_of("Café Émile naïve", t, sizeof t);
	assert_string_equal(t, "cafe emile naive");
}

static void test_tokenizer_stems_indonesian(void **state)
{
	(void)state;
	char a[256], b[256];
	terms_of("perbatasan", a, sizeof a);
	terms_of("batas", b, sizeof b);
	assert_string_equal(a, b);
	terms_of("Pertemuan", a, sizeof a);
	assert_string_equal(a, "temu");
	terms_of("dibahas membahas pembahasan", a, sizeof a);
	assert_string_equal(a, "bahas bahas bahas");
}

static void test_tokenizer_refuses_arguments(void **state)
{
	(void)state;
	sqlite3 *h;
	assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
	assert_int_equal(search_register(h), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize ="
					  " 'sidang remove_diacritics 0'); INSERT INTO t VALUES ('a')",
					  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* --- sidang_rank, on a bare in-memory database -------------------------------------------- */

/* The double an order key of sidang_rank stands for (the inverse of its encoding). */
static double key_value(int64_t k)
{
	if (k < 0)
		k ^= INT64_MAX;
	double d;
	memcpy(&d, &k, sizeof d);
	return d;
}

static sqlite3 *rank_db(int rows)
{
	static const char *const words[] = {"batas", "laut", "rapat", "nota", "kerja", "sama",
					    "wilayah", "darat", "pulau", "arsip"};
	sqlite3 *h;
	assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
	assert_int_equal(search_register(h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize = 'sidang')",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO t (a, b) VALUES (?1, ?2)", -1, &st, NULL),
			 SQLITE_OK);
	unsigned seed = 7;
	for (int r = 0; r < rows; r++) {
		char a[128] = "", b[1024] = "";
		int na = 1 + r % 4, nb = r % 3 == 0 ? 0 : 5 + (r * 7) % 60;
		for (int i = 0; i < na; i++) {
			seed = seed * 1103515245u + 12345u;
			strncat(a, words[(seed >> 16) % 10], sizeof a - strlen(a) - 2);
			strncat(a, " ", sizeof a - strlen(a) - 1);
		}
		for (int i = 0; i < nb; i++) {
			seed = seed * 1103515245u + 12345u;
			strncat(b, words[(seed >> 16) % 10], sizeof b - strlen(b) - 2);
			strncat(b, " ", sizeof b - strlen(b) - 1);
		}
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return h;
}

/* 'score' is bm25() exactly, with the docsize blob and without it (FTS5's own lookup). */
static void test_rank_is_bm25(void **state)
{
	(void)state;
	sqlite3 *h = rank_db(300);
	const char *qs[] = {"\"batas\"", "\"rapat\" \"laut\"", "\"kerja sama\"", "\"arsip\" \"nota\""};
	/* the length from the docsize blob, and from FTS5's own lookup */
	const char *sql[] = {"SELECT bm25(t, 10.0, 2.0), sidang_rank(t, 'score', z.sz, 0, 10.0, 2.0)"
			     " FROM t LEFT JOIN t_docsize z ON z.id = t.rowid WHERE t MATCH ?1",
			     "SELECT bm25(t, 10.0, 2.0), sidang_rank(t, 'score', NULL, 0, 10.0, 2.0)"
			     " FROM t WHERE t MATCH ?1"};
	for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++)
		for (size_t v = 0; v < 2; v++) {
			sqlite3_stmt *st;
			assert_int_equal(sqlite3_prepare_v2(h, sql[v], -1, &st, NULL), SQLITE_OK);
			sqlite3_bind_text(st, 1, qs[q], -1, SQLITE_STATIC);
			int rows = 0;
			while (sqlite3_step(st) == SQLITE_ROW) {
				double bm25 = sqlite3_column_double(st, 0);
				assert_true(bm25 < 0);
				assert_true(bm25 == key_value(sqlite3_column_int64(st, 1)));
				rows++;
			}
			assert_true(rows > 10);
			sqlite3_finalize(st);
		}
	/* a bad mode or K is an error, not a guess */
	assert_int_not_equal(sqlite3_exec(h, "SELECT sidang_rank(t, 'best', NULL, 0) FROM t"
					  " WHERE t MATCH 'batas'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "SELECT sidang_rank(t, 'score', NULL, -1) FROM t"
					  " WHERE t MATCH 'batas'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* With 'cut' in the WHERE clause and rows filtered by a join, the first K are still bm25()'s
 * first K of the rows that pass the filter: rows the filter drops never raise the bar. */
static void test_rank_cut_keeps_the_first_k(void **state)
{
	(void)state;
	sqlite3 *h = rank_db(1000);
	/* "readable": a fifth of the rows, not the best ones more than the others */
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE r (id INTEGER PRIMARY KEY);"
				      "INSERT INTO r SELECT rowid FROM t WHERE rowid % 5 = 2",
				      NULL, NULL, NULL), SQLITE_OK);
	const char *qs[] = {"\"batas\"", "\"rapat\" \"laut\"", "\"wilayah\""};
	for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++)
		for (int k = 1; k <= 40; k += 13) {
			sqlite3_stmt *a, *b;
			assert_int_equal(sqlite3_prepare_v2(h,
				"SELECT t.rowid, sidang_rank(t, 'score', z.sz, ?2, 10.0, 2.0) AS s"
				" FROM t LEFT JOIN t_docsize z ON z.id = t.rowid JOIN r ON r.id = t.rowid"
				" WHERE t MATCH ?1 AND sidang_rank(t, 'cut', z.sz, ?2, 10.0, 2.0)"
				" ORDER BY s, t.rowid LIMIT ?2", -1, &a, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_prepare_v2(h,
				"SELECT t.rowid FROM t JOIN r ON r.id = t.rowid WHERE t MATCH ?1"
				" ORDER BY bm25(t, 10.0, 2.0), t.rowid LIMIT ?2", -1, &b, NULL),
				SQLITE_OK);
			for (int i = 0; i < 2; i++) {
				sqlite3_stmt *st = i ? b : a;
				sqlite3_bind_text(st, 1, qs[q], -1, SQLITE_STATIC);
				sqlite3_bind_int(st, 2, k);
			}
			int n = 0;
			while (sqlite3_step(b) == SQLITE_ROW) {
				assert_int_equal(sqlite3_step(a), SQLITE_ROW);
				assert_int_equal(sqlite3_column_int64(a, 0), sqlite3_column_int64(b, 0));
				n++;
			}
			assert_int_equal(sqlite3_step(a), SQLITE_DONE);
			assert_int_equal(n, k); /* enough matches that the cut had work to do */
			sqlite3_finalize(a);
			sqlite3_finalize(b);
		}
	sqlite3_close(h);
}

/* --- the query ----------------------------------------------------------------------------- */

static void check_match(const char *q, int terms, const char *want)
{
	char out[SEARCH_MATCH_MAX_BYTES];
	assert_int_equal(search_build_match(q, strlen(q), out, sizeof out), terms);
	if (want)
		assert_string_equal(out, want);
}

static void test_build_match_quotes_everything(void **state)
{
	(void)state;
	check_match("rapat koordinasi", 2, "\"rapat\" \"koordinasi\"");
	check_match("  \"batas wilayah\"  nota ", 2, "\"batas wilayah\" \"nota\"");
	check_match("title:rahasia", 1, "\"title:rahasia\"");
	check_match("rapat*", 1, "\"rapat*\"");
	check_match("-rapat NEAR(a b) OR NOT x AND y ^z", 9,
		    "\"-rapat\" \"NEAR(a\" \"b)\" \"OR\" \"NOT\" \"x\" \"AND\" \"y\" \"^z\"");
	check_match("\"unclosed phrase", 1, "\"unclosed phrase\"");
	check_match("a\"b", 2, "\"a\" \"b\"");
	check_match("* : - \"\" ( )", 0, "");
	check_match("", 0, "");
	check_match("{title body}: x", 3, "\"{title\" \"body}:\" \"x\"");
	char many[200] = "";
	for (int i = 0; i < 40; i++)
		strncat(many, "a ", sizeof many - strlen(many) - 1);
	check_match(many, -1, NULL);
}

static void test_snippet_segments(void **state)
{
	(void)state;
	json_t *s = search_snippet_segments("rapat \x01" "batas\x02 wilayah \x01nota\x02");
	char *dump = json_dumps(s, JSON_COMPACT);
	assert_string_equal(dump, "[{\"text\":\"rapat \",\"hit\":false},{\"text\":\"batas\",\"hit\":true},"
				  "{\"text\":\" wilayah \",\"hit\":false},{\"text\":\"nota\",\"hit\":true}]");
	free(dump);
	json_decref(s);
	s = search_snippet_segments("");
	assert_int_equal(json_array_size(s), 0);
	json_decref(s);
}

/* --- over a real database ------------------------------------------------------------------ */

struct fixture {
	FX_FIELDS;
	struct user high, low, pic;
	int64_t meeting, biasa_doc, rahasia_doc;
};

static void make_user(struct fixture *f, const char *name, const char *role,
		      enum classification clearance, struct user *out)
{
	const char *roles[] = {role, NULL};
	struct actor who = {0, "cli", "cli"};
	struct user_new nu = {name, NULL, NULL, NULL, clearance, roles, "kata-sandi-uji-123"};
	char err[256];
	assert_int_equal(users_create(f->c, f->a, &who, &nu, NULL, err, sizeof err), ST_OK);
	assert_int_equal(users_get_by_name(f->c, name, out, NULL), ST_OK);
}

static int64_t add_doc(struct fixture *f, const char *title, const char *cls)
{
	static int n;
	char sha[65], body[32];
	snprintf(body, sizeof body, "search document %d", ++n);
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)body, strlen(body));
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	struct document_input in = {"pelaksanaan", "notulensi", title, cls, "born_digital",
				    NULL, NULL, NULL, NULL};
	struct blob_ref ref = {sha, strlen(body), "application/pdf", "risalah-sidang.pdf"};
	struct document d;
	struct field_error fe = {0};
	assert_int_equal(documents_create(f->c, f->a, &f->high, "test", f->meeting, &in, &ref, &d,
					  &fe), ST_OK);
	return d.id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	FX_OPEN(f, "search", 2);
	make_user(f, "tinggi", "pengelola_persidangan", CLASS_SANGAT_RAHASIA, &f->high);
	make_user(f, "rendah", "pengelola_naskah", CLASS_BIASA, &f->low);
	make_user(f, "pic", "reader", CLASS_SANGAT_RAHASIA, &f->pic);
	struct meeting_input in = {"Rapat Koordinasi Perbatasan", "RK-7", "2026-11-20", "Jakarta",
				   "Deputi", true, CLASS_BIASA};
	struct meeting m;
	struct field_error fe = {0};
	assert_int_equal(meetings_create(f->c, f->a, &f->high, "test", &in, &m, &fe), ST_OK);
	f->meeting = m.id;
	f->biasa_doc = add_doc(f, "Notulensi pertemuan tentang batas wilayah", "biasa");
	f->rahasia_doc = add_doc(f, "Kajian perbatasan laut tertutup", "rahasia");
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_set_text(f->c, f->rahasia_doc, 1, 1,
					 "Posisi runding kita: garis pangkal kepulauan Natuna."),
			 ST_OK);
	assert_int_equal(search_set_text(f->c, f->biasa_doc, 1, 1,
					 "Peserta membahas pembangunan pos lintas batas."),
			 ST_OK);
	assert_int_equal(db_commit(f->c), ST_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	FX_CLOSE(f);
	free(f);
	return 0;
}

static json_t *search(struct fixture *f, const struct user *u, const char *q)
{
	struct search_params p = {.q = q, .limit = 20};
	struct field_error fe = {0};
	json_t *out = NULL;
	assert_int_equal(search_query(f->c, u, &p, &out, &fe), ST_OK);
	assert_non_null(out);
	return out;
}

static int64_t total_of(json_t *r) { return json_integer_value(json_object_get(r, "total")); }

static void test_acl_biasa_user_never_sees_rahasia(void **state)
{
	struct fixture *f = *state;
	json_t *r = search(f, &f->high, "batas");
	assert_int_equal(total_of(r), 2); /* "batas" and "perbatasan": one stem */
	assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
	json_decref(r);
	r = search(f, &f->low, "perbatasan");
	assert_int_equal(total_of(r), 1);
	json_t *items = json_object_get(r, "items");
	assert_int_equal(json_array_size(items), 1);
	json_t *doc = json_object_get(json_array_get(items, 0), "document");
	assert_int_equal(json_integer_value(json_object_get(doc, "id")), f->biasa_doc);
	char *dump = json_dumps(r, 0);
	assert_null(strstr(dump, "Natuna"));
	assert_null(strstr(dump, "tertutup"));
	free(dump);
	json_decref(r);
	/* the rahasia document's own words: nothing, and a count of nothing */
	r = search(f, &f->low, "Natuna tertutup");
	assert_int_equal(total_of(r), 0);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	json_decref(r);
	r = search(f, &f->high, "natuna");
	assert_int_equal(total_of(r), 1);
	json_decref(r);
}

static void test_pic_sees_only_granted_published(void **state)
{
	struct fixture *f = *state;
	json_t *r = search(f, &f->pic, "batas");
	assert_int_equal(total_of(r), 0); /* nothing granted: nothing, whatever the clearance */
	json_decref(r);
}

static void test_snippet_marks_hits(void **state)
{
	struct fixture *f = *state;
	json_t *r = search(f, &f->high, "membahas");
	assert_int_equal(total_of(r), 1);
	json_t *snip = json_object_get(json_array_get(json_object_get(r, "items"), 0), "snippet");
	assert_true(json_array_size(snip) >= 2);
	bool hit = false;
	size_t i;
	json_t *seg;
	json_array_foreach(snip, i, seg) {
		assert_true(json_is_string(json_object_get(seg, "text")));
		if (json_is_true(json_object_get(seg, "hit")))
			hit = true;
	}
	assert_true(hit);
	json_decref(r);
}

static void test_injection_is_no_error(void **state)
{
	struct fixture *f = *state;
	const char *qs[] = {"\"", "\"\"\"", "*", "batas*", "title:batas", "{title}: batas",
			    "NEAR(batas wilayah)", "batas OR Natuna", "NOT batas", "-batas", "^batas",
			    "batas AND", "(", ")", "x\" OR \"y", "'; DROP TABLE documents; --"};
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		json_t *r = search(f, &f->low, qs[i]);
		char *dump = json_dumps(r, 0);
		assert_null(strstr(dump, "Natuna"));
		free(dump);
		json_decref(r);
	}
	/* "batas OR Natuna" is three words ANDed, not an OR: no document has all three */
	json_t *r = search(f, &f->high, "batas OR Natuna");
	assert_int_equal(total_of(r), 0);
	json_decref(r);
}

static void test_validation(void **state)
{
	struct fixture *f = *state;
	struct field_error fe = {0};
	json_t *out = NULL;
	char big[SEARCH_QUERY_MAX_BYTES + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const struct search_params bad[] = {
		{.q = NULL, .limit = 20}, {.q = "", .limit = 20}, {.q = "   ", .limit = 20},
		{.q = big, .limit = 20}, {.q = "a", .limit = 0}, {.q = "a", .limit = 51},
		{.q = "a", .limit = 20, .stage = "x"}, {.q = "a", .limit = 20, .from = "2026-13-01"},
		{.q = "a", .limit = 20, .classification = "top"},
		{.q = "a", .limit = 20, .offset = -1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(search_query(f->c, &f->high, &bad[i], &out, &fe), ST_INVALID);
		assert_null(out);
		assert_non_null(fe.field);
	}
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	struct field_error fe = {0};
	json_t *out = NULL;
	struct search_params p = {.q = "batas", .limit = 20, .classification = "rahasia"};
	assert_int_equal(search_query(f->c, &f->high, &p, &out, &fe), ST_OK);
	assert_int_equal(total_of(out), 1);
	json_decref(out);
	p = (struct search_params){.q = "batas", .limit = 20, .from = "2026-11-21"};
	assert_int_equal(search_query(f->c, &f->high, &p, &out, &fe), ST_OK);
	assert_int_equal(total_of(out), 0);
	json_decref(out);
	p = (struct search_params){.q = "batas", .limit = 1, .stage = "pelaksanaan",
				   .meeting_id = f->meeting, .from = "2026-11-20", .to = "2026-11-20"};
	assert_int_equal(search_query(f->c, &f->high, &p, &out, &fe), ST_OK);
	assert_int_equal(total_of(out), 2); /* counted past the page of one */
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
}

static void test_new_version_reindexes(void **state)
{
	struct fixture *f = *state;
	struct blob_ref ref = {"ab00000000000000000000000000000000000000000000000000000000000000", 3,
			       "application/pdf", "versi-kedua-zamrud.pdf"};
	struct document d;
	assert_int_equal(documents_add_version(f->c, f->a, &f->high, "test", f->biasa_doc, &ref, &d),
			 ST_OK);
	json_t *r = search(f, &f->high, "zamrud");
	assert_int_equal(total_of(r), 1);
	json_decref(r);
	/* version 1's text is no longer the document's */
	r = search(f, &f->high, "membahas");
	assert_int_equal(total_of(r), 0);
	json_decref(r);
}

/* N more documents like TEMPLATE (a copy of its row and version), titled TITLE, of
 * classification CLS and state STATE, indexed; written on a connection of its own, as a bulk
 * load would be. Returns the first new id. */
static int64_t bulk_docs(struct fixture *f, int64_t template, int n, const char *title, int cls,
			 const char *state)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(search_register(h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *doc, *ver, *idx;
	assert_int_equal(sqlite3_prepare_v2(h,
		"INSERT INTO documents (meeting_id, stage, type, title, classification, source, state,"
		" created_by, created_at, current_version) SELECT meeting_id, stage, type, ?2, ?3,"
		" source, ?4, created_by, created_at, 1 FROM documents WHERE id = ?1",
		-1, &doc, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
		"INSERT INTO document_versions SELECT ?2, version, sha256, size, mime, filename,"
		" uploaded_by, uploaded_at FROM document_versions WHERE document_id = ?1"
		" AND version = 1", -1, &ver, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql_text(SQL_SEARCH_INDEX_INSERT), -1, &idx, NULL),
			 SQLITE_OK);
	int64_t first = 0;
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int64(doc, 1, template);
		sqlite3_bind_text(doc, 2, title, -1, SQLITE_STATIC);
		sqlite3_bind_int(doc, 3, cls);
		sqlite3_bind_text(doc, 4, state, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(doc), SQLITE_DONE);
		sqlite3_reset(doc);
		int64_t id = sqlite3_last_insert_rowid(h);
		if (!first)
			first = id;
		sqlite3_bind_int64(ver, 1, template);
		sqlite3_bind_int64(ver, 2, id);
		assert_int_equal(sqlite3_step(ver), SQLITE_DONE);
		sqlite3_reset(ver);
		sqlite3_bind_int64(idx, 1, id);
		assert_int_equal(sqlite3_step(idx), SQLITE_DONE);
		sqlite3_reset(idx);
	}
	sqlite3_finalize(doc);
	sqlite3_finalize(ver);
	sqlite3_finalize(idx);
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	return first;
}

static void grant(struct fixture *f, int64_t doc, int64_t user)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO document_grants (document_id, user_id,"
					    " case_id, granted_by, granted_at) VALUES (?1, ?2, 0, ?2, 0)",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, doc);
	sqlite3_bind_int64(st, 2, user);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static json_t *search_page(struct fixture *f, const struct user *u, const char *q, int64_t limit,
			   int64_t offset)
{
	struct search_params p = {.q = q, .limit = limit, .offset = offset};
	struct field_error fe = {0};
	json_t *out = NULL;
	assert_int_equal(db_begin_read(f->c), ST_OK);
	assert_int_equal(search_query(f->c, u, &p, &out, &fe), ST_OK);
	db_rollback(f->c);
	return out;
}

static bool capped_of(json_t *r) { return json_is_true(json_object_get(r, "total_capped")); }

/* Past SEARCH_TOTAL_CAP readable matches the total says "more than"; below it, and for a PIC's
 * few granted documents among as many matches, it is exact. */
static void test_total_is_capped(void **state)
{
	struct fixture *f = *state;
	int64_t first = bulk_docs(f, f->biasa_doc, SEARCH_TOTAL_CAP + 5, "Nota perbatasan", 0,
				  "published");
	bulk_docs(f, f->biasa_doc, 30, "Nota perbatasan tertutup", 2, "internal");
	json_t *r = search_page(f, &f->high, "perbatasan", 20, 0);
	assert_int_equal(total_of(r), SEARCH_TOTAL_CAP);
	assert_true(capped_of(r));
	assert_int_equal(json_array_size(json_object_get(r, "items")), 20);
	json_decref(r);
	/* the audit entry says the total is a floor, and only then */
	struct search_params ap = {.q = "perbatasan", .limit = 20};
	assert_int_equal(search_record(f->c, f->a, &f->high, "127.0.0.1", &ap, SEARCH_TOTAL_CAP, true,
				       20),
			 ST_OK);
	assert_int_equal(search_record(f->c, f->a, &f->high, "127.0.0.1", &ap, 7, false, 7), ST_OK);
	{
		sqlite3 *h;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h,
			"SELECT json_extract(detail, '$.total_capped') FROM audit_log"
			" WHERE action = 'search' ORDER BY seq", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 1);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_type(st, 0), SQLITE_NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* the last page that can be asked for is still full */
	r = search_page(f, &f->high, "perbatasan", 50, SEARCH_OFFSET_MAX);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	json_decref(r);
	r = search_page(f, &f->high, "perbatasan", 50, SEARCH_TOTAL_CAP - 20);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 50);
	json_decref(r);
	/* fewer than the cap: exact, not capped */
	r = search_page(f, &f->high, "tertutup", 20, 0);
	assert_int_equal(total_of(r), 31); /* 30 and the rahasia document of the setup */
	assert_false(capped_of(r));
	json_decref(r);
	/* a PIC: exactly the granted ones, however many others match */
	for (int i = 0; i < 3; i++)
		grant(f, first + 100 * i, f->pic.id);
	r = search_page(f, &f->pic, "perbatasan", 2, 0);
	assert_int_equal(total_of(r), 3);
	assert_false(capped_of(r));
	assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
	json_decref(r);
	/* a biasa user: never the rahasia ones in the count */
	r = search_page(f, &f->low, "tertutup", 20, 0);
	assert_int_equal(total_of(r), 0);
	json_decref(r);
}

/* The ids of the readable matches of Q in bm25 order (ties by id), straight from FTS5's bm25():
 * what every page must be a slice of. */
static size_t brute_order(struct fixture *f, const char *q, int ceiling, int64_t *ids, size_t cap)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(search_register(h), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h,
		"SELECT d.id FROM document_search JOIN documents d ON d.id = document_search.rowid"
		" JOIN meetings m ON m.id = d.meeting_id WHERE document_search MATCH ?1"
		" AND d.classification <= ?2 AND m.classification <= ?2"
		" ORDER BY bm25(document_search, 10.0, 2.0, 3.0, 2.0, 1.0, 1.0), d.id",
		-1, &st, NULL), SQLITE_OK);
	char match[SEARCH_MATCH_MAX_BYTES];
	assert_true(search_build_match(q, strlen(q), match, sizeof match) > 0);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ceiling);
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < cap)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Checks pages of "batas" as U (read ceiling CEILING) against brute_order, at offsets below UPTO,
 * and the total: exact, or SEARCH_TOTAL_CAP when CAPPED. */
static void check_pages(struct fixture *f, const struct user *u, int ceiling, int64_t upto,
			bool capped)
{
	static int64_t want[4096];
	size_t n = brute_order(f, "batas", ceiling, want, sizeof want / sizeof want[0]);
	assert_true(n >= 80);
	assert_true(capped == (n > SEARCH_TOTAL_CAP));
	for (int64_t limit = 1; limit <= 50; limit += 7)
		for (int64_t offset = 0; offset < upto && offset < (int64_t)n + 3; offset += limit) {
			json_t *r = search_page(f, u, "batas", limit, offset);
			json_t *items = json_object_get(r, "items");
			size_t expect = offset >= (int64_t)n ? 0
				: (size_t)((int64_t)n - offset < limit ? (int64_t)n - offset : limit);
			assert_int_equal(json_array_size(items), expect);
			for (size_t i = 0; i < expect; i++) {
				json_t *d = json_object_get(json_array_get(items, i), "document");
				assert_int_equal(json_integer_value(json_object_get(d, "id")),
						 want[offset + (int64_t)i]);
			}
			assert_int_equal(total_of(r), capped ? SEARCH_TOTAL_CAP : (int64_t)n);
			assert_true(capped_of(r) == capped);
			json_decref(r);
		}
}

/* Pages are slices of one order, bm25's, of what the user may read, even when the best-scoring
 * matches are ones the user may not read (they must not raise the bar of the ranking): below the
 * cap (one pass) and past it (sidang_rank's cut). */
static void test_pages_follow_bm25_of_readable(void **state)
{
	struct fixture *f = *state;
	/* rahasia documents with the word twice in the title: the best scores, unreadable to low */
	bulk_docs(f, f->rahasia_doc, 60, "Batas batas wilayah rahasia", 2, "internal");
	bulk_docs(f, f->biasa_doc, 40, "Catatan lintas batas", 0, "internal");
	/* the rest match through their meeting's title, "... Perbatasan" */
	bulk_docs(f, f->biasa_doc, 40, "Catatan rapat", 0, "internal");
	check_pages(f, &f->low, 0, 1000, false);
	check_pages(f, &f->high, 3, 1000, false);
	bulk_docs(f, f->biasa_doc, SEARCH_TOTAL_CAP, "Catatan rapat lain", 0, "internal");
	check_pages(f, &f->low, 0, 120, true);
	check_pages(f, &f->high, 3, 120, true);
	/* a deep page, past the cap */
	int64_t want[4096];
	size_t n = brute_order(f, "batas", 0, want, 4096);
	json_t *r = search_page(f, &f->low, "batas", 50, (int64_t)n - 30);
	json_t *items = json_object_get(r, "items");
	assert_int_equal(json_array_size(items), 30);
	json_t *d = json_object_get(json_array_get(items, 29), "document");
	assert_int_equal(json_integer_value(json_object_get(d, "id")), want[n - 1]);
	json_decref(r);
}

/* search_set_pages stores many pages and indexes them once; a bad page stores nothing. */
static void test_set_pages(void **state)
{
	struct fixture *f = *state;
	const char *pages[] = {"Halaman pertama tentang anggaran.", "Halaman kedua: \x01zamrud\x02.",
			       "Halaman ketiga menyebut pelabuhan."};
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 2, 3, pages), ST_OK);
	assert_int_equal(db_commit(f->c), ST_OK);
	json_t *r = search(f, &f->high, "zamrud pelabuhan anggaran");
	assert_int_equal(total_of(r), 1);
	json_t *snip = json_object_get(json_array_get(json_object_get(r, "items"), 0), "snippet");
	char *dump = json_dumps(snip, 0);
	assert_null(strstr(dump, "\\u0001")); /* the markers in the text became spaces */
	free(dump);
	json_decref(r);
	/* page 1 from the setup is still there: pages 2 to 4 were added beside it */
	r = search(f, &f->high, "membahas");
	assert_int_equal(total_of(r), 1);
	json_decref(r);
	/* replaced, not appended */
	const char *again[] = {"Halaman kedua yang baru."};
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 3, 1, again), ST_OK);
	assert_int_equal(db_commit(f->c), ST_OK);
	r = search(f, &f->high, "zamrud");
	assert_int_equal(total_of(r), 0);
	json_decref(r);
	/* refusals: nothing stored when any page is bad */
	const char *bad[] = {"baik sekali kalimat", "\xff\xfe bukan UTF-8"};
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 10, 2, bad), ST_INVALID);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 1, 0, pages), ST_INVALID);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 0, 1, pages), ST_INVALID);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 1, 1, NULL), ST_INVALID);
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 2, 1, 1, pages), ST_NOT_FOUND);
	assert_int_equal(search_set_pages(f->c, 99999, 1, 1, 1, pages), ST_NOT_FOUND);
	const char *null_page[] = {"ada", NULL};
	assert_int_equal(search_set_pages(f->c, f->biasa_doc, 1, 1, 2, null_page), ST_INVALID);
	assert_int_equal(db_commit(f->c), ST_OK);
	r = search(f, &f->high, "kalimat");
	assert_int_equal(total_of(r), 0);
	json_decref(r);
	/* one at a time, indexed when told */
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_store_page(f->c, f->rahasia_doc, 1, 2, "dermaga timur"), ST_OK);
	assert_int_equal(search_store_page(f->c, f->rahasia_doc, 1, 3, "dermaga barat"), ST_OK);
	assert_int_equal(search_store_page(f->c, f->rahasia_doc, 1, 0, "x"), ST_INVALID);
	assert_int_equal(search_store_page(f->c, f->rahasia_doc, 7, 1, "x"), ST_NOT_FOUND);
	assert_int_equal(db_commit(f->c), ST_OK);
	r = search(f, &f->high, "dermaga");
	assert_int_equal(total_of(r), 0); /* stored, not yet indexed */
	json_decref(r);
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(search_pages_stored(f->c, f->rahasia_doc, 1), ST_OK);
	assert_int_equal(search_pages_stored(f->c, 99999, 1), ST_NOT_FOUND);
	assert_int_equal(db_commit(f->c), ST_OK);
	r = search(f, &f->high, "dermaga timur barat natuna");
	assert_int_equal(total_of(r), 1);
	json_decref(r);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenizer_folds_case_and_diacritics),
		cmocka_unit_test(test_tokenizer_stems_indonesian),
		cmocka_unit_test(test_tokenizer_refuses_arguments),
		cmocka_unit_test(test_rank_is_bm25),
		cmocka_unit_test(test_rank_cut_keeps_the_first_k),
		cmocka_unit_test(test_build_match_quotes_everything),
		cmocka_unit_test(test_snippet_segments),
		cmocka_unit_test_setup_teardown(test_acl_biasa_user_never_sees_rahasia, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pic_sees_only_granted_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet_marks_hits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injection_is_no_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_version_reindexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_is_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_follow_bm25_of_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
