/* Mutu Baku: breach flagging, breach notifications and the compliance report. */
#include "domain/compliance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/meetings.h"
#include "domain/sop.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/log.h"

/* Rows the report holds in memory (completed plus open tasks, and cases): a bureau completes a
 * few thousand tasks a year, so this is decades of them; beyond it the period is refused
 * (ST_TOO_LARGE) rather than the process growing without bound. */
#define REPORT_MAX_ROWS 1000000
/* Strings copied out of the report's rows (titles, names, codes). */
#define REPORT_ARENA_BYTES ((size_t)256 * 1024 * 1024)
/* Hops up the chain of superiors when a superior role has nobody to notify; more than the
 * roles an SOP may have means a cycle. */
#define CHAIN_MAX_HOPS SOP_MAX_ROLES

/* ---- small helpers ----------------------------------------------------------------------- */

/* A malloc'ed formatted string (never truncated), or NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Grows *P (of *CAP elements of SIZE bytes) to hold N elements, at most MAX. */
static enum status grow(void **p, size_t *cap, size_t n, size_t size, size_t max)
{
	if (n <= *cap)
		return ST_OK;
	if (n > max)
		return ST_TOO_LARGE;
	size_t nc = *cap ? *cap * 2 : 64;
	if (nc < n)
		nc = n;
	if (nc > max)
		nc = max;
	void *q = realloc(*p, nc * size);
	if (!q)
		return ST_NOMEM;
	*p = q;
	*cap = nc;
	return ST_OK;
}

/* "6 menit 10 detik" / "6 min 10 s": days, hours, minutes, seconds, zero parts left out. */
static void format_duration(int64_t secs, bool en, char *out, size_t n)
{
	static const char *const unit_id[] = {"hari", "jam", "menit", "detik"};
	static const char *const unit_en[] = {"d", "h", "min", "s"};
	if (secs < 0)
		secs = 0;
	int64_t parts[4] = {secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60};
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < 4; i++) {
		if (parts[i] == 0 && !(i == 3 && used == 0))
			continue;
		int w = snprintf(out + used, n - used, "%s%lld %s", used ? " " : "",
				 (long long)parts[i], en ? unit_en[i] : unit_id[i]);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Y*12 + (M-1) of the UTC month holding T. */
static int64_t month_index(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	return (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static json_t *time_json(int64_t t)
{
	char s[21];
	clock_format_iso(t, s);
	return json_string(s);
}

static json_t *date_json(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[16];
	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%d", &tm);
	return json_string(s);
}

/* ---- breaches ---------------------------------------------------------------------------- */

struct task_info {
	int64_t id, case_id, meeting_id;
	int step;
	char *role;
	bool completed;
	int64_t available_at, completed_at;
	int waktu; /* minutes; 0 when the step has none */
	bool notified;
	char *title;
	int classification;
};

static void task_info_release(struct task_info *t)
{
	free(t->role);
	free(t->title);
	memset(t, 0, sizeof *t);
}

static enum status task_load(struct db_conn *c, int64_t id, struct task_info *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_TASK_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	if ((st = db_step(s, &row)) != ST_OK)
		goto out;
	if (!row) {
		st = ST_NOT_FOUND;
		goto out;
	}
	out->id = db_col_int(s, 0);
	out->case_id = db_col_int(s, 1);
	out->step = (int)db_col_int(s, 2);
	out->role = dup_or_null(db_col_text(s, 3));
	const char *state = db_col_text(s, 4);
	out->completed = state && strcmp(state, "completed") == 0 && !db_col_is_null(s, 6);
	out->available_at = db_col_int(s, 5);
	out->completed_at = db_col_int(s, 6);
	int64_t w = db_col_is_null(s, 7) ? 0 : db_col_int(s, 7);
	out->waktu = w > 0 && w < 1000000 ? (int)w : 0;
	out->notified = !db_col_is_null(s, 8);
	out->meeting_id = db_col_int(s, 9);
	out->title = dup_or_null(db_col_text(s, 10));
	out->classification = (int)db_col_int(s, 11);
	if (!out->role || !out->title)
		st = ST_NOMEM;
out:
	db_done(s);
	if (st != ST_OK)
		task_info_release(out);
	return st;
}

struct chain_role {
	char *name_id, *name_en, *superior;
};

static void chain_role_release(struct chain_role *r)
{
	free(r->name_id);
	free(r->name_en);
	free(r->superior);
	memset(r, 0, sizeof *r);
}

/* The role's names and superior; an unknown role is named by its code and has no superior. */
static enum status role_load(struct db_conn *c, const char *code, struct chain_role *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_ROLE_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, code);
	if ((st = db_step(s, &row)) == ST_OK) {
		const char *id = row ? db_col_text(s, 0) : NULL, *en = row ? db_col_text(s, 1) : NULL;
		const char *sup = row ? db_col_text(s, 2) : NULL;
		out->name_id = dup_or_null(id ? id : code);
		out->name_en = dup_or_null(en ? en : code);
		if (sup && *sup)
			out->superior = dup_or_null(sup);
		if (!out->name_id || !out->name_en || (sup && *sup && !out->superior))
			st = ST_NOMEM;
	}
	db_done(s);
	if (st != ST_OK)
		chain_role_release(out);
	return st;
}

struct recipient {
	int64_t id;
	int clearance;
};

struct recipients {
	struct recipient *v;
	size_t n, cap;
};

/* Appends the active holders of ROLE and the officials acting for it at NOW. */
static enum status recipients_of(struct db_conn *c, const char *role, int64_t now,
				 struct recipients *out)
{
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_RECIPIENTS, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, role);
	db_bind_int(s, 2, now);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if ((st = grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v,
			       REPORT_MAX_ROWS)) != ST_OK)
			break;
		out->v[out->n].id = db_col_int(s, 0);
		out->v[out->n].clearance = (int)db_col_int(s, 1);
		out->n++;
	}
	db_done(s);
	return st;
}

