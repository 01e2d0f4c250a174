/* The audit trail (domain/audit.c): format, chain, checkpoints, key file, tampering, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/audit.h"
#include "sidang_limits.h"
#include "store/db.h"
#include "util/hex.h"
#include "util/log.h"

struct fixture {
	char dir[64];
	char db_path[PATH_MAX];
	char key_path[PATH_MAX];
	struct db *db;
	struct audit *a;
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/sidang-audit-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db_path, sizeof f->db_path, "%s/sidang.db", f->dir);
	snprintf(f->key_path, sizeof f->key_path, "%s/audit.key", f->dir);
	assert_int_equal(db_open(f->db_path, true, 8, &f->db), ST_OK);
	assert_int_equal(db_migrate(f->db, NULL), ST_OK);
	struct db_conn *c = db_acquire(f->db);
	assert_int_equal(audit_key_create(c, f->key_path), ST_OK);
	db_release(f->db, c);
	assert_int_equal(audit_open(f->key_path, &f->a), ST_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	audit_free(f->a);
	db_close(f->db);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Appends entries FIRST..FIRST+N-1 with detail {"i":k,"note":"entry"} in one transaction (one
 * fsync; test_threads_append_without_gaps has a transaction per entry). */
static void append_n(struct fixture *f, int first, int n)
{
	struct db_conn *c = db_acquire(f->db);
	assert_int_equal(db_begin(c), ST_OK);
	for (int k = first; k < first + n; k++) {
		json_t *d = json_pack("{s:i,s:s}", "i", k, "note", "entry");
		char id[32];
		snprintf(id, sizeof id, "%d", k);
		struct audit_event ev = {.actor_id = 7, .actor = "siti", .address = "10.0.0.5",
					 .action = "document.view", .object_type = "document",
					 .object_id = id, .detail = d};
		int64_t seq = 0;
		assert_int_equal(audit_append(f->a, c, &ev, &seq), ST_OK);
		assert_int_equal(seq, k);
		json_decref(d);
	}
	assert_int_equal(db_commit(c), ST_OK);
	db_release(f->db, c);
}

static enum status verify(struct fixture *f, const char *key, struct audit_verify_result *r)
{
	struct db_conn *c = db_acquire(f->db);
	enum status st = audit_verify(c, key, r);
	db_release(f->db, c);
	return st;
}

