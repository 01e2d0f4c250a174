/* sidang init [DIR] [--demo] */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "domain/intake.h"
#include "domain/sop.h"
#include "domain/users.h"
#include "util/fsio.h"

static void usage(FILE *f)
{
	fputs("usage: sidang init [DIR] [--data DIR] [--demo]\n"
	      "\n"
	      "Creates a data directory: the database and its schema, the blob store, and the Ed25519\n"
	      "key that signs audit checkpoints. Refuses a directory that already holds a database.\n"
	      "\n"
	      "  --data DIR   the directory (default ./var; a DIR argument wins)\n"
	      "  --demo       also create demo accounts (one per SOP role, an admin, an auditor and\n"
	      "               two PIC readers) and print their passwords once\n",
	      f);
}

struct demo_user {
	const char *username, *display_name, *nip, *unit, *role;
	enum classification clearance;
};

/* One account per role of the seed SOP (shared/seed), plus admin, auditor and two PICs. */
static const struct demo_user demo_users[] = {
	{"karo", "M. Nazif", "197001011995031001", "Biro Hukum, Persidangan, dan Hubungan Masyarakat",
	 "karo_hph", CLASS_SANGAT_RAHASIA},
	{"kabag", "Siti Rahmawati", "197502022000032002", "Bagian Persidangan", "kabag_persidangan",
	 CLASS_SANGAT_RAHASIA},
	{"kasubbag", "Budi Santoso", "198003032005011003", "Subbagian Pengelolaan Persidangan",
	 "kasubbag_pengelolaan", CLASS_SANGAT_RAHASIA},
	{"persidangan", "Dewi Lestari", "198504042010012004", "Subbagian Pengelolaan Persidangan",
	 "pengelola_persidangan", CLASS_SANGAT_RAHASIA},
	{"naskah", "Agus Prasetyo", "199005052015031005", "Subbagian Pengelolaan Persidangan",
	 "pengelola_naskah", CLASS_SANGAT_RAHASIA},
	{"admin", "Administrator Sistem", NULL, "Pusat Data dan Informasi", "admin", CLASS_BIASA},
	{"auditor", "Inspektorat", NULL, "Inspektorat", "auditor", CLASS_BIASA},
	{"pic1", "Rina Wulandari", "198806062012022006", "Deputi Bidang Koordinasi Politik Dalam Negeri",
	 "reader", CLASS_RAHASIA},
	{"pic2", "Hendra Gunawan", "199107072016031007", "Deputi Bidang Koordinasi Hukum",
	 "reader", CLASS_BIASA},
};

/* 16 characters from an alphabet without look-alikes (0/O, 1/l/I): about 93 bits. */
static void demo_password(char out[17])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (int i = 0; i < 16; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[16] = '\0';
}

static int create_demo(struct instance *inst)
{
	struct db_conn *c = db_acquire(inst->db);
	struct actor who = {0, "cli", "cli"};
	int rc = 0;
	printf("Demo accounts (the passwords are shown only now):\n\n");
	printf("  %-12s %-18s %-22s %s\n", "username", "password", "role", "clearance");
	for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
		const struct demo_user *d = &demo_users[i];
		char pw[17], err[256] = "";
		demo_password(pw);
		const char *roles[] = {d->role, NULL};
		struct user_new nu = {d->username, d->display_name, d->nip, d->unit, d->clearance, roles, pw};
		enum status st = users_create(c, inst->audit, &who, &nu, NULL, err, sizeof err);
		if (st != ST_OK) {
			cli_error("demo account '%s': %s", d->username, err[0] ? err : status_name(st));
			rc = 1;
			break;
		}
		printf("  %-12s %-18s %-22s %s\n", d->username, pw, d->role,
		       classification_name(d->clearance));
	}
	printf("\n");
	sodium_memzero(&who, sizeof who);
	db_release(inst->db, c);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"demo", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *dir = DEFAULT_DATA_DIR;
	bool demo = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'D': demo = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	char dbpath[4096], keydir[4096], keypath[4096], blobdir[4096];
	if (!instance_path(dir, "sidang.db", dbpath) || !instance_path(dir, "keys", keydir) ||
	    !instance_path(dir, "keys/audit.key", keypath) || !instance_path(dir, "blobs", blobdir)) {
		cli_error("'%s': path too long", dir);
		return 1;
	}
	struct stat sb;
	if (stat(dbpath, &sb) == 0) {
		cli_error("'%s' already holds a Sidang database; refusing to touch it", dir);
		return 1;
	}
	if (fsio_mkdirs(dir, 0700) != 0 || fsio_mkdirs(keydir, 0700) != 0) {
		cli_error("cannot create '%s': %s", dir, strerror(errno));
		return 1;
	}
	struct db *db = NULL;
	enum status st = db_open(dbpath, true, 1, &db);
	if (st == ST_OK)
		st = db_migrate(db, NULL);
	if (st == ST_OK) {
		struct db_conn *c = db_acquire(db);
		st = audit_key_create(c, keypath);
		db_release(db, c);
		if (st != ST_OK)
			cli_error("cannot create the audit key '%s': %s", keypath, status_name(st));
	} else {
		cli_error("cannot create the database '%s': %s", dbpath, status_name(st));
	}
	db_close(db);
	if (st != ST_OK)
		return 1;
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	int rc = 0;
	struct db_conn *c = db_acquire(inst.db);
	int imported = 0;
	enum status ist = sop_import_builtin(c, inst.audit, &imported);
	db_release(inst.db, c);
	if (ist != ST_OK) {
		cli_error("cannot install the built-in SOP definitions: %s", status_name(ist));
		rc = 1;
	}
	/* -- intake: the scanners' watch folder -- */
	char inbox[4096];
	if (rc == 0 && (ist = intake_inbox_prepare(dir, inbox)) != ST_OK) {
		cli_error("cannot create the inbox '%s/inbox': %s", dir, status_name(ist));
		rc = 1;
	}
	/* -- end intake -- */
	if (rc == 0 && demo)
		rc = create_demo(&inst);
	instance_close(&inst);
	if (rc == 0)
		printf("Created the Sidang data directory '%s'.\n", dir);
	return rc;
}
