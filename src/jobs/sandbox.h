/*
 * Runs a parser on untrusted bytes in a forked child under resource limits and a syscall filter
 * (DESIGN.md §5), so that a parser that crashes, hangs, eats memory or is subverted fails its
 * job, never the worker or the server. See docs/internals/jobs.md for the limits and the list of
 * allowed system calls.
 *
 * The child gets the input as an open read-only descriptor (io->in_fd), writes its result to a
 * pipe (io->out_fd, at most limits.output_bytes) and may report progress (sandbox_progress). It
 * can open nothing, start nothing and talk to no network: the filter kills it on any system call
 * outside the list.
 */
#ifndef SIDANG_JOBS_SANDBOX_H
#define SIDANG_JOBS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* The exit code a parser uses when an allocation failed (the memory limit is reached). */
#define SANDBOX_EXIT_NOMEM 71

struct sandbox_limits {
	uint64_t memory_bytes; /* RLIMIT_AS (see LIMIT_WORKER_MEMORY_BYTES for ASan builds) */
	unsigned cpu_seconds;  /* RLIMIT_CPU */
	unsigned wall_ms;      /* killed after this long */
	uint64_t file_bytes;   /* RLIMIT_FSIZE */
	unsigned open_files;   /* RLIMIT_NOFILE */
	size_t output_bytes;   /* result bytes accepted */
};

/* The LIMIT_WORKER_* defaults. */
void sandbox_default_limits(struct sandbox_limits *l);

/* What the child's function gets. */
struct sandbox_io {
	int in_fd;       /* the input, read-only, at offset 0; -1 when none */
	int out_fd;      /* the result pipe */
	int progress_fd; /* one byte (0..100) per progress report */
	int data_fd;     /* the data pipe (hooks->sink), -1 when none */
	const void *arg; /* the caller's argument (copied into the child by fork) */
};

/* Optional hooks of sandbox_run_hooked. */
struct sandbox_hooks {
	/* Runs in the child after the limits and before the filter, for what a parser must open
	 * before it can start (tesseract's language files); it must not read the input. Its return
	 * value, if not 0, ends the child as a parser's would. */
	int (*prepare)(const struct sandbox_io *io);
	/* Lets the child write to stdout, which PREPARE points at a memory file of its own
	 * (tesseract's PDF renderer writes there). Otherwise stdout is as forbidden as any file. */
	bool stdout_is_private;
	/* Receives, in the parent, what the child writes to io->data_fd: a stream of any length
	 * (a derived file) that does not belong in OUT. False kills the child (SANDBOX_BAD_OUTPUT;
	 * the sink keeps its own reason). NULL: no data pipe. */
	bool (*sink)(void *ctx, const void *p, size_t n);
	void *sink_ctx;
};

/* The parser: runs in the child under the filter; its return value is the exit code (0: the
 * result written to out_fd is good; SANDBOX_EXIT_NOMEM; anything else: the output is an error
 * message). It must not return to code that assumes the parent's state: it runs in a fork. */
typedef int (*sandbox_fn)(const struct sandbox_io *io);

/* Called about once a second while the child runs, with its last progress (0..100). Returning
 * false kills the child (SANDBOX_ABORTED): the worker is stopping or lost its lease. */
typedef bool (*sandbox_tick_fn)(void *ctx, int progress);

enum sandbox_result {
	SANDBOX_OK,         /* exit 0; OUT holds the result */
	SANDBOX_FAILED,     /* the parser gave up (exit ≠ 0); OUT holds its message */
	SANDBOX_CRASHED,    /* killed by a signal (*detail_out) */
	SANDBOX_TIMEOUT,    /* ran past wall_ms */
	SANDBOX_LIMIT,      /* memory, CPU time or file size limit */
	SANDBOX_FORBIDDEN,  /* a system call outside the filter (SIGSYS) */
	SANDBOX_BAD_OUTPUT, /* more than output_bytes */
	SANDBOX_ABORTED,    /* TICK asked to stop */
	SANDBOX_ERROR,      /* the sandbox itself could not be set up (fork, pipe) */
};

/* Runs FN(ARG) in a sandboxed child with input IN_FD (-1: none) under LIMITS (NULL: defaults).
 * OUT (initialised by the caller with its cap) gets what the child wrote. *detail_out (may be
 * NULL) is the signal for SANDBOX_CRASHED, the exit code for SANDBOX_FAILED, else 0. */
enum sandbox_result sandbox_run(const struct sandbox_limits *limits, int in_fd, sandbox_fn fn,
				const void *arg, sandbox_tick_fn tick, void *tick_ctx,
				struct buf *out, int *detail_out);

/* sandbox_run with HOOKS (NULL: none). */
enum sandbox_result sandbox_run_hooked(const struct sandbox_limits *limits,
				       const struct sandbox_hooks *hooks, int in_fd, sandbox_fn fn,
				       const void *arg, sandbox_tick_fn tick, void *tick_ctx,
				       struct buf *out, int *detail_out);

/* Children run at once by sandbox_run_many. */
#define SANDBOX_MAX_TASKS 16

/* One child of sandbox_run_many: its hooks (may be NULL), input, function and argument, and OUT
 * (initialised by the caller with its cap); RESULT and DETAIL are set as sandbox_run's. */
struct sandbox_task {
	const struct sandbox_hooks *hooks;
	int in_fd;
	sandbox_fn fn;
	const void *arg;
	struct buf *out;
	enum sandbox_result result;
	int detail;
};

/* Runs the N (1 to SANDBOX_MAX_TASKS) TASKS as children at once, each under LIMITS (the wall
 * clock counts for all together), calling TICK with their mean progress. When one ends other
 * than SANDBOX_OK the others are killed (their result SANDBOX_ABORTED). Returns SANDBOX_OK when
 * every task succeeded, else the first failure that was not caused by another (its index in
 * *failed_out, which may be NULL). */
enum sandbox_result sandbox_run_many(const struct sandbox_limits *limits,
				     struct sandbox_task *tasks, size_t n, sandbox_tick_fn tick,
				     void *tick_ctx, size_t *failed_out);

/* In the child: writes N bytes of P to the data pipe; false on error. */
bool sandbox_write_data(const struct sandbox_io *io, const void *p, size_t n);

/* A readable sentence for RESULT with DETAIL, for a job's error ("the parser crashed (signal 11,
 * Segmentation fault)"). Writes at most N bytes into BUF and returns BUF. */
const char *sandbox_describe(enum sandbox_result result, int detail, char *buf, size_t n);

/* In the child: writes N bytes of P to the result pipe; false on error. */
bool sandbox_write(const struct sandbox_io *io, const void *p, size_t n);
/* In the child: reports PERCENT (0..100) done. */
void sandbox_progress(const struct sandbox_io *io, int percent);

#endif
