/*
 * Accounts, roles and clearances. Roles are data (the roles table); a user holds any number of
 * them. Every change is audited in the same transaction.
 */
#ifndef SIDANG_DOMAIN_USERS_H
#define SIDANG_DOMAIN_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/audit.h"
#include "store/db.h"
#include "util/status.h"

/* Security classification (klasifikasi keamanan), ascending; also a user's clearance. */
enum classification {
	CLASS_BIASA = 0,
	CLASS_TERBATAS = 1,
	CLASS_RAHASIA = 2,
	CLASS_SANGAT_RAHASIA = 3,
};

/* "biasa", "terbatas", "rahasia", "sangat_rahasia". */
const char *classification_name(enum classification c);
/* false when S is none of those names. */
bool classification_parse(const char *s, enum classification *out);

#define USER_MAX_ROLES 8

struct user {
	int64_t id;
	char username[65];
	char display_name[201];
	char nip[19];
	char unit[201];
	enum classification clearance;
	bool disabled;
	int64_t created_at;
	int nroles;
	char roles[USER_MAX_ROLES][32];
	bool sop_role; /* holds a role of kind 'sop' (set when loaded from the database) */
};

/* True if S is a well-formed username: [a-z0-9][a-z0-9._-]{0,63}. */
bool users_username_valid(const char *s);

/* True if U holds ROLE. */
bool user_has_role(const struct user *u, const char *role);
/* True if U holds one of the five roles of the bureau's SOP (roles.kind = 'sop'). */
bool user_is_bureau(const struct user *u);

/* Who performs a change, for the audit trail. */
struct actor {
	int64_t user_id;     /* 0 for the CLI */
	const char *name;    /* username or "cli" */
	const char *address; /* client address or "cli" */
};

struct user_new {
	const char *username;     /* [a-z0-9._-]{1,64}, starting with a letter or digit */
	const char *display_name; /* NULL: the username */
	const char *nip;          /* NULL or "" (none), or 18 digits */
	const char *unit;         /* NULL or "" (none), or ≤ 200 bytes of UTF-8 text */
	enum classification clearance;
	const char *const *roles; /* NULL-terminated; each must exist */
	const char *password;     /* ≥ LIMIT_PASSWORD_MIN, ≤ LIMIT_PASSWORD_BYTES */
};

/* Validates and creates a user in its own transaction. ST_CONFLICT if the name is taken;
 * ST_INVALID with ERR (ERRLEN bytes) saying which field is wrong. *id_out may be NULL. */
enum status users_create(struct db_conn *c, struct audit *a, const struct actor *who,
			 const struct user_new *nu, int64_t *id_out, char *err, size_t errlen);
/* Loads a user with roles. ST_NOT_FOUND if absent. *out_hash (may be NULL) gets a malloc'ed
 * copy of the password hash. The getters open no transaction of their own: they read within the
 * caller's, if one is open. */
enum status users_get_by_name(struct db_conn *c, const char *username, struct user *out,
			      char **out_hash);
enum status users_get_by_id(struct db_conn *c, int64_t id, struct user *out);
/* Calls FN for every user, ordered by username, stopping at the first non-OK status. */
enum status users_list(struct db_conn *c, enum status (*fn)(void *ctx, const struct user *u),
		       void *ctx);
/* Each of these runs in its own transaction and is audited. ST_NOT_FOUND for an unknown user,
 * ST_INVALID for an unknown role or a bad password (ERR says why). A call that changes nothing
 * (granting a role held, disabling a disabled user) returns ST_OK and writes nothing. A new
 * password and disabling both end the user's sessions. */
enum status users_set_password(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *username, const char *password, char *err, size_t errlen);
enum status users_set_disabled(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *username, bool disabled);
enum status users_grant_role(struct db_conn *c, struct audit *a, const struct actor *who,
			     const char *username, const char *role);
enum status users_revoke_role(struct db_conn *c, struct audit *a, const struct actor *who,
			      const char *username, const char *role);

/* An edit of an account by an administrator: each field NULL (or has_* false) is left as it is. */
struct user_update {
	const char *display_name;  /* not empty, ≤ LIMIT_DISPLAY_NAME_BYTES */
	const char *nip;           /* "" clears it */
	const char *unit;          /* "" clears it */
	bool has_clearance;
	enum classification clearance;
	bool has_disabled;
	bool disabled;
	const char *const *roles;  /* NULL-terminated: the whole new set (at least one role) */
};

/* Applies UP to user ID in one transaction, audited as one "user.update" entry holding the old
 * and new values of what changed (nothing changes: ST_OK, nothing written). Roles are granted and
 * revoked to match UP->roles; disabling ends the user's sessions. Refused with ST_INVALID, *FIELD
 * (may be NULL; a static string) naming the field and ERR saying why: bad values, an unknown
 * role, WHO disabling themselves or dropping their own admin role, and any change that would
 * leave no active holder of 'admin' (an instance must keep a way in). ST_NOT_FOUND for an
 * unknown ID. *OUT (may be NULL) gets the user as it is afterwards. */
enum status users_update(struct db_conn *c, struct audit *a, const struct actor *who, int64_t id,
			 const struct user_update *up, struct user *out, const char **field,
			 char *err, size_t errlen);

/* One row of the roles table, for the administration pages. Pointers are valid during the
 * callback only. */
struct role_info {
	const char *code;
	const char *name_id;
	const char *name_en;
	const char *kind;     /* "sop", "admin", "auditor", "reader" */
	const char *superior; /* the role above it in an SOP's chain, or NULL */
	int64_t holders;      /* active (not disabled) accounts holding it */
};
/* Calls FN for every role in display order, stopping at the first non-OK status. FN must not use
 * C (the rows are being read). */
enum status users_roles_list(struct db_conn *c,
			     enum status (*fn)(void *ctx, const struct role_info *r), void *ctx);

#endif
