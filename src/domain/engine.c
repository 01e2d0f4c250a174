/* The SOP engine: cases, tasks, performers, and their JSON. Actions are in engine_actions.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/acl.h"
#include "domain/compliance.h"
#include "domain/documents.h"
#include "domain/engine_int.h"
#include "domain/shapes.h"
#include "util/clock.h"
#include "util/log.h"

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

enum status engine_fail(struct field_error *fe, const char *field, const char *fmt, ...)
{
	fe->field = field;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fe->message, sizeof fe->message, fmt, ap);
	va_end(ap);
	return ST_INVALID;
}

/* --- rows ----------------------------------------------------------------------------------- */

static void read_task(struct db_stmt *s, struct task_row *t)
{
	t->id = db_col_int(s, 0);
	t->case_id = db_col_int(s, 1);
	t->step = (int)db_col_int(s, 2);
	copy(t->role, sizeof t->role, db_col_text(s, 3));
	t->assignee_id = db_col_int(s, 4);
	t->from_task_id = db_col_int(s, 5);
	copy(t->state, sizeof t->state, db_col_text(s, 6));
	t->available_at = db_col_int(s, 7);
	t->opened_at = db_col_int(s, 8);
	t->opened_by = db_col_int(s, 9);
	t->completed_at = db_col_int(s, 10);
	t->completed_by = db_col_int(s, 11);
	t->acting_id = db_col_int(s, 12);
	copy(t->answer, sizeof t->answer, db_col_text(s, 13));
	t->waktu_minutes = db_col_int(s, 14);
	t->due_at = db_col_int(s, 15);
	t->breached = db_col_int(s, 16) != 0;
	t->meeting_id = db_col_int(s, 18);
	copy(t->case_state, sizeof t->case_state, db_col_text(s, 19));
	t->sop_version_id = db_col_int(s, 20);
	t->meeting_classification = (enum classification)db_col_int(s, 21);
}

static void read_task_row(struct db_stmt *s, void *out) { read_task(s, out); }

enum status engine_load_task(struct db_conn *c, int64_t id, struct task_row *t)
{
	return db_get_row(c, SQL_TASK_GET, id, read_task_row, t);
}

static void read_case(struct db_stmt *s, void *out)
{
	struct case_row *k = out;
	k->id = db_col_int(s, 0);
	k->meeting_id = db_col_int(s, 1);
	k->sop_version_id = db_col_int(s, 2);
	copy(k->state, sizeof k->state, db_col_text(s, 3));
	k->started_by = db_col_int(s, 4);
	k->started_at = db_col_int(s, 5);
	k->closed_at = db_col_int(s, 6);
}

static enum status load_case_by(struct db_conn *c, enum sql_id id, int64_t key, struct case_row *k)
{
	return db_get_row(c, id, key, read_case, k);
}

enum status engine_load_case(struct db_conn *c, int64_t id, struct case_row *k)
{
	return load_case_by(c, SQL_CASE_GET, id, k);
}

json_t *engine_userref(struct db_conn *c, int64_t id)
{
	struct user u;
	if (id <= 0 || users_get_by_id(c, id, &u) != ST_OK)
		return json_null();
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u.id, "username", u.username,
			 "display_name", u.display_name);
}

/* --- performers ----------------------------------------------------------------------------- */

bool engine_holds_role(struct db_conn *c, const struct user *u, const char *role, int64_t now,
		       int64_t *acting_id_out)
{
	*acting_id_out = 0;
	if (user_has_role(u, role))
		return true;
	struct db_stmt *s;
	if (db_prepare(c, SQL_ACTING_ACTIVE, &s) != ST_OK)
		return false;
	db_bind_int(s, 1, u->id);
	db_bind_int(s, 2, now);
	bool row, found = false;
	while (db_step(s, &row) == ST_OK && row) {
		const char *r = db_col_text(s, 1);
		if (r && strcmp(r, role) == 0) {
			*acting_id_out = db_col_int(s, 0);
			found = true;
			break;
		}
	}
	db_done(s);
	return found;
}

/* True if U stands in for user FOR_ID in ROLE now. */
static bool acts_for(struct db_conn *c, const struct user *u, const char *role, int64_t for_id,
		     int64_t now, int64_t *acting_id_out)
{
	struct db_stmt *s;
	*acting_id_out = 0;
	if (db_prepare(c, SQL_ACTING_ACTIVE, &s) != ST_OK)
		return false;
	db_bind_int(s, 1, u->id);
	db_bind_int(s, 2, now);
	bool row, found = false;
	while (db_step(s, &row) == ST_OK && row) {
		const char *r = db_col_text(s, 1);
		if (r && strcmp(r, role) == 0 && db_col_int(s, 2) == for_id) {
			*acting_id_out = db_col_int(s, 0);
			found = true;
			break;
		}
	}
	db_done(s);
	return found;
}

