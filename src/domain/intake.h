/*
 * The scanner inbox and `sidang import` (issue 5, "Alih media at scale"): files dropped by network
 * scanners into DATA/inbox/, or a backlog imported from a directory, are taken in durably as
 * *intake items* and wait in the "to file" tray (Berkas Masuk) until an officer files each as a
 * document of a meeting, stage and type with its alih-media facts, or discards it.
 *
 * A take copies the bytes through the blob store (temp file, fsync, link, fsync the directories),
 * commits the item in one transaction with its audit entry, and only then removes the source
 * file. A file whose name, size and SHA-256 match an item taken before is the same file (a crash
 * came between the commit and the removal, or an import ran again): it is not taken twice. The
 * crash analysis is in docs/internals/intake.md.
 */
#ifndef SIDANG_DOMAIN_INTAKE_H
#define SIDANG_DOMAIN_INTAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "domain/audit.h"
#include "domain/documents.h"
#include "domain/filetype.h"
#include "domain/users.h"
#include "sidang_limits.h"
#include "store/blob.h"
#include "store/db.h"

/* --- taking files in ------------------------------------------------------------------------ */

enum intake_outcome {
	INTAKE_TAKEN,         /* a new item (item_id); dup_* set when its bytes are there already */
	INTAKE_ALREADY_TAKEN, /* the same file (name, size, SHA-256) is item_id already */
	INTAKE_REFUSED,       /* a type outside the allowlist, empty or too large (reason) */
	INTAKE_CHANGED,       /* it changed while being read: not complete, try again later */
	INTAKE_FAILED,        /* an I/O or database error (reason); the source is left alone */
};

/* "taken", "already taken", "refused", "changed", "failed". */
const char *intake_outcome_name(enum intake_outcome o);

struct intake_result {
	enum intake_outcome outcome;
	int64_t item_id;
	int64_t dup_document_id; /* the bytes are a version of this document already (0: no) */
	int64_t dup_item_id;     /* ... or of this waiting item (0: no) */
	char sha256[65];
	uint64_t size;
	char mime[FILETYPE_MIME_MAX];
	char filename[LIMIT_FILENAME_BYTES + 1]; /* sanitised (util/filename.h) */
	char reason[256];
	bool removed; /* the source file was removed (after its item was committed) */
};

/* Where files come from and what to do with them. */
struct intake_source {
	const char *source;   /* "watch" or "import" */
	const char *taken_by; /* NULL for the watch folder; the user running `sidang import` */
	uint64_t max_bytes;   /* the upload limit */
	bool remove;          /* remove the source once taken (or found taken already) */
};

/* Takes file NAME (one path component) of the directory DIRFD. The file is opened without
 * following a symlink and must be a regular file. Its type is detected by content (the upload
 * allowlist, domain/filetype.h); the bytes go into BS durably; then one transaction records the
 * item, its blob row and the audit entry ("intake.take", actor "system" for the watch folder,
 * "cli" for import), or finds the file taken already; then, when SRC->remove, the source is
 * removed (only if it is still the file that was read). RES says what happened. Returns ST_OK for
 * every outcome but INTAKE_FAILED, whose status it returns. A refusal is not audited here (see
 * intake_record_refusal). */
enum status intake_take(struct db_conn *c, struct audit *a, struct blob_store *bs,
			const struct intake_source *src, int dirfd, const char *name,
			struct intake_result *res);
/* Audits a refused file ("intake.refuse": name, size, type found, reason). */
enum status intake_record_refusal(struct db_conn *c, struct audit *a,
				  const struct intake_source *src, const struct intake_result *res);

/* --- the tray ------------------------------------------------------------------------------- */

struct intake_item {
	int64_t id;
	char sha256[65];
	int64_t size;
	char mime[FILETYPE_MIME_MAX];
	char filename[LIMIT_FILENAME_BYTES + 1];
	char source[8];
	int64_t taken_at;
	char taken_by[65];
	bool has_taken_by;
	char state[16];          /* "waiting", "filed", "discarded" */
	int64_t document_id;     /* when filed */
	char discard_reason[LIMIT_INTAKE_REASON_BYTES + 1];
	char decided_by[65];     /* username; "" while waiting */
	int64_t decided_at;
	int64_t dup_document_id; /* see struct intake_result */
	int64_t dup_item_id;
};

/* What U may do with the tray. WORK: the performers of the SOP's compile step (alih media: in
 * the seed, pengelola_persidangan and pengelola_naskah), directly or as Plh/Plt — list, preview,
 * file, discard. LIST: an administrator, who keeps the inbox running but reads no document —
 * the list (names, sizes, types) only. NONE: anyone else. */
