/* Passwords, sessions, CSRF and login throttling (domain/auth.c) against a real SQLite database
 * and audit trail in a temporary directory. Argon2id costs ~0.1 s a hash: tests hash sparingly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/users.h"
#include "sidang_limits.h"
#include "store/db.h"
#include "util/clock.h"
#include "util/hex.h"

#define PASSWORD "correct horse battery staple"

struct fx {
	FX_FIELDS;
	int64_t users;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	FX_OPEN(f, "auth", 1);
	clock_set_offset(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	clock_set_offset(0);
	FX_CLOSE(f);
	free(f);
	return 0;
}

static const struct actor cli = {0, "cli", "cli"};

static int64_t make_user(struct fx *f, const char *name, const char *password)
{
	static const char *const roles[] = {"pengelola_naskah", NULL};
	struct user_new nu = {.username = name, .roles = roles, .password = password};
	char err[256];
	int64_t id = 0;
	assert_int_equal(users_create(f->c, f->a, &cli, &nu, &id, err, sizeof err), ST_OK);
	assert_true(id > 0);
	return id;
}

static int64_t count(struct fx *f, enum sql_id id, const char *key)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, id, &s), ST_OK);
	if (key) {
		db_bind_text(s, 1, key);
		db_bind_int(s, 2, 0);
	}
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	int64_t n = db_col_int(s, 0);
	db_done(s);
	return n;
}

static int64_t audit_rows(struct fx *f) { return count(f, SQL_AUDIT_COUNT, NULL); }

static void assert_trail_whole(struct fx *f, int64_t entries)
{
	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
	assert_int_equal(res.entries, entries);
	assert_int_equal(audit_rows(f), entries);
}

/* The action of audit entry SEQ, into OUT. */
static void audit_action(struct fx *f, int64_t seq, char *out, size_t n, char *detail, size_t dn)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_SCAN, &s), ST_OK);
	db_bind_int(s, 1, seq);
	db_bind_int(s, 2, 1);
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	snprintf(out, n, "%s", db_col_text(s, 5));
	if (detail)
		snprintf(detail, dn, "%s", db_col_text(s, 8));
	db_done(s);
}

static void assert_last_action(struct fx *f, const char *action, const char *detail_part)
{
	char got[64], detail[512];
	audit_action(f, audit_rows(f), got, sizeof got, detail, sizeof detail);
	assert_string_equal(got, action);
	if (detail_part && !strstr(detail, detail_part))
		fail_msg("audit detail %s lacks %s", detail, detail_part);
	assert_null(strstr(detail, PASSWORD));
	assert_null(strstr(detail, "$argon2"));
}

static bool is_hex64(const char *s) { return hex_is_sha256(s); }

/* --- passwords --------------------------------------------------------------------------- */

static void test_password_hash_verify(void **state)
{
	(void)state;
	char h1[AUTH_PASSWORD_HASH_BYTES], h2[AUTH_PASSWORD_HASH_BYTES];
	assert_int_equal(auth_password_hash(PASSWORD, h1, sizeof h1), ST_OK);
	assert_int_equal(auth_password_hash(PASSWORD, h2, sizeof h2), ST_OK);
	assert_true(strncmp(h1, "$argon2id$", 10) == 0);
	assert_string_not_equal(h1, h2); /* a fresh salt each time */
	assert_true(auth_password_verify(PASSWORD, h1));
	assert_true(auth_password_verify(PASSWORD, h2));
	assert_false(auth_password_verify("correct horse battery stapler", h1));
	assert_false(auth_password_verify("", h1));
	assert_false(auth_password_verify(PASSWORD, "not a hash"));
	assert_false(auth_password_verify(PASSWORD, NULL));
	assert_false(auth_password_verify(NULL, h1));
	char small[32];
	assert_int_equal(auth_password_hash(PASSWORD, small, sizeof small), ST_INVALID);
}

/* --- sessions ---------------------------------------------------------------------------- */

