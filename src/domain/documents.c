#include "domain/documents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/acl.h"
#include "domain/filetype.h"
#include "jobs/queue.h"
#include "domain/search.h"
#include "sidang_limits.h"
#include "util/clock.h"

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static enum status fail(struct field_error *fe, const char *field, const char *why)
{
	fe->field = field;
	snprintf(fe->message, sizeof fe->message, "field '%s': %s", field, why);
	return ST_INVALID;
}

bool stage_valid(const char *s)
{
	return s && (strcmp(s, "perencanaan") == 0 || strcmp(s, "pelaksanaan") == 0 ||
		     strcmp(s, "pelaporan") == 0);
}

static bool type_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > DOC_TYPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool text_ok(const char *s, size_t max)
{
	if (strlen(s) > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM */
static bool scan_time_valid(const char *s)
{
	size_t n = strlen(s);
	if (n != 10 && n != 16)
		return false;
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!date_valid(date))
		return false;
	if (n == 10)
		return true;
	return s[10] == 'T' && s[11] >= '0' && s[11] <= '2' && s[12] >= '0' && s[12] <= '9' &&
	       s[13] == ':' && s[14] >= '0' && s[14] <= '5' && s[15] >= '0' && s[15] <= '9' &&
	       (s[11] - '0') * 10 + (s[12] - '0') < 24;
}

enum status documents_validate(const struct document_input *in, struct field_error *fe)
{
	if (!in->stage)
		return fail(fe, "stage", "required");
	if (!stage_valid(in->stage))
		return fail(fe, "stage", "expected perencanaan, pelaksanaan or pelaporan");
	if (!in->type)
		return fail(fe, "type", "required");
	if (!type_valid(in->type))
		return fail(fe, "type", "expected 1 to 64 of a-z, 0-9 and _");
	if (in->title && (!text_ok(in->title, LIMIT_TITLE_BYTES) || !in->title[0]))
		return fail(fe, "title", "empty, too long or with control characters");
	enum classification cls;
	if (in->classification && !classification_parse(in->classification, &cls))
		return fail(fe, "classification", "expected biasa, terbatas, rahasia or sangat_rahasia");
	if (!in->source)
		return fail(fe, "source", "required");
	bool scan = strcmp(in->source, "scan") == 0;
	if (!scan && strcmp(in->source, "born_digital") != 0)
		return fail(fe, "source", "expected scan or born_digital");
	if (!scan) {
		if (in->scanned_by)
			return fail(fe, "scanned_by", "only for scanned documents");
		if (in->scanned_at)
			return fail(fe, "scanned_at", "only for scanned documents");
		if (in->scan_device)
			return fail(fe, "scan_device", "only for scanned documents");
		if (in->scan_pages)
			return fail(fe, "scan_pages", "only for scanned documents");
		return ST_OK;
	}
	if (in->scanned_by && (!in->scanned_by[0] || !text_ok(in->scanned_by, LIMIT_SHORT_TEXT_BYTES)))
		return fail(fe, "scanned_by", "empty, too long or with control characters");
	if (!in->scanned_at)
		return fail(fe, "scanned_at", "required for a scan");
	if (!scan_time_valid(in->scanned_at))
		return fail(fe, "scanned_at", "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM");
	if (!in->scan_device)
		return fail(fe, "scan_device", "required for a scan");
	if (!in->scan_device[0] || !text_ok(in->scan_device, LIMIT_SHORT_TEXT_BYTES))
		return fail(fe, "scan_device", "empty, too long or with control characters");
	if (!in->scan_pages)
		return fail(fe, "scan_pages", "required for a scan");
	const char *p = in->scan_pages;
	size_t n = strlen(p);
	if (n == 0 || n > 6 || p[0] == '0' || strspn(p, "0123456789") != n ||
	    strtol(p, NULL, 10) > LIMIT_SCAN_PAGES)
		return fail(fe, "scan_pages", "expected a whole number from 1 to 100000");
	return ST_OK;
}

static void read_row(struct db_stmt *s, struct document *d)
{
	d->id = db_col_int(s, 0);
	d->meeting_id = db_col_int(s, 1);
	copy(d->stage, sizeof d->stage, db_col_text(s, 2));
	copy(d->type, sizeof d->type, db_col_text(s, 3));
	copy(d->title, sizeof d->title, db_col_text(s, 4));
	d->classification = (enum classification)db_col_int(s, 5);
	copy(d->source, sizeof d->source, db_col_text(s, 6));
	d->has_alih_media = !db_col_is_null(s, 8);
	copy(d->scanned_by, sizeof d->scanned_by, db_col_text(s, 7));
	copy(d->scanned_at, sizeof d->scanned_at, db_col_text(s, 8));
	copy(d->scan_device, sizeof d->scan_device, db_col_text(s, 9));
	d->scan_pages = db_col_int(s, 10);
	copy(d->state, sizeof d->state, db_col_text(s, 11));
	copy(d->created_by, sizeof d->created_by, db_col_text(s, 12));
	d->created_at = db_col_int(s, 13);
	d->current_version = db_col_int(s, 14);
	d->meeting_classification = (enum classification)db_col_int(s, 15);
}

static void read_row_any(struct db_stmt *s, void *out) { read_row(s, out); }

static enum status load(struct db_conn *c, int64_t id, struct document *out)
{
	return db_get_row(c, SQL_DOCUMENT_GET, id, read_row_any, out);
}

enum status documents_can_upload(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t meeting_id, struct meeting *m)
{
	enum status st = meetings_get(c, a, u, address, meeting_id, m);
	if (st != ST_OK)
		return st;
	if (acl_meeting(u, ACL_WRITE, m->classification) != ACL_ALLOW)
		return ST_DENIED;
	return ST_OK;
}

static enum status insert_version(struct db_conn *c, int64_t doc, int64_t version,
				  const struct blob_ref *b, int64_t user_id, int64_t now)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_BLOB_UPSERT, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, b->sha256);
	db_bind_int(s, 2, (int64_t)b->size);
	db_bind_text(s, 3, b->mime);
	db_bind_int(s, 4, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	if ((st = db_prepare(c, SQL_VERSION_INSERT, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, doc);
	db_bind_int(s, 2, version);
	db_bind_text(s, 3, b->sha256);
	db_bind_int(s, 4, (int64_t)b->size);
	db_bind_text(s, 5, b->mime);
	db_bind_text(s, 6, b->filename);
	db_bind_int(s, 7, user_id);
	db_bind_int(s, 8, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	/* In the version's transaction: the check job exists exactly when the version does, and so
	 * do a PDF's text extraction and an image's OCR. */
	st = jobs_enqueue(c, JOB_KIND_VERIFY_BLOB, doc, version, NULL, 0, NULL);
	if (st == ST_OK && strcmp(b->mime, "application/pdf") == 0)
		st = jobs_enqueue(c, JOB_KIND_EXTRACT_TEXT, doc, version, NULL, 0, NULL);
	/* An image is a scan: read by OCR into a searchable PDF (a PDF's scanned pages are found
	 * by extract_text, which queues their OCR). */
	if (st == ST_OK && (strcmp(b->mime, "image/jpeg") == 0 || strcmp(b->mime, "image/png") == 0 ||
			    strcmp(b->mime, "image/tiff") == 0))
		st = jobs_enqueue(c, JOB_KIND_OCR, doc, version, NULL, 0, NULL);
	/* A thumbnail for lists: of a PDF or an image now, of an office file from its PDF preview
	 * (office_preview queues it); an office file's text and preview. */
	if (st == ST_OK && (strcmp(b->mime, "application/pdf") == 0 ||
			    strcmp(b->mime, "image/jpeg") == 0 || strcmp(b->mime, "image/png") == 0 ||
			    strcmp(b->mime, "image/tiff") == 0))
		st = jobs_enqueue(c, JOB_KIND_THUMBNAIL, doc, version, NULL, 0, NULL);
	if (st == ST_OK && filetype_office(b->mime) != FILETYPE_NOT_OFFICE) {
		st = jobs_enqueue(c, JOB_KIND_EXTRACT_OFFICE, doc, version, NULL, 0, NULL);
		if (st == ST_OK)
			st = jobs_enqueue(c, JOB_KIND_OFFICE_PREVIEW, doc, version, NULL, 0, NULL);
	}
	return st;
}

static json_t *version_detail(const struct blob_ref *b, int64_t version)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:s}", "version", (json_int_t)version, "sha256",
			 b->sha256, "size", (json_int_t)b->size, "mime", b->mime, "filename",
			 b->filename);
}

