/*
 * The content-addressed blob store. See blob.h for the layout and docs/internals/blob.md for the
 * invariants and the crash analysis. The short version: bytes go to a private temp file, are
 * fsynced, and only then get a name under their address by one link(); the address directory and
 * DIR are fsynced before the commit reports success, so a database row written afterwards never
 * points at a blob that a crash could take away.
 */
#include "store/blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidang_limits.h"
#include "util/fsio.h"
#include "util/hex.h"
#include "util/log.h"

/* The longest store directory we accept: room for "/ab/" and the 62-digit name within PATH_MAX.
 * Derived from PATH_MAX, so not a policy limit for limits.h. */
#define BLOB_DIR_MAX (PATH_MAX - 72)
/* Random bytes in a temp file name: 128 bits never collide by chance. */
#define BLOB_TMP_RANDOM 16
/* Attempts to find a fresh temp name (collisions mean a broken random source) and to place a blob
 * whose existing copy a concurrent sweep is removing at the same moment. */
#define BLOB_ATTEMPTS 8

struct blob_store {
	char *dir;     /* DIR, without a trailing slash */
	char *tmp_dir; /* DIR/tmp */
};

struct blob_writer {
	struct blob_store *bs;
	int fd;             /* the temp file, -1 once it is gone */
	enum status failed; /* ST_OK until the first error, then that error for good */
	uint64_t size;
	uint64_t max;
	crypto_hash_sha256_state hash;
	char tmp_path[PATH_MAX];
	size_t head_len;
	unsigned char head[BLOB_HEAD_BYTES];
};

/* The write and commit contract names only these outcomes (blob.h). */
static enum status io_status(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return ST_NOSPACE;
	default:
		return ST_IO;
	}
}

static bool path_join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);
	return n > 0 && (size_t)n < outlen;
}

/* DIR/ab for SHA (already validated). */
static bool sub_path(const struct blob_store *bs, const char *sha, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%.2s", bs->dir, sha);
	return n > 0 && (size_t)n < outlen;
}

/* DIR/ab/cdef... for SHA (already validated). */
static bool blob_path(const struct blob_store *bs, const char *sha, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%.2s/%s", bs->dir, sha, sha + 2);
	return n > 0 && (size_t)n < outlen;
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/*
 * Removes the leftovers of interrupted writes. A live writer holds an exclusive flock on its temp
 * file, so a file we can lock is nobody's: its writer crashed (the kernel dropped the lock) or was
 * killed. This keeps a second process that shares DIR (DESIGN.md §7) from sweeping uploads that
 * another process is still receiving.
 */
static enum status sweep_tmp(struct blob_store *bs, int *swept_out)
{
	enum status st = ST_OK;
	int swept = 0;
	DIR *d = opendir(bs->tmp_dir);
	if (!d) {
		int err = errno;
		log_error("blob store: cannot open \"%s\": %s", bs->tmp_dir, strerror(err));
		return io_status(err);
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno != 0) {
				log_error("blob store: cannot list \"%s\": %s", bs->tmp_dir, strerror(errno));
				st = ST_IO;
			}
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		if (!S_ISREG(sb.st_mode)) {
			/* Not something we create; leave it for a human rather than guess. */
			log_warn("blob store: leaving \"%s/%s\": not a regular file", bs->tmp_dir, e->d_name);
			continue;
		}
		/* O_NONBLOCK: should the name be swapped for a FIFO after the stat, do not hang. */
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd); /* a live writer's file */
			continue;
		}
		/* Unlink while holding the lock: a writer that created this name a moment ago and is
		 * waiting for the lock sees st_nlink == 0 afterwards and picks a new name. */
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			swept++;
		else if (errno != ENOENT)
			log_warn("blob store: cannot remove \"%s/%s\": %s", bs->tmp_dir, e->d_name,
				 strerror(errno));
		close(fd);
	}
	closedir(d);
	if (swept > 0)
		log_info("blob store: removed %d interrupted write(s) from \"%s\"", swept, bs->tmp_dir);
	if (swept_out)
		*swept_out = swept;
	return st;
}

