/*
 * /api/intake: the "to file" tray (Berkas Masuk) of the scanner inbox and `sidang import`
 * (domain/intake.h, docs/api.md "Scanner inbox"). Listing is for the performers of the SOP's
 * compile step and for administrators; previewing, filing and discarding for the performers only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "domain/acl.h"
#include "domain/intake.h"
#include "http/json_body.h"
#include "sidang_limits.h"
#include "util/log.h"

/* What the item's bytes duplicate, as far as U may know: a document U may read is named; one U
 * may not read is only said to exist (the officer must know the contents are in Sidang already). */
static json_t *shape_duplicate(struct db_conn *c, const struct user *u, const struct intake_item *it)
{
	if (it->dup_document_id) {
		struct document d;
		bool visible = documents_load(c, it->dup_document_id, &d) == ST_OK &&
			       acl_document(u, ACL_READ, d.classification,
					    d.meeting_classification) == ACL_ALLOW;
		if (!visible)
			return json_pack("{s:s, s:n, s:n, s:n}", "kind", "document", "document_id",
					 "title", "meeting_id");
		return json_pack("{s:s, s:I, s:s, s:I}", "kind", "document", "document_id",
				 (json_int_t)d.id, "title", d.title, "meeting_id",
				 (json_int_t)d.meeting_id);
	}
	if (it->dup_item_id)
		return json_pack("{s:s, s:I}", "kind", "intake", "item_id", (json_int_t)it->dup_item_id);
	return json_null();
}

static json_t *shape_item(struct db_conn *c, const struct user *u, const struct intake_item *it)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o, s:s?, s:s, s:o}", "id",
			      (json_int_t)it->id, "filename", it->filename, "size",
			      (json_int_t)it->size, "mime", it->mime, "sha256", it->sha256, "source",
			      it->source, "taken_at", shape_time(it->taken_at), "taken_by",
			      it->has_taken_by ? it->taken_by : NULL, "state", it->state, "duplicate",
			      shape_duplicate(c, u, it));
	if (o && strcmp(it->state, "filed") == 0)
		json_object_set_new(o, "document_id", json_integer(it->document_id));
	if (o && strcmp(it->state, "discarded") == 0)
		json_object_set_new(o, "discard_reason", json_string(it->discard_reason));
	return o;
}

struct list_ctx {
	struct db_conn *c;
	const struct user *u;
	json_t *items;
};

static enum status add_item(void *ctx, const struct intake_item *it)
{
	struct list_ctx *lc = ctx;
	json_t *o = shape_item(lc->c, lc->u, it);
	if (!o || json_array_append_new(lc->items, o) != 0)
		return ST_NOMEM;
	return ST_OK;
}

void api_intake_list(struct req *r)
{
	int64_t limit, offset, total = 0;
	if (!api_query_int(r, "limit", 1, LIMIT_LIST_PAGE, 50, &limit) ||
	    !api_query_int(r, "offset", 0, 1000000000, 0, &offset))
		return;
	struct db_conn *c = db_acquire(r->app->db);
	struct list_ctx lc = {c, &r->session.user, json_array()};
	enum status st = lc.items ? db_begin_read(c) : ST_NOMEM;
	if (st == ST_OK)
		st = intake_list(c, &r->session.user, limit, offset, add_item, &lc, &total);
	db_rollback(c);
	db_release(r->app->db, c);
	if (st == ST_DENIED) {
		json_decref(lc.items);
		http_reply_error(r, 403, "forbidden",
				 "the tray is for the officers of the SOP's alih media step", NULL);
		return;
	}
	api_reply_result(r, st, st == ST_OK ? json_pack("{s:o, s:I, s:I, s:I}", "items", lc.items,
						     "total", (json_int_t)total, "limit",
						     (json_int_t)limit, "offset", (json_int_t)offset)
					  : lc.items, 200);
}

