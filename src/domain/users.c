/* Accounts and roles (users.h). Validation happens before the transaction; the slow password
 * hash too, so the write lock is never held while Argon2id runs. */
#include "domain/users.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "sidang_limits.h"
#include "util/clock.h"
#include "util/utf8.h"

_Static_assert(sizeof(((struct user *)0)->username) == LIMIT_USERNAME_BYTES + 1, "username");
_Static_assert(sizeof(((struct user *)0)->display_name) == LIMIT_DISPLAY_NAME_BYTES + 1, "name");
_Static_assert(sizeof(((struct user *)0)->nip) == LIMIT_NIP_BYTES + 1, "nip");
_Static_assert(sizeof(((struct user *)0)->unit) == LIMIT_SHORT_TEXT_BYTES + 1, "unit");

static const char *const class_names[] = {"biasa", "terbatas", "rahasia", "sangat_rahasia"};

const char *classification_name(enum classification c)
{
	if ((int)c < 0 || (size_t)c >= sizeof class_names / sizeof class_names[0])
		return "unknown";
	return class_names[c];
}

bool classification_parse(const char *s, enum classification *out)
{
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
		if (strcmp(s, class_names[i]) == 0) {
			*out = (enum classification)i;
			return true;
		}
	}
	return false;
}

bool user_has_role(const struct user *u, const char *role)
{
	for (int i = 0; i < u->nroles && i < USER_MAX_ROLES; i++)
		if (strcmp(u->roles[i], role) == 0)
			return true;
	return false;
}

/* The roles with roles.kind = 'sop' seeded by migration 1 (test_users checks them against the
 * table). An imported SOP may declare more; users loaded from the database carry sop_role for
 * those. The fixed list keeps user_is_bureau right for a struct user built by hand. */
static const char *const bureau_roles[] = {
	"karo_hph", "kabag_persidangan", "kasubbag_pengelolaan", "pengelola_persidangan",
	"pengelola_naskah",
};

bool user_is_bureau(const struct user *u)
{
	/* Roles are data: a role an imported SOP declares (kind 'sop') makes its holders part of
	 * the bureau too. */
	if (u->sop_role)
		return true;
	for (size_t i = 0; i < sizeof bureau_roles / sizeof bureau_roles[0]; i++)
		if (user_has_role(u, bureau_roles[i]))
			return true;
	return false;
}

bool users_username_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n == 0 || n > LIMIT_USERNAME_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			  (i > 0 && (ch == '.' || ch == '_' || ch == '-'));
		if (!ok)
			return false;
	}
	return true;
}