/* Whom a breach of a task of ROLE is notified to: the holders of (and officials acting for) the
 * superior role; up the chain past a superior role nobody holds; the role's own holders at the
 * top, or when the whole chain above is vacant. */
static enum status breach_recipients(struct db_conn *c, const struct task_info *t,
				     const struct chain_role *ri, int64_t now,
				     struct recipients *out)
{
	enum status st = ST_OK;
	char *role = dup_or_null(ri->superior);
	if (ri->superior && !role)
		return ST_NOMEM;
	for (int hop = 0; role && hop < CHAIN_MAX_HOPS; hop++) {
		if ((st = recipients_of(c, role, now, out)) != ST_OK || out->n > 0)
			goto out;
		struct chain_role up;
		if ((st = role_load(c, role, &up)) != ST_OK)
			goto out;
		free(role);
		role = up.superior;
		up.superior = NULL;
		chain_role_release(&up);
	}
	st = recipients_of(c, t->role, now, out);
out:
	free(role);
	return st;
}

/* Notifies a breach of T (ELAPSED seconds since it became available; OPEN when not completed)
 * to its recipients, inside the caller's write transaction. */
static enum status notify_breach(struct db_conn *c, const struct task_info *t, int64_t elapsed,
				 bool open, int64_t now)
{
	struct chain_role ri;
	struct recipients rc = {0};
	char *msg[2][2] = {{NULL, NULL}, {NULL, NULL}}; /* [title shown?][id, en] */
	enum status st = role_load(c, t->role, &ri);
	if (st != ST_OK)
		return st;
	if ((st = breach_recipients(c, t, &ri, now, &rc)) != ST_OK)
		goto out;
	if (rc.n == 0) {
		log_warn("compliance: task %lld breached its Waktu and nobody holds role '%s' or a "
			 "superior of it to notify", (long long)t->id, t->role);
		goto out;
	}
	char dur_id[96], dur_en[96], hidden[32];
	format_duration(elapsed, false, dur_id, sizeof dur_id);
	format_duration(elapsed, true, dur_en, sizeof dur_en);
	snprintf(hidden, sizeof hidden, "#%lld", (long long)t->meeting_id);
	for (int shown = 0; shown < 2; shown++) {
		/* A recipient cleared below the meeting's classification learns its number, not its
		 * title. */
		const char *title = shown ? t->title : hidden;
		if (open) {
			msg[shown][0] = fmt_alloc("Langkah %d (%s) pada rapat \"%s\" belum selesai dan "
						  "melewati standar waktu %d menit (sudah %s).",
						  t->step, ri.name_id, title, t->waktu, dur_id);
			msg[shown][1] = fmt_alloc("Step %d (%s) of meeting \"%s\" is still open past its "
						  "%d-minute time standard (%s so far).",
						  t->step, ri.name_en, title, t->waktu, dur_en);
		} else {
			msg[shown][0] = fmt_alloc("Langkah %d (%s) pada rapat \"%s\" melewati standar "
						  "waktu %d menit (%s).",
						  t->step, ri.name_id, title, t->waktu, dur_id);
			msg[shown][1] = fmt_alloc("Step %d (%s) of meeting \"%s\" exceeded its %d-minute "
						  "time standard (%s).",
						  t->step, ri.name_en, title, t->waktu, dur_en);
		}
		if (!msg[shown][0] || !msg[shown][1]) {
			st = ST_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < rc.n; i++) {
		int shown = rc.v[i].clearance >= t->classification;
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_NOTIFICATION_INSERT, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, rc.v[i].id);
		db_bind_text(s, 2, "breach");
		db_bind_int(s, 3, t->id);
		db_bind_int(s, 4, t->case_id);
		db_bind_text(s, 5, msg[shown][0]);
		db_bind_text(s, 6, msg[shown][1]);
		db_bind_int(s, 7, now);
		st = db_exec_stmt(s);
		db_done(s);
		if (st != ST_OK)
			goto out;
	}
out:
	for (int i = 0; i < 2; i++) {
		free(msg[i][0]);
		free(msg[i][1]);
	}
	free(rc.v);
	chain_role_release(&ri);
	return st;
}