/* Who may complete task T of STEP: the person a disposition named (or whoever acts for them), else
 * any holder of the step's role or of a role it lists under "also", directly or acting. */
static bool can_perform(struct db_conn *c, const struct user *u, const struct sop_step *step,
			const struct task_row *t, int64_t now, int64_t *acting_id_out)
{
	*acting_id_out = 0;
	/* A performer must be cleared for the dossier: a task of a meeting above one's clearance
	 * does not exist for one. */
	if (!step || u->disabled || (int)u->clearance < (int)t->meeting_classification)
		return false;
	if (t->assignee_id) {
		if (u->id == t->assignee_id)
			return true;
		return acts_for(c, u, t->role, t->assignee_id, now, acting_id_out);
	}
	if (engine_holds_role(c, u, t->role, now, acting_id_out))
		return true;
	for (int i = 0; i < step->nalso; i++)
		if (engine_holds_role(c, u, step->also[i], now, acting_id_out))
			return true;
	return false;
}

enum status engine_role_holders(struct db_conn *c, const char *role,
				enum status (*fn)(void *ctx, int64_t id), void *ctx)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USERS_WITH_ROLE, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, role);
	int64_t ids[256];
	int n = 0;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row && n < 256)
		ids[n++] = db_col_int(s, 0);
	db_done(s);
	for (int i = 0; i < n && st == ST_OK; i++)
		st = fn(ctx, ids[i]);
	return st;
}

bool engine_pic_cleared(const struct user *pic, enum classification doc, enum classification meeting)
{
	return !pic->disabled && (int)pic->clearance >= (int)doc && (int)pic->clearance >= (int)meeting;
}

/* --- JSON ----------------------------------------------------------------------------------- */

static json_t *text_json(struct sop_text t)
{
	return json_pack("{s:s?, s:s?}", "id", t.id, "en", t.en ? t.en : t.id);
}

static json_t *time_or_null(int64_t t) { return t ? shape_time(t) : json_null(); }

static json_t *actions_json(unsigned actions)
{
	json_t *a = json_array();
	for (unsigned bit = 1; bit <= SOP_ACT_VERIFY; bit <<= 1)
		if (actions & bit)
			json_array_append_new(a, json_string(sop_action_name((enum sop_action)bit)));
	return a;
}

/* Removes, from every "documents" list inside V, the documents classified above CEILING: an
 * artefact was written for its author, and its reader may be cleared lower. */
static void filter_documents(json_t *v, enum classification ceiling)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			filter_documents(e, ceiling);
		return;
	}
	if (!json_is_object(v))
		return;
	json_t *docs = json_object_get(v, "documents");
	if (json_is_array(docs)) {
		for (size_t i = json_array_size(docs); i-- > 0;) {
			const char *cls = json_string_value(
				json_object_get(json_array_get(docs, i), "classification"));
			enum classification k;
			if (!cls || !classification_parse(cls, &k) || (int)k > (int)ceiling)
				json_array_remove(docs, i);
		}
	}
	const char *key;
	json_t *e;
	json_object_foreach(v, key, e)
		filter_documents(e, ceiling);
}

static json_t *artefact_json(struct db_conn *c, const struct sop *sop, struct db_stmt *s,
			     enum classification ceiling)
{
	const char *code = db_col_text(s, 4);
	json_t *name = json_null();
	if (code && sop) {
		for (int i = 0; i < sop->nsteps; i++)
			if (sop->steps[i].output.code && strcmp(sop->steps[i].output.code, code) == 0)
				name = text_json(sop->steps[i].output.name);
	}
	json_t *data = json_loads(db_col_text(s, 9) ? db_col_text(s, 9) : "{}", 0, NULL);
	filter_documents(data, ceiling);
	json_t *o = json_pack("{s:I, s:I, s:i, s:s, s:s?, s:o, s:o, s:s?, s:o, s:s, s:o, s:o}", "id",
			      (json_int_t)db_col_int(s, 0), "task_id", (json_int_t)db_col_int(s, 1),
			      "step", (int)db_col_int(s, 2), "kind", db_col_text(s, 3), "code", code,
			      "name", name, "author", engine_userref(c, db_col_int(s, 5)), "to_role",
			      db_col_text(s, 6), "to_user", engine_userref(c, db_col_int(s, 7)), "text",
			      db_col_text(s, 8) ? db_col_text(s, 8) : "", "data",
			      data ? data : json_object(), "created_at",
			      shape_time(db_col_int(s, 10)));
	return o;
}

/* Artefacts of one task (the handing-over step's, for "incoming"), or of a whole case. */
static json_t *artefacts_json(struct db_conn *c, const struct sop *sop, enum sql_id id, int64_t key,
			      enum classification ceiling)
{
	json_t *arr = json_array();
	struct db_stmt *s;
	if (db_prepare(c, id, &s) != ST_OK)
		return arr;
	db_bind_int(s, 1, key);
	/* artefact_json runs only user lookups, other statements than this one */
	bool row;
	while (db_step(s, &row) == ST_OK && row)
		json_array_append_new(arr, artefact_json(c, sop, s, ceiling));
	db_done(s);
	return arr;
}

