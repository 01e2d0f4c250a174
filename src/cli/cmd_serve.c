/* sidang serve: flags, the config file, start-up sweeps, then the server. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "cli/cli.h"
#include "domain/compliance.h"
#include "domain/sop.h"
#include "http/server.h"
#include "jobs/worker.h"
#include "sidang_limits.h"
#include "util/fsio.h"
#include "util/clock.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fputs("usage: sidang serve [OPTIONS]\n"
	      "\n"
	      "Serves the web UI and the JSON API until SIGINT or SIGTERM.\n"
	      "\n"
	      "  --data DIR                   data directory (default ./var)\n"
	      "  --addr ADDR                  IP address to listen on (default 127.0.0.1)\n"
	      "  --port PORT                  port (default 8080; 0 picks a free one)\n"
	      "  --config FILE                read these settings from FILE (key = value lines)\n"
	      "  --max-upload BYTES           largest file accepted (default 104857600)\n"
	      "  --max-connections N          concurrent connections (default 512)\n"
	      "  --max-connections-per-ip N   concurrent connections from one address (default 128)\n"
	      "  --timeout SECONDS            idle connection timeout (default 60)\n"
	      "  --secure-cookies             mark cookies Secure (when served behind TLS)\n"
	      "  --workers N                  worker processes for document jobs (default: one per\n"
	      "                               core; 0: none, run `sidang worker` elsewhere)\n"
	      "  --inbox-settle SECONDS       a scanner's file in DATA/inbox is taken once it has not\n"
	      "                               changed for this long (default 10)\n"
	      "  --inbox-poll SECONDS         how often DATA/inbox is looked into (default 3)\n",
	      f);
}

struct settings {
	char data[4096];
	char addr[64];
	unsigned long long port, max_upload, max_conn, max_conn_ip, timeout;
	bool secure_cookies;
	unsigned long long workers; /* ULLONG_MAX: one per core */
	unsigned long long inbox_settle, inbox_poll; /* seconds */
};

static bool parse_num(const char *what, const char *v, unsigned long long min,
		      unsigned long long max, unsigned long long *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || !end || *end || v[0] == '-' || v[0] == '\0' || x < min || x > max) {
		cli_error("%s: expected a number from %llu to %llu, got '%s'", what, min, max, v);
		return false;
	}
	*out = x;
	return true;
}

static bool set_copy(const char *what, char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n || !v[0]) {
		cli_error("%s: '%s' is empty or too long", what, v);
		return false;
	}
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

/* Applies one setting by name; the same names serve flags and the config file. */
static bool apply(struct settings *s, const char *key, const char *v)
{
	if (strcmp(key, "data") == 0)
		return set_copy("data", s->data, sizeof s->data, v);
	if (strcmp(key, "addr") == 0)
		return set_copy("addr", s->addr, sizeof s->addr, v);
	if (strcmp(key, "port") == 0)
		return parse_num("port", v, 0, 65535, &s->port);
	if (strcmp(key, "max_upload") == 0)
		return parse_num("max_upload", v, 1, LIMIT_UPLOAD_BYTES_MAX, &s->max_upload);
	if (strcmp(key, "max_connections") == 0)
		return parse_num("max_connections", v, 1, 100000, &s->max_conn);
	if (strcmp(key, "max_connections_per_ip") == 0)
		return parse_num("max_connections_per_ip", v, 1, 100000, &s->max_conn_ip);
	if (strcmp(key, "timeout") == 0)
		return parse_num("timeout", v, 1, 3600, &s->timeout);
	if (strcmp(key, "secure_cookies") == 0) {
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
			s->secure_cookies = strcmp(v, "true") == 0;
			return true;
		}
		cli_error("secure_cookies: expected true or false, got '%s'", v);
		return false;
	}
	if (strcmp(key, "workers") == 0)
		return parse_num("workers", v, 0, LIMIT_WORKER_PROCESSES, &s->workers);
	if (strcmp(key, "inbox_settle") == 0)
		return parse_num("inbox_settle", v, 1, LIMIT_INTAKE_SETTLE_MAX_SECONDS,
				 &s->inbox_settle);
	if (strcmp(key, "inbox_poll") == 0)
		return parse_num("inbox_poll", v, 1, LIMIT_INTAKE_POLL_MAX_SECONDS, &s->inbox_poll);
	cli_error("unknown setting '%s'", key);
	return false;
}

static bool load_config(struct settings *s, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	enum status st = fsio_read_file(path, LIMIT_CONFIG_BYTES, &text, &len);
	if (st != ST_OK) {
		cli_error("config file '%s': %s", path,
			  st == ST_TOO_LARGE ? "larger than 64 KiB" : status_name(st));
		return false;
	}
	bool ok = true;
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *eq = strchr(line, '=');
		char *k = line;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!*k)
			continue;
		if (!eq) {
			cli_error("%s:%d: expected 'key = value'", path, lineno);
			ok = false;
			break;
		}
		*eq = '\0';
		char *v = eq + 1;
		for (char *e = eq - 1; e >= k && (*e == ' ' || *e == '\t' || *e == '\r'); e--)
			*e = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (char *e = v + strlen(v) - 1; e >= v && (*e == ' ' || *e == '\t' || *e == '\r'); e--)
			*e = '\0';
		if (!apply(s, k, v)) {
			cli_error("%s:%d: in this line", path, lineno);
			ok = false;
		}
	}
	free(text);
	return ok;
}

/* Runs every SERVE_TICK_SECONDS: flags tasks past their Waktu (and notifies), and now and then
 * signs a checkpoint at the end of the audit trail, so the unsigned tail (entries after the last
 * checkpoint, which a database writer without the key could rewrite) stays short. */
