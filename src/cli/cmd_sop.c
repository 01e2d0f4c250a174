/* sidang sop validate|list|show|import: SOP definitions (docs/sop-format.md, docs/cli.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/sop.h"
#include "util/clock.h"
#include "util/fsio.h"

static void usage(FILE *f)
{
	fputs("usage: sidang sop COMMAND [OPTIONS]\n"
	      "\n"
	      "  validate FILE...                  check definitions; no data directory needed\n"
	      "  list [--data DIR]                 every stored version\n"
	      "  show CODE[@VERSION]|VERSION_ID [--data DIR] [--json]\n"
	      "                                    one version (CODE alone: its latest)\n"
	      "  import FILE [--data DIR]          store a definition as its code's next version\n"
	      "\n"
	      "COMMAND --help for its options. The format: docs/sop-format.md.\n",
	      f);
}

static void usage_validate(FILE *f)
{
	fputs("usage: sidang sop validate FILE...\n"
	      "\n"
	      "Parses and validates each SOP definition. Prints \"FILE: ok (code CODE, N steps)\"\n"
	      "for a good one and \"FILE:LINE: REASON\" on standard error for a bad one. Exits 0\n"
	      "when all are good, 1 when any is not.\n",
	      f);
}

static void usage_list(FILE *f)
{
	fputs("usage: sidang sop list [--data DIR]\n"
	      "\n"
	      "Lists every stored version of every SOP definition, by code and version; '*' marks\n"
	      "the latest version of each code (the one new cases start on).\n"
	      "\n"
	      "  --data DIR   data directory (default ./var)\n",
	      f);
}

static void usage_show(FILE *f)
{
	fputs("usage: sidang sop show CODE[@VERSION]|VERSION_ID [--data DIR] [--json]\n"
	      "\n"
	      "Shows a stored definition: its header, roles, checklist and steps with the Mutu\n"
	      "Baku columns. CODE alone means its latest version.\n"
	      "\n"
	      "  --data DIR   data directory (default ./var)\n"
	      "  --json       the whole definition as JSON (the shape in docs/sop-format.md)\n",
	      f);
}

static void usage_import(FILE *f)
{
	fputs("usage: sidang sop import FILE [--data DIR]\n"
	      "\n"
	      "Validates FILE and stores it as the next version of its code, unless the latest\n"
	      "version has the same text (\"unchanged\"). Its roles are added to (or updated in)\n"
	      "the roles table.\n"
	      "Running cases keep the version they started on. Audited as sop.import.\n"
	      "\n"
	      "  --data DIR   data directory (default ./var)\n",
	      f);
}

/* Parses the options common to the subcommands: --data, --json, --help. Returns -1 to go on,
 * else the exit code. */
static int options(int argc, char **argv, void (*help)(FILE *), const char **dir, bool *json)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			if (!dir) {
				help(stderr);
				return 2;
			}
			*dir = optarg;
			break;
		case 'j':
			if (!json) {
				help(stderr);
				return 2;
			}
			*json = true;
			break;
		case 'h': help(stdout); return 0;
		default: help(stderr); return 2;
		}
	}
	return -1;
}

/* Reads FILE whole; prints why not. */
static bool read_definition(const char *path, char **text, size_t *len)
{
	enum status st = fsio_read_file(path, SOP_DEFINITION_BYTES, text, len);
	if (st == ST_OK)
		return true;
	if (st == ST_TOO_LARGE)
		fprintf(stderr, "%s: larger than %d bytes\n", path, SOP_DEFINITION_BYTES);
	else
		fprintf(stderr, "%s: cannot read: %s\n", path,
			st == ST_NOT_FOUND ? "no such file" : status_name(st));
	return false;
}

static void print_error(const struct sop_error *err)
{
	char msg[600];
	sop_error_format(err, msg, sizeof msg);
	fprintf(stderr, "%s\n", msg);
}

static int sop_validate(int argc, char **argv)
{
	int rc = options(argc, argv, usage_validate, NULL, NULL);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage_validate(stderr);
		return 2;
	}
	rc = 0;
	for (int i = optind; i < argc; i++) {
		char *text = NULL;
		size_t len = 0;
		if (!read_definition(argv[i], &text, &len)) {
			rc = 1;
			continue;
		}
		struct sop *s = NULL;
		struct sop_error err;
		if (sop_parse(text, len, argv[i], &s, &err) == ST_OK) {
			printf("%s: ok (code %s, %d steps)\n", argv[i], s->code, s->nsteps);
		} else {
			print_error(&err);
			rc = 1;
		}
		sop_free(s);
		free(text);
	}
	return rc;
}

