/* The worker loop, the sandbox glue of the job kinds, and serve's pool of worker processes. */
#include "jobs/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobs/kinds.h"
#include "jobs/queue.h"
#include "sidang_limits.h"
#include "util/log.h"

volatile sig_atomic_t worker_stop;

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL); /* a signal cuts it short, which is what a stopping worker wants */
}

/* --- running one job ---------------------------------------------------------------------- */

/* The sandbox's tick: renews the lease every third of it, and records progress when it moved
 * (at most once a second). False stops the child. */
static bool job_tick(void *ctx, int progress)
{
	struct job_ctx *x = ctx;
	if (worker_stop)
		return false;
	int64_t now = monotonic_ms();
	int64_t every = (int64_t)x->cfg->lease_seconds * 1000 / 3;
	if (every < 500)
		every = 500;
	if (progress == x->last_progress && now - x->last_beat_ms < every)
		return true;
	enum status st = jobs_heartbeat(x->c, x->job->id, x->cfg->owner, progress,
					x->cfg->lease_seconds);
	if (st == ST_CONFLICT) {
		log_warn("worker %s: lost the lease of job %lld", x->cfg->owner, (long long)x->job->id);
		x->lost = true;
		return false;
	}
	if (st != ST_OK) /* a busy database: try again at the next tick */
		return true;
	x->last_beat_ms = now;
	x->last_progress = progress;
	return true;
}

bool job_keepalive(struct job_ctx *x, int progress)
{
	return job_tick(x, progress);
}

enum sandbox_result job_sandbox(struct job_ctx *x, int in_fd, sandbox_fn fn, const void *arg,
				struct buf *out, int *detail_out)
{
	return sandbox_run(x->cfg->limits, in_fd, fn, arg, job_tick, x, out, detail_out);
}

enum sandbox_result job_sandbox_hooked(struct job_ctx *x, const struct sandbox_limits *limits,
				       const struct sandbox_hooks *hooks, int in_fd, sandbox_fn fn,
				       const void *arg, struct buf *out, int *detail_out)
{
	return sandbox_run_hooked(limits ? limits : x->cfg->limits, hooks, in_fd, fn, arg, job_tick,
				  x, out, detail_out);
}

enum sandbox_result job_sandbox_many(struct job_ctx *x, const struct sandbox_limits *limits,
				     struct sandbox_task *tasks, size_t n, size_t *failed_out)
{
	return sandbox_run_many(limits ? limits : x->cfg->limits, tasks, n, job_tick, x, failed_out);
}

enum job_outcome job_sandbox_failure(enum sandbox_result r, int detail, const struct buf *out,
				     struct buf *error)
{
	if (r == SANDBOX_ABORTED)
		return JOB_ABORTED;
	char why[160];
	sandbox_describe(r, detail, why, sizeof why);
	buf_adds(error, why);
	if (r == SANDBOX_FAILED && out->len > 0) {
		buf_adds(error, ": ");
		buf_add(error, out->ptr, out->len < 500 ? out->len : 500);
	}
	return JOB_RETRY;
}

static void record(const struct worker_config *cfg, struct db_conn *c, struct job_ctx *x,
		   enum job_outcome o, struct buf *result, struct buf *error)
{
	const struct job *j = x->job;
	enum status st = ST_OK;
	bool final = false;
	if (x->lost)
		return; /* another worker has it now */
	switch (o) {
	case JOB_DONE:
		st = jobs_complete(c, j->id, cfg->owner, result->len ? result->ptr : "{}");
		if (st == ST_OK)
			log_info("worker %s: job %lld (%s) done", cfg->owner, (long long)j->id, j->kind);
		break;
	case JOB_RETRY:
	case JOB_PERMANENT:
		st = jobs_fail(c, j->id, cfg->owner, error->ptr, o == JOB_PERMANENT, &final);
		if (st == ST_OK)
			log_warn("worker %s: job %lld (%s) attempt %d/%d failed%s: %s", cfg->owner,
				 (long long)j->id, j->kind, j->attempts, j->max_attempts,
				 final ? " for good" : ", will retry", error->ptr);
		break;
	case JOB_ABORTED:
		st = jobs_release(c, j->id, cfg->owner);
		if (st == ST_OK)
			log_info("worker %s: gave job %lld back", cfg->owner, (long long)j->id);
		break;
	}
	if (st != ST_OK)
		log_warn("worker %s: recording job %lld: %s", cfg->owner, (long long)j->id,
			 status_name(st));
}

enum status worker_run_one(const struct worker_config *cfg, bool *ran_out)
{
	*ran_out = false;
	static struct job j; /* 8 KiB; one job at a time per process */
	struct db_conn *c = db_acquire(cfg->db);
	enum status st = jobs_claim(c, cfg->owner, cfg->lease_seconds, &j);
	if (st != ST_OK) {
		db_release(cfg->db, c);
		return st == ST_NOT_FOUND ? ST_OK : st;
	}
	*ran_out = true;
	log_info("worker %s: job %lld (%s, document %lld v%lld) attempt %d/%d", cfg->owner,
		 (long long)j.id, j.kind, (long long)j.document_id, (long long)j.version, j.attempts,
		 j.max_attempts);
	struct job_ctx x = {cfg, c, &j, monotonic_ms(), 0, false};
	struct buf result, error;
	buf_init(&result, JOB_JSON_MAX);
	buf_init(&error, LIMIT_WORKER_ERROR_BYTES);
	const struct job_kind *k = job_kind_find(j.kind);
	enum job_outcome o;
	if (!k) {
		buf_printf(&error, "unknown job kind '%s'", j.kind);
		o = JOB_PERMANENT;
	} else if (k->test_only && !cfg->test_kinds) {
		buf_printf(&error, "job kind '%s' runs only in tests (SIDANG_TEST_JOBS=1)", j.kind);
		o = JOB_PERMANENT;
	} else {
		o = k->run(&x, &result, &error);
	}
	record(cfg, c, &x, o, &result, &error);
	buf_release(&result);
	buf_release(&error);
	db_release(cfg->db, c);
	return ST_OK;
}

