/* The intake items: taking a file in, and the tray (list, preview, file, discard). See intake.h
 * and docs/internals/intake.md. */
#include "domain/intake.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/acl.h"
#include "domain/engine.h"
#include "domain/sop.h"
#include "util/clock.h"
#include "util/filename.h"
#include "util/fsio.h"
#include "util/log.h"

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

const char *intake_outcome_name(enum intake_outcome o)
{
	switch (o) {
	case INTAKE_TAKEN: return "taken";
	case INTAKE_ALREADY_TAKEN: return "already taken";
	case INTAKE_REFUSED: return "refused";
	case INTAKE_CHANGED: return "changed";
	case INTAKE_FAILED: break;
	}
	return "failed";
}

__attribute__((format(printf, 3, 4)))
static enum status outcome(struct intake_result *res, enum intake_outcome o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof res->reason, fmt, ap);
	va_end(ap);
	res->outcome = o;
	return ST_OK;
}

static enum status failed(struct intake_result *res, enum status st, const char *what)
{
	snprintf(res->reason, sizeof res->reason, "%s: %s", what, status_name(st));
	res->outcome = INTAKE_FAILED;
	return st == ST_OK ? ST_IO : st;
}

/* Reads FD (SB is its fstat) into a blob writer, checking the type by content once the head is
 * in. On success *W_OUT is the writer, ready to commit; otherwise *W_OUT is NULL and the outcome
 * is in RES. */
static enum status copy_in(struct blob_store *bs, const struct intake_source *src, int fd,
			   const struct stat *sb, struct intake_result *res,
			   struct blob_writer **w_out)
{
	*w_out = NULL;
	struct blob_writer *w = NULL;
	enum status st = blob_writer_begin(bs, src->max_bytes, &w);
	if (st != ST_OK)
		return failed(res, st, "cannot start a blob");
	unsigned char *chunk = malloc(LIMIT_IO_CHUNK);
	if (!chunk) {
		blob_writer_abort(w);
		return failed(res, ST_NOMEM, "no memory");
	}
	bool checked = false;
	for (;;) {
		ssize_t n = fsio_read(fd, chunk, LIMIT_IO_CHUNK);
		if (n < 0) {
			st = failed(res, fsio_status_from_errno(errno), "cannot read the file");
			goto out;
		}
		if (n > 0 && (st = blob_writer_write(w, chunk, (size_t)n)) != ST_OK) {
			/* Over the limit: it grew past it while we read. */
			st = st == ST_TOO_LARGE ? outcome(res, INTAKE_CHANGED, "it grew while being read")
						: failed(res, st, "cannot store the file");
			goto out;
		}
		if (!checked && (n == 0 || blob_writer_size(w) >= BLOB_HEAD_BYTES)) {
			size_t hn;
			const unsigned char *head = blob_writer_head(w, &hn);
			checked = true;
			enum status ft = filetype_detect(head, hn, res->mime);
			if (ft == ST_UNSUPPORTED) {
				st = outcome(res, INTAKE_REFUSED,
					     "this file type (%s) is not accepted: PDF, JPEG, PNG, TIFF and "
					     "office documents are", res->mime);
				goto out;
			}
			if (ft != ST_OK) {
				st = failed(res, ft, "cannot detect the file type");
				goto out;
			}
		}
		if (n == 0)
			break;
	}
	/* A file still being written (a scanner pausing longer than the settle time) must not be
	 * taken half: what we read must be all there is, and nothing may have moved meanwhile. */
	struct stat after;
	if (fstat(fd, &after) != 0 || after.st_size != sb->st_size ||
	    after.st_mtim.tv_sec != sb->st_mtim.tv_sec || after.st_mtim.tv_nsec != sb->st_mtim.tv_nsec ||
	    blob_writer_size(w) != (uint64_t)sb->st_size) {
		st = outcome(res, INTAKE_CHANGED, "it changed while being read");
		goto out;
	}
	*w_out = w;
	w = NULL;
out:
	free(chunk);
	blob_writer_abort(w);
	return st;
}

