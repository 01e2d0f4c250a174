/* GET /api/search: full-text search over the documents the caller may read (domain/search.h). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/search.h"

/* A query parameter, with an empty value the same as none (as in GET /api/audit). */
static const char *param(struct req *r, const char *name)
{
	const char *v = http_query(r, name);
	return v && v[0] ? v : NULL;
}

static bool param_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t def,
		      int64_t *out)
{
	const char *v = param(r, name);
	*out = def;
	if (!v)
		return true;
	size_t n = strlen(v);
	long long x = n <= 12 && strspn(v, "0123456789") == n ? strtoll(v, NULL, 10) : -1;
	if (x < min || x > max)
		return api_reply_range_error(r, name, min, max);
	*out = x;
	return true;
}

void api_search(struct req *r)
{
	struct search_params p = {
		.q = http_query(r, "q"), /* an empty q is refused, not ignored */
		.stage = param(r, "stage"),
		.type = param(r, "type"),
		.classification = param(r, "classification"),
		.from = param(r, "from"),
		.to = param(r, "to"),
	};
	if (!param_int(r, "meeting", 1, INT64_C(999999999999), 0, &p.meeting_id) ||
	    !param_int(r, "limit", 1, SEARCH_LIMIT_MAX, SEARCH_LIMIT_DEFAULT, &p.limit) ||
	    !param_int(r, "offset", 0, SEARCH_OFFSET_MAX, 0, &p.offset))
		return;
	struct field_error fe = {0};
	json_t *result = NULL;
	struct db_conn *c = db_acquire(r->app->db);
	/* One snapshot for the page and its count. */
	enum status st = db_begin_read(c);
	if (st == ST_OK)
		st = search_query(c, &r->session.user, &p, &result, &fe);
	db_rollback(c);
	/* The search is recorded (what was asked, how much was found) before anything is shown. */
	if (st == ST_OK) {
		json_int_t total = json_integer_value(json_object_get(result, "total"));
		size_t returned = json_array_size(json_object_get(result, "items"));
		bool capped = json_is_true(json_object_get(result, "total_capped"));
		st = search_record(c, r->app->audit, &r->session.user, r->address, &p, total,
				   capped, (int64_t)returned);
	}
	db_release(r->app->db, c);
	if (st == ST_OK) {
		http_reply_json(r, 200, result);
		return;
	}
	json_decref(result);
	if (st == ST_INVALID)
		api_reply_field_error(r, &fe);
	else
		http_reply_status(r, st, NULL);
}
