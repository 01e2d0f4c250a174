/* Mutu Baku compliance (domain/compliance.c) against a real SQLite database in a temporary
 * directory: breach flagging at completion and by the sweep, who is notified, the report's
 * numbers, and notifications. Rows the engine would write are inserted directly with SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/compliance.h"
#include "domain/sop.h"
#include "store/db.h"
#include "util/clock.h"

/* 2026-12-01T00:00:00Z: the tests' "now". */
#define NOW 1796083200LL
#define DAY 86400LL
/* 2026-10-15T00:00:00Z and 2026-11-10T00:00:00Z */
#define OCT15 1792022400LL
#define NOV10 1794268800LL

struct fx {
	char dir[64];
	char path[128];
	struct db *db;
	struct db_conn *c;
	sqlite3 *h; /* a second connection for the test's own rows */
};

/* Users: 1 karo (clearance 3), 2 kabag (clearance 1), 3 kasubbag, 4 pengelola persidangan,
 * 5 a disabled kabag, 6 Plh for kabag (no role of its own), 7 auditor, 8 a revoked Plh for
 * kabag, 9 an expired Plh for kabag, 10 a Plt for karo. */
static const char *const fixture_sql =
	"UPDATE roles SET superior = 'karo_hph' WHERE code = 'kabag_persidangan';"
	"UPDATE roles SET superior = 'kabag_persidangan' WHERE code = 'kasubbag_pengelolaan';"
	"UPDATE roles SET superior = 'kasubbag_pengelolaan'"
	"  WHERE code IN ('pengelola_persidangan', 'pengelola_naskah');"
	"INSERT INTO users (id, username, display_name, clearance, password_hash, disabled, created_at)"
	" VALUES (1, 'karo', 'Karo HPH', 3, 'x', 0, 0),"
	" (2, 'kabag', 'Kabag Persidangan', 1, 'x', 0, 0),"
	" (3, 'kasubbag', 'Kasubbag', 3, 'x', 0, 0), (4, 'pengelola', 'Pengelola', 3, 'x', 0, 0),"
	" (5, 'kabaglama', 'Kabag Lama', 3, 'x', 1, 0), (6, 'plh', 'Plh Kabag', 3, 'x', 0, 0),"
	" (7, 'auditor', 'Auditor', 0, 'x', 0, 0), (8, 'plhbatal', 'Plh Batal', 3, 'x', 0, 0),"
	" (9, 'plhlama', 'Plh Lama', 3, 'x', 0, 0), (10, 'pltkaro', 'Plt Karo', 3, 'x', 0, 0);"
	"INSERT INTO user_roles VALUES (1, 'karo_hph'), (2, 'kabag_persidangan'),"
	" (3, 'kasubbag_pengelolaan'), (4, 'pengelola_persidangan'), (5, 'kabag_persidangan'),"
	" (7, 'auditor');"
	"INSERT INTO acting (id, user_id, role, kind, starts_at, ends_at, granted_by, granted_at,"
	" revoked_at) VALUES"
	" (1, 6, 'kabag_persidangan', 'plh', 1000, 4000000000, 1, 0, NULL),"
	" (2, 8, 'kabag_persidangan', 'plh', 1000, 4000000000, 1, 0, 2000),"
	" (3, 9, 'kabag_persidangan', 'plh', 1000, 2000, 1, 0, NULL),"
	" (4, 10, 'karo_hph', 'plt', 1000, 4000000000, 1, 0, NULL);"
	"INSERT INTO meetings (id, title, date, classification, created_by, created_at, updated_at)"
	" VALUES (1, 'Rapat Koordinasi', '2026-11-20', 0, 1, 0, 0),"
	" (2, 'Rapat Rahasia', '2026-11-21', 2, 1, 0, 0),"
	" (3, 'Rapat Ketiga', '2026-11-22', 0, 1, 0, 0);"
	"INSERT INTO sop_versions (id, code, version, sha256, title, source, filename, imported_at,"
	" imported_by) VALUES"
	" (1, 'pemilihan-pengunggahan-data', 1, 'a', 'SOP', '', 'x.yaml', 0, 'cli'),"
	" (2, 'lain', 1, 'b', 'Lain', '', 'y.yaml', 0, 'cli'),"
	" (3, 'pemilihan-pengunggahan-data', 2, 'c', 'SOP', '', 'x.yaml', 0, 'cli');";

