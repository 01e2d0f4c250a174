/* Accounts and roles (domain/users.c) against a real SQLite database and audit trail in a
 * temporary directory. Validation errors are checked before any password is hashed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/users.h"
#include "sidang_limits.h"
#include "store/db.h"
#include "util/clock.h"

#define PASSWORD "correct horse battery staple"

struct fx {
	FX_FIELDS;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	FX_OPEN(f, "users", 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	FX_CLOSE(f);
	free(f);
	return 0;
}

static const struct actor admin = {1, "root", "192.0.2.1"};

static int64_t audit_rows(struct fx *f)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_COUNT, &s), ST_OK);
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	int64_t n = db_col_int(s, 0);
	db_done(s);
	return n;
}

/* Checks the chain, its length, and that no entry holds a password or a hash. */
static void assert_trail(struct fx *f, int64_t entries)
{
	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
	assert_int_equal(res.entries, entries);
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_SCAN, &s), ST_OK);
	db_bind_int(s, 1, 1);
	db_bind_int(s, 2, 1000);
	int64_t n = 0;
	while (db_step(s, &row) == ST_OK && row) {
		const char *detail = db_col_text(s, 8);
		assert_null(strstr(detail, PASSWORD));
		assert_null(strstr(detail, "new password 1"));
		assert_null(strstr(detail, "$argon2"));
		assert_string_equal(db_col_text(s, 6), "user");
		n++;
	}
	db_done(s);
	assert_int_equal(n, entries);
}

/* The action and detail of the last entry. */
static void assert_last(struct fx *f, const char *action, const char *detail_part)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_SCAN, &s), ST_OK);
	db_bind_int(s, 1, audit_rows(f));
	db_bind_int(s, 2, 1);
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	assert_string_equal(db_col_text(s, 5), action);
	assert_string_equal(db_col_text(s, 3), "root");
	const char *detail = db_col_text(s, 8);
	if (detail_part && !strstr(detail, detail_part))
		fail_msg("audit detail %s lacks %s", detail, detail_part);
	db_done(s);
}

static void test_classification(void **state)
{
	(void)state;
	for (int i = CLASS_BIASA; i <= CLASS_SANGAT_RAHASIA; i++) {
		enum classification c;
		assert_true(classification_parse(classification_name((enum classification)i), &c));
		assert_int_equal(c, i);
	}
	enum classification c = CLASS_BIASA;
	assert_string_equal(classification_name(CLASS_SANGAT_RAHASIA), "sangat_rahasia");
	assert_false(classification_parse("Rahasia", &c));
	assert_false(classification_parse("", &c));
	assert_false(classification_parse(NULL, &c));
}

static void test_username_syntax(void **state)
{
	(void)state;
	char max[LIMIT_USERNAME_BYTES + 2];
	memset(max, 'x', LIMIT_USERNAME_BYTES);
	max[LIMIT_USERNAME_BYTES] = '\0';
	assert_true(users_username_valid(max));
	max[LIMIT_USERNAME_BYTES] = 'x';
	max[LIMIT_USERNAME_BYTES + 1] = '\0';
	assert_false(users_username_valid(max));
	assert_true(users_username_valid("a"));
	assert_true(users_username_valid("9"));
	assert_true(users_username_valid("siti.aminah_2-b"));
	assert_false(users_username_valid(""));
	assert_false(users_username_valid(NULL));
	assert_false(users_username_valid(".siti"));
	assert_false(users_username_valid("-siti"));
	assert_false(users_username_valid("_siti"));
	assert_false(users_username_valid("Siti"));
	assert_false(users_username_valid("siti aminah"));
	assert_false(users_username_valid("siti@kemen"));
	assert_false(users_username_valid("s\xc3\xadti"));
}

static void expect_invalid(struct fx *f, const struct user_new *nu, const char *field, int line)
{
	char err[256] = "untouched", want[64];
	int64_t id = -1;
	enum status st = users_create(f->c, f->a, &admin, nu, &id, err, sizeof err);
	snprintf(want, sizeof want, "field '%s': ", field);
	if (st != ST_INVALID || strncmp(err, want, strlen(want)) != 0)
		fail_msg("line %d: status %s, error \"%s\", wanted \"%s...\"", line, status_name(st),
			 err, want);
	assert_int_equal(id, 0);
}

