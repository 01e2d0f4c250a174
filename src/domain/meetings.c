#include "domain/meetings.h"

#include <stdio.h>
#include <string.h>

#include "domain/acl.h"
#include "domain/engine.h"
#include "domain/search.h"
#include "sidang_limits.h"
#include "util/clock.h"
#include "util/log.h"

bool date_valid(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	int max = days[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static enum status check_text(const char *field, const char *v, size_t max, bool required,
			      struct field_error *fe)
{
	if (!v) {
		if (!required)
			return ST_OK;
		fe->field = field;
		snprintf(fe->message, sizeof fe->message, "field '%s': required", field);
		return ST_INVALID;
	}
	size_t n = strlen(v);
	if (required && n == 0) {
		fe->field = field;
		snprintf(fe->message, sizeof fe->message, "field '%s': must not be empty", field);
		return ST_INVALID;
	}
	if (n > max) {
		fe->field = field;
		snprintf(fe->message, sizeof fe->message, "field '%s': longer than %zu bytes", field,
			 max);
		return ST_INVALID;
	}
	if (has_control(v)) {
		fe->field = field;
		snprintf(fe->message, sizeof fe->message,
			 "field '%s': must not contain control characters", field);
		return ST_INVALID;
	}
	return ST_OK;
}

static enum status validate(const struct meeting_input *in, bool create, struct field_error *fe)
{
	enum status st;
	if ((st = check_text("title", in->title, LIMIT_TITLE_BYTES, create, fe)) != ST_OK ||
	    (st = check_text("number", in->number, LIMIT_SHORT_TEXT_BYTES, false, fe)) != ST_OK ||
	    (st = check_text("place", in->place, LIMIT_SHORT_TEXT_BYTES, false, fe)) != ST_OK ||
	    (st = check_text("chair", in->chair, LIMIT_SHORT_TEXT_BYTES, false, fe)) != ST_OK)
		return st;
	if (!create && in->title && in->title[0] == '\0') {
		fe->field = "title";
		snprintf(fe->message, sizeof fe->message, "field 'title': must not be empty");
		return ST_INVALID;
	}
	if ((create || in->date) && !date_valid(in->date)) {
		fe->field = "date";
		snprintf(fe->message, sizeof fe->message, "field 'date': expected YYYY-MM-DD");
		return ST_INVALID;
	}
	if (create && !in->has_classification) {
		fe->field = "classification";
		snprintf(fe->message, sizeof fe->message, "field 'classification': required");
		return ST_INVALID;
	}
	return ST_OK;
}

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static void read_row(struct db_stmt *s, struct meeting *m)
{
	m->id = db_col_int(s, 0);
	copy(m->title, sizeof m->title, db_col_text(s, 1));
	copy(m->number, sizeof m->number, db_col_text(s, 2));
	copy(m->date, sizeof m->date, db_col_text(s, 3));
	copy(m->place, sizeof m->place, db_col_text(s, 4));
	copy(m->chair, sizeof m->chair, db_col_text(s, 5));
	m->classification = (enum classification)db_col_int(s, 6);
	copy(m->created_by, sizeof m->created_by, db_col_text(s, 7));
	m->created_at = db_col_int(s, 8);
	m->updated_at = db_col_int(s, 9);
	m->document_count = db_col_int(s, 10);
}

/* Loads a meeting without any access check; its document count is of those U may read (for a
 * PIC: the published documents granted to them). */
static enum status load(struct db_conn *c, const struct user *u, int64_t id, struct meeting *out)
{
	struct db_stmt *s;
	bool pic = acl_read_ceiling(u) < 0;
	enum status st = db_prepare(c, pic ? SQL_MEETING_GET_PIC : SQL_MEETING_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, pic ? (int)u->clearance : acl_read_ceiling(u));
	if (pic)
		db_bind_int(s, 3, u->id);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		read_row(s, out);
	db_done(s);
	return st;
}

void audit_denied(struct db_conn *c, struct audit *a, const struct user *u, const char *address,
		  const char *object_type, int64_t id)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	struct audit_event ev = {u->id, u->username, address, "access.denied", object_type, ids, NULL};
	if (db_begin(c) != ST_OK)
		return;
	if (audit_append(a, c, &ev, NULL) != ST_OK || db_commit(c) != ST_OK) {
		db_rollback(c);
		log_warn("audit: could not record a denied access to %s %s", object_type, ids);
	}
}

static json_t *meeting_detail(const struct meeting_input *in)
{
	json_t *d = json_object();
	if (in->title)
		json_object_set_new(d, "title", json_string(in->title));
	if (in->number)
		json_object_set_new(d, "number", json_string(in->number));
	if (in->date)
		json_object_set_new(d, "date", json_string(in->date));
	if (in->place)
		json_object_set_new(d, "place", json_string(in->place));
	if (in->chair)
		json_object_set_new(d, "chair", json_string(in->chair));
	if (in->has_classification)
		json_object_set_new(d, "classification",
				    json_string(classification_name(in->classification)));
	return d;
}

enum status meetings_create(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, const struct meeting_input *in, struct meeting *out,
			    struct field_error *fe)
{
	if (acl_meeting_create(u) != ACL_ALLOW)
		return ST_DENIED;
	enum status st = validate(in, true, fe);
	if (st != ST_OK)
		return st;
	if ((int)in->classification > (int)u->clearance) {
		fe->field = "classification";
		snprintf(fe->message, sizeof fe->message,
			 "field 'classification': above your clearance");
		return ST_INVALID;
	}
	json_t *detail = NULL;
	struct db_stmt *s = NULL;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	if ((st = db_prepare(c, SQL_MEETING_INSERT, &s)) != ST_OK)
		goto out;
	int64_t now = clock_now();
	db_bind_text(s, 1, in->title);
	db_bind_text(s, 2, in->number ? in->number : "");
	db_bind_text(s, 3, in->date);
	db_bind_text(s, 4, in->place ? in->place : "");
	db_bind_text(s, 5, in->chair ? in->chair : "");
	db_bind_int(s, 6, in->classification);
	db_bind_int(s, 7, u->id);
	db_bind_int(s, 8, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	int64_t id = db_last_insert_id(c);
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	detail = meeting_detail(in);
	struct audit_event ev = {u->id, u->username, address, "meeting.create", "meeting", ids, detail};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	/* Every dossier runs through the SOP from its first day. */
	st = engine_start_case_tx(c, a, u, address, id, NULL);
	if (st == ST_NOT_FOUND) {
		log_warn("meeting %lld: no SOP definition is installed; no case started", (long long)id);
		st = ST_OK;
	}
	if (st != ST_OK)
		goto out;
	if ((st = load(c, u, id, out)) != ST_OK)
		goto out;
	st = db_commit(c);
out:
	json_decref(detail);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status meetings_get(struct db_conn *c, struct audit *a, const struct user *u,
			 const char *address, int64_t id, struct meeting *out)
{
	enum status st = load(c, u, id, out);
	if (st == ST_NOT_FOUND)
		return st;
	if (st != ST_OK)
		return st;
	if (acl_meeting(u, ACL_READ, out->classification) != ACL_ALLOW &&
	    !acl_pic_sees_meeting(c, u, id)) {
		audit_denied(c, a, u, address, "meeting", id);
		return ST_NOT_FOUND;
	}
	return ST_OK;
}

enum status meetings_update(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, int64_t id, const struct meeting_input *in,
			    struct meeting *out, struct field_error *fe)
{
	enum status st = validate(in, false, fe);
	if (st != ST_OK)
		return st;
	json_t *detail = NULL;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	struct meeting cur;
	if ((st = load(c, u, id, &cur)) != ST_OK)
		goto out;
	if (acl_meeting(u, ACL_WRITE, cur.classification) != ACL_ALLOW) {
		db_rollback(c);
		audit_denied(c, a, u, address, "meeting", id);
		return ST_NOT_FOUND;
	}
	if (in->has_classification && (int)in->classification > (int)u->clearance) {
		fe->field = "classification";
		snprintf(fe->message, sizeof fe->message,
			 "field 'classification': above your clearance");
		st = ST_INVALID;
		goto out;
	}
	/* Lowering a classification declassifies the meeting's details to readers of lower
	 * clearance: reserved to the bureau head and the head of the sessions division. Raising it
	 * stays open to any bureau member, up to their clearance (above). */
	bool lowered = in->has_classification && (int)in->classification < (int)cur.classification;
	if (lowered && !user_has_role(u, "karo_hph") && !user_has_role(u, "kabag_persidangan")) {
		db_rollback(c);
		audit_denied(c, a, u, address, "meeting", id);
		fe->field = "classification";
		snprintf(fe->message, sizeof fe->message,
			 "only the head of the bureau or of the sessions division may lower a "
			 "classification");
		return ST_DENIED;
	}
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_MEETING_UPDATE, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, in->title ? in->title : cur.title);
	db_bind_text(s, 3, in->number ? in->number : cur.number);
	db_bind_text(s, 4, in->date ? in->date : cur.date);
	db_bind_text(s, 5, in->place ? in->place : cur.place);
	db_bind_text(s, 6, in->chair ? in->chair : cur.chair);
	db_bind_int(s, 7, in->has_classification ? in->classification : cur.classification);
	db_bind_int(s, 8, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	detail = meeting_detail(in);
	if (in->has_classification && detail)
		json_object_set_new(detail, "classification_before",
				    json_string(classification_name(cur.classification)));
	struct audit_event ev = {u->id, u->username, address, "meeting.update", "meeting", ids, detail};
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	/* The documents are found by their meeting's title, number, place and chair too. */
	if ((st = search_index_meeting(c, id)) != ST_OK)
		goto out;
	if ((st = load(c, u, id, out)) != ST_OK)
		goto out;
	st = db_commit(c);
out:
	json_decref(detail);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status meetings_list(struct db_conn *c, const struct user *u, int64_t limit, int64_t offset,
			  enum status (*fn)(void *ctx, const struct meeting *m), void *ctx,
			  int64_t *total)
{
	*total = 0;
	int ceiling = acl_read_ceiling(u);
	/* A PIC sees the meetings holding a published document granted to them. */
	bool pic = ceiling < 0;
	if (pic && u->disabled)
		return ST_OK;
	struct db_stmt *s;
	enum status st = db_prepare(c, pic ? SQL_MEETING_COUNT_PIC : SQL_MEETING_COUNT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, pic ? (int)u->clearance : ceiling);
	if (pic)
		db_bind_int(s, 2, u->id);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && row)
		*total = db_col_int(s, 0);
	db_done(s);
	if (st != ST_OK)
		return st;
	if ((st = db_prepare(c, pic ? SQL_MEETING_LIST_PIC : SQL_MEETING_LIST, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, pic ? (int)u->clearance : ceiling);
	db_bind_int(s, 2, limit);
	db_bind_int(s, 3, offset);
	if (pic)
		db_bind_int(s, 4, u->id);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		struct meeting m;
		read_row(s, &m);
		if ((st = fn(ctx, &m)) != ST_OK)
			break;
	}
	db_done(s);
	return st;
}
