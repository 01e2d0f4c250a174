/* The administration and audit-viewer domain functions: users_update (domain/users.c) and
 * audit_query / audit_query_verify (domain/audit_query.c), against a real SQLite database and
 * audit trail in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/audit_query.h"
#include "domain/auth.h"
#include "domain/meetings.h"
#include "domain/sop.h"
#include "domain/users.h"
#include "sidang_limits.h"
#include "store/db.h"
#include "util/clock.h"

#define PASSWORD "correct horse battery staple"

struct fx {
	FX_FIELDS;
	int64_t root, admin2, siti; /* user ids: two administrators and a reader */
};

static int64_t make_user(struct fx *f, const char *name, const char *role1, const char *role2)
{
	const char *roles[] = {role1, role2, NULL};
	struct user_new nu = {.username = name, .roles = roles, .password = PASSWORD};
	const struct actor cli = {0, "cli", "cli"};
	int64_t id = 0;
	char err[256];
	assert_int_equal(users_create(f->c, f->a, &cli, &nu, &id, err, sizeof err), ST_OK);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	clock_set_offset(0);
	FX_OPEN(f, "admin", 1);
	f->root = make_user(f, "root", "admin", NULL);
	f->admin2 = make_user(f, "admin2", "admin", NULL);
	f->siti = make_user(f, "siti", "reader", NULL);
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

/* The action, actor and parsed detail of entry SEQ (detail: a new reference). */
static json_t *entry_detail(struct fx *f, int64_t seq, char action[64], char actor[65])
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_SCAN, &s), ST_OK);
	db_bind_int(s, 1, seq);
	db_bind_int(s, 2, 1);
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	snprintf(action, 64, "%s", db_col_text(s, 5));
	snprintf(actor, 65, "%s", db_col_text(s, 3));
	json_t *d = json_loads(db_col_text(s, 8), 0, NULL);
	db_done(s);
	assert_non_null(d);
	return d;
}

static void assert_verifies(struct fx *f)
{
	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
	assert_int_equal(res.entries, audit_rows(f));
}

/* --- users_update ---------------------------------------------------------------------------- */

static const struct actor by_root_tmpl = {0, "root", "192.0.2.1"};

static struct actor by(struct fx *f, int64_t id, const char *name)
{
	(void)f;
	struct actor w = by_root_tmpl;
	w.user_id = id;
	w.name = name;
	return w;
}

static enum status update(struct fx *f, const struct actor *who, int64_t id,
			  const struct user_update *up, const char **field, char *err)
{
	struct user u;
	return users_update(f->c, f->a, who, id, up, &u, field, err, 256);
}