static bool artefact_code_present(struct db_conn *c, int64_t case_id, const char *code)
{
	struct db_stmt *s;
	if (db_prepare(c, SQL_ARTEFACT_CODE_EXISTS, &s) != ST_OK)
		return false;
	db_bind_int(s, 1, case_id);
	db_bind_text(s, 2, code);
	bool row = false;
	db_step(s, &row);
	db_done(s);
	return row;
}

static json_t *task_json(struct db_conn *c, const struct user *u, const struct task_row *t,
			 const struct sop *sop, int64_t now)
{
	const struct sop_step *step = sop ? sop_step(sop, t->step) : NULL;
	struct meeting m;
	memset(&m, 0, sizeof m);
	struct db_stmt *s;
	if (db_prepare(c, SQL_MEETING_GET, &s) == ST_OK) {
		db_bind_int(s, 1, t->meeting_id);
		db_bind_int(s, 2, CLASS_SANGAT_RAHASIA);
		bool row;
		if (db_step(s, &row) == ST_OK && row) {
			copy(m.title, sizeof m.title, db_col_text(s, 1));
			copy(m.date, sizeof m.date, db_col_text(s, 3));
			m.classification = (enum classification)db_col_int(s, 6);
		}
		db_done(s);
	}
	json_t *acting = json_null();
	if (t->acting_id) {
		if (db_prepare(c, SQL_ACTING_GET, &s) == ST_OK) {
			db_bind_int(s, 1, t->acting_id);
			bool row;
			if (db_step(s, &row) == ST_OK && row)
				acting = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)t->acting_id,
						   "kind", db_col_text(s, 4), "role", db_col_text(s, 2));
			db_done(s);
		}
	}
	json_t *handed = json_null(), *incoming = json_array();
	if (t->from_task_id) {
		struct task_row from;
		if (engine_load_task(c, t->from_task_id, &from) == ST_OK)
			handed = json_pack("{s:o, s:i}", "user", engine_userref(c, from.completed_by),
					   "step", from.step);
		json_decref(incoming);
		incoming = artefacts_json(c, sop, SQL_ARTEFACT_LIST_TASK, t->from_task_id,
					  u ? u->clearance : CLASS_BIASA);
	}
	json_t *inputs = json_array();
	for (int i = 0; step && i < step->ninputs; i++)
		json_array_append_new(inputs, json_pack("{s:s, s:o, s:b}", "code", step->inputs[i].code,
							"name", text_json(step->inputs[i].name),
							"present",
							artefact_code_present(c, t->case_id,
									      step->inputs[i].code)));
	json_t *output = step && step->output.code
				 ? json_pack("{s:s, s:o}", "code", step->output.code, "name",
					     text_json(step->output.name))
				 : json_null();
	bool open = strcmp(t->state, "available") == 0;
	int64_t end = open ? now : t->completed_at;
	int64_t acting_id;
	bool can = open && strcmp(t->case_state, "open") == 0 && u &&
		   can_perform(c, u, step, t, now, &acting_id);
	bool breached = t->breached || (open && t->due_at && now > t->due_at);
	json_t *o = json_pack(
		"{s:I, s:I, s:{s:I, s:s, s:s, s:s}, s:i, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o,"
		" s:s?, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:b}",
		"id", (json_int_t)t->id, "case_id", (json_int_t)t->case_id, "meeting", "id",
		(json_int_t)t->meeting_id, "title", m.title, "date", m.date, "classification",
		classification_name(m.classification), "step", t->step, "step_text",
		step ? text_json(step->text) : json_null(), "role", t->role, "actions",
		actions_json(step ? step->actions : 0), "assignee", engine_userref(c, t->assignee_id),
		"state", t->state, "available_at", shape_time(t->available_at), "opened_at",
		time_or_null(t->opened_at), "completed_at", time_or_null(t->completed_at),
		"completed_by", engine_userref(c, t->completed_by), "acting", acting, "answer",
		t->answer[0] ? t->answer : NULL, "waktu_minutes",
		t->waktu_minutes ? json_integer(t->waktu_minutes) : json_null(), "due_at",
		time_or_null(t->due_at), "elapsed_seconds",
		end ? json_integer(end - t->available_at) : json_null(), "breached", breached,
		"handed_over_by", handed, "incoming", incoming, "inputs", inputs, "output", output,
		"can_complete", can);
	return o;
}

/* --- cases ---------------------------------------------------------------------------------- */

