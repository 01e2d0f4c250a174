/*
 * The tamper-evident audit trail. Every state change and every read of a document is appended,
 * inside the caller's write transaction, to a hash chain: each entry's hash is
 * SHA-256(prev_hash || "\n" || canonical form of the entry). Every LIMIT_AUDIT_CHECKPOINT_EVERY
 * entries, a checkpoint (seq, hash) is signed with the instance's Ed25519 key. The database
 * refuses UPDATE and DELETE on the trail (triggers in the schema).
 */
#ifndef SIDANG_DOMAIN_AUDIT_H
#define SIDANG_DOMAIN_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"
#include "util/status.h"

struct audit; /* the signing key and settings of one instance */

struct audit_event {
	int64_t actor_id;        /* 0 for the system or the CLI */
	const char *actor;       /* username, or "system" / "cli" */
	const char *address;     /* client address, or "cli" */
	const char *action;      /* e.g. "meeting.create", "document.download", "login.fail" */
	const char *object_type; /* "meeting", "document", "user", "session", ... */
	const char *object_id;   /* the object's id as text; "" when none */
	json_t *detail;          /* borrowed; NULL means {}. An object of strings, integers,
				  * booleans, null, arrays, objects: no reals (ST_INVALID) */
};

struct audit_verify_result {
	int64_t entries;
	int64_t checkpoints;
	int64_t broken_seq;  /* 0 when the chain is whole */
	char reason[256];    /* why broken_seq is broken */
};

/* Creates a new Ed25519 key at KEY_PATH (mode 0600, refusing to overwrite) and records its public
 * half in the settings table of C, in its own transaction. ST_CONFLICT when the file exists or a
 * public key is recorded already (key rotation is not supported). */
enum status audit_key_create(struct db_conn *c, const char *key_path);
/* Loads the key at KEY_PATH. *out on success; free with audit_free. ST_DENIED when the file is
 * accessible by group or others, ST_INVALID when it is not a well-formed key. */
enum status audit_open(const char *key_path, struct audit **out);
void audit_free(struct audit *a);
/* The public half of A's key as 64 lowercase hex digits; valid while A lives. */
const char *audit_public_key_hex(const struct audit *a);
/* ST_OK when A's public key is the one recorded in C's settings (check it at start-up);
 * ST_CONFLICT when another one is, ST_NOT_FOUND when none is. */
enum status audit_check_key(const struct audit *a, struct db_conn *c);

/* Appends EV inside the caller's open write transaction on C (db_begin), and signs a checkpoint
 * when one is due. *seq_out (may be NULL) gets the entry's sequence number. */
enum status audit_append(struct audit *a, struct db_conn *c, const struct audit_event *ev,
			 int64_t *seq_out);
/* Appends EV in a write transaction of its own (for an entry that records a read or a refusal,
 * not a change). */
enum status audit_append_alone(struct audit *a, struct db_conn *c, const struct audit_event *ev);
/* Signs a checkpoint at the current end of the chain (own transaction), unless one exists there. */
enum status audit_checkpoint(struct audit *a, struct db_conn *c);

/* Recomputes the whole chain and checks every checkpoint's signature (against PUBLIC_KEY_HEX
 * when not NULL, else the key recorded in settings), in its own read transaction on C. ST_OK
 * when whole; ST_CORRUPT with RES->broken_seq (the first broken entry) and RES->reason when not;
 * ST_INVALID (RES->reason) for a malformed key; other statuses for I/O errors. */
enum status audit_verify(struct db_conn *c, const char *public_key_hex,
			 struct audit_verify_result *res);

#endif
