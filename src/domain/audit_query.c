/* Reading and verifying the audit trail for auditors (audit_query.h). */
#include "domain/audit_query.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "domain/meetings.h"
#include "sidang_limits.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

/* Page size when the caller names none. */
#define AUDIT_QUERY_DEFAULT_LIMIT 50
/* Lengths of the filter values: actions and object types are short codes, object ids are
 * numbers or names. */
#define AUDIT_QUERY_ACTION_BYTES 64
#define AUDIT_QUERY_OBJECT_TYPE_BYTES 32
#define AUDIT_QUERY_OBJECT_ID_BYTES 64

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							   ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 1..MAX bytes, each from ALLOWED or a lower-case letter or digit. */
static bool code_ok(const char *s, size_t max, const char *allowed)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr(allowed, ch)))
			return false;
	}
	return true;
}

/* 1..MAX bytes of printable ASCII. */
static bool printable_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* The first second of day D (YYYY-MM-DD, already valid), UTC. */
static int64_t day_start(const char *d)
{
	struct tm tm = {0};
	tm.tm_year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0') - 1900;
	tm.tm_mon = (d[5] - '0') * 10 + (d[6] - '0') - 1;
	tm.tm_mday = (d[8] - '0') * 10 + (d[9] - '0');
	return (int64_t)timegm(&tm);
}

static enum status check_filter(const struct audit_filter *f, const char **fld, char *err,
				size_t errlen)
{
	if (f->actor && !users_username_valid(f->actor)) {
		*fld = "actor";
		set_err(err, errlen, "parameter 'actor': expected a username");
		return ST_INVALID;
	}
	if (f->action && (!code_ok(f->action, AUDIT_QUERY_ACTION_BYTES, "._") || f->action[0] == '.')) {
		*fld = "action";
		set_err(err, errlen,
			"parameter 'action': expected an action (a-z 0-9 . _), or a prefix ending in '.'");
		return ST_INVALID;
	}
	if (f->object_type && !code_ok(f->object_type, AUDIT_QUERY_OBJECT_TYPE_BYTES, "_")) {
		*fld = "object_type";
		set_err(err, errlen, "parameter 'object_type': expected 1 to %d of a-z 0-9 _",
			AUDIT_QUERY_OBJECT_TYPE_BYTES);
		return ST_INVALID;
	}
	if (f->object_id && !printable_ok(f->object_id, AUDIT_QUERY_OBJECT_ID_BYTES)) {
		*fld = "object_id";
		set_err(err, errlen, "parameter 'object_id': expected 1 to %d printable characters",
			AUDIT_QUERY_OBJECT_ID_BYTES);
		return ST_INVALID;
	}
	if (f->meeting_id < 0) {
		*fld = "meeting";
		set_err(err, errlen, "parameter 'meeting': expected a meeting id");
		return ST_INVALID;
	}
	if (f->from && !date_valid(f->from)) {
		*fld = "from";
		set_err(err, errlen, "parameter 'from': expected YYYY-MM-DD");
		return ST_INVALID;
	}
	if (f->to && !date_valid(f->to)) {
		*fld = "to";
		set_err(err, errlen, "parameter 'to': expected YYYY-MM-DD");
		return ST_INVALID;
	}
	if (f->from && f->to && strcmp(f->from, f->to) > 0) {
		*fld = "to";
		set_err(err, errlen, "parameter 'to': before 'from'");
		return ST_INVALID;
	}
	if (f->before < 0) {
		*fld = "before";
		set_err(err, errlen, "parameter 'before': expected a sequence number");
		return ST_INVALID;
	}
	if (f->limit < 0 || f->limit > LIMIT_LIST_PAGE) {
		*fld = "limit";
		set_err(err, errlen, "parameter 'limit': expected a number from 1 to %d",
			LIMIT_LIST_PAGE);
		return ST_INVALID;
	}
	return ST_OK;
}

/* A column's text as a JSON string; null when it is NULL or not UTF-8 (altered by hand). */
static json_t *text_or_null(struct db_stmt *s, int col)
{
	const char *v = db_col_text(s, col);
	json_t *j = v && utf8_valid(v, strlen(v)) ? json_string(v) : NULL;
	return j ? j : json_null();
}

/* The stored detail parsed; as stored (a string) when it is not a JSON object. */
static json_t *detail_json(const char *v)
{
	if (!v)
		return json_null();
	json_t *o = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(o))
		return o;
	json_decref(o);
	json_t *j = utf8_valid(v, strlen(v)) ? json_string(v) : NULL;
	return j ? j : json_null();
}

/* One row of SQL_AUDIT_QUERY as an entry of the viewer. */
static json_t *entry_json(struct db_stmt *s)
{
	char at[21];
	clock_format_iso(db_col_int(s, 1), at);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "seq", json_integer(db_col_int(s, 0)));
	json_object_set_new(o, "at", json_string(at));
	json_object_set_new(o, "actor_id",
			    db_col_is_null(s, 2) ? json_null() : json_integer(db_col_int(s, 2)));
	json_object_set_new(o, "actor", text_or_null(s, 3));
	json_object_set_new(o, "address", text_or_null(s, 4));
	json_object_set_new(o, "action", text_or_null(s, 5));
	json_object_set_new(o, "object_type", text_or_null(s, 6));
	json_object_set_new(o, "object_id", text_or_null(s, 7));
	json_object_set_new(o, "detail", detail_json(db_col_text(s, 8)));
	json_object_set_new(o, "prev_hash", text_or_null(s, 9));
	json_object_set_new(o, "hash", text_or_null(s, 10));
	return o;
}

