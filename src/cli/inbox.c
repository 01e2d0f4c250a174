/* serve's inbox poller: a thread that runs a pass over DATA/inbox every LIMIT_INTAKE_POLL_MS
 * (domain/intake.h, docs/internals/intake.md). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "domain/intake.h"
#include "util/log.h"

struct inbox_poller {
	struct instance *inst;
	struct intake_watch *watch;
	int64_t poll_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A duration from the environment variable NAME (tests shorten them), within 10 ms to 1 h. */
static int64_t env_ms(const char *name, int64_t def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || !end || *end || x < 10 || x > 3600000) {
		log_warn("%s: expected milliseconds from 10 to 3600000; using %lld", name,
			 (long long)def);
		return def;
	}
	return x;
}

static void *poll_loop(void *arg)
{
	struct inbox_poller *p = arg;
	bool was_locked = false;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		pthread_mutex_unlock(&p->mu);
		struct db_conn *c = db_acquire(p->inst->db);
		struct intake_pass pass;
		bool locked = false;
		enum status st = intake_watch_pass(p->watch, c, p->inst->audit, p->inst->blobs,
						   monotonic_ms(), &locked, &pass);
		db_release(p->inst->db, c);
		if (st != ST_OK)
			log_warn("intake: inbox pass failed: %s", status_name(st));
		if (locked && !was_locked)
			log_info("intake: watching the inbox");
		was_locked = locked;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += p->poll_ms / 1000;
		until.tv_nsec += (p->poll_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&p->mu);
		while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

enum status inbox_poller_start(struct instance *inst, uint64_t max_bytes, unsigned settle_ms,
			       unsigned poll_ms, struct inbox_poller **out)
{
	char inbox[4096];
	enum status st = intake_inbox_prepare(inst->dir, inbox);
	if (st != ST_OK) {
		cli_error("cannot create the inbox '%s/inbox': %s", inst->dir, status_name(st));
		return st;
	}
	struct inbox_poller *p = calloc(1, sizeof *p);
	if (!p)
		return ST_NOMEM;
	p->inst = inst;
	p->poll_ms = env_ms("SIDANG_INBOX_POLL_MS", poll_ms);
	if ((st = intake_watch_new(inbox, max_bytes, env_ms("SIDANG_INBOX_SETTLE_MS", settle_ms),
				   &p->watch)) != ST_OK) {
		free(p);
		return st;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&p->mu, NULL);
	/* The thread starts with every signal blocked: SIGINT and SIGTERM are for serve's main
	 * thread (server_run waits for them), never to end a take half-way. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&p->thread, NULL, poll_loop, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		intake_watch_free(p->watch);
		free(p);
		return ST_IO;
	}
	*out = p;
	return ST_OK;
}

void inbox_poller_stop(struct inbox_poller *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL); /* a take in progress finishes first */
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	intake_watch_free(p->watch);
	free(p);
}
