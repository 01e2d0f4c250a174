/*
 * SOP definitions as data. A definition is a human-editable YAML file (sop/NAME.yaml; format in
 * docs/sop-format.md): its header (the national SOP format's identity block), its roles (the
 * performer columns, each with its superior in the chain), its completeness checklist per stage,
 * and its steps. Parsing validates the whole definition and refuses it with file, line and reason.
 *
 * Definitions are versioned in the database (sop_versions): importing a text whose SHA-256 differs
 * from the code's latest version stores it as the next version. A case keeps the version it
 * started on; sop_load_version parses a stored version (cached, immutable once loaded).
 */
#ifndef SIDANG_DOMAIN_SOP_H
#define SIDANG_DOMAIN_SOP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/users.h"
#include "store/db.h"
#include "util/status.h"

#define SOP_MAX_STEPS 64
#define SOP_MAX_ROLES 16
#define SOP_MAX_ANSWERS 4
#define SOP_MAX_INPUTS 8
#define SOP_MAX_ALSO 4
#define SOP_MAX_STAGES 3
#define SOP_MAX_TYPES 16
#define SOP_MAX_LIST 16      /* items of a header list (legal basis, equipment, ...) */
#define SOP_CODE_MAX 64      /* role, artefact, answer and SOP codes: [a-z0-9_-] */
#define SOP_DEFINITION_BYTES (256 * 1024)
/* A role code is also what users hold (struct user's roles[][32], users.c: [a-z0-9_]), so it is
 * [a-z0-9_]{1,31}, stricter than the other codes. */
#define SOP_ROLE_CODE_MAX 31
/* One text of a definition (a step's text, a legal basis, ...): a paragraph, not a book. */
#define SOP_TEXT_BYTES 4096
/* Step numbers are what the document prints in its "No." column. */
#define SOP_STEP_NUMBER_MAX 999
/* Waktu of one step, in minutes: 30 days. More is not a time standard, and it keeps due times far
 * from overflow. */
#define SOP_WAKTU_MAX (30 * 24 * 60)
/* The YAML tree of one definition: a real one has a few hundred nodes, nested six deep. */
#define SOP_YAML_NODES 20000
#define SOP_YAML_DEPTH 16
/* Memory of one parse (the YAML tree) and of one parsed definition (struct sop and its strings). */
#define SOP_PARSE_ARENA_BYTES (8 * 1024 * 1024)
#define SOP_ARENA_BYTES (2 * 1024 * 1024)

/* The engine's built-in verbs a step binds to (a step may combine several, e.g. publish+report). */
enum sop_action {
	SOP_ACT_COMPILE = 1,  /* upload/scan documents into the dossier, then submit */
	SOP_ACT_CHECK = 2,    /* completeness checklist per stage, with a report */
	SOP_ACT_DECIDE = 4,   /* answer one of the step's answers, with a reason */
	SOP_ACT_DISPOSE = 8,  /* a disposition to the next step's role or a named holder of it */
	SOP_ACT_PUBLISH = 16, /* publish the documents of the step's stages, granting PICs per document */
	SOP_ACT_REPORT = 32,  /* a report (generated summary + own words) to the next performer */
	SOP_ACT_VERIFY = 64,  /* confirm or note each published document; closes the case */
};

/* "compile", "check", ...; NULL for an unknown bit. */
const char *sop_action_name(enum sop_action a);

enum sop_kind { SOP_PROCESS, SOP_DECISION };

/* A text in both languages of the UI. */
struct sop_text {
	const char *id;
	const char *en; /* may equal id when the definition gives one language */
};

/* A named artefact: a Kelengkapan input or an Output (e.g. "laporan_pengelola_naskah"). */
struct sop_artefact {
	const char *code;
	struct sop_text name;
};

/* Where a step (or a decision answer) leads: another step, or the end with an outcome. */
struct sop_next {
	int step;            /* step NUMBER, or 0 for the end */
	const char *outcome; /* at the end: "completed" or "kept_internal" */
};

struct sop_answer {
	const char *code;    /* "ya", "tidak" */
	struct sop_text label;
	struct sop_next next;
};

struct sop_step {
	int number;
	int line;                              /* where it starts in the file */
	struct sop_text text;
	const char *role;                      /* the performer column */
	const char *also[SOP_MAX_ALSO];        /* roles that may share the step */
	int nalso;
	enum sop_kind kind;
	bool start, end;                       /* terminator marks */
	unsigned actions;                      /* enum sop_action bits */
	const char *stages[SOP_MAX_STAGES];    /* publish: the stages it publishes */
	int nstages;
	struct sop_artefact inputs[SOP_MAX_INPUTS]; /* Mutu Baku: Kelengkapan */
	int ninputs;
	int waktu_minutes;                     /* Mutu Baku: Waktu; 0 when none */
	struct sop_artefact output;            /* Mutu Baku: Output; code NULL when none */
	const char *note;                      /* Keterangan; may be NULL */
	struct sop_next next;                  /* process steps */
	struct sop_answer answers[SOP_MAX_ANSWERS]; /* decision steps */
	int nanswers;
};

struct sop_role {
	const char *code;
	struct sop_text title;
	const char *column;   /* the performer column's heading in the document ("Karo HPH"); may
			       * be NULL */
	const char *superior; /* the role above it in the chain; NULL at the top */
	int line;             /* where it starts in the file */
};

struct sop_stage_checklist {
	const char *stage;
	const char *required[SOP_MAX_TYPES]; /* document types the stage must hold */
	int nrequired;
};