static enum status default_sop(struct db_conn *c, int64_t *version_id)
{
	char code[SOP_CODE_MAX + 1];
	copy(code, sizeof code, SOP_DEFAULT_CODE);
	struct db_stmt *s;
	if (db_prepare(c, SQL_SETTING_GET, &s) == ST_OK) {
		db_bind_text(s, 1, "default_sop");
		bool row;
		if (db_step(s, &row) == ST_OK && row && db_col_text(s, 0))
			copy(code, sizeof code, db_col_text(s, 0));
		db_done(s);
	}
	return sop_latest(c, code, version_id);
}

/* Makes the task of STEP available in case CASE_ID. */
static enum status open_task(struct db_conn *c, int64_t case_id, const struct sop_step *step,
			     int64_t assignee, int64_t from_task, int64_t now, int64_t *id_out)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_TASK_INSERT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, case_id);
	db_bind_int(s, 2, step->number);
	db_bind_text(s, 3, step->role);
	if (assignee)
		db_bind_int(s, 4, assignee);
	else
		db_bind_null(s, 4);
	if (from_task)
		db_bind_int(s, 5, from_task);
	else
		db_bind_null(s, 5);
	db_bind_int(s, 6, now);
	if (step->waktu_minutes > 0) {
		db_bind_int(s, 7, step->waktu_minutes);
		db_bind_int(s, 8, now + (int64_t)step->waktu_minutes * 60);
	} else {
		db_bind_null(s, 7);
		db_bind_null(s, 8);
	}
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && id_out)
		*id_out = db_last_insert_id(c);
	return st;
}

enum status engine_start_case_tx(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t meeting_id, int64_t *case_id_out)
{
	int64_t version_id;
	enum status st = default_sop(c, &version_id);
	if (st != ST_OK)
		return st;
	const struct sop *sop;
	if ((st = sop_load_version(c, version_id, &sop)) != ST_OK)
		return st;
	const struct sop_step *start = sop_start(sop);
	if (!start)
		return ST_INVALID;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_CASE_OPEN_OR_INTERNAL_FOR_MEETING, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, meeting_id);
	bool row;
	st = db_step(s, &row);
	db_done(s);
	if (st != ST_OK)
		return st;
	if (row)
		return ST_CONFLICT;
	int64_t now = clock_now();
	if ((st = db_prepare(c, SQL_CASE_INSERT, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, meeting_id);
	db_bind_int(s, 2, version_id);
	db_bind_int(s, 3, u->id);
	db_bind_int(s, 4, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	int64_t case_id = db_last_insert_id(c), task_id = 0;
	if ((st = open_task(c, case_id, start, 0, 0, now, &task_id)) != ST_OK)
		return st;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)case_id);
	json_t *detail = json_pack("{s:I, s:s, s:i, s:I, s:i, s:I}", "meeting_id",
				   (json_int_t)meeting_id, "sop_code", sop->code, "sop_version",
				   sop->version, "sop_version_id", (json_int_t)version_id, "step",
				   start->number, "task_id", (json_int_t)task_id);
	struct audit_event ev = {u->id, u->username, address, "case.start", "case", ids, detail};
	st = audit_append(a, c, &ev, NULL);
	json_decref(detail);
	if (st == ST_OK && case_id_out)
		*case_id_out = case_id;
	return st;
}

enum status engine_start_case(struct db_conn *c, struct audit *a, const struct user *u,
			      const char *address, int64_t meeting_id, int64_t *case_id_out)
{
	struct meeting m;
	enum status st = meetings_get(c, a, u, address, meeting_id, &m);
	if (st != ST_OK)
		return st;
	if (!user_is_bureau(u))
		return ST_DENIED;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	st = engine_start_case_tx(c, a, u, address, meeting_id, case_id_out);
	if (st == ST_OK)
		st = db_commit(c);
	else
		db_rollback(c);
	return st;
}

static enum status case_json(struct db_conn *c, const struct user *u, const struct case_row *k,
			     json_t **out)
{
	const struct sop *sop = NULL;
	enum status st = sop_load_version(c, k->sop_version_id, &sop);
	if (st != ST_OK)
		return st;
	int64_t now = clock_now();
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_TASK_LIST_CASE, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, k->id);
	struct task_row rows[SOP_MAX_STEPS * 4];
	int n = 0;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row && n < (int)(sizeof rows / sizeof rows[0]))
		read_task(s, &rows[n++]);
	db_done(s);
	if (st != ST_OK)
		return st;
	json_t *tasks = json_array(), *current = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(tasks, task_json(c, u, &rows[i], sop, now));
		if (strcmp(rows[i].state, "available") == 0)
			json_array_append_new(current, json_integer(rows[i].step));
	}
	*out = json_pack("{s:I, s:I, s:{s:I, s:s, s:i, s:s?}, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
			 (json_int_t)k->id, "meeting_id", (json_int_t)k->meeting_id, "sop",
			 "version_id", (json_int_t)k->sop_version_id, "code", sop->code, "version",
			 sop->version, "title", sop->header.title.id, "state", k->state, "started_by",
			 engine_userref(c, k->started_by), "started_at", shape_time(k->started_at),
			 "closed_at", time_or_null(k->closed_at), "current_steps", current, "tasks",
			 tasks, "artefacts",
			 artefacts_json(c, sop, SQL_ARTEFACT_LIST_CASE, k->id, u->clearance));
	return *out ? ST_OK : ST_NOMEM;
}

