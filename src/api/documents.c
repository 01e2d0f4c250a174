/*
 * /api/meetings/{id}/documents and /api/documents/{id}...: uploads, versions, reads, downloads.
 *
 * An upload streams: the file part goes straight into a blob writer (a temp file being hashed),
 * form fields are collected (each capped). The file's type is checked by content as soon as its
 * first 64 KiB are in, so a disallowed file is refused without reading the rest. Only when the
 * whole body has arrived and every field is valid is the blob made durable and the rows written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "domain/acl.h"
#include "domain/filetype.h"
#include "sidang_limits.h"
#include "store/blob.h"
#include "util/filename.h"
#include "util/log.h"
#include "util/utf8.h"

enum upload_field {
	UF_STAGE,
	UF_TYPE,
	UF_TITLE,
	UF_CLASSIFICATION,
	UF_SOURCE,
	UF_SCANNED_BY,
	UF_SCANNED_AT,
	UF_SCAN_DEVICE,
	UF_SCAN_PAGES,
	UF__COUNT,
	UF_FILE = -1,
	UF_NONE = -2,
};

static const char *const field_names[UF__COUNT] = {
	"stage", "type", "title", "classification", "source",
	"scanned_by", "scanned_at", "scan_device", "scan_pages",
};

struct upload {
	bool new_version;     /* POST /api/documents/{id}/versions: only a file part */
	int64_t target;       /* meeting id, or document id */
	struct blob_writer *w;
	bool have_file;
	bool type_checked;
	char mime[FILETYPE_MIME_MAX];
	char filename[LIMIT_FILENAME_BYTES + 1];
	int current;          /* enum upload_field of the part being read */
	struct buf field;
	char *values[UF__COUNT];
};

static enum status upload_begin(struct req *r, bool new_version)
{
	struct upload *u = arena_alloc(&r->arena, sizeof *u);
	if (!u)
		return ST_NOMEM;
	u->new_version = new_version;
	u->current = UF_NONE;
	buf_init(&u->field, LIMIT_MULTIPART_FIELD_BYTES);
	r->upload = u;
	if (!api_param_id(r, 0, &u->target))
		return ST_NOT_FOUND;
	/* Nobody streams a file into a dossier they cannot see or change. */
	struct db_conn *c = db_acquire(r->app->db);
	enum status st;
	if (new_version) {
		struct document d;
		st = documents_get(c, r->app->audit, &r->session.user, r->address, u->target, &d);
		/* Seeing a document (a PIC's grant) is not changing it. */
		if (st == ST_OK && acl_document(&r->session.user, ACL_WRITE, d.classification,
						d.meeting_classification) != ACL_ALLOW)
			st = ST_DENIED;
	} else {
		struct meeting m;
		st = documents_can_upload(c, r->app->audit, &r->session.user, r->address, u->target, &m);
	}
	db_release(r->app->db, c);
	if (st == ST_DENIED)
		http_reply_error(r, 403, "forbidden", "you may not add documents here", NULL);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	return st;
}

static enum status begin_document(struct req *r) { return upload_begin(r, false); }
static enum status begin_version(struct req *r) { return upload_begin(r, true); }