/* A role code as the roles table spells them; anything else cannot exist, and is not echoed. */
static bool role_code_plausible(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(((struct user *)0)->roles[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Valid UTF-8 without C0 or C1 control characters or DEL: names end up in HTML, CSV exports and
 * logs. */
static bool text_ok(const char *s, size_t n)
{
	if (!utf8_valid(s, n))
		return false;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		/* U+0080..U+009F are encoded as C2 80..C2 9F; C2 is never a continuation byte. */
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							   ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static enum status check_password(const char *pw, char *err, size_t errlen)
{
	size_t n = pw ? strlen(pw) : 0;
	if (n < LIMIT_PASSWORD_MIN) {
		set_err(err, errlen, "field 'password': must be at least %d bytes", LIMIT_PASSWORD_MIN);
		return ST_INVALID;
	}
	if (n > LIMIT_PASSWORD_BYTES) {
		set_err(err, errlen, "field 'password': longer than %d bytes", LIMIT_PASSWORD_BYTES);
		return ST_INVALID;
	}
	return ST_OK;
}

static bool absent(const char *s) { return !s || !*s; }

static enum status check_display_name(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	if (n == 0) {
		set_err(err, errlen, "field 'display_name': must not be empty");
		return ST_INVALID;
	}
	if (n > LIMIT_DISPLAY_NAME_BYTES) {
		set_err(err, errlen, "field 'display_name': longer than %d bytes",
			LIMIT_DISPLAY_NAME_BYTES);
		return ST_INVALID;
	}
	if (!text_ok(s, n)) {
		set_err(err, errlen, "field 'display_name': invalid UTF-8 or control characters");
		return ST_INVALID;
	}
	return ST_OK;
}

/* NULL or "" is no NIP. */
static enum status check_nip(const char *s, char *err, size_t errlen)
{
	if (absent(s))
		return ST_OK;
	size_t n = strlen(s);
	bool ok = n == LIMIT_NIP_BYTES;
	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] >= '0' && s[i] <= '9';
	if (!ok) {
		set_err(err, errlen, "field 'nip': expected %d digits", LIMIT_NIP_BYTES);
		return ST_INVALID;
	}
	return ST_OK;
}

/* NULL or "" is no unit. */
static enum status check_unit(const char *s, char *err, size_t errlen)
{
	if (absent(s))
		return ST_OK;
	size_t n = strlen(s);
	if (n > LIMIT_SHORT_TEXT_BYTES) {
		set_err(err, errlen, "field 'unit': longer than %d bytes", LIMIT_SHORT_TEXT_BYTES);
		return ST_INVALID;
	}
	if (!text_ok(s, n)) {
		set_err(err, errlen, "field 'unit': invalid UTF-8 or control characters");
		return ST_INVALID;
	}
	return ST_OK;
}

static enum status check_clearance(enum classification cl, char *err, size_t errlen)
{
	if ((int)cl < CLASS_BIASA || (int)cl > CLASS_SANGAT_RAHASIA) {
		set_err(err, errlen, "field 'clearance': expected biasa, terbatas, rahasia or sangat_rahasia");
		return ST_INVALID;
	}
	return ST_OK;
}

/* A NULL-terminated set of 1 to USER_MAX_ROLES plausible role codes, none twice. Whether each
 * exists is checked in the transaction. */
static enum status check_roles(const char *const *roles, char *err, size_t errlen)
{
	int nroles = 0;
	for (const char *const *r = roles; r && *r; r++) {
		if (!role_code_plausible(*r)) {
			set_err(err, errlen, "field 'roles': unknown role");
			return ST_INVALID;
		}
		for (const char *const *q = roles; q != r; q++) {
			if (strcmp(*q, *r) == 0) {
				set_err(err, errlen, "field 'roles': role '%s' given twice", *r);
				return ST_INVALID;
			}
		}
		nroles++;
	}
	if (nroles == 0) {
		set_err(err, errlen, "field 'roles': at least one role is required");
		return ST_INVALID;
	}
	if (nroles > USER_MAX_ROLES) {
		set_err(err, errlen, "field 'roles': more than %d roles", USER_MAX_ROLES);
		return ST_INVALID;
	}
	return ST_OK;
}

static enum status check_new_user(const struct user_new *nu, char *err, size_t errlen)
{
	enum status st;
	if (!users_username_valid(nu->username)) {
		set_err(err, errlen,
			"field 'username': expected 1 to %d of a-z 0-9 . _ -, starting with a letter or digit",
			LIMIT_USERNAME_BYTES);
		return ST_INVALID;
	}
	if ((nu->display_name && (st = check_display_name(nu->display_name, err, errlen)) != ST_OK) ||
	    (st = check_nip(nu->nip, err, errlen)) != ST_OK ||
	    (st = check_unit(nu->unit, err, errlen)) != ST_OK ||
	    (st = check_clearance(nu->clearance, err, errlen)) != ST_OK ||
	    (st = check_roles(nu->roles, err, errlen)) != ST_OK)
		return st;
	return check_password(nu->password, err, errlen);
}

/* Copies a text column into a fixed field; a value that does not fit was not written by us. */
static enum status copy_col(struct db_stmt *s, int col, char *dst, size_t dstlen)
{
	const char *v = db_col_text(s, col);
	if (!v) {
		dst[0] = '\0';
		return ST_OK;
	}
	size_t n = strlen(v);
	if (n >= dstlen)
		return ST_CORRUPT;
	memcpy(dst, v, n + 1);
	return ST_OK;
}

static enum status role_exists(struct db_conn *c, const char *role, bool *exists)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_ROLE_EXISTS, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, role);
	st = db_step(s, exists);
	db_done(s);
	return st;
}

static enum status load_roles(struct db_conn *c, struct user *u)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USER_ROLES, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, u->id);
	u->nroles = 0;
	u->sop_role = false;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		const char *kind = db_col_text(s, 1);
		if (kind && strcmp(kind, "sop") == 0)
			u->sop_role = true;
		if (u->nroles == USER_MAX_ROLES) {
			st = ST_CORRUPT;
			break;
		}
		if ((st = copy_col(s, 0, u->roles[u->nroles], sizeof u->roles[0])) != ST_OK)
			break;
		u->nroles++;
	}
	db_done(s);
	return st;
}

