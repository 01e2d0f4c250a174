/* SOP definitions (domain/sop.c): the seed parses whole and faithful; every broken definition under
 * tests/fixtures/sop/ is refused at the line and for the reason its first line states; versions
 * are stored, deduplicated by SHA-256, loaded and cached; roles are upserted with superiors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/audit.h"
#include "domain/sop.h"
#include "domain/sop_builtin.h"
#include "store/db.h"
#include "util/fsio.h"
#include "util/hex.h"

#define SEED_NAME "sop/pemilihan-pengunggahan-data.yaml"

/* ---- helpers --------------------------------------------------------------------------------- */

/* The source tree: SIDANG_SOURCE_DIR, else derived from this file's path. */
static const char *source_dir(void)
{
	static char dir[4096];
	if (dir[0])
		return dir;
	const char *env = getenv("SIDANG_SOURCE_DIR");
	if (env && *env) {
		snprintf(dir, sizeof dir, "%s", env);
		return dir;
	}
	snprintf(dir, sizeof dir, "%s", __FILE__);
	char *cut = strstr(dir, "/tests/unit/test_sop.c");
	if (cut)
		*cut = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	return dir;
}

static char *read_source_file(const char *rel, size_t *len)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", source_dir(), rel);
	char *text = NULL;
	enum status st = fsio_read_file(path, 4 * SOP_DEFINITION_BYTES, &text, len);
	if (st != ST_OK)
		fail_msg("cannot read %s: %s", path, status_name(st));
	return text;
}