static void test_update_fields_audited(void **state)
{
	struct fx *f = *state;
	struct actor root = by(f, f->root, "root");
	static const char *const roles[] = {"pengelola_naskah", "auditor", NULL};
	struct user_update up = {.display_name = "Siti Aminah",
				 .nip = "196501011990031001",
				 .unit = "Biro HPH",
				 .has_clearance = true,
				 .clearance = CLASS_RAHASIA,
				 .roles = roles};
	struct user u;
	const char *field = "untouched";
	char err[256];
	int64_t before = audit_rows(f);
	assert_int_equal(users_update(f->c, f->a, &root, f->siti, &up, &u, &field, err, sizeof err),
			 ST_OK);
	assert_null(field);
	assert_string_equal(u.display_name, "Siti Aminah");
	assert_string_equal(u.nip, "196501011990031001");
	assert_string_equal(u.unit, "Biro HPH");
	assert_int_equal(u.clearance, CLASS_RAHASIA);
	assert_false(u.disabled);
	assert_int_equal(u.nroles, 2);
	assert_true(user_has_role(&u, "pengelola_naskah"));
	assert_true(user_has_role(&u, "auditor"));
	assert_false(user_has_role(&u, "reader"));

	/* One entry, with the old and the new values of what changed. */
	assert_int_equal(audit_rows(f), before + 1);
	char action[64], actor[65];
	json_t *d = entry_detail(f, before + 1, action, actor);
	assert_string_equal(action, "user.update");
	assert_string_equal(actor, "root");
	assert_string_equal(json_string_value(json_object_get(d, "username")), "siti");
	json_t *old = json_object_get(d, "old"), *nw = json_object_get(d, "new");
	assert_string_equal(json_string_value(json_object_get(old, "display_name")), "siti");
	assert_true(json_is_null(json_object_get(old, "nip")));
	assert_string_equal(json_string_value(json_object_get(nw, "nip")), "196501011990031001");
	assert_string_equal(json_string_value(json_object_get(old, "clearance")), "biasa");
	assert_string_equal(json_string_value(json_object_get(nw, "clearance")), "rahasia");
	assert_int_equal(json_array_size(json_object_get(old, "roles")), 1);
	assert_int_equal(json_array_size(json_object_get(nw, "roles")), 2);
	assert_null(json_object_get(nw, "disabled")); /* unchanged: not in the entry */
	assert_null(json_object_get(d, "sessions_ended"));
	json_decref(d);

	/* The same again changes nothing and writes nothing; the roles' order does not matter. */
	static const char *const reordered[] = {"auditor", "pengelola_naskah", NULL};
	up.roles = reordered;
	assert_int_equal(update(f, &root, f->siti, &up, &field, err), ST_OK);
	assert_int_equal(audit_rows(f), before + 1);

	/* "" clears the NIP and the unit. */
	struct user_update clear = {.nip = "", .unit = ""};
	assert_int_equal(users_update(f->c, f->a, &root, f->siti, &clear, &u, &field, err,
				      sizeof err),
			 ST_OK);
	assert_string_equal(u.nip, "");
	assert_string_equal(u.unit, "");
	assert_int_equal(audit_rows(f), before + 2);
	assert_verifies(f);
}

static void expect_refused(struct fx *f, const struct actor *who, int64_t id,
			   const struct user_update *up, const char *field, const char *msg_part,
			   int line)
{
	const char *got = NULL;
	char err[256] = "";
	int64_t before = audit_rows(f);
	enum status st = update(f, who, id, up, &got, err);
	if (st != ST_INVALID || !got || strcmp(got, field) != 0 || !strstr(err, msg_part))
		fail_msg("line %d: status %s, field %s, error \"%s\"; wanted %s and \"%s\"", line,
			 status_name(st), got ? got : "(null)", err, field, msg_part);
	assert_int_equal(audit_rows(f), before);
}

static void test_update_validation(void **state)
{
	struct fx *f = *state;
	struct actor root = by(f, f->root, "root");
	static const char *const none[] = {NULL};
	static const char *const dup[] = {"reader", "reader", NULL};
	static const char *const unknown[] = {"reader", "superuser", NULL};
	static const char *const nine[] = {"admin", "auditor", "reader", "karo_hph",
					   "kabag_persidangan", "kasubbag_pengelolaan",
					   "pengelola_persidangan", "pengelola_naskah", "x", NULL};
	struct user_update up;
#define BAD(field, part, change)                                            \
	do {                                                                \
		memset(&up, 0, sizeof up);                                  \
		change;                                                     \
		expect_refused(f, &root, f->siti, &up, field, part, __LINE__); \
	} while (0)
	BAD("display_name", "empty", up.display_name = "");
	BAD("display_name", "control", up.display_name = "Siti\nAminah");
	BAD("nip", "18 digits", up.nip = "12345");
	BAD("unit", "control", up.unit = "Biro\x01");
	BAD("clearance", "expected", (up.has_clearance = true, up.clearance = (enum classification)7));
	BAD("roles", "at least one", up.roles = none);
	BAD("roles", "twice", up.roles = dup);
	BAD("roles", "unknown role 'superuser'", up.roles = unknown);
	BAD("roles", "more than", up.roles = nine);
#undef BAD
	struct user u;
	assert_int_equal(users_get_by_id(f->c, f->siti, &u), ST_OK);
	assert_string_equal(u.display_name, "siti");
	assert_true(user_has_role(&u, "reader"));

	/* An unknown user. */
	struct user_update up2 = {.display_name = "X"};
	const char *field = NULL;
	char err[256];
	assert_int_equal(update(f, &root, 9999, &up2, &field, err), ST_NOT_FOUND);
}

