/* The SOP engine at the domain level, over the built-in seed SOP. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/acl.h"
#include "domain/audit.h"
#include "domain/documents.h"
#include "domain/engine.h"
#include "domain/meetings.h"
#include "domain/sop.h"
#include "domain/users.h"
#include "store/db.h"
#include "util/clock.h"

struct fixture {
	FX_FIELDS;
	struct user karo, kabag, kasubbag, persidangan, naskah, pic1, pic2, admin, naskah2;
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

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	FX_OPEN(f, "engine", 4);
	int imported = 0;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	assert_true(imported >= 1);
	make_user(f, "karo", "karo_hph", CLASS_SANGAT_RAHASIA, &f->karo);
	make_user(f, "kabag", "kabag_persidangan", CLASS_SANGAT_RAHASIA, &f->kabag);
	make_user(f, "kasubbag", "kasubbag_pengelolaan", CLASS_SANGAT_RAHASIA, &f->kasubbag);
	make_user(f, "persidangan", "pengelola_persidangan", CLASS_SANGAT_RAHASIA, &f->persidangan);
	make_user(f, "naskah", "pengelola_naskah", CLASS_SANGAT_RAHASIA, &f->naskah);
	make_user(f, "naskah2", "pengelola_naskah", CLASS_SANGAT_RAHASIA, &f->naskah2);
	make_user(f, "pic1", "reader", CLASS_RAHASIA, &f->pic1);
	make_user(f, "pic2", "reader", CLASS_BIASA, &f->pic2);
	make_user(f, "admin", "admin", CLASS_BIASA, &f->admin);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sop_cache_clear();
	FX_CLOSE(f);
	free(f);
	return 0;
}

static int64_t new_meeting(struct fixture *f, enum classification cls)
{
	struct meeting_input in = {"Rapat Koordinasi Perbatasan", "RK-1", "2026-11-20", "Jakarta",
				   "Deputi", true, cls};
	struct meeting m;
	struct field_error fe = {0};
	assert_int_equal(meetings_create(f->c, f->a, &f->persidangan, "test", &in, &m, &fe), ST_OK);
	return m.id;
}

static int64_t add_doc(struct fixture *f, int64_t meeting, const char *stage, const char *type,
		       const char *cls)
{
	static int n;
	char sha[65], body[32];
	snprintf(body, sizeof body, "document %d", ++n);
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)body, strlen(body));
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	struct document_input in = {stage, type, NULL, cls, "born_digital", NULL, NULL, NULL, NULL};
	struct blob_ref ref = {sha, strlen(body), "application/pdf", "dokumen.pdf"};
	struct document d;
	struct field_error fe = {0};
	assert_int_equal(documents_create(f->c, f->a, &f->persidangan, "test", meeting, &in, &ref, &d,
					  &fe), ST_OK);
	return d.id;
}

/* The open task of MEETING's case (its id and step). */
static int64_t open_task(struct fixture *f, int64_t meeting, int *step_out)
{
	json_t *cj = NULL;
	assert_int_equal(engine_case_json(f->c, f->a, &f->karo, "test", meeting, &cj), ST_OK);
	json_t *tasks = json_object_get(cj, "tasks");
	int64_t id = 0;
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t) {
		if (strcmp(json_string_value(json_object_get(t, "state")), "available") == 0) {
			id = json_integer_value(json_object_get(t, "id"));
			*step_out = (int)json_integer_value(json_object_get(t, "step"));
		}
	}
	json_decref(cj);
	return id;
}

static enum status complete(struct fixture *f, const struct user *u, int64_t task, const char *body)
{
	json_error_t jerr;
	json_t *p = json_loads(body, 0, &jerr);
	assert_non_null(p);
	struct field_error fe = {0};
	enum status st = engine_task_complete(f->c, f->a, u, "test", task, p, &fe, NULL);
	if (st == ST_INVALID)
		print_message("validation: %s\n", fe.message);
	json_decref(p);
	return st;
}