enum status documents_create(struct db_conn *c, struct audit *a, const struct user *u,
			     const char *address, int64_t meeting_id, const struct document_input *in,
			     const struct blob_ref *blob, struct document *out, struct field_error *fe)
{
	enum status st = documents_validate(in, fe);
	if (st != ST_OK)
		return st;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	if ((st = documents_create_tx(c, a, u, address, meeting_id, in, blob, out, fe)) == ST_OK)
		st = db_commit(c);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status documents_create_tx(struct db_conn *c, struct audit *a, const struct user *u,
				const char *address, int64_t meeting_id,
				const struct document_input *in, const struct blob_ref *blob,
				struct document *out, struct field_error *fe)
{
	enum status st = documents_validate(in, fe);
	if (st != ST_OK)
		return st;
	json_t *detail = NULL;
	struct meeting m;
	/* Re-checked inside the transaction: the meeting may have changed while the file arrived. */
	{
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_MEETING_GET, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, meeting_id);
		db_bind_int(s, 2, acl_read_ceiling(u));
		bool row;
		st = db_step(s, &row);
		if (st == ST_OK && !row)
			st = ST_NOT_FOUND;
		if (st == ST_OK)
			m.classification = (enum classification)db_col_int(s, 6);
		db_done(s);
		if (st != ST_OK)
			goto out;
	}
	enum classification cls = m.classification;
	if (in->classification)
		classification_parse(in->classification, &cls);
	if (acl_meeting(u, ACL_WRITE, m.classification) != ACL_ALLOW) {
		st = ST_NOT_FOUND;
		goto out;
	}
	if ((int)cls > (int)u->clearance) {
		st = fail(fe, "classification", "above your clearance");
		goto out;
	}
	bool scan = strcmp(in->source, "scan") == 0;
	int64_t now = clock_now();
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_DOCUMENT_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, meeting_id);
	db_bind_text(s, 2, in->stage);
	db_bind_text(s, 3, in->type);
	db_bind_text(s, 4, in->title ? in->title : blob->filename);
	db_bind_int(s, 5, cls);
	db_bind_text(s, 6, in->source);
	db_bind_text(s, 7, scan ? (in->scanned_by ? in->scanned_by : u->display_name) : NULL);
	db_bind_text(s, 8, scan ? in->scanned_at : NULL);
	db_bind_text(s, 9, scan ? in->scan_device : NULL);
	if (scan)
		db_bind_int(s, 10, strtol(in->scan_pages, NULL, 10));
	else
		db_bind_null(s, 10);
	db_bind_int(s, 11, u->id);
	db_bind_int(s, 12, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	int64_t id = db_last_insert_id(c);
	if ((st = insert_version(c, id, 1, blob, u->id, now)) != ST_OK)
		goto out;
	if ((st = search_index_document(c, id)) != ST_OK)
		goto out;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	detail = version_detail(blob, 1);
	json_object_set_new(detail, "meeting_id", json_integer(meeting_id));
	json_object_set_new(detail, "stage", json_string(in->stage));
	json_object_set_new(detail, "type", json_string(in->type));
	json_object_set_new(detail, "source", json_string(in->source));
	json_object_set_new(detail, "classification", json_string(classification_name(cls)));
	struct audit_event ev = {u->id, u->username, address, "document.create", "document", ids, detail};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	st = load(c, id, out);
out:
	json_decref(detail);
	return st;
}