static const struct builtin_sop *builtin(const char *name)
{
	for (const struct builtin_sop *b = builtin_sops; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

static struct sop *parse_ok(const char *text, size_t len, const char *name)
{
	struct sop *s = NULL;
	struct sop_error err;
	enum status st = sop_parse(text, len, name, &s, &err);
	if (st != ST_OK) {
		char msg[600];
		sop_error_format(&err, msg, sizeof msg);
		fail_msg("%s refused: %s", name, msg);
	}
	assert_non_null(s);
	return s;
}

static struct sop *parse_seed(void)
{
	const struct builtin_sop *b = builtin(SEED_NAME);
	assert_non_null(b);
	return parse_ok((const char *)b->data, b->len, b->name);
}

/* ---- the seed -------------------------------------------------------------------------------- */

static void test_builtin_is_the_file(void **state)
{
	(void)state;
	const struct builtin_sop *b = builtin(SEED_NAME);
	assert_non_null(b);
	size_t len;
	char *text = read_source_file(SEED_NAME, &len);
	assert_int_equal(len, b->len);
	assert_memory_equal(text, b->data, len);
	assert_int_equal(b->data[b->len], 0);
	free(text);
	/* Every built-in definition parses: start-up must never refuse the binary's own. */
	for (const struct builtin_sop *x = builtin_sops; x->name; x++)
		sop_free(parse_ok((const char *)x->data, x->len, x->name));
}

static void assert_list(const struct sop_list *l, const char *const *want)
{
	int n = 0;
	while (want[n])
		n++;
	assert_int_equal(l->n, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

static void test_seed_header(void **state)
{
	(void)state;
	struct sop *s = parse_seed();
	const struct sop_header *h = &s->header;
	assert_string_equal(s->code, SOP_DEFAULT_CODE);
	assert_string_equal(h->number, "OT.01.02-057-057.Set.KumSidhal");
	assert_string_equal(h->title.id, "SOP Mikro Pemilihan dan Pengunggahan Data");
	assert_non_null(strstr(h->title.en, "Selection and Uploading of Data"));
	assert_string_equal(h->organisation,
			    "Kementerian Koordinator Bidang Politik, Hukum, dan Keamanan Republik "
			    "Indonesia \xe2\x80\x94 Sekretariat Kementerian Koordinator");
	assert_string_equal(h->unit, "Biro Hukum, Persidangan, dan Hubungan Masyarakat");
	assert_string_equal(h->made, "2023-09-27");
	assert_null(h->revised);
	assert_int_equal(h->revision, 0);
	assert_string_equal(h->effective, "2023-10-10");
	assert_string_equal(h->approved_title,
			    "Kepala Biro Hukum, Persidangan, dan Hubungan Masyarakat");
	assert_string_equal(h->approved_name, "M. Nazif, M.Tr. (Han)");
	assert_string_equal(h->approved_id, "NRP. 10350/P");
	static const char *const legal[] = {
		"Undang-undang Nomor 30 Tahun 2014 tentang Administrasi Pemerintahan",
		"Peraturan Presiden Nomor 68 Tahun 2019 tentang Organisasi Kementerian Negara",
		"Permenko Polhukam Nomor 4 tahun 2023 Tentang Perubahan atas Peraturan Menteri "
		"Koordinator Bidang Politik, Hukum, dan Keamanan Nomor 1 Tahun 2021 tentang "
		"Organisasi dan Tata Kerja Kemenko Polhukam",
		"Keputusan Menko Polhukam Nomor 44 Tahun 2018 tentang SOP Administrasi "
		"Pemerintahan di Kemenko Polhukam",
		NULL,
	};
	assert_list(&h->legal_basis, legal);
	static const char *const quals[] = {
		"Memiliki pengetahuan dan kecakapan yang berkaitan dengan jalannya rapat "
		"koordinasi",
		"Mampu berkoordinasi dan berkomunikasi dengan baik",
		"Mampu menjaga kerahasiaan dokumen",
		"Mampu mengoperasikan internet dan komputer program microsoft office",
		NULL,
	};
	assert_list(&h->qualifications, quals);
	static const char *const related[] = {"SOP Makro Pengelolaan Hasil Risalah Persidangan",
					      NULL};
	assert_list(&h->related, related);
	static const char *const equipment[] = {
		"Alat Tulis Kantor (ATK), Filling Kabinet, lemari besi",
		"Perangkat komputer (komputer, printer, scanner, laptop)",
		NULL,
	};
	assert_list(&h->equipment, equipment);
	assert_string_equal(h->warning,
			    "Apabila SOP ini tidak dilaksanakan maka proses pemilihan dan "
			    "pengunggahan data menjadi terhambat");
	static const char *const records[] = {"Disimpan dalam data elektronik dan manual", NULL};
	assert_list(&h->record_keeping, records);
	assert_true(hex_is_sha256(s->sha256));
	assert_int_equal(s->version, 0);
	sop_free(s);
}

static void test_seed_roles_and_checklist(void **state)
{
	(void)state;
	struct sop *s = parse_seed();
	static const struct {
		const char *code, *title, *column, *superior;
	} want[] = {
		{"karo_hph", "Kepala Biro HPH", "Karo HPH", NULL},
		{"kabag_persidangan", "Kepala Bagian Persidangan", "Kabag Persidangan", "karo_hph"},
		{"kasubbag_pengelolaan", "Kepala Subbagian Pengelolaan Persidangan",
		 "Kasubbag Pengelolaan Persidangan", "kabag_persidangan"},
		{"pengelola_persidangan", "Pengelola Persidangan", "Pengelola Persidangan",
		 "kasubbag_pengelolaan"},
		{"pengelola_naskah", "Pengelola Naskah", "Pengelola Naskah",
		 "kasubbag_pengelolaan"},
	};
	assert_int_equal(s->nroles, 5);
	for (int i = 0; i < 5; i++) {
		const struct sop_role *r = &s->roles[i];
		assert_string_equal(r->code, want[i].code);
		assert_string_equal(r->title.id, want[i].title);
		assert_string_equal(r->column, want[i].column);
		if (want[i].superior)
			assert_string_equal(r->superior, want[i].superior);
		else
			assert_null(r->superior);
		assert_ptr_equal(sop_role(s, want[i].code), r);
	}
	assert_null(sop_role(s, "admin"));
	/* The checklist's types are the ones the API serves per stage (src/api/health.c). */
	assert_int_equal(s->nchecklist, 3);
	static const char *const types[3][6] = {
		{"undangan", "kak_tor", "agenda", "nota_dinas", "bahan_rapat", NULL},
		{"daftar_hadir", "bahan_paparan", "notulensi", "dokumentasi", NULL},
		{"risalah", "laporan_hasil_rapat", "rekomendasi", "tindak_lanjut", NULL},
	};
	static const char *const stages[] = {"perencanaan", "pelaksanaan", "pelaporan"};
	for (int i = 0; i < 3; i++) {
		assert_string_equal(s->checklist[i].stage, stages[i]);
		int n = 0;
		while (types[i][n]) {
			assert_string_equal(s->checklist[i].required[n], types[i][n]);
			n++;
		}
		assert_int_equal(s->checklist[i].nrequired, n);
	}
	sop_free(s);
}

static void test_seed_steps(void **state)
{
	(void)state;
	struct sop *s = parse_seed();
	assert_int_equal(s->nsteps, 9);
	static const struct {
		const char *role;
		unsigned actions;
		int next;
		const char *text_start;
	} want[] = {
		{"pengelola_persidangan", SOP_ACT_COMPILE, 2,
		 "Melakukan alih media dokumen hard copy"},
		{"kasubbag_pengelolaan", SOP_ACT_CHECK, 3,
		 "Melakukan pengecekan dokumen persidangan"},
		{"karo_hph", SOP_ACT_DECIDE, 0,
		 "Melakukan persetujuan (ACC) kepada Kepala Biro HPH"},
		{"kabag_persidangan", SOP_ACT_DISPOSE, 5, "Memberikan disposisi kepada Kasubbag"},
		{"kasubbag_pengelolaan", SOP_ACT_DISPOSE, 6,
		 "Memberikan disposisi kepada Pengelola"},
		{"pengelola_persidangan", SOP_ACT_PUBLISH, 7, "Mengakses aplikasi dan melakukan"},
		{"pengelola_naskah", SOP_ACT_PUBLISH | SOP_ACT_REPORT, 8, "Melakukan pengunggahan"},
		{"kabag_persidangan", SOP_ACT_REPORT, 9, "Melaporkan kepada Kepala Biro HPH"},
		{"karo_hph", SOP_ACT_VERIFY, 0, "Melakukan verifikasi atas dokumen persidangan"},
	};
	for (int i = 0; i < 9; i++) {
		const struct sop_step *st = &s->steps[i];
		assert_int_equal(st->number, i + 1);
		assert_ptr_equal(sop_step(s, i + 1), st);
		assert_string_equal(st->role, want[i].role);
		assert_int_equal(st->actions, want[i].actions);
		assert_int_equal(st->next.step, want[i].next);
		assert_int_equal(
			strncmp(st->text.id, want[i].text_start, strlen(want[i].text_start)), 0);
		assert_non_null(st->text.en);
		assert_string_not_equal(st->text.en, st->text.id);
		assert_true(st->line > 0);
		assert_int_equal(st->start, i == 0);
		assert_int_equal(st->end, i == 8);
		assert_int_equal(st->kind, i == 2 ? SOP_DECISION : SOP_PROCESS);
	}
	assert_ptr_equal(sop_start(s), &s->steps[0]);
	assert_null(sop_step(s, 10));
	/* Step 1 is shared with the Pengelola Naskah. */
	assert_int_equal(s->steps[0].nalso, 1);
	assert_string_equal(s->steps[0].also[0], "pengelola_naskah");
	/* Step 3 verbatim, and its two branches. */
	assert_string_equal(
		s->steps[2].text.id,
		"Melakukan persetujuan (ACC) kepada Kepala Biro HPH untuk mengunggah dokumen "
		"persidangan yang telah selesai dilaksanakan. Apabila dokumen persidangan "
		"tidak disetujui untuk diunggah, maka dokumen persidangan disimpan di "
		"komputer dan tidak diunggah.");
	const struct sop_step *d = &s->steps[2];
	assert_int_equal(d->nanswers, 2);
	assert_string_equal(d->answers[0].code, "ya");
	assert_string_equal(d->answers[0].label.id, "Ya (ACC)");
	assert_int_equal(d->answers[0].next.step, 4);
	assert_string_equal(d->answers[1].code, "tidak");
	assert_string_equal(d->answers[1].label.id, "Tidak");
	assert_string_equal(d->answers[1].label.en, "No");
	assert_int_equal(d->answers[1].next.step, 0);
	assert_string_equal(d->answers[1].next.outcome, "kept_internal");
	/* Publish stages. */
	assert_int_equal(s->steps[5].nstages, 1);
	assert_string_equal(s->steps[5].stages[0], "perencanaan");
	assert_int_equal(s->steps[6].nstages, 2);
	assert_string_equal(s->steps[6].stages[0], "pelaksanaan");
	assert_string_equal(s->steps[6].stages[1], "pelaporan");
	/* Mutu Baku: only steps 8 and 9 in the source, plus step 7's reconstructed output. */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(s->steps[i].ninputs, 0);
		assert_int_equal(s->steps[i].waktu_minutes, 0);
		assert_null(s->steps[i].output.code);
	}
	assert_string_equal(s->steps[6].output.code, "laporan_pengelola_naskah");
	assert_string_equal(s->steps[6].output.name.id, "Laporan Pengelola Naskah");
	assert_int_equal(s->steps[6].waktu_minutes, 0);
	const struct sop_step *r = &s->steps[7];
	assert_int_equal(r->ninputs, 1);
	assert_string_equal(r->inputs[0].code, "laporan_pengelola_naskah");
	assert_string_equal(r->inputs[0].name.id, "Laporan Pengelola Naskah");
	assert_int_equal(r->waktu_minutes, 5);
	assert_string_equal(r->output.code, "laporan_kepala_bagian_persidangan");
	assert_string_equal(r->output.name.id, "Laporan Kepala Bagian Persidangan");
	const struct sop_step *v = &s->steps[8];
	assert_int_equal(v->ninputs, 1);
	assert_string_equal(v->inputs[0].code, "laporan_kepala_bagian_persidangan");
	assert_string_equal(v->inputs[0].name.id, "Laporan Kepala Bagian Persidangan");
	assert_int_equal(v->waktu_minutes, 10);
	assert_string_equal(v->output.code, "dokumen_persidangan_telah_diunggah");
	assert_string_equal(v->output.name.id, "dokumen persidangan telah diunggah");
	assert_string_equal(v->next.outcome, "completed");
	sop_free(s);
}

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(sop_action_name(SOP_ACT_COMPILE), "compile");
	assert_string_equal(sop_action_name(SOP_ACT_CHECK), "check");
	assert_string_equal(sop_action_name(SOP_ACT_DECIDE), "decide");
	assert_string_equal(sop_action_name(SOP_ACT_DISPOSE), "dispose");
	assert_string_equal(sop_action_name(SOP_ACT_PUBLISH), "publish");
	assert_string_equal(sop_action_name(SOP_ACT_REPORT), "report");
	assert_string_equal(sop_action_name(SOP_ACT_VERIFY), "verify");
	assert_null(sop_action_name((enum sop_action)3));
	assert_null(sop_action_name((enum sop_action)128));
}

static json_t *path(json_t *j, const char *p)
{
	/* "steps.2.answers.1.next.end" */
	char buf[128];
	snprintf(buf, sizeof buf, "%s", p);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t && j; t = strtok_r(NULL, ".", &save)) {
		if (t[0] >= '0' && t[0] <= '9')
			j = json_array_get(j, strtoul(t, NULL, 10));
		else
			j = json_object_get(j, t);
	}
	if (!j)
		fail_msg("no %s in the JSON", p);
	return j;
}

static void assert_json_str(json_t *j, const char *p, const char *want)
{
	json_t *v = path(j, p);
	if (!json_is_string(v))
		fail_msg("%s is not a string", p);
	assert_string_equal(json_string_value(v), want);
}

static void assert_json_int(json_t *j, const char *p, json_int_t want)
{
	json_t *v = path(j, p);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", p);
	assert_int_equal(json_integer_value(v), want);
}

static void test_json(void **state)
{
	(void)state;
	struct sop *s = parse_seed();
	json_t *j = sop_to_json(s);
	assert_non_null(j);
	/* Round-trip through text: what the API sends is what the UI reads. */
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_error_t jerr;
	json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(back);
	assert_true(json_equal(j, back));
	free(text);
	json_decref(j);
	j = back;

	assert_json_str(j, "code", SOP_DEFAULT_CODE);
	assert_true(json_is_null(path(j, "version")));
	assert_json_str(j, "sha256", s->sha256);
	assert_json_str(j, "header.number", "OT.01.02-057-057.Set.KumSidhal");
	assert_json_str(j, "header.title.id", "SOP Mikro Pemilihan dan Pengunggahan Data");
	assert_json_str(j, "header.made", "2023-09-27");
	assert_true(json_is_null(path(j, "header.revised")));
	assert_json_int(j, "header.revision", 0);
	assert_json_str(j, "header.effective", "2023-10-10");
	assert_json_str(j, "header.approved_by.name", "M. Nazif, M.Tr. (Han)");
	assert_json_str(j, "header.approved_by.id", "NRP. 10350/P");
	assert_int_equal(json_array_size(path(j, "header.legal_basis")), 4);
	assert_int_equal(json_array_size(path(j, "header.qualifications")), 4);
	assert_int_equal(json_array_size(path(j, "header.related")), 1);
	assert_int_equal(json_array_size(path(j, "header.equipment")), 2);
	assert_int_equal(json_array_size(path(j, "header.record_keeping")), 1);
	assert_json_str(j, "header.warning", s->header.warning);
	assert_int_equal(json_array_size(path(j, "roles")), 5);
	assert_json_str(j, "roles.0.code", "karo_hph");
	assert_true(json_is_null(path(j, "roles.0.superior")));
	assert_json_str(j, "roles.4.superior", "kasubbag_pengelolaan");
	assert_json_str(j, "roles.2.column", "Kasubbag Pengelolaan Persidangan");
	assert_json_str(j, "checklist.1.stage", "pelaksanaan");
	assert_json_str(j, "checklist.2.required.3", "tindak_lanjut");
	assert_int_equal(json_array_size(path(j, "steps")), 9);
	assert_json_int(j, "steps.0.number", 1);
	assert_true(json_is_true(path(j, "steps.0.start")));
	assert_json_str(j, "steps.0.also.0", "pengelola_naskah");
	assert_json_str(j, "steps.0.actions.0", "compile");
	assert_json_int(j, "steps.0.next.step", 2);
	assert_json_str(j, "steps.2.kind", "decision");
	assert_true(json_is_null(path(j, "steps.2.next")));
	assert_json_str(j, "steps.2.answers.0.label.id", "Ya (ACC)");
	assert_json_int(j, "steps.2.answers.0.next.step", 4);
	assert_json_str(j, "steps.2.answers.1.next.end", "kept_internal");
	assert_json_str(j, "steps.6.actions.0", "publish");
	assert_json_str(j, "steps.6.actions.1", "report");
	assert_json_str(j, "steps.6.stages.1", "pelaporan");
	assert_json_str(j, "steps.6.output.code", "laporan_pengelola_naskah");
	assert_json_str(j, "steps.7.inputs.0.code", "laporan_pengelola_naskah");
	assert_json_str(j, "steps.7.inputs.0.name.id", "Laporan Pengelola Naskah");
	assert_json_int(j, "steps.7.waktu_minutes", 5);
	assert_true(json_is_null(path(j, "steps.6.waktu_minutes")));
	assert_true(json_is_null(path(j, "steps.0.output")));
	assert_json_int(j, "steps.8.waktu_minutes", 10);
	assert_json_str(j, "steps.8.output.name.id", "dokumen persidangan telah diunggah");
	assert_true(json_is_true(path(j, "steps.8.end")));
	assert_json_str(j, "steps.8.next.end", "completed");
	json_decref(j);
	sop_free(s);
}

/* ---- refusals -------------------------------------------------------------------------------- */

/* Parses the first line "# expect: LINE: REASON" of a fixture. */
static bool expectation(const char *text, size_t len, int *line, char *reason, size_t rlen)
{
	static const char tag[] = "# expect: ";
	if (len < sizeof tag - 1 || memcmp(text, tag, sizeof tag - 1) != 0)
		return false;
	const char *p = text + sizeof tag - 1;
	const char *nl = memchr(p, '\n', len - (size_t)(p - text));
	if (!nl)
		return false;
	char *end;
	long n = strtol(p, &end, 10);
	if (end == p || end[0] != ':' || end[1] != ' ' || end >= nl)
		return false;
	*line = (int)n;
	size_t k = (size_t)(nl - (end + 2));
	if (k >= rlen)
		return false;
	memcpy(reason, end + 2, k);
	reason[k] = '\0';
	return true;
}

static void check_fixture(const char *dir, const char *name, int *count)
{
	char rel[512];
	snprintf(rel, sizeof rel, "%s/%s", dir, name);
	size_t len;
	char *text = read_source_file(rel, &len);
	int line;
	char reason[256];
	if (!expectation(text, len, &line, reason, sizeof reason))
		fail_msg("%s: the first line must be '# expect: LINE: REASON'", rel);
	struct sop *s = NULL;
	struct sop_error err;
	enum status st = sop_parse(text, len, rel, &s, &err);
	if (st == ST_OK)
		fail_msg("%s: accepted, expected %d: %s", rel, line, reason);
	assert_null(s);
	if (err.line != line || !strstr(err.message, reason))
		fail_msg("%s: refused with %d: %s; expected %d: %s", rel, err.line, err.message,
			 line, reason);
	assert_string_equal(err.file, rel);
	for (const char *c = err.message; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
	free(text);
	(*count)++;
}

static void test_fixtures(void **state)
{
	(void)state;
	char dirpath[4200];
	snprintf(dirpath, sizeof dirpath, "%s/tests/fixtures/sop", source_dir());
	DIR *d = opendir(dirpath);
	assert_non_null(d);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0)
			check_fixture("tests/fixtures/sop", e->d_name, &count);
	}
	closedir(d);
	/* The refusals the issue names must each have a fixture. */
	static const char *const required[] = {
		"unknown-role.yaml",     "unknown-action.yaml",      "next-missing-step.yaml",
		"unreachable-step.yaml", "decision-one-answer.yaml", "answer-without-next.yaml",
		"cycle-no-exit.yaml",    "two-starts.yaml",          "no-start.yaml",
		"unknown-key.yaml",      "wrong-type.yaml",          "alias.yaml",
		"anchor.yaml",           "duplicate-step.yaml",      "unknown-input.yaml",
		"bad-stage.yaml",        "too-many-steps.yaml",      "invalid-utf8.yaml",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		char p[4300];
		snprintf(p, sizeof p, "%s/%s", dirpath, required[i]);
		if (access(p, R_OK) != 0)
			fail_msg("missing fixture %s", required[i]);
	}
	assert_true(count >= 60);
}