/* Runs SQL on a separate raw SQLite handle, as an intruder with the database file would. */
static int raw_exec(struct fixture *f, const char *sql, char *err, size_t errcap)
{
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(f->db_path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (err && errcap)
		snprintf(err, errcap, "%s", msg ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(h);
	return rc;
}

/* The canonical form as docs/internals/audit.md describes it, written out by hand for the
 * entries append_n makes (their strings need no escaping). */
static void doc_canonical(int64_t seq, int64_t at, const char *detail, char *out, size_t cap)
{
	snprintf(out, cap,
		 "{\"action\":\"document.view\",\"actor\":\"siti\",\"actor_id\":7,"
		 "\"address\":\"10.0.0.5\",\"at\":%" PRId64 ",\"detail\":%s,"
		 "\"object_id\":\"%" PRId64 "\",\"object_type\":\"document\",\"seq\":%" PRId64 "}",
		 at, detail, seq, seq);
}

static void doc_hash(const char *prev, const char *canonical, char out[SHA256_HEX])
{
	size_t n = strlen(prev) + 1 + strlen(canonical);
	char *buf = malloc(n + 1);
	assert_non_null(buf);
	snprintf(buf, n + 1, "%s\n%s", prev, canonical);
	sha256_hex(buf, n, out);
	free(buf);
}

/* ------------------------------------------------------------------------------------------ */

static void test_empty_chain_verifies(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 0);
	assert_int_equal(r.checkpoints, 0);
	assert_int_equal(r.broken_seq, 0);
}

static void test_key_file(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	assert_int_equal(stat(f->key_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 129);

	/* The public key in settings is the key file's. */
	struct db_conn *c = db_acquire(f->db);
	assert_int_equal(audit_check_key(f->a, c), ST_OK);
	assert_int_equal(strlen(audit_public_key_hex(f->a)), 64);

	/* No overwrite of the file, and no second key for the same database. */
	assert_int_equal(audit_key_create(c, f->key_path), ST_CONFLICT);
	char other[PATH_MAX];
	snprintf(other, sizeof other, "%s/other.key", f->dir);
	assert_int_equal(audit_key_create(c, other), ST_CONFLICT);
	assert_int_not_equal(access(other, F_OK), 0);
	db_release(f->db, c);

	/* A key file others can read is refused. */
	struct audit *a2 = NULL;
	assert_int_equal(chmod(f->key_path, 0640), 0);
	assert_int_equal(audit_open(f->key_path, &a2), ST_DENIED);
	assert_null(a2);
	assert_int_equal(chmod(f->key_path, 0600), 0);
	assert_int_equal(audit_open(f->key_path, &a2), ST_OK);
	assert_string_equal(audit_public_key_hex(a2), audit_public_key_hex(f->a));
	audit_free(a2);

	/* Missing, malformed and damaged key files. */
	a2 = NULL;
	assert_int_equal(audit_open(other, &a2), ST_NOT_FOUND);
	FILE *fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("not a key\n", fp);
	fclose(fp);
	assert_int_equal(chmod(other, 0600), 0);
	assert_int_equal(audit_open(other, &a2), ST_INVALID);

	char text[130] = {0};
	fp = fopen(f->key_path, "r");
	assert_non_null(fp);
	assert_int_equal(fread(text, 1, 129, fp), 129);
	fclose(fp);
	assert_int_equal(text[128], '\n');
	text[100] = text[100] == '0' ? '1' : '0'; /* inside the public half */
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(audit_open(other, &a2), ST_INVALID);
	assert_null(a2);

	/* A different database has no key: audit_check_key says so. */
	struct db *db2 = NULL;
	char db2_path[PATH_MAX];
	snprintf(db2_path, sizeof db2_path, "%s/two.db", f->dir);
	assert_int_equal(db_open(db2_path, true, 1, &db2), ST_OK);
	assert_int_equal(db_migrate(db2, NULL), ST_OK);
	c = db_acquire(db2);
	assert_int_equal(audit_check_key(f->a, c), ST_NOT_FOUND);
	db_release(db2, c);
	db_close(db2);
}

static void test_append_200_verifies(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 200);
	assert_int_equal(r.checkpoints, 3); /* 64, 128, 192 */
	assert_int_equal(r.broken_seq, 0);
	/* The same with the key given explicitly, in upper case. */
	char upper[65];
	snprintf(upper, sizeof upper, "%s", audit_public_key_hex(f->a));
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(verify(f, upper, &r), ST_OK);
	assert_int_equal(r.checkpoints, 3);
}

/* The stored rows follow the format docs/internals/audit.md gives, byte for byte. */
static void test_format_as_documented(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 64);
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(f->db_path, &h), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(h,
					    "SELECT seq, at, detail, prev_hash, hash FROM audit_log"
					    " ORDER BY seq",
					    -1, &st, NULL),
			 SQLITE_OK);
	char prev[SHA256_HEX];
	memset(prev, '0', 64);
	prev[64] = '\0';
	char canonical[512], expect_detail[64], hash[SHA256_HEX];
	/* The test vector printed in docs/internals/audit.md. */
	doc_canonical(1, 1795524000, "{\"i\":1,\"note\":\"entry\"}", canonical, sizeof canonical);
	doc_hash(prev, canonical, hash);
	assert_string_equal(hash,
			    "248ad71ec5f26d84a830223dc6bdd657974f0e25113a4e9a8d43b02336f15ce8");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
		snprintf(expect_detail, sizeof expect_detail,
			 "{\"i\":%" PRId64 ",\"note\":\"entry\"}", seq);
		assert_string_equal((const char *)sqlite3_column_text(st, 2), expect_detail);
		assert_string_equal((const char *)sqlite3_column_text(st, 3), prev);
		doc_canonical(seq, at, expect_detail, canonical, sizeof canonical);
		doc_hash(prev, canonical, hash);
		assert_string_equal((const char *)sqlite3_column_text(st, 4), hash);
		memcpy(prev, hash, sizeof prev);
	}
	sqlite3_finalize(st);

	/* The checkpoint at 64 signs "sidang-audit-checkpoint\n64\n<hash>\n<at>". */
	assert_int_equal(sqlite3_prepare_v2(h,
					    "SELECT seq, hash, at, public_key, signature"
					    " FROM audit_checkpoints",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 64);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), prev);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), audit_public_key_hex(f->a));
	char msg[256];
	int n = snprintf(msg, sizeof msg, "sidang-audit-checkpoint\n64\n%s\n%" PRId64, prev,
			 (int64_t)sqlite3_column_int64(st, 2));
	unsigned char sig[64], pk[32];
	const char *sig_hex = (const char *)sqlite3_column_text(st, 4);
	assert_true(hex_decode(sig_hex, strlen(sig_hex), sig, sizeof sig));
	assert_true(hex_decode(audit_public_key_hex(f->a), 64, pk, sizeof pk));
	assert_int_equal(
		crypto_sign_ed25519_verify_detached(sig, (unsigned char *)msg, (size_t)n, pk), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Escapes, non-ASCII, the system actor (NULL actor_id), an empty detail, bad UTF-8 replaced. */
static void test_event_fields(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = db_acquire(f->db);
	json_t *d = json_pack("{s:s,s:b,s:n,s:[i,i],s:{s:s}}", "z",
			      "Rapat \"koordinasi\"\n\xc3\xa9", "ok", 1, "none", "list", 1, 2,
			      "nested", "k", "v");
	struct audit_event ev1 = {.actor_id = 0, .actor = "system", .address = "cli",
				  .action = "sop.load", .object_type = "sop", .object_id = "",
				  .detail = d};
	struct audit_event ev2 = {.actor_id = 3, .actor = "bad\xff\xfename", .address = "::1",
				  .action = "login.fail", .object_type = "user", .object_id = NULL,
				  .detail = NULL};
	assert_int_equal(db_begin(c), ST_OK);
	assert_int_equal(audit_append(f->a, c, &ev1, NULL), ST_OK);
	assert_int_equal(audit_append(f->a, c, &ev2, NULL), ST_OK);
	assert_int_equal(db_commit(c), ST_OK);
	db_release(f->db, c);
	json_decref(d);

	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(f->db_path, &h), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT actor_id, actor, detail, object_id"
					       " FROM audit_log ORDER BY seq",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(st, 2),
			    "{\"list\":[1,2],\"nested\":{\"k\":\"v\"},\"none\":null,\"ok\":true,"
			    "\"z\":\"Rapat \\\"koordinasi\\\"\\n\xc3\xa9\"}");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 3);
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
			    "bad\xef\xbf\xbd\xef\xbf\xbdname");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "{}");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "");
	sqlite3_finalize(st);
	sqlite3_close(h);

	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 2);
}

