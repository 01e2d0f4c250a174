/*
 * Reading the audit trail, for the auditor's viewer: entries filtered by person, action, object,
 * meeting and date, newest first, in pages; and a verification of the whole chain. Reading the
 * trail is itself appended to it ("audit.read", "audit.verify"), so auditors are accountable too.
 * Who may read is the caller's decision (the API allows the auditor role only).
 */
#ifndef SIDANG_DOMAIN_AUDIT_QUERY_H
#define SIDANG_DOMAIN_AUDIT_QUERY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/users.h"
#include "store/db.h"
#include "util/status.h"

/* Each member left NULL or 0 matches every entry. */
struct audit_filter {
	const char *actor;       /* the actor's username (or "cli", "system") */
	const char *action;      /* exact ("document.view"), or a prefix ending in '.' ("document.") */
	const char *object_type; /* "meeting", "document", "user", ... */
	const char *object_id;
	int64_t meeting_id;      /* entries about the meeting, its documents, its cases and their
				  * tasks, and any other whose detail names it as meeting_id */
	const char *from;        /* YYYY-MM-DD, UTC, inclusive */
	const char *to;          /* YYYY-MM-DD, UTC, inclusive */
	int64_t before;          /* only entries with seq < BEFORE (the next page) */
	int limit;               /* 1 .. LIMIT_LIST_PAGE; 0 means 50 */
};

/* The entries matching F, newest first. *ITEMS_OUT gets a new JSON array of
 * {"seq", "at", "actor", "actor_id", "address", "action", "object_type", "object_id", "detail",
 * "hash", "prev_hash"} (docs/api.md); *NEXT_BEFORE_OUT the seq to pass as F->before for the next
 * page, or 0 when there is none. The entries are read in one snapshot; then the read is appended
 * as "audit.read" by WHO (the filters and the count) in a transaction of its own, and nothing is
 * returned unless that succeeds. ST_INVALID with *FIELD (a static string; may be NULL) and ERR
 * for a malformed filter. An entry altered by hand is shown as stored: a detail that is not a
 * JSON object comes back as a string, a text that is not UTF-8 as null. */
enum status audit_query(struct db_conn *c, struct audit *a, const struct actor *who,
			const struct audit_filter *f, json_t **items_out, int64_t *next_before_out,
			const char **field, char *err, size_t errlen);

/* audit_verify against PUBLIC_KEY_HEX (NULL: the key recorded in settings), then appends
 * "audit.verify" by WHO with the result (ok, entries, checkpoints, broken_seq, reason). Returns
 * audit_verify's status (ST_OK: whole, ST_CORRUPT: broken, with RES filled; ST_INVALID: a
 * malformed key, not recorded), or the error of recording it — except when the trail's last
 * entry is so damaged that nothing can be appended: then the broken result is returned
 * unrecorded (and logged), since it is the news. */
enum status audit_query_verify(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *public_key_hex, struct audit_verify_result *res);

#endif
