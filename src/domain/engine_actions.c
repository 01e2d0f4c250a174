/*
 * The engine's built-in verbs: what completing a step does for each action it binds to, and
 * what a task shows its performer ("context"). Actions run in a fixed order — compile, check,
 * decide, dispose, publish, report, verify — so a step that publishes and reports (the seed's step
 * 7) reports what it has just published.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/documents.h"
#include "domain/engine_int.h"
#include "domain/shapes.h"
#include "sidang_limits.h"

#define TEXT_NOTE_MAX 2000   /* notes, reasons, instructions */
#define TEXT_REPORT_MAX 4000 /* a report's own words */

/* --- payload reading ------------------------------------------------------------------------ */

bool engine_payload_key_ok(unsigned actions, const char *key)
{
	static const struct {
		unsigned action;
		const char *key;
	} keys[] = {
		{SOP_ACT_COMPILE, "note"},   {SOP_ACT_CHECK, "ticked"},
		{SOP_ACT_CHECK, "note"},     {SOP_ACT_DECIDE, "answer"},
		{SOP_ACT_DECIDE, "reason"},  {SOP_ACT_DISPOSE, "instruction"},
		{SOP_ACT_DISPOSE, "to_user"}, {SOP_ACT_PUBLISH, "grants"},
		{SOP_ACT_REPORT, "text"},    {SOP_ACT_VERIFY, "documents"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if ((actions & keys[i].action) && strcmp(keys[i].key, key) == 0)
			return true;
	return false;
}

/* A multi-line text field: newlines and tabs allowed, other control characters not. */
static enum status get_text(struct completion *x, const char *key, bool required, size_t max,
			    const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(x->payload, key);
	if (!v || json_is_null(v)) {
		if (required)
			return engine_fail(x->fe, key, "field '%s': required", key);
		return ST_OK;
	}
	if (!json_is_string(v))
		return engine_fail(x->fe, key, "field '%s': expected a string", key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > max)
		return engine_fail(x->fe, key, "field '%s': longer than %zu bytes", key, max);
	if (strlen(s) != n)
		return engine_fail(x->fe, key, "field '%s': must not contain NUL", key);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f)
			return engine_fail(x->fe, key, "field '%s': must not contain control characters",
					   key);
	}
	size_t lead = strspn(s, " \t\r\n");
	if (required && lead == n)
		return engine_fail(x->fe, key, "field '%s': must not be empty", key);
	*out = s;
	return ST_OK;
}


/* --- shared pieces -------------------------------------------------------------------------- */

enum status engine_artefact(struct completion *x, const char *kind, const char *to_role,
			    int64_t to_user, const char *text, json_t *data, int64_t *id_out)
{
	char *d = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct db_stmt *s;
	enum status st = db_prepare(x->c, SQL_ARTEFACT_INSERT, &s);
	if (st != ST_OK) {
		free(d);
		return st;
	}
	db_bind_int(s, 1, x->task->case_id);
	db_bind_int(s, 2, x->task->id);
	db_bind_text(s, 3, kind);
	db_bind_null(s, 4);
	db_bind_int(s, 5, x->u->id);
	db_bind_text(s, 6, to_role);
	if (to_user)
		db_bind_int(s, 7, to_user);
	else
		db_bind_null(s, 7);
	db_bind_text(s, 8, text ? text : "");
	db_bind_text(s, 9, d ? d : "{}");
	db_bind_int(s, 10, x->now);
	st = db_exec_stmt(s);
	db_done(s);
	free(d);
	if (st == ST_OK) {
		x->last_artefact = db_last_insert_id(x->c);
		if (id_out)
			*id_out = x->last_artefact;
	}
	return st;
}

/* The role the completion hands over to (the next step's performer), or NULL at the end. */
static const char *next_role(struct completion *x)
{
	const char *outcome;
	const struct sop_step *n = engine_next_step(x->sop, x->step, x->answer, &outcome);
	return n ? n->role : NULL;
}

struct doc_list {
	struct document *d;
	size_t n, cap;
	const char *const *stages; /* filter, or NULL */
	int nstages;
	enum classification ceiling; /* only documents at or below it */
};

