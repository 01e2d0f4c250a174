/*
 * Office files: the job kinds extract_office (their text into the search index) and
 * office_preview (a PDF preview made by LibreOffice, when it is installed). Both are queued for
 * every new office version (domain/filetype.h lists the formats). See docs/internals/jobs.md.
 *
 * extract_office reads an OOXML (DOCX, XLSX, PPTX) or ODF (ODT, ODS, ODP) file in the sandboxed
 * child: MuPDF opens the ZIP, each XML part is inflated under LIMIT_OFFICE_ENTRY_BYTES and all of
 * them under LIMIT_OFFICE_INFLATED_BYTES (a zip bomb stops there with a reason), and
 * jobs/office_xml.c takes the text out. It goes back as page records (jobs/docread.h): a text
 * document is page 1, a workbook has a page per sheet, a presentation a page per slide. The
 * legacy binary formats (.doc, .xls, .ppt) have no reader here: the job ends done, saying their
 * text comes from the PDF preview, which office_preview reads when LibreOffice made one.
 *
 * office_preview runs `soffice --headless --convert-to pdf`, which cannot work under our seccomp
 * filter (it opens its libraries, fonts and profile, and starts processes), in a confinement of
 * its own: a fresh private directory under DATA/tmp holding a copy of the file under a fixed
 * name and LibreOffice's profile, a minimal environment, rlimits, a new process group killed
 * whole at a wall-clock limit, stdin from /dev/null. The PDF is streamed into the blob store as
 * the version's preview_pdf, and the thumbnail of the version is queued (drawn from the preview).
 * Without LibreOffice the job ends done with {"preview": false, "reason": "LibreOffice is not
 * installed"}: nothing to retry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain/filetype.h"
#include "domain/search.h"
#include "jobs/derived.h"
#include "jobs/docread.h"
#include "jobs/office_xml.h"
#include "sidang_limits.h"
#include "util/fsio.h"

struct office_arg {
	enum filetype_office f;
};

/* --- extract_office, in the child --------------------------------------------------------- */

/* Output the child keeps back for the page headers and its final message. */
#define OFFICE_OUTPUT_RESERVE ((size_t)LIMIT_OFFICE_PARTS * DOC_RECORD_HEADER + 4096)

static const char *format_name; /* "DOCX" ..., for messages */
static uint64_t inflated;       /* bytes inflated so far */
static size_t budget;           /* text bytes the output may still carry */
static uint32_t pages;          /* page records written */
static struct buf page_text;    /* the page being made */

/* Entry NAME of ARCH inflated, within LIMIT_OFFICE_ENTRY_BYTES and what is left of
 * LIMIT_OFFICE_INFLATED_BYTES; a zip bomb is refused with a reason. */
static fz_buffer *read_part(fz_context *ctx, fz_archive *arch, const char *name)
{
	fz_stream *s = fz_open_archive_entry(ctx, arch, name);
	fz_buffer *b = NULL;
	fz_var(b);
	fz_try(ctx)
	{
		b = fz_new_buffer(ctx, 64 * 1024);
		for (;;) {
			if (b->len == b->cap) {
				size_t cap = b->cap * 2;
				if (cap > LIMIT_OFFICE_ENTRY_BYTES + 1)
					cap = LIMIT_OFFICE_ENTRY_BYTES + 1;
				fz_resize_buffer(ctx, b, cap);
			}
			size_t n = fz_read(ctx, s, b->data + b->len, b->cap - b->len);
			if (n == 0)
				break;
			b->len += n;
			if (b->len > LIMIT_OFFICE_ENTRY_BYTES)
				fz_throw(ctx, DOC_REFUSED,
					 "the %s file's part %s inflates to more than %d MiB (a zip "
					 "bomb?)",
					 format_name, name,
					 (int)(LIMIT_OFFICE_ENTRY_BYTES >> 20));
			if (inflated + b->len > LIMIT_OFFICE_INFLATED_BYTES)
				fz_throw(ctx, DOC_REFUSED,
					 "the %s file inflates to more than %d MiB (a zip bomb?)",
					 format_name,
					 (int)(LIMIT_OFFICE_INFLATED_BYTES >> 20));
		}
		inflated += b->len;
	}
	fz_always(ctx)
		fz_drop_stream(ctx, s);
	fz_catch(ctx)
	{
		fz_drop_buffer(ctx, b);
		fz_rethrow(ctx);
	}
	return b;
}