static void test_bad_events_refused(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = db_acquire(f->db);
	json_t *real = json_pack("{s:f}", "x", 0.5);
	json_t *deep_real = json_pack("{s:[i,{s:f}]}", "a", 1, "b", 2.5);
	json_t *array = json_pack("[i]", 1);
	struct audit_event ev = {.actor = "siti", .address = "::1", .action = "x.y",
				 .object_type = "t", .object_id = "1"};
	assert_int_equal(db_begin(c), ST_OK);
	ev.detail = real;
	assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_INVALID);
	ev.detail = deep_real;
	assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_INVALID);
	ev.detail = array;
	assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_INVALID);
	ev.detail = NULL;
	ev.action = NULL;
	assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_INVALID);
	ev.action = "";
	assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_INVALID);
	ev.action = "x.y";
	assert_int_equal(audit_append(NULL, c, &ev, NULL), ST_INVALID);
	db_rollback(c);
	db_release(f->db, c);
	json_decref(real);
	json_decref(deep_real);
	json_decref(array);

	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 0);
	assert_int_equal(verify(f, "abc", &r), ST_INVALID);
	assert_non_null(strstr(r.reason, "hex"));
}

static void test_rolled_back_append_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 3);
	struct db_conn *c = db_acquire(f->db);
	struct audit_event ev = {.actor = "a", .address = "b", .action = "c.d", .object_type = "e",
				 .object_id = "f"};
	int64_t seq;
	assert_int_equal(db_begin(c), ST_OK);
	assert_int_equal(audit_append(f->a, c, &ev, &seq), ST_OK);
	assert_int_equal(seq, 4);
	db_rollback(c);
	db_release(f->db, c);
	append_n(f, 4, 1); /* gets 4 again */
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 4);
}

