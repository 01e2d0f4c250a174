/*
 * Passwords, sessions and login throttling (auth.h).
 *
 * A login attempt that passes the throttle is first recorded as a failure, in the same write
 * transaction that counted the earlier ones; only then is the password hashed. A success removes
 * the record again (with the account's other failures). So parallel requests cannot slip more
 * guesses past the limit than it allows, and the write lock is never held while Argon2id runs.
 */
#include "domain/auth.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidang_limits.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

_Static_assert(AUTH_PASSWORD_HASH_BYTES == crypto_pwhash_STRBYTES, "AUTH_PASSWORD_HASH_BYTES");
_Static_assert(AUTH_TOKEN_HEX == SHA256_HEX, "tokens and their hashes are both 32 bytes");

#define TOKEN_BYTES 32
#define TOUCH_EVERY_SECONDS 60

/* Verified against when the username is unknown, so that answer takes as long as a wrong password.
 * Made with the interactive limits from a random password nobody kept. */
static const char dummy_hash_default[] =
	"$argon2id$v=19$m=65536,t=2,p=1$R6HBv3uDxPbCzpumtPH11A$"
	"XZNVp6u/l+7NIAlHi8mL6JPlVAuLOXyDSv+nStB+jSs";

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool sodium_ready;
static char dummy_hash[AUTH_PASSWORD_HASH_BYTES];

/* auth_test_set_after_verify: run between the verification and the session's transaction. */
static void (*after_verify_hook)(void *ctx);
static void *after_verify_ctx;

void auth_test_set_after_verify(void (*fn)(void *ctx), void *ctx)
{
	after_verify_hook = fn;
	after_verify_ctx = ctx;
}

static void init(void)
{
	if (sodium_init() < 0) {
		log_error("auth: libsodium failed to initialise");
		return;
	}
	memcpy(dummy_hash, dummy_hash_default, sizeof dummy_hash_default);
	/* Should libsodium's interactive limits change, the dummy must cost what a real hash costs. */
	if (crypto_pwhash_str_needs_rehash(dummy_hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		unsigned char r[TOKEN_BYTES];
		randombytes_buf(r, sizeof r);
		if (crypto_pwhash_str(dummy_hash, (const char *)r, sizeof r,
				      crypto_pwhash_OPSLIMIT_INTERACTIVE,
				      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
			log_error("auth: cannot make the dummy password hash");
			return;
		}
	}
	sodium_ready = true;
}

static bool ready(void)
{
	pthread_once(&init_once, init);
	return sodium_ready;
}

enum status auth_password_hash(const char *password, char *out, size_t outlen)
{
	if (!ready())
		return ST_IO;
	if (!password || !out || outlen < crypto_pwhash_STRBYTES)
		return ST_INVALID;
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return ST_NOMEM; /* the only way it fails: the 64 MiB could not be had */
	return ST_OK;
}

bool auth_password_verify(const char *password, const char *hash)
{
	if (!ready() || !password || !hash)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static void new_token(char out[AUTH_TOKEN_HEX])
{
	unsigned char r[TOKEN_BYTES];
	randombytes_buf(r, sizeof r);
	hex_encode(r, sizeof r, out);
	sodium_memzero(r, sizeof r);
}

/* The cookie value is 64 lowercase hex digits; the database keys sessions by their SHA-256. */
static bool token_hash(const char *token, char out[SHA256_HEX])
{
	if (!token || !hex_is_sha256(token))
		return false;
	sha256_hex(token, 2 * TOKEN_BYTES, out);
	return true;
}

static enum status exec_text(struct db_conn *c, enum sql_id id, const char *v)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, v);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

static enum status exec_ints(struct db_conn *c, enum sql_id id, int n, int64_t v1, int64_t v2)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, v1);
	if (n > 1)
		db_bind_int(s, 2, v2);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

/* Seconds until KEY (a username or an address) may try again; 0 when it may now. */
static enum status throttle_wait(struct db_conn *c, enum sql_id id, const char *key, int64_t limit,
				 int64_t now, int64_t *wait)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	/* A failure at time t counts while now - t < the window. */
	db_bind_text(s, 1, key);
	db_bind_int(s, 2, now - LIMIT_LOGIN_WINDOW_SECONDS + 1);
	bool row;
	st = db_step(s, &row);
	int64_t w = 0;
	if (st == ST_OK && row && db_col_int(s, 0) >= limit && !db_col_is_null(s, 1)) {
		/* Failures are recorded only while under the limit, so the count stops at it: when the
		 * oldest leaves the window, one more attempt is allowed. */
		w = db_col_int(s, 1) + LIMIT_LOGIN_WINDOW_SECONDS - now;
		if (w < 1)
			w = 1;
	}
	db_done(s);
	if (st == ST_OK && *wait < w)
		*wait = w;
	return st;
}