static enum status collect_doc(void *ctx, const struct document *d)
{
	struct doc_list *l = ctx;
	if ((int)d->classification > (int)l->ceiling)
		return ST_OK;
	if (l->stages) {
		bool in = false;
		for (int i = 0; i < l->nstages; i++)
			in |= strcmp(l->stages[i], d->stage) == 0;
		if (!in)
			return ST_OK;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct document *p = realloc(l->d, ncap * sizeof *p);
		if (!p)
			return ST_NOMEM;
		l->d = p;
		l->cap = ncap;
	}
	l->d[l->n++] = *d;
	return ST_OK;
}

/* The documents of a meeting (in STAGES when given) that a performer cleared to CEILING sees:
 * the engine never shows, publishes or verifies what its performer may not read. */
static enum status list_docs(struct db_conn *c, int64_t meeting_id, const char *const *stages,
			     int nstages, enum classification ceiling, struct doc_list *l)
{
	memset(l, 0, sizeof *l);
	l->stages = stages;
	l->nstages = nstages;
	l->ceiling = ceiling;
	return documents_list_all(c, meeting_id, collect_doc, l);
}

static json_t *grants_of(struct db_conn *c, int64_t doc_id, bool usernames)
{
	json_t *arr = json_array();
	struct db_stmt *s;
	if (db_prepare(c, SQL_GRANT_LIST_DOCUMENT, &s) != ST_OK)
		return arr;
	db_bind_int(s, 1, doc_id);
	bool row;
	while (db_step(s, &row) == ST_OK && row) {
		json_t *ref = engine_userref(c, db_col_int(s, 0));
		if (usernames && json_is_object(ref)) {
			json_array_append(arr, json_object_get(ref, "username"));
			json_decref(ref);
		} else {
			json_array_append_new(arr, ref);
		}
	}
	db_done(s);
	return arr;
}

json_t *engine_document_with_grants(struct db_conn *c, const struct document *d)
{
	json_t *o = shape_document(c, d, false);
	if (o)
		json_object_set_new(o, "grants", grants_of(c, d->id, false));
	return o;
}

static json_t *summary_doc(struct db_conn *c, const struct document *d)
{
	struct doc_version v;
	memset(&v, 0, sizeof v);
	documents_version(c, d->id, d->current_version, &v);
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:o}", "id", (json_int_t)d->id, "title",
			 d->title, "type", d->type, "classification",
			 classification_name(d->classification), "version",
			 (json_int_t)d->current_version, "sha256", v.sha256, "state", d->state,
			 "grants", grants_of(c, d->id, true));
}

json_t *engine_case_summary(struct db_conn *c, int64_t meeting_id, enum classification ceiling)
{
	static const char *const stages[] = {"perencanaan", "pelaksanaan", "pelaporan"};
	json_t *out = json_array();
	for (int i = 0; i < 3; i++) {
		struct doc_list l;
		json_t *docs = json_array();
		if (list_docs(c, meeting_id, &stages[i], 1, ceiling, &l) == ST_OK)
			for (size_t k = 0; k < l.n; k++)
				json_array_append_new(docs, summary_doc(c, &l.d[k]));
		free(l.d);
		json_array_append_new(out, json_pack("{s:s, s:o}", "stage", stages[i], "documents", docs));
	}
	return json_pack("{s:o}", "stages", out);
}

/* Per stage of the SOP's checklist: required, present, missing. */
static json_t *checklist_state(struct db_conn *c, const struct sop *sop, int64_t meeting_id,
			       enum classification ceiling, bool *complete_out)
{
	struct doc_list l;
	json_t *arr = json_array();
	bool complete = true;
	if (list_docs(c, meeting_id, NULL, 0, ceiling, &l) != ST_OK) {
		free(l.d);
		*complete_out = false;
		return arr;
	}
	for (int i = 0; i < sop->nchecklist; i++) {
		const struct sop_stage_checklist *cl = &sop->checklist[i];
		json_t *req = json_array(), *present = json_array(), *missing = json_array();
		for (int k = 0; k < cl->nrequired; k++) {
			bool have = false;
			for (size_t d = 0; d < l.n && !have; d++)
				have = strcmp(l.d[d].stage, cl->stage) == 0 &&
				       strcmp(l.d[d].type, cl->required[k]) == 0;
			json_array_append_new(req, json_string(cl->required[k]));
			json_array_append_new(have ? present : missing, json_string(cl->required[k]));
			complete &= have;
		}
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o}", "stage", cl->stage,
						     "required", req, "present", present, "missing",
						     missing));
	}
	free(l.d);
	*complete_out = complete;
	return arr;
}

