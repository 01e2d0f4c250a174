/* /api/audit and /api/audit/verify: the auditor's viewer of the trail. Only the auditor role reads
 * it (not the administrator, whose own acts are in it); each read is itself audited. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/audit_query.h"
#include "sidang_limits.h"

static bool require_auditor(struct req *r)
{
	if (user_has_role(&r->session.user, "auditor"))
		return true;
	http_reply_error(r, 403, "forbidden", "the audit trail is read by auditors", NULL);
	return false;
}

/* A query parameter; an empty one (an empty form field) counts as absent. */
static const char *query_text(struct req *r, const char *name)
{
	const char *v = http_query(r, name);
	return v && *v ? v : NULL;
}

/* A query parameter of 1..12 digits within [MIN, MAX] into *OUT (left alone when absent).
 * Replies 400 and returns false otherwise. */
static bool query_number(struct req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = query_text(r, name);
	if (!v)
		return true;
	size_t n = strlen(v);
	int64_t x = -1;
	if (n <= 12 && strspn(v, "0123456789") == n) {
		x = 0;
		for (size_t i = 0; i < n; i++)
			x = x * 10 + (v[i] - '0');
	}
	if (x < min || x > max)
		return api_reply_range_error(r, name, min, max);
	*out = x;
	return true;
}

void api_audit_list(struct req *r)
{
	if (!require_auditor(r))
		return;
	int64_t meeting = 0, before = 0, limit = 50;
	if (!query_number(r, "meeting", 1, INT64_MAX, &meeting) ||
	    !query_number(r, "before", 1, INT64_MAX, &before) ||
	    !query_number(r, "limit", 1, LIMIT_LIST_PAGE, &limit))
		return;
	struct audit_filter f = {
		.actor = query_text(r, "actor"),
		.action = query_text(r, "action"),
		.object_type = query_text(r, "object_type"),
		.object_id = query_text(r, "object_id"),
		.meeting_id = meeting,
		.from = query_text(r, "from"),
		.to = query_text(r, "to"),
		.before = before,
		.limit = (int)limit,
	};
	char err[256];
	const char *field = NULL;
	json_t *items = NULL;
	int64_t next_before = 0;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = audit_query(c, r->app->audit, &who, &f, &items, &next_before, &field, err,
				     sizeof err);
	db_release(r->app->db, c);
	if (st == ST_INVALID) {
		http_reply_error(r, 400, "validation_failed", err, field);
		return;
	}
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_before",
					  next_before ? json_integer(next_before) : json_null()));
}

void api_audit_verify(struct req *r)
{
	if (!require_auditor(r))
		return;
	/* By default the key this server signs with (checked against the database at start-up),
	 * not the copy in settings, which anyone who can write the database could replace. An
	 * auditor who keeps the key elsewhere passes it. */
	const char *key = query_text(r, "public_key");
	if (key && (strlen(key) != 64 || strspn(key, "0123456789abcdef") != 64)) {
		http_reply_error(r, 400, "validation_failed",
				 "parameter 'public_key': expected 64 lower-case hex digits", "public_key");
		return;
	}
	if (!key)
		key = audit_public_key_hex(r->app->audit);
	struct audit_verify_result res;
	struct db_conn *c = db_acquire(r->app->db);
	struct actor who = {r->session.user.id, r->session.user.username, r->address};
	enum status st = audit_query_verify(c, r->app->audit, &who, key, &res);
	db_release(r->app->db, c);
	if (st == ST_INVALID) {
		http_reply_error(r, 400, "validation_failed",
				 res.reason[0] ? res.reason : "parameter 'public_key': not a valid key",
				 "public_key");
		return;
	}
	if (st != ST_OK && st != ST_CORRUPT) {
		http_reply_status(r, st, NULL);
		return;
	}
	bool ok = st == ST_OK;
	http_reply_json(r, 200,
			json_pack("{s:b, s:I, s:I, s:o, s:o, s:s}", "ok", ok, "entries",
				  (json_int_t)res.entries, "checkpoints", (json_int_t)res.checkpoints,
				  "broken_seq", ok ? json_null() : json_integer(res.broken_seq),
				  "reason", ok ? json_null() : json_string(res.reason), "public_key",
				  key));
}
