/* sidang report compliance */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/compliance.h"
#include "domain/meetings.h"
#include "util/clock.h"

static void usage(FILE *f)
{
	fputs("usage: sidang report compliance [--data DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD]"
	      " [--json]\n"
	      "\n"
	      "Mutu Baku compliance of the tasks completed in the period (both days included, UTC;\n"
	      "default the last 180 days): per SOP step, per official and per month.\n"
	      "\n"
	      "  --from DATE   first day of the period\n"
	      "  --to DATE     last day of the period (default today)\n"
	      "  --json        print the report as the JSON of GET /api/reports/compliance\n",
	      f);
}

/* "1h02m", "6m10s", "45s"; "-" for null. Medians may end in .5: rounded to the second. */
static const char *duration(const json_t *v, char *out, size_t n)
{
	if (!json_is_number(v)) {
		snprintf(out, n, "-");
		return out;
	}
	double d = json_number_value(v);
	long long s = d > 0 ? (long long)(d + 0.5) : 0;
	if (s >= 86400)
		snprintf(out, n, "%lldd%02lldh", s / 86400, s / 3600 % 24);
	else if (s >= 3600)
		snprintf(out, n, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, n, "%llds", s);
	return out;
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_steps(const json_t *steps)
{
	const char *code = NULL;
	size_t i;
	json_t *s;
	printf("Per step\n");
	if (json_array_size(steps) == 0)
		printf("  (no tasks)\n");
	json_array_foreach(steps, i, s)
	{
		const char *c = json_string_value(json_object_get(s, "sop_code"));
		if (!code || !c || strcmp(code, c) != 0) {
			code = c;
			printf("  SOP %s\n", c ? c : "?");
			printf("  %4s  %-24s %6s %6s %8s %8s %8s %10s\n", "STEP", "ROLE", "WAKTU", "TASKS",
			       "MEDIAN", "WORST", "BREACHES", "OPEN(LATE)");
		}
		char waktu[32], median[32], worst[32], open[48];
		const json_t *w = json_object_get(s, "waktu_minutes");
		if (json_is_integer(w))
			snprintf(waktu, sizeof waktu, "%lldm", (long long)json_integer_value(w));
		else
			snprintf(waktu, sizeof waktu, "-");
		snprintf(open, sizeof open, "%lld(%lld)", num(s, "open"), num(s, "open_overdue"));
		const char *role = json_string_value(json_object_get(s, "role"));
		printf("  %4lld  %-24s %6s %6lld %8s %8s %8lld %10s\n", num(s, "step"),
		       role ? role : "-", waktu, num(s, "tasks"),
		       duration(json_object_get(s, "median_seconds"), median, sizeof median),
		       duration(json_object_get(s, "worst_seconds"), worst, sizeof worst),
		       num(s, "breaches"), open);
	}
}

static void print_officials(const json_t *officials)
{
	size_t i;
	json_t *o;
	printf("\nPer official\n");
	if (json_array_size(officials) == 0) {
		printf("  (no tasks)\n");
		return;
	}
	printf("  %-24s %-32s %6s %8s %8s\n", "USER", "NAME", "TASKS", "BREACHES", "MEDIAN");
	json_array_foreach(officials, i, o)
	{
		const json_t *u = json_object_get(o, "user");
		const char *name = json_string_value(json_object_get(u, "username"));
		const char *display = json_string_value(json_object_get(u, "display_name"));
		char median[32];
		printf("  %-24s %-32s %6lld %8lld %8s\n", name ? name : "(unknown)",
		       display ? display : "", num(o, "tasks"), num(o, "breaches"),
		       duration(json_object_get(o, "median_seconds"), median, sizeof median));
	}
}

static void print_months(const json_t *months)
{
	size_t i;
	json_t *m;
	printf("\nPer month (UTC)\n");
	printf("  %-8s %6s %8s %15s %19s\n", "MONTH", "TASKS", "BREACHES", "CASES COMPLETED",
	       "CASES KEPT INTERNAL");
	json_array_foreach(months, i, m)
	{
		const char *month = json_string_value(json_object_get(m, "month"));
		printf("  %-8s %6lld %8lld %15lld %19lld\n", month ? month : "?", num(m, "tasks"),
		       num(m, "breaches"), num(m, "cases_completed"), num(m, "cases_kept_internal"));
	}
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *dir = DEFAULT_DATA_DIR, *from_s = NULL, *to_s = NULL;
	bool as_json = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'f': from_s = optarg; break;
		case 't': to_s = optarg; break;
		case 'j': as_json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "compliance") != 0) {
		usage(stderr);
		return 2;
	}
	int64_t from, to;
	const char *field = NULL;
	if (compliance_period(from_s, to_s, clock_now(), &from, &to, &field) != ST_OK) {
		const char *bad = field && field[0] == 't' ? to_s : from_s;
		if (bad && date_valid(bad))
			cli_error("--from: must not be after --to");
		else
			cli_error("--%s: expected a date YYYY-MM-DD", field ? field : "from");
		return 2;
	}
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	json_t *report = NULL;
	struct db_conn *c = db_acquire(inst.db);
	/* Whoever runs the CLI holds the database file: nothing in it is hidden from them. */
	enum status st = compliance_report(c, from, to, CLASS_SANGAT_RAHASIA, &report);
	db_release(inst.db, c);
	instance_close(&inst);
	if (st != ST_OK) {
		cli_error("report compliance: %s", status_name(st));
		return 1;
	}
	if (as_json) {
		char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!text) {
			json_decref(report);
			cli_error("report compliance: out of memory");
			return 1;
		}
		puts(text);
		free(text);
	} else {
		printf("Mutu Baku compliance, %s to %s (tasks by completion)\n\n",
		       json_string_value(json_object_get(report, "from")),
		       json_string_value(json_object_get(report, "to")));
		print_steps(json_object_get(report, "per_step"));
		print_officials(json_object_get(report, "per_official"));
		print_months(json_object_get(report, "per_period"));
	}
	json_decref(report);
	return 0;
}
