/*
 * `sidang worker`: claims jobs from the queue (jobs/queue.h), runs each kind's handler (parsers
 * only inside jobs/sandbox.h), renews the lease while it runs, and records the outcome. And the
 * pool of worker processes `sidang serve` keeps running. See docs/internals/jobs.md.
 */
#ifndef SIDANG_JOBS_WORKER_H
#define SIDANG_JOBS_WORKER_H

#include <signal.h>
#include <stdbool.h>

#include "jobs/sandbox.h"
#include "store/db.h"
#include "util/status.h"

struct worker_config {
	struct db *db;
	const char *blob_dir;                 /* DATA/blobs */
	const char *owner;                    /* the lease owner: "pid@host" or --id */
	int lease_seconds;                    /* LIMIT_WORKER_LEASE_SECONDS unless a test shortens it */
	bool once;                            /* stop when no job is due */
	bool test_kinds;                      /* SIDANG_TEST_JOBS=1: "sleep", "crash", "forbidden" */
	const struct sandbox_limits *limits;  /* NULL: the defaults */
};

/* Set (from a signal handler) to make worker_run stop: a running job is given back uncounted. */
extern volatile sig_atomic_t worker_stop;

/* Claims and runs at most one job. *ran_out is false when none was due. */
enum status worker_run_one(const struct worker_config *cfg, bool *ran_out);
/* Runs jobs until worker_stop is set (or, with cfg->once, until none is due). 0 on a clean stop. */
int worker_run(const struct worker_config *cfg);

/* Worker processes of `serve`: N children running `sidang worker --data DATA_DIR`, started from
 * EXE (the running binary), restarted when one dies, stopped by worker_pool_stop. */
struct worker_pool;
enum status worker_pool_start(const char *exe, const char *data_dir, unsigned n,
			      struct worker_pool **out);
/* SIGTERM to every worker, then SIGKILL to those still running after LIMIT_WORKER_STOP_SECONDS;
 * frees the pool. NULL is fine. */
void worker_pool_stop(struct worker_pool *p);

#endif