/* Flags task ID breached and marks it notified at NOW; *first_out is true only for the call that
 * marked it (a breach is notified once). */
static enum status mark_notified(struct db_conn *c, int64_t id, int64_t now, bool *first_out)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_COMPLIANCE_TASK_NOTIFIED, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, now);
	st = db_exec_stmt(s);
	db_done(s);
	*first_out = st == ST_OK && db_changes(c) == 1;
	return st;
}

enum status compliance_task_completed(struct db_conn *c, int64_t task_id)
{
	struct task_info t;
	enum status st = task_load(c, task_id, &t);
	if (st != ST_OK)
		return st;
	int64_t elapsed = t.completed_at - t.available_at;
	if (!t.completed || t.waktu == 0 || elapsed <= (int64_t)t.waktu * 60)
		goto out;
	if (t.notified) {
		/* The sweep saw it overdue while open and notified then. */
		struct db_stmt *s;
		if ((st = db_prepare(c, SQL_COMPLIANCE_TASK_FLAG, &s)) != ST_OK)
			goto out;
		db_bind_int(s, 1, t.id);
		st = db_exec_stmt(s);
		db_done(s);
		goto out;
	}
	int64_t now = clock_now();
	bool first;
	if ((st = mark_notified(c, t.id, now, &first)) != ST_OK || !first)
		goto out;
	st = notify_breach(c, &t, elapsed, false, now);
out:
	task_info_release(&t);
	return st;
}

/* The ids of the available tasks due before NOW and not notified yet (malloc'ed *ids_out). */
static enum status overdue_ids(struct db_conn *c, int64_t now, int64_t **ids_out, size_t *n_out)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *s;
	bool row;
	*ids_out = NULL;
	*n_out = 0;
	enum status st = db_prepare(c, SQL_COMPLIANCE_OVERDUE, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, now);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if ((st = grow((void **)&ids, &cap, n + 1, sizeof *ids, REPORT_MAX_ROWS)) != ST_OK)
			break;
		ids[n++] = db_col_int(s, 0);
	}
	db_done(s);
	if (st != ST_OK) {
		free(ids);
		return st;
	}
	*ids_out = ids;
	*n_out = n;
	return ST_OK;
}

enum status compliance_sweep_overdue(struct db_conn *c, int64_t now, int *flagged_out)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int flagged = 0;
	if (flagged_out)
		*flagged_out = 0;
	/* Every inbox read sweeps: look first without the write lock, which is almost always
	 * enough. */
	enum status st = overdue_ids(c, now, &ids, &n);
	free(ids);
	ids = NULL;
	if (st != ST_OK || n == 0)
		return st;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	if ((st = overdue_ids(c, now, &ids, &n)) != ST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct task_info t;
		bool first;
		if ((st = task_load(c, ids[i], &t)) != ST_OK)
			goto out;
		st = mark_notified(c, t.id, now, &first);
		if (st == ST_OK && first) {
			st = notify_breach(c, &t, now - t.available_at, true, now);
			flagged++;
		}
		task_info_release(&t);
		if (st != ST_OK)
			goto out;
	}
	st = db_commit(c);
