/*
 * SOP definitions (sop.h; the format in docs/sop-format.md). Parsing runs in three passes:
 * sop_yaml.c turns the bytes into a tree with lines; the schema pass maps the tree onto struct
 * sop, refusing unknown keys, wrong types, bad codes and exceeded limits; the graph pass checks
 * what needs the whole definition (roles referenced, targets, one start, reachability, an exit
 * from every step, Kelengkapan produced by some step). The tree lives in a scratch arena; the
 * definition and every string of it live in one arena that the struct sop itself sits in, so
 * sop_free is one release.
 */
#include "domain/sop.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sop_builtin.h"
#include "domain/sop_yaml.h"
#include "util/arena.h"
#include "util/hex.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

_Static_assert(sizeof(((struct sop_version_info *)0)->code) == SOP_CODE_MAX + 1, "code");

static const char *const action_names[] = {"compile", "check",  "decide", "dispose",
					   "publish", "report", "verify"};
#define NACTIONS ((int)(sizeof action_names / sizeof action_names[0]))

static const char *const stage_names[] = {"perencanaan", "pelaksanaan", "pelaporan"};
#define NSTAGES ((int)(sizeof stage_names / sizeof stage_names[0]))
_Static_assert(sizeof stage_names / sizeof stage_names[0] == SOP_MAX_STAGES, "stages");

static const char *const outcome_names[] = {"completed", "kept_internal"};

const char *sop_action_name(enum sop_action a)
{
	for (int i = 0; i < NACTIONS; i++)
		if ((unsigned)a == 1u << i)
			return action_names[i];
	return NULL;
}

void sop_error_format(const struct sop_error *e, char *out, size_t outlen)
{
	if (e->line > 0)
		snprintf(out, outlen, "%s:%d: %s", e->file, e->line, e->message);
	else
		snprintf(out, outlen, "%s: %s", e->file, e->message);
}

/* The definition and the arena that holds it (and every string it points to). */
struct sop_owned {
	struct sop s;
	struct arena arena;
};

void sop_free(struct sop *s)
{
	if (!s)
		return;
	/* The arena's blocks hold S itself: copy the arena out before releasing it. */
	struct arena a = ((struct sop_owned *)s)->arena;
	arena_release(&a);
}

/* ---- parse context and messages ------------------------------------------------------------ */

/* Lines of what a step refers to, for the graph pass's messages. */
struct step_lines {
	int number, role, also, actions, stages, next, end, answers;
	int also_item[SOP_MAX_ALSO];
	int input[SOP_MAX_INPUTS];
	int answer[SOP_MAX_ANSWERS];
	int answer_next[SOP_MAX_ANSWERS];
};

struct pctx {
	struct arena *a; /* the definition's */
	struct sop *s;
	struct sop_error *err;
	int steps_line;
	int checklist_line; /* 0 when the definition has none */
	int superior_line[SOP_MAX_ROLES];
	struct step_lines lines[SOP_MAX_STEPS];
};

/* Messages are printable ASCII: whatever of the file they quote has been through shown(). */
__attribute__((format(printf, 3, 4))) static enum status fail(struct pctx *p, int line,
							      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
	va_end(ap);
	p->err->line = line;
	return ST_INVALID;
}

/* Up to 40 bytes of S (N bytes) for a message, anything but printable ASCII as '?'. */
static const char *shown(const char *s, size_t n, char buf[48])
{
	size_t k = 0;
	for (; k < n && k < 40; k++) {
		unsigned char ch = (unsigned char)s[k];
		buf[k] = ch >= 0x20 && ch < 0x7f && ch != '\'' ? (char)ch : '?';
	}
	if (k < n) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

#define SHOWN(s) shown((s), strlen(s), (char[48]){0})
#define SHOWN_NODE(v) shown((v)->value, (v)->len, (char[48]){0})

/* ---- scalars --------------------------------------------------------------------------------- */

static bool scalar_is(const struct ynode *v, const char *s)
{
	size_t n = strlen(s);
	return v->kind == YN_SCALAR && v->len == n && memcmp(v->value, s, n) == 0;
}

/* YAML's null, written plain: empty, ~, null. */
static bool is_null(const struct ynode *v)
{
	return v->kind == YN_SCALAR && v->plain &&
	       (v->len == 0 || scalar_is(v, "~") || scalar_is(v, "null") || scalar_is(v, "Null") ||
		scalar_is(v, "NULL"));
}

/* Text as the UI shows it: valid UTF-8 without control characters other than tab and newline
 * (escapes such as "\0" or "\x85" in a quoted scalar can produce them). */
static bool text_ok(const char *s, size_t n)
{
	if (!utf8_valid(s, n))
		return false;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n') || u[i] == 0x7f)
			return false;
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

static bool code_ok(const char *s, size_t n, size_t max, bool dash)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      (dash && c == '-')))
			return false;
	}
	return true;
}

/* Text of key KEY (at LINE) into *OUT; NULL when V is NULL (absent or null). Trailing newlines
 * and spaces (left by block scalars) are not part of the text. */
static enum status get_str(struct pctx *p, const struct ynode *v, int line, const char *where,
			   const char *key, const char **out)
{
	*out = NULL;
	if (!v)
		return ST_OK;
	if (v->kind != YN_SCALAR)
		return fail(p, line, "%s'%s' must be text", where, key);
	size_t n = v->len;
	while (n > 0 && (v->value[n - 1] == '\n' || v->value[n - 1] == ' '))
		n--;
	if (n == 0)
		return fail(p, line, "%s'%s' must not be empty", where, key);
	if (n > SOP_TEXT_BYTES)
		return fail(p, line, "%s'%s' is longer than %d bytes", where, key, SOP_TEXT_BYTES);
	if (!text_ok(v->value, n))
		return fail(p, line, "%s'%s' holds control characters or invalid UTF-8", where,
			    key);
	*out = arena_strndup(p->a, v->value, n);
	return *out ? ST_OK : ST_NOMEM;
}

/* A code of [a-z0-9_-] (or [a-z0-9_] when !DASH) of at most MAX bytes. */
static enum status get_code(struct pctx *p, const struct ynode *v, int line, const char *where,
			    const char *key, size_t max, bool dash, const char **out)
{
	*out = NULL;
	if (!v)
		return ST_OK;
	if (v->kind != YN_SCALAR)
		return fail(p, line, "%s'%s' must be a code", where, key);
	if (!code_ok(v->value, v->len, max, dash))
		return fail(p, v->line, "%s'%s': '%s' is not a code (1 to %zu of a-z 0-9 _%s)",
			    where, key, SHOWN_NODE(v), max, dash ? " -" : "");
	*out = arena_strndup(p->a, v->value, v->len);
	return *out ? ST_OK : ST_NOMEM;
}

static enum status get_int(struct pctx *p, const struct ynode *v, int line, const char *where,
			   const char *key, int min, int max, int *out)
{
	bool ok = v->kind == YN_SCALAR && v->plain && v->len > 0 && v->len <= 9;
	long x = 0;
	for (size_t i = 0; ok && i < v->len; i++) {
		ok = v->value[i] >= '0' && v->value[i] <= '9';
		x = x * 10 + (v->value[i] - '0');
	}
	if (!ok || x < min || x > max)
		return fail(p, line, "%s'%s' must be a whole number from %d to %d", where, key, min,
			    max);
	*out = (int)x;
	return ST_OK;
}

static enum status get_bool(struct pctx *p, const struct ynode *v, int line, const char *where,
			    const char *key, bool *out)
{
	if (v->plain && scalar_is(v, "true"))
		*out = true;
	else if (v->plain && scalar_is(v, "false"))
		*out = false;
	else
		return fail(p, line, "%s'%s' must be true or false", where, key);
	return ST_OK;
}

/* A date YYYY-MM-DD that exists. */
static bool date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

static enum status get_date(struct pctx *p, const struct ynode *v, int line, const char *where,
			    const char *key, const char **out)
{
	enum status st = get_str(p, v, line, where, key, out);
	if (st == ST_OK && *out && !date_ok(*out))
		return fail(p, line, "%s'%s' must be a date YYYY-MM-DD", where, key);
	return st;
}

/* ---- mappings -------------------------------------------------------------------------------- */

#define FIELDS_MAX 16

struct fields {
	const struct ynode *val[FIELDS_MAX]; /* NULL when absent or null */
	int line[FIELDS_MAX];                /* the key's line; 0 when absent */
};

/* Matches the pairs of mapping M against KEYS (NULL-terminated, at most FIELDS_MAX), refusing
 * unknown and repeated keys (messages start with WHERE). WHAT names M, with its context, in a type
 * error ("header: 'approved_by'"). */
