/* The subcommands of the sidang binary, and the data directory they share. */
#ifndef SIDANG_CLI_CLI_H
#define SIDANG_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/audit.h"
#include "store/blob.h"
#include "store/db.h"

#define DEFAULT_DATA_DIR "./var"

/* An open data directory. */
struct instance {
	char dir[4096];
	struct db *db;
	struct blob_store *blobs;
	struct audit *audit;
	int swept_tmp; /* leftovers of interrupted uploads removed on open */
};

/* Paths inside a data directory (OUT must hold 4096 bytes); false when too long. */
bool instance_path(const char *dir, const char *name, char *out);
/* Opens the data directory DIR (which must hold a database), applying migrations when MIGRATE. */
enum status instance_open(const char *dir, bool migrate, unsigned pool, struct instance *out);
void instance_close(struct instance *inst);
/* Removes blobs that no database row references (left by a crash between a blob's rename and its
 * database commit). *removed_out counts them. Run before serving, never while uploads run. */
enum status instance_sweep_orphans(struct instance *inst, int *removed_out);

/* Prints "sidang: MESSAGE" to stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_sop(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_worker(int argc, char **argv);
/* -- intake: sidang import, serve's inbox poller (cli/cmd_import.c, cli/inbox.c) -- */
int cmd_import(int argc, char **argv);
struct inbox_poller;
/* Creates DATA/inbox if needed and starts a thread polling it (only while this process holds the
 * inbox's lock; see domain/intake.h), taking files up to MAX_BYTES. */
enum status inbox_poller_start(struct instance *inst, uint64_t max_bytes, unsigned settle_ms,
			       unsigned poll_ms, struct inbox_poller **out);
/* Stops the thread (a take in progress finishes first) and frees P. NULL is fine. */
void inbox_poller_stop(struct inbox_poller *p);
/* -- end intake -- */

#endif