static void test_fixtures_ok(void **state)
{
	(void)state;
	static const char *const names[] = {"tests/fixtures/sop/ok/minimal.yaml",
					    "tests/fixtures/sop/ok/revision-loop.yaml"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len;
		char *text = read_source_file(names[i], &len);
		struct sop *s = parse_ok(text, len, names[i]);
		assert_string_equal(s->code, "minimal");
		assert_int_equal(s->nsteps, 3);
		sop_free(s);
		free(text);
	}
}

static void test_too_large(void **state)
{
	(void)state;
	size_t len = SOP_DEFINITION_BYTES + 1;
	char *text = malloc(len);
	assert_non_null(text);
	memset(text, '#', len);
	struct sop *s = (struct sop *)1;
	struct sop_error err;
	assert_int_equal(sop_parse(text, len, "big.yaml", &s, &err), ST_TOO_LARGE);
	assert_null(s);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.message, "larger than"));
	char msg[600];
	sop_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, "big.yaml: larger than 262144 bytes");
	free(text);
}

/* Limits past which the YAML itself is refused, before any schema. */
static void test_yaml_limits(void **state)
{
	(void)state;
	/* 30000 scalars in a flow list: more nodes than SOP_YAML_NODES. */
	size_t n = 30000, len = 0;
	char *text = malloc(8 + 2 * n + 4);
	assert_non_null(text);
	len += (size_t)snprintf(text, 16, "code: [");
	for (size_t i = 0; i < n; i++) {
		text[len++] = 'a';
		text[len++] = ',';
	}
	text[len++] = ']';
	text[len++] = '\n';
	struct sop *s = NULL;
	struct sop_error err;
	assert_int_equal(sop_parse(text, len, "nodes.yaml", &s, &err), ST_INVALID);
	assert_non_null(strstr(err.message, "YAML nodes"));
	free(text);
	/* A NULL ERR is allowed. */
	assert_int_equal(sop_parse("steps: [", 8, NULL, &s, NULL), ST_INVALID);
	assert_null(s);
}

