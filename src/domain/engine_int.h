/* Private to the engine (engine.c, engine_actions.c): task rows and shared helpers. */
#ifndef SIDANG_DOMAIN_ENGINE_INT_H
#define SIDANG_DOMAIN_ENGINE_INT_H

#include "domain/engine.h"
#include "domain/sop.h"

struct task_row {
	int64_t id, case_id;
	int step;
	char role[SOP_CODE_MAX + 1];
	int64_t assignee_id, from_task_id;
	char state[16];
	int64_t available_at, opened_at, opened_by, completed_at, completed_by, acting_id;
	char answer[SOP_CODE_MAX + 1];
	int64_t waktu_minutes, due_at;
	bool breached;
	int64_t meeting_id;
	char case_state[16];
	int64_t sop_version_id;
	enum classification meeting_classification;
};

struct case_row {
	int64_t id, meeting_id, sop_version_id;
	char state[16];
	int64_t started_by, started_at, closed_at;
};

/* What one completion does, gathered as the actions run. */
struct completion {
	struct db_conn *c;
	struct audit *a;
	const struct user *u;
	const char *address;
	const struct sop *sop;
	const struct sop_step *step;
	struct task_row *task;
	struct meeting *meeting;
	json_t *payload;
	struct field_error *fe;
	int64_t now;
	const char *answer;       /* decide */
	int64_t next_assignee;    /* dispose: the named person, 0 for the role */
	int64_t last_artefact;    /* gets the step's Output code */
	json_t *audit_detail;     /* what the audit entry of the completion says */
};

enum status engine_load_task(struct db_conn *c, int64_t id, struct task_row *t);
enum status engine_load_case(struct db_conn *c, int64_t id, struct case_row *k);
/* The step that follows STEP on this completion (answer for decisions). */
const struct sop_step *engine_next_step(const struct sop *s, const struct sop_step *step,
					const char *answer, const char **end_outcome);
/* Inserts an artefact; *id_out (may be NULL). DATA is borrowed. */
enum status engine_artefact(struct completion *x, const char *kind, const char *to_role,
			    int64_t to_user, const char *text, json_t *data, int64_t *id_out);
/* DOCUMENT JSON plus "grants": [USERREF...]. */
json_t *engine_document_with_grants(struct db_conn *c, const struct document *d);
/* The generated report summary of a case: per stage its documents (those at or below CEILING,
 * the performer's clearance) and their grants. */
json_t *engine_case_summary(struct db_conn *c, int64_t meeting_id, enum classification ceiling);
/* True if U holds ROLE now, directly or as an acting official (*acting_id_out, 0 if direct). */
bool engine_holds_role(struct db_conn *c, const struct user *u, const char *role, int64_t now,
		       int64_t *acting_id_out);
/* The user ids holding ROLE (directly); FN per id. */
enum status engine_role_holders(struct db_conn *c, const char *role,
				enum status (*fn)(void *ctx, int64_t id), void *ctx);
/* Runs the step's actions (engine_actions.c). */
enum status engine_run_actions(struct completion *x);
/* The JSON object keys each action accepts. */
bool engine_payload_key_ok(unsigned actions, const char *key);
/* The "context" of a task for its actions (engine_actions.c). */
json_t *engine_task_context(struct db_conn *c, const struct user *u, const struct sop *s,
			    const struct sop_step *step, const struct task_row *t);

/* Field error helper: sets FE and returns ST_INVALID. */
enum status engine_fail(struct field_error *fe, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