static enum status find_id(struct db_conn *c, enum sql_id id, const char *sha, uint64_t size,
			   const char *filename, int64_t *out)
{
	struct db_stmt *s;
	*out = 0;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, sha);
	if (id == SQL_INTAKE_FIND_TAKEN) {
		db_bind_int(s, 2, (int64_t)size);
		db_bind_text(s, 3, filename);
	}
	bool row;
	if ((st = db_step(s, &row)) == ST_OK && row)
		*out = db_col_int(s, 0);
	db_done(s);
	return st;
}

static void actor_of(const struct intake_source *src, struct audit_event *ev)
{
	bool watch = strcmp(src->source, "watch") == 0;
	ev->actor_id = 0;
	ev->actor = watch ? "system" : "cli";
	ev->address = watch ? "inbox" : "cli";
}

/* The item's transaction: taken before, or a new row with its blob row and audit entry. */
static enum status record(struct db_conn *c, struct audit *a, struct blob_store *bs,
			  const struct intake_source *src, struct intake_result *res)
{
	json_t *detail = NULL;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	if ((st = find_id(c, SQL_INTAKE_FIND_TAKEN, res->sha256, res->size, res->filename,
			  &res->item_id)) != ST_OK)
		goto out;
	if (res->item_id) {
		res->outcome = INTAKE_ALREADY_TAKEN;
		db_rollback(c); /* nothing written */
		return ST_OK;
	}
	/* The start-up sweep of unreferenced blobs may have removed it since our commit (a serve
	 * starting while an import runs): then this take fails and the next one stores it again. */
	if (!blob_exists(bs, res->sha256)) {
		st = ST_CONFLICT;
		goto out;
	}
	if ((st = find_id(c, SQL_INTAKE_DUP_DOCUMENT, res->sha256, 0, NULL,
			  &res->dup_document_id)) != ST_OK)
		goto out;
	if (!res->dup_document_id &&
	    (st = find_id(c, SQL_INTAKE_DUP_ITEM, res->sha256, 0, NULL, &res->dup_item_id)) != ST_OK)
		goto out;
	int64_t now = clock_now();
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_BLOB_UPSERT, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, res->sha256);
	db_bind_int(s, 2, (int64_t)res->size);
	db_bind_text(s, 3, res->mime);
	db_bind_int(s, 4, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK || (st = db_prepare(c, SQL_INTAKE_INSERT, &s)) != ST_OK)
		goto out;
	db_bind_text(s, 1, res->sha256);
	db_bind_int(s, 2, (int64_t)res->size);
	db_bind_text(s, 3, res->mime);
	db_bind_text(s, 4, res->filename);
	db_bind_text(s, 5, src->source);
	db_bind_int(s, 6, now);
	db_bind_text(s, 7, src->taken_by);
	if (res->dup_document_id)
		db_bind_int(s, 8, res->dup_document_id);
	else
		db_bind_null(s, 8);
	if (res->dup_item_id)
		db_bind_int(s, 9, res->dup_item_id);
	else
		db_bind_null(s, 9);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	res->item_id = db_last_insert_id(c);
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)res->item_id);
	detail = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?}", "sha256", res->sha256, "size",
			   (json_int_t)res->size, "mime", res->mime, "filename", res->filename,
			   "source", src->source, "taken_by", src->taken_by);
	if (res->dup_document_id)
		json_object_set_new(detail, "duplicate_of_document", json_integer(res->dup_document_id));
	if (res->dup_item_id)
		json_object_set_new(detail, "duplicate_of_item", json_integer(res->dup_item_id));
	struct audit_event ev = {0, NULL, NULL, "intake.take", "intake", ids, detail};
	actor_of(src, &ev);
	if ((st = audit_append(a, c, &ev, NULL)) != ST_OK)
		goto out;
	if ((st = db_commit(c)) == ST_OK)
		res->outcome = INTAKE_TAKEN;
out:
	json_decref(detail);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

