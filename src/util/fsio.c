#include "util/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"

/* Fault injection, read once from the environment (see fsio.h). -1 means off. */
static _Atomic long long fault_enospc_after = -2; /* -2: not read yet */
static _Atomic long long fault_fsync_nth = -1;
static _Atomic long long written_total;
static _Atomic long long fsync_count;

static void fault_load(void)
{
	if (atomic_load(&fault_enospc_after) != -2)
		return;
	const char *e = getenv("SIDANG_FAULT_ENOSPC_AFTER");
	const char *f = getenv("SIDANG_FAULT_FSYNC");
	atomic_store(&fault_fsync_nth, f && *f ? strtoll(f, NULL, 10) : -1);
	atomic_store(&fault_enospc_after, e && *e ? strtoll(e, NULL, 10) : -1);
}

int fsio_write_all(int fd, const void *p, size_t n)
{
	fault_load();
	const char *c = p;
	while (n > 0) {
		size_t chunk = n;
		long long lim = atomic_load(&fault_enospc_after);
		if (lim >= 0) {
			long long done = atomic_load(&written_total);
			if (done >= lim) {
				errno = ENOSPC;
				return -1;
			}
			if ((long long)chunk > lim - done)
				chunk = (size_t)(lim - done);
		}
		ssize_t w = write(fd, c, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		atomic_fetch_add(&written_total, (long long)w);
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t fsio_read(int fd, void *p, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

int fsio_fsync(int fd)
{
	fault_load();
	long long nth = atomic_load(&fault_fsync_nth);
	long long count = atomic_fetch_add(&fsync_count, 1) + 1;
	if (nth > 0 && count == nth) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

int fsio_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsio_fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int fsio_mkdirs(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

enum status fsio_status_from_errno(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return ST_NOSPACE;
	case ENOENT:
		return ST_NOT_FOUND;
	case ENOMEM:
		return ST_NOMEM;
	default:
		return ST_IO;
	}
}

enum status fsio_write_file_atomic(const char *path, const void *p, size_t n, unsigned mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return ST_INVALID;
	size_t plen = strlen(path);
	if (plen >= sizeof dir)
		return ST_INVALID;
	memcpy(dir, path, plen + 1);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);

	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return fsio_status_from_errno(errno);
	if (fsio_write_all(fd, p, n) != 0 || fsio_fsync(fd) != 0) {
		int err = errno;
		close(fd);
		unlink(tmp);
		return fsio_status_from_errno(err);
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int err = errno;
		unlink(tmp);
		return fsio_status_from_errno(err);
	}
	if (fsio_fsync_dir(dir) != 0)
		return fsio_status_from_errno(errno);
	return ST_OK;
}

enum status fsio_read_file(const char *path, size_t max, char **out, size_t *len_out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fsio_status_from_errno(errno);
	struct buf b;
	buf_init(&b, max);
	enum status st = ST_OK;
	char chunk[4096];
	for (;;) {
		ssize_t r = fsio_read(fd, chunk, sizeof chunk);
		if (r < 0) {
			st = fsio_status_from_errno(errno);
			break;
		}
		if (r == 0)
			break;
		if ((st = buf_add(&b, chunk, (size_t)r)) != ST_OK)
			break;
	}
	close(fd);
	if (st != ST_OK) {
		buf_release(&b);
		return st;
	}
	*out = buf_detach(&b, len_out);
	return *out ? ST_OK : ST_NOMEM;
}