/* Reads the columns of SQL_USER_BY_NAME / _BY_ID / _LIST (see sql_sqlite.c). */
static enum status read_user_row(struct db_stmt *s, struct user *u, char **out_hash)
{
	enum status st;
	memset(u, 0, sizeof *u);
	u->id = db_col_int(s, 0);
	if ((st = copy_col(s, 1, u->username, sizeof u->username)) != ST_OK ||
	    (st = copy_col(s, 2, u->display_name, sizeof u->display_name)) != ST_OK ||
	    (st = copy_col(s, 3, u->nip, sizeof u->nip)) != ST_OK ||
	    (st = copy_col(s, 4, u->unit, sizeof u->unit)) != ST_OK)
		return st;
	int64_t cl = db_col_int(s, 5);
	if (cl < CLASS_BIASA || cl > CLASS_SANGAT_RAHASIA)
		return ST_CORRUPT;
	u->clearance = (enum classification)cl;
	u->disabled = db_col_int(s, 7) != 0;
	u->created_at = db_col_int(s, 8);
	if (out_hash) {
		const char *h = db_col_text(s, 6);
		*out_hash = strdup(h ? h : "");
		if (!*out_hash)
			return ST_NOMEM;
	}
	return ST_OK;
}

static enum status get_user(struct db_conn *c, enum sql_id id, const char *name, int64_t uid,
			    struct user *out, char **out_hash)
{
	if (out_hash)
		*out_hash = NULL;
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	if (name)
		db_bind_text(s, 1, name);
	else
		db_bind_int(s, 1, uid);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		st = read_user_row(s, out, out_hash);
	db_done(s);
	if (st == ST_OK)
		st = load_roles(c, out);
	if (st != ST_OK && out_hash) {
		free(*out_hash);
		*out_hash = NULL;
	}
	return st;
}

enum status users_get_by_name(struct db_conn *c, const char *username, struct user *out,
			      char **out_hash)
{
	if (out_hash)
		*out_hash = NULL;
	if (!users_username_valid(username))
		return ST_NOT_FOUND;
	return get_user(c, SQL_USER_BY_NAME, username, 0, out, out_hash);
}

enum status users_get_by_id(struct db_conn *c, int64_t id, struct user *out)
{
	return get_user(c, SQL_USER_BY_ID, NULL, id, out, NULL);
}

enum status users_list(struct db_conn *c, enum status (*fn)(void *ctx, const struct user *u),
		       void *ctx)
{
	/* Collected first, so that FN may use the connection as it likes. */
	struct user *all = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USER_LIST, &s);
	if (st != ST_OK)
		return st;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct user *p = realloc(all, ncap * sizeof *p);
			if (!p) {
				st = ST_NOMEM;
				break;
			}
			all = p, cap = ncap;
		}
		if ((st = read_user_row(s, &all[n], NULL)) != ST_OK)
			break;
		n++;
	}
	db_done(s);
	for (size_t i = 0; st == ST_OK && i < n; i++)
		st = load_roles(c, &all[i]);
	for (size_t i = 0; st == ST_OK && i < n; i++)
		st = fn(ctx, &all[i]);
	free(all);
	return st;
}