enum status documents_add_version(struct db_conn *c, struct audit *a, const struct user *u,
				  const char *address, int64_t id, const struct blob_ref *blob,
				  struct document *out)
{
	json_t *detail = NULL;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	struct document d;
	if ((st = load(c, id, &d)) != ST_OK)
		goto out;
	if (acl_document(u, ACL_WRITE, d.classification, d.meeting_classification) != ACL_ALLOW) {
		st = ST_NOT_FOUND;
		goto out;
	}
	int64_t version = d.current_version + 1;
	int64_t now = clock_now();
	if ((st = insert_version(c, id, version, blob, u->id, now)) != ST_OK)
		goto out;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_DOCUMENT_SET_VERSION, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, version);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	/* The index now holds the new version's file name and (until extracted) no text. */
	if ((st = search_index_document(c, id)) != ST_OK)
		goto out;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	detail = version_detail(blob, version);
	struct audit_event ev = {u->id, u->username, address, "document.version", "document", ids, detail};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	if ((st = load(c, id, out)) != ST_OK)
		goto out;
	st = db_commit(c);
out:
	json_decref(detail);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status documents_get(struct db_conn *c, struct audit *a, const struct user *u,
			  const char *address, int64_t id, struct document *out)
{
	enum status st = load(c, id, out);
	if (st != ST_OK)
		return st;
	if (acl_document(u, ACL_READ, out->classification, out->meeting_classification) != ACL_ALLOW &&
	    !acl_pic_sees_document(c, u, id)) {
		audit_denied(c, a, u, address, "document", id);
		return ST_NOT_FOUND;
	}
	return ST_OK;
}