static void test_create_validation(void **state)
{
	struct fx *f = *state;
	static const char *const roles1[] = {"admin", NULL};
	static const char *const none[] = {NULL};
	static const char *const dup[] = {"admin", "admin", NULL};
	static const char *const odd[] = {"Admin", NULL};
	static const char *const nine[] = {"admin", "auditor", "reader", "karo_hph",
					   "kabag_persidangan", "kasubbag_pengelolaan",
					   "pengelola_persidangan", "pengelola_naskah", "x", NULL};
	char longname[LIMIT_DISPLAY_NAME_BYTES + 2], longunit[LIMIT_SHORT_TEXT_BYTES + 2];
	char longpw[LIMIT_PASSWORD_BYTES + 2], longuser[LIMIT_USERNAME_BYTES + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	memset(longunit, 'u', sizeof longunit - 1);
	longunit[sizeof longunit - 1] = '\0';
	memset(longpw, 'p', sizeof longpw - 1);
	longpw[sizeof longpw - 1] = '\0';
	memset(longuser, 'a', sizeof longuser - 1);
	longuser[sizeof longuser - 1] = '\0';
	const struct user_new base = {.username = "siti", .roles = roles1, .password = PASSWORD};
	struct user_new nu;
#define BAD(field, change)                                 \
	do {                                               \
		nu = base;                                 \
		change;                                    \
		expect_invalid(f, &nu, field, __LINE__);   \
	} while (0)
	BAD("username", nu.username = "");
	BAD("username", nu.username = NULL);
	BAD("username", nu.username = "Siti");
	BAD("username", nu.username = ".siti");
	BAD("username", nu.username = longuser);
	BAD("display_name", nu.display_name = "");
	BAD("display_name", nu.display_name = longname);
	BAD("display_name", nu.display_name = "Siti\nAminah");
	BAD("display_name", nu.display_name = "Siti\x7f");
	BAD("display_name", nu.display_name = "Siti \xc2\x85");     /* C1 NEL */
	BAD("display_name", nu.display_name = "Siti \xc0\xa0");     /* overlong */
	BAD("display_name", nu.display_name = "Siti \xed\xa0\x80"); /* surrogate */
	BAD("display_name", nu.display_name = "Siti \xe2\x82");     /* cut short */
	BAD("display_name", nu.display_name = "Siti \xf4\x90\x80\x80"); /* past U+10FFFF */
	BAD("nip", nu.nip = "19650101199003100");
	BAD("nip", nu.nip = "1965010119900310011");
	BAD("nip", nu.nip = "19650101199003100x");
	BAD("nip", nu.nip = " 196501011990031001");
	BAD("unit", nu.unit = longunit);
	BAD("unit", nu.unit = "Biro\tHPH");
	BAD("clearance", nu.clearance = (enum classification)4);
	BAD("clearance", nu.clearance = (enum classification)-1);
	BAD("roles", nu.roles = NULL);
	BAD("roles", nu.roles = none);
	BAD("roles", nu.roles = dup);
	BAD("roles", nu.roles = odd);
	BAD("roles", nu.roles = nine);
	BAD("password", nu.password = NULL);
	BAD("password", nu.password = "");
	BAD("password", nu.password = "123456789");
	BAD("password", nu.password = longpw);
#undef BAD
	assert_int_equal(audit_rows(f), 0);
	/* An unknown (well-formed) role is found in the database: nothing is written. */
	static const char *const unknown[] = {"admin", "superuser", NULL};
	nu = base;
	nu.roles = unknown;
	char err[256];
	assert_int_equal(users_create(f->c, f->a, &admin, &nu, NULL, err, sizeof err), ST_INVALID);
	assert_string_equal(err, "field 'roles': unknown role 'superuser'");
	struct user u;
	assert_int_equal(users_get_by_name(f->c, "siti", &u, NULL), ST_NOT_FOUND);
	/* The limits themselves are accepted. */
	longname[LIMIT_DISPLAY_NAME_BYTES] = '\0';
	longunit[LIMIT_SHORT_TEXT_BYTES] = '\0';
	longpw[LIMIT_PASSWORD_BYTES] = '\0';
	longuser[LIMIT_USERNAME_BYTES] = '\0';
	struct user_new max = {.username = longuser, .display_name = longname, .unit = longunit,
			       .nip = "196501011990031001", .clearance = CLASS_SANGAT_RAHASIA,
			       .roles = roles1, .password = longpw};
	assert_int_equal(users_create(f->c, f->a, &admin, &max, NULL, err, sizeof err), ST_OK);
	assert_int_equal(users_get_by_name(f->c, longuser, &u, NULL), ST_OK);
	assert_string_equal(u.display_name, longname);
	assert_string_equal(u.unit, longunit);
	assert_int_equal(u.clearance, CLASS_SANGAT_RAHASIA);
	assert_trail(f, 1);
}

static void test_create_and_get(void **state)
{
	struct fx *f = *state;
	static const char *const roles[] = {"reader", "kabag_persidangan", NULL};
	struct user_new nu = {.username = "siti.aminah",
			      .display_name = "Siti Aminah, S.H., M.Kn. \xe2\x80\x94 Biro HPH",
			      .nip = "196501011990031001",
			      .unit = "Bagian Persidangan",
			      .clearance = CLASS_RAHASIA,
			      .roles = roles,
			      .password = PASSWORD};
	char err[256];
	int64_t id = 0;
	int64_t before = clock_now();
	assert_int_equal(users_create(f->c, f->a, &admin, &nu, &id, err, sizeof err), ST_OK);
	assert_true(id > 0);
	assert_last(f, "user.create", "\"roles\":[\"reader\",\"kabag_persidangan\"]");
	assert_last(f, "user.create", "\"clearance\":\"rahasia\"");

	struct user u;
	char *hash = NULL;
	assert_int_equal(users_get_by_name(f->c, "siti.aminah", &u, &hash), ST_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.username, "siti.aminah");
	assert_string_equal(u.display_name, nu.display_name);
	assert_string_equal(u.nip, "196501011990031001");
	assert_string_equal(u.unit, "Bagian Persidangan");
	assert_int_equal(u.clearance, CLASS_RAHASIA);
	assert_false(u.disabled);
	assert_true(u.created_at >= before && u.created_at <= clock_now());
	/* Roles come in the table's order. */
	assert_int_equal(u.nroles, 2);
	assert_string_equal(u.roles[0], "kabag_persidangan");
	assert_string_equal(u.roles[1], "reader");
	assert_true(user_has_role(&u, "reader"));
	assert_false(user_has_role(&u, "admin"));
	assert_true(user_is_bureau(&u));
	assert_non_null(hash);
	assert_true(strncmp(hash, "$argon2id$", 10) == 0);
	assert_true(auth_password_verify(PASSWORD, hash));
	free(hash);

	struct user v;
	assert_int_equal(users_get_by_id(f->c, id, &v), ST_OK);
	assert_memory_equal(&u, &v, sizeof u);
	assert_int_equal(users_get_by_id(f->c, id + 100, &v), ST_NOT_FOUND);
	assert_int_equal(users_get_by_name(f->c, "nobody", &v, &hash), ST_NOT_FOUND);
	assert_null(hash);
	assert_int_equal(users_get_by_name(f->c, "Not Valid", &v, NULL), ST_NOT_FOUND);

	/* Defaults: the display name is the username; no NIP, no unit. */
	static const char *const reader[] = {"reader", NULL};
	struct user_new bare = {.username = "pic01", .nip = "", .roles = reader, .password = PASSWORD};
	assert_int_equal(users_create(f->c, f->a, &admin, &bare, NULL, err, sizeof err), ST_OK);
	assert_int_equal(users_get_by_name(f->c, "pic01", &u, NULL), ST_OK);
	assert_string_equal(u.display_name, "pic01");
	assert_string_equal(u.nip, "");
	assert_string_equal(u.unit, "");
	assert_int_equal(u.clearance, CLASS_BIASA);
	assert_false(user_is_bureau(&u));
	assert_last(f, "user.create", "\"nip\":null");

	/* A taken name. */
	int64_t id2 = -1;
	assert_int_equal(users_create(f->c, f->a, &admin, &nu, &id2, err, sizeof err), ST_CONFLICT);
	assert_int_equal(id2, 0);
	assert_string_equal(err, "field 'username': 'siti.aminah' is taken");
	assert_trail(f, 2);
}

static void test_bureau_roles_match_table(void **state)
{
	struct fx *f = *state;
	struct db_stmt *s;
	bool row;
	int sop = 0;
	assert_int_equal(db_prepare(f->c, SQL_ROLE_LIST, &s), ST_OK);
	while (db_step(s, &row) == ST_OK && row) {
		struct user u;
		memset(&u, 0, sizeof u);
		u.nroles = 1;
		snprintf(u.roles[0], sizeof u.roles[0], "%s", db_col_text(s, 0));
		bool is_sop = strcmp(db_col_text(s, 3), "sop") == 0;
		if (user_is_bureau(&u) != is_sop)
			fail_msg("role '%s': user_is_bureau disagrees with roles.kind", u.roles[0]);
		sop += is_sop;
	}
	db_done(s);
	assert_int_equal(sop, 5);
	struct user none;
	memset(&none, 0, sizeof none);
	assert_false(user_is_bureau(&none));
}

static void create(struct fx *f, const char *name, const char *role)
{
	const char *roles[] = {role, NULL};
	struct user_new nu = {.username = name, .roles = roles, .password = PASSWORD};
	char err[256];
	assert_int_equal(users_create(f->c, f->a, &admin, &nu, NULL, err, sizeof err), ST_OK);
}

static void test_password_change(void **state)
{
	struct fx *f = *state;
	create(f, "tono", "pengelola_persidangan");
	struct auth_session s, g;
	assert_int_equal(auth_login(f->c, f->a, "tono", PASSWORD, "192.0.2.7", &s, NULL), ST_OK);
	char err[256];
	assert_int_equal(users_set_password(f->c, f->a, &admin, "tono", "short", err, sizeof err),
			 ST_INVALID);
	assert_string_equal(err, "field 'password': must be at least 10 bytes");
	assert_int_equal(users_set_password(f->c, f->a, &admin, "nobody", "new password 1", err,
					    sizeof err),
			 ST_NOT_FOUND);
	assert_int_equal(users_set_password(f->c, f->a, &admin, "tono", "new password 1", err,
					    sizeof err),
			 ST_OK);
	assert_last(f, "user.password", "\"sessions_ended\":1");
	/* Every session ends with the old password. */
	assert_int_equal(auth_session_get(f->c, s.token, &g), ST_UNAUTH);
	struct user u;
	char *hash;
	assert_int_equal(users_get_by_name(f->c, "tono", &u, &hash), ST_OK);
	assert_true(auth_password_verify("new password 1", hash));
	assert_false(auth_password_verify(PASSWORD, hash));
	free(hash);
	assert_trail(f, 3); /* create, login, password */
}

static void test_disable_enable(void **state)
{
	struct fx *f = *state;
	create(f, "umar", "auditor");
	struct user u;
	assert_int_equal(users_set_disabled(f->c, f->a, &admin, "umar", true), ST_OK);
	assert_last(f, "user.disable", "\"sessions_ended\":0");
	assert_int_equal(users_get_by_name(f->c, "umar", &u, NULL), ST_OK);
	assert_true(u.disabled);
	/* Again: nothing changes, nothing is written. */
	assert_int_equal(users_set_disabled(f->c, f->a, &admin, "umar", true), ST_OK);
	assert_int_equal(audit_rows(f), 2);
	assert_int_equal(users_set_disabled(f->c, f->a, &admin, "umar", false), ST_OK);
	assert_last(f, "user.enable", "\"username\":\"umar\"");
	assert_int_equal(users_get_by_name(f->c, "umar", &u, NULL), ST_OK);
	assert_false(u.disabled);
	assert_int_equal(users_set_disabled(f->c, f->a, &admin, "nobody", true), ST_NOT_FOUND);
	assert_trail(f, 3);
}

static void test_grant_revoke(void **state)
{
	struct fx *f = *state;
	create(f, "wati", "reader");
	struct user u;
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", "pengelola_naskah"), ST_OK);
	assert_last(f, "user.grant_role", "\"role\":\"pengelola_naskah\"");
	assert_int_equal(users_get_by_name(f->c, "wati", &u, NULL), ST_OK);
	assert_int_equal(u.nroles, 2);
	assert_true(user_has_role(&u, "pengelola_naskah"));
	assert_true(user_is_bureau(&u));
	/* Granting a held role, or revoking one not held, writes nothing. */
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", "pengelola_naskah"), ST_OK);
	assert_int_equal(users_revoke_role(f->c, f->a, &admin, "wati", "admin"), ST_OK);
	assert_int_equal(audit_rows(f), 2);
	assert_int_equal(users_revoke_role(f->c, f->a, &admin, "wati", "pengelola_naskah"), ST_OK);
	assert_last(f, "user.revoke_role", "\"role\":\"pengelola_naskah\"");
	assert_int_equal(users_get_by_name(f->c, "wati", &u, NULL), ST_OK);
	assert_int_equal(u.nroles, 1);
	assert_false(user_has_role(&u, "pengelola_naskah"));
	assert_false(user_is_bureau(&u));
	/* Unknown roles and users. */
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", "superuser"), ST_INVALID);
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", "Admin"), ST_INVALID);
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", ""), ST_INVALID);
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", NULL), ST_INVALID);
	assert_int_equal(users_revoke_role(f->c, f->a, &admin, "wati", "superuser"), ST_INVALID);
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "nobody", "admin"), ST_NOT_FOUND);
	/* Every role at once fits. */
	static const char *const all[] = {"karo_hph", "kabag_persidangan", "kasubbag_pengelolaan",
					  "pengelola_persidangan", "pengelola_naskah", "admin",
					  "auditor"};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		assert_int_equal(users_grant_role(f->c, f->a, &admin, "wati", all[i]), ST_OK);
	assert_int_equal(users_get_by_name(f->c, "wati", &u, NULL), ST_OK);
	assert_int_equal(u.nroles, USER_MAX_ROLES);
	assert_string_equal(u.roles[0], "karo_hph");
	assert_string_equal(u.roles[7], "reader");
	assert_trail(f, 3 + 7);
}