/* --- the actions ---------------------------------------------------------------------------- */

static enum status act_compile(struct completion *x)
{
	const char *note;
	enum status st = get_text(x, "note", false, TEXT_NOTE_MAX, &note);
	if (st != ST_OK)
		return st;
	struct doc_list l;
	if ((st = list_docs(x->c, x->task->meeting_id, NULL, 0, x->u->clearance, &l)) != ST_OK) {
		free(l.d);
		return st;
	}
	if (l.n == 0) {
		free(l.d);
		return engine_fail(x->fe, NULL, "the dossier holds no document yet: upload first");
	}
	json_t *docs = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(docs, summary_doc(x->c, &l.d[i]));
	free(l.d);
	json_t *data = json_pack("{s:o}", "documents", docs);
	st = engine_artefact(x, "submission", next_role(x), 0, note, data, NULL);
	json_decref(data);
	return st;
}

static enum status act_check(struct completion *x)
{
	const char *note;
	enum status st = get_text(x, "note", false, TEXT_NOTE_MAX, &note);
	if (st != ST_OK)
		return st;
	json_t *ticked = json_object_get(x->payload, "ticked");
	if (!ticked)
		ticked = json_array();
	else
		json_incref(ticked);
	bool complete;
	json_t *state = checklist_state(x->c, x->sop, x->task->meeting_id, x->u->clearance, &complete);
	if (!json_is_array(ticked) || json_array_size(ticked) > 256) {
		st = engine_fail(x->fe, "ticked", "field 'ticked': expected a list of {stage, type}");
		goto out;
	}
	size_t i;
	json_t *item;
	json_array_foreach(ticked, i, item) {
		const char *stage = json_string_value(json_object_get(item, "stage"));
		const char *type = json_string_value(json_object_get(item, "type"));
		if (!json_is_object(item) || !stage || !type || json_object_size(item) != 2) {
			st = engine_fail(x->fe, "ticked", "field 'ticked': item %zu: expected {stage, type}",
					 i);
			goto out;
		}
		bool found = false, present = false;
		size_t k;
		json_t *cl;
		json_array_foreach(state, k, cl) {
			if (strcmp(json_string_value(json_object_get(cl, "stage")), stage) != 0)
				continue;
			size_t j;
			json_t *t;
			json_array_foreach(json_object_get(cl, "required"), j, t)
				found |= strcmp(json_string_value(t), type) == 0;
			json_array_foreach(json_object_get(cl, "present"), j, t)
				present |= strcmp(json_string_value(t), type) == 0;
		}
		if (!found) {
			st = engine_fail(x->fe, "ticked", "field 'ticked': '%s' is not required in stage '%s'",
					 type, stage);
			goto out;
		}
		if (!present) {
			st = engine_fail(x->fe, "ticked",
					 "field 'ticked': the dossier has no '%s' in stage '%s' to tick",
					 type, stage);
			goto out;
		}
	}
	json_t *data = json_pack("{s:o, s:O, s:b}", "stages", state, "ticked", ticked, "complete",
				 complete);
	state = NULL;
	st = engine_artefact(x, "check", next_role(x), 0, note, data, NULL);
	json_object_set_new(x->audit_detail, "complete", json_boolean(complete));
	json_decref(data);
out:
	json_decref(state);
	json_decref(ticked);
	return st;
}

static enum status act_decide(struct completion *x)
{
	json_t *v = json_object_get(x->payload, "answer");
	const char *answer = json_string_value(v);
	const struct sop_answer *ans = NULL;
	for (int i = 0; answer && i < x->step->nanswers; i++)
		if (strcmp(x->step->answers[i].code, answer) == 0)
			ans = &x->step->answers[i];
	if (!ans) {
		char codes[128] = "";
		size_t n = 0;
		for (int i = 0; i < x->step->nanswers; i++)
			n += (size_t)snprintf(codes + n, sizeof codes - n, "%s%s", i ? ", " : "",
					      x->step->answers[i].code);
		return engine_fail(x->fe, "answer", "field 'answer': expected one of %s", codes);
	}
	const char *reason;
	enum status st = get_text(x, "reason", true, TEXT_NOTE_MAX, &reason);
	if (st != ST_OK)
		return st;
	x->answer = ans->code;
	json_t *data = json_pack("{s:s, s:{s:s?, s:s?}}", "answer", ans->code, "label", "id",
				 ans->label.id, "en", ans->label.en);
	st = engine_artefact(x, "decision", next_role(x), 0, reason, data, NULL);
	json_decref(data);
	return st;
}