struct sop_list {
	const char *items[SOP_MAX_LIST];
	int n;
};

struct sop_header {
	const char *number;         /* Nomor SOP */
	struct sop_text title;      /* Judul */
	const char *organisation;   /* kementerian / sekretariat */
	const char *unit;           /* the bureau */
	const char *made;           /* Tanggal Pembuatan, YYYY-MM-DD */
	const char *revised;        /* Tanggal Revisi, or NULL */
	int revision;               /* Revisi ke, 0 when none */
	const char *effective;      /* Tanggal Efektif */
	const char *approved_title; /* Disahkan oleh: the office */
	const char *approved_name;
	const char *approved_id;    /* NIP or NRP */
	struct sop_list legal_basis;    /* Dasar Hukum */
	struct sop_list qualifications; /* Kualifikasi Pelaksana */
	struct sop_list related;        /* Keterkaitan */
	struct sop_list equipment;      /* Peralatan/perlengkapan */
	const char *warning;            /* Peringatan */
	struct sop_list record_keeping; /* Pencatatan dan pendataan */
};

struct sop {
	const char *code;  /* stable identity across versions, e.g. "pemilihan-pengunggahan-data" */
	struct sop_header header;
	struct sop_role roles[SOP_MAX_ROLES];
	int nroles;
	struct sop_stage_checklist checklist[SOP_MAX_STAGES];
	int nchecklist;
	struct sop_step steps[SOP_MAX_STEPS]; /* in file order */
	int nsteps;
	/* set when loaded from the database */
	int64_t version_id;
	int version;
	char sha256[65];
};

/* Where and why a definition was refused. */
struct sop_error {
	char file[256];
	int line;        /* 1-based; 0 when not tied to a line */
	char message[256];
};

/* "FILE:LINE: MESSAGE" (or "FILE: MESSAGE") into OUT. */
void sop_error_format(const struct sop_error *e, char *out, size_t outlen);

/* Parses and validates TEXT (LEN bytes, ≤ SOP_DEFINITION_BYTES) read from FILENAME (may be NULL).
 * Refuses (ST_INVALID, ERR filled; ERR may be NULL) YAML errors, anchors, aliases and tags,
 * unknown or repeated keys, wrong types, missing required fields, bad codes, an unknown role or
 * action, a next step that does not exist, a step that cannot be reached from the start, a
 * decision without a branch per answer (or a process step with answers), a step from which the
 * end cannot be reached (a cycle with no exit), no start or more than one, a Kelengkapan input no
 * other step outputs, and limits exceeded; ST_TOO_LARGE (ERR filled) over SOP_DEFINITION_BYTES.
 * The rules: docs/sop-format.md. On success *OUT (free with sop_free) has sha256 set, version 0. */
enum status sop_parse(const char *text, size_t len, const char *filename, struct sop **out,
		      struct sop_error *err);
void sop_free(struct sop *s);

const struct sop_step *sop_step(const struct sop *s, int number);
const struct sop_step *sop_start(const struct sop *s);
const struct sop_role *sop_role(const struct sop *s, const char *code);
/* The definition as JSON, for the API and the UI's drawing (docs/api.md, SOP). */
json_t *sop_to_json(const struct sop *s);

/* Imports a definition: parses it (ERR on refusal), upserts its roles into the roles table
 * (kind 'sop'), and stores it as the next version of its code unless the code's latest version has
 * the same SHA-256 (*unchanged_out true). Its own transaction, audited ("sop.import"). */
enum status sop_import(struct db_conn *c, struct audit *a, const struct actor *who,
		       const char *text, size_t len, const char *filename, int64_t *version_id_out,
		       int *version_out, bool *unchanged_out, struct sop_error *err);
/* Imports every definition built into the binary (sop/ at build time), as above, as the actor
 * "system" — but only a text not yet stored under its code, so that a restart never puts a
 * built-in definition back over a version an administrator imported since. *imported_out (may be
 * NULL) counts the new versions. A built-in definition that does not parse is logged with its
 * line and returned as ST_INVALID: start-up must refuse it. */
enum status sop_import_builtin(struct db_conn *c, struct audit *a, int *imported_out);
/* The latest version id of CODE: ST_NOT_FOUND when none. */
enum status sop_latest(struct db_conn *c, const char *code, int64_t *version_id_out);
/* The id of version VERSION of CODE: ST_NOT_FOUND when none. */
enum status sop_find_version(struct db_conn *c, const char *code, int version,
			     int64_t *version_id_out);
/* The parsed definition of a stored version. The result is shared and immutable: do not free
 * it (it lives until sop_cache_clear). Thread-safe. */
enum status sop_load_version(struct db_conn *c, int64_t version_id, const struct sop **out);
void sop_cache_clear(void);

struct sop_version_info {
	int64_t id;
	char code[SOP_CODE_MAX + 1];
	int version;
	char sha256[65];
	char title[256];
	char filename[256];
	int64_t imported_at;
	char imported_by[65];
};
/* Every stored version, by code then version. */
enum status sop_versions(struct db_conn *c,
			 enum status (*fn)(void *ctx, const struct sop_version_info *v), void *ctx);
/* The stored text of a version (malloc'ed, NUL-terminated). */
enum status sop_version_source(struct db_conn *c, int64_t version_id, char **text_out,
			       size_t *len_out);

/* The code of the SOP a new case runs: settings "default_sop", else
 * "pemilihan-pengunggahan-data". */
#define SOP_DEFAULT_CODE "pemilihan-pengunggahan-data"

#endif