/* The text of part NAME of KIND appended to page_text (PAGE_FN, CTX: see office_xml_text). */
static void part_text(fz_context *ctx, fz_archive *arch, const char *name, enum office_part kind,
		      const struct office_strings *strings, office_page_fn page_fn, void *pctx)
{
	fz_buffer *b = read_part(ctx, arch, name);
	bool ok = office_xml_text(kind, (const char *)b->data, b->len, strings, &page_text, NULL,
				  page_fn, pctx);
	fz_drop_buffer(ctx, b);
	if (!ok)
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot pass on the text");
}

/* Writes TEXT as the next page (an empty text past the output's budget). */
static bool put_page(void *ctx, const struct buf *text)
{
	const struct sandbox_io *io = ctx;
	office_utf8_clean(text->ptr, text->len);
	size_t n = text->len <= budget ? text->len : 0;
	budget -= n;
	return doc_write_page(io, ++pages, 0, text->ptr, n);
}

static void flush_page(fz_context *ctx, const struct sandbox_io *io)
{
	if (!put_page((void *)io, &page_text))
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot pass on the text");
	buf_reset(&page_text);
}

static void require(fz_context *ctx, fz_archive *arch, const char *name)
{
	if (!fz_has_archive_entry(ctx, arch, name))
		fz_throw(ctx, DOC_REFUSED, "damaged %s file: its part %s is missing", format_name,
			 name);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The numbers N of the entries named PREFIX N ".xml", in order, into NUMS (at most
 * LIMIT_OFFICE_PARTS); their count. */
static int numbered(fz_context *ctx, fz_archive *arch, const char *prefix, int *nums)
{
	int k = 0, count = fz_count_archive_entries(ctx, arch);
	size_t pl = strlen(prefix);
	for (int i = 0; i < count && k < LIMIT_OFFICE_PARTS; i++) {
		const char *name = fz_list_archive_entry(ctx, arch, i);
		if (!name || strncmp(name, prefix, pl) != 0)
			continue;
		const char *d = name + pl;
		size_t digits = strspn(d, "0123456789");
		if (digits == 0 || digits > 6 || strcmp(d + digits, ".xml") != 0)
			continue;
		nums[k++] = (int)strtol(d, NULL, 10);
	}
	qsort(nums, (size_t)k, sizeof nums[0], cmp_int);
	return k;
}

static int parts[LIMIT_OFFICE_PARTS];

/* DOCX: the body, then headers, footers, footnotes and endnotes, as page 1. */
static void read_docx(fz_context *ctx, const struct sandbox_io *io, fz_archive *arch)
{
	require(ctx, arch, "word/document.xml");
	part_text(ctx, arch, "word/document.xml", OFFICE_PART_WORD, NULL, NULL, NULL);
	sandbox_progress(io, 50);
	static const char *const extra[] = {"word/header", "word/footer"};
	char name[64];
	for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
		int k = numbered(ctx, arch, extra[e], parts);
		for (int i = 0; i < k; i++) {
			snprintf(name, sizeof name, "%s%d.xml", extra[e], parts[i]);
			part_text(ctx, arch, name, OFFICE_PART_WORD, NULL, NULL, NULL);
		}
	}
	static const char *const notes[] = {"word/footnotes.xml", "word/endnotes.xml"};
	for (size_t e = 0; e < sizeof notes / sizeof notes[0]; e++)
		if (fz_has_archive_entry(ctx, arch, notes[e]))
			part_text(ctx, arch, notes[e], OFFICE_PART_WORD, NULL, NULL, NULL);
	flush_page(ctx, io);
}

