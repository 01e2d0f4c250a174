/*
 * Every limit Sidang enforces, in one place, with the reason beside it (STYLE.md §9).
 * Input beyond a limit is refused with an error the caller sees; nothing is truncated.
 * Values marked "default" can be changed by `sidang serve` flags or the config file.
 */
#ifndef SIDANG_SIDANG_LIMITS_H
#define SIDANG_SIDANG_LIMITS_H

/* --- HTTP --------------------------------------------------------------------------------- */

/* Request line plus all headers. 16 KiB holds any real browser's cookies and headers. */
#define LIMIT_HTTP_HEADER_BYTES (16 * 1024)
/* A JSON request body. Meeting and login bodies are a few hundred bytes. */
#define LIMIT_JSON_BODY_BYTES (64 * 1024)
/* Nesting depth of a JSON request body; our requests are flat objects. */
#define LIMIT_JSON_DEPTH 8
/* default: an uploaded file. Scans of long meeting dossiers reach tens of MB. */
#define LIMIT_UPLOAD_BYTES_DEFAULT (100ULL * 1024 * 1024)
/* Hard ceiling for the configurable upload cap. */
#define LIMIT_UPLOAD_BYTES_MAX (4ULL * 1024 * 1024 * 1024)
/* default: concurrent connections in all, and from one address. A browser keeps up to six idle
 * keep-alive connections per profile for the idle timeout, and a ministry office often reaches the
 * server from one NAT address: 128 per address holds about twenty busy officials behind one. */
#define LIMIT_CONNECTIONS_DEFAULT 512
#define LIMIT_CONNECTIONS_PER_IP_DEFAULT 128
/* default: seconds a connection may stay idle. */
#define LIMIT_CONNECTION_TIMEOUT_DEFAULT 60
/* libmicrohttpd's memory pool per connection; must exceed LIMIT_HTTP_HEADER_BYTES. */
#define LIMIT_CONNECTION_MEMORY (64 * 1024)
/* Path segments and length of a request path we route. */
#define LIMIT_PATH_BYTES 1024
#define LIMIT_ROUTE_PARAMS 4
/* A query parameter's name and its value, each after percent-decoding. Our parameters are
 * numbers, flags, dates and short search words. */
#define LIMIT_QUERY_VALUE_BYTES 256
/* Parameters in one query string; no endpoint takes more than a handful. */
#define LIMIT_QUERY_PARAMS 32
/* Body bytes a request to an endpoint without uploads may still send after it was refused (on
 * top of LIMIT_JSON_BODY_BYTES) before the connection is closed without an answer. */
#define LIMIT_DRAIN_SLACK_BYTES (64 * 1024)

/* --- multipart ---------------------------------------------------------------------------- */

/* A multipart boundary is at most 70 characters (RFC 2046 §5.1.1). */
#define LIMIT_MULTIPART_BOUNDARY 70
/* Headers of one part (Content-Disposition, Content-Type). */
#define LIMIT_MULTIPART_PART_HEADER_BYTES 4096
/* A non-file form field's value (titles, facts). */
#define LIMIT_MULTIPART_FIELD_BYTES 4096
/* Parts in one upload: one file plus a dozen fields. */
#define LIMIT_MULTIPART_PARTS 32

/* --- domain text fields ------------------------------------------------------------------- */

#define LIMIT_USERNAME_BYTES 64      /* login names: letters, digits, . _ - */
#define LIMIT_PASSWORD_MIN 10        /* NIST 800-63B asks for at least 8; we ask a little more */
#define LIMIT_PASSWORD_BYTES 1024    /* Argon2id hashes anything, but not megabytes per login */
#define LIMIT_DISPLAY_NAME_BYTES 200
#define LIMIT_TITLE_BYTES 500        /* meeting and document titles */
#define LIMIT_SHORT_TEXT_BYTES 200   /* number, place, chair, device, type */
#define LIMIT_FILENAME_BYTES 255     /* a file name as most file systems allow it */
#define LIMIT_NIP_BYTES 18           /* NIP: the 18-digit civil servant number */
#define LIMIT_SCAN_PAGES 100000      /* pages of one scanned document */
#define LIMIT_LIST_PAGE 200          /* rows in one list response */

