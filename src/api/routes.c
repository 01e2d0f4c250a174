/* The route table: every API path, its method and what it needs before the handler runs. */
#include "api/api.h"
#include "http/server.h"

static const struct endpoint
	ep_health = {api_health, EP_PUBLIC, NULL},
	ep_meta = {api_meta, EP_PUBLIC, NULL},
	ep_login = {api_login, EP_PUBLIC | EP_JSON | EP_NO_CSRF, NULL},
	ep_logout = {api_logout, 0, NULL},
	ep_me = {api_me, 0, NULL},
	ep_meetings_list = {api_meetings_list, 0, NULL},
	ep_meetings_create = {api_meetings_create, EP_JSON, NULL},
	ep_meetings_get = {api_meetings_get, 0, NULL},
	ep_meetings_patch = {api_meetings_patch, EP_JSON, NULL},
	ep_documents_list = {api_documents_list, 0, NULL},
	ep_documents_upload = {api_documents_upload_done, EP_MULTIPART, &api_document_upload_hooks},
	ep_documents_get = {api_documents_get, 0, NULL},
	ep_documents_content = {api_documents_content, 0, NULL},
	ep_documents_derived = {api_documents_derived, 0, NULL},
	ep_documents_version = {api_documents_version_done, EP_MULTIPART, &api_version_upload_hooks};
/* -- endpoints: engine -- */
static const struct endpoint
	ep_tasks_inbox = {api_tasks_inbox, 0, NULL},
	ep_tasks_get = {api_tasks_get, 0, NULL},
	ep_tasks_complete = {api_tasks_complete, EP_JSON, NULL},
	ep_case_get = {api_case_get, 0, NULL},
	ep_case_start = {api_case_start, 0, NULL},
	ep_sops_list = {api_sops_list, 0, NULL},
	ep_sops_get = {api_sops_get, 0, NULL},
	ep_acting_list = {api_acting_list, 0, NULL},
	ep_acting_create = {api_acting_create, EP_JSON, NULL},
	ep_acting_delete = {api_acting_delete, 0, NULL},
	ep_directory = {api_directory, 0, NULL};
/* -- endpoints: reports -- */
/* -- endpoints: admin -- */
/* -- endpoints: search -- */
static const struct endpoint ep_search = {api_search, 0, NULL};
/* -- endpoints: jobs -- */
static const struct endpoint ep_documents_jobs = {api_documents_jobs, 0, NULL};
static const struct endpoint ep_users_list = {api_users_list, 0, NULL};
static const struct endpoint ep_users_create = {api_users_create, EP_JSON, NULL};
static const struct endpoint ep_users_patch = {api_users_patch, EP_JSON, NULL};
static const struct endpoint ep_users_password = {api_users_password, EP_JSON, NULL};
static const struct endpoint ep_roles_list = {api_roles_list, 0, NULL};
static const struct endpoint ep_sops_import = {api_sops_import, EP_JSON, NULL};
static const struct endpoint ep_settings_default_sop = {api_settings_default_sop, EP_JSON, NULL};
static const struct endpoint ep_audit_list = {api_audit_list, 0, NULL};
static const struct endpoint ep_audit_verify = {api_audit_verify, 0, NULL};
static const struct endpoint ep_reports_compliance = {api_reports_compliance, 0, NULL};
static const struct endpoint ep_notifications_list = {api_notifications_list, 0, NULL};
static const struct endpoint ep_notifications_read = {api_notifications_read, 0, NULL};
/* -- endpoints: intake -- */
static const struct endpoint
	ep_intake_list = {api_intake_list, 0, NULL},
	ep_intake_content = {api_intake_content, 0, NULL},
	ep_intake_file = {api_intake_file, EP_JSON, NULL},
	ep_intake_discard = {api_intake_discard, EP_JSON, NULL};
/* -- end intake -- */

