/* The administration pages: /api/users, /api/roles, POST /api/sops, /api/settings/default_sop.
 * Accounts, SOP definitions and settings are for the admin role only; the roles list also for
 * the bureau (it names the performers of the SOP). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/sop.h"
#include "http/json_body.h"
#include "sidang_limits.h"

/* The settings key naming the SOP new cases run (domain/engine.c reads it). */
#define SETTING_DEFAULT_SOP "default_sop"

static bool require_admin(struct req *r, const char *what)
{
	if (user_has_role(&r->session.user, "admin"))
		return true;
	char msg[128];
	snprintf(msg, sizeof msg, "only an administrator %s", what);
	http_reply_error(r, 403, "forbidden", msg, NULL);
	return false;
}

/* USER as the administration pages see it: with "disabled" and "created_at". */
static json_t *admin_user(const struct user *u)
{
	json_t *o = shape_user(u);
	if (o) {
		json_object_set_new(o, "disabled", json_boolean(u->disabled));
		json_object_set_new(o, "created_at", shape_time(u->created_at));
	}
	return o;
}

/* Reads "roles" (an array of 1..USER_MAX_ROLES strings) into ROLES (NULL-terminated). Absent:
 * *PRESENT false. Replies and returns false when it is malformed. */
static bool read_roles(struct req *r, const char *roles[USER_MAX_ROLES + 1], bool *present)
{
	json_t *arr = json_object_get(r->json, "roles");
	*present = arr != NULL;
	roles[0] = NULL;
	if (!arr)
		return true;
	if (!json_is_array(arr)) {
		http_reply_error(r, 400, "validation_failed", "field 'roles': expected an array of roles",
				 "roles");
		return false;
	}
	size_t n = json_array_size(arr);
	if (n > USER_MAX_ROLES) {
		char msg[64];
		snprintf(msg, sizeof msg, "field 'roles': more than %d roles", USER_MAX_ROLES);
		http_reply_error(r, 400, "validation_failed", msg, "roles");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(arr, i));
		if (!v) {
			http_reply_error(r, 400, "validation_failed",
					 "field 'roles': expected an array of roles", "roles");
			return false;
		}
		roles[i] = v;
	}
	roles[n] = NULL;
	return true;
}

static bool read_clearance(struct req *r, const char *s, enum classification *out)
{
	if (classification_parse(s, out))
		return true;
	http_reply_error(r, 400, "validation_failed",
			 "field 'clearance': expected biasa, terbatas, rahasia or sangat_rahasia",
			 "clearance");
	return false;
}

static enum status add_user(void *ctx, const struct user *u)
{
	return json_array_append_new(ctx, admin_user(u)) == 0 ? ST_OK : ST_NOMEM;
}

void api_users_list(struct req *r)
{
	if (!require_admin(r, "manages accounts"))
		return;
	json_t *items = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = items ? users_list(c, add_user, items) : ST_NOMEM;
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* Replies with user ID as the administration pages see it. */
static void reply_user(struct req *r, struct db_conn *c, int status, int64_t id)
{
	struct user u;
	enum status st = users_get_by_id(c, id, &u);
	if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, status, admin_user(&u));
}

void api_users_create(struct req *r)
{
	static const char *const keys[] = {"username", "display_name", "nip", "unit", "clearance",
					   "roles", "password", NULL};
	char err[256];
	const char *roles[USER_MAX_ROLES + 1];
	const char *cls = NULL;
	bool has_roles;
	struct user_new nu = {.clearance = CLASS_BIASA, .roles = roles};
	if (!require_admin(r, "creates accounts"))
		return;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "username", true, LIMIT_USERNAME_BYTES, &nu.username, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "display_name", false, LIMIT_DISPLAY_NAME_BYTES,
			    &nu.display_name, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "nip", false, LIMIT_NIP_BYTES, &nu.nip, err, sizeof err) !=
		    ST_OK ||
	    json_get_string(r->json, "unit", false, LIMIT_SHORT_TEXT_BYTES, &nu.unit, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "clearance", false, 32, &cls, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "password", true, LIMIT_PASSWORD_BYTES, &nu.password, err,
			    sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	if (!read_roles(r, roles, &has_roles) || (cls && !read_clearance(r, cls, &nu.clearance)))
		return;
	int64_t id = 0;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = users_create(c, r->app->audit, &who, &nu, &id, err, sizeof err);
	if (st == ST_OK)
		reply_user(r, c, 201, id);
	db_release(r->app->db, c);
	if (st == ST_CONFLICT)
		http_reply_error(r, 409, "conflict", err[0] ? err : "the username is taken", "username");
	else if (st == ST_INVALID)
		api_reply_body_error(r, err);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
}