/* PPTX: a page per slide, in the order of their numbers. */
static void read_pptx(fz_context *ctx, const struct sandbox_io *io, fz_archive *arch)
{
	int k = numbered(ctx, arch, "ppt/slides/slide", parts);
	if (k == 0)
		fz_throw(ctx, DOC_REFUSED, "damaged PPTX file: it has no slides");
	char name[64];
	for (int i = 0; i < k; i++) {
		snprintf(name, sizeof name, "ppt/slides/slide%d.xml", parts[i]);
		part_text(ctx, arch, name, OFFICE_PART_SLIDE, NULL, NULL, NULL);
		flush_page(ctx, io);
		sandbox_progress(io, (i + 1) * 100 / k);
	}
}

/* XLSX: the shared strings, then a page per sheet with its string cells. */
static void read_xlsx(fz_context *ctx, const struct sandbox_io *io, fz_archive *arch)
{
	int k = numbered(ctx, arch, "xl/worksheets/sheet", parts);
	if (k == 0)
		fz_throw(ctx, DOC_REFUSED, "damaged XLSX file: it has no sheets");
	static struct buf strings;
	static struct office_strings table;
	buf_init(&strings, LIMIT_OFFICE_ENTRY_BYTES);
	if (fz_has_archive_entry(ctx, arch, "xl/sharedStrings.xml")) {
		fz_buffer *b = read_part(ctx, arch, "xl/sharedStrings.xml");
		office_xml_text(OFFICE_PART_STRINGS, (const char *)b->data, b->len, NULL, &strings,
				NULL, NULL, NULL);
		fz_drop_buffer(ctx, b);
		size_t count = 0;
		for (size_t i = 0; i < strings.len; i++)
			count += strings.ptr[i] == '\0';
		uint32_t *off = malloc((count ? count : 1) * sizeof *off);
		if (!off)
			fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
		size_t at = 0;
		for (size_t i = 0, start = 0; i < strings.len; i++)
			if (strings.ptr[i] == '\0') {
				off[at++] = (uint32_t)start;
				start = i + 1;
			}
		table = (struct office_strings){strings.ptr, off, count};
	}
	char name[64];
	for (int i = 0; i < k; i++) {
		snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml", parts[i]);
		part_text(ctx, arch, name, OFFICE_PART_SHEET, &table, NULL, NULL);
		flush_page(ctx, io);
		sandbox_progress(io, (i + 1) * 100 / k);
	}
}

/* ODF: content.xml; a text document is page 1, a spreadsheet or presentation has a page per
 * table or drawing page. */
static void read_odf(fz_context *ctx, const struct sandbox_io *io, fz_archive *arch,
		     enum filetype_office f)
{
	require(ctx, arch, "content.xml");
	if (f == FILETYPE_ODT) {
		part_text(ctx, arch, "content.xml", OFFICE_PART_ODT, NULL, NULL, NULL);
		flush_page(ctx, io);
	} else {
		part_text(ctx, arch, "content.xml", f == FILETYPE_ODS ? OFFICE_PART_ODS : OFFICE_PART_ODP,
			  NULL, put_page, (void *)io);
	}
}

static int office_text(const struct sandbox_io *io, unsigned char *const data, const size_t len);

static int child_office(const struct sandbox_io *io)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = doc_read_input(io, &data, &len);
	return rc != 0 ? rc : office_text(io, data, len);
}