struct version_list {
	struct sop_version_info *v;
	size_t n, cap;
};

static enum status collect(void *ctx, const struct sop_version_info *v)
{
	struct version_list *l = ctx;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 16;
		struct sop_version_info *more = realloc(l->v, ncap * sizeof *more);
		if (!more)
			return ST_NOMEM;
		l->v = more, l->cap = ncap;
	}
	l->v[l->n++] = *v;
	return ST_OK;
}

static int sop_list(int argc, char **argv)
{
	const char *dir = DEFAULT_DATA_DIR;
	int rc = options(argc, argv, usage_list, &dir, NULL);
	if (rc >= 0)
		return rc;
	if (optind != argc) {
		usage_list(stderr);
		return 2;
	}
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	struct db_conn *c = db_acquire(inst.db);
	struct version_list l = {0};
	enum status st = sop_versions(c, collect, &l);
	db_release(inst.db, c);
	instance_close(&inst);
	if (st != ST_OK) {
		free(l.v);
		cli_error("cannot list the SOP versions: %s", status_name(st));
		return 1;
	}
	if (l.n == 0)
		printf("no SOP definitions stored\n");
	else
		printf("%-5s %-32s %-8s %-12s %-20s %-10s %s\n", "ID", "CODE", "VERSION", "SHA-256",
		       "IMPORTED", "BY", "TITLE");
	for (size_t i = 0; i < l.n; i++) {
		const struct sop_version_info *v = &l.v[i];
		bool latest = i + 1 == l.n || strcmp(l.v[i + 1].code, v->code) != 0;
		char at[21], ver[16];
		clock_format_iso(v->imported_at, at);
		snprintf(ver, sizeof ver, "%d%s", v->version, latest ? " *" : "");
		printf("%-5lld %-32s %-8s %-12.12s %-20s %-10s %s\n", (long long)v->id, v->code,
		       ver, v->sha256, at, v->imported_by, v->title);
	}
	free(l.v);
	return 0;
}

/* Prints TEXT wrapped at WIDTH columns, the cursor being at column COL; continuation lines are
 * indented by INDENT spaces. Breaks at spaces only, so a long word overflows rather than splits. */
static void wrapped(const char *text, int indent, int col, int width)
{
	bool first = true;
	const char *p = text;
	for (;;) {
		while (*p == ' ' || *p == '\n')
			p++;
		size_t w = strcspn(p, " \n");
		if (w == 0)
			break;
		if (!first && col + 1 + (int)w > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)w, p);
		col += (int)w;
		p += w;
		first = false;
	}
	putchar('\n');
}

#define LABEL 20
#define WIDTH 100

static void field(const char *label, const char *value)
{
	printf("%-*s", LABEL, label);
	wrapped(value ? value : "-", LABEL, LABEL, WIDTH);
}

static void list_field(const char *label, const struct sop_list *l)
{
	if (l->n == 0) {
		field(label, NULL);
		return;
	}
	for (int i = 0; i < l->n; i++) {
		printf("%-*s%2d. ", LABEL, i == 0 ? label : "", i + 1);
		wrapped(l->items[i], LABEL + 4, LABEL + 4, WIDTH);
	}
}

static void text_field(const char *label, const struct sop_text *t)
{
	field(label, t->id);
	if (t->en && strcmp(t->en, t->id) != 0)
		field("", t->en);
}

static void print_next(const struct sop_next *n)
{
	if (n->step)
		printf("%d", n->step);
	else
		printf("end: %s", n->outcome ? n->outcome : "?");
}