static enum status act_dispose(struct completion *x)
{
	const char *instruction;
	enum status st = get_text(x, "instruction", true, TEXT_NOTE_MAX, &instruction);
	if (st != ST_OK)
		return st;
	const char *role = next_role(x);
	if (!role)
		return engine_fail(x->fe, NULL, "this step hands over to nobody");
	json_t *to = json_object_get(x->payload, "to_user");
	int64_t to_user = 0;
	if (to && !json_is_null(to)) {
		if (!json_is_integer(to) || json_integer_value(to) <= 0)
			return engine_fail(x->fe, "to_user", "field 'to_user': expected a user id");
		struct user target;
		if (users_get_by_id(x->c, json_integer_value(to), &target) != ST_OK || target.disabled)
			return engine_fail(x->fe, "to_user", "field 'to_user': no such active user");
		int64_t acting;
		if (!engine_holds_role(x->c, &target, role, x->now, &acting))
			return engine_fail(x->fe, "to_user", "field 'to_user': '%s' does not hold role '%s'",
					   target.username, role);
		to_user = target.id;
	}
	x->next_assignee = to_user;
	st = engine_artefact(x, "disposition", role, to_user, instruction, NULL, NULL);
	if (to_user)
		json_object_set_new(x->audit_detail, "to_user", json_integer(to_user));
	return st;
}

