/* sidang worker: runs jobs from the queue (see src/jobs/worker.h, docs/cli.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "jobs/queue.h"
#include "jobs/worker.h"
#include "sidang_limits.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fputs("usage: sidang worker [OPTIONS]\n"
	      "\n"
	      "Runs jobs from the queue (document checks and, later, text extraction) until SIGINT or\n"
	      "SIGTERM. `sidang serve` starts these itself (--workers).\n"
	      "\n"
	      "  --data DIR            data directory (default ./var)\n"
	      "  --once                stop when no job is due\n"
	      "  --id NAME             the name this worker holds leases under (default PID@HOST)\n"
	      "  --lease-seconds N     lease of a claimed job (default 60); a worker that dies is\n"
	      "                        replaced after this long\n"
	      "\n"
	      "Tests only (SIDANG_TEST_JOBS=1):\n"
	      "  --enqueue-test KIND --document ID [--seconds N] [--max-attempts N]\n"
	      "                        queue a sleep, crash or forbidden job and print its id\n",
	      f);
}

static void on_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static bool parse_int(const char *what, const char *v, long min, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || !end || *end || !v[0] || x < min || x > max) {
		cli_error("%s: expected a number from %ld to %ld, got '%s'", what, min, max, v);
		return false;
	}
	*out = x;
	return true;
}

static int enqueue_test(struct db *db, const char *kind, long document, long seconds,
			long max_attempts)
{
	if (strcmp(kind, "sleep") != 0 && strcmp(kind, "crash") != 0 &&
	    strcmp(kind, "forbidden") != 0) {
		cli_error("--enqueue-test: expected sleep, crash or forbidden, got '%s'", kind);
		return 2;
	}
	char params[64];
	snprintf(params, sizeof params, "{\"seconds\": %ld}", seconds);
	struct db_conn *c = db_acquire(db);
	int64_t id = 0;
	/* No version: test jobs are never merged, so a test can queue several for one document. */
	enum status st = jobs_enqueue(c, kind, document, 0, params, (int)max_attempts, &id);
	db_release(db, c);
	if (st != ST_OK) {
		cli_error("cannot queue the job: %s%s", status_name(st),
			  st == ST_CONFLICT ? " (no such document)" : "");
		return 1;
	}
	printf("%lld\n", (long long)id);
	return 0;
}

int cmd_worker(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"once", no_argument, NULL, 'o'},
		{"id", required_argument, NULL, 'i'},
		{"lease-seconds", required_argument, NULL, 'l'},
		{"enqueue-test", required_argument, NULL, 'e'},
		{"document", required_argument, NULL, 'D'},
		{"seconds", required_argument, NULL, 's'},
		{"max-attempts", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *data = DEFAULT_DATA_DIR, *id = NULL, *enqueue = NULL;
	long lease = LIMIT_WORKER_LEASE_SECONDS, document = 0, seconds = 1, max_attempts = 0;
	bool once = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool ok = true;
		switch (o) {
		case 'd': data = optarg; break;
		case 'o': once = true; break;
		case 'i': id = optarg; break;
		case 'l': ok = parse_int("--lease-seconds", optarg, 1, 86400, &lease); break;
		case 'e': enqueue = optarg; break;
		case 'D': ok = parse_int("--document", optarg, 1, LONG_MAX, &document); break;
		case 's': ok = parse_int("--seconds", optarg, 0, 3600, &seconds); break;
		case 'm': ok = parse_int("--max-attempts", optarg, 1, 100, &max_attempts); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok)
			return 2;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	bool test_kinds = getenv("SIDANG_TEST_JOBS") && strcmp(getenv("SIDANG_TEST_JOBS"), "1") == 0;
	if (enqueue && (!test_kinds || document == 0)) {
		cli_error("--enqueue-test needs SIDANG_TEST_JOBS=1 and --document ID");
		return 2;
	}
	char owner[JOB_OWNER_MAX + 1], host[64] = "localhost";
	if (id) {
		if (!id[0] || strlen(id) > JOB_OWNER_MAX) {
			cli_error("--id: expected 1 to %d characters", JOB_OWNER_MAX);
			return 2;
		}
		snprintf(owner, sizeof owner, "%s", id);
	} else {
		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = '\0';
		snprintf(owner, sizeof owner, "%ld@%s", (long)getpid(), host);
	}
	/* Only the database: a worker needs no audit key and must not sweep the blob store (the
	 * server does that before it starts workers). */
	char dbpath[4096], blobdir[4096];
	if (!instance_path(data, "sidang.db", dbpath) || !instance_path(data, "blobs", blobdir)) {
		cli_error("data directory '%s': path too long", data);
		return 2;
	}
	if (access(dbpath, F_OK) != 0) {
		cli_error("'%s' holds no Sidang database (run: sidang init %s)", data, data);
		return 1;
	}
	struct db *db = NULL;
	enum status st = db_open(dbpath, false, 1, &db);
	if (st != ST_OK) {
		cli_error("cannot open the database '%s': %s", dbpath, status_name(st));
		return 1;
	}
	if (db_schema_version(db) != sql_migration_count) {
		cli_error("the database schema is at version %d, this sidang expects %d (run sidang serve "
			  "once to migrate)", db_schema_version(db), sql_migration_count);
		db_close(db);
		return 1;
	}
	if (enqueue) {
		int rc = enqueue_test(db, enqueue, document, seconds, max_attempts);
		db_close(db);
		return rc;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a sleeping worker wakes up to stop */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct worker_config cfg = {db, blobdir, owner, (int)lease, once, test_kinds, NULL};
	int rc = worker_run(&cfg);
	db_close(db);
	return rc;
}