static void test_update_admin_kept(void **state)
{
	struct fx *f = *state;
	struct actor root = by(f, f->root, "root");
	struct actor cli = {0, "cli", "cli"};
	static const char *const reader[] = {"reader", NULL};
	static const char *const admin_reader[] = {"admin", "reader", NULL};
	struct user_update disable = {.has_disabled = true, .disabled = true};
	struct user_update demote = {.roles = reader};

	/* Not oneself: neither disabling nor dropping one's own admin role. */
	expect_refused(f, &root, f->root, &disable, "disabled", "your own account", __LINE__);
	expect_refused(f, &root, f->root, &demote, "roles", "your own admin role", __LINE__);
	/* Adding a role to oneself, keeping admin, is fine. */
	struct user_update more = {.roles = admin_reader};
	const char *field = NULL;
	char err[256];
	assert_int_equal(update(f, &root, f->root, &more, &field, err), ST_OK);

	/* Another administrator may go while one is left... */
	assert_int_equal(update(f, &root, f->admin2, &demote, &field, err), ST_OK);
	struct user u;
	assert_int_equal(users_get_by_id(f->c, f->admin2, &u), ST_OK);
	assert_false(user_has_role(&u, "admin"));
	/* ...but not the last active one, whoever asks (here the CLI). */
	expect_refused(f, &cli, f->root, &disable, "disabled", "last active administrator",
		       __LINE__);
	expect_refused(f, &cli, f->root, &demote, "roles", "last active administrator", __LINE__);

	/* A disabled administrator does not count. */
	static const char *const admin_only[] = {"admin", NULL};
	struct user_update promote = {.roles = admin_only};
	assert_int_equal(update(f, &root, f->admin2, &promote, &field, err), ST_OK);
	assert_int_equal(update(f, &root, f->admin2, &disable, &field, err), ST_OK);
	expect_refused(f, &cli, f->root, &disable, "disabled", "last active administrator",
		       __LINE__);
	/* Re-enabled, it does again; and a disabled administrator may lose the role. */
	struct user_update enable = {.has_disabled = true, .disabled = false};
	assert_int_equal(update(f, &root, f->admin2, &enable, &field, err), ST_OK);
	assert_int_equal(update(f, &cli, f->root, &disable, &field, err), ST_OK);
	struct actor a2 = by(f, f->admin2, "admin2");
	assert_int_equal(update(f, &a2, f->root, &demote, &field, err), ST_OK);
	assert_int_equal(users_get_by_id(f->c, f->root, &u), ST_OK);
	assert_true(u.disabled);
	assert_false(user_has_role(&u, "admin"));
	assert_verifies(f);
}

static void test_update_disable_ends_sessions(void **state)
{
	struct fx *f = *state;
	struct actor root = by(f, f->root, "root");
	struct auth_session s, again;
	int64_t retry = 0;
	assert_int_equal(auth_login(f->c, f->a, "siti", PASSWORD, "192.0.2.9", &s, &retry), ST_OK);
	assert_int_equal(auth_session_get(f->c, s.token, &again), ST_OK);
	int64_t before = audit_rows(f);
	struct user_update up = {.has_disabled = true, .disabled = true};
	struct user u;
	const char *field = NULL;
	char err[256];
	assert_int_equal(users_update(f->c, f->a, &root, f->siti, &up, &u, &field, err, sizeof err),
			 ST_OK);
	assert_true(u.disabled);
	assert_int_equal(auth_session_get(f->c, s.token, &again), ST_UNAUTH);
	char action[64], actor[65];
	json_t *d = entry_detail(f, before + 1, action, actor);
	assert_string_equal(action, "user.update");
	assert_int_equal(json_integer_value(json_object_get(d, "sessions_ended")), 1);
	assert_true(json_is_true(json_object_get(json_object_get(d, "new"), "disabled")));
	json_decref(d);
	/* A disabled user cannot log in; enabled again, they can. */
	assert_int_equal(auth_login(f->c, f->a, "siti", PASSWORD, "192.0.2.9", &s, &retry),
			 ST_UNAUTH);
	up.disabled = false;
	assert_int_equal(update(f, &root, f->siti, &up, &field, err), ST_OK);
	assert_int_equal(auth_login(f->c, f->a, "siti", PASSWORD, "192.0.2.9", &s, &retry), ST_OK);
}