static enum status act_publish(struct completion *x)
{
	struct doc_list l;
	enum status st = list_docs(x->c, x->task->meeting_id, x->step->stages, x->step->nstages,
				   x->u->clearance, &l);
	json_t *data = NULL, *published = json_array();
	if (st != ST_OK)
		goto out;
	if (l.n == 0) {
		st = engine_fail(x->fe, "grants", "no document in the stage(s) this step publishes");
		goto out;
	}
	json_t *grants = json_object_get(x->payload, "grants");
	if (!grants)
		grants = json_array();
	else
		json_incref(grants);
	if (!json_is_array(grants) || json_array_size(grants) > l.n) {
		json_decref(grants);
		st = engine_fail(x->fe, "grants", "field 'grants': expected one {document_id, users} per document");
		goto out;
	}
	/* Validate everything before writing anything. */
	size_t i;
	json_t *g;
	json_array_foreach(grants, i, g) {
		json_t *idv = json_object_get(g, "document_id"), *users = json_object_get(g, "users");
		if (!json_is_object(g) || !json_is_integer(idv) || !json_is_array(users) ||
		    json_object_size(g) != 2 || json_array_size(users) > 500) {
			st = engine_fail(x->fe, "grants", "field 'grants': item %zu: expected {document_id, users: [ids]}", i);
			break;
		}
		const struct document *d = NULL;
		for (size_t k = 0; k < l.n; k++)
			if (l.d[k].id == json_integer_value(idv))
				d = &l.d[k];
		if (!d) {
			st = engine_fail(x->fe, "grants", "field 'grants': document %lld is not in the stage(s) this step publishes",
					 (long long)json_integer_value(idv));
			break;
		}
		for (size_t k = 0; k < i; k++)
			if (json_integer_value(json_object_get(json_array_get(grants, k), "document_id")) == d->id)
				st = engine_fail(x->fe, "grants", "field 'grants': document %lld listed twice",
						 (long long)d->id);
		if (st != ST_OK)
			break;
		size_t j;
		json_t *uid;
		json_array_foreach(users, j, uid) {
			struct user pic;
			if (!json_is_integer(uid) || users_get_by_id(x->c, json_integer_value(uid), &pic) != ST_OK ||
			    pic.disabled) {
				st = engine_fail(x->fe, "grants", "field 'grants': document %lld: no such active user",
						 (long long)d->id);
				break;
			}
			if (!engine_pic_cleared(&pic, d->classification, x->meeting->classification)) {
				st = engine_fail(x->fe, "grants",
						 "field 'grants': '%s' (clearance %s) cannot be granted document %lld (%s, meeting %s)",
						 pic.username, classification_name(pic.clearance),
						 (long long)d->id, classification_name(d->classification),
						 classification_name(x->meeting->classification));
				break;
			}
		}
		if (st != ST_OK)
			break;
	}
	if (st != ST_OK) {
		json_decref(grants);
		goto out;
	}
	for (size_t k = 0; k < l.n && st == ST_OK; k++) {
		struct db_stmt *s;
		if ((st = db_prepare(x->c, SQL_DOCUMENT_PUBLISH, &s)) != ST_OK)
			break;
		db_bind_int(s, 1, l.d[k].id);
		db_bind_int(s, 2, x->task->case_id);
		db_bind_int(s, 3, x->now);
		st = db_exec_stmt(s);
		db_done(s);
		json_array_append_new(published, json_integer(l.d[k].id));
	}
	json_array_foreach(grants, i, g) {
		if (st != ST_OK)
			break;
		size_t j;
		json_t *uid;
		json_array_foreach(json_object_get(g, "users"), j, uid) {
			struct db_stmt *s;
			if ((st = db_prepare(x->c, SQL_GRANT_INSERT, &s)) != ST_OK)
				break;
			db_bind_int(s, 1, json_integer_value(json_object_get(g, "document_id")));
			db_bind_int(s, 2, json_integer_value(uid));
			db_bind_int(s, 3, x->task->case_id);
			db_bind_int(s, 4, x->u->id);
			db_bind_int(s, 5, x->now);
			st = db_exec_stmt(s);
			db_done(s);
			if (st != ST_OK)
				break;
		}
	}
	json_decref(grants);
	if (st != ST_OK)
		goto out;
	json_t *docs = json_array();
	for (size_t k = 0; k < l.n; k++) {
		struct document now_doc;
		if (documents_load(x->c, l.d[k].id, &now_doc) == ST_OK)
			json_array_append_new(docs, summary_doc(x->c, &now_doc));
	}
	json_t *stages = json_array();
	for (int k = 0; k < x->step->nstages; k++)
		json_array_append_new(stages, json_string(x->step->stages[k]));
	data = json_pack("{s:o, s:o}", "stages", stages, "documents", docs);
	st = engine_artefact(x, "publication", next_role(x), 0, NULL, data, NULL);
	if (st == ST_OK)
		json_object_set(x->audit_detail, "published", data);
out:
	json_decref(published);
	json_decref(data);
	free(l.d);
	return st;
}

static enum status act_report(struct completion *x)
{
	const char *text;
	enum status st = get_text(x, "text", true, TEXT_REPORT_MAX, &text);
	if (st != ST_OK)
		return st;
	json_t *summary = engine_case_summary(x->c, x->task->meeting_id, x->u->clearance);
	st = engine_artefact(x, "report", next_role(x), 0, text, summary, NULL);
	json_decref(summary);
	return st;
}

static bool opened_by(struct db_conn *c, int64_t doc, int64_t user, int64_t since)
{
	struct db_stmt *s;
	if (db_prepare(c, SQL_DOCUMENT_OPENED_BY, &s) != ST_OK)
		return false;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)doc);
	db_bind_text(s, 1, ids);
	db_bind_int(s, 2, user);
	db_bind_int(s, 3, since);
	bool row = false;
	db_step(s, &row);
	db_done(s);
	return row;
}

/* The ids of the documents this case published and nobody verified yet, at or below CEILING. */
static enum status published_ids(struct db_conn *c, int64_t case_id, enum classification ceiling,
				 int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_DOCUMENT_LIST_CASE_PUBLISHED, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, case_id);
	size_t cap = 0;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *p = realloc(*ids, cap * sizeof *p);
			if (!p) {
				st = ST_NOMEM;
				break;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = db_col_int(s, 0);
	}
	db_done(s);
	/* Keep only what the verifier may read. */
	size_t k = 0;
	for (size_t i = 0; i < *n && st == ST_OK; i++) {
		struct document d;
		if (documents_load(c, (*ids)[i], &d) == ST_OK && (int)d.classification <= (int)ceiling)
			(*ids)[k++] = (*ids)[i];
	}
	*n = k;
	return st;
}