static void test_altered_entry_named(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_update;"
				  "UPDATE audit_log SET detail = '{\"i\":100,\"note\":\"forged\"}'"
				  " WHERE seq = 100;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 100);
	assert_non_null(strstr(r.reason, "hash mismatch"));
	assert_int_equal(r.entries, 99);
}

static void test_non_canonical_detail_named(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 20);
	/* The same JSON value, spaced differently. */
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_update;"
				  "UPDATE audit_log SET detail = '{\"i\": 10, \"note\": \"entry\"}'"
				  " WHERE seq = 10;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 10);
	assert_non_null(strstr(r.reason, "canonical"));
}

static void test_relinked_entry_named(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 20);
	/* Entry 7 rewritten with a hash that matches its new content: entry 8 no longer links. */
	char canonical[512], hash[SHA256_HEX], sql[1024];
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(f->db_path, &h), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT at, prev_hash FROM audit_log WHERE seq = 7",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	doc_canonical(7, sqlite3_column_int64(st, 0), "{\"i\":7,\"note\":\"forged\"}", canonical,
		      sizeof canonical);
	doc_hash((const char *)sqlite3_column_text(st, 1), canonical, hash);
	sqlite3_finalize(st);
	sqlite3_close(h);
	snprintf(sql, sizeof sql,
		 "DROP TRIGGER audit_log_no_update;"
		 "UPDATE audit_log SET detail = '{\"i\":7,\"note\":\"forged\"}', hash = '%s'"
		 " WHERE seq = 7;",
		 hash);
	assert_int_equal(raw_exec(f, sql, NULL, 0), SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 8);
	assert_non_null(strstr(r.reason, "prev_hash does not match entry 7"));
}

/* An intruder without the key rewrites entry 100 and rehashes everything after it: the chain
 * links again, but the signed checkpoint at 128 does not match. */