static void exec(struct fx *f, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(f->h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

__attribute__((format(printf, 2, 3))) static void execf(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	assert_non_null(sql);
	exec(f, sql);
	sqlite3_free(sql);
}

/* The first column of the first row of a query. */
__attribute__((format(printf, 2, 3))) static int64_t q1(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(f->h, sql, -1, &st, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return v;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/sidang-test-compliance-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/sidang.db", f->dir);
	assert_int_equal(db_open(f->path, true, 1, &f->db), ST_OK);
	assert_int_equal(db_migrate(f->db, NULL), ST_OK);
	f->c = db_acquire(f->db);
	assert_int_equal(sqlite3_open_v2(f->path, &f->h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(f->h, 5000);
	exec(f, "PRAGMA foreign_keys = ON");
	exec(f, fixture_sql);
	clock_set_offset(0);
	clock_set_offset(NOW - clock_now());
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = {"sidang.db", "sidang.db-wal", "sidang.db-shm",
					    "audit.key"};
	sqlite3_close(f->h);
	db_release(f->db, f->c);
	db_close(f->db);
	sop_cache_clear();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char p[192];
		snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(f->dir), 0);
	clock_set_offset(0);
	free(f);
	return 0;
}

/* The clock moves on while a test runs: "now" inside the code under test is NOW plus a little. */
static void assert_near_now(int64_t t)
{
	if (t < NOW || t > NOW + 60)
		fail_msg("%lld is not the tests' now (%lld)", (long long)t, NOW);
}

static void case_add(struct fx *f, int64_t id, int64_t meeting, int64_t version, const char *state,
		     int64_t started, int64_t closed)
{
	if (closed)
		execf(f, "INSERT INTO cases (id, meeting_id, sop_version_id, state, started_by,"
			 " started_at, closed_at) VALUES (%lld, %lld, %lld, '%s', 4, %lld, %lld)",
		      (long long)id, (long long)meeting, (long long)version, state, (long long)started,
		      (long long)closed);
	else
		execf(f, "INSERT INTO cases (id, meeting_id, sop_version_id, state, started_by,"
			 " started_at) VALUES (%lld, %lld, %lld, '%s', 4, %lld)",
		      (long long)id, (long long)meeting, (long long)version, state, (long long)started);
}

/* A task as the engine writes it: due_at = available_at + waktu when the step has a Waktu;
 * completed when COMPLETED_BY is not 0. */
static int64_t task_add(struct fx *f, int64_t case_id, int step, const char *role, int waktu,
			int64_t available, int64_t completed, int64_t completed_by)
{
	char waktu_s[32] = "NULL", due_s[32] = "NULL";
	if (waktu) {
		snprintf(waktu_s, sizeof waktu_s, "%d", waktu);
		snprintf(due_s, sizeof due_s, "%lld", (long long)(available + waktu * 60));
	}
	if (completed_by)
		execf(f, "INSERT INTO tasks (case_id, step, role, state, available_at, completed_at,"
			 " completed_by, waktu_minutes, due_at) VALUES (%lld, %d, '%s', 'completed', %lld,"
			 " %lld, %lld, %s, %s)",
		      (long long)case_id, step, role, (long long)available, (long long)completed,
		      (long long)completed_by, waktu_s, due_s);
	else
		execf(f, "INSERT INTO tasks (case_id, step, role, state, available_at, waktu_minutes,"
			 " due_at) VALUES (%lld, %d, '%s', 'available', %lld, %s, %s)",
		      (long long)case_id, step, role, (long long)available, waktu_s, due_s);
	return sqlite3_last_insert_rowid(f->h);
}

/* What the engine does on completion: its transaction, then our hook. */
static void complete_hook(struct fx *f, int64_t task)
{
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(compliance_task_completed(f->c, task), ST_OK);
	assert_int_equal(db_commit(f->c), ST_OK);
}

static int64_t notes_of(struct fx *f, int64_t user)
{
	return q1(f, "SELECT count(*) FROM notifications WHERE user_id = %lld", (long long)user);
}

static int64_t notes_for_task(struct fx *f, int64_t task)
{
	return q1(f, "SELECT count(*) FROM notifications WHERE task_id = %lld", (long long)task);
}

static char *note_text(struct fx *f, int64_t user, const char *column)
{
	char *sql = sqlite3_mprintf("SELECT %s FROM notifications WHERE user_id = %lld"
				    " ORDER BY id DESC LIMIT 1", column, (long long)user);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(f->h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char *out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return out;
}

static void assert_note(struct fx *f, int64_t user, const char *want_id, const char *want_en)
{
	char *id = note_text(f, user, "message_id"), *en = note_text(f, user, "message_en");
	assert_string_equal(id, want_id);
	assert_string_equal(en, want_en);
	free(id);
	free(en);
}

/* 6 min 10 s against a 5-minute Waktu: breached, notified to the superior's holders, once. */
static void test_breach_at_completion(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 8, "kabag_persidangan", 5, NOW - 1000, NOW - 1000 + 370, 2);
	complete_hook(f, t);
	assert_int_equal(q1(f, "SELECT breached FROM tasks WHERE id = %lld", (long long)t), 1);
	assert_near_now(q1(f, "SELECT breach_notified_at FROM tasks WHERE id = %lld", (long long)t));
	/* karo_hph: its holder and its Plt */
	assert_int_equal(notes_for_task(f, t), 2);
	assert_int_equal(notes_of(f, 1), 1);
	assert_int_equal(notes_of(f, 10), 1);
	assert_note(f, 1,
		    "Langkah 8 (Kepala Bagian Persidangan) pada rapat \"Rapat Koordinasi\" melewati "
		    "standar waktu 5 menit (6 menit 10 detik).",
		    "Step 8 (Head of the Sessions Division) of meeting \"Rapat Koordinasi\" exceeded "
		    "its 5-minute time standard (6 min 10 s).");
	assert_int_equal(q1(f, "SELECT count(*) FROM notifications WHERE kind = 'breach' AND"
			       " case_id = 1 AND created_at BETWEEN %lld AND %lld", NOW, NOW + 60),
			 2);
	/* Once only. */
	complete_hook(f, t);
	assert_int_equal(notes_for_task(f, t), 2);
	/* An unknown task. */
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(compliance_task_completed(f->c, 9999), ST_NOT_FOUND);
	db_rollback(f->c);
}

/* 4 minutes, exactly 5 minutes, and a step without Waktu: no breach. */
static void test_no_breach_within_waktu(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t1 = task_add(f, 1, 8, "kabag_persidangan", 5, NOW - 1000, NOW - 1000 + 240, 2);
	int64_t t2 = task_add(f, 1, 8, "kabag_persidangan", 5, NOW - 1000, NOW - 1000 + 300, 2);
	int64_t t3 = task_add(f, 1, 9, "kabag_persidangan", 0, NOW - 100000, NOW, 2);
	complete_hook(f, t1);
	complete_hook(f, t2);
	complete_hook(f, t3);
	assert_int_equal(q1(f, "SELECT count(*) FROM tasks WHERE breached = 1"), 0);
	assert_int_equal(q1(f, "SELECT count(*) FROM tasks WHERE breach_notified_at IS NOT NULL"), 0);
	assert_int_equal(q1(f, "SELECT count(*) FROM notifications"), 0);
}

/* The sweep flags an overdue open task once; completing it later notifies no more. */
static void test_sweep_overdue(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t late = task_add(f, 1, 4, "kabag_persidangan", 5, NOW - 3725, 0, 0);
	int64_t early = task_add(f, 1, 5, "kabag_persidangan", 5, NOW - 200, 0, 0);
	int64_t none = task_add(f, 1, 6, "kabag_persidangan", 0, NOW - 100000, 0, 0);
	int flagged = -1;
	assert_int_equal(compliance_sweep_overdue(f->c, NOW, &flagged), ST_OK);
	assert_int_equal(flagged, 1);
	assert_int_equal(q1(f, "SELECT breached FROM tasks WHERE id = %lld", (long long)late), 1);
	assert_int_equal(q1(f, "SELECT breach_notified_at FROM tasks WHERE id = %lld", (long long)late),
			 NOW);
	assert_int_equal(q1(f, "SELECT breached FROM tasks WHERE id = %lld", (long long)early), 0);
	assert_int_equal(q1(f, "SELECT breached FROM tasks WHERE id = %lld", (long long)none), 0);
	assert_int_equal(notes_for_task(f, late), 2);
	assert_note(f, 1,
		    "Langkah 4 (Kepala Bagian Persidangan) pada rapat \"Rapat Koordinasi\" belum "
		    "selesai dan melewati standar waktu 5 menit (sudah 1 jam 2 menit 5 detik).",
		    "Step 4 (Head of the Sessions Division) of meeting \"Rapat Koordinasi\" is still "
		    "open past its 5-minute time standard (1 h 2 min 5 s so far).");
	/* Again: nothing new. */
	assert_int_equal(compliance_sweep_overdue(f->c, NOW + 10, &flagged), ST_OK);
	assert_int_equal(flagged, 0);
	assert_int_equal(notes_for_task(f, late), 2);
	/* Later, the early one is overdue too. */
	assert_int_equal(compliance_sweep_overdue(f->c, NOW + 200, &flagged), ST_OK);
	assert_int_equal(flagged, 1);
	assert_int_equal(notes_for_task(f, early), 2);
	/* The late one is completed: flagged still, notified no more. */
	execf(f, "UPDATE tasks SET state = 'completed', completed_at = %lld, completed_by = 2"
		 " WHERE id = %lld", NOW + 300, (long long)late);
	complete_hook(f, late);
	assert_int_equal(q1(f, "SELECT breached FROM tasks WHERE id = %lld", (long long)late), 1);
	assert_int_equal(notes_for_task(f, late), 2);
}

/* The top of the chain: the task's own role's holders (and its acting official). */
static void test_no_superior_own_role(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 3, "karo_hph", 5, NOW - 1000, NOW, 1);
	complete_hook(f, t);
	assert_int_equal(notes_for_task(f, t), 2);
	assert_int_equal(notes_of(f, 1), 1);
	assert_int_equal(notes_of(f, 10), 1);
	assert_int_equal(notes_of(f, 2), 0);
}

/* Officials acting for the superior role are notified; revoked, expired and disabled ones not. */
static void test_acting_notified(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 2, "kasubbag_pengelolaan", 10, NOW - 2000, NOW, 3);
	complete_hook(f, t);
	assert_int_equal(notes_for_task(f, t), 2);
	assert_int_equal(notes_of(f, 2), 1); /* kabag */
	assert_int_equal(notes_of(f, 6), 1); /* Plh kabag */
	assert_int_equal(notes_of(f, 5), 0); /* disabled */
	assert_int_equal(notes_of(f, 8), 0); /* revoked */
	assert_int_equal(notes_of(f, 9), 0); /* expired */
	assert_int_equal(notes_of(f, 1), 0); /* not the direct superior */
	assert_note(f, 6,
		    "Langkah 2 (Kepala Subbagian Pengelolaan Persidangan) pada rapat \"Rapat "
		    "Koordinasi\" melewati standar waktu 10 menit (33 menit 20 detik).",
		    "Step 2 (Head of the Session Management Subdivision) of meeting \"Rapat "
		    "Koordinasi\" exceeded its 10-minute time standard (33 min 20 s).");
}

/* A superior role nobody holds: the breach goes further up the chain. */
static void test_vacant_superior_escalates(void **state)
{
	struct fx *f = *state;
	exec(f, "UPDATE users SET disabled = 1 WHERE id = 3");
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 1, "pengelola_persidangan", 1, NOW - 200, NOW, 4);
	complete_hook(f, t);
	assert_int_equal(notes_of(f, 3), 0);
	assert_int_equal(notes_of(f, 2), 1);
	assert_int_equal(notes_of(f, 6), 1);
	assert_int_equal(notes_for_task(f, t), 2);
}

/* A recipient cleared below the meeting's classification gets its number, not its title. */
static void test_classified_title_hidden(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 2, 1, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 2, "kasubbag_pengelolaan", 1, NOW - 61, NOW, 3);
	complete_hook(f, t);
	char *kabag = note_text(f, 2, "message_en"), *plh = note_text(f, 6, "message_en");
	assert_non_null(strstr(kabag, "meeting \"#2\""));
	assert_null(strstr(kabag, "Rahasia"));
	assert_non_null(strstr(plh, "meeting \"Rapat Rahasia\""));
	assert_non_null(strstr(plh, "(1 min 1 s)"));
	free(kabag);
	free(plh);
}