enum status engine_case_json(struct db_conn *c, struct audit *a, const struct user *u,
			     const char *address, int64_t meeting_id, json_t **out)
{
	struct meeting m;
	enum status st = meetings_get(c, a, u, address, meeting_id, &m);
	if (st != ST_OK)
		return st;
	/* The case's history is the bureau's working record; PICs see documents, not it. */
	if (!user_is_bureau(u))
		return ST_NOT_FOUND;
	struct case_row k;
	if ((st = load_case_by(c, SQL_CASE_LATEST_FOR_MEETING, meeting_id, &k)) != ST_OK)
		return st;
	return case_json(c, u, &k, out);
}

/* --- tasks ---------------------------------------------------------------------------------- */

enum status engine_inbox(struct db_conn *c, const struct user *u, json_t **out)
{
	*out = json_array();
	if (!user_is_bureau(u)) {
		/* Acting officials may hold no bureau role of their own: they still get tasks. */
	}
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_TASK_LIST_AVAILABLE, &s);
	if (st != ST_OK)
		return st;
	enum { MAX_OPEN = 2000 };
	struct task_row *rows = calloc(MAX_OPEN, sizeof *rows);
	if (!rows) {
		db_done(s);
		return ST_NOMEM;
	}
	int n = 0;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row && n < MAX_OPEN)
		read_task(s, &rows[n++]);
	db_done(s);
	int64_t now = clock_now();
	for (int i = 0; i < n && st == ST_OK; i++) {
		const struct sop *sop;
		if (sop_load_version(c, rows[i].sop_version_id, &sop) != ST_OK)
			continue;
		const struct sop_step *step = sop_step(sop, rows[i].step);
		int64_t acting;
		if (!can_perform(c, u, step, &rows[i], now, &acting))
			continue;
		json_array_append_new(*out, task_json(c, u, &rows[i], sop, now));
	}
	free(rows);
	return st;
}

/* Whether U may see task T at all: whoever may read its meeting and works in the bureau, or its
 * performer (an acting official). */
static enum status task_visible(struct db_conn *c, struct audit *a, const struct user *u,
				const char *address, const struct task_row *t,
				const struct sop_step *step, int64_t now)
{
	int64_t acting;
	if (can_perform(c, u, step, t, now, &acting))
		return ST_OK;
	struct meeting m;
	enum status st = meetings_get(c, a, u, address, t->meeting_id, &m);
	if (st != ST_OK)
		return st;
	return user_is_bureau(u) ? ST_OK : ST_NOT_FOUND;
}

enum status engine_task_get(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, int64_t task_id, json_t **out)
{
	struct task_row t;
	enum status st = engine_load_task(c, task_id, &t);
	if (st != ST_OK)
		return st;
	const struct sop *sop;
	if ((st = sop_load_version(c, t.sop_version_id, &sop)) != ST_OK)
		return st;
	const struct sop_step *step = sop_step(sop, t.step);
	int64_t now = clock_now(), acting = 0;
	if ((st = task_visible(c, a, u, address, &t, step, now)) != ST_OK)
		return st;
	/* The first time a performer opens an available task is a Mutu Baku measurement. */
	if (!t.opened_at && strcmp(t.state, "available") == 0 &&
	    can_perform(c, u, step, &t, now, &acting)) {
		if ((st = db_begin(c)) != ST_OK)
			return st;
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_TASK_SET_OPENED, &s)) == ST_OK) {
			db_bind_int(s, 1, t.id);
			db_bind_int(s, 2, now);
			db_bind_int(s, 3, u->id);
			st = db_exec_stmt(s);
			db_done(s);
		}
		if (st == ST_OK && db_changes(c) == 1) {
			char ids[24];
			snprintf(ids, sizeof ids, "%lld", (long long)t.id);
			json_t *d = json_pack("{s:I, s:i}", "case_id", (json_int_t)t.case_id, "step", t.step);
			struct audit_event ev = {u->id, u->username, address, "task.open", "task", ids, d};
			st = audit_append(a, c, &ev, NULL);
			json_decref(d);
		}
		if (st == ST_OK)
			st = db_commit(c);
		else
			db_rollback(c);
		if (st != ST_OK)
			return st;
		if ((st = engine_load_task(c, task_id, &t)) != ST_OK)
			return st;
	}
	json_t *o = task_json(c, u, &t, sop, now);
	if (!o)
		return ST_NOMEM;
	json_object_set_new(o, "context", engine_task_context(c, u, sop, step, &t));
	*out = o;
	return ST_OK;
}