/* --- sessions and login throttling -------------------------------------------------------- */

/* default: an idle session ends after 8 hours (a working day), and lives at most 7 days. */
#define LIMIT_SESSION_IDLE_SECONDS (8 * 3600)
#define LIMIT_SESSION_MAX_SECONDS (7 * 24 * 3600)
/* Failed logins allowed in the window before 429: per account, and per client address. */
#define LIMIT_LOGIN_FAILS_PER_ACCOUNT 5
#define LIMIT_LOGIN_FAILS_PER_ADDRESS 20
#define LIMIT_LOGIN_WINDOW_SECONDS (15 * 60)

/* --- storage ------------------------------------------------------------------------------ */

/* SQLite waits this long for a writer lock before reporting busy. */
#define LIMIT_DB_BUSY_MS 5000
/* Connections in the pool: one per concurrent request that touches the database. */
#define LIMIT_DB_POOL 16
/* Blob writes go in chunks of this size. */
#define LIMIT_IO_CHUNK (64 * 1024)
/* An audit checkpoint is signed every this many entries. */
#define LIMIT_AUDIT_CHECKPOINT_EVERY 64
/* ... and at least every this many seconds while serving, so the unsigned tail stays short. */
#define LIMIT_AUDIT_CHECKPOINT_SECONDS 300
/* Config file size. */
#define LIMIT_CONFIG_BYTES (64 * 1024)

/* --- jobs and workers (src/jobs/) ---------------------------------------------------------- */

/* Address space of a parser child (RLIMIT_AS): MuPDF and tesseract need a few hundred MiB on a
 * large scanned page; 1 GiB leaves room for that and stops a decompression bomb long before the
 * machine swaps. Under AddressSanitizer the limit is added to what the child has mapped already
 * (ASan reserves terabytes of shadow address space); see docs/internals/jobs.md. */
#define LIMIT_WORKER_MEMORY_BYTES (1024ULL * 1024 * 1024)
/* CPU seconds of a parser child (RLIMIT_CPU; SIGXCPU, then SIGKILL one second later): OCR of a
 * dense A4 page takes a few seconds here; two minutes only stops a parser that spins. */
#define LIMIT_WORKER_CPU_SECONDS 120
/* Wall-clock seconds a parser child may take before it is killed: the CPU limit plus time for
 * reading a large blob from a slow disk; a child blocked forever (no CPU used) is caught here. */
#define LIMIT_WORKER_WALL_SECONDS 300
/* RLIMIT_FSIZE of a parser child: it opens no files, but inherits stderr, which may be a log file;
 * this bounds what a runaway parser can write there. */
#define LIMIT_WORKER_FILE_BYTES (16 * 1024 * 1024)
/* RLIMIT_NOFILE of a parser child: it holds stdin, stdout, stderr, its input, its result pipe and
 * its progress pipe, and may open nothing new (the syscall filter denies it anyway). */
#define LIMIT_WORKER_OPEN_FILES 8
/* Bytes a parser child may send back as its result: extracted text of a long PDF is a few MiB. */
#define LIMIT_WORKER_OUTPUT_BYTES (16 * 1024 * 1024)
/* Largest input a worker hands to a parser (the upload limit's maximum, 1 GiB). */
#define LIMIT_WORKER_INPUT_BYTES (1024ULL * 1024 * 1024)
/* A claimed job's lease: a worker that has not renewed it for this long is taken for dead and its
 * job is given to another worker. Heartbeats renew it every third of this. */
#define LIMIT_WORKER_LEASE_SECONDS 60
/* Attempts of a job before it is marked failed (a start counts, so a job whose worker keeps dying
 * also ends). */
