/*
 * Search latency at scale (docs/benchmarks.md). Builds two temporary databases of N synthetic
 * documents (default 100 000; Indonesian-like titles and about 200 words of text each, generated
 * deterministically), one indexed with Sidang's tokenizer (unicode61 + Indonesian stemming), one
 * with SQLite's plain unicode61 (remove_diacritics 2) as the tokenizer baseline, then times
 * typical queries as a bureau official and as a PIC, and prints the median and 95th percentile in
 * milliseconds:
 *
 *   before     the previous design on the stemmed database, kept here as the baseline: one
 *              statement ranking every readable match with bm25 (ORDER BY rank) and making the
 *              page's snippets, then an exact count of every readable match; each hit's
 *              DOCUMENT loaded and shaped as search_query does
 *   sidang     search_query() (the code path of GET /api/search, access filter included)
 *   unicode61  search_query() on the plain-tokenizer database
 *
 *   bench_search [N] [RUNS]      (SIDANG_BENCH_KEEP=1 keeps the two databases)
 *
 * The synthetic rows are written with bench-only SQL on a raw connection (journal off: it is a
 * throw-away file); the index is built with the application's own statement, row by row.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain/acl.h"
#include "domain/documents.h"
#include "domain/search.h"
#include "domain/shapes.h"
#include "store/db.h"
#include "store/search_fts.h"
#include "store/sql.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Roots of the bureau's vocabulary, inflected with Indonesian affixes below. */
static const char *const roots[] = {
	"batas", "temu", "rapat", "anggar", "kerja", "sama", "laksana", "rencana", "lapor", "putus",
	"wilayah", "negara", "hubung", "damai", "runding", "sepakat", "tanda", "tangan", "atur",
	"kelola", "bina", "awas", "periksa", "susun", "bahas", "usul", "setuju", "tetap", "ubah",
	"tinjau", "kaji", "koordinasi", "delegasi", "diplomasi", "kedaulatan", "maritim", "darat",
	"laut", "udara", "pulau", "perairan", "dagang", "ekonomi", "investasi", "budaya", "didik",
	"sehat", "aman", "tahan", "polisi", "hukum", "undang", "atur", "perintah", "menteri", "biro",
	"bagian", "sidang", "naskah", "arsip", "surat", "nota", "risalah", "notula", "hadir", "daftar",
	"acara", "jadwal", "tempat", "waktu", "tahun", "bulan", "minggu", "hari", "kantor", "gedung",
	"ruang", "jalan", "kota", "provinsi", "desa", "warga", "masyarakat", "pimpin", "ketua",
	"anggota", "wakil", "utus", "kirim", "terima", "balas", "jawab", "tanya", "minta", "beri",
	"dukung", "bantu", "tolong", "kembang", "bangun", "tumbuh", "capai", "hasil", "nilai",
	"ukur", "hitung", "biaya", "dana", "modal", "pajak", "cukai", "impor", "ekspor", "barang",
	"jasa", "produk", "industri", "tani", "ikan", "tambang", "energi", "listrik", "air",
};
#define NROOTS (sizeof roots / sizeof roots[0])
static const char *const prefixes[] = {"", "", "me", "ber", "per", "di", "pe", "ke", "ter"};
static const char *const suffixes[] = {"", "", "an", "kan", "i", "nya"};
static const char *const syllables[] = {"ka", "ri", "mu", "tan", "sa", "lo", "ngi", "pa", "de",
					 "su", "ra", "wi", "ba", "hu", "ne", "ja", "to", "ma"};

#define VOCAB 30000
static char vocab[VOCAB][40];
static double zipf_cdf[VOCAB];

