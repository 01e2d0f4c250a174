#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/log.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sidang: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool instance_path(const char *dir, const char *name, char *out)
{
	int n = snprintf(out, 4096, "%s/%s", dir, name);
	return n > 0 && n < 4096;
}

enum status instance_open(const char *dir, bool migrate, unsigned pool, struct instance *out)
{
	memset(out, 0, sizeof *out);
	char dbpath[4096], blobdir[4096], keypath[4096];
	if (snprintf(out->dir, sizeof out->dir, "%s", dir) >= (int)sizeof out->dir ||
	    !instance_path(dir, "sidang.db", dbpath) || !instance_path(dir, "blobs", blobdir) ||
	    !instance_path(dir, "keys/audit.key", keypath)) {
		cli_error("data directory '%s': path too long", dir);
		return ST_INVALID;
	}
	struct stat sb;
	if (stat(dbpath, &sb) != 0) {
		cli_error("'%s' holds no Sidang database (run: sidang init %s)", dir, dir);
		return ST_NOT_FOUND;
	}
	enum status st = db_open(dbpath, false, pool, &out->db);
	if (st != ST_OK) {
		cli_error("cannot open the database '%s': %s", dbpath, status_name(st));
		goto fail;
	}
	if (migrate) {
		int applied = 0;
		if ((st = db_migrate(out->db, &applied)) != ST_OK) {
			cli_error("database migration failed: %s", status_name(st));
			goto fail;
		}
		if (applied)
			log_info("database: applied %d migration(s)", applied);
	} else if (db_schema_version(out->db) != sql_migration_count) {
		cli_error("the database schema is at version %d, this sidang expects %d (run sidang serve "
			  "once to migrate)", db_schema_version(out->db), sql_migration_count);
		st = ST_INVALID;
		goto fail;
	}
	if ((st = blob_store_open(blobdir, &out->blobs, &out->swept_tmp)) != ST_OK) {
		cli_error("cannot open the blob store '%s': %s", blobdir, status_name(st));
		goto fail;
	}
	if ((st = audit_open(keypath, &out->audit)) != ST_OK) {
		cli_error("cannot load the audit signing key '%s': %s", keypath, status_name(st));
		goto fail;
	}
	/* A key that is not the instance's would sign checkpoints that verify rejects. */
	struct db_conn *c = db_acquire(out->db);
	st = audit_check_key(out->audit, c);
	db_release(out->db, c);
	if (st != ST_OK) {
		cli_error("the audit key '%s' is not the one this database records (%s)", keypath,
			  st == ST_CONFLICT ? "another key is recorded" : "no key is recorded");
		goto fail;
	}
	return ST_OK;
fail:
	instance_close(out);
	return st;
}

void instance_close(struct instance *inst)
{
	audit_free(inst->audit);
	blob_store_free(inst->blobs);
	db_close(inst->db);
	inst->audit = NULL;
	inst->blobs = NULL;
	inst->db = NULL;
}

struct sweep {
	struct db_conn *c;
	struct instance *inst;
	int removed;
};

static enum status sweep_one(void *ctx, const char *sha)
{
	struct sweep *sw = ctx;
	struct db_stmt *s;
	enum status st = db_prepare(sw->c, SQL_BLOB_EXISTS, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, sha);
	bool row;
	st = db_step(s, &row);
	db_done(s);
	if (st != ST_OK)
		return st;
	if (!row) {
		log_warn("blobs: removing %s, which no document references (an interrupted upload)", sha);
		if ((st = blob_remove(sw->inst->blobs, sha)) != ST_OK)
			return st;
		sw->removed++;
	}
	return ST_OK;
}

enum status instance_sweep_orphans(struct instance *inst, int *removed_out)
{
	struct sweep sw = {db_acquire(inst->db), inst, 0};
	enum status st = blob_foreach(inst->blobs, sweep_one, &sw);
	db_release(inst->db, sw.c);
	*removed_out = sw.removed;
	return st;
}