const struct sop_step *engine_next_step(const struct sop *s, const struct sop_step *step,
					const char *answer, const char **end_outcome)
{
	struct sop_next next = step->next;
	if (step->kind == SOP_DECISION) {
		next.step = 0;
		next.outcome = "completed";
		for (int i = 0; i < step->nanswers; i++)
			if (answer && strcmp(step->answers[i].code, answer) == 0)
				next = step->answers[i].next;
	}
	if (next.step == 0) {
		*end_outcome = next.outcome ? next.outcome : "completed";
		return NULL;
	}
	*end_outcome = NULL;
	return sop_step(s, next.step);
}

static enum status close_case(struct completion *x, const char *outcome)
{
	struct db_stmt *s;
	enum status st = db_prepare(x->c, SQL_CASE_CLOSE, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, x->task->case_id);
	db_bind_text(s, 2, outcome);
	db_bind_int(s, 3, x->now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	if (db_changes(x->c) != 1)
		return ST_CONFLICT;
	if ((st = db_prepare(x->c, SQL_TASK_CANCEL_OPEN, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, x->task->case_id);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)x->task->case_id);
	json_t *d = json_pack("{s:I, s:s, s:i}", "meeting_id", (json_int_t)x->task->meeting_id,
			      "outcome", outcome, "step", x->task->step);
	struct audit_event ev = {x->u->id, x->u->username, x->address, "case.close", "case", ids, d};
	st = audit_append(x->a, x->c, &ev, NULL);
	json_decref(d);
	return st;
}

enum status engine_task_complete(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t task_id, json_t *payload,
				 struct field_error *fe, json_t **out)
{
	if (out)
		*out = NULL;
	if (!json_is_object(payload))
		return engine_fail(fe, NULL, "expected a JSON object");
	/* The write lock first: two completers of one task are serialised here, and the second
	 * finds it completed. */
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	struct completion x;
	memset(&x, 0, sizeof x);
	struct task_row t;
	struct meeting m;
	x.c = c;
	x.a = a;
	x.u = u;
	x.address = address;
	x.task = &t;
	x.meeting = &m;
	x.payload = payload;
	x.fe = fe;
	x.now = clock_now();
	if ((st = engine_load_task(c, task_id, &t)) != ST_OK)
		goto out;
	if ((st = sop_load_version(c, t.sop_version_id, &x.sop)) != ST_OK)
		goto out;
	x.step = sop_step(x.sop, t.step);
	if (!x.step) {
		st = ST_IO;
		goto out;
	}
	int64_t acting_id = 0;
	if (!can_perform(c, u, x.step, &t, x.now, &acting_id)) {
		/* Nobody learns of a task they could not see; a refusal is on the trail. */
		db_rollback(c);
		st = task_visible(c, a, u, address, &t, x.step, x.now);
		if (st != ST_OK)
			return st;
		char ids[24];
		snprintf(ids, sizeof ids, "%lld", (long long)t.id);
		json_t *d = json_pack("{s:I, s:i, s:s}", "case_id", (json_int_t)t.case_id, "step",
				      t.step, "reason", "not the performer");
		struct audit_event ev = {u->id, u->username, address, "task.denied", "task", ids, d};
		if (db_begin(c) == ST_OK) {
			if (audit_append(a, c, &ev, NULL) != ST_OK || db_commit(c) != ST_OK)
				db_rollback(c);
		}
		json_decref(d);
		return ST_DENIED;
	}
	if (strcmp(t.state, "available") != 0 || strcmp(t.case_state, "open") != 0) {
		st = ST_CONFLICT;
		goto out;
	}
	/* The meeting as the engine sees it (all documents, whatever the performer's clearance). */
	{
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_MEETING_GET, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, t.meeting_id);
		db_bind_int(s, 2, CLASS_SANGAT_RAHASIA);
		bool row;
		st = db_step(s, &row);
		if (st == ST_OK && row) {
			m.id = db_col_int(s, 0);
			copy(m.title, sizeof m.title, db_col_text(s, 1));
			m.classification = (enum classification)db_col_int(s, 6);
		} else if (st == ST_OK) {
			st = ST_NOT_FOUND;
		}
		db_done(s);
		if (st != ST_OK)
			goto out;
	}
	const char *key;
	json_t *val;
	json_object_foreach(payload, key, val) {
		if (!engine_payload_key_ok(x.step->actions, key)) {
			st = engine_fail(fe, key, "field '%s' is not part of this step", key);
			goto out;
		}
	}
	for (int i = 0; i < x.step->ninputs; i++) {
		if (!artefact_code_present(c, t.case_id, x.step->inputs[i].code)) {
			st = engine_fail(fe, NULL, "Kelengkapan missing: '%s'", x.step->inputs[i].code);
			goto out;
		}
	}
	x.audit_detail = json_pack("{s:I, s:I, s:i, s:s}", "case_id", (json_int_t)t.case_id,
				   "meeting_id", (json_int_t)t.meeting_id, "step", t.step, "role",
				   t.role);
	if ((st = engine_run_actions(&x)) != ST_OK)
		goto out;
	if (x.step->output.code && x.last_artefact) {
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_ARTEFACT_SET_CODE, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, x.last_artefact);
		db_bind_text(s, 2, x.step->output.code);
		st = db_exec_stmt(s);
		db_done(s);
		if (st != ST_OK)
			goto out;
	}
	{
		char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_TASK_COMPLETE, &s)) != ST_OK) {
			free(text);
			goto out;
		}
		db_bind_int(s, 1, t.id);
		db_bind_int(s, 2, x.now);
		db_bind_int(s, 3, u->id);
		if (acting_id)
			db_bind_int(s, 4, acting_id);
		else
			db_bind_null(s, 4);
		db_bind_text(s, 5, x.answer);
		db_bind_text(s, 6, text ? text : "{}");
		st = db_exec_stmt(s);
		db_done(s);
		free(text);
		if (st == ST_OK && db_changes(c) != 1)
			st = ST_CONFLICT;
		if (st != ST_OK)
			goto out;
	}
	if ((st = compliance_task_completed(c, t.id)) != ST_OK)
		goto out;
	if (acting_id)
		json_object_set_new(x.audit_detail, "acting_id", json_integer(acting_id));
	if (x.answer)
		json_object_set_new(x.audit_detail, "answer", json_string(x.answer));
	const char *outcome = NULL;
	const struct sop_step *next = engine_next_step(x.sop, x.step, x.answer, &outcome);
	if (next) {
		int64_t next_id = 0;
		if ((st = open_task(c, t.case_id, next, x.next_assignee, t.id, x.now, &next_id)) != ST_OK)
			goto out;
		json_object_set_new(x.audit_detail, "next_step", json_integer(next->number));
		json_object_set_new(x.audit_detail, "next_task_id", json_integer(next_id));
	}
	{
		char ids[24];
		snprintf(ids, sizeof ids, "%lld", (long long)t.id);
		struct audit_event ev = {u->id, u->username, address, "task.complete", "task", ids,
					 x.audit_detail};
		if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
			goto out;
	}
	if (!next && (st = close_case(&x, outcome)) != ST_OK)
		goto out;
	if ((st = db_commit(c)) != ST_OK)
		goto out;
	json_decref(x.audit_detail);
	x.audit_detail = NULL;
	if (out) {
		struct task_row done;
		struct case_row k;
		json_t *cj = NULL;
		if (engine_load_task(c, task_id, &done) == ST_OK &&
		    engine_load_case(c, done.case_id, &k) == ST_OK && case_json(c, u, &k, &cj) == ST_OK)
			*out = json_pack("{s:o, s:o}", "task", task_json(c, u, &done, x.sop, clock_now()),
					 "case", cj);
	}
	return ST_OK;