static void test_session_lifecycle(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "alice", PASSWORD);
	struct auth_session s, g;
	int64_t retry = -1;
	assert_int_equal(auth_login(f->c, f->a, "alice", PASSWORD, "192.0.2.1", &s, &retry), ST_OK);
	assert_int_equal(retry, 0);
	assert_true(is_hex64(s.token));
	assert_true(is_hex64(s.csrf));
	assert_string_not_equal(s.token, s.csrf);
	assert_int_equal(s.user.id, id);
	assert_string_equal(s.user.username, "alice");
	assert_true(user_has_role(&s.user, "pengelola_naskah"));
	assert_last_action(f, "login", "\"session\"");

	/* The database holds the token's hash, not the token. */
	char th[SHA256_HEX];
	sha256_hex(s.token, 64, th);
	struct db_stmt *st;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_SESSION_GET, &st), ST_OK);
	db_bind_text(st, 1, s.token);
	assert_int_equal(db_step(st, &row), ST_OK);
	assert_false(row);
	db_done(st);
	assert_int_equal(db_prepare(f->c, SQL_SESSION_GET, &st), ST_OK);
	db_bind_text(st, 1, th);
	assert_int_equal(db_step(st, &row), ST_OK);
	assert_true(row);
	db_done(st);

	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	assert_string_equal(g.token, s.token);
	assert_string_equal(g.csrf, s.csrf);
	assert_int_equal(g.user.id, id);
	assert_true(user_has_role(&g.user, "pengelola_naskah"));

	/* Malformed and unknown tokens. */
	char upper[AUTH_TOKEN_HEX];
	memcpy(upper, s.token, sizeof upper);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	char other[AUTH_TOKEN_HEX];
	memcpy(other, s.token, sizeof other);
	other[0] = other[0] == '0' ? '1' : '0';
	assert_int_equal(auth_session_get(f->c, NULL, &g), ST_UNAUTH);
	assert_int_equal(auth_session_get(f->c, "", &g), ST_UNAUTH);
	assert_int_equal(auth_session_get(f->c, "abc", &g), ST_UNAUTH);
	assert_int_equal(auth_session_get(f->c, other, &g), ST_UNAUTH);
	assert_int_equal(auth_session_get(f->c, th, &g), ST_UNAUTH); /* the stored hash is no key */
	if (strcmp(upper, s.token) != 0)
		assert_int_equal(auth_session_get(f->c, upper, &g), ST_UNAUTH);
	assert_int_equal(g.user.id, 0); /* cleared on failure */

	assert_int_equal(auth_logout(f->c, f->a, &s, "192.0.2.1"), ST_OK);
	assert_last_action(f, "logout", "\"session\"");
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
	/* A second logout finds nothing and writes nothing. */
	assert_int_equal(auth_logout(f->c, f->a, &s, "192.0.2.1"), ST_OK);
	assert_trail_whole(f, 3); /* user.create, login, logout */
}

static void test_session_idle_timeout(void **state)
{
	struct fx *f = *state;
	make_user(f, "budi", PASSWORD);
	struct auth_session s, g;
	assert_int_equal(auth_login(f->c, f->a, "budi", PASSWORD, "192.0.2.2", &s, NULL), ST_OK);
	/* Each use within the idle limit moves it on. */
	clock_set_offset(LIMIT_SESSION_IDLE_SECONDS - 100);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	clock_set_offset(2 * (LIMIT_SESSION_IDLE_SECONDS - 100));
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	/* Then an idle spell of just over the limit ends it. */
	clock_set_offset(3 * (LIMIT_SESSION_IDLE_SECONDS - 100) + 110);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
	/* ... for good, even if the clock went back. */
	clock_set_offset(0);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
	assert_trail_whole(f, 2);
}

static void test_session_touch_rate(void **state)
{
	struct fx *f = *state;
	make_user(f, "citra", PASSWORD);
	struct auth_session s, g;
	assert_int_equal(auth_login(f->c, f->a, "citra", PASSWORD, "192.0.2.3", &s, NULL), ST_OK);
	char th[SHA256_HEX];
	sha256_hex(s.token, 64, th);
	int64_t t0 = clock_now();
	/* Within a minute, last_seen stays; after one, it moves. */
	clock_set_offset(30);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	struct db_stmt *st;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_SESSION_GET, &st), ST_OK);
	db_bind_text(st, 1, th);
	assert_int_equal(db_step(st, &row), ST_OK);
	assert_true(row);
	int64_t seen = db_col_int(st, 3);
	db_done(st);
	assert_true(seen <= t0 + 5);
	clock_set_offset(120);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	assert_int_equal(db_prepare(f->c, SQL_SESSION_GET, &st), ST_OK);
	db_bind_text(st, 1, th);
	assert_int_equal(db_step(st, &row), ST_OK);
	assert_true(row);
	seen = db_col_int(st, 3);
	db_done(st);
	assert_true(seen >= t0 + 120);
}