static enum status count_role(void *ctx, const struct role_info *r)
{
	json_t *o = ctx;
	json_object_set_new(o, r->code, json_integer(r->holders));
	if (strcmp(r->code, "kabag_persidangan") == 0)
		assert_string_equal(r->superior, "karo_hph");
	if (strcmp(r->code, "admin") == 0) {
		assert_string_equal(r->kind, "admin");
		assert_null(r->superior);
	}
	return ST_OK;
}

static void test_roles_list(void **state)
{
	struct fx *f = *state;
	int imported = 0;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	json_t *holders = json_object();
	assert_int_equal(users_roles_list(f->c, count_role, holders), ST_OK);
	assert_int_equal(json_integer_value(json_object_get(holders, "admin")), 2);
	assert_int_equal(json_integer_value(json_object_get(holders, "reader")), 1);
	assert_int_equal(json_integer_value(json_object_get(holders, "karo_hph")), 0);
	assert_true(json_object_size(holders) >= 8);
	/* Disabled accounts do not hold. */
	struct actor root = by(f, f->root, "root");
	struct user_update up = {.has_disabled = true, .disabled = true};
	const char *field = NULL;
	char err[256];
	assert_int_equal(update(f, &root, f->siti, &up, &field, err), ST_OK);
	json_object_clear(holders);
	assert_int_equal(users_roles_list(f->c, count_role, holders), ST_OK);
	assert_int_equal(json_integer_value(json_object_get(holders, "reader")), 0);
	json_decref(holders);
}

/* --- audit_query ------------------------------------------------------------------------------ */

static void append(struct fx *f, const char *actor, const char *action, const char *type,
		   const char *id, json_t *detail)
{
	struct audit_event ev = {7, actor, "192.0.2.7", action, type, id, detail};
	assert_int_equal(db_begin(f->c), ST_OK);
	assert_int_equal(audit_append(f->a, f->c, &ev, NULL), ST_OK);
	assert_int_equal(db_commit(f->c), ST_OK);
	json_decref(detail);
}

/* Runs F; returns the items (new reference) and *NEXT. */
static json_t *query(struct fx *f, const struct audit_filter *flt, int64_t *next)
{
	struct actor aud = {42, "auditor1", "192.0.2.42"};
	json_t *items = NULL;
	int64_t nb = -1;
	const char *field = "untouched";
	char err[256];
	enum status st = audit_query(f->c, f->a, &aud, flt, &items, &nb, &field, err, sizeof err);
	if (st != ST_OK)
		fail_msg("audit_query: %s (%s)", status_name(st), err);
	assert_null(field);
	assert_true(json_is_array(items));
	if (next)
		*next = nb;
	return items;
}

static const char *item_action(json_t *items, size_t i)
{
	return json_string_value(json_object_get(json_array_get(items, i), "action"));
}

static int64_t item_seq(json_t *items, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(items, i), "seq"));
}