static enum status act_verify(struct completion *x)
{
	int64_t *ids;
	size_t n;
	enum status st = published_ids(x->c, x->task->case_id, x->u->clearance, &ids, &n);
	json_t *results = json_array();
	if (st != ST_OK)
		goto out;
	json_t *docs = json_object_get(x->payload, "documents");
	if (!json_is_array(docs)) {
		st = engine_fail(x->fe, "documents", "field 'documents': required, one entry per published document");
		goto out;
	}
	bool *seen = calloc(n ? n : 1, sizeof *seen);
	if (!seen) {
		st = ST_NOMEM;
		goto out;
	}
	size_t i;
	json_t *e;
	json_array_foreach(docs, i, e) {
		json_t *idv = json_object_get(e, "id");
		const char *result = json_string_value(json_object_get(e, "result"));
		json_t *notev = json_object_get(e, "note");
		size_t k = n;
		if (json_is_integer(idv))
			for (k = 0; k < n && ids[k] != json_integer_value(idv); k++)
				;
		if (!json_is_object(e) || k == n || seen[k]) {
			st = engine_fail(x->fe, "documents",
					 "field 'documents': item %zu is not a published document of this case, or is listed twice", i);
			break;
		}
		if (!result || (strcmp(result, "confirmed") != 0 && strcmp(result, "noted") != 0)) {
			st = engine_fail(x->fe, "documents", "field 'documents': item %zu: result must be confirmed or noted", i);
			break;
		}
		const char *note = json_string_value(notev);
		if ((notev && !json_is_null(notev) && !note) || (note && strlen(note) > TEXT_NOTE_MAX) ||
		    (strcmp(result, "noted") == 0 && (!note || !note[strspn(note, " \t\r\n")]))) {
			st = engine_fail(x->fe, "documents", "field 'documents': item %zu: a noted document needs a note (at most %d bytes)",
					 i, TEXT_NOTE_MAX);
			break;
		}
		seen[k] = true;
		struct document vd;
		memset(&vd, 0, sizeof vd);
		documents_load(x->c, ids[k], &vd);
		json_array_append_new(results, json_pack("{s:I, s:s, s:s, s:s, s:s?, s:b}", "id",
							  (json_int_t)ids[k], "title", vd.title,
							  "classification",
							  classification_name(vd.classification), "result",
							  result, "note", note, "opened",
							  opened_by(x->c, ids[k], x->u->id, x->task->available_at)));
	}
	for (size_t k = 0; k < n && st == ST_OK; k++)
		if (!seen[k])
			st = engine_fail(x->fe, "documents", "field 'documents': document %lld is not verified",
					 (long long)ids[k]);
	free(seen);
	for (size_t k = 0; k < n && st == ST_OK; k++) {
		struct db_stmt *s;
		if ((st = db_prepare(x->c, SQL_DOCUMENT_VERIFY, &s)) != ST_OK)
			break;
		db_bind_int(s, 1, ids[k]);
		db_bind_int(s, 2, x->now);
		st = db_exec_stmt(s);
		db_done(s);
	}
	if (st != ST_OK)
		goto out;
	json_t *data = json_pack("{s:O}", "documents", results);
	st = engine_artefact(x, "verification", next_role(x), 0, NULL, data, NULL);
	if (st == ST_OK)
		json_object_set(x->audit_detail, "verified", results);
	json_decref(data);
out:
	json_decref(results);
	free(ids);
	return st;
}

enum status engine_run_actions(struct completion *x)
{
	static const struct {
		unsigned bit;
		enum status (*fn)(struct completion *x);
	} order[] = {
		{SOP_ACT_COMPILE, act_compile}, {SOP_ACT_CHECK, act_check},
		{SOP_ACT_DECIDE, act_decide},   {SOP_ACT_DISPOSE, act_dispose},
		{SOP_ACT_PUBLISH, act_publish}, {SOP_ACT_REPORT, act_report},
		{SOP_ACT_VERIFY, act_verify},
	};
	/* A decision's answer decides where dispositions and reports go: decide first. */
	if (x->step->actions & SOP_ACT_DECIDE) {
		enum status st = act_decide(x);
		if (st != ST_OK)
			return st;
	}
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(x->step->actions & order[i].bit) || order[i].bit == SOP_ACT_DECIDE)
			continue;
		enum status st = order[i].fn(x);
		if (st != ST_OK)
			return st;
	}
	return ST_OK;
}