static void test_rewritten_history_caught_by_checkpoint(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(f->db_path, &h), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(h, "DROP TRIGGER audit_log_no_update; BEGIN", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_stmt *sel = NULL, *upd = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT seq, at, detail FROM audit_log"
					       " WHERE seq >= 100 ORDER BY seq",
					    -1, &sel, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "UPDATE audit_log SET detail = ?2, prev_hash = ?3,"
					       " hash = ?4 WHERE seq = ?1",
					    -1, &upd, NULL),
			 SQLITE_OK);
	sqlite3_stmt *p = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT hash FROM audit_log WHERE seq = 99", -1, &p,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(p), SQLITE_ROW);
	char prev[SHA256_HEX];
	snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(p, 0));
	sqlite3_finalize(p);
	char canonical[512], hash[SHA256_HEX], detail[128];
	while (sqlite3_step(sel) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(sel, 0);
		if (seq == 100)
			snprintf(detail, sizeof detail, "{\"i\":100,\"note\":\"forged\"}");
		else
			snprintf(detail, sizeof detail, "%s",
				 (const char *)sqlite3_column_text(sel, 2));
		doc_canonical(seq, sqlite3_column_int64(sel, 1), detail, canonical,
			      sizeof canonical);
		doc_hash(prev, canonical, hash);
		sqlite3_bind_int64(upd, 1, seq);
		sqlite3_bind_text(upd, 2, detail, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(upd, 3, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(upd, 4, hash, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
		sqlite3_reset(upd);
		memcpy(prev, hash, sizeof prev);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 128);
	assert_non_null(strstr(r.reason, "checkpoint hash does not match entry 128"));
}

static void test_deleted_entry_is_a_gap(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_delete;"
				  "DELETE FROM audit_log WHERE seq = 50;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 50);
	assert_non_null(strstr(r.reason, "sequence gap: expected 50"));
}

static void test_deleted_first_entry_is_a_gap(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 5);
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_delete;"
				  "DELETE FROM audit_log WHERE seq = 1;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 1);
	assert_non_null(strstr(r.reason, "sequence gap: expected 1"));
}

static void test_truncated_tail_named(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_delete;"
				  "DELETE FROM audit_log WHERE seq >= 150;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 150);
	assert_non_null(strstr(r.reason, "truncated"));
}

static void test_forged_checkpoint_signature(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	/* Flip the first hex digit of the signature at 128. */
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_checkpoints_no_update;"
				  "UPDATE audit_checkpoints SET signature ="
				  " (CASE substr(signature, 1, 1) WHEN '0' THEN '1' ELSE '0' END)"
				  " || substr(signature, 2) WHERE seq = 128;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 128);
	assert_non_null(strstr(r.reason, "checkpoint signature invalid at entry 128"));
	assert_int_equal(r.checkpoints, 1);
}

static void test_forged_checkpoint_time(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 70);
	/* The time is signed too. */
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_checkpoints_no_update;"
				  "UPDATE audit_checkpoints SET at = at + 1 WHERE seq = 64;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 64);
	assert_non_null(strstr(r.reason, "signature invalid"));
}

static void test_missing_checkpoint_named(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_checkpoints_no_delete;"
				  "DELETE FROM audit_checkpoints WHERE seq = 64;",
				  NULL, 0),
			 SQLITE_OK);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 64);
	assert_non_null(strstr(r.reason, "missing checkpoint at entry 64"));
}

static void test_triggers_refuse_changes(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 70);
	const char *attempts[] = {
		"UPDATE audit_log SET detail = '{}' WHERE seq = 5",
		"DELETE FROM audit_log WHERE seq = 5",
		"DELETE FROM audit_log",
		"UPDATE audit_checkpoints SET signature = '' WHERE seq = 64",
		"DELETE FROM audit_checkpoints",
	};
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		char err[256];
		assert_int_equal(raw_exec(f, attempts[i], err, sizeof err), SQLITE_CONSTRAINT);
		assert_non_null(strstr(err, "append-only"));
	}
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 70);
	assert_int_equal(r.checkpoints, 1);
}

static void test_wrong_public_key(void **state)
{
	struct fixture *f = *state;
	append_n(f, 1, 200);
	unsigned char pk[32], sk[64];
	char pk_hex[65];
	crypto_sign_ed25519_keypair(pk, sk);
	hex_encode(pk, sizeof pk, pk_hex);
	struct audit_verify_result r;
	assert_int_equal(verify(f, pk_hex, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 64);
	assert_non_null(strstr(r.reason, "checkpoint signature invalid at entry 64"));
	assert_int_equal(r.entries, 64);
	assert_int_equal(r.checkpoints, 0);

	/* The same when the recorded key in settings is replaced. */
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE settings SET value = '%s' WHERE key = 'audit_public_key'",
		 pk_hex);
	assert_int_equal(raw_exec(f, sql, NULL, 0), SQLITE_OK);
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 64);
	struct db_conn *c = db_acquire(f->db);
	assert_int_equal(audit_check_key(f->a, c), ST_CONFLICT);
	db_release(f->db, c);
}