out:
	json_decref(x.audit_detail);
	db_rollback(c);
	return st;
}

/* --- acting officials ------------------------------------------------------------------------ */

static json_t *acting_row_json(struct db_conn *c, struct db_stmt *s, int64_t now)
{
	int64_t starts = db_col_int(s, 5), ends = db_col_int(s, 6), revoked = db_col_int(s, 10);
	return json_pack("{s:I, s:o, s:s, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:b}", "id",
			 (json_int_t)db_col_int(s, 0), "user", engine_userref(c, db_col_int(s, 1)),
			 "role", db_col_text(s, 2), "for_user", engine_userref(c, db_col_int(s, 3)),
			 "kind", db_col_text(s, 4), "starts", shape_time(starts), "ends",
			 shape_time(ends), "reason", db_col_text(s, 7) ? db_col_text(s, 7) : "",
			 "granted_by", engine_userref(c, db_col_int(s, 8)), "granted_at",
			 shape_time(db_col_int(s, 9)), "revoked_at", time_or_null(revoked), "active",
			 !revoked && starts <= now && now < ends);
}

enum status engine_acting_list(struct db_conn *c, const struct user *u, bool all, json_t **out)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, all ? SQL_ACTING_LIST_ALL : SQL_ACTING_LIST_USER, &s);
	if (st != ST_OK)
		return st;
	if (!all)
		db_bind_int(s, 1, u->id);
	*out = json_array();
	int64_t now = clock_now();
	bool row;
	/* user lookups run other statements; this one stays open meanwhile */
	while ((st = db_step(s, &row)) == ST_OK && row)
		json_array_append_new(*out, acting_row_json(c, s, now));
	db_done(s);
	return st;
}