static enum status read_entries(struct db_conn *c, const struct audit_filter *f, int limit,
				json_t *items, int64_t *next_before)
{
	bool prefix = f->action && f->action[strlen(f->action) - 1] == '.';
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_AUDIT_QUERY, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, f->actor);
	db_bind_text(s, 2, prefix ? NULL : f->action);
	db_bind_text(s, 3, prefix ? f->action : NULL);
	db_bind_text(s, 4, f->object_type);
	db_bind_text(s, 5, f->object_id);
	if (f->from)
		db_bind_int(s, 6, day_start(f->from));
	if (f->to)
		db_bind_int(s, 7, day_start(f->to) + 86399);
	if (f->meeting_id > 0)
		db_bind_int(s, 8, f->meeting_id);
	if (f->before > 0)
		db_bind_int(s, 9, f->before);
	db_bind_int(s, 10, (int64_t)limit + 1); /* one more tells whether a next page exists */
	bool row;
	int n = 0;
	int64_t last_seq = 0;
	*next_before = 0;
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if (n == limit) {
			*next_before = last_seq;
			break;
		}
		json_t *e = entry_json(s);
		if (!e || json_array_append_new(items, e) != 0) {
			st = ST_NOMEM;
			break;
		}
		last_seq = db_col_int(s, 0);
		n++;
	}
	db_done(s);
	return st;
}

/* Appends ACTION by WHO on the trail itself, in its own transaction. Takes DETAIL. */
static enum status record(struct db_conn *c, struct audit *a, const struct actor *who,
			  const char *action, json_t *detail)
{
	struct audit_event ev = {
		.actor_id = who ? who->user_id : 0,
		.actor = who && who->name ? who->name : "cli",
		.address = who && who->address ? who->address : "cli",
		.action = action,
		.object_type = "audit",
		.object_id = "",
		.detail = detail,
	};
	enum status st = detail ? db_begin(c) : ST_NOMEM;
	if (st == ST_OK) {
		st = audit_append(a, c, &ev, NULL);
		if (st == ST_OK)
			st = db_commit(c);
		else
			db_rollback(c);
	}
	json_decref(detail);
	return st;
}

static void put_text(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

/* The filters of F as given, for the "audit.read" entry. */
static json_t *filter_json(const struct audit_filter *f, int limit)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	put_text(o, "actor", f->actor);
	put_text(o, "action", f->action);
	put_text(o, "object_type", f->object_type);
	put_text(o, "object_id", f->object_id);
	if (f->meeting_id > 0)
		json_object_set_new(o, "meeting", json_integer(f->meeting_id));
	put_text(o, "from", f->from);
	put_text(o, "to", f->to);
	if (f->before > 0)
		json_object_set_new(o, "before", json_integer(f->before));
	json_object_set_new(o, "limit", json_integer(limit));
	return o;
}

enum status audit_query(struct db_conn *c, struct audit *a, const struct actor *who,
			const struct audit_filter *f, json_t **items_out, int64_t *next_before_out,
			const char **field, char *err, size_t errlen)
{
	const char *fld = NULL;
	int64_t next_before = 0;
	json_t *items = NULL;
	*items_out = NULL;
	*next_before_out = 0;
	set_err(err, errlen, "%s", "");
	enum status st = check_filter(f, &fld, err, errlen);
	if (st != ST_OK)
		goto out;
	int limit = f->limit ? f->limit : AUDIT_QUERY_DEFAULT_LIMIT;
	if (!(items = json_array())) {
		st = ST_NOMEM;
		goto out;
	}
	/* One snapshot for the page; the record of the read comes after it, so a reader's own
	 * "audit.read" is never part of the page it reads. */
	if ((st = db_begin_read(c)) != ST_OK)
		goto out;
	st = read_entries(c, f, limit, items, &next_before);
	db_rollback(c);
	if (st != ST_OK)
		goto out;
	json_t *detail = json_pack("{s:o, s:I}", "filters", filter_json(f, limit), "returned",
				   (json_int_t)json_array_size(items));
	if (detail && next_before)
		json_object_set_new(detail, "next_before", json_integer(next_before));
	if ((st = record(c, a, who, "audit.read", detail)) != ST_OK)
		goto out;
	*items_out = items;
	*next_before_out = next_before;
	items = NULL;
out:
	json_decref(items);
	if (field)
		*field = st == ST_INVALID ? fld : NULL;
	return st;
}

enum status audit_query_verify(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *public_key_hex, struct audit_verify_result *res)
{
	enum status vst = audit_verify(c, public_key_hex, res);
	if (vst != ST_OK && vst != ST_CORRUPT)
		return vst;
	json_t *detail = json_pack("{s:b, s:I, s:I}", "ok", vst == ST_OK, "entries",
				   (json_int_t)res->entries, "checkpoints", (json_int_t)res->checkpoints);
	if (detail && vst == ST_CORRUPT) {
		json_object_set_new(detail, "broken_seq", json_integer(res->broken_seq));
		json_object_set_new(detail, "reason", json_string(res->reason));
	}
	enum status st = record(c, a, who, "audit.verify", detail);
	if (st == ST_CORRUPT && vst == ST_CORRUPT) {
		/* The trail's last entry is damaged, so nothing can be appended to it (audit_append
		 * refuses). The result is still given: it is what says so. */
		log_warn("audit: a verification by '%s' found entry %lld broken and could not be "
			 "recorded",
			 who && who->name ? who->name : "cli", (long long)res->broken_seq);
		return vst;
	}
	return st != ST_OK ? st : vst;
}