static void print_step(const struct sop_step *st)
{
	char kind[32], actions[64] = "", inputs[200] = "";
	snprintf(kind, sizeof kind, "%s%s%s", st->start ? "start/" : "",
		 st->kind == SOP_DECISION ? "decision" : "process", st->end ? "/end" : "");
	size_t n = 0;
	for (unsigned bit = 1; bit <= SOP_ACT_VERIFY; bit <<= 1) {
		if (!(st->actions & bit))
			continue;
		int w = snprintf(actions + n, sizeof actions - n, "%s%s", n ? "," : "",
				 sop_action_name((enum sop_action)bit));
		if (w > 0 && (size_t)w < sizeof actions - n)
			n += (size_t)w;
	}
	n = 0;
	for (int i = 0; i < st->ninputs; i++) {
		int w = snprintf(inputs + n, sizeof inputs - n, "%s%s", n ? ", " : "",
				 st->inputs[i].name.id ? st->inputs[i].name.id
						       : st->inputs[i].code);
		if (w > 0 && (size_t)w < sizeof inputs - n)
			n += (size_t)w;
	}
	char waktu[16] = "-";
	if (st->waktu_minutes)
		snprintf(waktu, sizeof waktu, "%d menit", st->waktu_minutes);
	printf("%3d  %-22s %-14s %-15s %-34s %-9s %-34s ", st->number, st->role, kind, actions,
	       n ? inputs : "-", waktu, st->output.code ? st->output.name.id : "-");
	if (st->kind == SOP_DECISION) {
		for (int i = 0; i < st->nanswers; i++) {
			printf("%s%s -> ", i ? "; " : "", st->answers[i].code);
			print_next(&st->answers[i].next);
		}
	} else {
		print_next(&st->next);
	}
	putchar('\n');
	for (int i = 0; i < st->nalso; i++)
		printf("     + %s\n", st->also[i]);
	if (st->nstages) {
		printf("     tahapan:");
		for (int i = 0; i < st->nstages; i++)
			printf(" %s", st->stages[i]);
		putchar('\n');
	}
	printf("     ");
	wrapped(st->text.id, 5, 5, WIDTH);
	if (st->text.en && strcmp(st->text.en, st->text.id) != 0) {
		printf("     ");
		wrapped(st->text.en, 5, 5, WIDTH);
	}
	if (st->note) {
		printf("     Keterangan: ");
		wrapped(st->note, 5, 17, WIDTH);
	}
	putchar('\n');
}

static void print_sop(const struct sop *s)
{
	const struct sop_header *h = &s->header;
	printf("%s, version %d (id %lld, sha256 %s)\n\n", s->code, s->version,
	       (long long)s->version_id, s->sha256);
	text_field("Judul", &h->title);
	field("Nomor SOP", h->number);
	field("Organisasi", h->organisation);
	field("Unit", h->unit);
	field("Tanggal Pembuatan", h->made);
	field("Tanggal Revisi", h->revised);
	char rev[16];
	snprintf(rev, sizeof rev, "%d", h->revision);
	field("Revisi ke", rev);
	field("Tanggal Efektif", h->effective);
	field("Disahkan oleh", h->approved_title);
	field("", h->approved_name);
	if (h->approved_id)
		field("", h->approved_id);
	list_field("Dasar Hukum", &h->legal_basis);
	list_field("Kualifikasi", &h->qualifications);
	list_field("Keterkaitan", &h->related);
	list_field("Peralatan", &h->equipment);
	field("Peringatan", h->warning);
	list_field("Pencatatan", &h->record_keeping);

	printf("\nPelaksana (roles)\n");
	printf("  %-24s %-34s %-24s %s\n", "CODE", "COLUMN", "SUPERIOR", "TITLE");
	for (int i = 0; i < s->nroles; i++) {
		const struct sop_role *r = &s->roles[i];
		printf("  %-24s %-34s %-24s %s", r->code, r->column ? r->column : "-",
		       r->superior ? r->superior : "-", r->title.id);
		if (r->title.en && strcmp(r->title.en, r->title.id) != 0)
			printf(" (%s)", r->title.en);
		putchar('\n');
	}

	printf("\nKelengkapan dokumen per tahapan (checklist)\n");
	if (s->nchecklist == 0)
		printf("  -\n");
	for (int i = 0; i < s->nchecklist; i++) {
		const struct sop_stage_checklist *c = &s->checklist[i];
		printf("  %-14s", c->stage);
		for (int k = 0; k < c->nrequired; k++)
			printf("%s%s", k ? ", " : "", c->required[k]);
		printf("%s\n", c->nrequired ? "" : "-");
	}

	printf("\nTahapan kegiatan (steps)\n");
	printf("%3s  %-22s %-14s %-15s %-34s %-9s %-34s %s\n", "No", "Pelaksana", "Jenis", "Aksi",
	       "Kelengkapan", "Waktu", "Output", "Lanjut");
	for (int i = 0; i < s->nsteps; i++)
		print_step(&s->steps[i]);
}

