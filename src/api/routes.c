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
	ep_documents_version = {api_documents_version_done, EP_MULTIPART, &api_version_upload_hooks};
/* -- endpoints: engine -- */
/* -- endpoints: reports -- */

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
	{HTTP_POST, "/api/documents/{id}/versions", (void *)&ep_documents_version},
	/* -- routes: engine -- */
	/* -- routes: reports -- */
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