static enum status part_begin(struct req *r, struct slice name, struct slice filename,
			      struct slice content_type)
{
	(void)content_type; /* the client's word on the type is not trusted */
	struct upload *u = r->upload;
	if (slice_eq_cstr(name, "file")) {
		if (u->have_file) {
			http_reply_error(r, 400, "validation_failed", "field 'file': more than one file",
					 "file");
			return ST_INVALID;
		}
		if (!filename.ptr) {
			http_reply_error(r, 400, "validation_failed", "field 'file': not a file", "file");
			return ST_INVALID;
		}
		if (filename.len > LIMIT_FILENAME_BYTES) {
			http_reply_error(r, 400, "validation_failed",
					 "field 'file': the file name is longer than 255 bytes", "file");
			return ST_INVALID;
		}
		filename_sanitize(filename, u->filename, sizeof u->filename);
		enum status st = blob_writer_begin(r->app->blobs, r->app->max_upload, &u->w);
		if (st != ST_OK) {
			http_reply_status(r, st, NULL);
			return st;
		}
		u->have_file = true;
		u->current = UF_FILE;
		return ST_OK;
	}
	for (int i = 0; i < UF__COUNT && !u->new_version; i++) {
		if (!slice_eq_cstr(name, field_names[i]))
			continue;
		if (u->values[i]) {
			char msg[96];
			snprintf(msg, sizeof msg, "field '%s': given twice", field_names[i]);
			http_reply_error(r, 400, "validation_failed", msg, field_names[i]);
			return ST_INVALID;
		}
		u->current = i;
		buf_reset(&u->field);
		return ST_OK;
	}
	char msg[160];
	snprintf(msg, sizeof msg, "unknown field '%.*s'", (int)(name.len > 64 ? 64 : name.len), name.ptr);
	http_reply_error(r, 400, "validation_failed", msg, NULL);
	return ST_INVALID;
}

/* Drops the file being received at once, so a refused upload leaves no temp file behind even
 * while the rest of its body is still being read and discarded. */
static void drop_file(struct upload *u)
{
	blob_writer_abort(u->w);
	u->w = NULL;
}

/* Checks the file's type once its head is in; replies 415 when it is not allowed. */
static enum status check_type(struct req *r, struct upload *u)
{
	size_t n;
	const unsigned char *head = blob_writer_head(u->w, &n);
	enum status st = filetype_detect(head, n, u->mime);
	u->type_checked = true;
	if (st == ST_UNSUPPORTED) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "this file type (%s) is not accepted: PDF, JPEG, PNG, TIFF and office documents are",
			 u->mime);
		http_reply_error(r, 415, "unsupported_media_type", msg, "file");
	} else if (st != ST_OK) {
		http_reply_status(r, st, NULL);
	}
	if (st != ST_OK)
		drop_file(u);
	return st;
}

static enum status part_data(struct req *r, const char *p, size_t n)
{
	struct upload *u = r->upload;
	if (u->current == UF_FILE) {
		enum status st = blob_writer_write(u->w, p, n);
		if (st == ST_TOO_LARGE) {
			char msg[128];
			snprintf(msg, sizeof msg, "the file is larger than the limit of %" PRIu64 " bytes",
				 r->app->max_upload);
			http_reply_error(r, 413, "payload_too_large", msg, "file");
			drop_file(u);
			return st;
		}
		if (st != ST_OK) {
			http_reply_status(r, st, NULL);
			drop_file(u);
			return st;
		}
		if (!u->type_checked && blob_writer_size(u->w) >= BLOB_HEAD_BYTES)
			return check_type(r, u);
		return ST_OK;
	}
	if (buf_add(&u->field, p, n) != ST_OK) {
		char msg[128];
		snprintf(msg, sizeof msg, "field '%s': longer than %d bytes", field_names[u->current],
			 LIMIT_MULTIPART_FIELD_BYTES);
		http_reply_error(r, 400, "validation_failed", msg, field_names[u->current]);
		return ST_INVALID;
	}
	return ST_OK;
}

static enum status part_end(struct req *r)
{
	struct upload *u = r->upload;
	if (u->current == UF_FILE) {
		u->current = UF_NONE;
		if (blob_writer_size(u->w) == 0) {
			http_reply_error(r, 400, "validation_failed", "field 'file': the file is empty",
					 "file");
			drop_file(u);
			return ST_INVALID;
		}
		return u->type_checked ? ST_OK : check_type(r, u);
	}
	const char *v = u->field.ptr ? u->field.ptr : "";
	if (!utf8_valid(v, u->field.len) || memchr(v, '\0', u->field.len)) {
		char msg[96];
		snprintf(msg, sizeof msg, "field '%s': not valid UTF-8 text", field_names[u->current]);
		http_reply_error(r, 400, "validation_failed", msg, field_names[u->current]);
		return ST_INVALID;
	}
	char *copy = arena_strndup(&r->arena, v, u->field.len);
	if (!copy) {
		http_reply_status(r, ST_NOMEM, NULL);
		return ST_NOMEM;
	}
	u->values[u->current] = copy;
	u->current = UF_NONE;
	return ST_OK;
}

