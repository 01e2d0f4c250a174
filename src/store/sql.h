/*
 * Every SQL statement Sidang runs, by id (after kcgi/openradtool). The texts for each backend live
 * in one file per backend (store/sql_sqlite.c). Nothing else holds SQL.
 */
#ifndef SIDANG_STORE_SQL_H
#define SIDANG_STORE_SQL_H

enum sql_id {
	/* roles */
	SQL_ROLE_LIST,
	SQL_ROLE_EXISTS,
	/* users */
	SQL_USER_INSERT,
	SQL_USER_BY_NAME,
	SQL_USER_BY_ID,
	SQL_USER_LIST,
	SQL_USER_SET_PASSWORD,
	SQL_USER_SET_DISABLED,
	SQL_USER_ROLES,
	SQL_USER_ROLE_ADD,
	SQL_USER_ROLE_REMOVE,
	/* sessions */
	SQL_SESSION_INSERT,
	SQL_SESSION_GET,
	SQL_SESSION_TOUCH,
	SQL_SESSION_DELETE,
	SQL_SESSION_DELETE_USER,
	SQL_SESSION_DELETE_EXPIRED,
	/* login throttling */
	SQL_LOGIN_FAIL_INSERT,
	SQL_LOGIN_FAIL_COUNT_USER,
	SQL_LOGIN_FAIL_COUNT_IP,
	SQL_LOGIN_FAIL_CLEAR_USER,
	SQL_LOGIN_FAIL_PRUNE,
	/* meetings */
	SQL_MEETING_INSERT,
	SQL_MEETING_GET,
	SQL_MEETING_UPDATE,
	SQL_MEETING_LIST,
	SQL_MEETING_COUNT,
	/* blobs */
	SQL_BLOB_UPSERT,
	SQL_BLOB_EXISTS,
	/* documents */
	SQL_DOCUMENT_INSERT,
	SQL_DOCUMENT_GET,
	SQL_DOCUMENT_LIST,
	SQL_DOCUMENT_SET_VERSION,
	SQL_VERSION_INSERT,
	SQL_VERSION_LIST,
	SQL_VERSION_GET,
	/* audit */
	SQL_AUDIT_LAST,
	SQL_AUDIT_INSERT,
	SQL_AUDIT_SCAN,
	SQL_AUDIT_COUNT,
	SQL_AUDIT_CHECKPOINT_INSERT,
	SQL_AUDIT_CHECKPOINT_SCAN,
	SQL_AUDIT_CHECKPOINT_LAST,
	/* settings (key/value: instance id, public key, ...) */
	SQL_SETTING_GET,
	SQL_SETTING_SET,
	/* sop definitions (domain/sop.c) */
	/* -- end sop -- */
	/* engine: cases, tasks, artefacts, grants, acting (domain/engine.c) */
	/* -- end engine -- */
	/* compliance and notifications (domain/compliance.c) */
	/* -- end compliance -- */

	SQL__COUNT
};

/* The text of statement ID for the compiled-in backend. */
const char *sql_text(enum sql_id id);

/* Migrations of the backend, in order; migration i brings the schema to version i + 1. */
extern const char *const sql_migrations[];
extern const int sql_migration_count;

#endif