enum intake_access { INTAKE_NONE, INTAKE_LIST, INTAKE_WORK };
enum intake_access intake_access(struct db_conn *c, const struct user *u);

/* The waiting items, oldest first (LIMIT, OFFSET), and their count. ST_DENIED unless U may list.
 * FN must not use C. */
enum status intake_list(struct db_conn *c, const struct user *u, int64_t limit, int64_t offset,
			enum status (*fn)(void *ctx, const struct intake_item *it), void *ctx,
			int64_t *total_out);
/* Item ID for U: ST_NOT_FOUND unless U may work the tray (hidden looks like missing; the refusal
 * is audited). */
enum status intake_get(struct db_conn *c, struct audit *a, const struct user *u,
		       const char *address, int64_t id, struct intake_item *out);
/* Audits a preview of item ID's content ("intake.view"). */
enum status intake_record_view(struct db_conn *c, struct audit *a, const struct user *u,
			       const char *address, const struct intake_item *it);
/* Files waiting item ID as a new document of MEETING_ID (documents_create_tx: the same checks,
 * jobs and audit entry as an upload), in one transaction with the item's change and its audit
 * entry ("intake.file"). ST_NOT_FOUND: no such item for U; ST_CONFLICT: not waiting any more;
 * ST_INVALID with FE (a hidden meeting is FE "meeting_id"); ST_DENIED: U may not upload there.
 * *out gets the document. */
enum status intake_file(struct db_conn *c, struct audit *a, struct blob_store *bs,
			const struct user *u, const char *address, int64_t id, int64_t meeting_id,
			const struct document_input *in, struct document *out,
			struct field_error *fe);
/* Discards waiting item ID with REASON (1 to LIMIT_INTAKE_REASON_BYTES of text; FE otherwise),
 * audited ("intake.discard"). The blob stays (blobs are never removed while referenced).
 * ST_NOT_FOUND / ST_CONFLICT as for intake_file. */
enum status intake_discard(struct db_conn *c, struct audit *a, const struct user *u,
			   const char *address, int64_t id, const char *reason,
			   struct field_error *fe);

/* --- folders (domain/intake_scan.c) --------------------------------------------------------- */

/* Creates DATA_DIR/inbox (mode 0770: the scanners' account shares the group) unless it exists;
 * PATH_OUT (4096 bytes) gets its path. */
enum status intake_inbox_prepare(const char *data_dir, char *path_out);

/* Calls FN for every file under ROOT that is a candidate: a regular file, not a symlink, whose
 * name does not start with '.' nor end in ".tmp" or ".part" (any case), in directories up to
 * LIMIT_INTAKE_DEPTH below ROOT that are not symlinks and do not start with '.'; with
 * SKIP_REJECTED, ROOT's "rejected" folder is left out. REL is the path below ROOT. FN's non-OK
 * status stops the walk and is returned; ST_NOT_FOUND if ROOT is missing. */
enum status intake_walk(const char *root, bool skip_rejected,
			enum status (*fn)(void *ctx, const char *rel, const struct stat *sb),
			void *ctx);
/* Opens the directory holding REL below ROOT, component by component without following a
 * symlink (a directory swapped for a link after the walk saw it cannot lead outside ROOT).
 * *dirfd_out (close it) and *base_out (points into REL). */
enum status intake_open_parent(const char *root, const char *rel, int *dirfd_out,
			       const char **base_out);

/* The watch folder: which files are settling, and the lock that lets one process poll. */
struct intake_watch;

struct intake_pass {
	int taken, duplicates, already_taken, refused, failed, waiting;
};

/* A watcher of INBOX (from intake_inbox_prepare) taking files up to MAX_BYTES once their size
 * and mtime stayed the same for SETTLE_MS. */
enum status intake_watch_new(const char *inbox, uint64_t max_bytes, int64_t settle_ms,
			     struct intake_watch **out);
void intake_watch_free(struct intake_watch *w);
/* One pass at NOW_MS (a monotonic clock in milliseconds): unless another process holds
 * INBOX/.lock (flock; then nothing is done and *locked_out is false), walks the inbox, notes
 * files that changed, and takes at most LIMIT_INTAKE_FILES_PER_PASS files that have settled.
 * Taken files are removed; refused ones are moved to INBOX/rejected/ beside a NAME.reason.txt
 * saying why. Counts go to *out. The lock is kept until intake_watch_free. */
enum status intake_watch_pass(struct intake_watch *w, struct db_conn *c, struct audit *a,
			      struct blob_store *bs, int64_t now_ms, bool *locked_out,
			      struct intake_pass *out);

#endif