/* The MuPDF part of child_office, apart so that no local of the caller lives across setjmp. */
static int office_text(const struct sandbox_io *io, unsigned char *const data, const size_t len)
{
	enum filetype_office f = ((const struct office_arg *)io->arg)->f;
	static char upper[8];
	const char *ext = filetype_office_ext(f);
	for (size_t i = 0; ext[i] && i < sizeof upper - 1; i++)
		upper[i] = (char)(ext[i] - 'a' + 'A');
	format_name = upper;
	budget = LIMIT_WORKER_OUTPUT_BYTES - OFFICE_OUTPUT_RESERVE;
	_Static_assert(LIMIT_WORKER_OUTPUT_BYTES > OFFICE_OUTPUT_RESERVE, "room for text");
	buf_init(&page_text, SEARCH_PAGE_TEXT_MAX_BYTES);
	fz_context *ctx = doc_new_context();
	if (!ctx)
		return SANDBOX_EXIT_NOMEM;
	fz_stream *stm = NULL;
	fz_archive *arch = NULL;
	volatile int result = 0;
	fz_var(stm);
	fz_var(arch);
	fz_try(ctx)
	{
		stm = fz_open_memory(ctx, data, len);
		arch = fz_open_zip_archive_with_stream(ctx, stm);
		int count = fz_count_archive_entries(ctx, arch);
		if (count > LIMIT_OFFICE_ENTRIES)
			fz_throw(ctx, DOC_REFUSED, "the %s file has %d parts (at most %d)",
				 format_name, count, LIMIT_OFFICE_ENTRIES);
		switch (f) {
		case FILETYPE_DOCX: read_docx(ctx, io, arch); break;
		case FILETYPE_PPTX: read_pptx(ctx, io, arch); break;
		case FILETYPE_XLSX: read_xlsx(ctx, io, arch); break;
		default: read_odf(ctx, io, arch, f); break;
		}
		sandbox_progress(io, 100);
	}
	fz_always(ctx)
	{
		fz_drop_archive(ctx, arch);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		char prefix[64];
		snprintf(prefix, sizeof prefix, "truncated or damaged %s file", format_name);
		result = doc_caught(ctx, io, prefix);
	}
	return doc_memory_exceeded() ? doc_fail_memory(io) : result;
}

/* --- extract_office, in the worker -------------------------------------------------------- */

enum job_outcome job_run_extract_office(struct job_ctx *x, struct buf *result, struct buf *error)
{
	static struct office_arg arg;
	char mime[FILETYPE_MIME_MAX] = "";
	int fd = -1;
	enum job_outcome o = job_open_blob_mime(x, &fd, NULL, NULL, mime, error);
	if (o != JOB_DONE)
		return o;
	arg.f = filetype_office(mime);
	if (arg.f == FILETYPE_NOT_OFFICE) {
		close(fd);
		buf_printf(error, "not an office file: %s", mime);
		return JOB_PERMANENT;
	}
	if (filetype_office_legacy(arg.f)) {
		/* Done, not failed: nothing is wrong with the file (the UI says why there is no
		 * text, docs/internals/jobs.md). */
		close(fd);
		buf_adds(result, "{\"pages\": 0, \"text\": false, \"reason\": \"the text of .doc, .xls "
				 "and .ppt files is read from their PDF preview, which needs "
				 "LibreOffice\"}");
		return JOB_DONE;
	}
	struct buf out;
	buf_init(&out, LIMIT_WORKER_OUTPUT_BYTES);
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, fd, child_office, &arg, &out, &detail);
	close(fd);
	if (r != SANDBOX_OK) {
		o = doc_sandbox_failure(r, detail, &out, error);
	} else {
		int n = 0, flagged = 0;
		enum status st = db_begin(x->c);
		if (st == ST_OK) {
			st = doc_store_pages(x->c, x->job->document_id, x->job->version, &out, &n,
					     &flagged);
			if (st == ST_OK)
				st = db_commit(x->c);
			else
				db_rollback(x->c);
		}
		o = st == ST_OK ? JOB_DONE : doc_store_failure(st, error);
		if (o == JOB_DONE)
			buf_printf(result, "{\"pages\": %d}", n);
	}
	buf_release(&out);
	return o;
}

/* --- office_preview: LibreOffice, confined ------------------------------------------------- */

/* printf into OUT (CAP bytes); false when it does not fit (paths are then refused, never cut). */
__attribute__((format(printf, 3, 4))) static bool pathf(char *out, size_t cap, const char *fmt,
							...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < cap;
}