static void upload_cleanup(struct req *r)
{
	struct upload *u = r->upload;
	if (!u)
		return;
	drop_file(u); /* nothing left after a commit */
	buf_release(&u->field);
}

const struct upload_hooks api_document_upload_hooks = {begin_document, part_begin, part_data,
						       part_end, upload_cleanup};
const struct upload_hooks api_version_upload_hooks = {begin_version, part_begin, part_data,
						      part_end, upload_cleanup};

/* Makes the uploaded file durable; replies on failure. */
static bool commit_blob(struct req *r, struct upload *u, char sha[65], uint64_t *size)
{
	if (!u->have_file) {
		http_reply_error(r, 400, "validation_failed", "field 'file': required", "file");
		return false;
	}
	struct blob_writer *w = u->w;
	u->w = NULL; /* freed by commit whatever happens */
	enum status st = blob_writer_commit(w, sha, size);
	if (st != ST_OK) {
		http_reply_status(r, st, NULL);
		return false;
	}
	return true;
}

void api_documents_upload_done(struct req *r)
{
	struct upload *u = r->upload;
	struct document_input in = {
		u->values[UF_STAGE], u->values[UF_TYPE], u->values[UF_TITLE],
		u->values[UF_CLASSIFICATION], u->values[UF_SOURCE], u->values[UF_SCANNED_BY],
		u->values[UF_SCANNED_AT], u->values[UF_SCAN_DEVICE], u->values[UF_SCAN_PAGES],
	};
	struct field_error fe = {0};
	if (documents_validate(&in, &fe) != ST_OK) {
		api_reply_field_error(r, &fe);
		return;
	}
	char sha[65];
	uint64_t size;
	if (!commit_blob(r, u, sha, &size))
		return;
	struct blob_ref ref = {sha, size, u->mime, u->filename};
	struct document d;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = documents_create(c, r->app->audit, &r->session.user, r->address, u->target,
					  &in, &ref, &d, &fe);
	json_t *body = st == ST_OK ? shape_document(c, &d, false) : NULL;
	db_release(r->app->db, c);
	/* On failure the blob stays unreferenced; start-up sweeps it. */
	if (st == ST_INVALID)
		api_reply_field_error(r, &fe);
	else if (st != ST_OK)
		http_reply_status(r, st, NULL);
	else
		http_reply_json(r, 201, body);
}

void api_documents_version_done(struct req *r)
{
	struct upload *u = r->upload;
	char sha[65];
	uint64_t size;
	if (!commit_blob(r, u, sha, &size))
		return;
	struct blob_ref ref = {sha, size, u->mime, u->filename};
	struct document d;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = documents_add_version(c, r->app->audit, &r->session.user, r->address,
					       u->target, &ref, &d);
	json_t *body = st == ST_OK ? shape_document(c, &d, true) : NULL;
	db_release(r->app->db, c);
	api_reply_result(r, st, body, 201);
}

struct list_ctx {
	struct db_conn *c;
	json_t *items;
};

static enum status add_document(void *ctx, const struct document *d)
{
	struct list_ctx *lc = ctx;
	json_array_append_new(lc->items, shape_document(lc->c, d, false));
	return ST_OK;
}

void api_documents_list(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	const char *stage = http_query(r, "stage");
	if (stage && !stage_valid(stage)) {
		http_reply_error(r, 400, "validation_failed",
				 "parameter 'stage': expected perencanaan, pelaksanaan or pelaporan",
				 "stage");
		return;
	}
	struct db_conn *c = db_acquire(r->app->db);
	struct list_ctx lc = {c, json_array()};
	enum status st = documents_list(c, r->app->audit, &r->session.user, r->address, id, stage,
					add_document, &lc);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		json_decref(lc.items);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", lc.items));
}