static enum status throttle_check(struct db_conn *c, const char *username, const char *address,
				  int64_t now, int64_t *wait)
{
	*wait = 0;
	enum status st = throttle_wait(c, SQL_LOGIN_FAIL_COUNT_USER, username,
				       LIMIT_LOGIN_FAILS_PER_ACCOUNT, now, wait);
	if (st == ST_OK)
		st = throttle_wait(c, SQL_LOGIN_FAIL_COUNT_IP, address, LIMIT_LOGIN_FAILS_PER_ADDRESS,
				   now, wait);
	return st;
}

/* Checks the throttle again under the write lock and records this attempt as a failure. */
static enum status reserve_attempt(struct db_conn *c, const char *username, const char *address,
				   int64_t now, int64_t *wait)
{
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	if ((st = throttle_check(c, username, address, now, wait)) != ST_OK || *wait > 0)
		goto out;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_LOGIN_FAIL_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, username);
	db_bind_text(s, 2, address);
	db_bind_int(s, 3, now);
	st = db_exec_stmt(s);
	db_done(s);
out:
	if (st == ST_OK && *wait == 0)
		return db_commit(c);
	db_rollback(c);
	return st;
}

/* Audits a failed attempt, which reserve_attempt has already recorded. */
static enum status audit_failure(struct db_conn *c, struct audit *a, const char *username,
				 const char *address, const struct user *u, const char *reason,
				 int64_t now)
{
	char idbuf[24] = "";
	if (u)
		snprintf(idbuf, sizeof idbuf, "%lld", (long long)u->id);
	json_t *detail = json_pack("{s:s, s:s}", "username", username, "reason", reason);
	if (!detail)
		return ST_NOMEM;
	enum status st = db_begin(c);
	if (st != ST_OK)
		goto out;
	if ((st = exec_ints(c, SQL_LOGIN_FAIL_PRUNE, 1, now - LIMIT_LOGIN_WINDOW_SECONDS + 1, 0)) !=
	    ST_OK)
		goto rollback;
	struct audit_event ev = {
		.actor_id = 0,
		.actor = "anonymous",
		.address = address,
		.action = "login.fail",
		.object_type = "user",
		.object_id = idbuf,
		.detail = detail,
	};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto rollback;
	st = db_commit(c);
	goto out;
rollback:
	db_rollback(c);
out:
	json_decref(detail);
	return st;
}

/* Under the session's write lock: is the account still as it was when its password was
 * verified against VERIFIED_HASH? Argon2id ran without a lock, so a password change or a disable
 * may have committed since. ST_UNAUTH with *REASON set when not. */
static enum status recheck_account(struct db_conn *c, const struct user *u,
				   const char *verified_hash, const char **reason)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USER_AUTH_STATE, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, u->id);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK) {
		const char *hash = row ? db_col_text(s, 0) : NULL;
		if (!row)
			*reason = "unknown_user";
		else if (db_col_int(s, 1) != 0)
			*reason = "disabled";
		else if (!hash || strcmp(hash, verified_hash) != 0)
			*reason = "password_changed";
		if (*reason)
			st = ST_UNAUTH;
	}
	db_done(s);
	return st;
}

/* Stores NEW_HASH only while VERIFIED_HASH is still the stored one (recheck_account has just
 * said so, under the same lock; the condition keeps the statement safe on its own). */
static enum status store_rehash(struct db_conn *c, const struct user *u, const char *verified_hash,
				const char *new_hash, const char **reason)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USER_REHASH, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, u->id);
	db_bind_text(s, 2, new_hash);
	db_bind_text(s, 3, verified_hash);
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1) {
		*reason = "password_changed";
		st = ST_UNAUTH;
	}
	return st;
}

/* Creates the session in one write transaction, after checking that the account has not changed
 * since VERIFIED_HASH was verified. ST_UNAUTH with *REASON set (nothing written) when it has. */