static void test_query_filters(void **state)
{
	struct fx *f = *state;
	int64_t base = audit_rows(f); /* the three user.create entries */
	append(f, "siti", "document.view", "document", "11", json_pack("{s:i}", "version", 1));
	append(f, "siti", "document.download", "document", "11", NULL);
	append(f, "budi", "document.view", "document", "12", NULL);
	append(f, "budi", "documentx.other", "thing", "1", NULL);
	append(f, "budi", "meeting.update", "meeting", "3", NULL);

	struct audit_filter all = {0};
	int64_t next = -1;
	json_t *items = query(f, &all, &next);
	assert_int_equal(json_array_size(items), base + 5);
	assert_int_equal(next, 0);
	/* Newest first, with every column. */
	json_t *e = json_array_get(items, 0);
	assert_int_equal(item_seq(items, 0), base + 5);
	assert_string_equal(item_action(items, 0), "meeting.update");
	assert_string_equal(json_string_value(json_object_get(e, "actor")), "budi");
	assert_int_equal(json_integer_value(json_object_get(e, "actor_id")), 7);
	assert_string_equal(json_string_value(json_object_get(e, "address")), "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(e, "object_type")), "meeting");
	assert_string_equal(json_string_value(json_object_get(e, "object_id")), "3");
	assert_true(json_is_object(json_object_get(e, "detail")));
	assert_int_equal(strlen(json_string_value(json_object_get(e, "hash"))), 64);
	assert_int_equal(strlen(json_string_value(json_object_get(e, "prev_hash"))), 64);
	const char *at = json_string_value(json_object_get(e, "at"));
	assert_int_equal(strlen(at), 20);
	assert_int_equal(at[19], 'Z');
	/* The CLI's entries have no actor id. */
	json_t *first = json_array_get(items, json_array_size(items) - 1);
	assert_true(json_is_null(json_object_get(first, "actor_id")));
	assert_string_equal(json_string_value(json_object_get(first, "actor")), "cli");
	json_decref(items);

	/* The read was recorded after it, with the filters and the count. */
	char action[64], actor[65];
	int64_t read_seq = audit_rows(f);
	json_t *d = entry_detail(f, read_seq, action, actor);
	assert_string_equal(action, "audit.read");
	assert_string_equal(actor, "auditor1");
	assert_int_equal(json_integer_value(json_object_get(d, "returned")), base + 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "filters"), "limit")),
			 50);
	json_decref(d);

	struct audit_filter by_actor = {.actor = "siti"};
	items = query(f, &by_actor, NULL);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(item_action(items, 0), "document.download");
	json_decref(items);

	/* A prefix ends in '.': "document." is not "documentx.". */
	struct audit_filter prefix = {.action = "document."};
	items = query(f, &prefix, NULL);
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	struct audit_filter exact = {.action = "document.view"};
	items = query(f, &exact, NULL);
	assert_int_equal(json_array_size(items), 2);
	json_decref(items);
	struct audit_filter not_prefix = {.action = "document"};
	items = query(f, &not_prefix, NULL);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	/* The reads are themselves found. */
	struct audit_filter reads = {.action = "audit.", .actor = "auditor1"};
	items = query(f, &reads, NULL);
	assert_int_equal(json_array_size(items), 5);
	json_decref(items);

	struct audit_filter obj = {.object_type = "document", .object_id = "11"};
	items = query(f, &obj, NULL);
	assert_int_equal(json_array_size(items), 2);
	json_decref(items);
	struct audit_filter combo = {.actor = "budi", .action = "document.", .object_type = "document"};
	items = query(f, &combo, NULL);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "object_id")),
			    "12");
	json_decref(items);
	assert_verifies(f);
}

static void test_query_paging(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 7; i++)
		append(f, "pager", "meeting.update", "meeting", "1", json_pack("{s:i}", "i", i));
	struct audit_filter flt = {.actor = "pager", .limit = 3};
	int64_t next = 0;
	int64_t seen[7];
	int n = 0;
	for (int page = 0; page < 4; page++) {
		json_t *items = query(f, &flt, &next);
		for (size_t i = 0; i < json_array_size(items); i++) {
			assert_true(n < 7);
			seen[n++] = item_seq(items, i);
		}
		json_decref(items);
		if (!next)
			break;
		assert_int_equal(next, seen[n - 1]);
		flt.before = next;
	}
	assert_int_equal(n, 7);
	for (int i = 1; i < 7; i++)
		assert_true(seen[i] < seen[i - 1]);
	/* A page that ends exactly at the last entry says there is no next. */
	struct audit_filter exact = {.actor = "pager", .limit = 7};
	json_t *items = query(f, &exact, &next);
	assert_int_equal(json_array_size(items), 7);
	assert_int_equal(next, 0);
	json_decref(items);
}