static bool pic_sees(struct fixture *f, const struct user *pic, int64_t doc)
{
	struct document d;
	return documents_get(f->c, f->a, pic, "test", doc, &d) == ST_OK;
}

static void walk_to_step(struct fixture *f, int64_t meeting, int target, int64_t *pub_doc,
			 int64_t *secret_doc)
{
	int step = 0;
	int64_t t = open_task(f, meeting, &step);
	assert_int_equal(step, 1);
	*pub_doc = add_doc(f, meeting, "perencanaan", "undangan", "biasa");
	*secret_doc = add_doc(f, meeting, "perencanaan", "nota_dinas", "rahasia");
	add_doc(f, meeting, "pelaksanaan", "notulensi", NULL);
	add_doc(f, meeting, "pelaporan", "risalah", NULL);
	if (target == 1)
		return;
	assert_int_equal(complete(f, &f->persidangan, t, "{\"note\": \"lengkap\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 2);
	if (target == 2)
		return;
	assert_int_equal(complete(f, &f->kasubbag, t,
				  "{\"ticked\": [{\"stage\": \"perencanaan\", \"type\": \"undangan\"}],"
				  " \"note\": \"agenda belum ada\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 3);
}

static void test_seed_walk(void **state)
{
	struct fixture *f = *state;
	int64_t meeting = new_meeting(f, CLASS_BIASA), pub, secret;
	walk_to_step(f, meeting, 3, &pub, &secret);
	int step;
	int64_t t = open_task(f, meeting, &step);
	/* Nothing is visible to a PIC before publication. */
	assert_false(pic_sees(f, &f->pic1, pub));
	/* Wrong performer: the Kabag cannot decide for the Karo. */
	assert_int_equal(complete(f, &f->kabag, t, "{\"answer\": \"ya\", \"reason\": \"x\"}"), ST_DENIED);
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"mungkin\", \"reason\": \"x\"}"), ST_INVALID);
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"ya\"}"), ST_INVALID);
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"ya\", \"reason\": \"disetujui\"}"), ST_OK);
	/* A completed task stays completed. */
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"ya\", \"reason\": \"lagi\"}"), ST_CONFLICT);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 4);
	assert_int_equal(complete(f, &f->kabag, t, "{\"instruction\": \"lengkapi tahap perencanaan\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 5);
	/* A disposition to a named person: only she gets step 6. */
	char body[256];
	snprintf(body, sizeof body, "{\"instruction\": \"unggah\", \"to_user\": %lld}",
		 (long long)f->naskah.id);
	assert_int_equal(complete(f, &f->kasubbag, t, body), ST_INVALID); /* not a holder of step 6's role */
	snprintf(body, sizeof body, "{\"instruction\": \"unggah\", \"to_user\": %lld}",
		 (long long)f->persidangan.id);
	assert_int_equal(complete(f, &f->kasubbag, t, body), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 6);
	/* pic2 (biasa) cannot be granted the rahasia document. */
	snprintf(body, sizeof body, "{\"grants\": [{\"document_id\": %lld, \"users\": [%lld]}]}",
		 (long long)secret, (long long)f->pic2.id);
	assert_int_equal(complete(f, &f->persidangan, t, body), ST_INVALID);
	snprintf(body, sizeof body,
		 "{\"grants\": [{\"document_id\": %lld, \"users\": [%lld, %lld]},"
		 " {\"document_id\": %lld, \"users\": [%lld]}]}",
		 (long long)pub, (long long)f->pic1.id, (long long)f->pic2.id, (long long)secret,
		 (long long)f->pic1.id);
	assert_int_equal(complete(f, &f->persidangan, t, body), ST_OK);
	assert_true(pic_sees(f, &f->pic1, pub));
	assert_true(pic_sees(f, &f->pic1, secret));
	assert_true(pic_sees(f, &f->pic2, pub));
	assert_false(pic_sees(f, &f->pic2, secret));
	assert_false(pic_sees(f, &f->admin, pub));
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 7);
	/* Step 7: publish the other stages and report, in one completion. */
	assert_int_equal(complete(f, &f->naskah, t, "{\"grants\": [], \"text\": \"selesai diunggah\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 8);
	assert_int_equal(complete(f, &f->kabag, t, "{\"text\": \"pengunggahan selesai\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 9);
	/* Verification must cover every published document (four). */
	snprintf(body, sizeof body, "{\"documents\": [{\"id\": %lld, \"result\": \"confirmed\"}]}",
		 (long long)pub);
	assert_int_equal(complete(f, &f->karo, t, body), ST_INVALID);
	snprintf(body, sizeof body,
		 "{\"documents\": [{\"id\": %lld, \"result\": \"confirmed\"}, {\"id\": %lld, \"result\": \"noted\", \"note\": \"cap basah\"},"
		 " {\"id\": %lld, \"result\": \"confirmed\"}, {\"id\": %lld, \"result\": \"confirmed\"}]}",
		 (long long)pub, (long long)secret, (long long)pub + 2, (long long)pub + 3);
	assert_int_equal(complete(f, &f->karo, t, body), ST_OK);
	json_t *cj = NULL;
	assert_int_equal(engine_case_json(f->c, f->a, &f->karo, "test", meeting, &cj), ST_OK);
	assert_string_equal(json_string_value(json_object_get(cj, "state")), "completed");
	assert_int_equal(json_array_size(json_object_get(cj, "tasks")), 9);
	json_decref(cj);
	struct document d;
	assert_int_equal(documents_get(f->c, f->a, &f->pic1, "test", pub, &d), ST_OK);
	assert_string_equal(d.state, "verified");
	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
}

static void test_reject_keeps_internal(void **state)
{
	struct fixture *f = *state;
	int64_t meeting = new_meeting(f, CLASS_BIASA), pub, secret;
	walk_to_step(f, meeting, 3, &pub, &secret);
	int step;
	int64_t t = open_task(f, meeting, &step);
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"tidak\", \"reason\": \"belum layak\"}"), ST_OK);
	json_t *cj = NULL;
	assert_int_equal(engine_case_json(f->c, f->a, &f->karo, "test", meeting, &cj), ST_OK);
	assert_string_equal(json_string_value(json_object_get(cj, "state")), "kept_internal");
	json_decref(cj);
	assert_int_equal(open_task(f, meeting, &step), 0);
	/* No new case can publish it. */
	int64_t case_id;
	assert_int_equal(engine_start_case(f->c, f->a, &f->persidangan, "test", meeting, &case_id),
			 ST_CONFLICT);
	assert_int_equal(complete(f, &f->karo, t, "{\"answer\": \"ya\", \"reason\": \"ubah\"}"), ST_CONFLICT);
	assert_false(pic_sees(f, &f->pic1, pub));
	struct document d;
	assert_int_equal(documents_get(f->c, f->a, &f->karo, "test", pub, &d), ST_OK);
	assert_string_equal(d.state, "internal");
}

static void test_shared_step_and_acting(void **state)
{
	struct fixture *f = *state;
	int64_t meeting = new_meeting(f, CLASS_BIASA), pub, secret;
	walk_to_step(f, meeting, 1, &pub, &secret);
	int step;
	int64_t t = open_task(f, meeting, &step);
	/* Step 1 may be shared by the Pengelola Naskah; a PIC may not. */
	assert_int_equal(complete(f, &f->pic1, t, "{}"), ST_NOT_FOUND);
	assert_int_equal(complete(f, &f->naskah, t, "{\"note\": \"dihimpun\"}"), ST_OK);
	t = open_task(f, meeting, &step);
	assert_int_equal(step, 2);
	assert_int_equal(complete(f, &f->naskah, t, "{}"), ST_DENIED);
	/* The admin appoints naskah as Plh Kasubbag; then naskah may check. */
	struct acting_input in = {"naskah", "kasubbag_pengelolaan", "kasubbag", "plh",
				  clock_now() - 60, clock_now() + 3600, "cuti"};
	struct field_error fe = {0};
	json_t *o = NULL;
	assert_int_equal(engine_acting_grant(f->c, f->a, &f->kabag, "test", &in, &fe, &o), ST_DENIED);
	struct acting_input past = in;
	past.starts = clock_now() - 7200;
	past.ends = clock_now() - 3600;
	assert_int_equal(engine_acting_grant(f->c, f->a, &f->admin, "test", &past, &fe, &o), ST_INVALID);
	assert_string_equal(fe.field, "ends");
	assert_int_equal(engine_acting_grant(f->c, f->a, &f->admin, "test", &in, &fe, &o), ST_OK);
	int64_t acting = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	assert_int_equal(engine_acting_revoke(f->c, f->a, &f->admin, "test", acting), ST_OK);
	assert_int_equal(complete(f, &f->naskah, t, "{}"), ST_DENIED);
	o = NULL;
	assert_int_equal(engine_acting_grant(f->c, f->a, &f->admin, "test", &in, &fe, &o), ST_OK);
	json_decref(o);
	assert_int_equal(complete(f, &f->naskah, t, "{\"note\": \"sebagai Plh\"}"), ST_OK);
	json_t *cj = NULL;
	assert_int_equal(engine_case_json(f->c, f->a, &f->karo, "test", meeting, &cj), ST_OK);
	json_t *t2 = json_array_get(json_object_get(cj, "tasks"), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(t2, "acting"), "kind")), "plh");
	json_decref(cj);
}