/* Appends one "user" event for U inside the open transaction. Takes DETAIL (may be NULL). */
static enum status audit_user(struct audit *a, struct db_conn *c, const struct actor *who,
			      const char *action, int64_t uid, json_t *detail)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)uid);
	struct audit_event ev = {
		.actor_id = who ? who->user_id : 0,
		.actor = who && who->name ? who->name : "cli",
		.address = who && who->address ? who->address : "cli",
		.action = action,
		.object_type = "user",
		.object_id = idbuf,
		.detail = detail,
	};
	enum status st = audit_append(a, c, &ev, NULL);
	json_decref(detail);
	return st;
}

static enum status exec_id_text(struct db_conn *c, enum sql_id id, int64_t v1, const char *v2)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, v1);
	if (v2)
		db_bind_text(s, 2, v2);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

static enum status exec_id_int(struct db_conn *c, enum sql_id id, int64_t v1, int64_t v2)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, v1);
	db_bind_int(s, 2, v2);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

enum status users_create(struct db_conn *c, struct audit *a, const struct actor *who,
			 const struct user_new *nu, int64_t *id_out, char *err, size_t errlen)
{
	char hash[AUTH_PASSWORD_HASH_BYTES];
	bool began = false;
	int64_t uid = 0;
	set_err(err, errlen, "%s", "");
	if (id_out)
		*id_out = 0;
	enum status st = check_new_user(nu, err, errlen);
	if (st != ST_OK)
		return st;
	if ((st = auth_password_hash(nu->password, hash, sizeof hash)) != ST_OK)
		goto out;
	if ((st = db_begin(c)) != ST_OK)
		goto out;
	began = true;
	for (const char *const *r = nu->roles; *r; r++) {
		bool exists = false;
		if ((st = role_exists(c, *r, &exists)) != ST_OK)
			goto out;
		if (!exists) {
			set_err(err, errlen, "field 'roles': unknown role '%s'", *r);
			st = ST_INVALID;
			goto out;
		}
	}
	const char *display = nu->display_name ? nu->display_name : nu->username;
	const char *nip = absent(nu->nip) ? NULL : nu->nip;
	const char *unit = absent(nu->unit) ? NULL : nu->unit;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_USER_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, nu->username);
	db_bind_text(s, 2, display);
	db_bind_text(s, 3, nip);
	db_bind_text(s, 4, unit);
	db_bind_int(s, 5, nu->clearance);
	db_bind_text(s, 6, hash);
	db_bind_int(s, 7, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_CONFLICT) {
		set_err(err, errlen, "field 'username': '%s' is taken", nu->username);
		goto out;
	}
	if (st != ST_OK)
		goto out;
	uid = db_last_insert_id(c);
	json_t *roles = json_array();
	if (!roles) {
		st = ST_NOMEM;
		goto out;
	}
	for (const char *const *r = nu->roles; *r; r++) {
		if ((st = exec_id_text(c, SQL_USER_ROLE_ADD, uid, *r)) != ST_OK) {
			json_decref(roles);
			goto out;
		}
		json_array_append_new(roles, json_string(*r));
	}
	json_t *detail = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:o}", "username", nu->username,
				   "display_name", display, "nip", nip, "unit", unit, "clearance",
				   classification_name(nu->clearance), "roles", roles);
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = audit_user(a, c, who, "user.create", uid, detail)) != ST_OK)
		goto out;
	st = db_commit(c);
	began = false;
out:
	if (began)
		db_rollback(c);
	if (st == ST_OK && id_out)
		*id_out = uid;
	return st;
}

enum status users_set_password(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *username, const char *password, char *err, size_t errlen)
{
	char hash[AUTH_PASSWORD_HASH_BYTES];
	struct user u;
	bool began = false;
	set_err(err, errlen, "%s", "");
	enum status st = check_password(password, err, errlen);
	if (st != ST_OK)
		return st;
	if ((st = auth_password_hash(password, hash, sizeof hash)) != ST_OK)
		goto out;
	if ((st = db_begin(c)) != ST_OK)
		goto out;
	began = true;
	if ((st = users_get_by_name(c, username, &u, NULL)) != ST_OK)
		goto out;
	if ((st = exec_id_text(c, SQL_USER_SET_PASSWORD, u.id, hash)) != ST_OK)
		goto out;
	/* A new password ends every session: whoever knew the old one is logged out. */
	if ((st = exec_id_text(c, SQL_SESSION_DELETE_USER, u.id, NULL)) != ST_OK)
		goto out;
	json_t *detail = json_pack("{s:s, s:I}", "username", u.username, "sessions_ended",
				   (json_int_t)db_changes(c));
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = audit_user(a, c, who, "user.password", u.id, detail)) != ST_OK)
		goto out;
	st = db_commit(c);
	began = false;