static json_t *find_step(json_t *steps, const char *code, int step)
{
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "sop_code")), code) == 0 &&
		    json_integer_value(json_object_get(s, "step")) == step)
			return s;
	}
	fail_msg("no step %s/%d in the report", code, step);
	return NULL;
}

static json_t *find_official(json_t *officials, const char *username)
{
	size_t i;
	json_t *o;
	json_array_foreach(officials, i, o)
	{
		const char *u = json_string_value(json_object_get(json_object_get(o, "user"), "username"));
		if (u && strcmp(u, username) == 0)
			return o;
	}
	fail_msg("no official %s in the report", username);
	return NULL;
}

static int64_t geti(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static json_t *report_of(struct fx *f, const char *from, const char *to, enum classification ceil)
{
	int64_t a, b;
	const char *field;
	json_t *r = NULL;
	assert_int_equal(compliance_period(from, to, clock_now(), &a, &b, &field), ST_OK);
	assert_int_equal(compliance_report(f->c, a, b, ceil, &r), ST_OK);
	assert_non_null(r);
	return r;
}

/* Medians (odd and even counts), worst, breaches, open, per official, per case, per month. */
static void test_report(void **state)
{
	struct fx *f = *state;
	/* Case 1 (meeting 1, v1): completed in November. Case 2 (meeting 2, classified, v3):
	 * kept internal in October. Case 3 (meeting 3, SOP "lain"): open. */
	case_add(f, 1, 1, 1, "completed", OCT15, NOV10 + 5000);
	case_add(f, 2, 2, 3, "kept_internal", OCT15, OCT15 + 9000);
	case_add(f, 3, 3, 2, "open", NOV10, 0);
	/* step 2 (Waktu 5): 100, 400 (breach), 200 → median 200, worst 400 */
	task_add(f, 1, 2, "kasubbag_pengelolaan", 5, OCT15, OCT15 + 100, 3);
	task_add(f, 2, 2, "kasubbag_pengelolaan", 5, OCT15, OCT15 + 400, 3);
	task_add(f, 1, 2, "kasubbag_pengelolaan", 5, NOV10, NOV10 + 200, 6);
	/* step 3 (Waktu 3): 100, 201 (breach) → median 150.5 */
	task_add(f, 1, 3, "karo_hph", 3, NOV10, NOV10 + 100, 1);
	task_add(f, 2, 3, "karo_hph", 3, OCT15, OCT15 + 201, 1);
	/* step 4: even count with an integer median: 100, 300 → 200 */
	task_add(f, 1, 4, "kabag_persidangan", 0, NOV10, NOV10 + 100, 2);
	task_add(f, 1, 4, "kabag_persidangan", 0, NOV10, NOV10 + 300, 2);
	/* completed before the period: not counted */
	task_add(f, 1, 4, "kabag_persidangan", 0, OCT15 - 60 * DAY, OCT15 - 60 * DAY + 5, 2);
	/* SOP "lain": one completed, two open (one overdue) */
	task_add(f, 3, 1, "pengelola_persidangan", 10, NOV10, NOV10 + 60, 4);
	task_add(f, 3, 2, "kasubbag_pengelolaan", 10, NOW - 3600, 0, 0);
	task_add(f, 3, 2, "kasubbag_pengelolaan", 10, NOW - 60, 0, 0);
	/* cancelled: never counted */
	execf(f, "INSERT INTO tasks (case_id, step, role, state, available_at) VALUES"
		 " (3, 5, 'karo_hph', 'cancelled', %lld)", NOV10);

	/* The fixture's SOP versions hold no definition: sop_load_version refuses them (and logs
	 * so), and the report gives null step texts. */
	json_t *r = report_of(f, "2026-09-01", "2026-11-30", CLASS_BIASA);
	assert_string_equal(json_string_value(json_object_get(r, "from")), "2026-09-01");
	assert_string_equal(json_string_value(json_object_get(r, "to")), "2026-11-30");

	json_t *steps = json_object_get(r, "per_step");
	assert_int_equal(json_array_size(steps), 5);
	/* by SOP code, then step */
	assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "sop_code")),
			    "lain");
	json_t *s2 = find_step(steps, "pemilihan-pengunggahan-data", 2);
	assert_int_equal(geti(s2, "tasks"), 3);
	assert_int_equal(geti(s2, "median_seconds"), 200);
	assert_int_equal(geti(s2, "worst_seconds"), 400);
	assert_int_equal(geti(s2, "breaches"), 1);
	assert_int_equal(geti(s2, "waktu_minutes"), 5);
	assert_int_equal(geti(s2, "open"), 0);
	assert_string_equal(json_string_value(json_object_get(s2, "role")), "kasubbag_pengelolaan");
	assert_true(json_is_null(json_object_get(s2, "text"))); /* no stored definition text */
	json_t *s3 = find_step(steps, "pemilihan-pengunggahan-data", 3);
	assert_int_equal(geti(s3, "tasks"), 2);
	assert_true(json_is_real(json_object_get(s3, "median_seconds")));
	assert_true(json_real_value(json_object_get(s3, "median_seconds")) == 150.5);
	assert_int_equal(geti(s3, "worst_seconds"), 201);
	assert_int_equal(geti(s3, "breaches"), 1);
	json_t *s4 = find_step(steps, "pemilihan-pengunggahan-data", 4);
	assert_int_equal(geti(s4, "tasks"), 2);
	assert_int_equal(geti(s4, "median_seconds"), 200);
	assert_true(json_is_null(json_object_get(s4, "waktu_minutes")));
	assert_int_equal(geti(s4, "breaches"), 0);
	json_t *l1 = find_step(steps, "lain", 1);
	assert_int_equal(geti(l1, "tasks"), 1);
	assert_int_equal(geti(l1, "median_seconds"), 60);
	json_t *l2 = find_step(steps, "lain", 2);
	assert_int_equal(geti(l2, "tasks"), 0);
	assert_true(json_is_null(json_object_get(l2, "median_seconds")));
	assert_true(json_is_null(json_object_get(l2, "worst_seconds")));
	assert_int_equal(geti(l2, "open"), 2);
	assert_int_equal(geti(l2, "open_overdue"), 1);
	assert_int_equal(geti(l2, "waktu_minutes"), 10);

	json_t *off = json_object_get(r, "per_official");
	assert_int_equal(json_array_size(off), 5);
	json_t *karo = find_official(off, "karo");
	assert_int_equal(geti(karo, "tasks"), 2);
	assert_int_equal(geti(karo, "breaches"), 1);
	assert_true(json_real_value(json_object_get(karo, "median_seconds")) == 150.5);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(karo, "user"), "display_name")),
		"Karo HPH");
	assert_int_equal(geti(json_object_get(karo, "user"), "id"), 1);
	json_t *kasubbag = find_official(off, "kasubbag");
	assert_int_equal(geti(kasubbag, "tasks"), 2);
	assert_int_equal(geti(kasubbag, "median_seconds"), 250);
	assert_int_equal(geti(kasubbag, "breaches"), 1);
	json_t *kabag = find_official(off, "kabag");
	assert_int_equal(geti(kabag, "tasks"), 2);
	assert_int_equal(geti(kabag, "median_seconds"), 200);

	json_t *months = json_object_get(r, "per_period");
	assert_int_equal(json_array_size(months), 3);
	json_t *sep = json_array_get(months, 0), *oct = json_array_get(months, 1),
	       *nov = json_array_get(months, 2);
	assert_string_equal(json_string_value(json_object_get(sep, "month")), "2026-09");
	assert_string_equal(json_string_value(json_object_get(oct, "month")), "2026-10");
	assert_string_equal(json_string_value(json_object_get(nov, "month")), "2026-11");
	assert_int_equal(geti(sep, "tasks"), 0);
	assert_int_equal(geti(oct, "tasks"), 3);
	assert_int_equal(geti(oct, "breaches"), 2);
	assert_int_equal(geti(oct, "cases_kept_internal"), 1);
	assert_int_equal(geti(oct, "cases_completed"), 0);
	assert_int_equal(geti(nov, "tasks"), 5);
	assert_int_equal(geti(nov, "breaches"), 0);
	assert_int_equal(geti(nov, "cases_completed"), 1);
	assert_int_equal(geti(nov, "cases_kept_internal"), 0);

	json_t *cases = json_object_get(r, "per_case");
	assert_int_equal(json_array_size(cases), 3);
	json_t *c1 = json_array_get(cases, 0), *c2 = json_array_get(cases, 1),
	       *c3 = json_array_get(cases, 2);
	assert_int_equal(geti(c1, "case_id"), 1);
	assert_string_equal(json_string_value(json_object_get(c1, "state")), "completed");
	assert_string_equal(json_string_value(json_object_get(c1, "meeting_title")),
			    "Rapat Koordinasi");
	assert_int_equal(geti(c1, "tasks"), 6);
	assert_int_equal(geti(c1, "elapsed_seconds"), NOV10 + 5000 - OCT15);
	assert_string_equal(json_string_value(json_object_get(c1, "started_at")),
			    "2026-10-15T00:00:00Z");
	assert_int_equal(geti(c2, "case_id"), 2);
	assert_true(json_is_null(json_object_get(c2, "meeting_title"))); /* rahasia */
	assert_int_equal(geti(c2, "tasks"), 2);
	assert_int_equal(geti(c3, "case_id"), 3);
	assert_true(json_is_null(json_object_get(c3, "closed_at")));
	assert_near_now(geti(c3, "elapsed_seconds") + NOV10);
	assert_int_equal(geti(c3, "tasks"), 3);
	json_decref(r);

	/* Cleared for it, the title shows; a period of one day in October. */
	r = report_of(f, "2026-10-15", "2026-10-15", CLASS_RAHASIA);
	cases = json_object_get(r, "per_case");
	assert_int_equal(json_array_size(cases), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 1),
							       "meeting_title")),
			    "Rapat Rahasia");
	assert_int_equal(json_array_size(json_object_get(r, "per_period")), 1);
	s2 = find_step(json_object_get(r, "per_step"), "pemilihan-pengunggahan-data", 2);
	assert_int_equal(geti(s2, "tasks"), 2);
	assert_int_equal(geti(s2, "median_seconds"), 250);
	json_decref(r);

	/* The default period: the 180 days up to today. */
	r = report_of(f, NULL, NULL, CLASS_BIASA);
	assert_string_equal(json_string_value(json_object_get(r, "to")), "2026-12-01");
	assert_string_equal(json_string_value(json_object_get(r, "from")), "2026-06-05");
	assert_int_equal(json_array_size(json_object_get(r, "per_period")), 7);
	json_decref(r);
}

