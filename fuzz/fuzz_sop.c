/*
 * libFuzzer harness for src/domain/sop.c (and sop_yaml.c over libyaml): SOP definitions come from
 * outside (an administrator's file, `sidang sop import`), so sop_parse must refuse anything
 * malformed cleanly. Checks the promises of the interface: a refusal has no result and a printable
 * ASCII message whose line lies within the input; an accepted definition keeps every limit and
 * every rule the graph pass promises, and turns into JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sop.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_accepted(const struct sop *s)
{
	check(s->code && s->nsteps >= 1 && s->nsteps <= SOP_MAX_STEPS);
	check(s->nroles >= 1 && s->nroles <= SOP_MAX_ROLES);
	int starts = 0;
	for (int i = 0; i < s->nsteps; i++) {
		const struct sop_step *st = &s->steps[i];
		starts += st->start;
		check(sop_step(s, st->number) == st);
		check(sop_role(s, st->role) != NULL);
		for (int k = 0; k < st->nalso; k++)
			check(sop_role(s, st->also[k]) != NULL);
		check(st->actions != 0 && st->text.id && st->text.en);
		if (st->kind == SOP_DECISION) {
			check(st->nanswers >= 2 && (st->actions & SOP_ACT_DECIDE));
			for (int k = 0; k < st->nanswers; k++) {
				const struct sop_next *n = &st->answers[k].next;
				check(n->step ? sop_step(s, n->step) != NULL : n->outcome != NULL);
			}
		} else {
			check(st->nanswers == 0 && !(st->actions & SOP_ACT_DECIDE));
			check(st->next.step ? sop_step(s, st->next.step) != NULL
					    : st->next.outcome != NULL);
		}
		check(!(st->actions & SOP_ACT_PUBLISH) || st->nstages > 0);
		for (int k = 0; k < st->ninputs; k++)
			check(st->inputs[k].name.id != NULL);
	}
	check(starts == 1 && sop_start(s) != NULL);
	json_t *j = sop_to_json(s);
	check(j != NULL);
	char *text = json_dumps(j, JSON_COMPACT);
	check(text != NULL);
	free(text);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sop *s = NULL;
	struct sop_error err;
	enum status st = sop_parse((const char *)data, size, "fuzz.yaml", &s, &err);
	if (st == ST_OK) {
		check(s != NULL);
		check_accepted(s);
		sop_free(s);
		return 0;
	}
	check(s == NULL);
	check(st == ST_INVALID || st == ST_NOMEM ||
	      (st == ST_TOO_LARGE && size > SOP_DEFINITION_BYTES));
	check(err.message[0] != '\0');
	for (const char *c = err.message; *c; c++)
		check(*c >= 0x20 && *c < 0x7f);
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	check(err.line >= 0 && err.line <= lines + 1);
	return 0;
}