/* Removes the source if NAME in DIRFD is still the file that was read (not a new file a scanner
 * wrote under the same name meanwhile). A removal lost in a crash is done again by the next pass,
 * which finds the file taken already. */
static void remove_source(int dirfd, const char *name, const struct stat *sb,
			  struct intake_result *res)
{
	struct stat now;
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_dev != sb->st_dev ||
	    now.st_ino != sb->st_ino || now.st_size != sb->st_size ||
	    now.st_mtim.tv_sec != sb->st_mtim.tv_sec || now.st_mtim.tv_nsec != sb->st_mtim.tv_nsec)
		return;
	if (unlinkat(dirfd, name, 0) == 0)
		res->removed = true;
	else
		log_warn("intake: cannot remove '%s' after taking it: %s", res->filename, strerror(errno));
}

enum status intake_take(struct db_conn *c, struct audit *a, struct blob_store *bs,
			const struct intake_source *src, int dirfd, const char *name,
			struct intake_result *res)
{
	memset(res, 0, sizeof *res);
	res->outcome = INTAKE_FAILED;
	filename_sanitize(slice_cstr(name), res->filename, sizeof res->filename);
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return outcome(res, INTAKE_CHANGED, "it is gone");
		if (errno == ELOOP)
			return outcome(res, INTAKE_REFUSED, "a symbolic link, not a file");
		return failed(res, fsio_status_from_errno(errno), "cannot open the file");
	}
	struct stat sb;
	struct blob_writer *w = NULL;
	enum status st;
	if (fstat(fd, &sb) != 0) {
		st = failed(res, ST_IO, "cannot read the file's size");
		goto out;
	}
	res->size = (uint64_t)sb.st_size;
	if (!S_ISREG(sb.st_mode)) {
		st = outcome(res, INTAKE_REFUSED, "not a regular file");
		goto out;
	}
	if (sb.st_size == 0) {
		st = outcome(res, INTAKE_REFUSED, "the file is empty");
		goto out;
	}
	if ((uint64_t)sb.st_size > src->max_bytes) {
		st = outcome(res, INTAKE_REFUSED, "the file is larger than the limit of %llu bytes",
			     (unsigned long long)src->max_bytes);
		goto out;
	}
	if ((st = copy_in(bs, src, fd, &sb, res, &w)) != ST_OK || !w)
		goto out;
	uint64_t size;
	st = blob_writer_commit(w, res->sha256, &size);
	w = NULL;
	if (st != ST_OK) {
		st = failed(res, st, "cannot store the file");
		goto out;
	}
	if ((st = record(c, a, bs, src, res)) != ST_OK) {
		/* The blob stays unreferenced; the start-up sweep removes it. */
		st = failed(res, st, "cannot record the item");
		goto out;
	}
	if (src->remove)
		remove_source(dirfd, name, &sb, res);
out:
	blob_writer_abort(w);
	close(fd);
	return st;
}

enum status intake_record_refusal(struct db_conn *c, struct audit *a,
				  const struct intake_source *src, const struct intake_result *res)
{
	json_t *detail = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?}", "filename", res->filename,
				   "size", (json_int_t)res->size, "mime", res->mime, "reason",
				   res->reason, "source", src->source, "taken_by", src->taken_by);
	struct audit_event ev = {0, NULL, NULL, "intake.refuse", "intake", "", detail};
	actor_of(src, &ev);
	enum status st = audit_append_alone(a, c, &ev);
	json_decref(detail);
	return st;
}

/* --- the tray ------------------------------------------------------------------------------- */

enum intake_access intake_access(struct db_conn *c, const struct user *u)
{
	if (!u || u->disabled)
		return INTAKE_NONE;
	if (engine_performs_action(c, u, SOP_ACT_COMPILE))
		return INTAKE_WORK;
	return user_has_role(u, "admin") ? INTAKE_LIST : INTAKE_NONE;
}