static void test_explicit_checkpoint(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = db_acquire(f->db);
	assert_int_equal(audit_checkpoint(f->a, c), ST_OK); /* empty trail: nothing to sign */
	db_release(f->db, c);
	append_n(f, 1, 10);
	c = db_acquire(f->db);
	assert_int_equal(audit_checkpoint(f->a, c), ST_OK);
	assert_int_equal(audit_checkpoint(f->a, c), ST_OK); /* one exists there already */
	db_release(f->db, c);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 10);
	assert_int_equal(r.checkpoints, 1);
	append_n(f, 11, 54);
	c = db_acquire(f->db);
	assert_int_equal(audit_checkpoint(f->a, c), ST_OK); /* 64 has its own already */
	db_release(f->db, c);
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 64);
	assert_int_equal(r.checkpoints, 2);
}

/* More than one page of VERIFY_PAGE_ROWS (1000), in one transaction. */
static void test_long_trail_paged(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = db_acquire(f->db);
	struct audit_event ev = {.actor_id = 1, .actor = "admin", .address = "cli",
				 .action = "bulk.import", .object_type = "document",
				 .object_id = "x"};
	assert_int_equal(db_begin(c), ST_OK);
	for (int i = 0; i < 2100; i++)
		assert_int_equal(audit_append(f->a, c, &ev, NULL), ST_OK);
	assert_int_equal(db_commit(c), ST_OK);
	db_release(f->db, c);
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, 2100);
	assert_int_equal(r.checkpoints, 2100 / LIMIT_AUDIT_CHECKPOINT_EVERY);

	assert_int_equal(raw_exec(f,
				  "DROP TRIGGER audit_log_no_update;"
				  "UPDATE audit_log SET actor = 'someone' WHERE seq = 1500;",
				  NULL, 0),
			 SQLITE_OK);
	assert_int_equal(verify(f, NULL, &r), ST_CORRUPT);
	assert_int_equal(r.broken_seq, 1500);
}

#define THREADS 4L
#define PER_THREAD 60L

struct worker {
	struct fixture *f;
	int64_t seqs[PER_THREAD];
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct db_conn *c = db_acquire(w->f->db);
	for (int i = 0; i < PER_THREAD; i++) {
		json_t *d = json_pack("{s:i}", "i", i);
		struct audit_event ev = {.actor_id = 2, .actor = "t", .address = "127.0.0.1",
					 .action = "document.download", .object_type = "document",
					 .object_id = "9", .detail = d};
		if (db_begin(c) != ST_OK || audit_append(w->f->a, c, &ev, &w->seqs[i]) != ST_OK ||
		    db_commit(c) != ST_OK) {
			db_rollback(c);
			w->failures++;
		}
		json_decref(d);
	}
	db_release(w->f->db, c);
	return NULL;
}

static void test_threads_append_without_gaps(void **state)
{
	struct fixture *f = *state;
	struct worker w[THREADS] = {0};
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i].f = f;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	bool seen[THREADS * PER_THREAD + 1] = {0};
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].failures, 0);
		for (int k = 0; k < PER_THREAD; k++) {
			int64_t s = w[i].seqs[k];
			assert_true(s >= 1 && s <= THREADS * PER_THREAD);
			assert_false(seen[s]);
			seen[s] = true;
		}
	}
	struct audit_verify_result r;
	assert_int_equal(verify(f, NULL, &r), ST_OK);
	assert_int_equal(r.entries, THREADS * PER_THREAD);
	assert_int_equal(r.checkpoints, (THREADS * PER_THREAD) / LIMIT_AUDIT_CHECKPOINT_EVERY);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_200_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_as_documented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_events_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back_append_leaves_no_trace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_altered_entry_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_canonical_detail_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relinked_entry_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten_history_caught_by_checkpoint, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_entry_is_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_first_entry_is_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_checkpoint_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_checkpoint_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_checkpoint_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_public_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_trail_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_append_without_gaps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