static void test_session_max_age(void **state)
{
	struct fx *f = *state;
	make_user(f, "dewi", PASSWORD);
	struct auth_session s, g;
	assert_int_equal(auth_login(f->c, f->a, "dewi", PASSWORD, "192.0.2.4", &s, NULL), ST_OK);
	/* Used every 4 hours, it never idles out, but it does not outlive the maximum age. */
	const int64_t step = 4 * 3600;
	int64_t off;
	for (off = step; off < LIMIT_SESSION_MAX_SECONDS - 100; off += step) {
		clock_set_offset(off);
		assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	}
	clock_set_offset(LIMIT_SESSION_MAX_SECONDS - 100);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_OK);
	clock_set_offset(LIMIT_SESSION_MAX_SECONDS + 100);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
}

static void set_disabled_raw(struct fx *f, int64_t id, int v)
{
	struct db_stmt *s;
	assert_int_equal(db_prepare(f->c, SQL_USER_SET_DISABLED, &s), ST_OK);
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, v);
	assert_int_equal(db_exec_stmt(s), ST_OK);
	db_done(s);
}

static void test_disabled_user(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "eko", PASSWORD);
	struct auth_session s, s2, g;
	assert_int_equal(auth_login(f->c, f->a, "eko", PASSWORD, "192.0.2.5", &s, NULL), ST_OK);
	assert_int_equal(auth_login(f->c, f->a, "eko", PASSWORD, "192.0.2.5", &s2, NULL), ST_OK);
	/* The flag alone (sessions left in place) is enough to turn a session away. */
	set_disabled_raw(f, id, 1);
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
	set_disabled_raw(f, id, 0);
	assert_int_equal(auth_session_get(f->c, s2.token, &g), ST_OK);
	/* users_set_disabled ends the sessions too: enabling again does not bring them back. */
	assert_int_equal(users_set_disabled(f->c, f->a, &cli, "eko", true), ST_OK);
	assert_last_action(f, "user.disable", "\"sessions_ended\":1");
	assert_int_equal(users_set_disabled(f->c, f->a, &cli, "eko", false), ST_OK);
	assert_last_action(f, "user.enable", "\"eko\"");
	assert_int_equal(auth_session_get(f->c, s2.token, &g), ST_UNAUTH);
	/* A disabled account cannot log in, even with the right password. */
	assert_int_equal(users_set_disabled(f->c, f->a, &cli, "eko", true), ST_OK);
	assert_int_equal(auth_login(f->c, f->a, "eko", PASSWORD, "192.0.2.5", &s, NULL), ST_UNAUTH);
	assert_last_action(f, "login.fail", "\"reason\":\"disabled\"");
	/* create, 2 logins, disable, enable, disable, login.fail */
	assert_trail_whole(f, 7);
}

/* --- CSRF -------------------------------------------------------------------------------- */

static void test_csrf(void **state)
{
	(void)state;
	struct auth_session s;
	memset(&s, 0, sizeof s);
	/* With no token in the session, nothing matches, not even nothing. */
	assert_false(auth_csrf_ok(&s, "", 0));
	assert_false(auth_csrf_ok(&s, NULL, 0));
	memcpy(s.csrf, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 65);
	char given[80];
	memcpy(given, s.csrf, 65);
	assert_true(auth_csrf_ok(&s, given, 64));
	given[63] = 'e';
	assert_false(auth_csrf_ok(&s, given, 64));
	given[63] = 'f';
	given[0] = '1';
	assert_false(auth_csrf_ok(&s, given, 64));
	given[0] = '0';
	assert_false(auth_csrf_ok(&s, "", 0));
	assert_false(auth_csrf_ok(&s, NULL, 64));
	assert_false(auth_csrf_ok(&s, given, 63)); /* a prefix */
	given[64] = 'x';
	assert_false(auth_csrf_ok(&s, given, 65)); /* the token and more */
	assert_false(auth_csrf_ok(NULL, given, 64));
}