/* CODE[@VERSION] or VERSION_ID into a version id; prints why not. */
static enum status resolve(struct db_conn *c, const char *what, int64_t *id)
{
	enum status st;
	char *end;
	if (what[0] && strspn(what, "0123456789") == strlen(what)) {
		errno = 0;
		long long v = strtoll(what, &end, 10);
		if (errno || *end || v <= 0) {
			cli_error("'%s' is not a version id", what);
			return ST_INVALID;
		}
		*id = v;
		return ST_OK;
	}
	const char *at = strchr(what, '@');
	if (!at) {
		if ((st = sop_latest(c, what, id)) == ST_NOT_FOUND)
			cli_error("no SOP definition with code '%s'", what);
		return st;
	}
	char code[SOP_CODE_MAX + 1];
	size_t n = (size_t)(at - what);
	errno = 0;
	long v = strtol(at + 1, &end, 10);
	if (n == 0 || n > SOP_CODE_MAX || errno || *end || at[1] == '\0' || v <= 0 || v > 1000000) {
		cli_error("'%s': expected CODE@VERSION", what);
		return ST_INVALID;
	}
	memcpy(code, what, n);
	code[n] = '\0';
	if ((st = sop_find_version(c, code, (int)v, id)) == ST_NOT_FOUND)
		cli_error("no version %ld of SOP '%s'", v, code);
	return st;
}

static int sop_show(int argc, char **argv)
{
	const char *dir = DEFAULT_DATA_DIR;
	bool json = false;
	int rc = options(argc, argv, usage_show, &dir, &json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1) {
		usage_show(stderr);
		return 2;
	}
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK)
		return 1;
	struct db_conn *c = db_acquire(inst.db);
	int64_t id = 0;
	const struct sop *s = NULL;
	enum status st = resolve(c, argv[optind], &id);
	if (st == ST_OK) {
		st = sop_load_version(c, id, &s);
		if (st == ST_NOT_FOUND)
			cli_error("no SOP version with id %lld", (long long)id);
		else if (st != ST_OK)
			cli_error("cannot load SOP version %lld: %s", (long long)id,
				  status_name(st));
	} else if (st != ST_NOT_FOUND && st != ST_INVALID) {
		cli_error("cannot find '%s': %s", argv[optind], status_name(st));
	}
	db_release(inst.db, c);
	instance_close(&inst);
	rc = st == ST_OK ? 0 : 1;
	if (st == ST_OK && json) {
		json_t *j = sop_to_json(s);
		char *out = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		if (out)
			printf("%s\n", out);
		else
			rc = 1;
		free(out);
		json_decref(j);
	} else if (st == ST_OK) {
		print_sop(s);
	}
	sop_cache_clear();
	return rc;
}

static int sop_import_cmd(int argc, char **argv)
{
	const char *dir = DEFAULT_DATA_DIR;
	int rc = options(argc, argv, usage_import, &dir, NULL);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1) {
		usage_import(stderr);
		return 2;
	}
	const char *path = argv[optind];
	char *text = NULL;
	size_t len = 0;
	if (!read_definition(path, &text, &len))
		return 1;
	struct instance inst;
	if (instance_open(dir, false, 1, &inst) != ST_OK) {
		free(text);
		return 1;
	}
	struct db_conn *c = db_acquire(inst.db);
	struct actor who = {0, "cli", "cli"};
	struct sop_error err;
	int64_t id = 0;
	int version = 0;
	bool unchanged = false;
	enum status st =
		sop_import(c, inst.audit, &who, text, len, path, &id, &version, &unchanged, &err);
	const struct sop *s = NULL;
	if (st == ST_OK)
		st = sop_load_version(c, id, &s);
	db_release(inst.db, c);
	instance_close(&inst);
	free(text);
	if (st == ST_OK) {
		printf("%s %s version %d\n", unchanged ? "unchanged:" : "imported", s->code,
		       version);
		rc = 0;
	} else {
		if (err.message[0])
			print_error(&err);
		else
			cli_error("cannot import '%s': %s", path, status_name(st));
		rc = 1;
	}
	sop_cache_clear();
	return rc;
}

int cmd_sop(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(sub, "validate") == 0)
		return sop_validate(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return sop_list(argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return sop_show(argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0)
		return sop_import_cmd(argc - 1, argv + 1);
	fprintf(stderr, "sidang: unknown sop command '%s'\n", sub);
	usage(stderr);
	return 2;
}
