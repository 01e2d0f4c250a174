/*
 * Documents of a meeting dossier, per stage, with immutable versions. A version's bytes are a blob
 * (store/blob.h) named by its SHA-256; the database rows are written only after the blob is
 * durable, in one transaction with the audit entry, so a crash leaves the whole document or none.
 */
#ifndef SIDANG_DOMAIN_DOCUMENTS_H
#define SIDANG_DOMAIN_DOCUMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/meetings.h"
#include "domain/users.h"
#include "store/db.h"

#define DOC_TYPE_MAX 64

struct doc_version {
	int64_t version;
	char sha256[65];
	int64_t size;
	char mime[128];
	char filename[256];
	char uploaded_by[65];
	int64_t uploaded_at;
};

struct document {
	int64_t id;
	int64_t meeting_id;
	char stage[16];
	char type[DOC_TYPE_MAX + 1];
	char title[501];
	enum classification classification;
	char source[16];
	bool has_alih_media;
	char scanned_by[201];
	char scanned_at[17];
	char scan_device[201];
	int64_t scan_pages;
	char state[16];
	char created_by[65];
	int64_t created_at;
	int64_t current_version;
	enum classification meeting_classification;
};

/* The fields of an upload; NULL means "not given". */
struct document_input {
	const char *stage;
	const char *type;
	const char *title;
	const char *classification;
	const char *source;
	const char *scanned_by;
	const char *scanned_at;
	const char *scan_device;
	const char *scan_pages;
};

/* The stored content of a new version. */
struct blob_ref {
	const char *sha256;
	uint64_t size;
	const char *mime;
	const char *filename; /* sanitized (util/filename.h) */
};

/* True for "perencanaan", "pelaksanaan", "pelaporan". */
bool stage_valid(const char *s);

/* Checks that U may upload into MEETING_ID (ST_NOT_FOUND when it is hidden from U). Used before
 * an upload's bytes are accepted, so nobody streams a file into a meeting they cannot see. */
enum status documents_can_upload(struct db_conn *c, struct audit *a, const struct user *u,
				 const char *address, int64_t meeting_id, struct meeting *m);
/* Validates IN without touching the database (FE names the field). */
enum status documents_validate(const struct document_input *in, struct field_error *fe);
/* Creates a document with BLOB as version 1. *out is the stored document. */
enum status documents_create(struct db_conn *c, struct audit *a, const struct user *u,
			     const char *address, int64_t meeting_id, const struct document_input *in,
			     const struct blob_ref *blob, struct document *out, struct field_error *fe);
/* The same inside the caller's open write transaction (db_begin), which it neither commits nor
 * rolls back: for a caller that changes more in the same transaction (domain/intake.c files an
 * inbox item as a document). */
enum status documents_create_tx(struct db_conn *c, struct audit *a, const struct user *u,
				const char *address, int64_t meeting_id,
				const struct document_input *in, const struct blob_ref *blob,
				struct document *out, struct field_error *fe);
/* Adds BLOB as the next version of document ID. */
enum status documents_add_version(struct db_conn *c, struct audit *a, const struct user *u,
				  const char *address, int64_t id, const struct blob_ref *blob,
				  struct document *out);
/* Loads document ID if U may read it; ST_NOT_FOUND otherwise (refusal audited). */
enum status documents_get(struct db_conn *c, struct audit *a, const struct user *u,
			  const char *address, int64_t id, struct document *out);
/* The documents of a meeting U may read (STAGE may be NULL). ST_NOT_FOUND if the meeting is
 * hidden from U. */
enum status documents_list(struct db_conn *c, struct audit *a, const struct user *u,
			   const char *address, int64_t meeting_id, const char *stage,
			   enum status (*fn)(void *ctx, const struct document *d), void *ctx);
/* The versions of document ID, newest first (no access check: call documents_get first). */
enum status documents_versions(struct db_conn *c, int64_t id,
			       enum status (*fn)(void *ctx, const struct doc_version *v), void *ctx);
enum status documents_version(struct db_conn *c, int64_t id, int64_t version, struct doc_version *out);
/* For the engine, without an access check: every document of a meeting, and one document. */
enum status documents_list_all(struct db_conn *c, int64_t meeting_id,
			       enum status (*fn)(void *ctx, const struct document *d), void *ctx);
enum status documents_load(struct db_conn *c, int64_t id, struct document *out);
/* Audits a read of document ID (ACTION "document.view" or "document.download"). */
/* The file of kind KIND ("searchable_pdf", "thumbnail", "preview_pdf") the workers derived from
 * version VERSION of document ID (no access check: the caller has read the document). OUT's
 * filename is the original's with the kind's suffix. ST_NOT_FOUND when there is none. */
enum status documents_derived(struct db_conn *c, int64_t id, int64_t version, const char *kind,
			      struct doc_version *out);
/* The kinds of file derived from version VERSION of document ID, as a JSON array of strings (a
 * new reference). */
json_t *documents_derived_kinds(struct db_conn *c, int64_t id, int64_t version);

enum status documents_record_read(struct db_conn *c, struct audit *a, const struct user *u,
				  const char *address, int64_t id, int64_t version, const char *action);

#endif
