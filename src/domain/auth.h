/*
 * Passwords (Argon2id through libsodium), sessions, CSRF tokens and login throttling.
 * A session token is 32 random bytes, sent to the browser as 64 hex digits; the database keeps
 * only its SHA-256, so a copy of the database does not hold usable tokens.
 */
#ifndef SIDANG_DOMAIN_AUTH_H
#define SIDANG_DOMAIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/users.h"
#include "store/db.h"
#include "util/status.h"

#define AUTH_TOKEN_HEX 65 /* 64 hex digits and NUL */
#define AUTH_PASSWORD_HASH_BYTES 128 /* crypto_pwhash_STRBYTES: an Argon2id hash string and NUL */

/* Hashes PASSWORD with Argon2id (interactive limits) into OUT (crypto_pwhash_STRBYTES). */
enum status auth_password_hash(const char *password, char *out, size_t outlen);
/* Constant-time check of PASSWORD against an Argon2id hash string. */
bool auth_password_verify(const char *password, const char *hash);

struct auth_session {
	char token[AUTH_TOKEN_HEX]; /* the cookie value: only known at login */
	char csrf[AUTH_TOKEN_HEX];
	struct user user;
};

/* Checks USERNAME/PASSWORD, applying the throttle (LIMIT_LOGIN_FAILS_* within
 * LIMIT_LOGIN_WINDOW_SECONDS, per account and per ADDRESS) before the password is even hashed.
 * Each attempt let through is recorded as a failure (in the transaction that counted the earlier
 * ones, so parallel guesses cannot exceed the limit) before the password is checked; a success
 * clears the account's failures, creates a session (*out) and audits "login"; a failure audits
 * "login.fail". A USERNAME that no account can have (users_username_valid) is refused at once,
 * unrecorded. Returns ST_OK, ST_UNAUTH (wrong name, wrong password or disabled, alike),
 * ST_THROTTLED (*retry_after_out seconds, ≥ 1; RETRY_AFTER_OUT may be NULL), or an I/O status. */
enum status auth_login(struct db_conn *c, struct audit *a, const char *username,
		       const char *password, const char *address, struct auth_session *out,
		       int64_t *retry_after_out);
/* Looks up the session of a cookie TOKEN: ST_UNAUTH when not 64 lower-case hex digits, unknown,
 * idle longer than LIMIT_SESSION_IDLE_SECONDS, older than LIMIT_SESSION_MAX_SECONDS, or its user
 * disabled (an ended session is deleted). Updates last_seen at most once a minute; a failure to
 * do so is logged, not returned. Fills OUT (token copied, csrf, user with roles); zeroed on error. */
enum status auth_session_get(struct db_conn *c, const char *token, struct auth_session *out);
/* Ends session S (audited as "logout"; an already ended one is ST_OK and not audited). */
enum status auth_logout(struct db_conn *c, struct audit *a, const struct auth_session *s,
			const char *address);
/* Constant-time comparison of the CSRF header value (GIVEN, GIVEN_LEN bytes) with the session's. */
bool auth_csrf_ok(const struct auth_session *s, const char *given, size_t given_len);

/* Tests only (never set by the server): FN(CTX) runs inside auth_login after a successful
 * password verification and before the transaction that creates the session, with no
 * transaction open, so a test can change the account in that window. NULL removes it. */
void auth_test_set_after_verify(void (*fn)(void *ctx), void *ctx);

#endif