/* --- throttling -------------------------------------------------------------------------- */

static void test_throttle_account(void **state)
{
	struct fx *f = *state;
	make_user(f, "fajar", PASSWORD);
	struct auth_session s;
	int64_t retry = -1;
	for (int i = 0; i < LIMIT_LOGIN_FAILS_PER_ACCOUNT; i++) {
		/* From different addresses: the account's own limit applies. */
		char addr[32];
		snprintf(addr, sizeof addr, "198.51.100.%d", i + 1);
		assert_int_equal(auth_login(f->c, f->a, "fajar", "wrong password!", addr, &s, &retry),
				 ST_UNAUTH);
		assert_int_equal(retry, 0);
	}
	assert_last_action(f, "login.fail", "\"reason\":\"wrong_password\"");
	int64_t rows = audit_rows(f);
	/* Even the right password is refused now, before it is checked, and nothing is recorded. */
	assert_int_equal(auth_login(f->c, f->a, "fajar", PASSWORD, "203.0.113.9", &s, &retry),
			 ST_THROTTLED);
	assert_true(retry >= LIMIT_LOGIN_WINDOW_SECONDS - 10 && retry <= LIMIT_LOGIN_WINDOW_SECONDS);
	assert_int_equal(audit_rows(f), rows);
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_USER, "fajar"), LIMIT_LOGIN_FAILS_PER_ACCOUNT);
	/* Other accounts are not affected. */
	assert_int_equal(auth_login(f->c, f->a, "nobody", "wrong password!", "203.0.113.9", &s, NULL),
			 ST_UNAUTH);
	assert_last_action(f, "login.fail", "\"reason\":\"unknown_user\"");
	/* Still throttled a little before the oldest failure leaves the window... */
	clock_set_offset(retry - 5);
	int64_t retry2 = -1;
	assert_int_equal(auth_login(f->c, f->a, "fajar", PASSWORD, "203.0.113.9", &s, &retry2),
			 ST_THROTTLED);
	if (!(retry2 >= 1 && retry2 <= 5))
		fail_msg("retry %lld, then %lld", (long long)retry, (long long)retry2);
	/* ... and free once it has. */
	clock_set_offset(retry);
	assert_int_equal(auth_login(f->c, f->a, "fajar", PASSWORD, "203.0.113.9", &s, &retry), ST_OK);
	assert_int_equal(retry, 0);
	/* A success clears the account's failures. */
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_USER, "fajar"), 0);
	/* create, 5 failures, the unknown user, login */
	assert_trail_whole(f, 8);
}

static void insert_failure(struct fx *f, const char *user, const char *addr, int64_t at)
{
	struct db_stmt *s;
	assert_int_equal(db_prepare(f->c, SQL_LOGIN_FAIL_INSERT, &s), ST_OK);
	db_bind_text(s, 1, user);
	db_bind_text(s, 2, addr);
	db_bind_int(s, 3, at);
	assert_int_equal(db_exec_stmt(s), ST_OK);
	db_done(s);
}