void api_users_patch(struct req *r)
{
	static const char *const keys[] = {"display_name", "nip", "unit", "clearance", "disabled",
					   "roles", NULL};
	char err[256];
	const char *roles[USER_MAX_ROLES + 1];
	const char *cls = NULL;
	bool has_roles;
	int64_t id;
	struct user_update up = {0};
	if (!api_param_id(r, 0, &id) || !require_admin(r, "edits accounts"))
		return;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "display_name", false, LIMIT_DISPLAY_NAME_BYTES,
			    &up.display_name, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "nip", false, LIMIT_NIP_BYTES, &up.nip, err, sizeof err) !=
		    ST_OK ||
	    json_get_string(r->json, "unit", false, LIMIT_SHORT_TEXT_BYTES, &up.unit, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "clearance", false, 32, &cls, err, sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	json_t *dis = json_object_get(r->json, "disabled");
	if (dis && !json_is_boolean(dis)) {
		http_reply_error(r, 400, "validation_failed", "field 'disabled': expected true or false",
				 "disabled");
		return;
	}
	if (!read_roles(r, roles, &has_roles) || (cls && !read_clearance(r, cls, &up.clearance)))
		return;
	up.has_clearance = cls != NULL;
	up.has_disabled = dis != NULL;
	up.disabled = json_is_true(dis);
	up.roles = has_roles ? roles : NULL;
	const char *field = NULL;
	struct user u;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = users_update(c, r->app->audit, &who, id, &up, &u, &field, err, sizeof err);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		http_reply_error(r, 400, "validation_failed", err, field);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 200, admin_user(&u));
}

void api_users_password(struct req *r)
{
	static const char *const keys[] = {"password", NULL};
	char err[256];
	const char *password = NULL;
	int64_t id;
	if (!api_param_id(r, 0, &id) || !require_admin(r, "resets passwords"))
		return;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "password", true, LIMIT_PASSWORD_BYTES, &password, err,
			    sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	struct user u;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = users_get_by_id(c, id, &u);
	if (st == ST_OK)
		st = users_set_password(c, r->app->audit, &who, u.username, password, err, sizeof err);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		http_reply_error(r, 400, "validation_failed", err, "password");
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_empty(r, 204);
}

static enum status add_role(void *ctx, const struct role_info *ri)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I}", "code", ri->code, "name_id",
			      ri->name_id, "name_en", ri->name_en, "kind", ri->kind, "superior",
			      ri->superior, "holders", (json_int_t)ri->holders);
	return json_array_append_new(ctx, o) == 0 ? ST_OK : ST_NOMEM;
}