/* The program: soffice, else libreoffice, in an absolute directory of PATH. */
static bool find_soffice(char *out, size_t cap)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	static const char *const names[] = {"soffice", "libreoffice"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		for (const char *p = path;;) {
			const char *colon = strchr(p, ':');
			size_t n = colon ? (size_t)(colon - p) : strlen(p);
			struct stat sb;
			if (n > 0 && p[0] == '/' &&
			    pathf(out, cap, "%.*s/%s", (int)n, p, names[k]) &&
			    stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
				return true;
			if (!colon)
				break;
			p = colon + 1;
		}
	}
	return false;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes directory PATH and everything in it, following no symbolic link. */
static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* DATA/tmp (created 0700), after removing the work directories of conversions older than twice
 * the wall-clock limit (a worker killed during one leaves its directory). */
static bool tmp_root(struct job_ctx *x, char *out, size_t cap, unsigned wall_ms)
{
	const char *b = x->cfg->blob_dir, *slash = strrchr(b, '/');
	int n = slash ? (int)(slash - b) : 1;
	if (!pathf(out, cap, "%.*s/tmp", n, slash ? (slash == b ? "/" : b) : "."))
		return false;
	struct stat sb;
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return false;
	if (lstat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return false;
	DIR *d = opendir(out);
	if (!d)
		return false;
	time_t old = time(NULL) - (time_t)(2 * wall_ms / 1000 + 60);
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "office-", 7) != 0)
			continue;
		if (pathf(path, sizeof path, "%s/%s", out, e->d_name) &&
		    lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && sb.st_mtime < old)
			rm_tree(path);
	}
	closedir(d);
	return true;
}

/* Copies the open blob IN to DIR/NAME (created, 0600). */
static bool copy_input(int in, const char *path)
{
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return false;
	static char chunk[LIMIT_IO_CHUNK];
	bool ok = true;
	for (;;) {
		ssize_t n = fsio_read(in, chunk, sizeof chunk);
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if (fsio_write_all(out, chunk, (size_t)n) != 0) {
			ok = false;
			break;
		}
	}
	return close(out) == 0 && ok;
}

/* PATH as a file: URL (LibreOffice's -env:UserInstallation), percent-encoded. */
static void file_url(const char *path, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = snprintf(out, cap, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < cap; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p)) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = '\0';
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum lo_result {
	LO_OK,       /* exit 0 */
	LO_EXIT,     /* exit status *detail */
	LO_SIGNAL,   /* killed by signal *detail (not ours) */
	LO_TIMEOUT,  /* killed at the wall-clock limit */
	LO_ABORTED,  /* the worker is stopping or lost the lease */
	LO_ERROR,    /* could not start (*detail: errno) */
};

/* In the child of fork, before execve: only async-signal-safe calls. */
static void lo_child(const char *prog, char *const argv[], char *const envp[], const char *dir,
		     int null_fd, int log_fd, pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	if (chdir(dir) != 0)
		_exit(127);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP and the reserved ones refuse: fine */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct rlimit core = {0, 0};
	struct rlimit cpu = {LIMIT_OFFICE_CPU_SECONDS, LIMIT_OFFICE_CPU_SECONDS + 1};
	struct rlimit as = {LIMIT_OFFICE_MEMORY_BYTES, LIMIT_OFFICE_MEMORY_BYTES};
	struct rlimit fsize = {LIMIT_OFFICE_FILE_BYTES, LIMIT_OFFICE_FILE_BYTES};
	struct rlimit nofile = {LIMIT_OFFICE_OPEN_FILES, LIMIT_OFFICE_OPEN_FILES};
	if (setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_CPU, &cpu) != 0 ||
	    setrlimit(RLIMIT_AS, &as) != 0 || setrlimit(RLIMIT_FSIZE, &fsize) != 0 ||
	    setrlimit(RLIMIT_NOFILE, &nofile) != 0)
		_exit(127);
	execve(prog, argv, envp);
	_exit(127);
}