struct race {
	struct fixture *f;
	int64_t task;
	pthread_barrier_t *barrier;
	enum status st;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct db_conn *c = db_acquire(r->f->db);
	json_t *p = json_pack("{s:s}", "note", "balapan");
	struct field_error fe = {0};
	pthread_barrier_wait(r->barrier);
	r->st = engine_task_complete(c, r->f->a, &r->f->persidangan, "test", r->task, p, &fe, NULL);
	json_decref(p);
	db_release(r->f->db, c);
	return NULL;
}

static void test_double_completion(void **state)
{
	struct fixture *f = *state;
	int64_t meeting = new_meeting(f, CLASS_BIASA), pub, secret;
	walk_to_step(f, meeting, 1, &pub, &secret);
	int step;
	int64_t t = open_task(f, meeting, &step);
	/* The fixture's connection must not hold a transaction while the racers run. */
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, 2);
	struct race r1 = {f, t, &b, ST_IO}, r2 = {f, t, &b, ST_IO};
	pthread_t a1, a2;
	pthread_create(&a1, NULL, racer, &r1);
	pthread_create(&a2, NULL, racer, &r2);
	pthread_join(a1, NULL);
	pthread_join(a2, NULL);
	pthread_barrier_destroy(&b);
	assert_true((r1.st == ST_OK && r2.st == ST_CONFLICT) || (r1.st == ST_CONFLICT && r2.st == ST_OK));
	json_t *cj = NULL;
	assert_int_equal(engine_case_json(f->c, f->a, &f->karo, "test", meeting, &cj), ST_OK);
	/* exactly one step 2 task */
	assert_int_equal(json_array_size(json_object_get(cj, "tasks")), 2);
	json_decref(cj);
}

static void test_compile_needs_documents(void **state)
{
	struct fixture *f = *state;
	int64_t meeting = new_meeting(f, CLASS_BIASA);
	int step;
	int64_t t = open_task(f, meeting, &step);
	assert_int_equal(complete(f, &f->persidangan, t, "{}"), ST_INVALID);
	assert_int_equal(complete(f, &f->persidangan, t, "{\"answer\": \"ya\"}"), ST_INVALID);
	json_t *inbox = NULL;
	assert_int_equal(engine_inbox(f->c, &f->persidangan, &inbox), ST_OK);
	assert_true(json_array_size(inbox) >= 1);
	json_decref(inbox);
	assert_int_equal(engine_inbox(f->c, &f->pic1, &inbox), ST_OK);
	assert_int_equal(json_array_size(inbox), 0);
	json_decref(inbox);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_keeps_internal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_step_and_acting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compile_needs_documents, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
