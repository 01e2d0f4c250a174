/*
 * The SOP definitions built into the binary: every .yaml file under sop/ in the source tree,
 * embedded at build time by tools/embed_sop.cmake into generated/sop_data.c. sop_import_builtin
 * imports them.
 */
#ifndef SIDANG_DOMAIN_SOP_BUILTIN_H
#define SIDANG_DOMAIN_SOP_BUILTIN_H

#include <stddef.h>

struct builtin_sop {
	const char *name;          /* "sop/pemilihan-pengunggahan-data.yaml" */
	const unsigned char *data; /* the file's bytes, followed by a NUL not counted in len */
	size_t len;
};

/* Sorted by name; ends with an entry whose name is NULL. */
extern const struct builtin_sop builtin_sops[];

#endif