enum status documents_list(struct db_conn *c, struct audit *a, const struct user *u,
			   const char *address, int64_t meeting_id, const char *stage,
			   enum status (*fn)(void *ctx, const struct document *d), void *ctx)
{
	struct meeting m;
	enum status st = meetings_get(c, a, u, address, meeting_id, &m);
	if (st != ST_OK)
		return st;
	struct db_stmt *s;
	bool pic = acl_read_ceiling(u) < 0;
	if ((st = db_prepare(c, pic ? SQL_DOCUMENT_LIST_PIC : SQL_DOCUMENT_LIST, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, meeting_id);
	db_bind_text(s, 2, stage);
	db_bind_int(s, 3, pic ? (int)u->clearance : acl_read_ceiling(u));
	if (pic)
		db_bind_int(s, 4, u->id);
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		struct document d;
		read_row(s, &d);
		if ((st = fn(ctx, &d)) != ST_OK)
			break;
	}
	db_done(s);
	return st;
}

enum status documents_list_all(struct db_conn *c, int64_t meeting_id,
			       enum status (*fn)(void *ctx, const struct document *d), void *ctx)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_DOCUMENT_LIST, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, meeting_id);
	db_bind_null(s, 2);
	db_bind_int(s, 3, CLASS_SANGAT_RAHASIA);
	/* Rows first: FN may run other statements, even this one. */
	struct document *rows = NULL;
	size_t n = 0, cap = 0;
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct document *p = realloc(rows, ncap * sizeof *p);
			if (!p) {
				st = ST_NOMEM;
				break;
			}
			rows = p;
			cap = ncap;
		}
		read_row(s, &rows[n++]);
	}
	db_done(s);
	for (size_t i = 0; i < n && st == ST_OK; i++)
		st = fn(ctx, &rows[i]);
	free(rows);
	return st;
}