/* Every prefix of the seed is refused cleanly or (the whole) accepted: no crash, no leak. */
static void test_truncations(void **state)
{
	(void)state;
	const struct builtin_sop *b = builtin(SEED_NAME);
	for (size_t n = 0; n < b->len; n += 37) {
		struct sop *s = NULL;
		struct sop_error err;
		enum status st = sop_parse((const char *)b->data, n, "cut.yaml", &s, &err);
		assert_int_equal(st, ST_INVALID);
		assert_null(s);
		assert_true(err.message[0] != '\0');
	}
}

static void test_error_format(void **state)
{
	(void)state;
	struct sop_error e = {"sop/x.yaml", 42, "step 5: unknown role 'kasubag'"};
	char out[300];
	sop_error_format(&e, out, sizeof out);
	assert_string_equal(out, "sop/x.yaml:42: step 5: unknown role 'kasubag'");
	e.line = 0;
	sop_error_format(&e, out, sizeof out);
	assert_string_equal(out, "sop/x.yaml: step 5: unknown role 'kasubag'");
}

/* ---- storage --------------------------------------------------------------------------------- */

struct fx {
	FX_FIELDS;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	FX_OPEN(f, "sop", 4);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sop_cache_clear();
	FX_CLOSE(f);
	free(f);
	return 0;
}