/* Nothing in the period: empty lists, and the months with zeros. */
static void test_report_empty(void **state)
{
	struct fx *f = *state;
	json_t *r = report_of(f, "2026-01-15", "2026-03-01", CLASS_BIASA);
	assert_int_equal(json_array_size(json_object_get(r, "per_step")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "per_case")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "per_official")), 0);
	json_t *months = json_object_get(r, "per_period");
	assert_int_equal(json_array_size(months), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(months, 2), "month")),
			    "2026-03");
	assert_int_equal(geti(json_array_get(months, 0), "tasks"), 0);
	json_decref(r);
	/* One task: odd count of one. */
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	task_add(f, 1, 2, "kasubbag_pengelolaan", 5, NOW - 100, NOW - 30, 3);
	r = report_of(f, NULL, NULL, CLASS_BIASA);
	json_t *s2 = find_step(json_object_get(r, "per_step"), "pemilihan-pengunggahan-data", 2);
	assert_int_equal(geti(s2, "median_seconds"), 70);
	assert_int_equal(geti(s2, "worst_seconds"), 70);
	json_decref(r);
}

static void test_period(void **state)
{
	(void)state;
	int64_t a, b;
	const char *field;
	assert_int_equal(compliance_period("2026-11-01", "2026-11-30", NOW, &a, &b, &field), ST_OK);
	assert_int_equal(a, 1793491200LL);
	assert_int_equal(b, 1795996800LL + DAY - 1);
	assert_int_equal(compliance_period("2026-02-30", NULL, NOW, &a, &b, &field), ST_INVALID);
	assert_string_equal(field, "from");
	assert_int_equal(compliance_period(NULL, "2026-13-01", NOW, &a, &b, &field), ST_INVALID);
	assert_string_equal(field, "to");
	assert_int_equal(compliance_period("2026-11-02", "2026-11-01", NOW, &a, &b, &field),
			 ST_INVALID);
	assert_string_equal(field, "from");
	assert_int_equal(compliance_period("26-11-02", NULL, NOW, &a, &b, &field), ST_INVALID);
	assert_int_equal(compliance_period(NULL, NULL, NOW, &a, &b, &field), ST_OK);
	assert_int_equal(b - a + 1, 180 * DAY);
}

