/* POST /api/login, POST /api/logout, GET /api/me. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/json_body.h"
#include "sidang_limits.h"

#define COOKIE_NAME "sidang_session"

static void set_cookie(struct req *r, const char *value, long max_age)
{
	char cookie[256];
	snprintf(cookie, sizeof cookie, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s",
		 value, max_age, r->app->secure_cookies ? "; Secure" : "");
	http_reply_header(r, "Set-Cookie", cookie);
}

void api_login(struct req *r)
{
	static const char *const keys[] = {"username", "password", NULL};
	char err[256];
	const char *username = NULL, *password = NULL;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "username", true, LIMIT_USERNAME_BYTES, &username, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "password", true, LIMIT_PASSWORD_BYTES, &password, err,
			    sizeof err) != ST_OK) {
		http_reply_error(r, 400, "validation_failed", err, NULL);
		return;
	}
	struct auth_session s;
	int64_t retry = 0;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = auth_login(c, r->app->audit, username, password, r->address, &s, &retry);
	db_release(r->app->db, c);
	if (st == ST_THROTTLED) {
		char ra[24];
		snprintf(ra, sizeof ra, "%" PRId64, retry > 0 ? retry : 1);
		http_reply_header(r, "Retry-After", ra);
		http_reply_error(r, 429, "throttled", "too many failed logins; try again later", NULL);
		return;
	}
	if (st == ST_UNAUTH) {
		http_reply_error(r, 401, "invalid_credentials", "wrong username or password", NULL);
		return;
	}
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return;
	}
	set_cookie(r, s.token, LIMIT_SESSION_MAX_SECONDS);
	http_reply_json(r, 200, json_pack("{s:o, s:s}", "user", shape_user(&s.user), "csrf_token",
					  s.csrf));
}

void api_logout(struct req *r)
{
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = auth_logout(c, r->app->audit, &r->session, r->address);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return;
	}
	set_cookie(r, "", 0);
	http_reply_empty(r, 204);
}

void api_me(struct req *r)
{
	http_reply_json(r, 200, json_pack("{s:o, s:s}", "user", shape_user(&r->session.user),
					  "csrf_token", r->session.csrf));
}
