/*
 * Thin wrappers over the file-system calls that durability depends on, so tests can make them
 * fail (STYLE.md §11). Fault injection is read once from the environment:
 *   SIDANG_FAULT_ENOSPC_AFTER=N   writes fail with ENOSPC once N bytes have been written in all
 *   SIDANG_FAULT_FSYNC=N          the Nth fsync (1-based) fails with EIO
 * Without those variables the wrappers are the plain calls.
 */
#ifndef SIDANG_UTIL_FSIO_H
#define SIDANG_UTIL_FSIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util/status.h"

/* Writes all N bytes or fails; retries on EINTR and short writes. Sets errno on failure. */
int fsio_write_all(int fd, const void *p, size_t n);
/* Reads up to N bytes, retrying on EINTR. Returns bytes read, 0 at EOF, -1 on error. */
ssize_t fsio_read(int fd, void *p, size_t n);
int fsio_fsync(int fd);
/* Opens DIR and fsyncs it, so a rename or unlink in it is durable. */
int fsio_fsync_dir(const char *dir);
/* mkdir -p with MODE for each created level. */
int fsio_mkdirs(const char *path, unsigned mode);
/* Maps an errno to a status: ENOSPC/EDQUOT/EFBIG → ST_NOSPACE, ENOENT → ST_NOT_FOUND, else ST_IO. */
enum status fsio_status_from_errno(int err);
/* Writes a whole small file durably: temp file, fsync, rename, fsync the directory. */
enum status fsio_write_file_atomic(const char *path, const void *p, size_t n, unsigned mode);
/* Reads a whole small file of at most MAX bytes into a malloc'ed, NUL-terminated buffer. */
enum status fsio_read_file(const char *path, size_t max, char **out, size_t *len_out);

#endif