/*
 * mkdir -p DIR (mode 0700), then fsyncs the parent of every level it created. Commits fsync DIR
 * itself, but a blob under a DIR whose own name a crash can take away is not durable: this
 * matters on the first start, when `sidang init` has just made the data directory.
 */
static enum status make_dir_durable(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t n = strlen(dir);
	if (n >= sizeof path)
		return ST_INVALID;
	memcpy(path, dir, n + 1);
	/* The deepest existing ancestor: cut components off until stat finds one. */
	size_t exists = n;
	while (stat(path, &sb) != 0) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path) {
			exists = slash ? 1 : 0; /* "/" or the working directory */
			break;
		}
		*slash = '\0';
		exists = (size_t)(slash - path);
	}
	if (exists == n)
		return ST_OK;
	if (fsio_mkdirs(dir, 0700) != 0) {
		int err = errno;
		log_error("blob store: cannot create \"%s\": %s", dir, strerror(err));
		return io_status(err);
	}
	/* Fsync the existing ancestor and each created level but the last (DIR itself). */
	memcpy(path, dir, n + 1);
	size_t end = exists;
	for (;;) {
		char saved = path[end];
		path[end] = '\0';
		const char *d = end == 0 ? "." : path;
		if (fsio_fsync_dir(d) != 0) {
			int err = errno;
			log_error("blob store: cannot fsync \"%s\": %s", d, strerror(err));
			return io_status(err);
		}
		path[end] = saved;
		/* The next level: up to the next '/' after END (skipping the one at END). */
		size_t next = end + 1;
		while (next < n && path[next] != '/')
			next++;
		if (next >= n)
			return ST_OK;
		end = next;
	}
}

void blob_store_free(struct blob_store *bs)
{
	if (!bs)
		return;
	free(bs->dir);
	free(bs->tmp_dir);
	free(bs);
}

enum status blob_store_open(const char *dir, struct blob_store **out, int *swept_out)
{
	enum status st = ST_OK;
	struct blob_store *bs = NULL;
	*out = NULL;
	if (swept_out)
		*swept_out = 0;
	/* Idempotent and thread-safe; needed for randombytes_buf. */
	if (sodium_init() < 0)
		return ST_IO;
	size_t n = dir ? strlen(dir) : 0;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || n > BLOB_DIR_MAX)
		return ST_INVALID;

	bs = calloc(1, sizeof *bs);
	if (!bs)
		return ST_NOMEM;
	bs->dir = strndup(dir, n);
	bs->tmp_dir = malloc(n + sizeof "/tmp");
	if (!bs->dir || !bs->tmp_dir) {
		st = ST_NOMEM;
		goto out;
	}
	memcpy(bs->tmp_dir, bs->dir, n);
	memcpy(bs->tmp_dir + n, "/tmp", sizeof "/tmp");

	if ((st = make_dir_durable(bs->dir)) != ST_OK)
		goto out;
	/* DIR/tmp's own name need not be durable: it is made again by the next open. */
	if (fsio_mkdirs(bs->tmp_dir, 0700) != 0) {
		int err = errno;
		log_error("blob store: cannot create \"%s\": %s", bs->tmp_dir, strerror(err));
		st = io_status(err);
		goto out;
	}
	st = sweep_tmp(bs, swept_out);
out:
	if (st != ST_OK)
		blob_store_free(bs);
	else
		*out = bs;
	return st;
}

/* Removes the temp file, if it is still there. Unlinking before closing keeps the lock until the
 * name is gone, so a concurrent sweep never sees an unlocked name of ours. */
static void discard_tmp(struct blob_writer *w)
{
	if (w->fd < 0)
		return;
	if (unlink(w->tmp_path) != 0 && errno != ENOENT)
		log_warn("blob store: cannot remove \"%s\": %s", w->tmp_path, strerror(errno));
	close(w->fd);
	w->fd = -1;
}

/* Makes ST the writer's final status and frees the disk space of the partial write at once: a
 * full disk should not stay full until the caller gets round to aborting. */
static enum status writer_fail(struct blob_writer *w, enum status st)
{
	w->failed = st;
	discard_tmp(w);
	return st;
}