out:
	if (began)
		db_rollback(c);
	if (st == ST_NOT_FOUND)
		set_err(err, errlen, "user '%s' not found", users_username_valid(username) ? username : "");
	return st;
}

enum status users_set_disabled(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *username, bool disabled)
{
	struct user u;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	if ((st = users_get_by_name(c, username, &u, NULL)) != ST_OK)
		goto out;
	if (u.disabled == disabled)
		goto out; /* nothing changes, nothing is written */
	if ((st = exec_id_int(c, SQL_USER_SET_DISABLED, u.id, disabled ? 1 : 0)) != ST_OK)
		goto out;
	json_int_t ended = 0;
	if (disabled) {
		if ((st = exec_id_text(c, SQL_SESSION_DELETE_USER, u.id, NULL)) != ST_OK)
			goto out;
		ended = (json_int_t)db_changes(c);
	}
	json_t *detail = disabled ? json_pack("{s:s, s:I}", "username", u.username, "sessions_ended", ended)
				  : json_pack("{s:s}", "username", u.username);
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	st = audit_user(a, c, who, disabled ? "user.disable" : "user.enable", u.id, detail);
out:
	if (st == ST_OK)
		return db_commit(c);
	db_rollback(c);
	return st;
}

static enum status change_role(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *username, const char *role, bool grant)
{
	struct user u;
	if (!role || !role_code_plausible(role))
		return ST_INVALID;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	bool exists = false;
	if ((st = role_exists(c, role, &exists)) != ST_OK)
		goto out;
	if (!exists) {
		st = ST_INVALID;
		goto out;
	}
	if ((st = users_get_by_name(c, username, &u, NULL)) != ST_OK)
		goto out;
	if (user_has_role(&u, role) == grant)
		goto out; /* nothing changes, nothing is written */
	if (grant && u.nroles >= USER_MAX_ROLES) {
		st = ST_INVALID;
		goto out;
	}
	if ((st = exec_id_text(c, grant ? SQL_USER_ROLE_ADD : SQL_USER_ROLE_REMOVE, u.id, role)) !=
	    ST_OK)
		goto out;
	json_t *detail = json_pack("{s:s, s:s}", "username", u.username, "role", role);
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	st = audit_user(a, c, who, grant ? "user.grant_role" : "user.revoke_role", u.id, detail);
out:
	if (st == ST_OK)
		return db_commit(c);
	db_rollback(c);
	return st;
}

enum status users_grant_role(struct db_conn *c, struct audit *a, const struct actor *who,
			     const char *username, const char *role)
{
	return change_role(c, a, who, username, role, true);
}

enum status users_revoke_role(struct db_conn *c, struct audit *a, const struct actor *who,
			      const char *username, const char *role)
{
	return change_role(c, a, who, username, role, false);
}

/* --- editing an account (the administration pages) ------------------------------------------ */

static bool roles_contain(const char *const *roles, const char *role)
{
	for (const char *const *r = roles; r && *r; r++)
		if (strcmp(*r, role) == 0)
			return true;
	return false;
}

/* True if ROLES (NULL-terminated, no duplicates) is exactly U's set. */
static bool roles_equal(const struct user *u, const char *const *roles)
{
	int n = 0;
	for (const char *const *r = roles; *r; r++, n++)
		if (!user_has_role(u, *r))
			return false;
	return n == u->nroles;
}

/* The values of U that UP may change, as an audit detail object. Only the fields named in
 * CHANGED (bit per field, see users_update) are included. */
enum {
	CH_DISPLAY = 1,
	CH_NIP = 2,
	CH_UNIT = 4,
	CH_CLEARANCE = 8,
	CH_DISABLED = 16,
	CH_ROLES = 32,
};