const struct route api_routes[] = {
	{HTTP_GET, "/api/health", (void *)&ep_health},
	{HTTP_GET, "/api/meta", (void *)&ep_meta},
	{HTTP_POST, "/api/login", (void *)&ep_login},
	{HTTP_POST, "/api/logout", (void *)&ep_logout},
	{HTTP_GET, "/api/me", (void *)&ep_me},
	{HTTP_GET, "/api/meetings", (void *)&ep_meetings_list},
	{HTTP_POST, "/api/meetings", (void *)&ep_meetings_create},
	{HTTP_GET, "/api/meetings/{id}", (void *)&ep_meetings_get},
	{HTTP_PATCH, "/api/meetings/{id}", (void *)&ep_meetings_patch},
	{HTTP_GET, "/api/meetings/{id}/documents", (void *)&ep_documents_list},
	{HTTP_POST, "/api/meetings/{id}/documents", (void *)&ep_documents_upload},
	{HTTP_GET, "/api/documents/{id}", (void *)&ep_documents_get},
	{HTTP_GET, "/api/documents/{id}/content", (void *)&ep_documents_content},
	{HTTP_GET, "/api/documents/{id}/derived/{kind}", (void *)&ep_documents_derived},
	{HTTP_POST, "/api/documents/{id}/versions", (void *)&ep_documents_version},
	/* -- routes: engine -- */
	{HTTP_GET, "/api/tasks", (void *)&ep_tasks_inbox},
	{HTTP_GET, "/api/tasks/{id}", (void *)&ep_tasks_get},
	{HTTP_POST, "/api/tasks/{id}/complete", (void *)&ep_tasks_complete},
	{HTTP_GET, "/api/meetings/{id}/case", (void *)&ep_case_get},
	{HTTP_POST, "/api/meetings/{id}/case", (void *)&ep_case_start},
	{HTTP_GET, "/api/sops", (void *)&ep_sops_list},
	{HTTP_GET, "/api/sops/{id}", (void *)&ep_sops_get},
	{HTTP_GET, "/api/acting", (void *)&ep_acting_list},
	{HTTP_POST, "/api/acting", (void *)&ep_acting_create},
	{HTTP_DELETE, "/api/acting/{id}", (void *)&ep_acting_delete},
	{HTTP_GET, "/api/directory", (void *)&ep_directory},
	/* -- routes: reports -- */
	/* -- routes: admin -- */
	/* -- routes: search -- */
	{HTTP_GET, "/api/search", (void *)&ep_search},
	/* -- routes: jobs -- */
	{HTTP_GET, "/api/documents/{id}/jobs", (void *)&ep_documents_jobs},
	{HTTP_GET, "/api/users", (void *)&ep_users_list},
	{HTTP_POST, "/api/users", (void *)&ep_users_create},
	{HTTP_PATCH, "/api/users/{id}", (void *)&ep_users_patch},
	{HTTP_POST, "/api/users/{id}/password", (void *)&ep_users_password},
	{HTTP_GET, "/api/roles", (void *)&ep_roles_list},
	{HTTP_POST, "/api/sops", (void *)&ep_sops_import},
	{HTTP_PUT, "/api/settings/default_sop", (void *)&ep_settings_default_sop},
	{HTTP_GET, "/api/audit", (void *)&ep_audit_list},
	{HTTP_GET, "/api/audit/verify", (void *)&ep_audit_verify},
	{HTTP_GET, "/api/reports/compliance", (void *)&ep_reports_compliance},
	{HTTP_GET, "/api/notifications", (void *)&ep_notifications_list},
	{HTTP_POST, "/api/notifications/{id}/read", (void *)&ep_notifications_read},
	/* -- routes: intake -- */
	{HTTP_GET, "/api/intake", (void *)&ep_intake_list},
	{HTTP_GET, "/api/intake/{id}/file", (void *)&ep_intake_content},
	{HTTP_POST, "/api/intake/{id}/file", (void *)&ep_intake_file},
	{HTTP_POST, "/api/intake/{id}/discard", (void *)&ep_intake_discard},
	/* -- end intake -- */
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