int worker_run(const struct worker_config *cfg)
{
	log_info("worker %s: started (lease %d s)", cfg->owner, cfg->lease_seconds);
	while (!worker_stop) {
		bool ran = false;
		enum status st = worker_run_one(cfg, &ran);
		if (st != ST_OK)
			log_warn("worker %s: claiming a job: %s", cfg->owner, status_name(st));
		if (ran)
			continue;
		if (cfg->once && st == ST_OK)
			break;
		sleep_ms(LIMIT_WORKER_POLL_MS);
	}
	log_info("worker %s: stopped", cfg->owner);
	return 0;
}

/* --- serve's worker processes ------------------------------------------------------------- */

struct worker_slot {
	pid_t pid;          /* 0 when not running */
	int64_t started_ms;
	int64_t restart_ms; /* when to start it again */
};

struct worker_pool {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	unsigned n;
	char *argv[5];
	struct worker_slot slots[LIMIT_WORKER_PROCESSES];
};

/* Forks and execs one worker. Between fork and exec only async-signal-safe calls: the server
 * has many threads. */
static pid_t spawn(struct worker_pool *p)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* A worker must not outlive a server that was killed: SIGTERM makes it give its job
		 * back. PDEATHSIG fires when the forking thread ends, and this thread lives until
		 * the workers are stopped. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(127);
		sigset_t none; /* the mask survives exec: a worker must get SIGTERM */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(p->argv[0], p->argv);
		_exit(127);
	}
	return pid < 0 ? 0 : pid;
}

static void *pool_main(void *arg)
{
	struct worker_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		int64_t now = monotonic_ms();
		for (unsigned i = 0; i < p->n; i++) {
			struct worker_slot *s = &p->slots[i];
			int status;
			if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
				if (WIFSIGNALED(status))
					log_warn("serve: worker %d killed by signal %d; restarting", (int)s->pid,
						 WTERMSIG(status));
				else
					log_warn("serve: worker %d exited with status %d; restarting",
						 (int)s->pid, WEXITSTATUS(status));
				/* One that dies at once (bad data directory) is not restarted in a loop. */
				s->restart_ms = now + (now - s->started_ms < 5000 ? 5000 : 0);
				s->pid = 0;
			}
			if (s->pid == 0 && now >= s->restart_ms) {
				s->pid = spawn(p);
				s->started_ms = now;
				if (s->pid == 0) {
					log_warn("serve: cannot start a worker: %s", strerror(errno));
					s->restart_ms = now + 5000;
				}
			}
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->wake, &p->lock, &until);
	}
	pthread_mutex_unlock(&p->lock);
	/* Stop: SIGTERM (each gives its job back), then wait, then SIGKILL what is left. */
	for (unsigned i = 0; i < p->n; i++)
		if (p->slots[i].pid > 0)
			kill(p->slots[i].pid, SIGTERM);
	int64_t deadline = monotonic_ms() + LIMIT_WORKER_STOP_SECONDS * 1000;
	for (;;) {
		unsigned left = 0;
		for (unsigned i = 0; i < p->n; i++) {
			struct worker_slot *s = &p->slots[i];
			if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid)
				s->pid = 0;
			left += s->pid > 0;
		}
		if (!left)
			break;
		if (monotonic_ms() > deadline) {
			for (unsigned i = 0; i < p->n; i++) {
				if (p->slots[i].pid > 0) {
					log_warn("serve: worker %d did not stop; killing it",
						 (int)p->slots[i].pid);
					kill(p->slots[i].pid, SIGKILL);
					waitpid(p->slots[i].pid, NULL, 0);
					p->slots[i].pid = 0;
				}
			}
			break;
		}
		sleep_ms(20);
	}
	return NULL;
}

enum status worker_pool_start(const char *exe, const char *data_dir, unsigned n,
			      struct worker_pool **out)
{
	*out = NULL;
	if (n == 0)
		return ST_OK;
	if (n > LIMIT_WORKER_PROCESSES)
		return ST_INVALID;
	struct worker_pool *p = calloc(1, sizeof *p);
	if (!p)
		return ST_NOMEM;
	p->n = n;
	p->argv[0] = strdup(exe);
	p->argv[1] = strdup("worker");
	p->argv[2] = strdup("--data");
	p->argv[3] = strdup(data_dir);
	p->argv[4] = NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	/* The supervisor blocks every signal: SIGINT and SIGTERM are for the server's sigwait, and
	 * a thread with them unblocked would take them (and die of them) instead. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool started = p->argv[0] && p->argv[1] && p->argv[2] && p->argv[3] &&
		       pthread_create(&p->thread, NULL, pool_main, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		for (int i = 0; i < 4; i++)
			free(p->argv[i]);
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return ST_NOMEM;
	}
	log_info("serve: starting %u worker(s)", n);
	*out = p;
	return ST_OK;
}

void worker_pool_stop(struct worker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (int i = 0; i < 4; i++)
		free(p->argv[i]);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