/* Runs LibreOffice PROG on INPUT in DIR (outputs in DIR/out), within TIMEOUT_MS. */
static enum lo_result run_soffice(struct job_ctx *x, const char *prog, const char *dir,
				  const char *input, unsigned timeout_ms, int *detail)
{
	static char profile[4096], url[3 * 4096 + 64], env_url[3 * 4096], outdir[4096], home[4096],
		tmpdir[4096], path[4096], log[4096];
	const char *slash = strrchr(prog, '/');
	if (!pathf(profile, sizeof profile, "%s/profile", dir) ||
	    !pathf(outdir, sizeof outdir, "%s/out", dir) ||
	    !pathf(home, sizeof home, "HOME=%s", dir) ||
	    !pathf(tmpdir, sizeof tmpdir, "TMPDIR=%s", dir) ||
	    !pathf(log, sizeof log, "%s/soffice.log", dir) ||
	    !pathf(path, sizeof path, "PATH=%.*s:/usr/local/bin:/usr/bin:/bin",
		   (int)(slash - prog), prog)) {
		*detail = ENAMETOOLONG;
		return LO_ERROR;
	}
	file_url(profile, env_url, sizeof env_url);
	if (!pathf(url, sizeof url, "-env:UserInstallation=%s", env_url)) {
		*detail = ENAMETOOLONG;
		return LO_ERROR;
	}
	char *const argv[] = {(char *)prog, "--headless", "--invisible", "--norestore",
			      "--nolockcheck", "--nodefault", "--nologo", "--nofirststartwizard", url,
			      "--convert-to", "pdf", "--outdir", outdir, (char *)input, NULL};
	char *const envp[] = {home, tmpdir, path, "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
			      "SAL_USE_VCLPLUGIN=svp", NULL};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (null_fd < 0 || log_fd < 0) {
		*detail = errno;
		if (null_fd >= 0)
			close(null_fd);
		if (log_fd >= 0)
			close(log_fd);
		return LO_ERROR;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		lo_child(prog, argv, envp, dir, null_fd, log_fd, parent);
	int fork_errno = errno;
	close(null_fd);
	close(log_fd);
	if (pid < 0) {
		*detail = fork_errno;
		return LO_ERROR;
	}
	setpgid(pid, pid); /* also here: the group exists before we may kill it */
	int64_t start = monotonic_ms(), last_tick = start;
	enum lo_result r = LO_OK;
	int status = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			*detail = errno;
			kill(-pid, SIGKILL);
			return LO_ERROR;
		}
		int64_t now = monotonic_ms();
		bool stop = false;
		if (now - start >= (int64_t)timeout_ms) {
			r = LO_TIMEOUT;
			stop = true;
		} else if (now - last_tick >= 1000) {
			last_tick = now;
			int pct = 10 + (int)((now - start) * 80 / (int64_t)timeout_ms);
			if (!job_keepalive(x, pct)) {
				r = LO_ABORTED;
				stop = true;
			}
		}
		if (stop) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	/* Whatever LibreOffice left running in its group (soffice.bin behind oosplash) goes too. */
	kill(-pid, SIGKILL);
	if (r != LO_OK)
		return r;
	if (WIFEXITED(status)) {
		*detail = WEXITSTATUS(status);
		return *detail == 0 ? LO_OK : LO_EXIT;
	}
	*detail = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return LO_SIGNAL;
}

/* The last line LibreOffice wrote (DIR/soffice.log), made printable, into OUT. */
static void log_tail(const char *dir, char *out, size_t cap)
{
	out[0] = '\0';
	char path[4096];
	if (!pathf(path, sizeof path, "%s/soffice.log", dir))
		return;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[400];
	struct stat sb;
	off_t from = fstat(fd, &sb) == 0 && sb.st_size > (off_t)sizeof buf - 1
			     ? sb.st_size - (off_t)sizeof buf + 1
			     : 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, from);
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	char *line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	size_t len = strlen(line);
	office_utf8_clean(line, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < ' ')
			line[i] = ' ';
	snprintf(out, cap, "%s", line);
}

