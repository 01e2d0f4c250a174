/*
 * Private to domain/sop.c: a YAML document as a small tree whose every node knows its line, built
 * from libyaml's event API. The tree keeps only what a definition needs — scalars (with whether
 * they were written plain, so that `~` is null but "~" is text), sequences and mappings — and
 * refuses the rest of YAML: anchors and aliases (billion laughs), tags, more than one document,
 * nesting deeper than SOP_YAML_DEPTH and more than SOP_YAML_NODES nodes.
 */
#ifndef SIDANG_DOMAIN_SOP_YAML_H
#define SIDANG_DOMAIN_SOP_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/status.h"

enum ynode_kind { YN_SCALAR, YN_SEQUENCE, YN_MAPPING };

struct ynode {
	enum ynode_kind kind;
	int line;          /* 1-based line where the node starts */
	bool plain;        /* a scalar written without quotes or block indicators */
	const char *value; /* scalar bytes, NUL-terminated; may hold NULs from escapes (see len) */
	size_t len;
	struct ynode *first; /* children; a mapping's children alternate key, value */
	struct ynode *last;
	struct ynode *next; /* the next sibling */
	struct ynode *parent;
	int count; /* children (a mapping: twice its pairs) */
};

/* Parses LEN bytes of TEXT (UTF-8) into a tree allocated in A. On refusal ST_INVALID with
 * *LINE_OUT (1-based; 0 when not tied to a line) and MSG (printable ASCII) filled; ST_NOMEM when A
 * runs out. An empty document gives *ROOT_OUT NULL. */
enum status sop_yaml_parse(const char *text, size_t len, struct arena *a, struct ynode **root_out,
			   int *line_out, char *msg, size_t msglen);

#endif
