/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Link-time addresses -> source file, line and the calls inlined there,
 * from one ELF file's DWARF (the module's own, or its separate debug
 * file), through libdw.
 */
#ifndef MEMTRACE_SOURCE_LINES_H
#define MEMTRACE_SOURCE_LINES_H

#include <stddef.h>
#include <stdint.h>

struct source_lines;

struct source_frame {
	const char *function;	/* NULL when DWARF does not name it */
	const char *file;	/* absolute when DWARF names the build directory; NULL: unknown */
	unsigned int line;	/* 0: unknown */
};

/* -ENOENT/-EACCES from open, -ENODATA when the file has no DWARF, -ENOMEM. */
int source_lines__open(const char *path, struct source_lines **out);
void source_lines__free(struct source_lines *sl);

/*
 * Where vaddr's code comes from, innermost first: out[0] is the innermost
 * function inlined at vaddr with the line vaddr is on, each next frame the
 * function that one was inlined into with the line of that call, and the
 * last the function vaddr belongs to. Returns the number of frames, which
 * may exceed max (only the first max are written); 0 when the DWARF does
 * not cover vaddr; -ENOMEM. Strings stay valid until source_lines__free.
 */
int source_lines__lookup(struct source_lines *sl, uint64_t vaddr, struct source_frame *out,
			 size_t max);

#endif /* MEMTRACE_SOURCE_LINES_H */
