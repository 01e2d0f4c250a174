#include "util/status.h"

const char *status_name(enum status st)
{
	switch (st) {
	case ST_OK: return "ok";
	case ST_NOMEM: return "nomem";
	case ST_IO: return "io";
	case ST_NOSPACE: return "nospace";
	case ST_INVALID: return "invalid";
	case ST_TOO_LARGE: return "too_large";
	case ST_UNSUPPORTED: return "unsupported";
	case ST_NOT_FOUND: return "not_found";
	case ST_CONFLICT: return "conflict";
	case ST_DENIED: return "denied";
	case ST_UNAUTH: return "unauthenticated";
	case ST_THROTTLED: return "throttled";
	case ST_BUSY: return "busy";
	case ST_CORRUPT: return "corrupt";
	}
	return "unknown";
}