void api_intake_content(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	const char *iq = http_query(r, "inline");
	struct intake_item it;
	int fd = -1;
	uint64_t size = 0;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = intake_get(c, r->app->audit, &r->session.user, r->address, id, &it);
	if (st == ST_OK) {
		st = blob_open_verified(r->app->blobs, it.sha256, &fd, &size);
		if (st == ST_CORRUPT || st == ST_NOT_FOUND) {
			log_error("intake item %" PRId64 ": blob %s is %s", id, it.sha256,
				  st == ST_CORRUPT ? "corrupt" : "missing");
			st = ST_CORRUPT;
		}
	}
	/* The read is on the trail before a byte leaves. */
	if (st == ST_OK)
		st = intake_record_view(c, r->app->audit, &r->session.user, r->address, &it);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		if (fd >= 0)
			close(fd);
		http_reply_status(r, st, NULL);
		return;
	}
	api_reply_content(r, fd, size, it.mime, it.filename, it.sha256, iq && strcmp(iq, "1") == 0);
}

/* The answer to filing or discarding an item. */
static void reply_decision(struct req *r, enum status st, const struct field_error *fe,
			   json_t *body, int ok_status)
{
	if (st == ST_INVALID) {
		json_decref(body);
		api_reply_field_error(r, fe);
	} else if (st == ST_CONFLICT) {
		json_decref(body);
		http_reply_status(r, st, "this item was filed or discarded already");
	} else {
		api_reply_result(r, st, body, ok_status);
	}
}

static const char *const file_keys[] = {"meeting_id", "stage", "type", "title", "classification",
					"source", "scanned_by", "scanned_at", "scan_device",
					"scan_pages", NULL};

void api_intake_file(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	char err[256];
	int64_t meeting_id = 0, pages = 0;
	bool has_pages = false;
	struct document_input in = {0};
	const char *source = NULL;
	if (json_check_keys(r->json, file_keys, err, sizeof err) != ST_OK ||
	    json_get_int(r->json, "meeting_id", true, 1, INT64_MAX, NULL, &meeting_id, err,
			 sizeof err) != ST_OK ||
	    json_get_string(r->json, "stage", true, 32, &in.stage, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "type", true, DOC_TYPE_MAX, &in.type, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "title", false, LIMIT_TITLE_BYTES, &in.title, err, sizeof err) !=
		    ST_OK ||
	    json_get_string(r->json, "classification", false, 32, &in.classification, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "source", false, 32, &source, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "scanned_by", false, LIMIT_SHORT_TEXT_BYTES, &in.scanned_by, err,
			    sizeof err) != ST_OK ||
	    json_get_string(r->json, "scanned_at", false, 32, &in.scanned_at, err, sizeof err) !=
		    ST_OK ||
	    json_get_string(r->json, "scan_device", false, LIMIT_SHORT_TEXT_BYTES, &in.scan_device,
			    err, sizeof err) != ST_OK ||
	    json_get_int(r->json, "scan_pages", false, 1, LIMIT_SCAN_PAGES, &has_pages, &pages, err,
			 sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	/* A scanner's file is a scan unless the officer says otherwise. */
	in.source = source ? source : "scan";
	char pages_text[24];
	if (has_pages) {
		snprintf(pages_text, sizeof pages_text, "%" PRId64, pages);
		in.scan_pages = pages_text;
	}
	struct field_error fe = {0};
	struct document d;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = intake_file(c, r->app->audit, r->app->blobs, &r->session.user, r->address,
				     id, meeting_id, &in, &d, &fe);
	json_t *body = st == ST_OK ? shape_document(c, &d, false) : NULL;
	db_release(r->app->db, c);
	reply_decision(r, st, &fe, body, 201);
}

void api_intake_discard(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	static const char *const keys[] = {"reason", NULL};
	char err[256];
	const char *reason = NULL;
	if (json_check_keys(r->json, keys, err, sizeof err) != ST_OK ||
	    json_get_string(r->json, "reason", true, LIMIT_INTAKE_REASON_BYTES, &reason, err,
			    sizeof err) != ST_OK) {
		api_reply_body_error(r, err);
		return;
	}
	struct field_error fe = {0};
	struct intake_item it;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = intake_discard(c, r->app->audit, &r->session.user, r->address, id, reason,
					&fe);
	json_t *body = NULL;
	if (st == ST_OK && (st = intake_get(c, r->app->audit, &r->session.user, r->address, id,
					    &it)) == ST_OK)
		body = shape_item(c, &r->session.user, &it);
	db_release(r->app->db, c);
	reply_decision(r, st, &fe, body, 200);
}