out:
	if (st != ST_OK) {
		db_rollback(c);
		flagged = 0;
	}
	free(ids);
	if (flagged_out)
		*flagged_out = flagged;
	return st;
}

/* ---- who may read the report, and its period --------------------------------------------- */

static enum status acts_for(struct db_conn *c, int64_t user_id, const char *role, int64_t now,
			    bool *out)
{
	struct db_stmt *s;
	bool row = false;
	enum status st = db_prepare(c, SQL_COMPLIANCE_ACTING_FOR, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, user_id);
	db_bind_text(s, 2, role);
	db_bind_int(s, 3, now);
	st = db_step(s, &row);
	db_done(s);
	*out = st == ST_OK && row;
	return st;
}

enum status compliance_report_allowed(struct db_conn *c, const struct user *u, int64_t now,
				      bool *allowed_out)
{
	static const char *const chain_roles[] = {"karo_hph", "kabag_persidangan"};
	*allowed_out = false;
	if (!u || u->disabled)
		return ST_OK;
	if (user_has_role(u, "auditor")) {
		*allowed_out = true;
		return ST_OK;
	}
	for (size_t i = 0; i < sizeof chain_roles / sizeof chain_roles[0]; i++) {
		if (user_has_role(u, chain_roles[i])) {
			*allowed_out = true;
			return ST_OK;
		}
		enum status st = acts_for(c, u->id, chain_roles[i], now, allowed_out);
		if (st != ST_OK || *allowed_out)
			return st;
	}
	return ST_OK;
}

static int64_t parse_day(const char *s)
{
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	return days_from_civil(y, m, d);
}

enum status compliance_period(const char *from, const char *to, int64_t now, int64_t *from_out,
			      int64_t *to_out, const char **field_out)
{
	*field_out = NULL;
	int64_t today = now >= 0 ? now / 86400 : (now - 86399) / 86400;
	int64_t to_day = today, from_day;
	if (to) {
		if (!date_valid(to)) {
			*field_out = "to";
			return ST_INVALID;
		}
		to_day = parse_day(to);
	}
	from_day = to_day - (COMPLIANCE_DEFAULT_DAYS - 1);
	if (from) {
		if (!date_valid(from)) {
			*field_out = "from";
			return ST_INVALID;
		}
		from_day = parse_day(from);
	}
	if (from_day > to_day) {
		*field_out = "from";
		return ST_INVALID;
	}
	*from_out = from_day * 86400;
	*to_out = to_day * 86400 + 86399;
	return ST_OK;
}

/* ---- the report -------------------------------------------------------------------------- */

struct done_row {
	int64_t case_id;
	int step;
	const char *role;
	int64_t elapsed;
	int64_t month;
	int waktu;
	bool breached;
	int64_t version_id;
	const char *code;
	int64_t user_id; /* 0 when unknown */
	const char *username, *display_name;
};

struct open_row {
	int step;
	const char *role;
	int waktu;
	bool overdue;
	int64_t version_id;
	const char *code;
};

struct step_group {
	const char *code;
	int step;
	const char *role;
	int waktu;
	int64_t version_id; /* the newest version seen: role, Waktu and text come from it */
	const struct done_row *done; /* a run of rows sorted by elapsed time */
	size_t ndone;
	int64_t breaches, open, open_overdue;
};

struct report {
	struct arena arena;
	struct done_row *done;
	size_t ndone, capdone;
	struct open_row *open;
	size_t nopen, capopen;
	struct step_group *groups;
	size_t ngroups, capgroups;
	int64_t from, to, now;
	enum classification ceiling;
};

static const char *keep(struct report *rp, const char *s)
{
	return s ? arena_strdup(&rp->arena, s) : NULL;
}

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return a ? -1 : b ? 1 : 0; /* NULL last */
	return strcmp(a, b);
}

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int cmp_done_by_step(const void *pa, const void *pb)
{
	const struct done_row *a = pa, *b = pb;
	int r = cmp_str(a->code, b->code);
	if (r == 0)
		r = cmp_i64(a->step, b->step);
	if (r == 0)
		r = cmp_i64(a->elapsed, b->elapsed);
	return r;
}

