/* GET /api/documents/{id}/jobs: the processing of a document (checks, text extraction) for the UI.
 * See docs/api.md, "Jobs". */
#include "api/api.h"
#include "jobs/queue.h"
#include "util/clock.h"

static json_t *time_or_null(int64_t t)
{
	if (t <= 0)
		return json_null();
	char iso[21];
	clock_format_iso(t, iso);
	return json_string(iso);
}

static enum status add_job(void *ctx, const struct job *j)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o}", "id",
			      (json_int_t)j->id, "kind", j->kind, "version", (json_int_t)j->version,
			      "state", j->state, "attempts", j->attempts, "max_attempts",
			      j->max_attempts, "progress", j->progress, "error",
			      j->error[0] ? json_string(j->error) : json_null(), "created_at",
			      time_or_null(j->created_at), "started_at", time_or_null(j->started_at),
			      "finished_at", time_or_null(j->finished_at));
	/* What a finished job made of the document ({"pages": 2}, {"preview": false, "reason":
	 * ...}): the UI says why an office file has no preview. */
	json_t *res = j->result[0] ? json_loads(j->result, 0, NULL) : NULL;
	if (o)
		json_object_set_new(o, "result", res ? res : json_null());
	if (!o || json_array_append_new(ctx, o) != 0)
		return ST_NOMEM;
	return ST_OK;
}

void api_documents_jobs(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	struct document d;
	json_t *items = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	/* Whoever may read the document may see its processing; for anyone else it does not exist. */
	enum status st = items ? documents_get(c, r->app->audit, &r->session.user, r->address, id, &d)
			       : ST_NOMEM;
	if (st == ST_OK)
		st = jobs_list_document(c, id, add_job, items);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}