enum status documents_load(struct db_conn *c, int64_t id, struct document *out)
{
	return load(c, id, out);
}

static void read_version(struct db_stmt *s, struct doc_version *v)
{
	v->version = db_col_int(s, 0);
	copy(v->sha256, sizeof v->sha256, db_col_text(s, 1));
	v->size = db_col_int(s, 2);
	copy(v->mime, sizeof v->mime, db_col_text(s, 3));
	copy(v->filename, sizeof v->filename, db_col_text(s, 4));
	copy(v->uploaded_by, sizeof v->uploaded_by, db_col_text(s, 5));
	v->uploaded_at = db_col_int(s, 6);
}

enum status documents_versions(struct db_conn *c, int64_t id,
			       enum status (*fn)(void *ctx, const struct doc_version *v), void *ctx)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_VERSION_LIST, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	bool row;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		struct doc_version v;
		read_version(s, &v);
		if ((st = fn(ctx, &v)) != ST_OK)
			break;
	}
	db_done(s);
	return st;
}

enum status documents_version(struct db_conn *c, int64_t id, int64_t version, struct doc_version *out)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_VERSION_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, version);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		read_version(s, out);
	db_done(s);
	return st;
}

/* The name a derived file is offered under: the original's stem and the kind's suffix. */
static void derived_filename(const char *original, const char *kind, char *out, size_t cap)
{
	const char *suffix = strcmp(kind, "thumbnail") == 0     ? "-thumbnail.png"
			     : strcmp(kind, "preview_pdf") == 0 ? "-preview.pdf"
								: "-ocr.pdf";
	size_t stem = strlen(original);
	const char *dot = strrchr(original, '.');
	if (dot && dot != original)
		stem = (size_t)(dot - original);
	if (stem > cap - strlen(suffix) - 1)
		stem = cap - strlen(suffix) - 1;
	/* A cut must not split a character. */
	while (stem > 0 && ((unsigned char)original[stem] & 0xC0) == 0x80)
		stem--;
	snprintf(out, cap, "%.*s%s", (int)stem, original, suffix);
}

enum status documents_derived(struct db_conn *c, int64_t id, int64_t version, const char *kind,
			      struct doc_version *out)
{
	enum status st = documents_version(c, id, version, out);
	if (st != ST_OK)
		return st;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_DERIVED_GET, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, version);
	db_bind_text(s, 3, kind);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK) {
		snprintf(out->sha256, sizeof out->sha256, "%s", db_col_text(s, 0));
		out->size = db_col_int(s, 1);
		snprintf(out->mime, sizeof out->mime, "%s", db_col_text(s, 2));
		char original[sizeof out->filename];
		memcpy(original, out->filename, sizeof original);
		derived_filename(original, kind, out->filename, sizeof out->filename);
	}
	db_done(s);
	return st;
}

json_t *documents_derived_kinds(struct db_conn *c, int64_t id, int64_t version)
{
	json_t *a = json_array();
	struct db_stmt *s;
	if (!a || db_prepare(c, SQL_DERIVED_LIST, &s) != ST_OK)
		return a;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, version);
	bool row;
	while (db_step(s, &row) == ST_OK && row)
		json_array_append_new(a, json_string(db_col_text(s, 0)));
	db_done(s);
	return a;
}

enum status documents_record_read(struct db_conn *c, struct audit *a, const struct user *u,
				  const char *address, int64_t id, int64_t version, const char *action)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	json_t *detail = json_pack("{s:I}", "version", (json_int_t)version);
	struct audit_event ev = {u->id, u->username, address, action, "document", ids, detail};
	enum status st = db_begin(c);
	if (st == ST_OK && (st = audit_append(a, c, &ev, NULL)) == ST_OK)
		st = db_commit(c);
	if (st != ST_OK)
		db_rollback(c);
	json_decref(detail);
	return st;
}