static enum status read_fields(struct pctx *p, const struct ynode *m, int line, const char *where,
			       const char *what, const char *const *keys, struct fields *f)
{
	memset(f, 0, sizeof *f);
	if (m->kind != YN_MAPPING)
		return fail(p, line, "%s must be a mapping of keys", what);
	for (const struct ynode *k = m->first; k && k->next; k = k->next->next) {
		if (k->kind != YN_SCALAR)
			return fail(p, k->line, "%skeys must be text", where);
		int i = 0;
		while (keys[i] && !scalar_is(k, keys[i]))
			i++;
		if (!keys[i])
			return fail(p, k->line, "%sunknown key '%s'", where, SHOWN_NODE(k));
		if (f->line[i])
			return fail(p, k->line, "%sduplicate key '%s' (first at line %d)", where,
				    keys[i], f->line[i]);
		f->line[i] = k->line;
		f->val[i] = is_null(k->next) ? NULL : k->next;
	}
	return ST_OK;
}

static enum status need(struct pctx *p, const struct fields *f, int i, int line, const char *where,
			const char *key)
{
	if (f->val[i])
		return ST_OK;
	return fail(p, f->line[i] ? f->line[i] : line, "%smissing '%s'", where, key);
}

/* A text: a scalar (one language) or a mapping {id, en}. */
static enum status get_text(struct pctx *p, const struct ynode *v, int line, const char *where,
			    const char *key, size_t max, struct sop_text *out)
{
	out->id = out->en = NULL;
	if (!v)
		return ST_OK;
	enum status st;
	char w[128];
	snprintf(w, sizeof w, "%s%s: ", where, key);
	if (v->kind == YN_SCALAR) {
		st = get_str(p, v, line, where, key, &out->id);
		out->en = out->id;
	} else if (v->kind == YN_SEQUENCE) {
		return fail(p, line, "%s'%s' must be text or a mapping {id, en}", where, key);
	} else {
		static const char *const keys[] = {"id", "en", NULL};
		struct fields f;
		if ((st = read_fields(p, v, line, w, w, keys, &f)) != ST_OK ||
		    (st = need(p, &f, 0, line, w, "id")) != ST_OK ||
		    (st = get_str(p, f.val[0], f.line[0], w, "id", &out->id)) != ST_OK ||
		    (st = get_str(p, f.val[1], f.line[1], w, "en", &out->en)) != ST_OK)
			return st;
		if (!out->en)
			out->en = out->id;
	}
	if (st == ST_OK && (strlen(out->id) > max || strlen(out->en) > max))
		return fail(p, line, "%s'%s' is longer than %zu bytes", where, key, max);
	return st;
}

static enum status get_list(struct pctx *p, const struct ynode *v, int line, const char *where,
			    const char *key, struct sop_list *out)
{
	out->n = 0;
	if (!v)
		return ST_OK;
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "%s'%s' must be a list", where, key);
	for (const struct ynode *it = v->first; it; it = it->next) {
		if (out->n == SOP_MAX_LIST)
			return fail(p, it->line, "%s'%s' has more than %d items", where, key,
				    SOP_MAX_LIST);
		enum status st = get_str(p, is_null(it) ? NULL : it, it->line, where, key,
					 &out->items[out->n]);
		if (st != ST_OK)
			return st;
		if (!out->items[out->n])
			return fail(p, it->line, "%s'%s' has an empty item", where, key);
		out->n++;
	}
	return ST_OK;
}

static int find_name(const char *const *names, int n, const struct ynode *v)
{
	for (int i = 0; i < n; i++)
		if (scalar_is(v, names[i]))
			return i;
	return -1;
}

/* ---- header ---------------------------------------------------------------------------------- */

enum {
	H_NUMBER,
	H_TITLE,
	H_ORGANISATION,
	H_UNIT,
	H_MADE,
	H_REVISED,
	H_REVISION,
	H_EFFECTIVE,
	H_APPROVED_BY,
	H_LEGAL_BASIS,
	H_QUALIFICATIONS,
	H_RELATED,
	H_EQUIPMENT,
	H_WARNING,
	H_RECORD_KEEPING,
};
static const char *const header_keys[] = {
	[H_NUMBER] = "number",
	[H_TITLE] = "title",
	[H_ORGANISATION] = "organisation",
	[H_UNIT] = "unit",
	[H_MADE] = "made",
	[H_REVISED] = "revised",
	[H_REVISION] = "revision",
	[H_EFFECTIVE] = "effective",
	[H_APPROVED_BY] = "approved_by",
	[H_LEGAL_BASIS] = "legal_basis",
	[H_QUALIFICATIONS] = "qualifications",
	[H_RELATED] = "related",
	[H_EQUIPMENT] = "equipment",
	[H_WARNING] = "warning",
	[H_RECORD_KEEPING] = "record_keeping",
	NULL,
};

/* The title goes into sop_versions.title and struct sop_version_info (256 bytes). */
#define SOP_TITLE_BYTES 255

static enum status parse_header(struct pctx *p, const struct ynode *v, int line)
{
	static const char *const w = "header: ";
	struct sop_header *h = &p->s->header;
	struct fields f;
	enum status st = read_fields(p, v, line, w, "'header'", header_keys, &f);
	if (st != ST_OK)
		return st;
	static const int required[] = {H_NUMBER, H_TITLE,     H_ORGANISATION, H_UNIT,
				       H_MADE,   H_EFFECTIVE, H_APPROVED_BY};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if ((st = need(p, &f, required[i], line, w, header_keys[required[i]])) != ST_OK)
			return st;
	if ((st = get_str(p, f.val[H_NUMBER], f.line[H_NUMBER], w, "number", &h->number)) !=
		    ST_OK ||
	    (st = get_text(p, f.val[H_TITLE], f.line[H_TITLE], w, "title", SOP_TITLE_BYTES,
			   &h->title)) != ST_OK ||
	    (st = get_str(p, f.val[H_ORGANISATION], f.line[H_ORGANISATION], w, "organisation",
			  &h->organisation)) != ST_OK ||
	    (st = get_str(p, f.val[H_UNIT], f.line[H_UNIT], w, "unit", &h->unit)) != ST_OK ||
	    (st = get_date(p, f.val[H_MADE], f.line[H_MADE], w, "made", &h->made)) != ST_OK ||
	    (st = get_date(p, f.val[H_REVISED], f.line[H_REVISED], w, "revised", &h->revised)) !=
		    ST_OK ||
	    (st = get_date(p, f.val[H_EFFECTIVE], f.line[H_EFFECTIVE], w, "effective",
			   &h->effective)) != ST_OK ||
	    (st = get_list(p, f.val[H_LEGAL_BASIS], f.line[H_LEGAL_BASIS], w, "legal_basis",
			   &h->legal_basis)) != ST_OK ||
	    (st = get_list(p, f.val[H_QUALIFICATIONS], f.line[H_QUALIFICATIONS], w,
			   "qualifications", &h->qualifications)) != ST_OK ||
	    (st = get_list(p, f.val[H_RELATED], f.line[H_RELATED], w, "related", &h->related)) !=
		    ST_OK ||
	    (st = get_list(p, f.val[H_EQUIPMENT], f.line[H_EQUIPMENT], w, "equipment",
			   &h->equipment)) != ST_OK ||
	    (st = get_str(p, f.val[H_WARNING], f.line[H_WARNING], w, "warning", &h->warning)) !=
		    ST_OK ||
	    (st = get_list(p, f.val[H_RECORD_KEEPING], f.line[H_RECORD_KEEPING], w,
			   "record_keeping", &h->record_keeping)) != ST_OK)
		return st;
	h->revision = 0;
	if (f.val[H_REVISION] && (st = get_int(p, f.val[H_REVISION], f.line[H_REVISION], w,
					       "revision", 0, 999, &h->revision)) != ST_OK)
		return st;
	/* "Revisi ke" and "Tanggal Revisi" go together. */
	if (h->revision > 0 && !h->revised)
		return fail(p, f.line[H_REVISION], "%srevision %d needs a 'revised' date", w,
			    h->revision);
	if (h->revision == 0 && h->revised)
		return fail(p, f.line[H_REVISED], "%sa 'revised' date needs 'revision' 1 or more",
			    w);

	static const char *const approved_keys[] = {"title", "name", "id", NULL};
	static const char *const wa = "header: approved_by: ";
	struct fields a;
	const struct ynode *av = f.val[H_APPROVED_BY];
	if ((st = read_fields(p, av, f.line[H_APPROVED_BY], wa, "header: 'approved_by'",
			      approved_keys, &a)) != ST_OK ||
	    (st = need(p, &a, 0, f.line[H_APPROVED_BY], wa, "title")) != ST_OK ||
	    (st = need(p, &a, 1, f.line[H_APPROVED_BY], wa, "name")) != ST_OK ||
	    (st = get_str(p, a.val[0], a.line[0], wa, "title", &h->approved_title)) != ST_OK ||
	    (st = get_str(p, a.val[1], a.line[1], wa, "name", &h->approved_name)) != ST_OK ||
	    (st = get_str(p, a.val[2], a.line[2], wa, "id", &h->approved_id)) != ST_OK)
		return st;
	return ST_OK;
}

