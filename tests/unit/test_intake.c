/* The scanner inbox and import (domain/intake.c, domain/intake_scan.c): taking files in
 * durably, "already taken" after a crash before the source's removal, duplicates, refusals, the
 * walk's rules, the watch folder's settling, lock and rejected folder, and the tray (access,
 * filing as a document with its jobs, discarding). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "fixture.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/intake.h"
#include "domain/meetings.h"
#include "domain/sop.h"
#include "domain/users.h"
#include "store/blob.h"
#include "store/db.h"

struct fixture {
	FX_FIELDS;
	char blobdir[128];
	char src[128]; /* a directory files are taken from */
	struct blob_store *bs;
	struct user officer, naskah, kasubbag, admin, pic;
};

static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

static void make_user(struct fixture *f, const char *name, const char *role, struct user *out)
{
	const char *roles[] = {role, NULL};
	struct actor who = {0, "cli", "cli"};
	struct user_new nu = {name, NULL, NULL, NULL, CLASS_RAHASIA, roles, "kata-sandi-uji-123"};
	char err[256];
	assert_int_equal(users_create(f->c, f->a, &who, &nu, NULL, err, sizeof err), ST_OK);
	assert_int_equal(users_get_by_name(f->c, name, out, NULL), ST_OK);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	FX_OPEN(f, "intake", 2);
	snprintf(f->blobdir, sizeof f->blobdir, "%s/blobs", f->dir);
	snprintf(f->src, sizeof f->src, "%s/src", f->dir);
	assert_int_equal(mkdir(f->src, 0700), 0);
	assert_int_equal(blob_store_open(f->blobdir, &f->bs, NULL), ST_OK);
	int imported = 0;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	make_user(f, "officer", "pengelola_persidangan", &f->officer);
	make_user(f, "naskah", "pengelola_naskah", &f->naskah);
	make_user(f, "kasubbag", "kasubbag_pengelolaan", &f->kasubbag);
	make_user(f, "admin", "admin", &f->admin);
	make_user(f, "pic", "reader", &f->pic);
	*state = f;
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	blob_store_free(f->bs);
	nftw(f->blobdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	nftw(f->src, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	sop_cache_clear();
	FX_CLOSE(f);
	free(f);
	return 0;
}

/* Writes N bytes of P to SRC/REL. */
static void put(struct fixture *f, const char *rel, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", f->src, rel);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static bool exists(struct fixture *f, const char *rel)
{
	char path[512];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", f->src, rel);
	return lstat(path, &sb) == 0;
}

static int64_t count(struct fixture *f, const char *what)
{
	enum sql_id id = strcmp(what, "waiting") == 0 ? SQL_INTAKE_COUNT_WAITING : SQL_AUDIT_COUNT;
	struct db_stmt *s;
	assert_int_equal(db_prepare(f->c, id, &s), ST_OK);
	bool row;
	assert_int_equal(db_step(s, &row), ST_OK);
	int64_t n = db_col_int(s, 0);
	db_done(s);
	return n;
}

static void take(struct fixture *f, const char *rel, bool remove, struct intake_result *res)
{
	struct intake_source src = {"import", "tester", 1024 * 1024, remove};
	int dfd;
	const char *base;
	assert_int_equal(intake_open_parent(f->src, rel, &dfd, &base), ST_OK);
	assert_int_equal(intake_take(f->c, f->a, f->bs, &src, dfd, base, res), ST_OK);
	close(dfd);
}

static void test_take_and_remove(void **state)
{
	struct fixture *f = *state;
	put(f, "scan1.pdf", pdf, sizeof pdf - 1);
	int64_t audit_before = count(f, "audit");
	struct intake_result res;
	take(f, "scan1.pdf", true, &res);
	assert_int_equal(res.outcome, INTAKE_TAKEN);
	assert_true(res.item_id > 0);
	assert_true(res.removed);
	assert_false(exists(f, "scan1.pdf"));
	assert_string_equal(res.mime, "application/pdf");
	assert_int_equal(res.size, sizeof pdf - 1);
	assert_true(blob_exists(f->bs, res.sha256));
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(count(f, "waiting"), 1);
	assert_int_equal(count(f, "audit"), audit_before + 1);
	struct intake_item it;
	assert_int_equal(intake_get(f->c, f->a, &f->officer, "test", res.item_id, &it), ST_OK);
	assert_string_equal(it.state, "waiting");
	assert_string_equal(it.source, "import");
	assert_string_equal(it.taken_by, "tester");
	assert_string_equal(it.filename, "scan1.pdf");
	assert_int_equal(it.dup_document_id + it.dup_item_id, 0);
}

/* A crash after the commit but before the removal leaves the source: the next pass must find
 * the same file (name, size, SHA-256) taken already, remove it, and take nothing twice. */
static void test_already_taken_after_crash(void **state)
{
	struct fixture *f = *state;
	put(f, "scan2.pdf", pdf, sizeof pdf - 1);
	struct intake_result first, again;
	take(f, "scan2.pdf", false, &first); /* "crashed" before the removal */
	assert_int_equal(first.outcome, INTAKE_TAKEN);
	assert_true(exists(f, "scan2.pdf"));
	int64_t audit_before = count(f, "audit");
	take(f, "scan2.pdf", true, &again);
	assert_int_equal(again.outcome, INTAKE_ALREADY_TAKEN);
	assert_int_equal(again.item_id, first.item_id);
	assert_true(again.removed);
	assert_false(exists(f, "scan2.pdf"));
	assert_int_equal(count(f, "waiting"), 1);
	assert_int_equal(count(f, "audit"), audit_before); /* nothing written */
	assert_int_equal(blob_tmp_count(f->bs), 0);
	/* The same bytes under another name are not the same file: a duplicate, taken. */
	put(f, "scan2-copy.pdf", pdf, sizeof pdf - 1);
	struct intake_result dup;
	take(f, "scan2-copy.pdf", true, &dup);
	assert_int_equal(dup.outcome, INTAKE_TAKEN);
	assert_int_equal(dup.dup_item_id, first.item_id);
	assert_int_equal(dup.dup_document_id, 0);
	assert_int_equal(count(f, "waiting"), 2);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct intake_result res;
	put(f, "note.txt", "just some text\n", 15);
	take(f, "note.txt", true, &res);
	assert_int_equal(res.outcome, INTAKE_REFUSED);
	assert_non_null(strstr(res.reason, "text/plain"));
	assert_true(exists(f, "note.txt")); /* the caller decides where it goes */
	put(f, "empty.pdf", "", 0);
	take(f, "empty.pdf", true, &res);
	assert_int_equal(res.outcome, INTAKE_REFUSED);
	assert_non_null(strstr(res.reason, "empty"));
	char *big = calloc(1, 1024 * 1024 + 1);
	memcpy(big, pdf, sizeof pdf - 1);
	put(f, "big.pdf", big, 1024 * 1024 + 1);
	free(big);
	take(f, "big.pdf", true, &res);
	assert_int_equal(res.outcome, INTAKE_REFUSED);
	assert_non_null(strstr(res.reason, "larger than"));
	/* A symlink is never followed, even when named directly. */
	char target[512], link[512];
	snprintf(target, sizeof target, "%s", f->path); /* the database */
	snprintf(link, sizeof link, "%s/db.pdf", f->src);
	assert_int_equal(symlink(target, link), 0);
	take(f, "db.pdf", true, &res);
	assert_int_equal(res.outcome, INTAKE_REFUSED);
	assert_int_equal(count(f, "waiting"), 0);
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(intake_record_refusal(f->c, f->a,
					       &(struct intake_source){"import", "t", 1, false}, &res),
			 ST_OK);
}

struct seen {
	char names[16][64];
	int n;
};

static enum status collect(void *ctx, const char *rel, const struct stat *sb)
{
	(void)sb;
	struct seen *s = ctx;
	assert_true(s->n < 16);
	snprintf(s->names[s->n++], 64, "%s", rel);
	return ST_OK;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void test_walk_rules(void **state)
{
	struct fixture *f = *state;
	char p[512];
	snprintf(p, sizeof p, "%s/sub", f->src);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/rejected", f->src);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/.hidden", f->src);
	assert_int_equal(mkdir(p, 0700), 0);
	put(f, "a.pdf", pdf, 3);
	put(f, "sub/b.pdf", pdf, 3);
	put(f, "rejected/c.pdf", pdf, 3);
	put(f, ".hidden/d.pdf", pdf, 3);
	put(f, ".e.pdf", pdf, 3);
	put(f, "f.tmp", pdf, 3);
	put(f, "g.PART", pdf, 3);
	char link[512];
	snprintf(link, sizeof link, "%s/linked", f->src);
	assert_int_equal(symlink("/etc", link), 0);
	snprintf(link, sizeof link, "%s/passwd.pdf", f->src);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	struct seen s = {0};
	assert_int_equal(intake_walk(f->src, true, collect, &s), ST_OK);
	assert_int_equal(s.n, 2);
	assert_true(seen_has(&s, "a.pdf"));
	assert_true(seen_has(&s, "sub/b.pdf"));
	memset(&s, 0, sizeof s);
	assert_int_equal(intake_walk(f->src, false, collect, &s), ST_OK);
	assert_int_equal(s.n, 3);
	assert_true(seen_has(&s, "rejected/c.pdf"));
	/* A directory swapped for a link after the walk cannot lead outside. */
	int dfd;
	const char *base;
	assert_int_equal(intake_open_parent(f->src, "linked/passwd", &dfd, &base), ST_IO);
	assert_int_equal(intake_walk("/nonexistent-sidang", false, collect, &s), ST_NOT_FOUND);
}

static void test_watch_settles_rejects_and_locks(void **state)
{
	struct fixture *f = *state;
	struct intake_watch *w, *other;
	struct intake_pass pass;
	bool locked;
	assert_int_equal(intake_watch_new(f->src, 1024 * 1024, 2000, &w), ST_OK);
	assert_int_equal(intake_watch_new(f->src, 1024 * 1024, 2000, &other), ST_OK);
	put(f, "scan.pdf", pdf, sizeof pdf - 1);
	put(f, "note.txt", "text\n", 5);
	put(f, "growing.pdf", pdf, 10);
	put(f, "still.part", pdf, 10);
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 0, &locked, &pass), ST_OK);
	assert_true(locked);
	assert_int_equal(pass.taken + pass.refused, 0); /* seen, not settled */
	/* Another process sharing the inbox does not poll while this one holds the lock. */
	assert_int_equal(intake_watch_pass(other, f->c, f->a, f->bs, 5000, &locked, &pass), ST_OK);
	assert_false(locked);
	put(f, "growing.pdf", pdf, 20); /* the scanner is still writing */
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 2500, &locked, &pass), ST_OK);
	assert_int_equal(pass.taken, 1);
	assert_int_equal(pass.refused, 1);
	assert_false(exists(f, "scan.pdf"));
	assert_true(exists(f, "growing.pdf"));
	assert_true(exists(f, "still.part"));
	assert_false(exists(f, "note.txt"));
	assert_true(exists(f, "rejected/note.txt"));
	assert_true(exists(f, "rejected/note.txt.reason.txt"));
	/* growing.pdf changed at 2500: taken once it has stayed so for the settle time. */
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 4000, &locked, &pass), ST_OK);
	assert_int_equal(pass.taken, 0);
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 4600, &locked, &pass), ST_OK);
	assert_int_equal(pass.taken, 1);
	assert_false(exists(f, "growing.pdf"));
	/* A second refused file of the same name goes beside the first. */
	put(f, "note.txt", "text 2\n", 7);
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 5000, &locked, &pass), ST_OK);
	assert_int_equal(intake_watch_pass(w, f->c, f->a, f->bs, 8000, &locked, &pass), ST_OK);
	assert_int_equal(pass.refused, 1);
	assert_true(exists(f, "rejected/note.txt (2)"));
	intake_watch_free(w);
	/* Once the poller is gone, another takes over. */
	assert_int_equal(intake_watch_pass(other, f->c, f->a, f->bs, 9000, &locked, &pass), ST_OK);
	assert_true(locked);
	intake_watch_free(other);
	assert_int_equal(count(f, "waiting"), 2);
}