/* --- context -------------------------------------------------------------------------------- */

struct holders {
	struct db_conn *c;
	json_t *arr;
};

static enum status add_holder(void *ctx, int64_t id)
{
	struct holders *h = ctx;
	json_array_append_new(h->arr, engine_userref(h->c, id));
	return ST_OK;
}

json_t *engine_task_context(struct db_conn *c, const struct user *u, const struct sop *s,
			    const struct sop_step *step, const struct task_row *t)
{
	json_t *ctx = json_object();
	if (!step)
		return ctx;
	enum classification ceiling = u ? u->clearance : CLASS_BIASA;
	if (step->actions & (SOP_ACT_COMPILE)) {
		struct doc_list l;
		json_t *docs = json_array();
		if (list_docs(c, t->meeting_id, NULL, 0, ceiling, &l) == ST_OK)
			for (size_t i = 0; i < l.n; i++)
				json_array_append_new(docs, shape_document(c, &l.d[i], false));
		free(l.d);
		json_object_set_new(ctx, "documents", docs);
	}
	if (step->actions & SOP_ACT_CHECK) {
		bool complete;
		json_object_set_new(ctx, "checklist", checklist_state(c, s, t->meeting_id, ceiling, &complete));
		json_object_set_new(ctx, "complete", json_boolean(complete));
	}
	if (step->actions & SOP_ACT_DECIDE) {
		json_t *answers = json_array();
		for (int i = 0; i < step->nanswers; i++) {
			const char *outcome;
			struct sop_next nx = step->answers[i].next;
			outcome = nx.step == 0 ? (nx.outcome ? nx.outcome : "completed") : NULL;
			json_array_append_new(answers,
					      json_pack("{s:s, s:{s:s?, s:s?}, s:o, s:s?}", "code",
							step->answers[i].code, "label", "id",
							step->answers[i].label.id, "en",
							step->answers[i].label.en, "next_step",
							nx.step ? json_integer(nx.step) : json_null(),
							"end_outcome", outcome));
		}
		json_object_set_new(ctx, "answers", answers);
	}
	if (step->actions & SOP_ACT_DISPOSE) {
		const char *outcome;
		const struct sop_step *n = engine_next_step(s, step, NULL, &outcome);
		struct holders h = {c, json_array()};
		if (n)
			engine_role_holders(c, n->role, add_holder, &h);
		json_object_set_new(ctx, "to_role", n ? json_string(n->role) : json_null());
		json_object_set_new(ctx, "candidates", h.arr);
	}
	if (step->actions & SOP_ACT_PUBLISH) {
		struct doc_list l;
		json_t *docs = json_array(), *stages = json_array();
		for (int i = 0; i < step->nstages; i++)
			json_array_append_new(stages, json_string(step->stages[i]));
		if (list_docs(c, t->meeting_id, step->stages, step->nstages, ceiling, &l) == ST_OK)
			for (size_t i = 0; i < l.n; i++)
				json_array_append_new(docs, engine_document_with_grants(c, &l.d[i]));
		free(l.d);
		json_object_set_new(ctx, "stages", stages);
		json_object_set_new(ctx, "documents", docs);
	}
	if (step->actions & SOP_ACT_REPORT)
		json_object_set_new(ctx, "summary", engine_case_summary(c, t->meeting_id, ceiling));
	if (step->actions & SOP_ACT_VERIFY) {
		int64_t *ids;
		size_t n;
		json_t *docs = json_array();
		if (published_ids(c, t->case_id, ceiling, &ids, &n) == ST_OK) {
			for (size_t i = 0; i < n; i++) {
				struct document d;
				if (documents_load(c, ids[i], &d) != ST_OK ||
				    (int)d.classification > (int)ceiling)
					continue;
				json_t *o = engine_document_with_grants(c, &d);
				json_object_set_new(o, "opened",
						    json_boolean(u && opened_by(c, d.id, u->id, t->available_at)));
				json_array_append_new(docs, o);
			}
		}
		free(ids);
		json_object_set_new(ctx, "documents", docs);
	}
	return ctx;
}