/* ---- roles ----------------------------------------------------------------------------------- */

static enum status parse_roles(struct pctx *p, const struct ynode *v, int line)
{
	static const char *const keys[] = {"code", "title", "column", "superior", NULL};
	struct sop *s = p->s;
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "'roles' must be a list");
	if (!v->first)
		return fail(p, line, "'roles' must declare at least one role");
	for (const struct ynode *it = v->first; it; it = it->next) {
		if (s->nroles == SOP_MAX_ROLES)
			return fail(p, it->line, "more than %d roles", SOP_MAX_ROLES);
		struct sop_role *r = &s->roles[s->nroles];
		struct fields f;
		enum status st =
			read_fields(p, it, it->line, "roles: ", "roles: each role", keys, &f);
		if (st != ST_OK || (st = need(p, &f, 0, it->line, "roles: ", "code")) != ST_OK)
			return st;
		if ((st = get_code(p, f.val[0], f.line[0], "roles: ", "code", SOP_ROLE_CODE_MAX,
				   false, &r->code)) != ST_OK)
			return st;
		char w[96];
		snprintf(w, sizeof w, "role '%s': ", r->code);
		for (int i = 0; i < s->nroles; i++)
			if (strcmp(s->roles[i].code, r->code) == 0)
				return fail(p, f.line[0], "%sdeclared twice (first at line %d)", w,
					    s->roles[i].line);
		r->line = it->line;
		if ((st = need(p, &f, 1, it->line, w, "title")) != ST_OK ||
		    (st = get_text(p, f.val[1], f.line[1], w, "title", SOP_TEXT_BYTES,
				   &r->title)) != ST_OK ||
		    (st = get_str(p, f.val[2], f.line[2], w, "column", &r->column)) != ST_OK ||
		    (st = get_str(p, f.val[3], f.line[3], w, "superior", &r->superior)) != ST_OK)
			return st;
		p->superior_line[s->nroles] = f.line[3];
		s->nroles++;
	}
	return ST_OK;
}

/* ---- checklist ------------------------------------------------------------------------------- */

static enum status parse_checklist(struct pctx *p, const struct ynode *v, int line)
{
	struct sop *s = p->s;
	if (v->kind != YN_MAPPING)
		return fail(p, line, "'checklist' must be a mapping of stages to document types");
	for (const struct ynode *k = v->first; k && k->next; k = k->next->next) {
		int stage = find_name(stage_names, NSTAGES, k);
		if (stage < 0)
			return fail(p, k->line,
				    "checklist: unknown stage '%s' (perencanaan, pelaksanaan or "
				    "pelaporan)",
				    k->kind == YN_SCALAR ? SHOWN_NODE(k) : "?");
		for (int i = 0; i < s->nchecklist; i++)
			if (strcmp(s->checklist[i].stage, stage_names[stage]) == 0)
				return fail(p, k->line, "checklist: duplicate stage '%s'",
					    stage_names[stage]);
		struct sop_stage_checklist *c = &s->checklist[s->nchecklist++];
		c->stage = stage_names[stage];
		const struct ynode *types = k->next;
		if (is_null(types))
			continue;
		char w[64];
		snprintf(w, sizeof w, "checklist: %s: ", c->stage);
		if (types->kind != YN_SEQUENCE)
			return fail(p, k->line, "checklist: '%s' must be a list of document types",
				    c->stage);
		for (const struct ynode *t = types->first; t; t = t->next) {
			if (c->nrequired == SOP_MAX_TYPES)
				return fail(p, t->line, "%smore than %d document types", w,
					    SOP_MAX_TYPES);
			const char *type;
			enum status st =
				get_code(p, t, t->line, w, "type", SOP_CODE_MAX, false, &type);
			if (st != ST_OK)
				return st;
			for (int i = 0; i < c->nrequired; i++)
				if (strcmp(c->required[i], type) == 0)
					return fail(p, t->line, "%stype '%s' given twice", w, type);
			c->required[c->nrequired++] = type;
		}
	}
	p->checklist_line = line;
	return ST_OK;
}

/* ---- steps ----------------------------------------------------------------------------------- */

enum {
	S_NUMBER,
	S_TEXT,
	S_ROLE,
	S_ALSO,
	S_KIND,
	S_START,
	S_END,
	S_ACTIONS,
	S_STAGES,
	S_KELENGKAPAN,
	S_WAKTU,
	S_OUTPUT,
	S_NOTE,
	S_NEXT,
	S_ANSWERS,
};
static const char *const step_keys[] = {
	[S_NUMBER] = "number",
	[S_TEXT] = "text",
	[S_ROLE] = "role",
	[S_ALSO] = "also",
	[S_KIND] = "kind",
	[S_START] = "start",
	[S_END] = "end",
	[S_ACTIONS] = "actions",
	[S_STAGES] = "stages",
	[S_KELENGKAPAN] = "kelengkapan",
	[S_WAKTU] = "waktu_minutes",
	[S_OUTPUT] = "output",
	[S_NOTE] = "note",
	[S_NEXT] = "next",
	[S_ANSWERS] = "answers",
	NULL,
};

static enum status get_outcome(struct pctx *p, const struct ynode *v, int line, const char *where,
			       const char **out)
{
	int i = v->kind == YN_SCALAR ? find_name(outcome_names, 2, v) : -1;
	if (i < 0)
		return fail(p, line, "%s'end' must be completed or kept_internal", where);
	*out = outcome_names[i];
	return ST_OK;
}

static enum status parse_answers(struct pctx *p, struct sop_step *step, struct step_lines *sl,
				 const struct ynode *v, int line, const char *w)
{
	static const char *const keys[] = {"code", "label", "next", "end", NULL};
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "%s'answers' must be a list", w);
	for (const struct ynode *it = v->first; it; it = it->next) {
		if (step->nanswers == SOP_MAX_ANSWERS)
			return fail(p, it->line, "%smore than %d answers", w, SOP_MAX_ANSWERS);
		struct sop_answer *an = &step->answers[step->nanswers];
		struct fields f;
		char what[96];
		snprintf(what, sizeof what, "%seach answer", w);
		enum status st = read_fields(p, it, it->line, w, what, keys, &f);
		if (st != ST_OK || (st = need(p, &f, 0, it->line, w, "code")) != ST_OK ||
		    (st = get_code(p, f.val[0], f.line[0], w, "code", SOP_CODE_MAX, true,
				   &an->code)) != ST_OK)
			return st;
		char wa[128];
		snprintf(wa, sizeof wa, "%sanswer '%s': ", w, an->code);
		for (int i = 0; i < step->nanswers; i++)
			if (strcmp(step->answers[i].code, an->code) == 0)
				return fail(p, f.line[0], "%sanswer '%s' given twice", w, an->code);
		if ((st = need(p, &f, 1, it->line, wa, "label")) != ST_OK ||
		    (st = get_text(p, f.val[1], f.line[1], wa, "label", SOP_TEXT_BYTES,
				   &an->label)) != ST_OK)
			return st;
		if (f.val[2] && f.val[3])
			return fail(p, f.line[2] > f.line[3] ? f.line[2] : f.line[3],
				    "%sanswer '%s' has both 'next' and 'end'", w, an->code);
		if (!f.val[2] && !f.val[3])
			return fail(p, it->line, "%sanswer '%s' has no 'next' step or 'end'", w,
				    an->code);
		if (f.val[2] && (st = get_int(p, f.val[2], f.line[2], wa, "next", 1,
					      SOP_STEP_NUMBER_MAX, &an->next.step)) != ST_OK)
			return st;
		if (f.val[3] &&
		    (st = get_outcome(p, f.val[3], f.line[3], wa, &an->next.outcome)) != ST_OK)
			return st;
		sl->answer[step->nanswers] = it->line;
		sl->answer_next[step->nanswers] = f.val[2] ? f.line[2] : f.line[3];
		step->nanswers++;
	}
	return ST_OK;
}

static enum status parse_actions(struct pctx *p, struct sop_step *step, const struct ynode *v,
				 int line, const char *w)
{
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "%s'actions' must be a list", w);
	if (!v->first)
		return fail(p, line, "%s'actions' must name at least one action", w);
	for (const struct ynode *it = v->first; it; it = it->next) {
		int i = find_name(action_names, NACTIONS, it);
		if (i < 0)
			return fail(p, it->line, "%sunknown action '%s'", w,
				    it->kind == YN_SCALAR ? SHOWN_NODE(it) : "?");
		if (step->actions & (1u << i))
			return fail(p, it->line, "%saction '%s' given twice", w, action_names[i]);
		step->actions |= 1u << i;
	}
	return ST_OK;
}

