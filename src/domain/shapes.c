/* The JSON shapes of docs/api.md, built in one place. */
#include <string.h>

#include "domain/shapes.h"
#include "util/clock.h"

json_t *shape_time(int64_t t)
{
	char s[21];
	clock_format_iso(t, s);
	return json_string(s);
}

json_t *shape_user(const struct user *u)
{
	json_t *roles = json_array();
	for (int i = 0; i < u->nroles; i++)
		json_array_append_new(roles, json_string(u->roles[i]));
	return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:o}", "id", (json_int_t)u->id, "username",
			 u->username, "display_name", u->display_name, "nip", u->nip[0] ? u->nip : NULL,
			 "unit", u->unit[0] ? u->unit : NULL, "clearance",
			 classification_name(u->clearance), "roles", roles);
}

json_t *shape_meeting(const struct meeting *m)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "id",
			 (json_int_t)m->id, "title", m->title, "number", m->number, "date", m->date,
			 "place", m->place, "chair", m->chair, "classification",
			 classification_name(m->classification), "created_by", m->created_by,
			 "created_at", shape_time(m->created_at), "updated_at",
			 shape_time(m->updated_at), "document_count", (json_int_t)m->document_count);
}

json_t *shape_version(const struct doc_version *v)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o}", "version", (json_int_t)v->version,
			 "sha256", v->sha256, "size", (json_int_t)v->size, "mime", v->mime, "filename",
			 v->filename, "uploaded_by", v->uploaded_by, "uploaded_at",
			 shape_time(v->uploaded_at));
}

static enum status add_version(void *ctx, const struct doc_version *v)
{
	json_array_append_new(ctx, shape_version(v));
	return ST_OK;
}

json_t *shape_document(struct db_conn *c, const struct document *d, bool with_versions)
{
	json_t *alih = json_null();
	if (d->has_alih_media)
		alih = json_pack("{s:s, s:s, s:s, s:I}", "scanned_by", d->scanned_by, "scanned_at",
				 d->scanned_at, "device", d->scan_device, "pages",
				 (json_int_t)d->scan_pages);
	struct doc_version cur;
	json_t *current = json_null();
	if (documents_version(c, d->id, d->current_version, &cur) == ST_OK) {
		current = shape_version(&cur);
		/* What the workers made of it: a searchable PDF, a thumbnail, a preview. */
		json_object_set_new(current, "derived",
				    documents_derived_kinds(c, d->id, d->current_version));
	}
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o}", "id",
			      (json_int_t)d->id, "meeting_id", (json_int_t)d->meeting_id, "stage",
			      d->stage, "type", d->type, "title", d->title, "classification",
			      classification_name(d->classification), "source", d->source,
			      "alih_media", alih, "state", d->state, "created_by", d->created_by,
			      "created_at", shape_time(d->created_at), "current_version", current);
	if (o && with_versions) {
		json_t *versions = json_array();
		documents_versions(c, d->id, add_version, versions);
		json_object_set_new(o, "versions", versions);
	}
	return o;
}