static void test_throttle_address(void **state)
{
	struct fx *f = *state;
	make_user(f, "gita", PASSWORD);
	struct auth_session s;
	int64_t retry = -1, now = clock_now();
	/* Password spraying: one address, many names. Recorded directly to spare the hashing. */
	for (int i = 0; i < LIMIT_LOGIN_FAILS_PER_ADDRESS - 1; i++) {
		char name[32];
		snprintf(name, sizeof name, "spray%d", i);
		insert_failure(f, name, "198.51.100.77", now - 60);
	}
	assert_int_equal(auth_login(f->c, f->a, "spray-last", "wrong password!", "198.51.100.77", &s,
				    &retry),
			 ST_UNAUTH);
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_IP, "198.51.100.77"),
			 LIMIT_LOGIN_FAILS_PER_ADDRESS);
	/* The address is throttled for every name, including a real one with its right password. */
	assert_int_equal(auth_login(f->c, f->a, "gita", PASSWORD, "198.51.100.77", &s, &retry),
			 ST_THROTTLED);
	assert_true(retry >= LIMIT_LOGIN_WINDOW_SECONDS - 70 && retry <= LIMIT_LOGIN_WINDOW_SECONDS - 60);
	/* From elsewhere the account is fine. */
	assert_int_equal(auth_login(f->c, f->a, "gita", PASSWORD, "198.51.100.78", &s, &retry), ST_OK);
	/* Failures out of the window no longer count. */
	clock_set_offset(LIMIT_LOGIN_WINDOW_SECONDS);
	assert_int_equal(auth_login(f->c, f->a, "gita", PASSWORD, "198.51.100.77", &s, &retry), ST_OK);
	/* Logins prune what the window has left behind. */
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_IP, "198.51.100.77"), 0);
	assert_trail_whole(f, 4); /* create, the failure, 2 logins */
}

#define RACERS 8

struct racer {
	struct db *db;
	struct audit *a;
	pthread_barrier_t *start;
	int n;
	enum status st;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct db_conn *c = db_acquire(r->db);
	struct auth_session s;
	char addr[32];
	snprintf(addr, sizeof addr, "198.51.100.%d", r->n);
	pthread_barrier_wait(r->start);
	r->st = auth_login(c, r->a, "joko", "wrong password!", addr, &s, NULL);
	db_release(r->db, c);
	return NULL;
}

static void test_throttle_parallel(void **state)
{
	struct fx *f = *state;
	make_user(f, "joko", PASSWORD);
	/* Guesses sent at once are counted under the write lock before any is checked, so no more
	 * than the limit get a password checked, however many arrive together. */
	struct db *db;
	assert_int_equal(db_open(f->path, false, RACERS, &db), ST_OK);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	struct racer r[RACERS];
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){.db = db, .a = f->a, .start = &start, .n = i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	int unauth = 0, throttled = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		unauth += r[i].st == ST_UNAUTH;
		throttled += r[i].st == ST_THROTTLED;
	}
	pthread_barrier_destroy(&start);
	db_close(db);
	assert_int_equal(unauth, LIMIT_LOGIN_FAILS_PER_ACCOUNT);
	assert_int_equal(throttled, RACERS - LIMIT_LOGIN_FAILS_PER_ACCOUNT);
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_USER, "joko"), LIMIT_LOGIN_FAILS_PER_ACCOUNT);
	assert_trail_whole(f, 1 + LIMIT_LOGIN_FAILS_PER_ACCOUNT);
}

static void test_login_refused_early(void **state)
{
	struct fx *f = *state;
	struct auth_session s;
	char longname[LIMIT_USERNAME_BYTES + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	/* Names no account can have: refused without recording or hashing. */
	assert_int_equal(auth_login(f->c, f->a, longname, PASSWORD, "192.0.2.9", &s, NULL), ST_UNAUTH);
	assert_int_equal(auth_login(f->c, f->a, "Alice", PASSWORD, "192.0.2.9", &s, NULL), ST_UNAUTH);
	assert_int_equal(auth_login(f->c, f->a, "", PASSWORD, "192.0.2.9", &s, NULL), ST_UNAUTH);
	assert_int_equal(auth_login(f->c, f->a, NULL, PASSWORD, "192.0.2.9", &s, NULL), ST_UNAUTH);
	assert_int_equal(auth_login(f->c, f->a, "alice", NULL, "192.0.2.9", &s, NULL), ST_UNAUTH);
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_IP, "192.0.2.9"), 0);
	assert_trail_whole(f, 0);
	/* A password longer than any account may have is a recorded failure, without a hash. */
	char *huge = malloc(LIMIT_PASSWORD_BYTES + 2);
	assert_non_null(huge);
	memset(huge, 'p', LIMIT_PASSWORD_BYTES + 1);
	huge[LIMIT_PASSWORD_BYTES + 1] = '\0';
	assert_int_equal(auth_login(f->c, f->a, "alice", huge, "192.0.2.9", &s, NULL), ST_UNAUTH);
	free(huge);
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_IP, "192.0.2.9"), 1);
	assert_trail_whole(f, 1);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_unknown_user_costs_a_hash(void **state)
{
	struct fx *f = *state;
	make_user(f, "hadi", PASSWORD);
	struct auth_session s;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(auth_login(f->c, f->a, "hadi", "wrong password!", "192.0.2.10", &s, NULL),
			 ST_UNAUTH);
	double known = seconds_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(auth_login(f->c, f->a, "hadix", "wrong password!", "192.0.2.10", &s, NULL),
			 ST_UNAUTH);
	double unknown = seconds_since(&t0);
	/* Loose bounds: an Argon2id verification with 64 MiB is never this quick. */
	if (unknown < 0.3 * known || unknown < 0.005)
		fail_msg("unknown user took %.3f s, known %.3f s", unknown, known);
}