static enum status parse_stages(struct pctx *p, struct sop_step *step, const struct ynode *v,
				int line, const char *w)
{
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "%s'stages' must be a list", w);
	for (const struct ynode *it = v->first; it; it = it->next) {
		int i = find_name(stage_names, NSTAGES, it);
		if (i < 0)
			return fail(p, it->line,
				    "%sunknown stage '%s' (perencanaan, pelaksanaan or pelaporan)",
				    w, it->kind == YN_SCALAR ? SHOWN_NODE(it) : "?");
		for (int k = 0; k < step->nstages; k++)
			if (step->stages[k] == stage_names[i])
				return fail(p, it->line, "%sstage '%s' given twice", w,
					    stage_names[i]);
		step->stages[step->nstages++] = stage_names[i];
	}
	return ST_OK;
}

static enum status parse_kelengkapan(struct pctx *p, struct sop_step *step, struct step_lines *sl,
				     const struct ynode *v, int line, const char *w)
{
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "%s'kelengkapan' must be a list of output codes", w);
	for (const struct ynode *it = v->first; it; it = it->next) {
		if (step->ninputs == SOP_MAX_INPUTS)
			return fail(p, it->line, "%smore than %d Kelengkapan inputs", w,
				    SOP_MAX_INPUTS);
		const char *code;
		enum status st =
			get_code(p, it, it->line, w, "kelengkapan", SOP_CODE_MAX, true, &code);
		if (st != ST_OK)
			return st;
		for (int i = 0; i < step->ninputs; i++)
			if (strcmp(step->inputs[i].code, code) == 0)
				return fail(p, it->line, "%sKelengkapan '%s' given twice", w, code);
		sl->input[step->ninputs] = it->line;
		step->inputs[step->ninputs++].code = code;
	}
	return ST_OK;
}

static enum status parse_output(struct pctx *p, struct sop_step *step, const struct ynode *v,
				int line, const char *w)
{
	static const char *const keys[] = {"code", "name", NULL};
	struct fields f;
	char wo[96], what[96];
	snprintf(wo, sizeof wo, "%soutput: ", w);
	snprintf(what, sizeof what, "%s'output'", w);
	enum status st = read_fields(p, v, line, wo, what, keys, &f);
	if (st != ST_OK || (st = need(p, &f, 0, line, wo, "code")) != ST_OK ||
	    (st = need(p, &f, 1, line, wo, "name")) != ST_OK ||
	    (st = get_code(p, f.val[0], f.line[0], wo, "code", SOP_CODE_MAX, true,
			   &step->output.code)) != ST_OK ||
	    (st = get_text(p, f.val[1], f.line[1], wo, "name", SOP_TEXT_BYTES,
			   &step->output.name)) != ST_OK)
		return st;
	return ST_OK;
}

/* The number a step item gives, for messages about the item before its fields are read. */
static int peek_number(const struct ynode *m)
{
	if (m->kind != YN_MAPPING)
		return 0;
	for (const struct ynode *k = m->first; k && k->next; k = k->next->next) {
		const struct ynode *v = k->next;
		if (!scalar_is(k, "number") || v->kind != YN_SCALAR || v->len == 0 || v->len > 3)
			continue;
		int n = 0;
		for (size_t i = 0; i < v->len; i++) {
			if (v->value[i] < '0' || v->value[i] > '9')
				return 0;
			n = n * 10 + (v->value[i] - '0');
		}
		return n;
	}
	return 0;
}

static enum status parse_step(struct pctx *p, const struct ynode *v, int index)
{
	struct sop *s = p->s;
	struct sop_step *step = &s->steps[index];
	struct step_lines *sl = &p->lines[index];
	char w[64];
	int peek = peek_number(v);
	if (peek > 0)
		snprintf(w, sizeof w, "step %d: ", peek);
	else
		snprintf(w, sizeof w, "steps: item %d: ", index + 1);
	struct fields f;
	enum status st = read_fields(p, v, v->line, w, "steps: each step", step_keys, &f);
	if (st != ST_OK || (st = need(p, &f, S_NUMBER, v->line, w, "number")) != ST_OK ||
	    (st = get_int(p, f.val[S_NUMBER], f.line[S_NUMBER], w, "number", 1, SOP_STEP_NUMBER_MAX,
			  &step->number)) != ST_OK)
		return st;
	step->line = v->line;
	sl->number = f.line[S_NUMBER];
	for (int i = 0; i < index; i++)
		if (s->steps[i].number == step->number)
			return fail(p, f.line[S_NUMBER],
				    "%sduplicate step number (first at line %d)", w,
				    s->steps[i].line);

	if ((st = need(p, &f, S_TEXT, v->line, w, "text")) != ST_OK ||
	    (st = get_text(p, f.val[S_TEXT], f.line[S_TEXT], w, "text", SOP_TEXT_BYTES,
			   &step->text)) != ST_OK ||
	    (st = need(p, &f, S_ROLE, v->line, w, "role")) != ST_OK ||
	    (st = get_str(p, f.val[S_ROLE], f.line[S_ROLE], w, "role", &step->role)) != ST_OK ||
	    (st = need(p, &f, S_ACTIONS, v->line, w, "actions")) != ST_OK ||
	    (st = parse_actions(p, step, f.val[S_ACTIONS], f.line[S_ACTIONS], w)) != ST_OK ||
	    (st = get_str(p, f.val[S_NOTE], f.line[S_NOTE], w, "note", &step->note)) != ST_OK)
		return st;
	sl->role = f.line[S_ROLE];
	sl->actions = f.line[S_ACTIONS];

	step->kind = SOP_PROCESS;
	if (f.val[S_KIND]) {
		if (scalar_is(f.val[S_KIND], "decision"))
			step->kind = SOP_DECISION;
		else if (!scalar_is(f.val[S_KIND], "process"))
			return fail(p, f.line[S_KIND], "%s'kind' must be process or decision", w);
	}
	if (f.val[S_START] &&
	    (st = get_bool(p, f.val[S_START], f.line[S_START], w, "start", &step->start)) != ST_OK)
		return st;
	if (f.val[S_ALSO]) {
		const struct ynode *a = f.val[S_ALSO];
		if (a->kind != YN_SEQUENCE)
			return fail(p, f.line[S_ALSO], "%s'also' must be a list of roles", w);
		for (const struct ynode *it = a->first; it; it = it->next) {
			if (step->nalso == SOP_MAX_ALSO)
				return fail(p, it->line, "%smore than %d roles in 'also'", w,
					    SOP_MAX_ALSO);
			if ((st = get_str(p, is_null(it) ? NULL : it, it->line, w, "also",
					  &step->also[step->nalso])) != ST_OK)
				return st;
			if (!step->also[step->nalso])
				return fail(p, it->line, "%s'also' has an empty item", w);
			sl->also_item[step->nalso++] = it->line;
		}
		sl->also = f.line[S_ALSO];
	}
	if (f.val[S_STAGES] &&
	    (st = parse_stages(p, step, f.val[S_STAGES], f.line[S_STAGES], w)) != ST_OK)
		return st;
	sl->stages = f.line[S_STAGES];
	if (f.val[S_KELENGKAPAN] && (st = parse_kelengkapan(p, step, sl, f.val[S_KELENGKAPAN],
							    f.line[S_KELENGKAPAN], w)) != ST_OK)
		return st;
	if (f.val[S_WAKTU] && (st = get_int(p, f.val[S_WAKTU], f.line[S_WAKTU], w, "waktu_minutes",
					    1, SOP_WAKTU_MAX, &step->waktu_minutes)) != ST_OK)
		return st;
	if (f.val[S_OUTPUT] &&
	    (st = parse_output(p, step, f.val[S_OUTPUT], f.line[S_OUTPUT], w)) != ST_OK)
		return st;
	if (f.val[S_NEXT] && (st = get_int(p, f.val[S_NEXT], f.line[S_NEXT], w, "next", 1,
					   SOP_STEP_NUMBER_MAX, &step->next.step)) != ST_OK)
		return st;
	if (f.val[S_END] &&
	    (st = get_outcome(p, f.val[S_END], f.line[S_END], w, &step->next.outcome)) != ST_OK)
		return st;
	sl->next = f.line[S_NEXT];
	sl->end = f.line[S_END];
	step->end = f.val[S_END] != NULL;
	if (f.val[S_ANSWERS] &&
	    (st = parse_answers(p, step, sl, f.val[S_ANSWERS], f.line[S_ANSWERS], w)) != ST_OK)
		return st;
	sl->answers = f.line[S_ANSWERS];