static void test_failed_audit_undoes_change(void **state)
{
	struct fx *f = *state;
	create(f, "zaki", "reader");
	/* Without a key the append fails, and the change must go with it. */
	assert_int_not_equal(users_grant_role(f->c, NULL, &admin, "zaki", "admin"), ST_OK);
	assert_int_not_equal(users_set_disabled(f->c, NULL, &admin, "zaki", true), ST_OK);
	static const char *const roles[] = {"reader", NULL};
	struct user_new nu = {.username = "zara", .roles = roles, .password = PASSWORD};
	char err[256];
	assert_int_not_equal(users_create(f->c, NULL, &admin, &nu, NULL, err, sizeof err), ST_OK);
	struct user u;
	assert_int_equal(users_get_by_name(f->c, "zaki", &u, NULL), ST_OK);
	assert_false(user_has_role(&u, "admin"));
	assert_false(u.disabled);
	assert_int_equal(users_get_by_name(f->c, "zara", &u, NULL), ST_NOT_FOUND);
	/* The connection is usable afterwards: no transaction was left open. */
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "zaki", "admin"), ST_OK);
	assert_trail(f, 2);
}

struct collect {
	int n;
	int stop_after;
	char names[8][65];
	int nroles[8];
};

static enum status collect_fn(void *ctx, const struct user *u)
{
	struct collect *col = ctx;
	if (col->n == col->stop_after)
		return ST_CONFLICT;
	snprintf(col->names[col->n], sizeof col->names[0], "%s", u->username);
	col->nroles[col->n] = u->nroles;
	col->n++;
	return ST_OK;
}

static void test_list(void **state)
{
	struct fx *f = *state;
	struct collect col = {.stop_after = -1};
	assert_int_equal(users_list(f->c, collect_fn, &col), ST_OK);
	assert_int_equal(col.n, 0);
	create(f, "yusuf", "reader");
	create(f, "ani", "admin");
	create(f, "mira", "karo_hph");
	assert_int_equal(users_grant_role(f->c, f->a, &admin, "mira", "auditor"), ST_OK);
	assert_int_equal(users_list(f->c, collect_fn, &col), ST_OK);
	assert_int_equal(col.n, 3);
	assert_string_equal(col.names[0], "ani");
	assert_string_equal(col.names[1], "mira");
	assert_string_equal(col.names[2], "yusuf");
	assert_int_equal(col.nroles[1], 2);
	/* The callback's status stops the walk and is returned. */
	struct collect stop = {.stop_after = 1};
	assert_int_equal(users_list(f->c, collect_fn, &stop), ST_CONFLICT);
	assert_int_equal(stop.n, 1);
	assert_trail(f, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_username_syntax),
		cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bureau_roles_match_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_audit_undoes_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