/* Streams DIR/out/file.pdf into SINK. */
static enum job_outcome take_pdf(const char *dir, struct derived_sink *sink, struct buf *error)
{
	char outdir[4096];
	int dfd = pathf(outdir, sizeof outdir, "%s/out", dir)
			  ? open(outdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			  : -1;
	int fd = dfd < 0 ? -1 : openat(dfd, "file.pdf", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		close(dfd);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 5) {
		if (fd >= 0)
			close(fd);
		buf_adds(error, "LibreOffice made no PDF of this file (damaged, or protected by a "
				"password?)");
		return JOB_PERMANENT;
	}
	static char chunk[LIMIT_IO_CHUNK];
	enum job_outcome o = JOB_DONE;
	bool first = true;
	for (;;) {
		ssize_t n = fsio_read(fd, chunk, sizeof chunk);
		if (n < 0) {
			buf_printf(error, "cannot read LibreOffice's PDF: %s", strerror(errno));
			o = JOB_RETRY;
			break;
		}
		if (n == 0)
			break;
		if (first && (n < 5 || memcmp(chunk, "%PDF-", 5) != 0)) {
			buf_adds(error, "LibreOffice's output is not a PDF");
			o = JOB_PERMANENT;
			break;
		}
		first = false;
		if (!derived_sink_write(sink, chunk, (size_t)n)) {
			buf_printf(error, "cannot store the PDF preview: %s", status_name(sink->st));
			o = JOB_RETRY;
			break;
		}
	}
	close(fd);
	return o;
}

/* The conversion of the open blob FD (format F) in a fresh directory under DATA/tmp: the PDF in
 * SINK. */
static enum job_outcome convert(struct job_ctx *x, int fd, enum filetype_office f,
				const char *prog, struct derived_sink *sink, struct buf *error)
{
	unsigned wall_ms = LIMIT_OFFICE_WALL_SECONDS * 1000u;
	const char *t = getenv("SIDANG_OFFICE_TIMEOUT_MS"); /* tests */
	if (t) {
		long v = strtol(t, NULL, 10);
		if (v >= 100 && v < (long)wall_ms)
			wall_ms = (unsigned)v;
	}
	char root[4096], dir[4096], input[4096], outdir[4096];
	if (!tmp_root(x, root, sizeof root, wall_ms)) {
		buf_printf(error, "cannot make a work directory under %s: %s", root, strerror(errno));
		return JOB_RETRY;
	}
	/* A fresh private directory (mkdtemp fills in the six X's, mode 0700). */
	if (!pathf(dir, sizeof dir, "%s/office-XXXXXX", root) || !mkdtemp(dir)) {
		buf_printf(error, "cannot make a work directory under %s: %s", root, strerror(errno));
		return JOB_RETRY;
	}
	enum job_outcome o = JOB_DONE;
	if (!pathf(input, sizeof input, "%s/file.%s", dir, filetype_office_ext(f)) ||
	    !pathf(outdir, sizeof outdir, "%s/out", dir) || !copy_input(fd, input) ||
	    mkdir(outdir, 0700) != 0) {
		buf_printf(error, "cannot copy the file for LibreOffice: %s", strerror(errno));
		o = JOB_RETRY;
		goto out;
	}
	int detail = 0;
	enum lo_result r = run_soffice(x, prog, dir, input, wall_ms, &detail);
	char tail[400];
	switch (r) {
	case LO_OK:
		o = take_pdf(dir, sink, error);
		break;
	case LO_TIMEOUT:
		/* The same file takes as long again. */
		buf_printf(error, "LibreOffice did not finish within %u seconds and was stopped",
			   (wall_ms + 999) / 1000);
		o = JOB_PERMANENT;
		break;
	case LO_ABORTED:
		o = JOB_ABORTED;
		break;
	case LO_ERROR:
		buf_printf(error, "cannot start LibreOffice: %s", strerror(detail));
		o = JOB_RETRY;
		break;
	case LO_EXIT:
		log_tail(dir, tail, sizeof tail);
		buf_printf(error, "LibreOffice failed (exit status %d)%s%s", detail,
			   tail[0] ? ": " : "", tail);
		o = JOB_RETRY;
		break;
	case LO_SIGNAL:
		if (detail == SIGXCPU || detail == SIGXFSZ) {
			buf_printf(error, "LibreOffice went over its %s limit",
				   detail == SIGXCPU ? "CPU time" : "file size");
			o = JOB_PERMANENT;
		} else {
			buf_printf(error, "LibreOffice crashed (signal %d, %s)", detail,
				   strsignal(detail));
			o = JOB_RETRY;
		}
		break;
	}
out:
	rm_tree(dir);
	return o;
}

/* Reads the text of the preview SHA (for .doc, .xls, .ppt) with extract_text's child into OUT;
 * false with the reason in WHY. */
static bool preview_text(struct job_ctx *x, const char *sha, struct buf *out, struct buf *why)
{
	int fd = -1;
	if (job_open_sha(x, sha, &fd, why) != JOB_DONE)
		return false;
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, fd, job_child_pdf_text, NULL, out, &detail);
	close(fd);
	if (r == SANDBOX_OK)
		return true;
	doc_sandbox_failure(r, detail, out, why);
	return false;
}