	/* What the kind asks of the step. */
	if (step->kind == SOP_DECISION) {
		if (f.val[S_NEXT] || f.val[S_END])
			return fail(
				p, f.val[S_NEXT] ? sl->next : sl->end,
				"%sa decision leads on through its answers, not 'next' or 'end'",
				w);
		if (step->nanswers < 2)
			return fail(p, sl->answers ? sl->answers : step->line,
				    "%sa decision needs at least 2 answers, each with a branch", w);
		if (!(step->actions & SOP_ACT_DECIDE))
			return fail(p, sl->actions, "%sa decision step needs the decide action", w);
	} else {
		if (sl->answers)
			return fail(p, sl->answers,
				    "%sonly a decision step has answers (kind: decision)", w);
		if (step->actions & SOP_ACT_DECIDE)
			return fail(p, sl->actions, "%sthe decide action needs kind: decision", w);
		if (f.val[S_NEXT] && f.val[S_END])
			return fail(p, sl->end > sl->next ? sl->end : sl->next,
				    "%shas both 'next' and 'end'", w);
		if (!f.val[S_NEXT] && !f.val[S_END])
			return fail(p, step->line, "%smissing 'next' (a step number) or 'end'", w);
	}
	if ((step->actions & SOP_ACT_PUBLISH) && step->nstages == 0)
		return fail(p, sl->actions, "%sthe publish action needs 'stages'", w);
	if (!(step->actions & SOP_ACT_PUBLISH) && sl->stages)
		return fail(p, sl->stages, "%s'stages' is only for the publish action", w);
	return ST_OK;
}

static enum status parse_steps(struct pctx *p, const struct ynode *v, int line)
{
	if (v->kind != YN_SEQUENCE)
		return fail(p, line, "'steps' must be a list");
	if (!v->first)
		return fail(p, line, "'steps' must hold at least one step");
	p->steps_line = line;
	for (const struct ynode *it = v->first; it; it = it->next) {
		if (p->s->nsteps == SOP_MAX_STEPS)
			return fail(p, it->line, "more than %d steps", SOP_MAX_STEPS);
		enum status st = parse_step(p, it, p->s->nsteps);
		if (st != ST_OK)
			return st;
		p->s->nsteps++;
	}
	return ST_OK;
}

/* ---- the graph pass -------------------------------------------------------------------------- */

static int step_index(const struct sop *s, int number)
{
	for (int i = 0; i < s->nsteps; i++)
		if (s->steps[i].number == number)
			return i;
	return -1;
}

/* The step indexes STEP leads to; *ENDS tells whether one of its branches is the end. */
static int successors(const struct sop *s, const struct sop_step *step, int out[SOP_MAX_ANSWERS],
		      bool *ends)
{
	int n = 0;
	*ends = false;
	if (step->kind == SOP_DECISION) {
		for (int i = 0; i < step->nanswers; i++) {
			if (step->answers[i].next.step == 0)
				*ends = true;
			else
				out[n++] = step_index(s, step->answers[i].next.step);
		}
	} else if (step->next.step == 0) {
		*ends = true;
	} else {
		out[n++] = step_index(s, step->next.step);
	}
	return n;
}

static enum status check_roles(struct pctx *p)
{
	struct sop *s = p->s;
	for (int i = 0; i < s->nroles; i++) {
		const struct sop_role *r = &s->roles[i];
		if (!r->superior)
			continue;
		if (strcmp(r->superior, r->code) == 0)
			return fail(p, p->superior_line[i], "role '%s': is its own superior",
				    r->code);
		if (!sop_role(s, r->superior))
			return fail(p, p->superior_line[i], "role '%s': unknown superior '%s'",
				    r->code, SHOWN(r->superior));
		/* The chain must reach the top within nroles steps. */
		const struct sop_role *up = r;
		int hops = 0;
		while (up && up->superior && hops <= s->nroles) {
			up = sop_role(s, up->superior);
			hops++;
		}
		if (hops > s->nroles)
			return fail(p, p->superior_line[i],
				    "role '%s': the chain of superiors loops", r->code);
	}
	for (int i = 0; i < s->nsteps; i++) {
		const struct sop_step *st = &s->steps[i];
		const struct step_lines *sl = &p->lines[i];
		if (!sop_role(s, st->role))
			return fail(p, sl->role, "step %d: unknown role '%s'", st->number,
				    SHOWN(st->role));
		for (int k = 0; k < st->nalso; k++) {
			if (!sop_role(s, st->also[k]))
				return fail(p, sl->also_item[k],
					    "step %d: unknown role '%s' in 'also'", st->number,
					    SHOWN(st->also[k]));
			if (strcmp(st->also[k], st->role) == 0)
				return fail(p, sl->also_item[k],
					    "step %d: 'also' repeats the performer role '%s'",
					    st->number, st->role);
			for (int j = 0; j < k; j++)
				if (strcmp(st->also[j], st->also[k]) == 0)
					return fail(p, sl->also_item[k],
						    "step %d: role '%s' given twice in 'also'",
						    st->number, st->also[k]);
		}
	}
	return ST_OK;
}

static enum status check_graph(struct pctx *p)
{
	struct sop *s = p->s;
	/* Every target exists. */
	for (int i = 0; i < s->nsteps; i++) {
		const struct sop_step *st = &s->steps[i];
		const struct step_lines *sl = &p->lines[i];
		if (st->next.step && step_index(s, st->next.step) < 0)
			return fail(p, sl->next, "step %d: next step %d does not exist", st->number,
				    st->next.step);
		for (int k = 0; k < st->nanswers; k++)
			if (st->answers[k].next.step && step_index(s, st->answers[k].next.step) < 0)
				return fail(p, sl->answer_next[k],
					    "step %d: answer '%s' leads to step %d, which does not "
					    "exist",
					    st->number, st->answers[k].code,
					    st->answers[k].next.step);
	}
	/* Exactly one start. */
	int start = -1;
	for (int i = 0; i < s->nsteps; i++) {
		if (!s->steps[i].start)
			continue;
		if (start >= 0)
			return fail(p, s->steps[i].line,
				    "step %d: a second start step (step %d is the start)",
				    s->steps[i].number, s->steps[start].number);
		start = i;
	}
	if (start < 0)
		return fail(p, p->steps_line, "no start step (mark one with start: true)");

	/* Every step is reachable from the start. */
	bool seen[SOP_MAX_STEPS] = {false};
	int queue[SOP_MAX_STEPS], head = 0, tail = 0;
	seen[start] = true;
	queue[tail++] = start;
	while (head < tail) {
		int next[SOP_MAX_ANSWERS];
		bool ends;
		int n = successors(s, &s->steps[queue[head++]], next, &ends);
		for (int k = 0; k < n; k++)
			if (!seen[next[k]]) {
				seen[next[k]] = true;
				queue[tail++] = next[k];
			}
	}
	for (int i = 0; i < s->nsteps; i++)
		if (!seen[i])
			return fail(p, s->steps[i].line,
				    "step %d: unreachable from the start step %d",
				    s->steps[i].number, s->steps[start].number);

	/* From every step an end is reachable: iterate to the fixed point. */
	bool exits[SOP_MAX_STEPS] = {false};
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < s->nsteps; i++) {
			if (exits[i])
				continue;
			int next[SOP_MAX_ANSWERS];
			bool ends;
			int n = successors(s, &s->steps[i], next, &ends);
			for (int k = 0; k < n && !ends; k++)
				ends = exits[next[k]];
			if (ends)
				exits[i] = changed = true;
		}
	}
	for (int i = 0; i < s->nsteps; i++) {
		if (exits[i])
			continue;
		/* No end from step i: every step after it cannot end either, and each has a
		 * successor, so following first successors must come round. Name that cycle. */
		int order[SOP_MAX_STEPS + 1], n = 0, at = i, pos[SOP_MAX_STEPS];
		for (int k = 0; k < SOP_MAX_STEPS; k++)
			pos[k] = -1;
		while (pos[at] < 0) {
			pos[at] = n;
			order[n++] = at;
			int next[SOP_MAX_ANSWERS] = {0};
			bool ends;
			successors(s, &s->steps[at], next, &ends);
			at = next[0];
		}
		char path[160] = "";
		size_t len = 0;
		for (int k = pos[at]; k <= n; k++) {
			int idx = k < n ? order[k] : at;
			int w = snprintf(path + len, sizeof path - len, "%s%d",
					 k > pos[at] ? " -> " : "", s->steps[idx].number);
			if (w < 0 || (size_t)w >= sizeof path - len) {
				snprintf(path + len, sizeof path - len, " ...");
				break;
			}
			len += (size_t)w;
		}
		return fail(p, s->steps[at].line,
			    "step %d: cycle with no exit (%s never reaches an end)",
			    s->steps[at].number, path);
	}

	/* Kelengkapan: each input is the Output of another step; it takes that Output's name. */
	for (int i = 0; i < s->nsteps; i++) {
		struct sop_step *st = &s->steps[i];
		for (int k = 0; k < st->ninputs; k++) {
			const struct sop_step *from = NULL;
			for (int j = 0; j < s->nsteps && !from; j++)
				if (j != i && s->steps[j].output.code &&
				    strcmp(s->steps[j].output.code, st->inputs[k].code) == 0)
					from = &s->steps[j];
			if (!from)
				return fail(
					p, p->lines[i].input[k],
					"step %d: Kelengkapan '%s' is not the Output of any other "
					"step",
					st->number, st->inputs[k].code);
			st->inputs[k].name = from->output.name;
		}
		if ((st->actions & SOP_ACT_CHECK) && s->nchecklist == 0)
			return fail(p, p->lines[i].actions,
				    "step %d: the check action needs a 'checklist'", st->number);
	}
	return ST_OK;
}