static const struct actor admin = {1, "root", "192.0.2.1"};

static const char minimal_v1[] =
	"code: minimal\n"
	"header:\n"
	"  number: X.1\n"
	"  title: Minimal\n"
	"  organisation: Organisasi\n"
	"  unit: Unit\n"
	"  made: 2024-01-01\n"
	"  effective: 2024-01-02\n"
	"  approved_by: {title: Kepala, name: A}\n"
	"roles:\n"
	"  - {code: kepala, title: {id: Kepala Bagian, en: Head}}\n"
	"  - {code: staf, title: Staf, superior: kepala}\n"
	"steps:\n"
	"  - {number: 1, start: true, role: staf, actions: [compile], text: Menghimpun, next: 2}\n"
	"  - {number: 2, role: kepala, actions: [dispose], text: Disposisi, next: 3}\n"
	"  - {number: 3, role: staf, actions: [report], text: Melapor, end: completed}\n";

/* Version 2: a fourth step, and a new role under staf. */
static const char minimal_v2[] =
	"code: minimal\n"
	"header:\n"
	"  number: X.1\n"
	"  title: Minimal\n"
	"  organisation: Organisasi\n"
	"  unit: Unit\n"
	"  made: 2024-01-01\n"
	"  revised: 2024-06-01\n"
	"  revision: 1\n"
	"  effective: 2024-06-02\n"
	"  approved_by: {title: Kepala, name: A}\n"
	"roles:\n"
	"  - {code: kepala, title: {id: Kepala Bagian, en: Head}}\n"
	"  - {code: staf, title: Staf, superior: kepala}\n"
	"  - {code: magang, title: Magang, superior: staf}\n"
	"steps:\n"
	"  - {number: 1, start: true, role: staf, actions: [compile], text: Menghimpun, next: 2}\n"
	"  - {number: 2, role: kepala, actions: [dispose], text: Disposisi, next: 3}\n"
	"  - {number: 3, role: magang, actions: [report], text: Melapor, next: 4}\n"
	"  - {number: 4, role: kepala, actions: [verify], text: Verifikasi, end: completed}\n";