static void test_query_dates(void **state)
{
	struct fx *f = *state;
	/* Entries on three days, at the edges of the middle one: 2026-11-10 is 1794268800. */
	const int64_t d10 = 1794268800;
	int64_t times[] = {d10 - 1, d10, d10 + 86399, d10 + 86400};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		/* At the start of a second, so that the entry is stamped with exactly times[i]. */
		int64_t now = (int64_t)time(NULL);
		while ((int64_t)time(NULL) == now)
			;
		clock_set_offset(times[i] - (now + 1));
		append(f, "dated", "meeting.update", "meeting", "1", json_pack("{s:I}", "i", (json_int_t)i));
	}
	clock_set_offset(0);
	struct audit_filter day = {.actor = "dated", .from = "2026-11-10", .to = "2026-11-10"};
	json_t *items = query(f, &day, NULL);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "at")),
			    "2026-11-10T23:59:59Z");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "at")),
			    "2026-11-10T00:00:00Z");
	json_decref(items);
	struct audit_filter from = {.actor = "dated", .from = "2026-11-10"};
	items = query(f, &from, NULL);
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	struct audit_filter to = {.actor = "dated", .to = "2026-11-09"};
	items = query(f, &to, NULL);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
}

static void test_query_meeting(void **state)
{
	struct fx *f = *state;
	int imported = 0;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	make_user(f, "persidangan", "pengelola_persidangan", NULL);
	struct user p;
	assert_int_equal(users_get_by_name(f->c, "persidangan", &p, NULL), ST_OK);
	struct meeting_input in = {.title = "Rapat Koordinasi", .date = "2026-11-20",
				   .has_classification = true, .classification = CLASS_BIASA};
	struct meeting m1, m2;
	struct field_error fe = {0};
	assert_int_equal(meetings_create(f->c, f->a, &p, "192.0.2.5", &in, &m1, &fe), ST_OK);
	assert_int_equal(meetings_create(f->c, f->a, &p, "192.0.2.5", &in, &m2, &fe), ST_OK);
	/* A document of meeting 1, written as the upload path does (the row, then its entry). */
	struct db_stmt *s;
	assert_int_equal(db_prepare(f->c, SQL_DOCUMENT_INSERT, &s), ST_OK);
	db_bind_int(s, 1, m1.id);
	db_bind_text(s, 2, "perencanaan");
	db_bind_text(s, 3, "undangan");
	db_bind_text(s, 4, "Undangan");
	db_bind_int(s, 5, 0);
	db_bind_text(s, 6, "born_digital");
	db_bind_int(s, 11, p.id);
	db_bind_int(s, 12, clock_now());
	assert_int_equal(db_exec_stmt(s), ST_OK);
	db_done(s);
	char doc[24], m1s[24], m2s[24];
	snprintf(doc, sizeof doc, "%lld", (long long)db_last_insert_id(f->c));
	snprintf(m1s, sizeof m1s, "%lld", (long long)m1.id);
	snprintf(m2s, sizeof m2s, "%lld", (long long)m2.id);
	append(f, "persidangan", "document.view", "document", doc, NULL);
	append(f, "persidangan", "meeting.update", "meeting", m2s, NULL);
	/* Another kind of object naming the meeting in its detail. */
	append(f, "system", "notification.send", "notification", "5",
	       json_pack("{s:I}", "meeting_id", (json_int_t)m1.id));
	append(f, "system", "notification.send", "notification", "6",
	       json_pack("{s:s}", "meeting_id", m1s)); /* a string is not the id */

	struct audit_filter flt = {.meeting_id = m1.id};
	json_t *items = query(f, &flt, NULL);
	bool saw_create = false, saw_case = false, saw_doc = false, saw_detail = false;
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *e = json_array_get(items, i);
		const char *type = json_string_value(json_object_get(e, "object_type"));
		const char *id = json_string_value(json_object_get(e, "object_id"));
		const char *action = item_action(items, i);
		if (strcmp(action, "meeting.create") == 0) {
			assert_string_equal(id, m1s);
			saw_create = true;
		} else if (strcmp(type, "case") == 0) {
			saw_case = true;
			assert_int_equal(json_integer_value(json_object_get(
						 json_object_get(e, "detail"), "meeting_id")),
					 m1.id);
		} else if (strcmp(type, "document") == 0) {
			assert_string_equal(id, doc);
			saw_doc = true;
		} else if (strcmp(type, "task") == 0) {
			/* the case's first task, where the engine audits it */
		} else if (strcmp(type, "notification") == 0) {
			assert_string_equal(id, "5");
			saw_detail = true;
		} else {
			fail_msg("unexpected entry %s %s %s", action, type, id);
		}
	}
	assert_true(saw_create && saw_case && saw_doc && saw_detail);
	json_decref(items);

	struct audit_filter other = {.meeting_id = m2.id, .action = "meeting."};
	items = query(f, &other, NULL);
	assert_int_equal(json_array_size(items), 2); /* meeting.update, meeting.create */
	json_decref(items);
	struct audit_filter none = {.meeting_id = 999};
	items = query(f, &none, NULL);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
}

