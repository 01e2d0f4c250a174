/*
 * A throw-away Sidang instance for unit tests: a temporary directory holding a migrated database
 * and an audit key. Include after cmocka.h. A test's own fixture struct starts with
 * `struct instance_fx inst;` or uses FX_FIELDS, so the helpers below serve it.
 */
#ifndef SIDANG_TESTS_FIXTURE_H
#define SIDANG_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain/audit.h"
#include "store/db.h"

/* The fields every instance fixture has, by these names (tests refer to f->c, f->a, ...). */
#define FX_FIELDS                                                                                  \
	char dir[64];                                                                              \
	char path[128];                                                                            \
	char key[128];                                                                             \
	struct db *db;                                                                             \
	struct db_conn *c;                                                                         \
	struct audit *a

/* Creates the instance /tmp/sidang-test-NAME-XXXXXX with a pool of POOL connections and takes one
 * connection (F->c). F is any struct declared with FX_FIELDS. */
#define FX_OPEN(f, name, pool)                                                                     \
	do {                                                                                       \
		snprintf((f)->dir, sizeof (f)->dir, "/tmp/sidang-test-%s-XXXXXX", (name));        \
		assert_non_null(mkdtemp((f)->dir));                                               \
		snprintf((f)->path, sizeof (f)->path, "%s/sidang.db", (f)->dir);                  \
		snprintf((f)->key, sizeof (f)->key, "%s/audit.key", (f)->dir);                    \
		assert_int_equal(db_open((f)->path, true, (pool), &(f)->db), ST_OK);              \
		assert_int_equal(db_migrate((f)->db, NULL), ST_OK);                                \
		(f)->c = db_acquire((f)->db);                                                      \
		assert_int_equal(audit_key_create((f)->c, (f)->key), ST_OK);                      \
		assert_int_equal(audit_open((f)->key, &(f)->a), ST_OK);                           \
	} while (0)

/* Closes what FX_OPEN made and removes the directory (it must hold nothing else). */
#define FX_CLOSE(f)                                                                                \
	do {                                                                                       \
		static const char *const fx_names_[] = {"sidang.db", "sidang.db-wal",              \
							"sidang.db-shm", "audit.key"};             \
		audit_free((f)->a);                                                                \
		db_release((f)->db, (f)->c);                                                       \
		db_close((f)->db);                                                                 \
		for (size_t fx_i_ = 0; fx_i_ < sizeof fx_names_ / sizeof fx_names_[0]; fx_i_++) { \
			char fx_p_[192];                                                           \
			snprintf(fx_p_, sizeof fx_p_, "%s/%s", (f)->dir, fx_names_[fx_i_]);       \
			unlink(fx_p_);                                                             \
		}                                                                                  \
		assert_int_equal(rmdir((f)->dir), 0);                                              \
	} while (0)

#endif