/* ---- sop_parse ------------------------------------------------------------------------------- */

enum { T_CODE, T_HEADER, T_ROLES, T_CHECKLIST, T_STEPS };
static const char *const top_keys[] = {
	[T_CODE] = "code",           [T_HEADER] = "header", [T_ROLES] = "roles",
	[T_CHECKLIST] = "checklist", [T_STEPS] = "steps",   NULL};

static enum status parse_root(struct pctx *p, const struct ynode *root)
{
	if (!root || is_null(root))
		return fail(p, 1, "empty definition");
	if (root->kind != YN_MAPPING)
		return fail(p, root->line, "the definition must be a mapping of keys");
	struct fields f;
	enum status st = read_fields(p, root, root->line, "", "the definition", top_keys, &f);
	if (st != ST_OK)
		return st;
	/* Reported in this order whatever the file's order: roles are needed to check steps. */
	for (int i = T_CODE; i <= T_STEPS; i++)
		if (i != T_CHECKLIST && (st = need(p, &f, i, root->line, "", top_keys[i])) != ST_OK)
			return st;
	if ((st = get_code(p, f.val[T_CODE], f.line[T_CODE], "", "code", SOP_CODE_MAX, true,
			   &p->s->code)) != ST_OK ||
	    (st = parse_header(p, f.val[T_HEADER], f.line[T_HEADER])) != ST_OK ||
	    (st = parse_roles(p, f.val[T_ROLES], f.line[T_ROLES])) != ST_OK ||
	    (f.val[T_CHECKLIST] &&
	     (st = parse_checklist(p, f.val[T_CHECKLIST], f.line[T_CHECKLIST])) != ST_OK) ||
	    (st = parse_steps(p, f.val[T_STEPS], f.line[T_STEPS])) != ST_OK ||
	    (st = check_roles(p)) != ST_OK || (st = check_graph(p)) != ST_OK)
		return st;
	return ST_OK;
}

enum status sop_parse(const char *text, size_t len, const char *filename, struct sop **out,
		      struct sop_error *err)
{
	struct sop_error scratch;
	if (!err)
		err = &scratch;
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", filename ? filename : "(definition)");
	*out = NULL;
	if (len > SOP_DEFINITION_BYTES) {
		snprintf(err->message, sizeof err->message, "larger than %d bytes",
			 SOP_DEFINITION_BYTES);
		return ST_TOO_LARGE;
	}

	struct arena tree_arena, def_arena;
	arena_init(&tree_arena, SOP_PARSE_ARENA_BYTES);
	arena_init(&def_arena, SOP_ARENA_BYTES);
	struct pctx *p = NULL;
	struct sop_owned *o = arena_alloc(&def_arena, sizeof *o);
	enum status st = ST_NOMEM;
	if (!o)
		goto out;
	p = calloc(1, sizeof *p);
	if (!p)
		goto out;
	p->a = &def_arena;
	p->s = &o->s;
	p->err = err;

	struct ynode *root = NULL;
	st = sop_yaml_parse(text, len, &tree_arena, &root, &err->line, err->message,
			    sizeof err->message);
	if (st == ST_OK)
		st = parse_root(p, root);
	if (st == ST_OK)
		sha256_hex(text, len, o->s.sha256);
out:
	free(p);
	arena_release(&tree_arena);
	if (st != ST_OK) {
		if (st == ST_NOMEM) {
			err->line = 0;
			snprintf(err->message, sizeof err->message, "out of memory");
		}
		arena_release(&def_arena);
		return st;
	}
	o->arena = def_arena;
	*out = &o->s;
	return ST_OK;
}

/* ---- lookups --------------------------------------------------------------------------------- */

const struct sop_step *sop_step(const struct sop *s, int number)
{
	int i = step_index(s, number);
	return i < 0 ? NULL : &s->steps[i];
}

const struct sop_step *sop_start(const struct sop *s)
{
	for (int i = 0; i < s->nsteps; i++)
		if (s->steps[i].start)
			return &s->steps[i];
	return NULL;
}

const struct sop_role *sop_role(const struct sop *s, const char *code)
{
	if (!code)
		return NULL;
	for (int i = 0; i < s->nroles; i++)
		if (strcmp(s->roles[i].code, code) == 0)
			return &s->roles[i];
	return NULL;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Builds JSON while remembering whether any allocation failed, so that one check at the end
 * covers them all. */
struct jb {
	bool oom;
};

static json_t *jcheck(struct jb *b, json_t *v)
{
	if (!v)
		b->oom = true;
	return v;
}

static void jset(struct jb *b, json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		b->oom = true;
}

static void jpush(struct jb *b, json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) != 0)
		b->oom = true;
}

static json_t *jstr(struct jb *b, const char *s)
{
	return s ? jcheck(b, json_string(s)) : json_null();
}

static json_t *jtext(struct jb *b, const struct sop_text *t)
{
	if (!t->id)
		return json_null();
	return jcheck(b, json_pack("{s:s, s:s}", "id", t->id, "en", t->en ? t->en : t->id));
}

static json_t *jlist(struct jb *b, const char *const *items, int n)
{
	json_t *a = jcheck(b, json_array());
	for (int i = 0; a && i < n; i++)
		jpush(b, a, jstr(b, items[i]));
	return a;
}

static json_t *jnext(struct jb *b, const struct sop_next *n)
{
	if (n->step)
		return jcheck(b, json_pack("{s:i}", "step", n->step));
	if (n->outcome)
		return jcheck(b, json_pack("{s:s}", "end", n->outcome));
	return json_null();
}

static json_t *jartefact(struct jb *b, const struct sop_artefact *a)
{
	if (!a->code)
		return json_null();
	json_t *o = jcheck(b, json_object());
	if (o) {
		jset(b, o, "code", jstr(b, a->code));
		jset(b, o, "name", jtext(b, &a->name));
	}
	return o;
}

static json_t *jheader(struct jb *b, const struct sop_header *h)
{
	json_t *o = jcheck(b, json_object());
	if (!o)
		return NULL;
	jset(b, o, "number", jstr(b, h->number));
	jset(b, o, "title", jtext(b, &h->title));
	jset(b, o, "organisation", jstr(b, h->organisation));
	jset(b, o, "unit", jstr(b, h->unit));
	jset(b, o, "made", jstr(b, h->made));
	jset(b, o, "revised", jstr(b, h->revised));
	jset(b, o, "revision", jcheck(b, json_integer(h->revision)));
	jset(b, o, "effective", jstr(b, h->effective));
	jset(b, o, "approved_by",
	     jcheck(b, json_pack("{s:s?, s:s?, s:s?}", "title", h->approved_title, "name",
				 h->approved_name, "id", h->approved_id)));
	jset(b, o, "legal_basis", jlist(b, h->legal_basis.items, h->legal_basis.n));
	jset(b, o, "qualifications", jlist(b, h->qualifications.items, h->qualifications.n));
	jset(b, o, "related", jlist(b, h->related.items, h->related.n));
	jset(b, o, "equipment", jlist(b, h->equipment.items, h->equipment.n));
	jset(b, o, "warning", jstr(b, h->warning));
	jset(b, o, "record_keeping", jlist(b, h->record_keeping.items, h->record_keeping.n));
	return o;
}