#define LIMIT_WORKER_MAX_ATTEMPTS 3
/* Error text kept per job: enough for a parser's message, not for a dump. */
#define LIMIT_WORKER_ERROR_BYTES 1000
/* How often an idle worker looks for due jobs, in milliseconds. */
#define LIMIT_WORKER_POLL_MS 1000
/* Workers `serve --workers N` may start: more than the cores only adds contention. */
#define LIMIT_WORKER_PROCESSES 64
/* Seconds `serve` waits for its workers to stop after SIGTERM before it kills them. */
#define LIMIT_WORKER_STOP_SECONDS 10

/* --- PDF text (src/jobs/kind_text.c) ------------------------------------------------------ */

/* Pages of a PDF whose text extract_text reads: a long report has a few hundred; more is a
 * generated file that would only fill the index. */
#define LIMIT_PDF_PAGES 5000
/* Width and height of a PDF page, in points: the PDF specification's own maximum (14400 units,
 * 200 inches); a page claiming more (100000×100000) is refused before anything is rendered. */
#define LIMIT_PDF_PAGE_POINTS 14400
/* Memory MuPDF may allocate while reading one PDF (counted by extract_text's allocator, below
 * LIMIT_WORKER_MEMORY_BYTES so that the job fails with a reason instead of a killed child): a
 * complex page needs tens of MiB; more is a decompression bomb. */
#define LIMIT_PDF_MEMORY_BYTES (512ULL * 1024 * 1024)
/* Characters other than white space below which a PDF page counts as a scan that needs OCR (a
 * scanned page often carries a stamp or a page number as text). */
#define LIMIT_TEXT_MIN_CHARS 16

/* OCR (jobs/kind_ocr.c). Scanned PDF pages are rendered at this resolution; images are read at
 * their own when they state one within LIMIT_OCR_DPI_MIN..MAX, else taken as this. */
#define LIMIT_OCR_DPI 300
#define LIMIT_OCR_DPI_MIN 100
#define LIMIT_OCR_DPI_MAX 1200
/* Pixels of one page given to tesseract: A3 at 600 dpi is 70 million; more is not a scan. */
#define LIMIT_OCR_PAGE_PIXELS (120ULL * 1000 * 1000)
/* Scanned pages OCR'd per document: about 25 minutes of one core at 1.3 s a page. A longer
 * bundle is refused with this reason (split it); its other pages keep their text. */
#define LIMIT_OCR_PAGES 1000
/* The OCR child's CPU time and wall clock (a whole document in one child: the language models
 * are loaded once). */
#define LIMIT_OCR_CPU_SECONDS 3600
#define LIMIT_OCR_WALL_SECONDS 5400
/* Memory of the OCR child: the input, MuPDF (LIMIT_PDF_MEMORY_BYTES) and tesseract's models
 * and page images. */
#define LIMIT_OCR_MEMORY_BYTES (2048ULL * 1024 * 1024)
/* A long scan is read by several children at once (one per free core), each with at least this
 * many scanned pages (every child loads the language models once, about half a second). */
#define LIMIT_OCR_PART_MIN_PAGES 3
/* The text-only PDF of one part (invisible words: a few KiB a page). */
#define LIMIT_OCR_TEXT_PDF_BYTES (64ULL * 1024 * 1024)
/* A derived file (searchable PDF, preview) streamed from a child into the blob store. */
#define LIMIT_DERIVED_BYTES (4ULL * 1024 * 1024 * 1024)

/* Thumbnails (jobs/kind_thumb.c): the first page drawn this many pixels wide for lists (at 240 px
 * no text is legible, so showing one is not a read of the document), at most this tall (a
 * receipt-shaped page is drawn narrower instead). */
#define LIMIT_THUMB_WIDTH 240
#define LIMIT_THUMB_MAX_HEIGHT 400
/* Pixels of an image a thumbnail is drawn from (decoded whole by MuPDF): as for OCR, A3 at 600
 * dpi is 70 million; more is not a scan or a photo. */