enum status blob_writer_begin(struct blob_store *bs, uint64_t max_bytes, struct blob_writer **out)
{
	enum status st = ST_OK;
	*out = NULL;
	struct blob_writer *w = malloc(sizeof *w);
	if (!w)
		return ST_NOMEM;
	w->bs = bs;
	w->fd = -1;
	w->failed = ST_OK;
	w->size = 0;
	w->max = max_bytes;
	w->head_len = 0;
	crypto_hash_sha256_init(&w->hash);

	for (int attempt = 0; attempt < BLOB_ATTEMPTS && w->fd < 0; attempt++) {
		unsigned char rnd[BLOB_TMP_RANDOM];
		char name[2 * BLOB_TMP_RANDOM + 1];
		randombytes_buf(rnd, sizeof rnd);
		hex_encode(rnd, sizeof rnd, name);
		if (!path_join(w->tmp_path, sizeof w->tmp_path, bs->tmp_dir, name)) {
			st = ST_INVALID;
			goto out;
		}
		int fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			int err = errno;
			if (err == EEXIST)
				continue;
			log_error("blob store: cannot create \"%s\": %s", w->tmp_path, strerror(err));
			st = io_status(err);
			goto out;
		}
		/* The lock tells a sweep in another process that this file is alive (sweep_tmp). */
		struct stat sb;
		if (flock(fd, LOCK_EX) != 0 || fstat(fd, &sb) != 0) {
			log_error("blob store: cannot lock \"%s\": %s", w->tmp_path, strerror(errno));
			unlink(w->tmp_path);
			close(fd);
			st = ST_IO;
			goto out;
		}
		if (sb.st_nlink == 0) {
			/* A sweep removed the name between our create and our lock. */
			close(fd);
			continue;
		}
		w->fd = fd;
	}
	if (w->fd < 0) {
		log_error("blob store: no free temp name in \"%s\"", bs->tmp_dir);
		st = ST_IO;
	}
out:
	if (st != ST_OK)
		free(w);
	else
		*out = w;
	return st;
}

enum status blob_writer_write(struct blob_writer *w, const void *p, size_t n)
{
	if (w->failed != ST_OK)
		return w->failed;
	if (n == 0)
		return ST_OK;
	/* Unsigned 64-bit and subtracted, so no sum can wrap. */
	if ((uint64_t)n > w->max - w->size)
		return writer_fail(w, ST_TOO_LARGE);
	if (fsio_write_all(w->fd, p, n) != 0) {
		int err = errno;
		log_error("blob store: cannot write \"%s\": %s", w->tmp_path, strerror(err));
		return writer_fail(w, io_status(err));
	}
	crypto_hash_sha256_update(&w->hash, p, n);
	if (w->head_len < BLOB_HEAD_BYTES) {
		size_t take = BLOB_HEAD_BYTES - w->head_len;
		if (take > n)
			take = n;
		memcpy(w->head + w->head_len, p, take);
		w->head_len += take;
	}
	w->size += n;
	return ST_OK;
}

const unsigned char *blob_writer_head(const struct blob_writer *w, size_t *len_out)
{
	*len_out = w->head_len;
	return w->head;
}

uint64_t blob_writer_size(const struct blob_writer *w) { return w->size; }

void blob_writer_abort(struct blob_writer *w)
{
	if (!w)
		return;
	discard_tmp(w);
	free(w);
}

/*
 * Gives the temp file its address. link() fails when the address is taken, which is what we want
 * (the stored copy has the same bytes and is already durable), where rename() would silently
 * replace it. If the stored copy vanishes between our link and our freshening it (a sweep of
 * unreferenced blobs), we link ours instead.
 */
static enum status place_blob(struct blob_writer *w, const char *final)
{
	for (int attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
		if (link(w->tmp_path, final) == 0)
			return ST_OK;
		int err = errno;
		if (err == EEXIST) {
			/* Freshen the stored copy so a sweep that spares recent blobs spares this one
			 * until our caller has recorded it (docs/internals/blob.md). */
			if (utimensat(AT_FDCWD, final, NULL, 0) == 0)
				return ST_OK;
			if (errno == ENOENT)
				continue;
			/* It exists; not being able to touch it (another owner, read-only mount)
			 * only weakens the sweep's grace period. */
			log_warn("blob store: cannot freshen \"%s\": %s", final, strerror(errno));
			return ST_OK;
		}
		if (err == EPERM || err == EOPNOTSUPP || err == ENOSYS || err == EMLINK) {
			/* A file system without hard links: rename is atomic too, and replacing an
			 * existing copy replaces equal bytes with equal bytes. */
			if (rename(w->tmp_path, final) == 0)
				return ST_OK;
			err = errno;
		}
		log_error("blob store: cannot store \"%s\": %s", final, strerror(err));
		return io_status(err);
	}
	log_error("blob store: cannot store \"%s\": it keeps disappearing", final);
	return ST_IO;
}

