/* sidang audit verify */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: sidang audit verify [--data DIR] [--public-key HEX]\n"
	      "\n"
	      "Recomputes the whole audit trail's hash chain and checks every signed checkpoint.\n"
	      "Exits 0 when the trail is whole; otherwise names the first broken entry and exits 1.\n"
	      "\n"
	      "  --public-key HEX   check signatures against this Ed25519 public key (64 hex digits,\n"
	      "                     kept apart from the server) instead of the one in the database\n",
	      f);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"public-key", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *dir = DEFAULT_DATA_DIR, *pubkey = NULL;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'k': pubkey = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "verify") != 0) {
		usage(stderr);
		return 2;
	}
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	struct db_conn *c = db_acquire(inst.db);
	struct audit_verify_result res;
	memset(&res, 0, sizeof res);
	enum status st = audit_verify(c, pubkey, &res);
	db_release(inst.db, c);
	instance_close(&inst);
	if (st == ST_OK) {
		printf("audit chain ok: %lld entries, %lld checkpoints\n", (long long)res.entries,
		       (long long)res.checkpoints);
		return 0;
	}
	if (st == ST_CORRUPT) {
		printf("audit chain broken at entry %lld: %s\n", (long long)res.broken_seq, res.reason);
		cli_error("audit chain broken at entry %lld: %s", (long long)res.broken_seq, res.reason);
		return 1;
	}
	cli_error("audit verify: %s", res.reason[0] ? res.reason : status_name(st));
	return 1;
}