#define SERVE_TICK_SECONDS 30

static void serve_tick(void *ctx)
{
	static unsigned ticks;
	struct instance *inst = ctx;
	struct db_conn *c = db_acquire(inst->db);
	int flagged = 0;
	enum status st = compliance_sweep_overdue(c, clock_now(), &flagged);
	if (st != ST_OK)
		log_warn("compliance: overdue sweep failed: %s", status_name(st));
	else if (flagged)
		log_info("compliance: %d task(s) passed their time standard", flagged);
	if (++ticks % (LIMIT_AUDIT_CHECKPOINT_SECONDS / SERVE_TICK_SECONDS) == 0 &&
	    (st = audit_checkpoint(inst->audit, c)) != ST_OK)
		log_warn("audit: periodic checkpoint failed: %s", status_name(st));
	db_release(inst->db, c);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"addr", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"max-upload", required_argument, NULL, 'u'},
		{"max-connections", required_argument, NULL, 'n'},
		{"max-connections-per-ip", required_argument, NULL, 'i'},
		{"timeout", required_argument, NULL, 't'},
		{"secure-cookies", no_argument, NULL, 's'},
		{"workers", required_argument, NULL, 'w'},
		{"inbox-settle", required_argument, NULL, 'S'},
		{"inbox-poll", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct settings s = {DEFAULT_DATA_DIR, "127.0.0.1", 8080, LIMIT_UPLOAD_BYTES_DEFAULT,
			     LIMIT_CONNECTIONS_DEFAULT, LIMIT_CONNECTIONS_PER_IP_DEFAULT,
			     LIMIT_CONNECTION_TIMEOUT_DEFAULT, false, ULLONG_MAX,
			     LIMIT_INTAKE_SETTLE_MS / 1000, LIMIT_INTAKE_POLL_MS / 1000};
	/* The config file first, so flags override it wherever they are on the line. */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		if (path && !load_config(&s, path))
			return 1;
	}
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool ok = true;
		switch (o) {
		case 'd': ok = apply(&s, "data", optarg); break;
		case 'a': ok = apply(&s, "addr", optarg); break;
		case 'p': ok = apply(&s, "port", optarg); break;
		case 'c': break;
		case 'u': ok = apply(&s, "max_upload", optarg); break;
		case 'n': ok = apply(&s, "max_connections", optarg); break;
		case 'i': ok = apply(&s, "max_connections_per_ip", optarg); break;
		case 't': ok = apply(&s, "timeout", optarg); break;
		case 's': s.secure_cookies = true; break;
		case 'w': ok = apply(&s, "workers", optarg); break;
		case 'S': ok = apply(&s, "inbox_settle", optarg); break;
		case 'P': ok = apply(&s, "inbox_poll", optarg); break;
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
	struct instance inst;
	if (instance_open(s.data, true, LIMIT_DB_POOL, &inst) != ST_OK)
		return 1;
	if (inst.swept_tmp)
		log_info("blobs: removed %d leftover(s) of interrupted uploads", inst.swept_tmp);
	int orphans = 0;
	if (instance_sweep_orphans(&inst, &orphans) != ST_OK) {
		instance_close(&inst);
		return 1;
	}
	/* The SOPs built into this binary: a changed definition becomes a new version; running
	 * cases keep theirs. */
	{
		struct db_conn *c = db_acquire(inst.db);
		int imported = 0;
		enum status st = sop_import_builtin(c, inst.audit, &imported);
		db_release(inst.db, c);
		if (st != ST_OK) {
			cli_error("cannot install the built-in SOP definitions: %s", status_name(st));
			instance_close(&inst);
			return 1;
		}
		if (imported)
			log_info("sop: installed %d new definition version(s)", imported);
	}
	struct app app = {inst.db, inst.blobs, inst.audit, s.max_upload, s.secure_cookies};
	struct server_config cfg = {s.addr, (uint16_t)s.port, (unsigned)s.max_conn,
				    (unsigned)s.max_conn_ip, (unsigned)s.timeout};
	/* Documents are parsed only in worker processes (DESIGN.md §5), never in the server. */
	if (s.workers == ULLONG_MAX) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		s.workers = cores < 1 ? 1 : cores > LIMIT_WORKER_PROCESSES ? LIMIT_WORKER_PROCESSES
									  : (unsigned long long)cores;
	}
	struct worker_pool *workers = NULL;
	if (worker_pool_start("/proc/self/exe", s.data, (unsigned)s.workers, &workers) != ST_OK) {
		cli_error("cannot start the worker processes");
		instance_close(&inst);
		return 1;
	}
	/* -- intake: the scanners' inbox, polled by one serve process of those sharing DATA -- */
	struct inbox_poller *poller = NULL;
	if (inbox_poller_start(&inst, s.max_upload, (unsigned)s.inbox_settle * 1000,
			       (unsigned)s.inbox_poll * 1000, &poller) != ST_OK) {
		worker_pool_stop(workers);
		instance_close(&inst);
		return 1;
	}
	/* -- end intake -- */
	int rc = server_run(&app, &cfg, serve_tick, &inst, SERVE_TICK_SECONDS);
	inbox_poller_stop(poller);
	worker_pool_stop(workers);
	if (rc == 0) {
		/* Seal the trail at shutdown so its end is covered by a signature. */
		struct db_conn *c = db_acquire(inst.db);
		audit_checkpoint(inst.audit, c);
		db_release(inst.db, c);
	}
	instance_close(&inst);
	return rc;
}