enum status engine_acting_grant(struct db_conn *c, struct audit *a, const struct user *admin,
				const char *address, const struct acting_input *in,
				struct field_error *fe, json_t **out)
{
	if (!user_has_role(admin, "admin"))
		return ST_DENIED;
	struct user who, forw;
	char *hash = NULL;
	if (!in->user || users_get_by_name(c, in->user, &who, &hash) != ST_OK)
		return engine_fail(fe, "user", "field 'user': no such user");
	free(hash);
	if (who.disabled)
		return engine_fail(fe, "user", "field 'user': the account is disabled");
	if (!in->role)
		return engine_fail(fe, "role", "field 'role': required");
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_ROLE_EXISTS, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, in->role);
	bool row;
	st = db_step(s, &row);
	db_done(s);
	if (st != ST_OK)
		return st;
	if (!row)
		return engine_fail(fe, "role", "field 'role': no such role");
	if (strcmp(in->role, "admin") == 0 || strcmp(in->role, "auditor") == 0)
		return engine_fail(fe, "role", "field 'role': only the bureau's roles can be delegated");
	int64_t for_id = 0;
	if (in->for_user) {
		hash = NULL;
		if (users_get_by_name(c, in->for_user, &forw, &hash) != ST_OK)
			return engine_fail(fe, "for_user", "field 'for_user': no such user");
		free(hash);
		if (!user_has_role(&forw, in->role))
			return engine_fail(fe, "for_user", "field 'for_user': does not hold role '%s'",
					   in->role);
		if (forw.id == who.id)
			return engine_fail(fe, "for_user", "field 'for_user': cannot act for oneself");
		for_id = forw.id;
	}
	if (!in->kind || (strcmp(in->kind, "plh") != 0 && strcmp(in->kind, "plt") != 0))
		return engine_fail(fe, "kind", "field 'kind': expected plh or plt");
	if (in->ends <= in->starts)
		return engine_fail(fe, "ends", "field 'ends': must be after 'starts'");
	if (in->ends <= clock_now())
		return engine_fail(fe, "ends", "field 'ends': the period has already ended");
	if ((st = db_begin(c)) != ST_OK)
		return st;
	int64_t now = clock_now();
	if ((st = db_prepare(c, SQL_ACTING_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, who.id);
	db_bind_text(s, 2, in->role);
	if (for_id)
		db_bind_int(s, 3, for_id);
	else
		db_bind_null(s, 3);
	db_bind_text(s, 4, in->kind);
	db_bind_int(s, 5, in->starts);
	db_bind_int(s, 6, in->ends);
	db_bind_text(s, 7, in->reason ? in->reason : "");
	db_bind_int(s, 8, admin->id);
	db_bind_int(s, 9, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	int64_t id = db_last_insert_id(c);
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	json_t *d = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:s}", "user", who.username, "role",
			      in->role, "for_user", in->for_user, "kind", in->kind, "starts",
			      (json_int_t)in->starts, "ends", (json_int_t)in->ends, "reason",
			      in->reason ? in->reason : "");
	struct audit_event ev = {admin->id, admin->username, address, "acting.grant", "acting", ids, d};
	st = audit_append(a, c, &ev, NULL);
	json_decref(d);
	if (st != ST_OK)
		goto out;
	if ((st = db_commit(c)) != ST_OK)
		goto out;
	if (out && db_prepare(c, SQL_ACTING_GET, &s) == ST_OK) {
		db_bind_int(s, 1, id);
		if (db_step(s, &row) == ST_OK && row)
			*out = acting_row_json(c, s, clock_now());
		db_done(s);
	}
	return ST_OK;
out:
	db_rollback(c);
	return st;
}

enum status engine_acting_revoke(struct db_conn *c, struct audit *a, const struct user *admin,
				 const char *address, int64_t id)
{
	if (!user_has_role(admin, "admin"))
		return ST_DENIED;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_ACTING_REVOKE, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	if (db_changes(c) != 1) {
		st = ST_NOT_FOUND;
		goto out;
	}
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	struct audit_event ev = {admin->id, admin->username, address, "acting.revoke", "acting", ids,
				 NULL};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	return db_commit(c);
out:
	db_rollback(c);
	return st;
}

/* -- intake: who performs a step with a given action (domain/intake.c) -- */

bool engine_performs_action(struct db_conn *c, const struct user *u, unsigned action)
{
	int64_t version_id, acting;
	const struct sop *sop;
	if (!u || u->disabled || default_sop(c, &version_id) != ST_OK ||
	    sop_load_version(c, version_id, &sop) != ST_OK)
		return false;
	int64_t now = clock_now();
	for (int i = 0; i < sop->nsteps; i++) {
		const struct sop_step *step = &sop->steps[i];
		if (!(step->actions & action))
			continue;
		if (engine_holds_role(c, u, step->role, now, &acting))
			return true;
		for (int j = 0; j < step->nalso; j++)
			if (engine_holds_role(c, u, step->also[j], now, &acting))
				return true;
	}
	return false;
}
/* -- end intake -- */