static int cmp_done_by_user(const void *pa, const void *pb)
{
	const struct done_row *a = pa, *b = pb;
	int r = cmp_str(a->username, b->username);
	if (r == 0)
		r = cmp_i64(a->user_id, b->user_id);
	if (r == 0)
		r = cmp_i64(a->elapsed, b->elapsed);
	return r;
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct step_group *a = pa, *b = pb;
	int r = cmp_str(a->code, b->code);
	return r ? r : cmp_i64(a->step, b->step);
}

/* The median of N ≥ 1 sorted elapsed times: the middle one, or the mean of the two middle ones
 * (which may end in .5). */
static json_t *median_json(const struct done_row *v, size_t n)
{
	if (n == 0)
		return json_null();
	if (n % 2)
		return json_integer((json_int_t)v[n / 2].elapsed);
	int64_t a = v[n / 2 - 1].elapsed, b = v[n / 2].elapsed;
	if ((a + b) % 2 == 0)
		return json_integer((json_int_t)((a + b) / 2));
	return json_real(((double)a + (double)b) / 2.0);
}

static bool row_breached(const struct done_row *d)
{
	return d->breached || (d->waktu > 0 && d->elapsed > (int64_t)d->waktu * 60);
}

static enum status load_done(struct report *rp, struct db_conn *c)
{
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_REPORT_COMPLETED, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, rp->from);
	db_bind_int(s, 2, rp->to);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if ((st = grow((void **)&rp->done, &rp->capdone, rp->ndone + 1, sizeof *rp->done,
			       REPORT_MAX_ROWS)) != ST_OK)
			break;
		struct done_row *d = &rp->done[rp->ndone];
		memset(d, 0, sizeof *d);
		d->case_id = db_col_int(s, 0);
		d->step = (int)db_col_int(s, 1);
		d->role = keep(rp, db_col_text(s, 2));
		int64_t completed = db_col_int(s, 4);
		d->elapsed = completed - db_col_int(s, 3);
		d->month = month_index(completed);
		int64_t w = db_col_is_null(s, 5) ? 0 : db_col_int(s, 5);
		d->waktu = w > 0 && w < 1000000 ? (int)w : 0;
		d->breached = db_col_int(s, 6) != 0;
		d->version_id = db_col_int(s, 7);
		d->code = keep(rp, db_col_text(s, 8));
		if (!db_col_is_null(s, 9) && !db_col_is_null(s, 10)) {
			d->user_id = db_col_int(s, 9);
			d->username = keep(rp, db_col_text(s, 10));
			d->display_name = keep(rp, db_col_text(s, 11));
			if (!d->username || !d->display_name) {
				st = ST_NOMEM;
				break;
			}
		}
		if (!d->role || !d->code) {
			st = ST_NOMEM;
			break;
		}
		rp->ndone++;
	}
	db_done(s);
	return st;
}

static enum status load_open(struct report *rp, struct db_conn *c)
{
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_REPORT_OPEN, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, rp->to);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if ((st = grow((void **)&rp->open, &rp->capopen, rp->nopen + 1, sizeof *rp->open,
			       REPORT_MAX_ROWS)) != ST_OK)
			break;
		struct open_row *o = &rp->open[rp->nopen];
		memset(o, 0, sizeof *o);
		o->step = (int)db_col_int(s, 1);
		o->role = keep(rp, db_col_text(s, 2));
		o->overdue = !db_col_is_null(s, 4) && db_col_int(s, 4) < rp->now;
		int64_t w = db_col_is_null(s, 5) ? 0 : db_col_int(s, 5);
		o->waktu = w > 0 && w < 1000000 ? (int)w : 0;
		o->version_id = db_col_int(s, 7);
		o->code = keep(rp, db_col_text(s, 8));
		if (!o->role || !o->code) {
			st = ST_NOMEM;
			break;
		}
		rp->nopen++;
	}
	db_done(s);
	return st;
}

static struct step_group *group_add(struct report *rp, const char *code, int step)
{
	if (grow((void **)&rp->groups, &rp->capgroups, rp->ngroups + 1, sizeof *rp->groups,
		 REPORT_MAX_ROWS) != ST_OK)
		return NULL;
	struct step_group *g = &rp->groups[rp->ngroups++];
	memset(g, 0, sizeof *g);
	g->code = code;
	g->step = step;
	g->version_id = -1;
	return g;
}

