/* The folders of the intake: the inbox, walking a directory tree without following links, and
 * the watch folder's passes (settling, the poller's lock, the rejected folder). See intake.h. */
#include "domain/intake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fsio.h"
#include "util/log.h"

#define INBOX_MODE 0770
#define REJECTED_DIR "rejected"
#define LOCK_FILE ".lock"

enum status intake_inbox_prepare(const char *data_dir, char *path_out)
{
	int n = snprintf(path_out, 4096, "%s/inbox", data_dir);
	if (n <= 0 || n >= 4096)
		return ST_INVALID;
	if (mkdir(path_out, INBOX_MODE) == 0) {
		/* mkdir's mode passes through the umask; the scanners' group must write here. */
		if (chmod(path_out, INBOX_MODE) != 0 || fsio_fsync_dir(data_dir) != 0)
			return ST_IO;
		return ST_OK;
	}
	if (errno != EEXIST)
		return fsio_status_from_errno(errno);
	struct stat sb; /* an operator may make it a link to a share mounted elsewhere */
	if (stat(path_out, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ST_INVALID;
	return ST_OK;
}

/* Names a scanner or a copy uses while a file is not complete, and hidden files. */
static bool skipped_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return true;
	return (n >= 4 && strcasecmp(name + n - 4, ".tmp") == 0) ||
	       (n >= 5 && strcasecmp(name + n - 5, ".part") == 0);
}

struct walk {
	enum status (*fn)(void *ctx, const char *rel, const struct stat *sb);
	void *ctx;
	bool skip_rejected;
	char rel[4096];
};

static enum status walk_dir(struct walk *wk, int dfd, size_t rel_len, int depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return fsio_status_from_errno(errno);
	}
	enum status st = ST_OK;
	struct dirent *e;
	while (st == ST_OK && (errno = 0, e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (skipped_name(name) || (depth == 0 && wk->skip_rejected && strcmp(name, REJECTED_DIR) == 0))
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		size_t n = strlen(name);
		if (rel_len + (rel_len ? 1 : 0) + n >= sizeof wk->rel) {
			log_warn("intake: skipping a path longer than %zu bytes", sizeof wk->rel);
			continue;
		}
		size_t at = rel_len;
		if (rel_len)
			wk->rel[at++] = '/';
		memcpy(wk->rel + at, name, n + 1);
		if (S_ISREG(sb.st_mode)) {
			st = wk->fn(wk->ctx, wk->rel, &sb);
		} else if (S_ISDIR(sb.st_mode) && depth + 1 <= LIMIT_INTAKE_DEPTH) {
			int sub = openat(dirfd(d), name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				st = walk_dir(wk, sub, at + n, depth + 1);
		}
		wk->rel[rel_len] = '\0';
	}
	if (st == ST_OK && errno != 0)
		st = ST_IO;
	closedir(d);
	return st;
}

enum status intake_walk(const char *root, bool skip_rejected,
			enum status (*fn)(void *ctx, const char *rel, const struct stat *sb),
			void *ctx)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fsio_status_from_errno(errno);
	struct walk *wk = calloc(1, sizeof *wk);
	if (!wk) {
		close(dfd);
		return ST_NOMEM;
	}
	wk->fn = fn;
	wk->ctx = ctx;
	wk->skip_rejected = skip_rejected;
	enum status st = walk_dir(wk, dfd, 0, 0);
	free(wk);
	return st;
}

enum status intake_open_parent(const char *root, const char *rel, int *dirfd_out,
			       const char **base_out)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fsio_status_from_errno(errno);
	const char *p = rel;
	for (const char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		char comp[256];
		size_t n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof comp) {
			close(dfd);
			return ST_INVALID;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int sub = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int err = errno;
		close(dfd);
		if (sub < 0)
			return fsio_status_from_errno(err);
		dfd = sub;
	}
	if (!*p) {
		close(dfd);
		return ST_INVALID;
	}
	*dirfd_out = dfd;
	*base_out = p;
	return ST_OK;
}

/* --- the watch folder ----------------------------------------------------------------------- */

/* A file seen in the inbox: what it looked like, and since when (monotonic ms). */
struct seen {
	char *rel;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int64_t since_ms;
	bool present; /* seen in the current pass */
};

