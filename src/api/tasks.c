/* /api/tasks, /api/meetings/{id}/case, /api/sops, /api/acting, /api/directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "domain/engine.h"
#include "domain/sop.h"
#include "http/json_body.h"
#include "util/clock.h"

void api_tasks_inbox(struct req *r)
{
	json_t *items = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_inbox(c, &r->session.user, &items);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void api_tasks_get(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	json_t *o = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_task_get(c, r->app->audit, &r->session.user, r->address, id, &o);
	db_release(r->app->db, c);
	api_reply_result(r, st, o, 200);
}

void api_tasks_complete(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	json_t *o = NULL;
	struct field_error fe = {0};
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_task_complete(c, r->app->audit, &r->session.user, r->address, id,
					      r->json, &fe, &o);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		http_reply_error(r, 400, "validation_failed", fe.message, fe.field);
	else if (st == ST_DENIED)
		http_reply_error(r, 403, "forbidden", "you are not the performer of this step", NULL);
	else if (st == ST_CONFLICT)
		http_reply_error(r, 409, "conflict", "this task is already completed or its case is closed",
				 NULL);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 200, o ? o : json_object());
}

void api_case_get(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	json_t *o = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_case_json(c, r->app->audit, &r->session.user, r->address, id, &o);
	db_release(r->app->db, c);
	api_reply_result(r, st, o, 200);
}

void api_case_start(struct req *r)
{
	int64_t id, case_id = 0;
	if (!api_param_id(r, 0, &id))
		return;
	json_t *o = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_start_case(c, r->app->audit, &r->session.user, r->address, id, &case_id);
	if (st == ST_OK)
		st = engine_case_json(c, r->app->audit, &r->session.user, r->address, id, &o);
	db_release(r->app->db, c);
	if (st == ST_CONFLICT)
		http_reply_error(r, 409, "conflict",
				 "the meeting has an open case, or was kept internal", NULL);
	else if (st == ST_DENIED)
		http_reply_error(r, 403, "forbidden", "only the bureau's officials start cases", NULL);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 201, o);
}

static enum status add_version(void *ctx, const struct sop_version_info *v)
{
	char t[21];
	clock_format_iso(v->imported_at, t);
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:i, s:s, s:s, s:s}", "version_id",
					     (json_int_t)v->id, "code", v->code, "version", v->version,
					     "sha256", v->sha256, "title", v->title, "imported_at", t));
	return ST_OK;
}

void api_sops_list(struct req *r)
{
	json_t *items = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = sop_versions(c, add_version, items);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void api_sops_get(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	const struct sop *s = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = sop_load_version(c, id, &s);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:I, s:s, s:i, s:s, s:o}", "version_id", (json_int_t)id,
					  "code", s->code, "version", s->version, "sha256", s->sha256,
					  "definition", sop_to_json(s)));
}

/* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MMZ" or with seconds, in UTC. */
static bool parse_when(const char *s, bool end_of_day, int64_t *out)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	char date[11];
	if (n < 10)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!date_valid(date))
		return false;
	struct tm tm = {0};
	tm.tm_year = (int)strtol(date, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(date + 5, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(date + 8, NULL, 10);
	if (n == 10) {
		if (end_of_day)
			tm.tm_hour = 24;
	} else {
		const char *t = s + 10;
		int hh, mm, ss = 0, used = 0;
		if (t[0] != 'T' || sscanf(t + 1, "%2d:%2d%n", &hh, &mm, &used) != 2)
			return false;
		const char *rest = t + 1 + used;
		if (rest[0] == ':') {
			int used2 = 0;
			if (sscanf(rest + 1, "%2d%n", &ss, &used2) != 1)
				return false;
			rest += 1 + used2;
		}
		if (!(rest[0] == '\0' || (rest[0] == 'Z' && rest[1] == '\0')) || hh > 23 || mm > 59 ||
		    ss > 59 || hh < 0 || mm < 0 || ss < 0)
			return false;
		tm.tm_hour = hh;
		tm.tm_min = mm;
		tm.tm_sec = ss;
	}
	*out = (int64_t)timegm(&tm);
	return true;
}

void api_acting_list(struct req *r)
{
	json_t *items = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_acting_list(c, &r->session.user,
					    user_has_role(&r->session.user, "admin"), &items);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void api_acting_create(struct req *r)
{
	static const char *const keys[] = {"user", "role", "for_user", "kind", "starts", "ends",
					   "reason", NULL};
	char err[256];
	struct acting_input in = {0};
	const char *starts = NULL, *ends = NULL;
	if (!user_has_role(&r->session.user, "admin")) {
		http_reply_error(r, 403, "forbidden", "only an administrator appoints acting officials",
				 NULL);
		return;
	}
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "user", true, 64, &in.user, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "role", true, 64, &in.role, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "for_user", false, 64, &in.for_user, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "kind", true, 8, &in.kind, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "starts", false, 32, &starts, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "ends", true, 32, &ends, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "reason", false, 500, &in.reason, err, sizeof err) != ST_OK) {
		http_reply_error(r, 400, "validation_failed", err, NULL);
		return;
	}
	in.starts = clock_now();
	if (starts && !parse_when(starts, false, &in.starts)) {
		http_reply_error(r, 400, "validation_failed",
				 "field 'starts': expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ", "starts");
		return;
	}
	if (!parse_when(ends, true, &in.ends)) {
		http_reply_error(r, 400, "validation_failed",
				 "field 'ends': expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ", "ends");
		return;
	}
	json_t *o = NULL;
	struct field_error fe = {0};
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_acting_grant(c, r->app->audit, &r->session.user, r->address, &in, &fe,
					     &o);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		http_reply_error(r, 400, "validation_failed", fe.message, fe.field);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 201, o ? o : json_object());
}