enum status blob_writer_commit(struct blob_writer *w, char sha_out[65], uint64_t *size_out)
{
	enum status st = w->failed;
	char sha[SHA256_HEX], sub[PATH_MAX], final[PATH_MAX];
	unsigned char digest[SHA256_BYTES];
	sha_out[0] = '\0';
	if (st != ST_OK)
		goto out;

	crypto_hash_sha256_final(&w->hash, digest);
	hex_encode(digest, sizeof digest, sha);
	if (!sub_path(w->bs, sha, sub, sizeof sub) || !blob_path(w->bs, sha, final, sizeof final)) {
		st = ST_INVALID;
		goto out;
	}
	/* Read-only before it has a name anyone looks up: blobs are never changed in place. The
	 * mode change is metadata that the fsync below makes durable with the bytes. */
	if (fchmod(w->fd, 0444) != 0) {
		log_error("blob store: cannot chmod \"%s\": %s", w->tmp_path, strerror(errno));
		st = ST_IO;
		goto out;
	}
	/* After a failed fsync the kernel may have dropped the dirty pages, so the file cannot be
	 * trusted or retried; it is removed below. */
	if (fsio_fsync(w->fd) != 0) {
		int err = errno;
		log_error("blob store: cannot fsync \"%s\": %s", w->tmp_path, strerror(err));
		st = io_status(err);
		goto out;
	}
	if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
		int err = errno;
		log_error("blob store: cannot create \"%s\": %s", sub, strerror(err));
		st = io_status(err);
		goto out;
	}
	st = place_blob(w, final);
	if (st != ST_OK)
		goto out;
	/* Both, always: the subdirectory's entry may have been created by a concurrent commit that
	 * has not fsynced DIR yet, and a duplicate must be as durable as a first copy before our
	 * caller records it. */
	if (fsio_fsync_dir(sub) != 0 || fsio_fsync_dir(w->bs->dir) != 0) {
		int err = errno;
		/* The blob may stay under its address: it is complete, and possibly shared with a
		 * concurrent commit of the same bytes; unreferenced, it is swept later. */
		log_error("blob store: cannot fsync the directories of \"%s\": %s", final, strerror(err));
		st = io_status(err);
		goto out;
	}
	memcpy(sha_out, sha, SHA256_HEX);
	if (size_out)
		*size_out = w->size;
out:
	/* After a successful link this only drops the temp name of the stored inode. */
	discard_tmp(w);
	free(w);
	return st;
}

enum status blob_open_verified(struct blob_store *bs, const char *sha, int *fd_out, uint64_t *size_out)
{
	enum status st = ST_OK;
	char path[PATH_MAX], got[SHA256_HEX];
	unsigned char digest[SHA256_BYTES];
	unsigned char *chunk = NULL;
	uint64_t total = 0;
	int fd = -1;
	*fd_out = -1;
	if (!hex_is_sha256(sha))
		return ST_INVALID;
	if (!blob_path(bs, sha, path, sizeof path))
		return ST_INVALID;