static void make_vocab(void)
{
	size_t v = 0;
	/* Function words take the top ranks, as in real text; the roots' inflected forms are spread
	 * over ranks 50 to 3000, so a searched word is in some per cent of the documents. */
	static const char *const function_words[] = {
		"yang", "dan", "di", "dengan", "untuk", "ini", "dari", "dalam", "pada", "akan", "tidak",
		"itu", "oleh", "atau", "juga", "sebagai", "ke", "bahwa", "telah", "adalah", "agar",
		"para", "serta", "tersebut", "karena", "dapat", "antara", "secara", "lebih", "sudah"};
	for (size_t k = 0; k < sizeof function_words / sizeof *function_words; k++)
		snprintf(vocab[v++], sizeof vocab[0], "%s", function_words[k]);
	/* a long tail of made-up words */
	while (v < VOCAB) {
		char w[40] = "";
		int n = 2 + (int)(next_rand() % 3);
		for (int k = 0; k < n; k++) {
			size_t len = strlen(w);
			snprintf(w + len, sizeof w - len, "%s",
				 syllables[next_rand() % (sizeof syllables / sizeof *syllables)]);
		}
		snprintf(vocab[v++], sizeof vocab[0], "%s", w);
	}
	/* five inflected forms of each root, at ranks 50 to 3000 among them */
	for (size_t r = 0; r < NROOTS; r++)
		for (int k = 0; k < 5; k++) {
			const char *pre = prefixes[next_rand() % (sizeof prefixes / sizeof *prefixes)];
			const char *suf = suffixes[next_rand() % (sizeof suffixes / sizeof *suffixes)];
			size_t at = 50 + (size_t)(next_rand() % 2950);
			snprintf(vocab[at], sizeof vocab[0], "%s%s%s", pre, roots[r], suf);
		}
	double sum = 0;
	for (size_t k = 0; k < VOCAB; k++)
		sum += 1.0 / (double)(k + 1);
	double acc = 0;
	for (size_t k = 0; k < VOCAB; k++) {
		acc += 1.0 / (double)(k + 1) / sum;
		zipf_cdf[k] = acc;
	}
}

static const char *word(void)
{
	double u = (double)(next_rand() >> 11) / 9007199254740992.0;
	size_t lo = 0, hi = VOCAB - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return vocab[lo];
}

static void words(char *out, size_t cap, int n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n && o + 41 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", word());
}

static void die(sqlite3 *h, const char *what)
{
	fprintf(stderr, "bench_search: %s: %s\n", what, h ? sqlite3_errmsg(h) : "");
	exit(1);
}

static void exec(sqlite3 *h, const char *sql)
{
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(h, sql);
}

static sqlite3_stmt *prep(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		die(h, sql);
	return st;
}

static void run(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(sqlite3_db_handle(st), sqlite3_sql(st));
	sqlite3_reset(st);
}

static const char *const stages[] = {"perencanaan", "pelaksanaan", "pelaporan"};
static const char *const types[] = {"undangan", "bahan", "notulensi", "laporan", "nota_dinas",
				    "daftar_hadir", "risalah", "surat"};