static json_t *user_values(const struct user *u, unsigned changed)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (changed & CH_DISPLAY)
		json_object_set_new(o, "display_name", json_string(u->display_name));
	if (changed & CH_NIP)
		json_object_set_new(o, "nip", u->nip[0] ? json_string(u->nip) : json_null());
	if (changed & CH_UNIT)
		json_object_set_new(o, "unit", u->unit[0] ? json_string(u->unit) : json_null());
	if (changed & CH_CLEARANCE)
		json_object_set_new(o, "clearance", json_string(classification_name(u->clearance)));
	if (changed & CH_DISABLED)
		json_object_set_new(o, "disabled", json_boolean(u->disabled));
	if (changed & CH_ROLES) {
		json_t *roles = json_array();
		for (int i = 0; roles && i < u->nroles; i++)
			json_array_append_new(roles, json_string(u->roles[i]));
		json_object_set_new(o, "roles", roles ? roles : json_null());
	}
	return o;
}

static enum status check_update(const struct user_update *up, const char **fld, char *err,
				size_t errlen)
{
	enum status st = ST_OK;
	if (up->display_name && (st = check_display_name(up->display_name, err, errlen)) != ST_OK)
		*fld = "display_name";
	else if ((st = check_nip(up->nip, err, errlen)) != ST_OK)
		*fld = "nip";
	else if ((st = check_unit(up->unit, err, errlen)) != ST_OK)
		*fld = "unit";
	else if (up->has_clearance && (st = check_clearance(up->clearance, err, errlen)) != ST_OK)
		*fld = "clearance";
	else if (up->roles && (st = check_roles(up->roles, err, errlen)) != ST_OK)
		*fld = "roles";
	return st;
}

/* Refuses a change of U that would lock WHO out, or leave the instance without an active
 * administrator. Runs inside the write transaction, so two administrators removing each other at
 * once cannot both succeed. */
static enum status check_admin_kept(struct db_conn *c, const struct actor *who,
				    const struct user *u, bool will_admin, bool will_disable,
				    const char **fld, char *err, size_t errlen)
{
	bool self = who && who->user_id != 0 && who->user_id == u->id;
	bool was_active_admin = user_has_role(u, "admin") && !u->disabled;
	if (self && will_disable) {
		*fld = "disabled";
		set_err(err, errlen, "field 'disabled': you cannot disable your own account");
		return ST_INVALID;
	}
	if (self && user_has_role(u, "admin") && !will_admin) {
		*fld = "roles";
		set_err(err, errlen, "field 'roles': you cannot remove your own admin role");
		return ST_INVALID;
	}
	if (!was_active_admin || (will_admin && !will_disable))
		return ST_OK;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_ADMIN_ACTIVE_ADMINS_EXCEPT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, u->id);
	bool row;
	int64_t others = 0;
	if ((st = db_step(s, &row)) == ST_OK && row)
		others = db_col_int(s, 0);
	db_done(s);
	if (st != ST_OK)
		return st;
	if (others == 0) {
		*fld = will_admin ? "disabled" : "roles";
		set_err(err, errlen, "field '%s': '%s' is the last active administrator", *fld,
			u->username);
		return ST_INVALID;
	}
	return ST_OK;
}