/* Takes role and Waktu from the newest version seen in the group. */
static void group_see(struct step_group *g, int64_t version_id, const char *role, int waktu)
{
	if (version_id > g->version_id) {
		g->version_id = version_id;
		g->role = role;
		g->waktu = waktu;
	}
}

/* Groups the completed rows (sorted by step) and the open rows by (SOP code, step). */
static enum status build_groups(struct report *rp)
{
	if (rp->ndone > 1) /* qsort wants a non-NULL base even for nothing */
		qsort(rp->done, rp->ndone, sizeof *rp->done, cmp_done_by_step);
	for (size_t i = 0; i < rp->ndone;) {
		size_t j = i;
		struct step_group *g = group_add(rp, rp->done[i].code, rp->done[i].step);
		if (!g)
			return ST_NOMEM;
		g->done = &rp->done[i];
		while (j < rp->ndone && rp->done[j].step == g->step &&
		       strcmp(rp->done[j].code, g->code) == 0) {
			group_see(g, rp->done[j].version_id, rp->done[j].role, rp->done[j].waktu);
			if (row_breached(&rp->done[j]))
				g->breaches++;
			j++;
		}
		g->ndone = j - i;
		i = j;
	}
	for (size_t i = 0; i < rp->nopen; i++) {
		const struct open_row *o = &rp->open[i];
		struct step_group *g = NULL;
		/* Open tasks are one or two per open case: a linear search is enough. */
		for (size_t k = 0; k < rp->ngroups && !g; k++)
			if (rp->groups[k].step == o->step && strcmp(rp->groups[k].code, o->code) == 0)
				g = &rp->groups[k];
		if (!g && !(g = group_add(rp, o->code, o->step)))
			return ST_NOMEM;
		group_see(g, o->version_id, o->role, o->waktu);
		g->open++;
		if (o->overdue)
			g->open_overdue++;
	}
	if (rp->ngroups > 1)
		qsort(rp->groups, rp->ngroups, sizeof *rp->groups, cmp_group);
	return ST_OK;
}

static json_t *per_step_json(struct report *rp, struct db_conn *c)
{
	json_t *arr = json_array();
	const struct sop *sop = NULL;
	int64_t loaded = -1;
	for (size_t i = 0; arr && i < rp->ngroups; i++) {
		const struct step_group *g = &rp->groups[i];
		json_t *text = json_null();
		/* Step texts live in the definition, not in the tasks: without it, text is null.
		 * Groups come by SOP code, so consecutive ones mostly share a version. */
		if (g->version_id != loaded) {
			loaded = g->version_id;
			if (sop_load_version(c, loaded, &sop) != ST_OK)
				sop = NULL;
		}
		if (sop) {
			const struct sop_step *ss = sop_step(sop, g->step);
			if (ss && ss->text.id) {
				json_decref(text);
				text = json_pack("{s:s, s:s}", "id", ss->text.id, "en",
						 ss->text.en ? ss->text.en : ss->text.id);
			}
		}
		json_t *o = json_pack(
			"{s:s, s:i, s:o, s:s?, s:o, s:I, s:o, s:o, s:I, s:I, s:I}", "sop_code", g->code,
			"step", g->step, "text", text ? text : json_null(), "role", g->role,
			"waktu_minutes", g->waktu > 0 ? json_integer(g->waktu) : json_null(), "tasks",
			(json_int_t)g->ndone, "median_seconds", median_json(g->done, g->ndone),
			"worst_seconds",
			g->ndone ? json_integer((json_int_t)g->done[g->ndone - 1].elapsed) : json_null(),
			"breaches", (json_int_t)g->breaches, "open", (json_int_t)g->open, "open_overdue",
			(json_int_t)g->open_overdue);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *per_official_json(struct report *rp)
{
	json_t *arr = json_array();
	if (rp->ndone > 1)
		qsort(rp->done, rp->ndone, sizeof *rp->done, cmp_done_by_user);
	for (size_t i = 0; arr && i < rp->ndone;) {
		size_t j = i;
		int64_t breaches = 0;
		while (j < rp->ndone && rp->done[j].user_id == rp->done[i].user_id) {
			breaches += row_breached(&rp->done[j]);
			j++;
		}
		const struct done_row *d = &rp->done[i];
		json_t *user = d->username ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)d->user_id,
						       "username", d->username, "display_name",
						       d->display_name)
					   : json_null();
		json_t *o = json_pack("{s:o, s:I, s:I, s:o}", "user", user ? user : json_null(),
				      "tasks", (json_int_t)(j - i), "breaches", (json_int_t)breaches,
				      "median_seconds", median_json(d, j - i));
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
		i = j;
	}
	return arr;
}