#define LIMIT_THUMB_SOURCE_PIXELS (120ULL * 1000 * 1000)
/* A thumbnail PNG: 240×400 RGB is 288 KiB unpacked; PNG is never that much larger. */
#define LIMIT_THUMB_BYTES (1024 * 1024)

/* Office files (jobs/kind_office.c). Entries of a DOCX/XLSX/PPTX/ODF ZIP: a real document has
 * tens to a few thousand (one per image); more is a crafted file. */
#define LIMIT_OFFICE_ENTRIES 20000
/* Bytes one XML part of an office file may inflate to: a 1000-page report's document.xml is
 * about 30 MiB; more is a zip bomb. */
#define LIMIT_OFFICE_ENTRY_BYTES (128ULL * 1024 * 1024)
/* Bytes all the parts read from one office file may inflate to together (a workbook with many
 * large sheets). */
#define LIMIT_OFFICE_INFLATED_BYTES (512ULL * 1024 * 1024)
/* Sheets or slides read (one page each): past this the rest are counted, not read. */
#define LIMIT_OFFICE_PARTS 2000
/* The LibreOffice conversion to a PDF preview (office_preview, not in our seccomp sandbox: see
 * docs/internals/jobs.md): its wall clock (SIDANG_OFFICE_TIMEOUT_MS in tests), the CPU seconds
 * and address space of each of its processes (LibreOffice maps 1-2 GiB on a large workbook) and
 * the largest file it may write. */
#define LIMIT_OFFICE_WALL_SECONDS 300
#define LIMIT_OFFICE_CPU_SECONDS 240
#define LIMIT_OFFICE_MEMORY_BYTES (4096ULL * 1024 * 1024)
#define LIMIT_OFFICE_FILE_BYTES (1024ULL * 1024 * 1024)
/* Open files of a LibreOffice process: it opens its own libraries, fonts and profile. */
#define LIMIT_OFFICE_OPEN_FILES 1024

/* --- scanner inbox and import (domain/intake.c, docs/internals/intake.md) -------------------- */

/* A file in the inbox is taken once its size and modification time have stayed the same this
 * long: a network scanner writing over SMB/NFS may pause between pages (a page is scanned in a
 * few seconds), and nothing tells us when it is done. The default of `serve --inbox-settle`
 * (1 to LIMIT_INTAKE_SETTLE_MAX_SECONDS); SIDANG_INBOX_SETTLE_MS overrides it (tests shorten it).
 * The largest file taken is the upload limit (serve --max-upload; import --max-upload). */
#define LIMIT_INTAKE_SETTLE_MS 10000
#define LIMIT_INTAKE_SETTLE_MAX_SECONDS 3600
/* How often serve looks into the inbox: the default of `serve --inbox-poll` (1 to
 * LIMIT_INTAKE_POLL_MAX_SECONDS; SIDANG_INBOX_POLL_MS in tests). Polled, not inotify: changes
 * made over SMB or NFS by another machine raise no inotify events. */
#define LIMIT_INTAKE_POLL_MS 3000
#define LIMIT_INTAKE_POLL_MAX_SECONDS 600
/* Files taken in one pass of the inbox; the rest wait for the next pass, so one pass over a big
 * drop does not hold the poller (and its database connection) for long. */
#define LIMIT_INTAKE_FILES_PER_PASS 50
/* Files whose settling the poller watches at once: a scanner drops tens, not thousands. */
#define LIMIT_INTAKE_TRACKED 10000
/* Directory levels below the inbox or an imported directory that are walked: scanners make one
 * folder per device or per day; deeper is a mistake or a loop through bind mounts. */
#define LIMIT_INTAKE_DEPTH 8
/* Files one `sidang import` takes: a backlog of a few years is tens of thousands of scans. */
#define LIMIT_IMPORT_FILES 200000
/* The reason an officer gives for discarding an inbox item. */
#define LIMIT_INTAKE_REASON_BYTES 500

#endif
