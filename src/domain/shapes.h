/* The JSON shapes of docs/api.md for domain objects, built in one place (used by the API and the
 * engine). */
#ifndef SIDANG_DOMAIN_SHAPES_H
#define SIDANG_DOMAIN_SHAPES_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/documents.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "store/db.h"

/* New references. */
json_t *shape_user(const struct user *u);
json_t *shape_meeting(const struct meeting *m);
json_t *shape_version(const struct doc_version *v);
/* DOCUMENT with its current version; with all versions when WITH_VERSIONS. */
json_t *shape_document(struct db_conn *c, const struct document *d, bool with_versions);
/* "2026-11-24T10:43:51Z" as a JSON string. */
json_t *shape_time(int64_t t);

#endif