struct month_counts {
	int64_t tasks, breaches, completed, kept_internal;
};

static enum status per_period_json(struct report *rp, struct db_conn *c, json_t **out)
{
	*out = NULL;
	int64_t first = month_index(rp->from), last = month_index(rp->to);
	size_t nmonths = (size_t)(last - first + 1);
	struct month_counts *m = calloc(nmonths, sizeof *m);
	if (!m)
		return ST_NOMEM;
	for (size_t i = 0; i < rp->ndone; i++) {
		int64_t k = rp->done[i].month - first;
		if (k >= 0 && (size_t)k < nmonths) {
			m[k].tasks++;
			m[k].breaches += row_breached(&rp->done[i]);
		}
	}
	struct db_stmt *s;
	bool row;
	enum status st = db_prepare(c, SQL_COMPLIANCE_REPORT_CLOSED, &s);
	if (st != ST_OK)
		goto out;
	db_bind_int(s, 1, rp->from);
	db_bind_int(s, 2, rp->to);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		const char *state = db_col_text(s, 0);
		int64_t k = month_index(db_col_int(s, 1)) - first;
		if (k < 0 || (size_t)k >= nmonths || !state)
			continue;
		if (strcmp(state, "completed") == 0)
			m[k].completed++;
		else
			m[k].kept_internal++;
	}
	db_done(s);
	if (st != ST_OK)
		goto out;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < nmonths; i++) {
		int64_t mi = first + (int64_t)i;
		char month[32];
		snprintf(month, sizeof month, "%04lld-%02lld", (long long)(mi / 12),
			 (long long)(mi % 12 + 1));
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "month", month, "tasks",
				      (json_int_t)m[i].tasks, "breaches", (json_int_t)m[i].breaches,
				      "cases_completed", (json_int_t)m[i].completed,
				      "cases_kept_internal", (json_int_t)m[i].kept_internal);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	if (!arr)
		st = ST_NOMEM;
	*out = arr;
out:
	free(m);
	return st;
}

static enum status per_case_json(struct report *rp, struct db_conn *c, json_t **out)
{
	struct db_stmt *s;
	bool row;
	size_t n = 0;
	json_t *arr = json_array();
	*out = NULL;
	if (!arr)
		return ST_NOMEM;
	enum status st = db_prepare(c, SQL_COMPLIANCE_REPORT_CASES, &s);
	if (st != ST_OK)
		goto out;
	db_bind_int(s, 1, rp->from);
	db_bind_int(s, 2, rp->to);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		if (++n > REPORT_MAX_ROWS) {
			st = ST_TOO_LARGE;
			break;
		}
		bool closed = !db_col_is_null(s, 6);
		int64_t started = db_col_int(s, 5), closed_at = db_col_int(s, 6);
		const char *title =
			db_col_int(s, 3) <= (int64_t)rp->ceiling ? db_col_text(s, 2) : NULL;
		json_t *o = json_pack("{s:I, s:I, s:s?, s:s, s:I, s:I, s:o, s:o, s:I}", "case_id",
				      (json_int_t)db_col_int(s, 0), "meeting_id",
				      (json_int_t)db_col_int(s, 1), "meeting_title", title, "state",
				      db_col_text(s, 4), "tasks", (json_int_t)db_col_int(s, 7),
				      "breaches", (json_int_t)db_col_int(s, 8), "started_at",
				      time_json(started), "closed_at",
				      closed ? time_json(closed_at) : json_null(), "elapsed_seconds",
				      (json_int_t)((closed ? closed_at : rp->now) - started));
		if (!o || json_array_append_new(arr, o) != 0) {
			st = ST_NOMEM;
			break;
		}
	}
	db_done(s);
out:
	if (st != ST_OK)
		json_decref(arr);
	else
		*out = arr;
	return st;
}

