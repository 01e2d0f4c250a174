/* sidang user add|list|disable|enable|passwd|grant-role|revoke-role */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/users.h"
#include "sidang_limits.h"

static void usage(FILE *f)
{
	fputs("usage: sidang user COMMAND [OPTIONS]\n"
	      "\n"
	      "  add NAME --role ROLE [--role ROLE ...] [--display-name TEXT] [--nip NIP]\n"
	      "           [--unit TEXT] [--clearance biasa|terbatas|rahasia|sangat_rahasia]\n"
	      "  list\n"
	      "  disable NAME | enable NAME\n"
	      "  passwd NAME\n"
	      "  grant-role NAME ROLE | revoke-role NAME ROLE\n"
	      "\n"
	      "  --data DIR   data directory (default ./var)\n"
	      "\n"
	      "add and passwd read the password from standard input (its first line) when it is not a\n"
	      "terminal, and otherwise ask for it twice. Roles: karo_hph, kabag_persidangan,\n"
	      "kasubbag_pengelolaan, pengelola_persidangan, pengelola_naskah, admin, auditor, reader.\n",
	      f);
}

/* Reads one line of at most LIMIT_PASSWORD_BYTES into OUT (without the newline). */
static bool read_line(FILE *in, char *out, size_t outlen)
{
	if (!fgets(out, (int)outlen, in))
		return false;
	size_t n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == outlen - 1 && !feof(in))
		return false; /* longer than the limit: refused, not cut */
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return true;
}

static bool read_password(char *out, size_t outlen)
{
	if (!isatty(STDIN_FILENO)) {
		if (!read_line(stdin, out, outlen)) {
			cli_error("expected the password on the first line of standard input (at most %d bytes)",
				  LIMIT_PASSWORD_BYTES);
			return false;
		}
		return true;
	}
	struct termios old, quiet;
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return false;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	char again[LIMIT_PASSWORD_BYTES + 2];
	bool ok = false;
	fputs("Password: ", stderr);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	if (read_line(stdin, out, outlen)) {
		fputs("\nPassword again: ", stderr);
		ok = read_line(stdin, again, sizeof again);
	}
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	if (ok && strcmp(out, again) != 0) {
		cli_error("the passwords differ");
		ok = false;
	}
	sodium_memzero(again, sizeof again);
	return ok;
}

static enum status print_user(void *ctx, const struct user *u)
{
	(void)ctx;
	char roles[256] = "";
	size_t n = 0;
	for (int i = 0; i < u->nroles; i++)
		n += (size_t)snprintf(roles + n, sizeof roles - n, "%s%s", i ? "," : "", u->roles[i]);
	printf("%-6lld %-20s %-34s %-15s %s\n", (long long)u->id, u->username, roles[0] ? roles : "-",
	       classification_name(u->clearance), u->disabled ? "disabled" : "active");
	return ST_OK;
}

int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"role", required_argument, NULL, 'r'},
		{"display-name", required_argument, NULL, 'n'},
		{"nip", required_argument, NULL, 'N'},
		{"unit", required_argument, NULL, 'u'},
		{"clearance", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *dir = DEFAULT_DATA_DIR, *display = NULL, *nip = NULL, *unit = NULL;
	const char *roles[USER_MAX_ROLES + 1] = {0};
	int nroles = 0;
	enum classification clearance = CLASS_BIASA;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'r':
			if (nroles == USER_MAX_ROLES) {
				cli_error("at most %d roles", USER_MAX_ROLES);
				return 2;
			}
			roles[nroles++] = optarg;
			break;
		case 'n': display = optarg; break;
		case 'N': nip = optarg; break;
		case 'u': unit = optarg; break;
		case 'c':
			if (!classification_parse(optarg, &clearance)) {
				cli_error("--clearance: expected biasa, terbatas, rahasia or sangat_rahasia");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs < 1) {
		usage(stderr);
		return 2;
	}
	const char *sub = args[0];
	struct {
		const char *name;
		int nargs;
	} subs[] = {{"add", 2}, {"list", 1}, {"disable", 2}, {"enable", 2}, {"passwd", 2},
		    {"grant-role", 3}, {"revoke-role", 3}};
	int want = -1;
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(sub, subs[i].name) == 0)
			want = subs[i].nargs;
	if (want < 0) {
		cli_error("unknown user command '%s' (see sidang user --help)", sub);
		return 2;
	}
	if (nargs != want) {
		usage(stderr);
		return 2;
	}
	if (strcmp(sub, "add") == 0 && nroles == 0) {
		cli_error("user add: give at least one --role");
		return 2;
	}
	char password[LIMIT_PASSWORD_BYTES + 2];
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
	    !read_password(password, sizeof password))
		return 1;

	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	struct db_conn *c = db_acquire(inst.db);
	struct actor who = {0, "cli", "cli"};
	char err[256] = "";
	enum status st = ST_OK;
	if (strcmp(sub, "add") == 0) {
		struct user_new nu = {args[1], display, nip, unit, clearance, roles, password};
		int64_t id = 0;
		st = users_create(c, inst.audit, &who, &nu, &id, err, sizeof err);
		if (st == ST_OK)
			printf("created user '%s' (id %lld)\n", args[1], (long long)id);
		else if (st == ST_CONFLICT)
			snprintf(err, sizeof err, "user '%s' exists already", args[1]);
	} else if (strcmp(sub, "list") == 0) {
		printf("%-6s %-20s %-34s %-15s %s\n", "id", "username", "roles", "clearance", "state");
		st = users_list(c, print_user, NULL);
	} else if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
		bool dis = strcmp(sub, "disable") == 0;
		st = users_set_disabled(c, inst.audit, &who, args[1], dis);
		if (st == ST_OK)
			printf("%s user '%s'\n", dis ? "disabled" : "enabled", args[1]);
	} else if (strcmp(sub, "passwd") == 0) {
		st = users_set_password(c, inst.audit, &who, args[1], password, err, sizeof err);
		if (st == ST_OK)
			printf("changed the password of '%s'; its sessions have ended\n", args[1]);
	} else if (strcmp(sub, "grant-role") == 0) {
		st = users_grant_role(c, inst.audit, &who, args[1], args[2]);
		if (st == ST_OK)
			printf("granted role '%s' to '%s'\n", args[2], args[1]);
	} else {
		st = users_revoke_role(c, inst.audit, &who, args[1], args[2]);
		if (st == ST_OK)
			printf("revoked role '%s' from '%s'\n", args[2], args[1]);
	}
	sodium_memzero(password, sizeof password);
	db_release(inst.db, c);
	instance_close(&inst);
	if (st != ST_OK) {
		if (!err[0] && st == ST_NOT_FOUND)
			snprintf(err, sizeof err, "no such user '%s'", nargs > 1 ? args[1] : "");
		if (!err[0] && st == ST_INVALID && nargs > 2)
			snprintf(err, sizeof err, "unknown role '%s'", args[2]);
		cli_error("user %s: %s", sub, err[0] ? err : status_name(st));
		return 1;
	}
	return 0;
}