void api_acting_delete(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	if (!user_has_role(&r->session.user, "admin")) {
		http_reply_error(r, 403, "forbidden", "only an administrator revokes acting officials",
				 NULL);
		return;
	}
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = engine_acting_revoke(c, r->app->audit, &r->session.user, r->address, id);
	db_release(r->app->db, c);
	if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_empty(r, 204);
}

void api_directory(struct req *r)
{
	/* The directory serves the bureau's choices of PICs and recipients; others have none. */
	if (!user_is_bureau(&r->session.user) && !user_has_role(&r->session.user, "admin")) {
		http_reply_error(r, 403, "forbidden", "the directory is for the bureau's officials", NULL);
		return;
	}
	const char *q = http_query(r, "q"), *role = http_query(r, "role"), *lim = http_query(r, "limit");
	int64_t limit = 50;
	if (lim) {
		size_t n = strlen(lim);
		if (n == 0 || n > 2 || strspn(lim, "0123456789") != n || (limit = strtol(lim, NULL, 10)) < 1 ||
		    limit > 50) {
			http_reply_error(r, 400, "validation_failed", "parameter 'limit': expected 1 to 50",
					 "limit");
			return;
		}
	}
	char *pattern = NULL;
	if (q && *q) {
		size_t n = strlen(q);
		if (n > 100) {
			http_reply_error(r, 400, "validation_failed",
					 "parameter 'q': longer than 100 bytes", "q");
			return;
		}
		/* LIKE with the user's text escaped: their % and _ are literal. */
		pattern = arena_alloc(&r->arena, 2 * n + 3);
		size_t k = 0;
		pattern[k++] = '%';
		for (size_t i = 0; i < n; i++) {
			if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
				pattern[k++] = '\\';
			pattern[k++] = q[i];
		}
		pattern[k++] = '%';
		pattern[k] = '\0';
	}
	json_t *items = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_DIRECTORY_SEARCH, &s);
	int64_t ids[50];
	int n = 0;
	if (st == ST_OK) {
		db_bind_text(s, 1, pattern);
		db_bind_text(s, 2, role && *role ? role : NULL);
		db_bind_int(s, 3, limit);
		bool row;
		while ((st = db_step(s, &row)) == ST_OK && row && n < 50)
			ids[n++] = db_col_int(s, 0);
		db_done(s);
	}
	for (int i = 0; i < n && st == ST_OK; i++) {
		struct user u;
		if (users_get_by_id(c, ids[i], &u) == ST_OK) {
			json_t *o = shape_user(&u);
			json_array_append_new(items, o);
		}
	}
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}