enum status compliance_report(struct db_conn *c, int64_t from, int64_t to,
			      enum classification title_ceiling, json_t **out)
{
	struct report rp;
	memset(&rp, 0, sizeof rp);
	arena_init(&rp.arena, REPORT_ARENA_BYTES);
	rp.from = from;
	rp.to = to;
	rp.now = clock_now();
	rp.ceiling = title_ceiling;
	json_t *per_case = NULL, *per_period = NULL, *per_step = NULL, *per_official = NULL;
	*out = NULL;
	if (from > to)
		return ST_INVALID;
	enum status st = db_begin_read(c);
	if (st != ST_OK)
		goto out;
	if ((st = load_done(&rp, c)) != ST_OK || (st = load_open(&rp, c)) != ST_OK ||
	    (st = per_case_json(&rp, c, &per_case)) != ST_OK ||
	    (st = per_period_json(&rp, c, &per_period)) != ST_OK)
		goto out;
	db_rollback(c); /* a read: nothing to commit */
	if ((st = build_groups(&rp)) != ST_OK)
		goto out;
	/* After the read transaction, so the SOP cache may open its own. */
	per_step = per_step_json(&rp, c);
	/* Re-sorts the rows the groups point into: only after per_step_json. */
	per_official = per_official_json(&rp);
	if (!per_step || !per_official) {
		st = ST_NOMEM;
		goto out;
	}
	*out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "from", date_json(from), "to",
			 date_json(to), "per_step", per_step, "per_case", per_case, "per_official",
			 per_official, "per_period", per_period);
	per_step = per_case = per_official = per_period = NULL; /* "o" steals, even on failure */
	if (!*out)
		st = ST_NOMEM;
out:
	db_rollback(c);
	json_decref(per_step);
	json_decref(per_case);
	json_decref(per_official);
	json_decref(per_period);
	free(rp.done);
	free(rp.open);
	free(rp.groups);
	arena_release(&rp.arena);
	return st;
}

/* ---- notifications ----------------------------------------------------------------------- */

enum status compliance_notifications_list(struct db_conn *c, int64_t user_id, json_t **out)
{
	struct db_stmt *s;
	bool row;
	json_t *items = json_array();
	int64_t unread = 0;
	*out = NULL;
	if (!items)
		return ST_NOMEM;
	enum status st = db_begin_read(c);
	if (st != ST_OK)
		goto out;
	if ((st = db_prepare(c, SQL_NOTIFICATION_LIST, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, user_id);
	db_bind_int(s, 2, COMPLIANCE_NOTIFICATIONS_MAX);
	while ((st = db_step(s, &row)) == ST_OK && row) {
		json_t *o = json_pack(
			"{s:I, s:s, s:o, s:o, s:{s:s, s:s}, s:o, s:o}", "id",
			(json_int_t)db_col_int(s, 0), "kind", db_col_text(s, 1), "task_id",
			db_col_is_null(s, 2) ? json_null() : json_integer(db_col_int(s, 2)), "case_id",
			db_col_is_null(s, 3) ? json_null() : json_integer(db_col_int(s, 3)), "message",
			"id", db_col_text(s, 4), "en", db_col_text(s, 5), "created_at",
			time_json(db_col_int(s, 6)), "read_at",
			db_col_is_null(s, 7) ? json_null() : time_json(db_col_int(s, 7)));
		if (!o || json_array_append_new(items, o) != 0) {
			st = ST_NOMEM;
			break;
		}
	}
	db_done(s);
	if (st != ST_OK)
		goto out;
	if ((st = db_prepare(c, SQL_NOTIFICATION_UNREAD, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, user_id);
	if ((st = db_step(s, &row)) == ST_OK && row)
		unread = db_col_int(s, 0);
	db_done(s);
	if (st != ST_OK)
		goto out;
	*out = json_pack("{s:o, s:I}", "items", items, "unread", (json_int_t)unread);
	items = NULL;
	if (!*out)
		st = ST_NOMEM;
out:
	db_rollback(c);
	json_decref(items);
	return st;
}

enum status compliance_notification_read(struct db_conn *c, int64_t user_id, int64_t id)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_NOTIFICATION_READ, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_int(s, 2, user_id);
	db_bind_int(s, 3, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) == 0)
		st = ST_NOT_FOUND;
	return st;
}