static json_t *jstep(struct jb *b, const struct sop_step *st)
{
	json_t *o = jcheck(b, json_object());
	if (!o)
		return NULL;
	jset(b, o, "number", jcheck(b, json_integer(st->number)));
	jset(b, o, "text", jtext(b, &st->text));
	jset(b, o, "role", jstr(b, st->role));
	jset(b, o, "also", jlist(b, st->also, st->nalso));
	jset(b, o, "kind", jstr(b, st->kind == SOP_DECISION ? "decision" : "process"));
	jset(b, o, "start", json_boolean(st->start));
	jset(b, o, "end", json_boolean(st->end));
	json_t *actions = jcheck(b, json_array());
	for (int i = 0; actions && i < NACTIONS; i++)
		if (st->actions & (1u << i))
			jpush(b, actions, jstr(b, action_names[i]));
	jset(b, o, "actions", actions);
	jset(b, o, "stages", jlist(b, st->stages, st->nstages));
	json_t *inputs = jcheck(b, json_array());
	for (int i = 0; inputs && i < st->ninputs; i++)
		jpush(b, inputs, jartefact(b, &st->inputs[i]));
	jset(b, o, "inputs", inputs);
	jset(b, o, "waktu_minutes",
	     st->waktu_minutes ? jcheck(b, json_integer(st->waktu_minutes)) : json_null());
	jset(b, o, "output", jartefact(b, &st->output));
	jset(b, o, "note", jstr(b, st->note));
	jset(b, o, "next", st->kind == SOP_DECISION ? json_null() : jnext(b, &st->next));
	json_t *answers = jcheck(b, json_array());
	for (int i = 0; answers && i < st->nanswers; i++) {
		const struct sop_answer *an = &st->answers[i];
		json_t *a = jcheck(b, json_object());
		if (a) {
			jset(b, a, "code", jstr(b, an->code));
			jset(b, a, "label", jtext(b, &an->label));
			jset(b, a, "next", jnext(b, &an->next));
		}
		jpush(b, answers, a);
	}
	jset(b, o, "answers", answers);
	return o;
}

json_t *sop_to_json(const struct sop *s)
{
	struct jb b = {false};
	json_t *o = jcheck(&b, json_object());
	if (!o)
		return NULL;
	jset(&b, o, "code", jstr(&b, s->code));
	jset(&b, o, "version_id",
	     s->version_id ? jcheck(&b, json_integer(s->version_id)) : json_null());
	jset(&b, o, "version", s->version ? jcheck(&b, json_integer(s->version)) : json_null());
	jset(&b, o, "sha256", jstr(&b, s->sha256[0] ? s->sha256 : NULL));
	jset(&b, o, "header", jheader(&b, &s->header));
	json_t *roles = jcheck(&b, json_array());
	for (int i = 0; roles && i < s->nroles; i++) {
		const struct sop_role *r = &s->roles[i];
		json_t *ro = jcheck(&b, json_object());
		if (ro) {
			jset(&b, ro, "code", jstr(&b, r->code));
			jset(&b, ro, "title", jtext(&b, &r->title));
			jset(&b, ro, "column", jstr(&b, r->column));
			jset(&b, ro, "superior", jstr(&b, r->superior));
		}
		jpush(&b, roles, ro);
	}
	jset(&b, o, "roles", roles);
	json_t *checklist = jcheck(&b, json_array());
	for (int i = 0; checklist && i < s->nchecklist; i++) {
		const struct sop_stage_checklist *c = &s->checklist[i];
		json_t *co = jcheck(&b, json_object());
		if (co) {
			jset(&b, co, "stage", jstr(&b, c->stage));
			jset(&b, co, "required", jlist(&b, c->required, c->nrequired));
		}
		jpush(&b, checklist, co);
	}
	jset(&b, o, "checklist", checklist);
	json_t *steps = jcheck(&b, json_array());
	for (int i = 0; steps && i < s->nsteps; i++)
		jpush(&b, steps, jstep(&b, &s->steps[i]));
	jset(&b, o, "steps", steps);
	if (b.oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- storage --------------------------------------------------------------------------------- */

/* Copies a text column into a fixed field; a value that does not fit was not written by us. */
static enum status copy_col(struct db_stmt *s, int col, char *dst, size_t dstlen)
{
	const char *v = db_col_text(s, col);
	size_t n = v ? strlen(v) : 0;
	if (n >= dstlen)
		return ST_CORRUPT;
	memcpy(dst, v ? v : "", n + 1);
	return ST_OK;
}

enum status sop_latest(struct db_conn *c, const char *code, int64_t *version_id_out)
{
	*version_id_out = 0;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SOP_LATEST, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, code);
	bool row;
	if ((st = db_step(s, &row)) == ST_OK) {
		if (row)
			*version_id_out = db_col_int(s, 0);
		else
			st = ST_NOT_FOUND;
	}
	db_done(s);
	return st;
}

enum status sop_find_version(struct db_conn *c, const char *code, int version,
			     int64_t *version_id_out)
{
	*version_id_out = 0;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SOP_FIND, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, code);
	db_bind_int(s, 2, version);
	bool row;
	if ((st = db_step(s, &row)) == ST_OK) {
		if (row)
			*version_id_out = db_col_int(s, 0);
		else
			st = ST_NOT_FOUND;
	}
	db_done(s);
	return st;
}

/* The version of S's code that has S's text (BY_SHA), or the latest one: *id 0 when none. */
static enum status stored_version(struct db_conn *c, const struct sop *s, bool by_sha, int64_t *id,
				  int *version, char sha[65])
{
	*id = 0;
	*version = 0;
	sha[0] = '\0';
	struct db_stmt *q;
	enum status st = db_prepare(c, by_sha ? SQL_SOP_BY_SHA : SQL_SOP_LATEST, &q);
	if (st != ST_OK)
		return st;
	db_bind_text(q, 1, s->code);
	if (by_sha)
		db_bind_text(q, 2, s->sha256);
	bool row;
	if ((st = db_step(q, &row)) == ST_OK && row) {
		*id = db_col_int(q, 0);
		*version = (int)db_col_int(q, 1);
		st = copy_col(q, 2, sha, 65);
	}
	db_done(q);
	return st;
}

/* Upserts S's roles; refuses one whose code names a role of another kind (admin, ...). */
static enum status upsert_roles(struct db_conn *c, const struct sop *s, struct sop_error *err)
{
	for (int i = 0; i < s->nroles; i++) {
		const struct sop_role *r = &s->roles[i];
		struct db_stmt *q;
		enum status st = db_prepare(c, SQL_SOP_ROLE_GET, &q);
		if (st != ST_OK)
			return st;
		db_bind_text(q, 1, r->code);
		bool row;
		char kind[16] = "";
		if ((st = db_step(q, &row)) == ST_OK && row)
			st = copy_col(q, 2, kind, sizeof kind);
		db_done(q);
		if (st != ST_OK)
			return st;
		if (kind[0] && strcmp(kind, "sop") != 0) {
			err->line = r->line;
			snprintf(err->message, sizeof err->message,
				 "role '%s': the system's %s role cannot be an SOP role", r->code,
				 kind);
			return ST_INVALID;
		}
		if ((st = db_prepare(c, SQL_SOP_ROLE_UPSERT, &q)) != ST_OK)
			return st;
		db_bind_text(q, 1, r->code);
		db_bind_text(q, 2, r->title.id);
		db_bind_text(q, 3, r->title.en ? r->title.en : r->title.id);
		db_bind_int(q, 4, i + 1);
		db_bind_text(q, 5, r->superior);
		st = db_exec_stmt(q);
		db_done(q);
		if (st != ST_OK)
			return st;
	}
	return ST_OK;
}

/* The file name recorded with a version: as given, or its last component when that is too long
 * for sop_version_info. */
static const char *recorded_name(const char *filename)
{
	if (!filename || !*filename)
		return "(unnamed)";
	if (strlen(filename) < sizeof(((struct sop_version_info *)0)->filename))
		return filename;
	const char *slash = strrchr(filename, '/');
	const char *base = slash ? slash + 1 : filename;
	return strlen(base) < sizeof(((struct sop_version_info *)0)->filename) ? base
									       : "(long name)";
}

