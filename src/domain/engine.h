/*
 * The SOP engine: a case runs one version of an SOP definition over a meeting dossier. Each step
 * reached becomes a task for its performer; completing a task carries out the step's actions
 * (compile, check, decide, dispose, publish, report, verify), records its artefacts, measures it
 * against Mutu Baku, and makes the next step's task available — or closes the case.
 *
 * Every function that changes state runs in its own write transaction (BEGIN IMMEDIATE) and
 * audits what it did in that transaction; a task completed twice at once succeeds once, the
 * other sees ST_CONFLICT. See docs/engine.md.
 */
#ifndef SIDANG_DOMAIN_ENGINE_H
#define SIDANG_DOMAIN_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "store/db.h"

/* Starts a case of the default SOP on meeting MEETING_ID inside the caller's open write
 * transaction (used by meetings_create). ST_NOT_FOUND when no SOP definition is installed. */
enum status engine_start_case_tx(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t meeting_id, int64_t *case_id_out);
/* Starts a case on a meeting that has none open, in its own transaction. ST_CONFLICT when one
 * is open or the meeting was kept internal; ST_NOT_FOUND when U cannot see the meeting;
 * ST_DENIED when U holds no bureau role. */
enum status engine_start_case(struct db_conn *c, struct audit *a, const struct user *u,
			      const char *address, int64_t meeting_id, int64_t *case_id_out);

/* The available tasks U may perform now (TASK JSON array, oldest first). */
enum status engine_inbox(struct db_conn *c, const struct user *u, json_t **out);
/* One task as TASK JSON with its "context" (docs/api.md). Records opened_at the first time a
 * performer opens it. ST_NOT_FOUND unless U may read its meeting. */
enum status engine_task_get(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, int64_t task_id, json_t **out);
/* Completes a task with PAYLOAD (the JSON body). ST_DENIED: U is not its performer;
 * ST_CONFLICT: already completed or the case is closed; ST_INVALID with FE. *out (may be NULL)
 * gets {"task": TASK, "case": CASE}. */
enum status engine_task_complete(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t task_id, json_t *payload,
				 struct field_error *fe, json_t **out);
/* The latest case of a meeting as CASE JSON. ST_NOT_FOUND when none or not visible. */
enum status engine_case_json(struct db_conn *c, struct audit *a, const struct user *u,
			     const char *address, int64_t meeting_id, json_t **out);

/* True if U may publish-grant to or read as PIC: the grant rules (clearance at least the
 * document's and the meeting's classification). */
bool engine_pic_cleared(const struct user *pic, enum classification doc,
			enum classification meeting);

/* Acting officials (Plh/Plt). */
struct acting_input {
	const char *user;     /* username of the stand-in */
	const char *role;
	const char *for_user; /* optional: the absent holder */
	const char *kind;     /* "plh" or "plt" */
	int64_t starts, ends; /* Unix seconds */
	const char *reason;
};
enum status engine_acting_grant(struct db_conn *c, struct audit *a, const struct user *admin,
				const char *address, const struct acting_input *in,
				struct field_error *fe, json_t **out);
enum status engine_acting_revoke(struct db_conn *c, struct audit *a, const struct user *admin,
				 const char *address, int64_t id);
/* ACTING JSON array: all (ALL) or U's own. */
enum status engine_acting_list(struct db_conn *c, const struct user *u, bool all, json_t **out);

/* USERREF {"id", "username", "display_name"} of user ID, or JSON null. */
json_t *engine_userref(struct db_conn *c, int64_t id);

/* -- intake -- */
/* True if U performs (holds the role, or an "also" role, directly or as Plh/Plt) a step with
 * ACTION (enum sop_action bits) of the default SOP's latest version: e.g. the compile step (alih
 * media), whose performers work the scanner inbox (domain/intake.h). */
bool engine_performs_action(struct db_conn *c, const struct user *u, unsigned action);
/* -- end intake -- */

#endif
