/* sidang import DIR: takes a backlog of scans into the inbox's tray (domain/intake.h). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/intake.h"
#include "sidang_limits.h"

static void usage(FILE *f)
{
	fputs("usage: sidang import DIR [--data DIR] [--keep | --move] [--max-upload BYTES]\n"
	      "\n"
	      "Takes every PDF, JPEG, PNG, TIFF and office file under DIR (subdirectories too; links\n"
	      "are not followed; names starting with '.' or ending in .tmp or .part are left alone)\n"
	      "into the tray of files to be filed (Berkas Masuk). A file taken before (same name,\n"
	      "size and contents) is reported as already taken, so running it again takes nothing\n"
	      "twice. Progress goes to standard error, a summary to standard output; the exit status\n"
	      "is 1 when any file was refused or could not be taken.\n"
	      "\n"
	      "  --data DIR          data directory (default ./var)\n"
	      "  --keep              leave the files in DIR (the default: a backlog is often a share)\n"
	      "  --move              remove each file from DIR once it is taken (or found taken)\n"
	      "  --max-upload BYTES  largest file taken (default 104857600, as serve's uploads)\n",
	      f);
}

struct files {
	char **rel;
	size_t n, cap;
	bool too_many;
};

static enum status add_file(void *ctx, const char *rel, const struct stat *sb)
{
	(void)sb;
	struct files *fs = ctx;
	if (fs->n == LIMIT_IMPORT_FILES) {
		fs->too_many = true;
		return ST_TOO_LARGE;
	}
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 256;
		char **p = realloc(fs->rel, ncap * sizeof *p);
		if (!p)
			return ST_NOMEM;
		fs->rel = p;
		fs->cap = ncap;
	}
	if (!(fs->rel[fs->n] = strdup(rel)))
		return ST_NOMEM;
	fs->n++;
	return ST_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The account running the import, recorded as the items' taken_by. */
static void who_am_i(char *out, size_t n)
{
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(out, n, "%.64s", pw->pw_name);
	else
		snprintf(out, n, "uid %u", (unsigned)geteuid());
}

/* Lines of the summary, kept until the end. */
struct report {
	FILE *f;
	char *text;
	size_t len;
};

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"keep", no_argument, NULL, 'k'},
		{"move", no_argument, NULL, 'm'},
		{"max-upload", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *data = DEFAULT_DATA_DIR;
	int keep = -1;
	unsigned long long max_bytes = LIMIT_UPLOAD_BYTES_DEFAULT;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': data = optarg; break;
		case 'k':
		case 'm':
			if (keep != -1 && keep != (o == 'k')) {
				cli_error("--keep and --move exclude each other");
				return 2;
			}
			keep = o == 'k';
			break;
		case 'u': {
			char *end = NULL;
			errno = 0;
			max_bytes = strtoull(optarg, &end, 10);
			if (errno || !end || *end || optarg[0] == '-' || max_bytes < 1 ||
			    max_bytes > LIMIT_UPLOAD_BYTES_MAX) {
				cli_error("--max-upload: expected a number from 1 to %llu",
					  (unsigned long long)LIMIT_UPLOAD_BYTES_MAX);
				return 2;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *dir = argv[optind];
	struct instance inst;
	if (instance_open(data, false, 1, &inst) != ST_OK)
		return 1;
	struct files fs = {0};
	enum status st = intake_walk(dir, false, add_file, &fs);
	if (st != ST_OK) {
		if (fs.too_many)
			cli_error("'%s' holds more than %d files; import its subdirectories one by one",
				  dir, LIMIT_IMPORT_FILES);
		else
			cli_error("cannot read the directory '%s': %s", dir, status_name(st));
		for (size_t i = 0; i < fs.n; i++)
			free(fs.rel[i]);
		free(fs.rel);
		instance_close(&inst);
		return 1;
	}
	qsort(fs.rel, fs.n, sizeof *fs.rel, by_name);
	char user[80];
	who_am_i(user, sizeof user);
	const struct intake_source src = {"import", user, max_bytes, keep == 0};
	struct intake_pass sum = {0};
	struct report rep = {0};
	if (!(rep.f = open_memstream(&rep.text, &rep.len))) {
		cli_error("out of memory");
		instance_close(&inst);
		return 1;
	}
	struct db_conn *c = db_acquire(inst.db);
	for (size_t i = 0; i < fs.n; i++) {
		struct intake_result res;
		int dfd;
		const char *base;
		st = intake_open_parent(dir, fs.rel[i], &dfd, &base);
		if (st == ST_OK) {
			intake_take(c, inst.audit, inst.blobs, &src, dfd, base, &res);
			close(dfd);
		} else {
			memset(&res, 0, sizeof res);
			res.outcome = INTAKE_FAILED;
			snprintf(res.reason, sizeof res.reason, "cannot open its directory: %s",
				 status_name(st));
		}
		const char *what = intake_outcome_name(res.outcome);
		switch (res.outcome) {
		case INTAKE_TAKEN:
			sum.taken++;
			if (res.dup_document_id) {
				sum.duplicates++;
				fprintf(rep.f, "  duplicate: %s (item %lld) has the contents of document %lld\n",
					fs.rel[i], (long long)res.item_id, (long long)res.dup_document_id);
				what = "taken (a duplicate)";
			} else if (res.dup_item_id) {
				sum.duplicates++;
				fprintf(rep.f, "  duplicate: %s (item %lld) has the contents of item %lld\n",
					fs.rel[i], (long long)res.item_id, (long long)res.dup_item_id);
				what = "taken (a duplicate)";
			}
			break;
		case INTAKE_ALREADY_TAKEN:
			sum.already_taken++;
			break;
		case INTAKE_REFUSED:
			sum.refused++;
			intake_record_refusal(c, inst.audit, &src, &res);
			fprintf(rep.f, "  refused: %s: %s\n", fs.rel[i], res.reason);
			break;
		case INTAKE_CHANGED:
		case INTAKE_FAILED:
			sum.failed++;
			fprintf(rep.f, "  failed: %s: %s\n", fs.rel[i], res.reason);
			break;
		}
		fprintf(stderr, "%zu/%zu %s: %s\n", i + 1, fs.n, what, fs.rel[i]);
		free(fs.rel[i]);
	}
	db_release(inst.db, c);
	free(fs.rel);
	fclose(rep.f);
	printf("imported from %s: %zu file(s)\n"
	       "taken: %d (%d duplicate(s), waiting in the tray to be decided)\n"
	       "already taken: %d\n"
	       "refused: %d\n"
	       "failed: %d\n",
	       dir, fs.n, sum.taken, sum.duplicates, sum.already_taken, sum.refused, sum.failed);
	if (rep.len)
		fputs(rep.text, stdout);
	free(rep.text);
	instance_close(&inst);
	return sum.refused || sum.failed ? 1 : 0;
}