static void expect_bad_filter(struct fx *f, const struct audit_filter *flt, const char *field,
			      int line)
{
	struct actor aud = {42, "auditor1", "192.0.2.42"};
	json_t *items = NULL;
	int64_t next = 0;
	const char *got = NULL;
	char err[256] = "";
	int64_t before = audit_rows(f);
	enum status st = audit_query(f->c, f->a, &aud, flt, &items, &next, &got, err, sizeof err);
	if (st != ST_INVALID || !got || strcmp(got, field) != 0 || !err[0])
		fail_msg("line %d: status %s, field %s, error \"%s\"; wanted %s", line,
			 status_name(st), got ? got : "(null)", err, field);
	assert_null(items);
	assert_int_equal(audit_rows(f), before); /* a refused query is not a read */
}

static void test_query_validation(void **state)
{
	struct fx *f = *state;
	struct audit_filter flt;
#define BAD(field, change)                                   \
	do {                                                 \
		memset(&flt, 0, sizeof flt);                 \
		change;                                      \
		expect_bad_filter(f, &flt, field, __LINE__); \
	} while (0)
	BAD("actor", flt.actor = "Siti");
	BAD("actor", flt.actor = "");
	BAD("action", flt.action = ".");
	BAD("action", flt.action = "document view");
	BAD("action", flt.action = "Document.view");
	BAD("action", flt.action = "document.%");
	BAD("object_type", flt.object_type = "doc-ument");
	BAD("object_id", flt.object_id = "1 2");
	BAD("object_id", flt.object_id = "");
	BAD("meeting", flt.meeting_id = -1);
	BAD("from", flt.from = "2026-02-30");
	BAD("from", flt.from = "2026-11-1");
	BAD("to", flt.to = "yesterday");
	BAD("to", (flt.from = "2026-11-10", flt.to = "2026-11-09"));
	BAD("before", flt.before = -5);
	BAD("limit", flt.limit = LIMIT_LIST_PAGE + 1);
	BAD("limit", flt.limit = -1);
#undef BAD
}

/* Inserts entry SEQ behind the trail's back (the triggers refuse only UPDATE and DELETE), with
 * DETAIL as stored text and HASH. */
static void insert_raw(struct fx *f, int64_t seq, const char *detail, const char *hash)
{
	struct db_stmt *s;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_INSERT, &s), ST_OK);
	db_bind_int(s, 1, seq);
	db_bind_int(s, 2, clock_now());
	db_bind_null(s, 3);
	db_bind_text(s, 4, "mallory");
	db_bind_text(s, 5, "x");
	db_bind_text(s, 6, "meeting.update");
	db_bind_text(s, 7, "meeting");
	db_bind_text(s, 8, "1");
	db_bind_text(s, 9, detail);
	db_bind_text(s, 10, "0000000000000000000000000000000000000000000000000000000000000000");
	db_bind_text(s, 11, hash);
	assert_int_equal(db_exec_stmt(s), ST_OK);
	db_done(s);
}