void api_roles_list(struct req *r)
{
	if (!user_has_role(&r->session.user, "admin") && !user_is_bureau(&r->session.user)) {
		http_reply_error(r, 403, "forbidden",
				 "the roles are listed for administrators and the bureau's officials",
				 NULL);
		return;
	}
	json_t *items = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = items ? users_roles_list(c, add_role, items) : ST_NOMEM;
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* A definition's file name as the CLI would see it: no directory, nothing hidden. */
static bool sop_filename_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > LIMIT_FILENAME_BYTES || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

void api_sops_import(struct req *r)
{
	static const char *const keys[] = {"filename", "text", NULL};
	char err[256];
	const char *filename = NULL;
	if (!require_admin(r, "imports SOP definitions"))
		return;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "filename", true, LIMIT_FILENAME_BYTES, &filename, err,
			    sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	if (!sop_filename_ok(filename)) {
		http_reply_error(r, 400, "validation_failed",
				 "field 'filename': expected a file name of A-Z a-z 0-9 . _ -",
				 "filename");
		return;
	}
	/* Not json_get_string: a definition is lines of text, and the parser checks its bytes. */
	json_t *text = json_object_get(r->json, "text");
	if (!json_is_string(text)) {
		http_reply_error(r, 400, "validation_failed",
				 text ? "field 'text': expected a string" : "field 'text': required",
				 "text");
		return;
	}
	int64_t vid = 0;
	int version = 0;
	bool unchanged = false;
	struct sop_error se;
	memset(&se, 0, sizeof se);
	const struct sop *s = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = sop_import(c, r->app->audit, &who, json_string_value(text),
				    json_string_length(text), filename, &vid, &version, &unchanged,
				    &se);
	if (st == ST_OK)
		st = sop_load_version(c, vid, &s);
	db_release(r->app->db, c);
	if (st == ST_INVALID || st == ST_TOO_LARGE) {
		char msg[600];
		sop_error_format(&se, msg, sizeof msg);
		json_t *e = json_pack("{s:s, s:s, s:s, s:o}", "code",
				      st == ST_INVALID ? "validation_failed" : "payload_too_large",
				      "message", msg, "field", "text", "line",
				      se.line > 0 ? json_integer(se.line) : json_null());
		http_reply_json(r, st == ST_INVALID ? 400 : 413, json_pack("{s:o}", "error", e));
		return;
	}
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return;
	}
	/* 201 for a new version; 200 when the text is the code's latest version already. */
	http_reply_json(r, unchanged ? 200 : 201,
			json_pack("{s:I, s:s, s:i, s:b}", "version_id", (json_int_t)vid, "code",
				  s->code, "version", version, "unchanged", unchanged));
}

/* Sets the default SOP to CODE's (which must have a version) in one audited transaction.
 * ST_NOT_FOUND when CODE has no version. Here rather than in the domain layer only because
 * domain/sop.c was being reworked at the time; it belongs beside sop_latest. */
static enum status set_default_sop(struct db_conn *c, struct audit *a, const struct actor *who,
				   const char *code)
{
	char old[SOP_CODE_MAX + 1] = "";
	int64_t vid = 0;
	struct db_stmt *s;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	if ((st = sop_latest(c, code, &vid)) != ST_OK)
		goto out;
	if ((st = db_prepare(c, SQL_SETTING_GET, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, SETTING_DEFAULT_SOP);
	bool row;
	if ((st = db_step(s, &row)) == ST_OK && row && db_col_text(s, 0))
		snprintf(old, sizeof old, "%s", db_col_text(s, 0));
	db_done(s);
	if (st != ST_OK || strcmp(old, code) == 0)
		goto out; /* nothing changes, nothing is written */
	if ((st = db_prepare(c, SQL_SETTING_SET, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, SETTING_DEFAULT_SOP);
	db_bind_text(s, 2, code);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	json_t *detail = json_pack("{s:s?, s:s, s:I}", "old", old[0] ? old : NULL, "new", code,
				   "version_id", (json_int_t)vid);
	struct audit_event ev = {who->user_id, who->name, who->address, "setting.update", "setting",
				 SETTING_DEFAULT_SOP, detail};
	st = detail ? audit_append(a, c, &ev, NULL) : ST_NOMEM;
	json_decref(detail);
	if (st == ST_OK)
		return db_commit(c);
out:
	db_rollback(c);
	return st;
}

void api_settings_default_sop(struct req *r)
{
	static const char *const keys[] = {"code", NULL};
	char err[256];
	const char *code = NULL;
	if (!require_admin(r, "chooses the default SOP"))
		return;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "code", true, SOP_CODE_MAX, &code, err, sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = set_default_sop(c, r->app->audit, &who, code);
	db_release(r->app->db, c);
	if (st == ST_NOT_FOUND)
		http_reply_error(r, 400, "validation_failed",
				 "field 'code': no SOP definition with this code is installed", "code");
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_empty(r, 204);
}