static void test_rehash_on_login(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "indah", PASSWORD);
	/* A hash made with weaker limits, as an older release might have stored. */
	char weak[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str(weak, PASSWORD, strlen(PASSWORD),
					   crypto_pwhash_OPSLIMIT_MIN, 8192 * 1024),
			 0);
	struct db_stmt *st;
	assert_int_equal(db_prepare(f->c, SQL_USER_SET_PASSWORD, &st), ST_OK);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, weak);
	assert_int_equal(db_exec_stmt(st), ST_OK);
	db_done(st);
	struct auth_session s;
	assert_int_equal(auth_login(f->c, f->a, "indah", PASSWORD, "192.0.2.11", &s, NULL), ST_OK);
	assert_last_action(f, "login", "\"rehashed\":true");
	struct user u;
	char *hash = NULL;
	assert_int_equal(users_get_by_name(f->c, "indah", &u, &hash), ST_OK);
	assert_string_not_equal(hash, weak);
	assert_int_equal(crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
							crypto_pwhash_MEMLIMIT_INTERACTIVE),
			 0);
	assert_true(auth_password_verify(PASSWORD, hash));
	free(hash);
	assert_trail_whole(f, 2);
}

/* --- an account that changes while its password is being verified --------------------------- */

#define NEW_PASSWORD "a brand new passphrase"

enum change { CHANGE_PASSWORD, CHANGE_DISABLE };

struct change_ctx {
	struct db *db; /* a second handle: another request's connection */
	struct audit *a;
	const char *username;
	enum change what;
	int calls;
};

/* Runs between auth_login's Argon2id verification and its session transaction, as a password
 * change or a disable committed by another request in that window would. */
static void change_account(void *arg)
{
	struct change_ctx *x = arg;
	struct db_conn *c = db_acquire(x->db);
	char err[256];
	x->calls++;
	if (x->what == CHANGE_PASSWORD)
		assert_int_equal(users_set_password(c, x->a, &cli, x->username, NEW_PASSWORD, err,
						    sizeof err),
				 ST_OK);
	else
		assert_int_equal(users_set_disabled(c, x->a, &cli, x->username, true), ST_OK);
	db_release(x->db, c);
}

static void login_during_change(struct fx *f, const char *name, enum change what,
				const char *reason)
{
	struct change_ctx x = {.a = f->a, .username = name, .what = what};
	assert_int_equal(db_open(f->path, false, 1, &x.db), ST_OK);
	auth_test_set_after_verify(change_account, &x);
	struct auth_session s;
	enum status st = auth_login(f->c, f->a, name, PASSWORD, "192.0.2.20", &s, NULL);
	auth_test_set_after_verify(NULL, NULL);
	db_close(x.db);
	assert_int_equal(x.calls, 1);
	/* The old password's session must not outlive the change made while it was checked. */
	assert_int_equal(st, ST_UNAUTH);
	assert_string_equal(s.token, "");
	char want[64];
	snprintf(want, sizeof want, "\"reason\":\"%s\"", reason);
	assert_last_action(f, "login.fail", want);
	/* It counts as a failed attempt: the reservation stays. */
	assert_int_equal(count(f, SQL_LOGIN_FAIL_COUNT_USER, name), 1);
}

