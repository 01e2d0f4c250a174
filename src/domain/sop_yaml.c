/* A YAML document as a tree with line numbers (sop_yaml.h), over libyaml's event API. The event
 * API rather than libyaml's document loader: the loader resolves aliases into shared nodes, which
 * is exactly what a definition must not contain, and records no way to refuse them. */
#include "domain/sop_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "domain/sop.h"
#include "util/utf8.h"

__attribute__((format(printf, 3, 4))) static enum status refuse(char *msg, size_t msglen,
								const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	/* libyaml's own texts are ASCII, but keep the promise of printable ASCII regardless. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return ST_INVALID;
}

/* The 1-based line of byte OFFSET of TEXT. */
static int line_of_offset(const char *text, size_t len, size_t offset)
{
	int line = 1;
	for (size_t i = 0; i < offset && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Refuses invalid UTF-8 and control characters before libyaml sees them, naming the line; a
 * multi-byte sequence never holds '\n', so checking line by line is exact. Also refuses what
 * libyaml, but no editor, counts as a line break (a CR not before LF, U+0085, U+2028, U+2029), so
 * that libyaml's line numbers and ours are the same. */
static enum status check_bytes(const char *text, size_t len, int *line_out, char *msg,
			       size_t msglen)
{
	size_t start = 0;
	int line = 1;
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (!utf8_valid(text + start, end - start)) {
			*line_out = line;
			return refuse(msg, msglen, "invalid UTF-8");
		}
		for (size_t i = start; i < end; i++) {
			const unsigned char *u = (const unsigned char *)text + i;
			bool lone_cr = u[0] == '\r' && !(i + 1 == end && nl);
			if ((u[0] < 0x20 && u[0] != '\t' && u[0] != '\r') || u[0] == 0x7f ||
			    lone_cr) {
				*line_out = line;
				return refuse(msg, msglen, "control character 0x%02x", u[0]);
			}
			if (u[0] == 0xc2 && u[1] <= 0x9f) { /* C1 controls, U+0085 among them */
				*line_out = line;
				return refuse(msg, msglen, "control character U+%04X", u[1]);
			}
			if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
				*line_out = line;
				return refuse(msg, msglen, "a Unicode line or paragraph separator");
			}
		}
		start = end + 1;
		line++;
	}
	return ST_OK;
}

struct builder {
	struct arena *a;
	struct ynode *stack[SOP_YAML_DEPTH];
	int depth;
	struct ynode *root;
	int nodes;
};

/* Adds a node of KIND at LINE under the open collection (or as the root). */
static enum status add_node(struct builder *b, enum ynode_kind kind, int line, struct ynode **out)
{
	if (++b->nodes > SOP_YAML_NODES)
		return ST_TOO_LARGE;
	struct ynode *n = arena_alloc(b->a, sizeof *n);
	if (!n)
		return ST_NOMEM;
	n->kind = kind;
	n->line = line;
	if (b->depth == 0) {
		b->root = n;
	} else {
		struct ynode *p = b->stack[b->depth - 1];
		n->parent = p;
		if (p->last)
			p->last->next = n;
		else
			p->first = n;
		p->last = n;
		p->count++;
	}
	*out = n;
	return ST_OK;
}

/* The anchor and tag of a node event: neither is allowed. */
static const char *forbidden_property(const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default: break;
	}
	if (anchor)
		return "anchors and aliases are not allowed";
	if (tag)
		return "tags are not allowed";
	return NULL;
}

enum status sop_yaml_parse(const char *text, size_t len, struct arena *a, struct ynode **root_out,
			   int *line_out, char *msg, size_t msglen)
{
	*root_out = NULL;
	*line_out = 0;
	msg[0] = '\0';
	enum status st = check_bytes(text, len, line_out, msg, msglen);
	if (st != ST_OK)
		return st;

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return ST_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	struct builder b = {.a = a};
	int documents = 0;
	bool done = false;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				st = ST_NOMEM;
				break;
			}
			if (parser.error == YAML_READER_ERROR)
				*line_out = line_of_offset(text, len, parser.problem_offset);
			else
				*line_out = (int)parser.problem_mark.line + 1;
			if (parser.context)
				st = refuse(msg, msglen, "yaml: %s %s",
					    parser.problem ? parser.problem : "syntax error",
					    parser.context);
			else
				st = refuse(msg, msglen, "yaml: %s",
					    parser.problem ? parser.problem : "syntax error");
			break;
		}
		int line = (int)ev.start_mark.line + 1;
		const char *bad = forbidden_property(&ev);
		struct ynode *n = NULL;
		if (bad) {
			*line_out = line;
			st = refuse(msg, msglen, "%s", bad);
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				*line_out = line;
				st = refuse(msg, msglen, "more than one YAML document");
			}
			break;
		case YAML_ALIAS_EVENT:
			*line_out = line;
			st = refuse(msg, msglen, "anchors and aliases are not allowed");
			break;
		case YAML_SCALAR_EVENT:
			if ((st = add_node(&b, YN_SCALAR, line, &n)) != ST_OK)
				break;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->len = ev.data.scalar.length;
			n->value = arena_strndup(a, (const char *)ev.data.scalar.value, n->len);
			if (!n->value)
				st = ST_NOMEM;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (b.depth == SOP_YAML_DEPTH) {
				*line_out = line;
				st = refuse(msg, msglen, "nested deeper than %d levels",
					    SOP_YAML_DEPTH);
				break;
			}
			st = add_node(
				&b, ev.type == YAML_MAPPING_START_EVENT ? YN_MAPPING : YN_SEQUENCE,
				line, &n);
			if (st == ST_OK)
				b.stack[b.depth++] = n;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth > 0)
				b.depth--;
			break;
		default: break;
		}
		if (st == ST_TOO_LARGE) {
			*line_out = line;
			st = refuse(msg, msglen, "more than %d YAML nodes", SOP_YAML_NODES);
		}
		yaml_event_delete(&ev);
		if (st != ST_OK)
			break;
	}
	yaml_parser_delete(&parser);
	if (st == ST_OK)
		*root_out = b.root;
	return st;
}