static enum status import_text(struct db_conn *c, struct audit *a, const struct actor *who,
			       const char *text, size_t len, const char *filename, bool builtin,
			       int64_t *id_out, int *version_out, bool *unchanged_out,
			       struct sop_error *err)
{
	struct sop *s = NULL;
	bool began = false;
	*id_out = 0;
	*version_out = 0;
	*unchanged_out = false;
	const char *name = recorded_name(filename);
	enum status st = sop_parse(text, len, filename, &s, err);
	if (st != ST_OK)
		return st;
	if ((st = db_begin(c)) != ST_OK)
		goto out;
	began = true;
	int64_t id;
	int version;
	char sha[65];
	/* A built-in definition is imported once per text: a restart must not put it back over a
	 * version an administrator imported since. An import by hand compares with the latest. */
	if (builtin) {
		if ((st = stored_version(c, s, true, &id, &version, sha)) != ST_OK)
			goto out;
		if (id) {
			*id_out = id, *version_out = version, *unchanged_out = true;
			goto out;
		}
	}
	if ((st = stored_version(c, s, false, &id, &version, sha)) != ST_OK)
		goto out;
	if (id && strcmp(sha, s->sha256) == 0) {
		*id_out = id, *version_out = version, *unchanged_out = true;
		goto out;
	}
	if ((st = upsert_roles(c, s, err)) != ST_OK)
		goto out;
	version++;
	struct db_stmt *q;
	if ((st = db_prepare(c, SQL_SOP_INSERT, &q)) != ST_OK)
		goto out;
	const char *by = who && who->name ? who->name : "system";
	db_bind_text(q, 1, s->code);
	db_bind_int(q, 2, version);
	db_bind_text(q, 3, s->sha256);
	db_bind_text(q, 4, s->header.title.id);
	db_bind_textn(q, 5, text, len);
	db_bind_text(q, 6, name);
	db_bind_int(q, 7, clock_now());
	db_bind_text(q, 8, by);
	st = db_exec_stmt(q);
	db_done(q);
	if (st != ST_OK)
		goto out;
	id = db_last_insert_id(c);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *detail = json_pack("{s:s, s:i, s:s, s:s}", "code", s->code, "version", version,
				   "sha256", s->sha256, "filename", name);
	if (!detail) {
		st = ST_NOMEM;
		goto out;
	}
	struct audit_event ev = {
		.actor_id = who ? who->user_id : 0,
		.actor = by,
		.address = who && who->address ? who->address : "system",
		.action = "sop.import",
		.object_type = "sop_version",
		.object_id = idbuf,
		.detail = detail,
	};
	st = audit_append(a, c, &ev, NULL);
	json_decref(detail);
	if (st != ST_OK)
		goto out;
	if ((st = db_commit(c)) != ST_OK)
		goto out;
	began = false;
	*id_out = id;
	*version_out = version;
out:
	if (began)
		db_rollback(c);
	if (st != ST_OK && st != ST_INVALID && err && !err->message[0])
		snprintf(err->message, sizeof err->message, "cannot store the definition: %s",
			 status_name(st));
	sop_free(s);
	return st;
}

enum status sop_import(struct db_conn *c, struct audit *a, const struct actor *who,
		       const char *text, size_t len, const char *filename, int64_t *version_id_out,
		       int *version_out, bool *unchanged_out, struct sop_error *err)
{
	struct sop_error scratch;
	int64_t id;
	int version;
	bool unchanged;
	enum status st = import_text(c, a, who, text, len, filename, false, &id, &version,
				     &unchanged, err ? err : &scratch);
	if (version_id_out)
		*version_id_out = id;
	if (version_out)
		*version_out = version;
	if (unchanged_out)
		*unchanged_out = unchanged;
	return st;
}

enum status sop_import_builtin(struct db_conn *c, struct audit *a, int *imported_out)
{
	static const struct actor sys_actor = {0, "system", "system"};
	int imported = 0;
	enum status st = ST_OK;
	for (const struct builtin_sop *b = builtin_sops; b->name; b++) {
		struct sop_error err;
		int64_t id;
		int version;
		bool unchanged;
		st = import_text(c, a, &sys_actor, (const char *)b->data, b->len, b->name, true,
				 &id, &version, &unchanged, &err);
		if (st != ST_OK) {
			char msg[600];
			sop_error_format(&err, msg, sizeof msg);
			log_error("built-in SOP definition refused: %s", msg);
			break;
		}
		if (!unchanged) {
			log_info("SOP definition %s imported as version %d", b->name, version);
			imported++;
		}
	}
	if (imported_out)
		*imported_out = imported;
	return st;
}

/* ---- the cache of stored versions ------------------------------------------------------------ */

/* Parsed versions stay until sop_cache_clear: callers hold pointers into them without a lock.
 * Versions are few (one per import by an administrator), so the cache is a plain list. */
struct cache_entry {
	int64_t id;
	struct sop *s;
	struct cache_entry *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry *cache_head;

static const struct sop *cache_find(int64_t id)
{
	for (struct cache_entry *e = cache_head; e; e = e->next)
		if (e->id == id)
			return e->s;
	return NULL;
}

enum status sop_load_version(struct db_conn *c, int64_t version_id, const struct sop **out)
{
	*out = NULL;
	pthread_mutex_lock(&cache_lock);
	const struct sop *hit = cache_find(version_id);
	pthread_mutex_unlock(&cache_lock);
	if (hit) {
		*out = hit;
		return ST_OK;
	}
	/* Parsed outside the lock; a racing loader of the same version loses below. */
	struct db_stmt *q;
	enum status st = db_prepare(c, SQL_SOP_GET, &q);
	if (st != ST_OK)
		return st;
	db_bind_int(q, 1, version_id);
	bool row;
	struct sop *s = NULL;
	if ((st = db_step(q, &row)) == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK) {
		const char *code = db_col_text(q, 0);
		const char *sha = db_col_text(q, 2);
		const char *text = db_col_text(q, 3);
		const char *file = db_col_text(q, 4);
		size_t len = text ? strlen(text) : 0;
		char actual[65];
		sha256_hex(text ? text : "", len, actual);
		struct sop_error err;
		if (!code || !sha || strcmp(actual, sha) != 0) {
			log_error("SOP version %lld: stored text does not match its SHA-256",
				  (long long)version_id);
			st = ST_CORRUPT;
		} else if (sop_parse(text, len, file, &s, &err) != ST_OK) {
			char msg[600];
			sop_error_format(&err, msg, sizeof msg);
			log_error("SOP version %lld no longer parses: %s", (long long)version_id,
				  msg);
			st = ST_CORRUPT;
		} else if (strcmp(s->code, code) != 0) {
			st = ST_CORRUPT;
		} else {
			s->version_id = version_id;
			s->version = (int)db_col_int(q, 1);
		}
	}
	db_done(q);
	if (st != ST_OK) {
		sop_free(s);
		return st;
	}
	struct cache_entry *e = malloc(sizeof *e);
	if (!e) {
		sop_free(s);
		return ST_NOMEM;
	}
	pthread_mutex_lock(&cache_lock);
	hit = cache_find(version_id);
	if (hit) {
		free(e);
		sop_free(s);
		*out = hit;
	} else {
		e->id = version_id;
		e->s = s;
		e->next = cache_head;
		cache_head = e;
		*out = s;
	}
	pthread_mutex_unlock(&cache_lock);
	return ST_OK;
}

void sop_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	struct cache_entry *e = cache_head;
	cache_head = NULL;
	pthread_mutex_unlock(&cache_lock);
	while (e) {
		struct cache_entry *next = e->next;
		sop_free(e->s);
		free(e);
		e = next;
	}
}

enum status sop_versions(struct db_conn *c,
			 enum status (*fn)(void *ctx, const struct sop_version_info *v), void *ctx)
{
	/* Collected first, so that FN may use the connection as it likes. */
	struct sop_version_info *all = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *q;
	enum status st = db_prepare(c, SQL_SOP_LIST, &q);
	if (st != ST_OK)
		return st;
	bool row;
	while ((st = db_step(q, &row)) == ST_OK && row) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct sop_version_info *more = realloc(all, ncap * sizeof *more);
			if (!more) {
				st = ST_NOMEM;
				break;
			}
			all = more, cap = ncap;
		}
		struct sop_version_info *v = &all[n];
		memset(v, 0, sizeof *v);
		v->id = db_col_int(q, 0);
		v->version = (int)db_col_int(q, 2);
		v->imported_at = db_col_int(q, 6);
		if ((st = copy_col(q, 1, v->code, sizeof v->code)) != ST_OK ||
		    (st = copy_col(q, 3, v->sha256, sizeof v->sha256)) != ST_OK ||
		    (st = copy_col(q, 4, v->title, sizeof v->title)) != ST_OK ||
		    (st = copy_col(q, 5, v->filename, sizeof v->filename)) != ST_OK ||
		    (st = copy_col(q, 7, v->imported_by, sizeof v->imported_by)) != ST_OK)
			break;
		n++;
	}
	db_done(q);
	for (size_t i = 0; st == ST_OK && i < n; i++)
		st = fn(ctx, &all[i]);
	free(all);
	return st;
}

enum status sop_version_source(struct db_conn *c, int64_t version_id, char **text_out,
			       size_t *len_out)
{
	*text_out = NULL;
	if (len_out)
		*len_out = 0;
	struct db_stmt *q;
	enum status st = db_prepare(c, SQL_SOP_GET, &q);
	if (st != ST_OK)
		return st;
	db_bind_int(q, 1, version_id);
	bool row;
	if ((st = db_step(q, &row)) == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK) {
		const char *text = db_col_text(q, 3);
		size_t len = text ? strlen(text) : 0;
		*text_out = malloc(len + 1);
		if (!*text_out) {
			st = ST_NOMEM;
		} else {
			memcpy(*text_out, text ? text : "", len + 1);
			if (len_out)
				*len_out = len;
		}
	}
	db_done(q);
	return st;
}