static int64_t sessions_of(struct fx *f, int64_t uid)
{
	/* Deleting them is the only per-user statement; the test is over with them anyway. */
	struct db_stmt *st;
	assert_int_equal(db_prepare(f->c, SQL_SESSION_DELETE_USER, &st), ST_OK);
	db_bind_int(st, 1, uid);
	assert_int_equal(db_exec_stmt(st), ST_OK);
	db_done(st);
	return db_changes(f->c);
}

static void test_password_changed_during_login(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "kartika", PASSWORD);
	login_during_change(f, "kartika", CHANGE_PASSWORD, "password_changed");
	assert_int_equal(sessions_of(f, id), 0);
	struct auth_session s;
	assert_int_equal(auth_login(f->c, f->a, "kartika", PASSWORD, "192.0.2.20", &s, NULL),
			 ST_UNAUTH);
	assert_int_equal(auth_login(f->c, f->a, "kartika", NEW_PASSWORD, "192.0.2.20", &s, NULL),
			 ST_OK);
	/* create, password, login.fail (the race), login.fail (old password), login */
	assert_trail_whole(f, 5);
}

static void test_disabled_during_login(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "lestari", PASSWORD);
	login_during_change(f, "lestari", CHANGE_DISABLE, "disabled");
	assert_int_equal(sessions_of(f, id), 0);
	assert_trail_whole(f, 3); /* create, disable, login.fail */
}

static void set_hash_raw(struct fx *f, int64_t id, const char *hash)
{
	struct db_stmt *st;
	assert_int_equal(db_prepare(f->c, SQL_USER_SET_PASSWORD, &st), ST_OK);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, hash);
	assert_int_equal(db_exec_stmt(st), ST_OK);
	db_done(st);
}

static char *stored_hash(struct fx *f, const char *name)
{
	struct user u;
	char *hash = NULL;
	assert_int_equal(users_get_by_name(f->c, name, &u, &hash), ST_OK);
	return hash;
}

static void test_rehash_never_overwrites_a_new_password(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "mawar", PASSWORD);
	char weak[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str(weak, PASSWORD, strlen(PASSWORD),
					   crypto_pwhash_OPSLIMIT_MIN, 8192 * 1024),
			 0);
	set_hash_raw(f, id, weak);
	/* The login verifies against the weak hash and computes a rehash of the OLD password; the
	 * password changes before it is stored. */
	login_during_change(f, "mawar", CHANGE_PASSWORD, "password_changed");
	char *hash = stored_hash(f, "mawar");
	assert_true(auth_password_verify(NEW_PASSWORD, hash));
	assert_false(auth_password_verify(PASSWORD, hash));
	free(hash);
	assert_int_equal(sessions_of(f, id), 0);
}

static void test_rehash_statement_is_conditional(void **state)
{
	struct fx *f = *state;
	int64_t id = make_user(f, "nanda", PASSWORD);
	char *before = stored_hash(f, "nanda");
	struct db_stmt *st;
	/* Expecting another hash than the stored one: nothing changes. */
	assert_int_equal(db_prepare(f->c, SQL_USER_REHASH, &st), ST_OK);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, "$argon2id$replacement");
	db_bind_text(st, 3, "$argon2id$not-the-stored-one");
	assert_int_equal(db_exec_stmt(st), ST_OK);
	db_done(st);
	assert_int_equal(db_changes(f->c), 0);
	char *now = stored_hash(f, "nanda");
	assert_string_equal(now, before);
	free(now);
	/* Expecting the stored one: replaced. */
	assert_int_equal(db_prepare(f->c, SQL_USER_REHASH, &st), ST_OK);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, "$argon2id$replacement");
	db_bind_text(st, 3, before);
	assert_int_equal(db_exec_stmt(st), ST_OK);
	db_done(st);
	assert_int_equal(db_changes(f->c), 1);
	now = stored_hash(f, "nanda");
	assert_string_equal(now, "$argon2id$replacement");
	free(now);
	free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_hash_verify),
		cmocka_unit_test_setup_teardown(test_session_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_touch_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test_setup_teardown(test_throttle_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_refused_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_user_costs_a_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehash_on_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_changed_during_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_during_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehash_never_overwrites_a_new_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rehash_statement_is_conditional, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