static void read_item(struct db_stmt *s, void *out)
{
	struct intake_item *it = out;
	memset(it, 0, sizeof *it);
	it->id = db_col_int(s, 0);
	copy(it->sha256, sizeof it->sha256, db_col_text(s, 1));
	it->size = db_col_int(s, 2);
	copy(it->mime, sizeof it->mime, db_col_text(s, 3));
	copy(it->filename, sizeof it->filename, db_col_text(s, 4));
	copy(it->source, sizeof it->source, db_col_text(s, 5));
	it->taken_at = db_col_int(s, 6);
	it->has_taken_by = !db_col_is_null(s, 7);
	copy(it->taken_by, sizeof it->taken_by, db_col_text(s, 7));
	copy(it->state, sizeof it->state, db_col_text(s, 8));
	it->document_id = db_col_int(s, 9);
	copy(it->discard_reason, sizeof it->discard_reason, db_col_text(s, 10));
	copy(it->decided_by, sizeof it->decided_by, db_col_text(s, 11));
	it->decided_at = db_col_int(s, 12);
	it->dup_document_id = db_col_int(s, 13);
	it->dup_item_id = db_col_int(s, 14);
}

enum status intake_list(struct db_conn *c, const struct user *u, int64_t limit, int64_t offset,
			enum status (*fn)(void *ctx, const struct intake_item *it), void *ctx,
			int64_t *total_out)
{
	if (intake_access(c, u) == INTAKE_NONE)
		return ST_DENIED;
	if (limit < 1 || limit > LIMIT_LIST_PAGE || offset < 0)
		return ST_INVALID;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_INTAKE_COUNT_WAITING, &s);
	if (st != ST_OK)
		return st;
	bool row;
	if ((st = db_step(s, &row)) == ST_OK)
		*total_out = row ? db_col_int(s, 0) : 0;
	db_done(s);
	if (st != ST_OK || (st = db_prepare(c, SQL_INTAKE_LIST_WAITING, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, limit);
	db_bind_int(s, 2, offset);
	/* Rows first: FN may run other statements (the duplicate's document). */
	struct intake_item *rows = calloc((size_t)limit, sizeof *rows);
	size_t n = 0;
	if (!rows)
		st = ST_NOMEM;
	while (st == ST_OK && n < (size_t)limit && (st = db_step(s, &row)) == ST_OK && row)
		read_item(s, &rows[n++]);
	db_done(s);
	for (size_t i = 0; i < n && st == ST_OK; i++)
		st = fn(ctx, &rows[i]);
	free(rows);
	return st;
}

/* Item ID for U, who must work the tray; a refusal is audited and looks like a missing item. */
static enum status load_for(struct db_conn *c, struct audit *a, const struct user *u,
			    const char *address, int64_t id, struct intake_item *out)
{
	if (intake_access(c, u) != INTAKE_WORK) {
		audit_denied(c, a, u, address, "intake", id);
		return ST_NOT_FOUND;
	}
	return db_get_row(c, SQL_INTAKE_GET, id, read_item, out);
}

enum status intake_get(struct db_conn *c, struct audit *a, const struct user *u,
		       const char *address, int64_t id, struct intake_item *out)
{
	return load_for(c, a, u, address, id, out);
}

/* Appends one audit entry about item ID by U: inside the open transaction, or in its own when
 * ALONE. */
static enum status audit_item(struct db_conn *c, struct audit *a, const struct user *u,
			      const char *address, const char *action, int64_t id, json_t *detail,
			      bool alone)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	struct audit_event ev = {u->id, u->username, address, action, "intake", ids, detail};
	return alone ? audit_append_alone(a, c, &ev) : audit_append(a, c, &ev, NULL);
}

enum status intake_record_view(struct db_conn *c, struct audit *a, const struct user *u,
			       const char *address, const struct intake_item *it)
{
	json_t *detail = json_pack("{s:s}", "sha256", it->sha256);
	enum status st = audit_item(c, a, u, address, "intake.view", it->id, detail, true);
	json_decref(detail);
	return st;
}