struct intake_watch {
	char inbox[4096];
	uint64_t max_bytes;
	int64_t settle_ms;
	int lock_fd; /* -1 until the lock is held */
	struct seen *seen;
	size_t nseen, cap;
	/* the current pass */
	int64_t now_ms;
	char **ready;
	size_t nready;
};

enum status intake_watch_new(const char *inbox, uint64_t max_bytes, int64_t settle_ms,
			     struct intake_watch **out)
{
	struct intake_watch *w = calloc(1, sizeof *w);
	if (!w)
		return ST_NOMEM;
	if (snprintf(w->inbox, sizeof w->inbox, "%s", inbox) >= (int)sizeof w->inbox) {
		free(w);
		return ST_INVALID;
	}
	w->max_bytes = max_bytes;
	w->settle_ms = settle_ms;
	w->lock_fd = -1;
	*out = w;
	return ST_OK;
}

static void forget(struct intake_watch *w, size_t i)
{
	free(w->seen[i].rel);
	w->seen[i] = w->seen[--w->nseen];
}

void intake_watch_free(struct intake_watch *w)
{
	if (!w)
		return;
	while (w->nseen)
		forget(w, 0);
	free(w->seen);
	if (w->lock_fd >= 0)
		close(w->lock_fd); /* releases the flock */
	free(w);
}

/* One process polls: the one holding an flock on INBOX/.lock. The others try again each pass, so
 * one takes over when the poller stops. */