static void user_load(struct fx *f, int64_t id, struct user *u)
{
	assert_int_equal(users_get_by_id(f->c, id, u), ST_OK);
}

static void test_report_allowed(void **state)
{
	struct fx *f = *state;
	static const struct {
		int64_t id;
		bool allowed;
	} cases[] = {{1, true}, {2, true}, {3, false}, {4, false}, {5, false},
		     {6, true}, {7, true}, {8, false}, {9, false}, {10, true}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct user u;
		bool ok = !cases[i].allowed;
		user_load(f, cases[i].id, &u);
		assert_int_equal(compliance_report_allowed(f->c, &u, NOW, &ok), ST_OK);
		if (ok != cases[i].allowed)
			fail_msg("user %lld: allowed %d", (long long)cases[i].id, ok);
	}
}

static void test_notifications(void **state)
{
	struct fx *f = *state;
	case_add(f, 1, 1, 1, "open", NOW - DAY, 0);
	int64_t t1 = task_add(f, 1, 8, "kabag_persidangan", 5, NOW - 1000, NOW - 600, 2);
	int64_t t2 = task_add(f, 1, 9, "kabag_persidangan", 1, NOW - 1000, NOW - 500, 2);
	complete_hook(f, t1);
	complete_hook(f, t2);
	json_t *l = NULL;
	assert_int_equal(compliance_notifications_list(f->c, 1, &l), ST_OK);
	assert_int_equal(geti(l, "unread"), 2);
	json_t *items = json_object_get(l, "items");
	assert_int_equal(json_array_size(items), 2);
	json_t *newest = json_array_get(items, 0);
	assert_int_equal(geti(newest, "task_id"), t2); /* newest first */
	assert_int_equal(geti(newest, "case_id"), 1);
	assert_string_equal(json_string_value(json_object_get(newest, "kind")), "breach");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(newest, "message"),
								  "en")),
			       "Step 9"));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(newest, "message"),
								  "id")),
			       "Langkah 9"));
	assert_memory_equal(json_string_value(json_object_get(newest, "created_at")),
			    "2026-12-01T00:00:", 17);
	assert_true(json_is_null(json_object_get(newest, "read_at")));
	int64_t id = geti(newest, "id");
	json_decref(l);

	/* Another user's notification looks missing; so does an unknown one. */
	assert_int_equal(compliance_notification_read(f->c, 2, id), ST_NOT_FOUND);
	assert_int_equal(compliance_notification_read(f->c, 1, 999999), ST_NOT_FOUND);
	assert_int_equal(compliance_notification_read(f->c, 1, id), ST_OK);
	assert_int_equal(compliance_notification_read(f->c, 1, id), ST_OK); /* idempotent */
	assert_int_equal(compliance_notifications_list(f->c, 1, &l), ST_OK);
	assert_int_equal(geti(l, "unread"), 1);
	assert_memory_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(l, "items"), 0),
						  "read_at")),
		"2026-12-01T00:00:", 17);
	json_decref(l);
	/* The Plt's own copy is still unread. */
	assert_int_equal(compliance_notifications_list(f->c, 10, &l), ST_OK);
	assert_int_equal(geti(l, "unread"), 2);
	json_decref(l);
	/* Nobody else's. */
	assert_int_equal(compliance_notifications_list(f->c, 4, &l), ST_OK);
	assert_int_equal(geti(l, "unread"), 0);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
	json_decref(l);

	/* At most 100, newest first. */
	for (int i = 0; i < 120; i++)
		execf(f, "INSERT INTO notifications (user_id, kind, message_id, message_en, created_at)"
			 " VALUES (4, 'breach', 'm%d', 'm%d', %lld)", i, i, NOW);
	assert_int_equal(compliance_notifications_list(f->c, 4, &l), ST_OK);
	assert_int_equal(json_array_size(json_object_get(l, "items")), COMPLIANCE_NOTIFICATIONS_MAX);
	assert_int_equal(geti(l, "unread"), 120);
	json_t *first = json_array_get(json_object_get(l, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(first, "message"), "en")),
			    "m119");
	assert_true(json_is_null(json_object_get(first, "task_id")));
	json_decref(l);
}

