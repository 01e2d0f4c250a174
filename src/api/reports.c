/* /api/reports/compliance and /api/notifications: Mutu Baku compliance and breach notices. */
#include "api/api.h"
#include "domain/compliance.h"
#include "util/clock.h"

void api_reports_compliance(struct req *r)
{
	const struct user *u = &r->session.user;
	int64_t now = clock_now(), from, to;
	const char *field = NULL;
	bool allowed = false;
	json_t *report = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = compliance_report_allowed(c, u, now, &allowed);
	if (st != ST_OK) {
		db_release(r->app->db, c);
		http_reply_status(r, st, NULL);
		return;
	}
	if (!allowed) {
		db_release(r->app->db, c);
		http_reply_error(r, 403, "forbidden",
				 "the compliance report is for the Head of the Bureau, the Head of the "
				 "Sessions Division (or whoever acts for them) and auditors",
				 NULL);
		return;
	}
	if (compliance_period(http_query(r, "from"), http_query(r, "to"), now, &from, &to, &field) !=
	    ST_OK) {
		db_release(r->app->db, c);
		const char *bad = http_query(r, field && field[0] == 't' ? "to" : "from");
		if (bad && date_valid(bad))
			http_reply_error(r, 400, "validation_failed",
					 "parameter 'from': must not be after 'to'", "from");
		else if (field && field[0] == 't')
			http_reply_error(r, 400, "validation_failed",
					 "parameter 'to': expected a date YYYY-MM-DD", "to");
		else
			http_reply_error(r, 400, "validation_failed",
					 "parameter 'from': expected a date YYYY-MM-DD", "from");
		return;
	}
	st = compliance_report(c, from, to, u->clearance, &report);
	db_release(r->app->db, c);
	api_reply_result(r, st, report, 200);
}

void api_notifications_list(struct req *r)
{
	json_t *out = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = compliance_notifications_list(c, r->session.user.id, &out);
	db_release(r->app->db, c);
	api_reply_result(r, st, out, 200);
}

void api_notifications_read(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = compliance_notification_read(c, r->session.user.id, id);
	db_release(r->app->db, c);
	if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_empty(r, 204);
}
