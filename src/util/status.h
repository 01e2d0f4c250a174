/* The status every fallible function in Sidang returns. */
#ifndef SIDANG_UTIL_STATUS_H
#define SIDANG_UTIL_STATUS_H

enum status {
	ST_OK = 0,
	ST_NOMEM,       /* allocation failed */
	ST_IO,          /* an I/O or database error */
	ST_NOSPACE,     /* the disk is full (ENOSPC, EDQUOT, SQLITE_FULL) */
	ST_INVALID,     /* bad input; the message says which field and why */
	ST_TOO_LARGE,   /* input over a named limit */
	ST_UNSUPPORTED, /* a file type or method we do not accept */
	ST_NOT_FOUND,   /* missing, or not visible to the caller (the two look alike) */
	ST_CONFLICT,    /* the object changed or exists already */
	ST_DENIED,      /* the caller may see the object but not do this */
	ST_UNAUTH,      /* no valid session or wrong credentials */
	ST_THROTTLED,   /* too many attempts; try later */
	ST_BUSY,        /* the database stayed locked */
	ST_CORRUPT,     /* stored data does not match its hash or chain */
};

/* A short lower-case name for logs: "ok", "nomem", "io", ... */
const char *status_name(enum status st);

#endif
