/* sidang: one binary, subcommands. See docs/cli.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: sidang COMMAND [OPTIONS]\n"
	      "\n"
	      "Sidang: meeting dossiers of a ministry bureau, run by its SOPs.\n"
	      "\n"
	      "commands:\n"
	      "  init [DIR] [--demo]   create a data directory (default ./var)\n"
	      "  serve                 serve the web UI and the API\n"
	      "  user SUBCOMMAND       add, list, disable, passwd, grant-role, revoke-role\n"
	      "  audit verify          check the audit trail's hash chain and signatures\n"
	      "  sop SUBCOMMAND        validate, list, show, import SOP definitions\n"
	      "  report compliance     Mutu Baku compliance per step, official and month\n"
	      "  worker                run jobs from the queue (serve starts workers itself)\n"
	      "  import DIR            take a directory of scans into the inbox's tray\n"
	      "\n"
	      "options:\n"
	      "  --version             print the version\n"
	      "  --help                this text; COMMAND --help for a command's options\n"
	      "\n"
	      "Every command takes --data DIR (default ./var).\n",
	      f);
}

/* tesseract runs OpenMP, which reads OMP_THREAD_LIMIT once, when the library loads: one
 * single-threaded engine per core is the fast way (several threads per page made OCR about 8
 * times slower here), and the OCR sandbox allows no new threads anyway. A worker without it in
 * its environment sets it and starts itself again; serve sets it for the workers it starts. */
static void single_threaded_ocr(char **argv, const char *cmd)
{
	const char *v = getenv("OMP_THREAD_LIMIT");
	if (v && strcmp(v, "1") == 0)
		return;
	if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0 || strcmp(cmd, "worker") != 0)
		return;
	execv("/proc/self/exe", argv);
	fprintf(stderr, "sidang: warning: cannot restart with OMP_THREAD_LIMIT=1 (%s); OCR jobs "
			"will fail\n",
		strerror(errno));
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fputs("sidang: cannot initialise libsodium\n", stderr);
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "worker") == 0 || strcmp(cmd, "serve") == 0)
		single_threaded_ocr(argv, cmd);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("sidang %s\n", SIDANG_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0)
		return cmd_user(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "sop") == 0)
		return cmd_sop(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "worker") == 0)
		return cmd_worker(argc - 1, argv + 1);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	fprintf(stderr, "sidang: unknown command '%s' (see sidang --help)\n", cmd);
	return 2;
}