static bool hold_lock(struct intake_watch *w)
{
	if (w->lock_fd >= 0)
		return true;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", w->inbox, LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0660);
	if (fd < 0) {
		log_warn("intake: cannot open the lock '%s': %s", path, strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return false;
	}
	w->lock_fd = fd;
	return true;
}

static bool same_file(const struct seen *s, const struct stat *sb)
{
	return s->dev == sb->st_dev && s->ino == sb->st_ino && s->size == sb->st_size &&
	       s->mtime.tv_sec == sb->st_mtim.tv_sec && s->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Notes REL; adds it to the ready list once it has stayed the same for the settle time. */
static enum status note_file(void *ctx, const char *rel, const struct stat *sb)
{
	struct intake_watch *w = ctx;
	if (sb->st_size == 0)
		return ST_OK; /* created, not written yet (a scanner may hold it open a while) */
	size_t i = 0;
	while (i < w->nseen && strcmp(w->seen[i].rel, rel) != 0)
		i++;
	if (i == w->nseen) {
		if (w->nseen == LIMIT_INTAKE_TRACKED)
			return ST_OK; /* noticed in a later pass, once others are taken */
		if (w->nseen == w->cap) {
			size_t ncap = w->cap ? w->cap * 2 : 64;
			struct seen *p = realloc(w->seen, ncap * sizeof *p);
			if (!p)
				return ST_NOMEM;
			w->seen = p;
			w->cap = ncap;
		}
		char *copy = strdup(rel);
		if (!copy)
			return ST_NOMEM;
		w->seen[w->nseen++] = (struct seen){copy, sb->st_dev, sb->st_ino, sb->st_size,
						    sb->st_mtim, w->now_ms, true};
		return ST_OK;
	}
	struct seen *s = &w->seen[i];
	s->present = true;
	if (!same_file(s, sb)) {
		s->dev = sb->st_dev;
		s->ino = sb->st_ino;
		s->size = sb->st_size;
		s->mtime = sb->st_mtim;
		s->since_ms = w->now_ms;
		return ST_OK;
	}
	if (w->now_ms - s->since_ms < w->settle_ms || w->nready >= LIMIT_INTAKE_FILES_PER_PASS)
		return ST_OK;
	w->ready[w->nready++] = s->rel;
	return ST_OK;
}

/* Moves NAME of DIRFD to INBOX/rejected/ (as "NAME", or "NAME (2)" ... when taken) and writes
 * the reason beside it, so the scanner's operator sees why and the next pass does not retry. */
static void reject(struct intake_watch *w, int dirfd, const char *name,
		   const struct intake_result *res)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/%s", w->inbox, REJECTED_DIR);
	if (mkdir(dir, INBOX_MODE) == 0)
		chmod(dir, INBOX_MODE);
	int rfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		log_warn("intake: cannot open '%s': %s", dir, strerror(errno));
		return;
	}
	char target[300];
	bool moved = false;
	for (int i = 1; i <= 100 && !moved; i++) {
		if (i == 1)
			snprintf(target, sizeof target, "%s", name);
		else
			snprintf(target, sizeof target, "%.240s (%d)", name, i);
		if (renameat2(dirfd, name, rfd, target, RENAME_NOREPLACE) == 0) {
			moved = true;
		} else if (errno == EINVAL) {
			/* A file system without RENAME_NOREPLACE (CIFS, older NFS): one poller runs,
			 * so looking first is enough. */
			if (faccessat(rfd, target, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			moved = renameat(dirfd, name, rfd, target) == 0;
			break;
		} else if (errno != EEXIST) {
			break;
		}
	}
	if (!moved) {
		log_warn("intake: cannot move refused '%s' to %s: %s", res->filename, dir,
			 strerror(errno));
		close(rfd);
		return;
	}
	char reason_name[4600], text[512];
	snprintf(reason_name, sizeof reason_name, "%s/%s.reason.txt", dir, target);
	char when[21];
	clock_format_iso(clock_now(), when);
	int n = snprintf(text, sizeof text, "%s: not taken into Sidang (%s): %s\n", when,
			 res->filename, res->reason);
	if (fsio_write_file_atomic(reason_name, text, (size_t)n, 0660) != ST_OK)
		log_warn("intake: cannot write '%s'", reason_name);
	close(rfd);
}

static void count(struct intake_pass *p, const struct intake_result *res)
{
	switch (res->outcome) {
	case INTAKE_TAKEN:
		p->taken++;
		if (res->dup_document_id || res->dup_item_id)
			p->duplicates++;
		break;
	case INTAKE_ALREADY_TAKEN: p->already_taken++; break;
	case INTAKE_REFUSED: p->refused++; break;
	case INTAKE_CHANGED: p->waiting++; break;
	case INTAKE_FAILED: p->failed++; break;
	}
}

enum status intake_watch_pass(struct intake_watch *w, struct db_conn *c, struct audit *a,
			      struct blob_store *bs, int64_t now_ms, bool *locked_out,
			      struct intake_pass *out)
{
	memset(out, 0, sizeof *out);
	*locked_out = hold_lock(w);
	if (!*locked_out)
		return ST_OK;
	char *ready[LIMIT_INTAKE_FILES_PER_PASS];
	w->ready = ready;
	w->nready = 0;
	w->now_ms = now_ms;
	for (size_t i = 0; i < w->nseen; i++)
		w->seen[i].present = false;
	enum status st = intake_walk(w->inbox, true, note_file, w);
	if (st != ST_OK)
		return st;
	const struct intake_source src = {"watch", NULL, w->max_bytes, true};
	for (size_t i = 0; i < w->nready; i++) {
		int dfd;
		const char *base;
		struct intake_result res;
		if (intake_open_parent(w->inbox, ready[i], &dfd, &base) != ST_OK)
			continue; /* gone meanwhile */
		enum status ts = intake_take(c, a, bs, &src, dfd, base, &res);
		count(out, &res);
		if (res.outcome == INTAKE_TAKEN)
			log_info("intake: took '%s' (%llu bytes, %s) as item %lld%s", res.filename,
				 (unsigned long long)res.size, res.mime, (long long)res.item_id,
				 res.dup_document_id || res.dup_item_id ? ", a duplicate" : "");
		else if (res.outcome == INTAKE_ALREADY_TAKEN)
			log_info("intake: '%s' was taken before (item %lld); removed", res.filename,
				 (long long)res.item_id);
		else if (res.outcome == INTAKE_REFUSED) {
			log_warn("intake: refused '%s': %s", res.filename, res.reason);
			intake_record_refusal(c, a, &src, &res);
			reject(w, dfd, base, &res);
		} else if (res.outcome == INTAKE_FAILED)
			log_warn("intake: cannot take '%s' (%s); trying again next pass", res.filename,
				 res.reason);
		close(dfd);
		(void)ts;
	}
	/* Forget files no longer there (taken, removed, moved). */
	for (size_t i = 0; i < w->nseen;) {
		bool taken = false;
		for (size_t j = 0; j < w->nready && !taken; j++)
			taken = ready[j] == w->seen[i].rel;
		if (!w->seen[i].present || taken)
			forget(w, i);
		else
			i++;
	}
	w->ready = NULL;
	return ST_OK;
}
