#include "domain/filetype.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static const char *const allowed[] = {
	"application/pdf",
	"image/jpeg",
	"image/png",
	"image/tiff",
	"application/msword",
	"application/vnd.ms-excel",
	"application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
};

static pthread_mutex_t magic_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t cookie;

enum status filetype_detect(const unsigned char *p, size_t n, char *mime)
{
	enum status st = ST_OK;
	mime[0] = '\0';
	/* libmagic's handle is not thread-safe; detection is short (a 64 KiB head at most). */
	pthread_mutex_lock(&magic_lock);
	if (!cookie) {
		/* Only the checks we need: no decompression, no tar, no ELF details. */
		cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
				    MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR);
		if (cookie && magic_load(cookie, NULL) != 0) {
			log_error("filetype: cannot load the magic database: %s", magic_error(cookie));
			magic_close(cookie);
			cookie = NULL;
		}
		if (cookie) {
			size_t bytes_max = 64 * 1024;
			magic_setparam(cookie, MAGIC_PARAM_BYTES_MAX, &bytes_max);
		}
	}
	if (!cookie) {
		st = ST_IO;
		goto out;
	}
	const char *found = magic_buffer(cookie, p, n > 64 * 1024 ? 64 * 1024 : n);
	snprintf(mime, FILETYPE_MIME_MAX, "%s", found ? found : "application/octet-stream");
	st = ST_UNSUPPORTED;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strcmp(mime, allowed[i]) == 0)
			st = ST_OK;
out:
	pthread_mutex_unlock(&magic_lock);
	return st;
}

int filetype_inline_ok(const char *mime)
{
	return strcmp(mime, "application/pdf") == 0 || strcmp(mime, "image/jpeg") == 0 ||
	       strcmp(mime, "image/png") == 0;
}

static const struct {
	const char *mime;
	enum filetype_office f;
	const char *ext;
} office[] = {
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", FILETYPE_DOCX,
	 "docx"},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", FILETYPE_XLSX, "xlsx"},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation", FILETYPE_PPTX,
	 "pptx"},
	{"application/vnd.oasis.opendocument.text", FILETYPE_ODT, "odt"},
	{"application/vnd.oasis.opendocument.spreadsheet", FILETYPE_ODS, "ods"},
	{"application/vnd.oasis.opendocument.presentation", FILETYPE_ODP, "odp"},
	{"application/msword", FILETYPE_DOC, "doc"},
	{"application/vnd.ms-excel", FILETYPE_XLS, "xls"},
	{"application/vnd.ms-powerpoint", FILETYPE_PPT, "ppt"},
};

enum filetype_office filetype_office(const char *mime)
{
	for (size_t i = 0; i < sizeof office / sizeof office[0]; i++)
		if (strcmp(mime, office[i].mime) == 0)
			return office[i].f;
	return FILETYPE_NOT_OFFICE;
}

const char *filetype_office_ext(enum filetype_office f)
{
	for (size_t i = 0; i < sizeof office / sizeof office[0]; i++)
		if (office[i].f == f)
			return office[i].ext;
	return "";
}

int filetype_office_legacy(enum filetype_office f)
{
	return f == FILETYPE_DOC || f == FILETYPE_XLS || f == FILETYPE_PPT;
}