static enum status start_session(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, const char *verified_hash,
				 const char *new_hash, int64_t now, struct auth_session *out,
				 const char **reason)
{
	char th[SHA256_HEX];
	new_token(out->token);
	new_token(out->csrf);
	sha256_hex(out->token, 2 * TOKEN_BYTES, th);
	/* The first 16 digits of the token's hash tie "login" and "logout" together in the trail. */
	json_t *detail = json_pack("{s:s%, s:b}", "session", th, (size_t)16, "rehashed",
				   new_hash != NULL);
	if (!detail)
		return ST_NOMEM;
	enum status st = db_begin(c);
	if (st != ST_OK)
		goto out;
	if ((st = recheck_account(c, u, verified_hash, reason)) != ST_OK)
		goto rollback;
	if ((st = exec_text(c, SQL_LOGIN_FAIL_CLEAR_USER, u->username)) != ST_OK ||
	    (st = exec_ints(c, SQL_LOGIN_FAIL_PRUNE, 1, now - LIMIT_LOGIN_WINDOW_SECONDS + 1, 0)) !=
		    ST_OK ||
	    (st = exec_ints(c, SQL_SESSION_DELETE_EXPIRED, 2, now - LIMIT_SESSION_IDLE_SECONDS,
			    now - LIMIT_SESSION_MAX_SECONDS)) != ST_OK)
		goto rollback;
	if (new_hash && (st = store_rehash(c, u, verified_hash, new_hash, reason)) != ST_OK)
		goto rollback;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_SESSION_INSERT, &s)) != ST_OK)
		goto rollback;
	db_bind_text(s, 1, th);
	db_bind_int(s, 2, u->id);
	db_bind_text(s, 3, out->csrf);
	db_bind_int(s, 4, now);
	db_bind_text(s, 5, address);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto rollback;
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)u->id);
	struct audit_event ev = {
		.actor_id = u->id,
		.actor = u->username,
		.address = address,
		.action = "login",
		.object_type = "user",
		.object_id = idbuf,
		.detail = detail,
	};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto rollback;
	st = db_commit(c);
	goto out;
rollback:
	db_rollback(c);
out:
	json_decref(detail);
	return st;
}

