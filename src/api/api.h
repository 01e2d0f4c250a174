/* API handlers (one file per resource) and the JSON shapes they share. See docs/api.md. */
#ifndef SIDANG_API_API_H
#define SIDANG_API_API_H

#include <jansson.h>

#include "domain/documents.h"
#include "domain/shapes.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "http/http.h"

/* Parses the {id} route parameter number I; replies 404 and returns false when it is not one. */
bool api_param_id(struct req *r, int i, int64_t *out);
/* Replies BODY with OK_STATUS when ST is ST_OK, else the error that fits ST (BODY released). */
void api_reply_result(struct req *r, enum status st, json_t *body, int ok_status);
/* Replies a validation error from FE (400 with "field"). */
void api_reply_field_error(struct req *r, const struct field_error *fe);
/* Replies 400 for the message ERR of a validator ("field 'NAME': ...": "field" is NAME). */
void api_reply_body_error(struct req *r, const char *err);
/* Query parameter NAME as a number in [MIN, MAX] (DEF when absent) into *OUT; false after
 * replying 400. */
bool api_query_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t def,
		   int64_t *out);
/* Replies 400 "parameter 'NAME': expected a number from MIN to MAX"; returns false. */
bool api_reply_range_error(struct req *r, const char *name, int64_t min, int64_t max);
/* Sends SIZE bytes of FD (ownership taken) as stored content: its MIME type, a safe
 * Content-Disposition for FILENAME (inline for PDFs and images when WANT_INLINE), SHA256 as the
 * ETag, no caching, and a sandboxing Content-Security-Policy. */
void api_reply_content(struct req *r, int fd, uint64_t size, const char *mime,
		       const char *filename, const char *sha256, bool want_inline);

/* handlers */
void api_health(struct req *r);
void api_meta(struct req *r);
void api_login(struct req *r);
void api_logout(struct req *r);
void api_me(struct req *r);
void api_meetings_list(struct req *r);
void api_meetings_create(struct req *r);
void api_meetings_get(struct req *r);
void api_meetings_patch(struct req *r);
void api_documents_list(struct req *r);
void api_documents_get(struct req *r);
void api_documents_content(struct req *r);
/* GET /api/documents/{id}/derived/{kind}: searchable_pdf, thumbnail or preview_pdf. */
void api_documents_derived(struct req *r);
void api_documents_upload_done(struct req *r);
void api_documents_version_done(struct req *r);

/* -- handlers: engine -- */
void api_tasks_inbox(struct req *r);
void api_tasks_get(struct req *r);
void api_tasks_complete(struct req *r);
void api_case_get(struct req *r);
void api_case_start(struct req *r);
void api_sops_list(struct req *r);
void api_sops_get(struct req *r);
void api_acting_list(struct req *r);
void api_acting_create(struct req *r);
void api_acting_delete(struct req *r);
void api_directory(struct req *r);
/* -- handlers: reports -- */
/* -- handlers: admin -- */
/* -- handlers: search -- */
void api_search(struct req *r);
/* -- handlers: jobs -- */
void api_documents_jobs(struct req *r);
void api_users_list(struct req *r);
void api_users_create(struct req *r);
void api_users_patch(struct req *r);
void api_users_password(struct req *r);
void api_roles_list(struct req *r);
void api_sops_import(struct req *r);
void api_settings_default_sop(struct req *r);
void api_audit_list(struct req *r);
void api_audit_verify(struct req *r);
void api_reports_compliance(struct req *r);
void api_notifications_list(struct req *r);
void api_notifications_read(struct req *r);
/* -- handlers: intake -- */
void api_intake_list(struct req *r);
void api_intake_content(struct req *r);
void api_intake_file(struct req *r);
void api_intake_discard(struct req *r);
/* -- end intake -- */

extern const struct upload_hooks api_document_upload_hooks;
extern const struct upload_hooks api_version_upload_hooks;

#endif