/* Records the preview SHA (SIZE bytes) and the pages in TEXT (may be NULL), and queues the
 * version's thumbnail, in one transaction. */
static enum status record_preview(struct job_ctx *x, const char *sha, uint64_t size,
				  const struct buf *text, int *pages_out)
{
	int flagged = 0;
	enum status st = db_begin(x->c);
	if (st != ST_OK)
		return st;
	st = derived_record(x->c, x->job->document_id, x->job->version, DERIVED_PREVIEW_PDF, sha,
			    size, "application/pdf");
	if (st == ST_OK && text)
		st = doc_store_pages(x->c, x->job->document_id, x->job->version, text, pages_out,
				     &flagged);
	if (st == ST_OK)
		st = jobs_enqueue(x->c, JOB_KIND_THUMBNAIL, x->job->document_id, x->job->version,
				  NULL, 0, NULL);
	if (st == ST_OK)
		st = db_commit(x->c);
	else
		db_rollback(x->c);
	return st;
}

enum job_outcome job_run_office_preview(struct job_ctx *x, struct buf *result, struct buf *error)
{
	char mime[FILETYPE_MIME_MAX] = "";
	int fd = -1;
	enum job_outcome o = job_open_blob_mime(x, &fd, NULL, NULL, mime, error);
	if (o != JOB_DONE)
		return o;
	enum filetype_office f = filetype_office(mime);
	char prog[4096];
	if (f == FILETYPE_NOT_OFFICE) {
		close(fd);
		buf_printf(error, "no PDF preview for %s", mime);
		return JOB_PERMANENT;
	}
	if (!find_soffice(prog, sizeof prog)) {
		close(fd);
		buf_adds(result, "{\"preview\": false, \"reason\": \"LibreOffice is not installed\"}");
		return JOB_DONE;
	}
	job_keepalive(x, 5);
	struct derived_sink sink;
	enum status st = derived_sink_begin(x, &sink, LIMIT_DERIVED_BYTES);
	if (st != ST_OK) {
		close(fd);
		buf_printf(error, "cannot store the PDF preview: %s", status_name(st));
		return JOB_RETRY;
	}
	o = convert(x, fd, f, prog, &sink, error);
	close(fd);
	if (o != JOB_DONE) {
		derived_sink_abort(&sink);
		return o;
	}
	char sha[65] = "";
	uint64_t size = 0;
	if ((st = derived_sink_commit(&sink, sha, &size)) != ST_OK) {
		buf_printf(error, "cannot store the PDF preview: %s", status_name(st));
		return JOB_RETRY;
	}
	job_keepalive(x, 90);
	/* The legacy formats have no text but the preview's. */
	bool legacy = filetype_office_legacy(f), have_text = false;
	struct buf text, why;
	buf_init(&text, LIMIT_WORKER_OUTPUT_BYTES);
	buf_init(&why, LIMIT_WORKER_ERROR_BYTES);
	if (legacy)
		have_text = preview_text(x, sha, &text, &why);
	int text_pages = 0;
	st = record_preview(x, sha, size, have_text ? &text : NULL, &text_pages);
	buf_release(&text);
	if (st != ST_OK) {
		buf_release(&why);
		return doc_store_failure(st, error);
	}
	json_t *res = json_pack("{s:b, s:s, s:I}", "preview", 1, "sha256", sha, "size",
				(json_int_t)size);
	if (res && legacy && have_text)
		json_object_set_new(res, "pages", json_integer(text_pages));
	else if (res && legacy)
		json_object_set_new(res, "text_error", json_string(why.ptr ? why.ptr : ""));
	char *s = res ? json_dumps(res, JSON_COMPACT) : NULL;
	buf_adds(result, s ? s : "{\"preview\": true}");
	free(s);
	json_decref(res);
	buf_release(&why);
	return JOB_DONE;
}
