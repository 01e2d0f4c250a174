/* API handlers (one file per resource) and the JSON shapes they share. See docs/api.md. */
#ifndef SIDANG_API_API_H
#define SIDANG_API_API_H

#include <jansson.h>

#include "domain/documents.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "http/http.h"

/* JSON shapes (new references). */
json_t *api_user_json(const struct user *u);
json_t *api_meeting_json(const struct meeting *m);
json_t *api_version_json(const struct doc_version *v);
/* DOCUMENT with its current version; with all versions when WITH_VERSIONS. */
json_t *api_document_json(struct db_conn *c, const struct document *d, bool with_versions);
/* "2026-11-24T10:43:51Z" as a JSON string. */
json_t *api_time_json(int64_t t);

/* Parses the {id} route parameter number I; replies 404 and returns false when it is not one. */
bool api_param_id(struct req *r, int i, int64_t *out);
/* Replies a validation error from FE (400 with "field"). */
void api_reply_field_error(struct req *r, const struct field_error *fe);

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
void api_documents_upload_done(struct req *r);
void api_documents_version_done(struct req *r);

/* -- handlers: engine -- */
/* -- handlers: reports -- */

extern const struct upload_hooks api_document_upload_hooks;
extern const struct upload_hooks api_version_upload_hooks;

#endif
