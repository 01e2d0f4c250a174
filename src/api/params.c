/* Helpers shared by the API handlers. */
#include "api/api.h"

bool api_param_id(struct req *r, int i, int64_t *out)
{
	if (i >= r->match.nparams || !router_param_id(r->match.params[i], out)) {
		http_reply_error(r, 404, "not_found", "not found", NULL);
		return false;
	}
	return true;
}

void api_reply_field_error(struct req *r, const struct field_error *fe)
{
	http_reply_error(r, 400, "validation_failed", fe->message, fe->field);
}

void api_reply_result(struct req *r, enum status st, json_t *body, int ok_status)
{
	if (st != ST_OK) {
		json_decref(body);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, ok_status, body);
}