static int64_t count_versions(struct fx *f)
{
	int64_t n = 0;
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_SOP_LIST, &s), ST_OK);
	while (db_step(s, &row) == ST_OK && row)
		n++;
	db_done(s);
	return n;
}

static void assert_role(struct fx *f, const char *code, const char *name_id, const char *kind,
			const char *superior)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_SOP_ROLE_GET, &s), ST_OK);
	db_bind_text(s, 1, code);
	assert_int_equal(db_step(s, &row), ST_OK);
	if (!row)
		fail_msg("role %s missing", code);
	assert_string_equal(db_col_text(s, 0), name_id);
	assert_string_equal(db_col_text(s, 2), kind);
	if (superior)
		assert_string_equal(db_col_text(s, 4), superior);
	else
		assert_null(db_col_text(s, 4));
	db_done(s);
}

/* The detail of the last audit entry, which must be ACTION. Caller frees. */
static char *last_audit(struct fx *f, const char *action)
{
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_COUNT, &s), ST_OK);
	assert_int_equal(db_step(s, &row), ST_OK);
	int64_t n = db_col_int(s, 0);
	db_done(s);
	assert_int_equal(db_prepare(f->c, SQL_AUDIT_SCAN, &s), ST_OK);
	db_bind_int(s, 1, n);
	db_bind_int(s, 2, 1);
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	assert_string_equal(db_col_text(s, 5), action);
	char *detail = strdup(db_col_text(s, 8));
	db_done(s);
	return detail;
}

