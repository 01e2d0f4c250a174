/* Meetings (rapat): the unit a dossier (berkas) is built around. */
#ifndef SIDANG_DOMAIN_MEETINGS_H
#define SIDANG_DOMAIN_MEETINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/users.h"
#include "store/db.h"

struct meeting {
	int64_t id;
	char title[501];
	char number[201];
	char date[11]; /* YYYY-MM-DD */
	char place[201];
	char chair[201];
	enum classification classification;
	char created_by[65];
	int64_t created_at;
	int64_t updated_at;
	int64_t document_count;
};

/* Fields of a create or an edit; NULL (or !has_classification) means "not given". */
struct meeting_input {
	const char *title;
	const char *number;
	const char *date;
	const char *place;
	const char *chair;
	bool has_classification;
	enum classification classification;
};

/* Validation errors name their field: *FIELD is set to it and ERR says why. */
struct field_error {
	const char *field;
	char message[200];
};

/* True if S is a real calendar date written YYYY-MM-DD. */
bool date_valid(const char *s);

/* Creates a meeting as U (a bureau member) from ADDRESS; title, date and classification required.
 * ST_DENIED when U may not create meetings or may not hold that classification; ST_INVALID with
 * FE filled. OUT gets the stored meeting. */
enum status meetings_create(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, const struct meeting_input *in, struct meeting *out,
			    struct field_error *fe);
/* Loads meeting ID if U may read it, else ST_NOT_FOUND (and the refusal is audited). */
enum status meetings_get(struct db_conn *c, struct audit *a, const struct user *u,
			 const char *address, int64_t id, struct meeting *out);
/* Applies the given fields of IN to meeting ID as U. ST_NOT_FOUND when U may not see it;
 * ST_INVALID (FE filled) for a classification above U's clearance; ST_DENIED (FE filled, the
 * refusal audited) when U lowers the classification without holding karo_hph or
 * kabag_persidangan. The audit entry records the classification before and after. */
enum status meetings_update(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, int64_t id, const struct meeting_input *in,
			    struct meeting *out, struct field_error *fe);
/* The meetings U may read, newest first: FN per row; *TOTAL the count of all U may read. */
enum status meetings_list(struct db_conn *c, const struct user *u, int64_t limit, int64_t offset,
			  enum status (*fn)(void *ctx, const struct meeting *m), void *ctx,
			  int64_t *total);

/* Audits a refused read of OBJECT_TYPE/ID by U (its own transaction). Shared by documents. */
void audit_denied(struct db_conn *c, struct audit *a, const struct user *u, const char *address,
		  const char *object_type, int64_t id);

#endif