enum status users_update(struct db_conn *c, struct audit *a, const struct actor *who, int64_t id,
			 const struct user_update *up, struct user *out, const char **field,
			 char *err, size_t errlen)
{
	struct user u, after;
	const char *fld = NULL;
	bool began = false;
	unsigned changed = 0;
	set_err(err, errlen, "%s", "");
	enum status st = check_update(up, &fld, err, errlen);
	if (st != ST_OK)
		goto out;
	if ((st = db_begin(c)) != ST_OK)
		goto out;
	began = true;
	if ((st = users_get_by_id(c, id, &u)) != ST_OK)
		goto out;
	for (const char *const *r = up->roles; r && *r; r++) {
		bool exists = false;
		if ((st = role_exists(c, *r, &exists)) != ST_OK)
			goto out;
		if (!exists) {
			fld = "roles";
			set_err(err, errlen, "field 'roles': unknown role '%s'", *r);
			st = ST_INVALID;
			goto out;
		}
	}
	const char *display = up->display_name ? up->display_name : u.display_name;
	const char *nip = up->nip ? up->nip : u.nip;
	const char *unit = up->unit ? up->unit : u.unit;
	enum classification cl = up->has_clearance ? up->clearance : u.clearance;
	bool disabled = up->has_disabled ? up->disabled : u.disabled;
	if (strcmp(display, u.display_name) != 0)
		changed |= CH_DISPLAY;
	if (strcmp(nip, u.nip) != 0)
		changed |= CH_NIP;
	if (strcmp(unit, u.unit) != 0)
		changed |= CH_UNIT;
	if (cl != u.clearance)
		changed |= CH_CLEARANCE;
	if (disabled != u.disabled)
		changed |= CH_DISABLED;
	if (up->roles && !roles_equal(&u, up->roles))
		changed |= CH_ROLES;
	if (!changed)
		goto out; /* nothing changes, nothing is written */
	bool will_admin = up->roles ? roles_contain(up->roles, "admin") : user_has_role(&u, "admin");
	if ((st = check_admin_kept(c, who, &u, will_admin, disabled, &fld, err, errlen)) != ST_OK)
		goto out;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_ADMIN_USER_UPDATE, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, u.id);
	db_bind_text(s, 2, display);
	db_bind_text(s, 3, absent(nip) ? NULL : nip);
	db_bind_text(s, 4, absent(unit) ? NULL : unit);
	db_bind_int(s, 5, cl);
	db_bind_int(s, 6, disabled ? 1 : 0);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	if (changed & CH_ROLES) {
		for (int i = 0; i < u.nroles; i++)
			if (!roles_contain(up->roles, u.roles[i]) &&
			    (st = exec_id_text(c, SQL_USER_ROLE_REMOVE, u.id, u.roles[i])) != ST_OK)
				goto out;
		for (const char *const *r = up->roles; *r; r++)
			if (!user_has_role(&u, *r) &&
			    (st = exec_id_text(c, SQL_USER_ROLE_ADD, u.id, *r)) != ST_OK)
				goto out;
	}
	json_int_t ended = -1;
	if (disabled && !u.disabled) {
		/* As users_set_disabled: a disabled account is logged out everywhere at once. */
		if ((st = exec_id_text(c, SQL_SESSION_DELETE_USER, u.id, NULL)) != ST_OK)
			goto out;
		ended = (json_int_t)db_changes(c);
	}
	if ((st = users_get_by_id(c, u.id, &after)) != ST_OK)
		goto out;
	json_t *detail = json_pack("{s:s, s:o, s:o}", "username", u.username, "old",
				   user_values(&u, changed), "new", user_values(&after, changed));
	if (detail && ended >= 0)
		json_object_set_new(detail, "sessions_ended", json_integer(ended));
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = audit_user(a, c, who, "user.update", u.id, detail)) != ST_OK)
		goto out;
	st = db_commit(c);
	began = false;
out:
	if (began)
		db_rollback(c);
	if (field)
		*field = st == ST_INVALID ? fld : NULL;
	if (st == ST_OK && out)
		st = users_get_by_id(c, id, out);
	return st;
}

enum status users_roles_list(struct db_conn *c,
			     enum status (*fn)(void *ctx, const struct role_info *r), void *ctx)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_ADMIN_ROLE_LIST, &s);
	if (st != ST_OK)
		return st;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		struct role_info ri = {
			.code = db_col_text(s, 0),
			.name_id = db_col_text(s, 1),
			.name_en = db_col_text(s, 2),
			.kind = db_col_text(s, 3),
			.superior = db_col_text(s, 4),
			.holders = db_col_int(s, 5),
		};
		if (!ri.code || !ri.name_id || !ri.name_en || !ri.kind) {
			st = ST_CORRUPT;
			break;
		}
		if ((st = fn(ctx, &ri)) != ST_OK)
			break;
	}
	db_done(s);
	return st;
}