void api_documents_get(struct req *r)
{
	int64_t id;
	if (!api_param_id(r, 0, &id))
		return;
	struct document d;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = documents_get(c, r->app->audit, &r->session.user, r->address, id, &d);
	json_t *body = NULL;
	if (st == ST_OK)
		st = documents_record_read(c, r->app->audit, &r->session.user, r->address, id,
					   d.current_version, "document.view");
	if (st == ST_OK)
		body = shape_document(c, &d, true);
	db_release(r->app->db, c);
	api_reply_result(r, st, body, 200);
}

/* Sends the original of document ID (KIND NULL) or the file of kind KIND derived from it, of
 * VERSION (0: current), after the access check and the audit entry ACTION (NULL: none). */
static void send_file(struct req *r, int64_t id, int64_t version, const char *kind,
		      const char *action)
{
	const char *iq = http_query(r, "inline");
	bool want_inline = iq && strcmp(iq, "1") == 0;
	struct document d;
	struct doc_version v;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = documents_get(c, r->app->audit, &r->session.user, r->address, id, &d);
	if (st == ST_OK && !kind)
		st = documents_version(c, id, version ? version : d.current_version, &v);
	else if (st == ST_OK)
		st = documents_derived(c, id, version ? version : d.current_version, kind, &v);
	int fd = -1;
	uint64_t size = 0;
	if (st == ST_OK) {
		st = blob_open_verified(r->app->blobs, v.sha256, &fd, &size);
		if (st == ST_CORRUPT || st == ST_NOT_FOUND) {
			log_error("document %" PRId64 " version %" PRId64 ": blob %s is %s", id, v.version,
				  v.sha256, st == ST_CORRUPT ? "corrupt" : "missing");
			st = ST_CORRUPT;
		}
	}
	/* The read is on the trail before a byte leaves. */
	if (st == ST_OK && action)
		st = documents_record_read(c, r->app->audit, &r->session.user, r->address, id,
					   v.version, action);
	db_release(r->app->db, c);
	if (st != ST_OK) {
		if (fd >= 0)
			close(fd);
		http_reply_status(r, st, NULL);
		return;
	}
	api_reply_content(r, fd, size, v.mime, v.filename, v.sha256, want_inline);
}

/* ?version=N (absent: 0, the current one) into *VERSION; false after replying 400. */
static bool version_param(struct req *r, int64_t *version)
{
	*version = 0;
	const char *vq = http_query(r, "version");
	if (!vq)
		return true;
	size_t n = strlen(vq);
	if (n == 0 || n > 9 || strspn(vq, "0123456789") != n || (*version = strtoll(vq, NULL, 10)) < 1) {
		http_reply_error(r, 400, "validation_failed",
				 "parameter 'version': expected a version number", "version");
		return false;
	}
	return true;
}

void api_documents_content(struct req *r)
{
	int64_t id, version;
	if (api_param_id(r, 0, &id) && version_param(r, &version))
		send_file(r, id, version, NULL, "document.download");
}

void api_documents_derived(struct req *r)
{
	int64_t id, version;
	if (!api_param_id(r, 0, &id) || !version_param(r, &version))
		return;
	struct slice k = r->match.nparams > 1 ? r->match.params[1] : slice_of(NULL, 0);
	static const char *const kinds[] = {"searchable_pdf", "thumbnail", "preview_pdf"};
	const char *kind = NULL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (k.len == strlen(kinds[i]) && memcmp(k.ptr, kinds[i], k.len) == 0)
			kind = kinds[i];
	if (!kind) {
		http_reply_error(r, 404, "not_found", "no such derived file", NULL);
		return;
	}
	/* A searchable PDF or a preview is the document's content, read like the original; a
	 * thumbnail (240 pixels wide, no legible text) is shown in lists and not put on the trail
	 * each time (docs/internals/jobs.md). */
	send_file(r, id, version, kind, strcmp(kind, "thumbnail") == 0 ? NULL : "document.download");
}