static void test_query_altered_entry_shown(void **state)
{
	struct fx *f = *state;
	/* An entry with a detail that is not JSON: the viewer shows it as stored, and
	 * verification names it. */
	int64_t seq = audit_rows(f) + 1;
	insert_raw(f, seq, "not json {",
		   "1111111111111111111111111111111111111111111111111111111111111111");
	struct audit_filter flt = {.actor = "mallory", .meeting_id = 1};
	json_t *items = query(f, &flt, NULL);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(items, 0), "detail")), "not json {");
	json_decref(items);

	struct actor aud = {42, "auditor1", "192.0.2.42"};
	struct audit_verify_result res;
	assert_int_equal(audit_query_verify(f->c, f->a, &aud, NULL, &res), ST_CORRUPT);
	assert_int_equal(res.broken_seq, seq);
	assert_true(res.reason[0] != '\0');
	/* The verification is recorded, with its result. */
	char action[64], actor[65];
	json_t *d = entry_detail(f, audit_rows(f), action, actor);
	assert_string_equal(action, "audit.verify");
	assert_string_equal(actor, "auditor1");
	assert_false(json_is_true(json_object_get(d, "ok")));
	assert_int_equal(json_integer_value(json_object_get(d, "broken_seq")), seq);
	json_decref(d);
}

static void test_damaged_tail(void **state)
{
	struct fx *f = *state;
	/* A last entry whose hash is not even a hash: nothing can be appended after it. Reading
	 * the entries needs its record, so it is refused; the verification is still given. */
	int64_t seq = audit_rows(f) + 1;
	insert_raw(f, seq, "{}", "xx");
	struct actor aud = {42, "auditor1", "192.0.2.42"};
	struct audit_filter flt = {0};
	json_t *items = NULL;
	int64_t next = 0;
	const char *field = NULL;
	char err[256];
	assert_int_equal(audit_query(f->c, f->a, &aud, &flt, &items, &next, &field, err, sizeof err),
			 ST_CORRUPT);
	assert_null(items);
	struct audit_verify_result res;
	assert_int_equal(audit_query_verify(f->c, f->a, &aud, NULL, &res), ST_CORRUPT);
	assert_int_equal(res.broken_seq, seq);
	assert_int_equal(audit_rows(f), seq);
}

static void test_verify_recorded(void **state)
{
	struct fx *f = *state;
	struct actor aud = {42, "auditor1", "192.0.2.42"};
	struct audit_verify_result res;
	int64_t before = audit_rows(f);
	assert_int_equal(audit_query_verify(f->c, f->a, &aud, audit_public_key_hex(f->a), &res),
			 ST_OK);
	assert_int_equal(res.entries, before);
	assert_int_equal(res.broken_seq, 0);
	assert_int_equal(audit_rows(f), before + 1);
	char action[64], actor[65];
	json_t *d = entry_detail(f, before + 1, action, actor);
	assert_string_equal(action, "audit.verify");
	assert_true(json_is_true(json_object_get(d, "ok")));
	assert_int_equal(json_integer_value(json_object_get(d, "entries")), before);
	assert_null(json_object_get(d, "broken_seq"));
	json_decref(d);
	/* A key that is not one is refused and not recorded. */
	assert_int_equal(audit_query_verify(f->c, f->a, &aud, "zz", &res), ST_INVALID);
	assert_int_equal(audit_rows(f), before + 1);
	/* Without a key given, the one recorded in settings. */
	assert_int_equal(audit_query_verify(f->c, f->a, &aud, NULL, &res), ST_OK);
	assert_verifies(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_fields_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_admin_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_disable_ends_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_meeting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_altered_entry_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_recorded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