/* Loads item ID inside the open transaction and checks it still waits. */
static enum status load_waiting(struct db_conn *c, int64_t id, struct intake_item *it)
{
	enum status st = db_get_row(c, SQL_INTAKE_GET, id, read_item, it);
	if (st == ST_OK && strcmp(it->state, "waiting") != 0)
		st = ST_CONFLICT;
	return st;
}

/* Moves waiting item ID to its decided state (SQL_INTAKE_SET_FILED or _DISCARDED with VALUE). */
static enum status decide(struct db_conn *c, enum sql_id id_sql, int64_t id, int64_t doc,
			  const char *reason, const struct user *u)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id_sql, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	if (reason)
		db_bind_text(s, 2, reason);
	else
		db_bind_int(s, 2, doc);
	db_bind_int(s, 3, u->id);
	db_bind_int(s, 4, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1)
		st = ST_CONFLICT;
	return st;
}

enum status intake_file(struct db_conn *c, struct audit *a, struct blob_store *bs,
			const struct user *u, const char *address, int64_t id, int64_t meeting_id,
			const struct document_input *in, struct document *out,
			struct field_error *fe)
{
	struct intake_item it;
	enum status st = load_for(c, a, u, address, id, &it);
	if (st != ST_OK)
		return st;
	if ((st = documents_validate(in, fe)) != ST_OK)
		return st;
	json_t *detail = NULL;
	if ((st = db_begin(c)) != ST_OK)
		return st;
	if ((st = load_waiting(c, id, &it)) != ST_OK)
		goto out;
	if (!blob_exists(bs, it.sha256)) {
		log_error("intake item %lld: blob %s is missing", (long long)id, it.sha256);
		st = ST_CORRUPT;
		goto out;
	}
	struct blob_ref ref = {it.sha256, (uint64_t)it.size, it.mime, it.filename};
	st = documents_create_tx(c, a, u, address, meeting_id, in, &ref, out, fe);
	if (st == ST_NOT_FOUND) {
		/* A meeting hidden from U looks like one that does not exist. */
		fe->field = "meeting_id";
		snprintf(fe->message, sizeof fe->message, "field 'meeting_id': no such meeting");
		st = ST_INVALID;
	}
	if (st != ST_OK || (st = decide(c, SQL_INTAKE_SET_FILED, id, out->id, NULL, u)) != ST_OK)
		goto out;
	detail = json_pack("{s:I, s:I, s:s}", "document_id", (json_int_t)out->id, "meeting_id",
			   (json_int_t)meeting_id, "sha256", it.sha256);
	if ((st = audit_item(c, a, u, address, "intake.file", id, detail, false)) != ST_OK)
		goto out;
	st = db_commit(c);
out:
	json_decref(detail);
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status intake_discard(struct db_conn *c, struct audit *a, const struct user *u,
			   const char *address, int64_t id, const char *reason,
			   struct field_error *fe)
{
	struct intake_item it;
	enum status st = load_for(c, a, u, address, id, &it);
	if (st != ST_OK)
		return st;
	size_t n = reason ? strlen(reason) : 0;
	if (n == 0 || n > LIMIT_INTAKE_REASON_BYTES || strspn(reason, " \t") == n) {
		fe->field = "reason";
		snprintf(fe->message, sizeof fe->message,
			 "field 'reason': required, at most %d bytes", LIMIT_INTAKE_REASON_BYTES);
		return ST_INVALID;
	}
	json_t *detail = json_pack("{s:s, s:s}", "reason", reason, "filename", it.filename);
	if ((st = db_begin(c)) != ST_OK)
		goto done;
	if ((st = load_waiting(c, id, &it)) == ST_OK &&
	    (st = decide(c, SQL_INTAKE_SET_DISCARDED, id, 0, reason, u)) == ST_OK &&
	    (st = audit_item(c, a, u, address, "intake.discard", id, detail, false)) == ST_OK)
		st = db_commit(c);
	if (st != ST_OK)
		db_rollback(c);
done:
	json_decref(detail);
	return st;
}
