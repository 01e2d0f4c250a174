/* /api/meetings: list, create, read, edit. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/json_body.h"
#include "sidang_limits.h"

static const char *const meeting_keys[] = {"title", "number", "date", "place", "chair",
					   "classification", NULL};

/* Reads the meeting fields of the JSON body into IN; replies and returns false on bad input. */
static bool read_input(struct req *r, struct meeting_input *in, bool create)
{
	char err[256];
	const char *cls = NULL;
	memset(in, 0, sizeof *in);
	struct {
		const char *name;
		const char **dst;
		size_t max;
		bool required;
	} fields[] = {
		{"title", &in->title, LIMIT_TITLE_BYTES, create},
		{"number", &in->number, LIMIT_SHORT_TEXT_BYTES, false},
		{"date", &in->date, 10, create},
		{"place", &in->place, LIMIT_SHORT_TEXT_BYTES, false},
		{"chair", &in->chair, LIMIT_SHORT_TEXT_BYTES, false},
		{"classification", &cls, 32, create},
	};
	if (json_check_keys(r->json, meeting_keys, err, sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return false;
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (json_get_string(r->json, fields[i].name, fields[i].required,
				    strcmp(fields[i].name, "date") == 0 ? 64 : fields[i].max,
				    fields[i].dst, err, sizeof err) != ST_OK) {
			http_reply_error(r, 400, "validation_failed", err, fields[i].name);
			return false;
		}
	}
	if (cls) {
		if (!classification_parse(cls, &in->classification)) {
			http_reply_error(r, 400, "validation_failed",
					 "field 'classification': expected biasa, terbatas, rahasia or sangat_rahasia",
					 "classification");
			return false;
		}
		in->has_classification = true;
	}
	return true;
}

struct list_ctx {
	json_t *items;
};

static enum status add_meeting(void *ctx, const struct meeting *m)
{
	struct list_ctx *lc = ctx;
	json_array_append_new(lc->items, shape_meeting(m));
	return ST_OK;
}

void api_meetings_list(struct req *r)
{
	int64_t limit, offset, total = 0;
	if (!api_query_int(r, "limit", 1, LIMIT_LIST_PAGE, 50, &limit) ||
	    !api_query_int(r, "offset", 0, 1000000000, 0, &offset))
		return;
	struct list_ctx lc = {json_array()};
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = db_begin_read(c);
	if (st == ST_OK)
		st = meetings_list(c, &r->session.user, limit, offset, add_meeting, &lc, &total);
	db_rollback(c);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(lc.items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o, s:I}", "items", lc.items, "total", (json_int_t)total));
}

void api_meetings_create(struct req *r)
{
	struct meeting_input in;
	if (!read_input(r, &in, true))
		return;
	struct meeting m;
	struct field_error fe = {0};
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = meetings_create(c, r->app->audit, &r->session.user, r->address, &in, &m, &fe);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		api_reply_field_error(r, &fe);
	else if (st == ST_DENIED)
		http_reply_error(r, 403, "forbidden", "only the bureau's officials create meetings", NULL);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 201, shape_meeting(&m));
}

void api_meetings_get(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	struct meeting m;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = meetings_get(c, r->app->audit, &r->session.user, r->address, id, &m);
	db_release(r->app->db, c);
	if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 200, shape_meeting(&m));
}

void api_meetings_patch(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	struct meeting_input in;
	if (!read_input(r, &in, false))
		return;
	struct meeting m;
	struct field_error fe = {0};
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = meetings_update(c, r->app->audit, &r->session.user, r->address, id, &in, &m,
					 &fe);
	db_release(r->app->db, c);
	if (st == ST_INVALID)
		api_reply_field_error(r, &fe);
	else if (st == ST_DENIED && fe.field)
		http_reply_error(r, 403, "forbidden", fe.message, fe.field);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 200, shape_meeting(&m));
}
