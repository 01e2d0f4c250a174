/*
 * Mutu Baku compliance: each task's elapsed time (available → completed) measured against its
 * step's Waktu, breaches flagged on the task and notified up the SOP's chain, and the compliance
 * report (docs/api.md, GET /api/reports/compliance). Notifications live here too: a user's list
 * and marking one read. See docs/internals/compliance.md.
 */
#ifndef SIDANG_DOMAIN_COMPLIANCE_H
#define SIDANG_DOMAIN_COMPLIANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/users.h"
#include "store/db.h"
#include "util/status.h"

/* Notifications returned by one list call: the newest this many. */
#define COMPLIANCE_NOTIFICATIONS_MAX 100
/* Days in the report's default period, today included. */
#define COMPLIANCE_DEFAULT_DAYS 180

/* Called by the engine inside its open write transaction on C, right after it completed task
 * TASK_ID (completed_at set): flags the task breached when it has a Waktu and took longer, and
 * notifies once (nothing when the sweep notified already). ST_NOT_FOUND for an unknown task. */
enum status compliance_task_completed(struct db_conn *c, int64_t task_id);

/* Its own write transaction: every available task whose due_at is before NOW and that has not
 * been notified is flagged breached, notified, and marked notified at NOW. *flagged_out (may be
 * NULL) counts them. */
enum status compliance_sweep_overdue(struct db_conn *c, int64_t now, int *flagged_out);

/* May U read the compliance report at NOW: holders of karo_hph, kabag_persidangan or auditor,
 * and officials acting (Plh/Plt) for karo_hph or kabag_persidangan. Reads within the caller's
 * transaction, if any. */
enum status compliance_report_allowed(struct db_conn *c, const struct user *u, int64_t now,
				      bool *allowed_out);

/* The report's period from the query values FROM and TO ("YYYY-MM-DD" or NULL for the default:
 * the COMPLIANCE_DEFAULT_DAYS days up to NOW's day). *from_out is 00:00:00 UTC of FROM's day,
 * *to_out 23:59:59 UTC of TO's day. ST_INVALID with *field_out ("from" or "to") for a malformed
 * date or FROM after TO. */
enum status compliance_period(const char *from, const char *to, int64_t now, int64_t *from_out,
			      int64_t *to_out, const char **field_out);

/* The compliance report of tasks completed in [FROM, TO] (Unix seconds, inclusive), as the JSON
 * of docs/api.md (*out, a new reference). Meeting titles of meetings classified above
 * TITLE_CEILING are null. Its own read transaction on C. */
enum status compliance_report(struct db_conn *c, int64_t from, int64_t to,
			      enum classification title_ceiling, json_t **out);

/* USER_ID's newest notifications (at most COMPLIANCE_NOTIFICATIONS_MAX) and unread count:
 * {"items": [...], "unread": N} (*out, a new reference). Its own read transaction. */
enum status compliance_notifications_list(struct db_conn *c, int64_t user_id, json_t **out);

/* Marks notification ID of USER_ID read (idempotent). ST_NOT_FOUND when it is not USER_ID's. */
enum status compliance_notification_read(struct db_conn *c, int64_t user_id, int64_t id);

#endif