/* With the seed definition imported: superiors come from its roles, step texts from its steps. */
static void test_real_definition(void **state)
{
	struct fx *f = *state;
	char key[160];
	struct audit *a = NULL;
	snprintf(key, sizeof key, "%s/audit.key", f->dir);
	assert_int_equal(audit_key_create(f->c, key), ST_OK);
	assert_int_equal(audit_open(key, &a), ST_OK);
	exec(f, "UPDATE roles SET superior = NULL");
	int imported = 0;
	assert_int_equal(sop_import_builtin(f->c, a, &imported), ST_OK);
	assert_true(imported >= 1);
	assert_int_equal(q1(f, "SELECT count(*) FROM roles WHERE code = 'kabag_persidangan'"
			       " AND superior = 'karo_hph'"),
			 1);
	int64_t vid = 0;
	assert_int_equal(sop_latest(f->c, SOP_DEFAULT_CODE, &vid), ST_OK);
	const struct sop *sop = NULL;
	assert_int_equal(sop_load_version(f->c, vid, &sop), ST_OK);
	const struct sop_step *s8 = sop_step(sop, 8);
	assert_non_null(s8);
	assert_int_equal(s8->waktu_minutes, 5);
	assert_string_equal(s8->role, "kabag_persidangan");

	case_add(f, 1, 1, vid, "open", NOW - DAY, 0);
	int64_t t = task_add(f, 1, 8, s8->role, s8->waktu_minutes, NOW - 1000, NOW - 1000 + 370, 2);
	complete_hook(f, t);
	assert_int_equal(notes_for_task(f, t), 2); /* karo and the Plt karo */
	assert_int_equal(notes_of(f, 1), 1);
	assert_note(f, 1,
		    "Langkah 8 (Kepala Bagian Persidangan) pada rapat \"Rapat Koordinasi\" melewati "
		    "standar waktu 5 menit (6 menit 10 detik).",
		    "Step 8 (Head of the Sessions Division) of meeting \"Rapat Koordinasi\" exceeded "
		    "its 5-minute time standard (6 min 10 s).");

	json_t *r = report_of(f, "2026-11-01", "2026-12-01", CLASS_BIASA);
	json_t *st8 = find_step(json_object_get(r, "per_step"), SOP_DEFAULT_CODE, 8);
	json_t *text = json_object_get(st8, "text");
	assert_true(json_is_object(text));
	assert_string_equal(json_string_value(json_object_get(text, "id")), s8->text.id);
	assert_string_equal(json_string_value(json_object_get(text, "en")), s8->text.en);
	assert_int_equal(geti(st8, "tasks"), 1);
	assert_int_equal(geti(st8, "median_seconds"), 370);
	assert_int_equal(geti(st8, "breaches"), 1);
	assert_int_equal(geti(st8, "waktu_minutes"), 5);
	json_decref(r);
	audit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_breach_at_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_breach_within_waktu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_superior_own_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acting_notified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vacant_superior_escalates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classified_title_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_empty, setup, teardown),
		cmocka_unit_test(test_period),
		cmocka_unit_test_setup_teardown(test_report_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_definition, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