	/* O_NOFOLLOW: a blob is never a symlink; one planted there must not redirect the read. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT) {
			st = ST_NOT_FOUND;
		} else {
			log_error("blob store: cannot open \"%s\": %s", path, strerror(err));
			st = err == ELOOP ? ST_CORRUPT : ST_IO;
		}
		goto out;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		st = ST_IO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_error("blob store: \"%s\" is not a regular file", path);
		st = ST_CORRUPT;
		goto out;
	}
	chunk = malloc(LIMIT_IO_CHUNK);
	if (!chunk) {
		st = ST_NOMEM;
		goto out;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (;;) {
		ssize_t r = fsio_read(fd, chunk, LIMIT_IO_CHUNK);
		if (r < 0) {
			log_error("blob store: cannot read \"%s\": %s", path, strerror(errno));
			st = ST_IO;
			goto out;
		}
		if (r == 0)
			break;
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)r);
		total += (uint64_t)r;
	}
	crypto_hash_sha256_final(&h, digest);
	hex_encode(digest, sizeof digest, got);
	if (memcmp(got, sha, SHA256_HEX) != 0) {
		log_error("blob store: blob \"%s\" is corrupt: its %llu bytes hash to \"%s\"", sha,
			  (unsigned long long)total, got);
		st = ST_CORRUPT;
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		st = ST_IO;
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	if (size_out)
		*size_out = total;
out:
	free(chunk);
	if (fd >= 0)
		close(fd);
	return st;
}

bool blob_exists(struct blob_store *bs, const char *sha)
{
	char path[PATH_MAX];
	struct stat sb;
	if (!hex_is_sha256(sha) || !blob_path(bs, sha, path, sizeof path))
		return false;
	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

enum status blob_stat(struct blob_store *bs, const char *sha, uint64_t *size_out, int64_t *mtime_out)
{
	char path[PATH_MAX];
	struct stat sb;
	if (!hex_is_sha256(sha) || !blob_path(bs, sha, path, sizeof path))
		return ST_INVALID;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? ST_NOT_FOUND : ST_IO;
	if (!S_ISREG(sb.st_mode))
		return ST_CORRUPT;
	if (size_out)
		*size_out = (uint64_t)sb.st_size;
	if (mtime_out)
		*mtime_out = (int64_t)sb.st_mtim.tv_sec;
	return ST_OK;
}

enum status blob_remove(struct blob_store *bs, const char *sha)
{
	char path[PATH_MAX];
	if (!hex_is_sha256(sha) || !blob_path(bs, sha, path, sizeof path))
		return ST_INVALID;
	/* No directory fsync: a removal lost to a crash is redone by the next sweep. The empty
	 * subdirectory stays; removing it would race with a commit about to link into it. */
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return ST_NOT_FOUND;
		log_error("blob store: cannot remove \"%s\": %s", path, strerror(errno));
		return ST_IO;
	}
	return ST_OK;
}

/* Calls FN for each blob in the subdirectory named PREFIX (two hex digits). */
static enum status foreach_in_sub(struct blob_store *bs, const char *prefix,
				  enum status (*fn)(void *ctx, const char *sha), void *ctx)
{
	enum status st = ST_OK;
	char sub[PATH_MAX], sha[SHA256_HEX];
	if (!path_join(sub, sizeof sub, bs->dir, prefix))
		return ST_INVALID;
	DIR *d = opendir(sub);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ST_OK;
		log_error("blob store: cannot open \"%s\": %s", sub, strerror(errno));
		return ST_IO;
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno != 0) {
				log_error("blob store: cannot list \"%s\": %s", sub, strerror(errno));
				st = ST_IO;
			}
			break;
		}
		if (!is_lower_hex(e->d_name, 62))
			continue;
		memcpy(sha, prefix, 2);
		memcpy(sha + 2, e->d_name, 63);
		st = fn(ctx, sha);
		if (st != ST_OK)
			break;
	}
	closedir(d);
	return st;
}

enum status blob_foreach(struct blob_store *bs, enum status (*fn)(void *ctx, const char *sha), void *ctx)
{
	enum status st = ST_OK;
	DIR *d = opendir(bs->dir);
	if (!d) {
		log_error("blob store: cannot open \"%s\": %s", bs->dir, strerror(errno));
		return ST_IO;
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno != 0) {
				log_error("blob store: cannot list \"%s\": %s", bs->dir, strerror(errno));
				st = ST_IO;
			}
			break;
		}
		if (!is_lower_hex(e->d_name, 2))
			continue;
		st = foreach_in_sub(bs, e->d_name, fn, ctx);
		if (st != ST_OK)
			break;
	}
	closedir(d);
	return st;
}

int blob_tmp_count(struct blob_store *bs)
{
	int count = 0;
	DIR *d = opendir(bs->tmp_dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			count++;
	closedir(d);
	return count;
}