enum status auth_login(struct db_conn *c, struct audit *a, const char *username,
		       const char *password, const char *address, struct auth_session *out,
		       int64_t *retry_after_out)
{
	struct user u;
	char *hash = NULL;
	char new_hash[AUTH_PASSWORD_HASH_BYTES];
	bool rehash = false;
	int64_t wait = 0;

	memset(out, 0, sizeof *out);
	if (retry_after_out)
		*retry_after_out = 0;
	if (!ready())
		return ST_IO;
	if (!address)
		address = "";
	/* No account has such a name; nothing is recorded and nothing is hashed. */
	if (!password || !users_username_valid(username))
		return ST_UNAUTH;

	int64_t now = clock_now();
	/* First without the lock, so a throttled flood costs two indexed reads per request. */
	enum status st = throttle_check(c, username, address, now, &wait);
	if (st == ST_OK && wait == 0)
		st = reserve_attempt(c, username, address, now, &wait);
	if (st != ST_OK)
		return st;
	if (wait > 0) {
		if (retry_after_out)
			*retry_after_out = wait;
		return ST_THROTTLED;
	}

	st = users_get_by_name(c, username, &u, &hash);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return st;
	bool known = st == ST_OK;
	/* An unknown name costs one Argon2id verification like a known one. A password longer than
	 * any we accept cannot match, and saying so early tells nothing about the name. */
	bool match = strlen(password) <= LIMIT_PASSWORD_BYTES &&
		     auth_password_verify(password, known ? hash : dummy_hash);
	if (!known || !match || u.disabled) {
		free(hash);
		const char *reason = !known ? "unknown_user" : !match ? "wrong_password" : "disabled";
		st = audit_failure(c, a, username, address, known ? &u : NULL, reason, now);
		return st == ST_OK ? ST_UNAUTH : st;
	}
	if (crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		rehash = auth_password_hash(password, new_hash, sizeof new_hash) == ST_OK;
	if (after_verify_hook)
		after_verify_hook(after_verify_ctx);

	/* The verification ran without a lock: start_session checks, under it, that HASH is still
	 * the account's and the account still enabled, and refuses the login otherwise. */
	const char *changed = NULL;
	st = start_session(c, a, &u, address, hash, rehash ? new_hash : NULL, now, out, &changed);
	free(hash);
	if (st != ST_OK) {
		memset(out, 0, sizeof *out);
		if (st != ST_UNAUTH || !changed)
			return st;
		st = audit_failure(c, a, username, address, &u, changed, now);
		return st == ST_OK ? ST_UNAUTH : st;
	}
	out->user = u;
	return ST_OK;
}

enum status auth_session_get(struct db_conn *c, const char *token, struct auth_session *out)
{
	char th[SHA256_HEX];
	memset(out, 0, sizeof *out);
	if (!token_hash(token, th))
		return ST_UNAUTH;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SESSION_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, th);
	bool row;
	st = db_step(s, &row);
	int64_t uid = 0, created = 0, last_seen = 0;
	if (st == ST_OK && row) {
		uid = db_col_int(s, 0);
		const char *csrf = db_col_text(s, 1);
		if (csrf && strlen(csrf) == 2 * TOKEN_BYTES)
			memcpy(out->csrf, csrf, AUTH_TOKEN_HEX);
		else
			st = ST_CORRUPT;
		created = db_col_int(s, 2);
		last_seen = db_col_int(s, 3);
	}
	db_done(s);
	if (st != ST_OK || !row) {
		memset(out, 0, sizeof *out);
		return st != ST_OK ? st : ST_UNAUTH;
	}

	int64_t now = clock_now();
	bool valid = now - last_seen <= LIMIT_SESSION_IDLE_SECONDS &&
		     now - created <= LIMIT_SESSION_MAX_SECONDS;
	if (valid) {
		st = users_get_by_id(c, uid, &out->user);
		if (st == ST_NOT_FOUND || (st == ST_OK && out->user.disabled))
			valid = false;
		else if (st != ST_OK)
			goto fail;
	}
	if (!valid) {
		/* Housekeeping only; the answer is the same if it fails. */
		if (exec_text(c, SQL_SESSION_DELETE, th) != ST_OK)
			log_warn("auth: cannot delete an ended session: %s", db_errmsg(c));
		st = ST_UNAUTH;
		goto fail;
	}
	if (now - last_seen >= TOUCH_EVERY_SECONDS) {
		if ((st = db_prepare(c, SQL_SESSION_TOUCH, &s)) == ST_OK) {
			db_bind_text(s, 1, th);
			db_bind_int(s, 2, now);
			st = db_exec_stmt(s);
			db_done(s);
		}
		/* A busy database must not turn a valid session away; the next request retries. */
		if (st != ST_OK)
			log_warn("auth: cannot update a session's last use: %s", status_name(st));
	}
	memcpy(out->token, token, AUTH_TOKEN_HEX);
	return ST_OK;
fail:
	memset(out, 0, sizeof *out);
	return st;
}

enum status auth_logout(struct db_conn *c, struct audit *a, const struct auth_session *s,
			const char *address)
{
	char th[SHA256_HEX];
	if (!s || !token_hash(s->token, th))
		return ST_UNAUTH;
	if (!address)
		address = "";
	json_t *detail = json_pack("{s:s%}", "session", th, (size_t)16);
	if (!detail)
		return ST_NOMEM;
	enum status st = db_begin(c);
	if (st != ST_OK)
		goto out;
	if ((st = exec_text(c, SQL_SESSION_DELETE, th)) != ST_OK)
		goto rollback;
	if (db_changes(c) > 0) { /* an already ended session is not logged out twice */
		char idbuf[24];
		snprintf(idbuf, sizeof idbuf, "%lld", (long long)s->user.id);
		struct audit_event ev = {
			.actor_id = s->user.id,
			.actor = s->user.username,
			.address = address,
			.action = "logout",
			.object_type = "user",
			.object_id = idbuf,
			.detail = detail,
		};
		if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
			goto rollback;
	}
	st = db_commit(c);
	goto out;
rollback:
	db_rollback(c);
out:
	json_decref(detail);
	return st;
}

bool auth_csrf_ok(const struct auth_session *s, const char *given, size_t given_len)
{
	if (!s || !given)
		return false;
	size_t n = strnlen(s->csrf, sizeof s->csrf);
	/* The length is public (always 64); only the contents are compared in constant time. */
	if (n != 2 * TOKEN_BYTES || given_len != n)
		return false;
	return sodium_memcmp(s->csrf, given, n) == 0;
}