/* Builds the database at PATH with N documents; BASELINE: plain unicode61 for the index. */
static double build(const char *path, int n, int pic_id_out[1], bool baseline)
{
	rng = 0x9e3779b97f4a7c15ULL; /* both databases hold the same rows */
	sqlite3 *h;
	if (sqlite3_open(path, &h) != SQLITE_OK || search_register(h) != SQLITE_OK)
		die(h, "open");
	exec(h, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;");
	for (int i = 0; i < sql_migration_count; i++)
		exec(h, sql_migrations[i]);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", sql_migration_count);
	exec(h, pragma);
	if (baseline)
		exec(h, "DROP TABLE document_search;"
			"CREATE VIRTUAL TABLE document_search USING fts5(title, type, filename, meeting,"
			" facts, body, tokenize = 'unicode61 remove_diacritics 2');"
			"INSERT INTO document_search (document_search, rank)"
			" VALUES ('rank', 'bm25(10.0, 2.0, 3.0, 2.0, 1.0, 1.0)');");
	exec(h, "BEGIN");
	exec(h, "INSERT INTO users (id, username, display_name, clearance, password_hash, created_at)"
		" VALUES (1, 'pejabat', 'Pejabat', 3, 'x', 0), (2, 'pic', 'PIC', 2, 'x', 0);"
		"INSERT INTO user_roles VALUES (1, 'kabag_persidangan'), (2, 'reader');"
		"INSERT INTO blobs VALUES ('00', 1, 'application/pdf', 0);");
	*pic_id_out = 2;
	sqlite3_stmt *meeting = prep(h, "INSERT INTO meetings (id, title, number, date, place, chair,"
				     " classification, created_by, created_at, updated_at)"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 0, 0)");
	sqlite3_stmt *doc = prep(h, "INSERT INTO documents (id, meeting_id, stage, type, title,"
				 " classification, source, state, created_by, created_at,"
				 " current_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'born_digital', ?7,"
				 " 1, 0, 1)");
	sqlite3_stmt *ver = prep(h, "INSERT INTO document_versions VALUES (?1, 1, '00', 1,"
				 " 'application/pdf', ?2, 1, 0)");
	sqlite3_stmt *grant = prep(h, "INSERT INTO document_grants VALUES (?1, 2, 0, 1, 0)");
	sqlite3_stmt *text = prep(h, sql_text(SQL_SEARCH_TEXT_SET));
	sqlite3_stmt *index = prep(h, sql_text(SQL_SEARCH_INDEX_INSERT));
	int per_meeting = 20;
	char buf[4096], buf2[256];
	for (int m = 1; m <= (n + per_meeting - 1) / per_meeting; m++) {
		sqlite3_bind_int(meeting, 1, m);
		snprintf(buf, sizeof buf, "Rapat %s %s %s", word(), word(), word());
		sqlite3_bind_text(meeting, 2, buf, -1, SQLITE_TRANSIENT);
		snprintf(buf2, sizeof buf2, "%d/HPH/%d", m, 2020 + m % 6);
		sqlite3_bind_text(meeting, 3, buf2, -1, SQLITE_TRANSIENT);
		snprintf(buf2, sizeof buf2, "%04d-%02d-%02d", 2020 + m % 6, 1 + m % 12, 1 + m % 28);
		sqlite3_bind_text(meeting, 4, buf2, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(meeting, 5, "Jakarta", -1, SQLITE_STATIC);
		sqlite3_bind_text(meeting, 6, "Kepala Biro", -1, SQLITE_STATIC);
		sqlite3_bind_int(meeting, 7, m % 10 == 0 ? 2 : m % 4 == 0 ? 1 : 0);
		run(meeting);
	}
	for (int d = 1; d <= n; d++) {
		sqlite3_bind_int(doc, 1, d);
		sqlite3_bind_int(doc, 2, (d - 1) / per_meeting + 1);
		sqlite3_bind_text(doc, 3, stages[d % 3], -1, SQLITE_STATIC);
		sqlite3_bind_text(doc, 4, types[next_rand() % 8], -1, SQLITE_STATIC);
		words(buf2, sizeof buf2, 4 + (int)(next_rand() % 5));
		sqlite3_bind_text(doc, 5, buf2, -1, SQLITE_TRANSIENT);
		uint64_t c = next_rand() % 100;
		sqlite3_bind_int(doc, 6, c < 70 ? 0 : c < 90 ? 1 : c < 98 ? 2 : 3);
		bool published = next_rand() % 10 < 3;
		sqlite3_bind_text(doc, 7, published ? "published" : "internal", -1, SQLITE_STATIC);
		run(doc);
		sqlite3_bind_int(ver, 1, d);
		snprintf(buf, sizeof buf, "dokumen-%d.pdf", d);
		sqlite3_bind_text(ver, 2, buf, -1, SQLITE_TRANSIENT);
		run(ver);
		if (published && next_rand() % 5 == 0) { /* about 6 % granted to the PIC */
			sqlite3_bind_int(grant, 1, d);
			run(grant);
		}
		words(buf, sizeof buf, 180 + (int)(next_rand() % 40));
		sqlite3_bind_int(text, 1, d);
		sqlite3_bind_int(text, 2, 1);
		sqlite3_bind_int(text, 3, 1);
		sqlite3_bind_text(text, 4, buf, -1, SQLITE_TRANSIENT);
		run(text);
	}
	double t0 = now_ms();
	for (int d = 1; d <= n; d++) {
		sqlite3_bind_int(index, 1, d);
		run(index);
	}
	exec(h, "COMMIT");
	exec(h, "INSERT INTO document_search (document_search) VALUES ('optimize')");
	double t = now_ms() - t0;
	sqlite3_finalize(meeting);
	sqlite3_finalize(doc);
	sqlite3_finalize(ver);
	sqlite3_finalize(grant);
	sqlite3_finalize(text);
	sqlite3_finalize(index);
	sqlite3_close(h);
	return t;
}

struct query {
	const char *name;
	const char *const *qs; /* cycled through */
	size_t nq;
	const char *stage, *from, *to;
};

static const char *const q_one[] = {"perbatasan", "anggaran", "kerja", "laporan", "diplomasi",
				    "perairan", "investasi", "pertemuan", "rapat", "undang"};
static const char *const q_common[] = {"rapat"}; /* in every meeting's title: the worst case */
static const char *const q_two[] = {"kerja sama", "batas wilayah", "laporan anggaran",
				    "rapat koordinasi", "hasil rundingan", "surat undangan"};
static const char *const q_phrase[] = {"\"batas wilayah\"", "\"kerja sama\"",
				       "\"rapat koordinasi\"", "\"laporan hasil\""};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The previous design's statements (until the commit that added sidang_rank), verbatim: the
 * baseline the "before" lines time. Both had this FROM and WHERE. */
#define BEFORE_FROM_WHERE                                                                          \
	" FROM document_search JOIN documents d ON d.id = document_search.rowid"                  \
	" JOIN meetings m ON m.id = d.meeting_id"                                                  \
	" WHERE document_search MATCH ?1"                                                          \
	" AND d.classification <= ?2 AND m.classification <= ?2"                                   \
	" AND (?3 IS NULL OR (d.state IN ('published', 'verified')"                                \
	"  AND EXISTS (SELECT 1 FROM document_grants g"                                            \
	"   WHERE g.document_id = d.id AND g.user_id = ?3)))"                                      \
	" AND (?4 IS NULL OR d.meeting_id = ?4) AND (?5 IS NULL OR d.stage = ?5)"                  \
	" AND (?6 IS NULL OR d.type = ?6) AND (?7 IS NULL OR d.classification = ?7)"               \
	" AND (?8 IS NULL OR m.date >= ?8) AND (?9 IS NULL OR m.date <= ?9)"
static const char before_query[] = "SELECT d.id, m.id, m.title, m.number, m.date,"
				   " snippet(document_search, -1, char(1), char(2), '…', 24)"
				   BEFORE_FROM_WHERE " ORDER BY document_search.rank LIMIT ?10 OFFSET ?11";
static const char before_count[] = "SELECT count(*)" BEFORE_FROM_WHERE;

static void before_bind(sqlite3_stmt *st, const char *match, const struct user *u,
			const struct search_params *p)
{
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	int ceiling = acl_read_ceiling(u);
	if (ceiling >= 0) {
		sqlite3_bind_int(st, 2, ceiling);
		sqlite3_bind_null(st, 3);
	} else {
		sqlite3_bind_int(st, 2, (int)u->clearance);
		sqlite3_bind_int64(st, 3, u->id);
	}
	for (int i = 4; i <= 7; i++)
		sqlite3_bind_null(st, i);
	sqlite3_bind_text(st, 5, p->stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, p->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, p->to, -1, SQLITE_STATIC);
}

/* The previous search_query, reduced to what costs: the page with snippets, the exact count
 * when the page is full, each hit's DOCUMENT shaped. Returns the total. */
static int64_t before_search(sqlite3 *h, sqlite3_stmt *q, sqlite3_stmt *cnt, struct db_conn *c,
			     const struct user *u, const struct search_params *p)
{
	char match[SEARCH_MATCH_MAX_BYTES];
	if (search_build_match(p->q, strlen(p->q), match, sizeof match) <= 0)
		die(h, "match");
	exec(h, "BEGIN");
	before_bind(q, match, u, p);
	sqlite3_bind_int64(q, 10, p->limit);
	sqlite3_bind_int64(q, 11, p->offset);
	int64_t ids[SEARCH_LIMIT_MAX];
	int n = 0, rc;
	size_t snippet_bytes = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && n < SEARCH_LIMIT_MAX) {
		ids[n++] = sqlite3_column_int64(q, 0);
		snippet_bytes += (size_t)sqlite3_column_bytes(q, 5);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(h, "before query");
	sqlite3_reset(q);
	int64_t total = n;
	if (!(p->offset == 0 && n < p->limit)) {
		before_bind(cnt, match, u, p);
		if (sqlite3_step(cnt) != SQLITE_ROW)
			die(h, "before count");
		total = sqlite3_column_int64(cnt, 0);
		sqlite3_reset(cnt);
	}
	exec(h, "COMMIT");
	if (n > 0 && snippet_bytes == 0)
		die(h, "no snippets");
	for (int i = 0; i < n; i++) {
		struct document d;
		if (documents_load(c, ids[i], &d) != ST_OK)
			die(h, "documents_load");
		json_decref(shape_document(c, &d, false));
	}
	return total;
}

static void time_queries(const char *label, const char *path, int pic_id, int runs, bool before)
{
	struct db *db;
	if (db_open(path, false, 1, &db) != ST_OK) {
		fprintf(stderr, "bench_search: cannot open %s\n", path);
		exit(1);
	}
	struct db_conn *c = db_acquire(db);
	sqlite3 *h = NULL;
	sqlite3_stmt *bq = NULL, *bc = NULL;
	if (before) {
		if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		    search_register(h) != SQLITE_OK)
			die(h, "open");
		bq = prep(h, before_query);
		bc = prep(h, before_count);
	}
	struct user official = {.id = 1, .username = "pejabat", .clearance = CLASS_RAHASIA,
				.nroles = 1, .roles = {"kabag_persidangan"}, .sop_role = true};
	struct user pic = {.id = pic_id, .username = "pic", .clearance = CLASS_RAHASIA, .nroles = 1,
			   .roles = {"reader"}};
	const struct query queries[] = {
		{"one word", q_one, sizeof q_one / sizeof *q_one, NULL, NULL, NULL},
		{"two words", q_two, sizeof q_two / sizeof *q_two, NULL, NULL, NULL},
		{"phrase", q_phrase, sizeof q_phrase / sizeof *q_phrase, NULL, NULL, NULL},
		{"common word", q_common, 1, NULL, NULL, NULL},
		{"word + filters", q_one, sizeof q_one / sizeof *q_one, "pelaksanaan", "2022-01-01",
		 "2023-12-31"},
	};
	double *ms = calloc((size_t)runs, sizeof *ms);
	for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
		for (int who = 0; who < 2; who++) {
			const struct user *u = who ? &pic : &official;
			int64_t total_sum = 0;
			int capped = 0;
			for (int r = 0; r < runs; r++) {
				struct search_params p = {.q = queries[qi].qs[r % queries[qi].nq],
							  .stage = queries[qi].stage,
							  .from = queries[qi].from,
							  .to = queries[qi].to,
							  .limit = 20};
				struct field_error fe = {0};
				json_t *out = NULL;
				double t0 = now_ms();
				if (before) {
					total_sum += before_search(h, bq, bc, c, u, &p);
					ms[r] = now_ms() - t0;
					continue;
				}
				db_begin_read(c);
				enum status st = search_query(c, u, &p, &out, &fe);
				db_rollback(c);
				ms[r] = now_ms() - t0;
				if (st != ST_OK) {
					fprintf(stderr, "bench_search: query failed (%d) %s\n", (int)st,
						fe.message);
					exit(1);
				}
				total_sum += json_integer_value(json_object_get(out, "total"));
				capped += json_is_true(json_object_get(out, "total_capped"));
				json_decref(out);
			}
			qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
			double p95 = ms[(size_t)((runs - 1) * 95 / 100)];
			printf("%-9s %-16s %-8s median %7.2f ms  p95 %7.2f ms  (mean total %lld%s)\n",
			       label, queries[qi].name, who ? "PIC" : "official", ms[runs / 2], p95,
			       (long long)(total_sum / runs), capped ? ", some capped" : "");
		}
	}
	free(ms);
	if (before) {
		sqlite3_finalize(bq);
		sqlite3_finalize(bc);
		sqlite3_close(h);
	}
	db_release(db, c);
	db_close(db);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 100000;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 60;
	if (n < 20 || runs < 2) {
		fprintf(stderr, "usage: bench_search [N >= 20] [RUNS >= 2]\n");
		return 2;
	}
	char dir[] = "/tmp/sidang-bench-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	make_vocab();
	char stem_db[64], base_db[64];
	snprintf(stem_db, sizeof stem_db, "%s/stemmed.db", dir);
	snprintf(base_db, sizeof base_db, "%s/baseline.db", dir);
	int pic_id = 0;
	printf("documents: %d, runs per query: %d, SQLite %s\n", n, runs, sqlite3_libversion());
	double t = build(stem_db, n, &pic_id, false);
	printf("index build (sidang tokenizer):    %.1f s\n", t / 1000.0);
	t = build(base_db, n, &pic_id, true);
	printf("index build (unicode61 baseline):  %.1f s\n", t / 1000.0);
	time_queries("before", stem_db, pic_id, runs, true);
	time_queries("sidang", stem_db, pic_id, runs, false);
	time_queries("unicode61", base_db, pic_id, runs, false);
	if (getenv("SIDANG_BENCH_KEEP")) {
		printf("kept %s\n", dir);
		return 0;
	}
	unlink(stem_db);
	unlink(base_db);
	rmdir(dir);
	return 0;
}