static void test_import_versions(void **state)
{
	struct fx *f = *state;
	int64_t id1, id2, id;
	int version;
	bool unchanged;
	struct sop_error err;

	assert_int_equal(sop_latest(f->c, "minimal", &id), ST_NOT_FOUND);
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v1, strlen(minimal_v1),
				    "sop/minimal.yaml", &id1, &version, &unchanged, &err),
			 ST_OK);
	assert_int_equal(version, 1);
	assert_false(unchanged);
	assert_true(id1 > 0);
	char *detail = last_audit(f, "sop.import");
	char sha[65];
	sha256_hex(minimal_v1, strlen(minimal_v1), sha);
	assert_non_null(strstr(detail, "\"code\":\"minimal\""));
	assert_non_null(strstr(detail, "\"version\":1"));
	assert_non_null(strstr(detail, sha));
	assert_non_null(strstr(detail, "\"filename\":\"sop/minimal.yaml\""));
	free(detail);

	/* The same text again: nothing new. */
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v1, strlen(minimal_v1),
				    "elsewhere.yaml", &id, &version, &unchanged, &err),
			 ST_OK);
	assert_true(unchanged);
	assert_int_equal(version, 1);
	assert_int_equal(id, id1);
	assert_int_equal(count_versions(f), 1);

	/* An edited text: version 2. */
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v2, strlen(minimal_v2),
				    "sop/minimal.yaml", &id2, &version, &unchanged, &err),
			 ST_OK);
	assert_false(unchanged);
	assert_int_equal(version, 2);
	assert_int_not_equal(id2, id1);
	assert_int_equal(sop_latest(f->c, "minimal", &id), ST_OK);
	assert_int_equal(id, id2);
	assert_int_equal(sop_find_version(f->c, "minimal", 1, &id), ST_OK);
	assert_int_equal(id, id1);
	assert_int_equal(sop_find_version(f->c, "minimal", 3, &id), ST_NOT_FOUND);

	/* Back to the first text: it is not the latest, so it is stored as version 3. */
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v1, strlen(minimal_v1), "v1.yaml",
				    &id, &version, &unchanged, &err),
			 ST_OK);
	assert_false(unchanged);
	assert_int_equal(version, 3);

	/* Each version keeps its own definition: a case started on version 1 still sees 3 steps. */
	const struct sop *s1, *s2, *again;
	assert_int_equal(sop_load_version(f->c, id1, &s1), ST_OK);
	assert_int_equal(sop_load_version(f->c, id2, &s2), ST_OK);
	assert_int_equal(s1->nsteps, 3);
	assert_int_equal(s2->nsteps, 4);
	assert_int_equal(s1->version, 1);
	assert_int_equal(s2->version, 2);
	assert_int_equal(s1->version_id, id1);
	assert_string_equal(s1->sha256, sha);
	assert_string_equal(s2->header.revised, "2024-06-01");
	assert_int_equal(sop_load_version(f->c, id1, &again), ST_OK);
	assert_ptr_equal(again, s1);
	assert_int_equal(sop_load_version(f->c, 999, &again), ST_NOT_FOUND);

	char *text;
	size_t len;
	assert_int_equal(sop_version_source(f->c, id2, &text, &len), ST_OK);
	assert_int_equal(len, strlen(minimal_v2));
	assert_string_equal(text, minimal_v2);
	free(text);
	assert_int_equal(sop_version_source(f->c, 999, &text, &len), ST_NOT_FOUND);
	assert_null(text);

	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
	assert_int_equal(res.entries, 3);
}

static void test_import_roles(void **state)
{
	struct fx *f = *state;
	int64_t id;
	int version;
	bool unchanged;
	struct sop_error err;
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v1, strlen(minimal_v1), "m.yaml",
				    &id, &version, &unchanged, &err),
			 ST_OK);
	assert_role(f, "kepala", "Kepala Bagian", "sop", NULL);
	assert_role(f, "staf", "Staf", "sop", "kepala");
	assert_int_equal(sop_import(f->c, f->a, &admin, minimal_v2, strlen(minimal_v2), "m.yaml",
				    &id, &version, &unchanged, &err),
			 ST_OK);
	assert_role(f, "magang", "Magang", "sop", "staf");

	/* The seed's roles exist from migration 1; importing it sets their superiors. */
	const struct builtin_sop *b = builtin(SEED_NAME);
	assert_int_equal(sop_import(f->c, f->a, &admin, (const char *)b->data, b->len, b->name, &id,
				    &version, &unchanged, &err),
			 ST_OK);
	assert_role(f, "karo_hph", "Kepala Biro HPH", "sop", NULL);
	assert_role(f, "kabag_persidangan", "Kepala Bagian Persidangan", "sop", "karo_hph");
	assert_role(f, "kasubbag_pengelolaan", "Kepala Subbagian Pengelolaan Persidangan", "sop",
		    "kabag_persidangan");
	assert_role(f, "pengelola_persidangan", "Pengelola Persidangan", "sop",
		    "kasubbag_pengelolaan");
	assert_role(f, "pengelola_naskah", "Pengelola Naskah", "sop", "kasubbag_pengelolaan");
	assert_role(f, "admin", "Administrator", "admin", NULL);
}