static int64_t new_meeting(struct fixture *f, enum classification cls)
{
	struct meeting_input in = {"Rapat Koordinasi", "RK-1", "2026-11-20", "Jakarta", "Deputi",
				   true, cls};
	struct meeting m;
	struct field_error fe = {0};
	assert_int_equal(meetings_create(f->c, f->a, &f->officer, "test", &in, &m, &fe), ST_OK);
	return m.id;
}

static enum status count_item(void *ctx, const struct intake_item *it)
{
	(void)it;
	(*(int *)ctx)++;
	return ST_OK;
}

static void test_tray_access_file_discard(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(intake_access(f->c, &f->officer), INTAKE_WORK);
	assert_int_equal(intake_access(f->c, &f->naskah), INTAKE_WORK); /* step 1's "also" */
	assert_int_equal(intake_access(f->c, &f->kasubbag), INTAKE_NONE);
	assert_int_equal(intake_access(f->c, &f->admin), INTAKE_LIST);
	assert_int_equal(intake_access(f->c, &f->pic), INTAKE_NONE);
	put(f, "a.pdf", pdf, sizeof pdf - 1);
	put(f, "b.pdf", "%PDF-1.4\n%%EOF\n", 15);
	struct intake_result ra, rb;
	take(f, "a.pdf", true, &ra);
	take(f, "b.pdf", true, &rb);
	int n = 0;
	int64_t total = 0;
	assert_int_equal(intake_list(f->c, &f->admin, 50, 0, count_item, &n, &total), ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(total, 2);
	assert_int_equal(intake_list(f->c, &f->pic, 50, 0, count_item, &n, &total), ST_DENIED);
	struct intake_item it;
	assert_int_equal(intake_get(f->c, f->a, &f->admin, "test", ra.item_id, &it), ST_NOT_FOUND);
	assert_int_equal(intake_get(f->c, f->a, &f->kasubbag, "test", ra.item_id, &it),
			 ST_NOT_FOUND);
	assert_int_equal(intake_get(f->c, f->a, &f->officer, "test", 999, &it), ST_NOT_FOUND);

	int64_t meeting = new_meeting(f, CLASS_BIASA);
	struct document_input in = {"perencanaan", "undangan", "Undangan rapat", NULL, "scan",
				    "Budi", "2026-11-19", "Canon DR-C225", "3"};
	struct document d;
	struct field_error fe = {0};
	/* Not for the admin (who reads no document), nor into a meeting that does not exist. */
	assert_int_equal(intake_file(f->c, f->a, f->bs, &f->admin, "test", ra.item_id, meeting, &in,
				     &d, &fe), ST_NOT_FOUND);
	assert_int_equal(intake_file(f->c, f->a, f->bs, &f->officer, "test", ra.item_id, 999, &in,
				     &d, &fe), ST_INVALID);
	assert_string_equal(fe.field, "meeting_id");
	struct document_input bad = in;
	bad.scanned_at = NULL;
	assert_int_equal(intake_file(f->c, f->a, f->bs, &f->officer, "test", ra.item_id, meeting,
				     &bad, &d, &fe), ST_INVALID);
	assert_string_equal(fe.field, "scanned_at");
	assert_int_equal(intake_file(f->c, f->a, f->bs, &f->officer, "test", ra.item_id, meeting, &in,
				     &d, &fe), ST_OK);
	assert_int_equal(d.meeting_id, meeting);
	assert_string_equal(d.source, "scan");
	assert_string_equal(d.scan_device, "Canon DR-C225");
	assert_int_equal(d.current_version, 1);
	assert_int_equal(intake_get(f->c, f->a, &f->officer, "test", ra.item_id, &it), ST_OK);
	assert_string_equal(it.state, "filed");
	assert_int_equal(it.document_id, d.id);
	assert_string_equal(it.decided_by, "officer");
	struct doc_version v;
	assert_int_equal(documents_version(f->c, d.id, 1, &v), ST_OK);
	assert_string_equal(v.sha256, ra.sha256);
	assert_string_equal(v.filename, "a.pdf");
	/* Filed once only. */
	assert_int_equal(intake_file(f->c, f->a, f->bs, &f->officer, "test", ra.item_id, meeting, &in,
				     &d, &fe), ST_CONFLICT);
	/* The same bytes arriving again are reported as a duplicate of the document. */
	put(f, "a-again.pdf", pdf, sizeof pdf - 1);
	struct intake_result rc;
	take(f, "a-again.pdf", true, &rc);
	assert_int_equal(rc.outcome, INTAKE_TAKEN);
	assert_int_equal(rc.dup_document_id, d.id);

	assert_int_equal(intake_discard(f->c, f->a, &f->officer, "test", rb.item_id, "  ", &fe),
			 ST_INVALID);
	assert_string_equal(fe.field, "reason");
	assert_int_equal(intake_discard(f->c, f->a, &f->pic, "test", rb.item_id, "x", &fe),
			 ST_NOT_FOUND);
	assert_int_equal(intake_discard(f->c, f->a, &f->naskah, "test", rb.item_id,
					"blank page scanned by mistake", &fe), ST_OK);
	assert_int_equal(intake_get(f->c, f->a, &f->officer, "test", rb.item_id, &it), ST_OK);
	assert_string_equal(it.state, "discarded");
	assert_string_equal(it.discard_reason, "blank page scanned by mistake");
	assert_int_equal(intake_discard(f->c, f->a, &f->naskah, "test", rb.item_id, "again", &fe),
			 ST_CONFLICT);
	n = 0;
	assert_int_equal(intake_list(f->c, &f->officer, 50, 0, count_item, &n, &total), ST_OK);
	assert_int_equal(n, 1); /* only a-again.pdf waits */
	struct audit_verify_result vr;
	assert_int_equal(audit_verify(f->c, NULL, &vr), ST_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_taken_after_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_settles_rejects_and_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tray_access_file_discard, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