static void test_import_refuses_system_role(void **state)
{
	struct fx *f = *state;
	/* minimal_v1 with "staf" spelled "admin", a role of the system. */
	static const char text[] =
		"code: minimal\n"
		"header:\n"
		"  number: X.1\n"
		"  title: Minimal\n"
		"  organisation: Organisasi\n"
		"  unit: Unit\n"
		"  made: 2024-01-01\n"
		"  effective: 2024-01-02\n"
		"  approved_by: {title: Kepala, name: A}\n"
		"roles:\n"
		"  - {code: kepala, title: {id: Kepala Bagian, en: Head}}\n"
		"  - {code: admin, title: Staf, superior: kepala}\n"
		"steps:\n"
		"  - {number: 1, start: true, role: admin, actions: [compile], text: A, next: 2}\n"
		"  - {number: 2, role: kepala, actions: [dispose], text: B, end: completed}\n";
	int64_t id;
	int version;
	bool unchanged;
	struct sop_error err;
	assert_int_equal(sop_import(f->c, f->a, &admin, text, strlen(text), "bad.yaml", &id,
				    &version, &unchanged, &err),
			 ST_INVALID);
	assert_int_equal(err.line, 12);
	assert_non_null(strstr(err.message, "role 'admin'"));
	assert_non_null(strstr(err.message, "admin role"));
	/* Nothing was written: no version, no role change, no audit entry. */
	assert_int_equal(count_versions(f), 0);
	assert_role(f, "admin", "Administrator", "admin", NULL);
	struct db_stmt *s;
	bool row;
	assert_int_equal(db_prepare(f->c, SQL_SOP_ROLE_GET, &s), ST_OK);
	db_bind_text(s, 1, "kepala");
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_false(row);
	db_done(s);
	struct audit_verify_result res;
	assert_int_equal(audit_verify(f->c, NULL, &res), ST_OK);
	assert_int_equal(res.entries, 0);

	/* A broken definition is refused the same way, with its line. */
	assert_int_equal(sop_import(f->c, f->a, &admin, "code: x\n", 8, "x.yaml", &id, &version,
				    &unchanged, &err),
			 ST_INVALID);
	assert_string_equal(err.file, "x.yaml");
	assert_non_null(strstr(err.message, "missing 'header'"));
}

struct list_ctx {
	int n;
	struct sop_version_info v[8];
};

static enum status on_version(void *ctx, const struct sop_version_info *v)
{
	struct list_ctx *l = ctx;
	if (l->n == 8)
		return ST_TOO_LARGE;
	l->v[l->n++] = *v;
	return ST_OK;
}

static void test_builtin_import(void **state)
{
	struct fx *f = *state;
	int imported = -1;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	assert_int_equal(imported, 1);
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	assert_int_equal(imported, 0);
	int64_t id;
	assert_int_equal(sop_latest(f->c, SOP_DEFAULT_CODE, &id), ST_OK);
	const struct sop *s;
	assert_int_equal(sop_load_version(f->c, id, &s), ST_OK);
	assert_int_equal(s->nsteps, 9);
	assert_int_equal(s->version, 1);

	/* An administrator's edit (version 2) survives a restart: the built-in text is stored. */
	const struct builtin_sop *b = builtin(SEED_NAME);
	size_t len = b->len + 32;
	char *edited = malloc(len + 1);
	assert_non_null(edited);
	int k = snprintf(edited, len + 1, "# edited by the administrator\n%s",
			 (const char *)b->data);
	assert_true(k > 0);
	int version;
	bool unchanged;
	struct sop_error err;
	assert_int_equal(sop_import(f->c, f->a, &admin, edited, (size_t)k, "edited.yaml", &id,
				    &version, &unchanged, &err),
			 ST_OK);
	assert_int_equal(version, 2);
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	assert_int_equal(imported, 0);
	int64_t latest;
	assert_int_equal(sop_latest(f->c, SOP_DEFAULT_CODE, &latest), ST_OK);
	assert_int_equal(latest, id);
	free(edited);

	struct list_ctx l = {0};
	assert_int_equal(sop_versions(f->c, on_version, &l), ST_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].code, SOP_DEFAULT_CODE);
	assert_int_equal(l.v[0].version, 1);
	assert_string_equal(l.v[0].filename, SEED_NAME);
	assert_string_equal(l.v[0].imported_by, "system");
	assert_string_equal(l.v[0].title, "SOP Mikro Pemilihan dan Pengunggahan Data");
	assert_true(hex_is_sha256(l.v[0].sha256));
	assert_int_equal(l.v[1].version, 2);
	assert_string_equal(l.v[1].imported_by, "root");
	assert_string_equal(l.v[1].filename, "edited.yaml");
	char *detail = last_audit(f, "sop.import");
	assert_non_null(strstr(detail, "\"version\":2"));
	free(detail);
}

struct loader {
	struct db *db;
	int64_t id;
	const struct sop *got;
};

static void *load_thread(void *arg)
{
	struct loader *l = arg;
	struct db_conn *c = db_acquire(l->db);
	if (sop_load_version(c, l->id, &l->got) != ST_OK)
		l->got = NULL;
	db_release(l->db, c);
	return NULL;
}

static void test_cache_threads(void **state)
{
	struct fx *f = *state;
	int imported;
	assert_int_equal(sop_import_builtin(f->c, f->a, &imported), ST_OK);
	int64_t id;
	assert_int_equal(sop_latest(f->c, SOP_DEFAULT_CODE, &id), ST_OK);
	sop_cache_clear();
	enum { N = 3 };
	pthread_t t[N];
	struct loader l[N];
	for (int i = 0; i < N; i++) {
		l[i] = (struct loader){f->db, id, NULL};
		assert_int_equal(pthread_create(&t[i], NULL, load_thread, &l[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < N; i++) {
		assert_non_null(l[i].got);
		assert_ptr_equal(l[i].got, l[0].got);
	}
	assert_int_equal(l[0].got->nsteps, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_is_the_file),
		cmocka_unit_test(test_seed_header),
		cmocka_unit_test(test_seed_roles_and_checklist),
		cmocka_unit_test(test_seed_steps),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_ok),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_yaml_limits),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test_setup_teardown(test_import_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_refuses_system_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builtin_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
