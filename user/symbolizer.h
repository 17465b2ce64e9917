/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses in a process -> module, module offset, function and offset.
 * ELF files are opened once and shared by every process that maps them
 * (keyed by device and inode, so a replaced file is not confused with the
 * one a process still maps).
 */
#ifndef MEMTRACE_SYMBOLIZER_H
#define MEMTRACE_SYMBOLIZER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc_maps.h"

struct symbolizer;

struct frame_info {
	const char *module;	/* path of the mapped file, NULL if not file-backed */
	uint64_t module_offset;	/* link-time virtual address inside the module */
	const char *symbol;	/* NULL when no symbol contains the address */
	uint64_t symbol_offset;
	bool mapped;		/* the address lies in an executable mapping */
};

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *s);

/*
 * Resolves ip within the address space described by maps. root is the
 * process's root directory ("/proc/PID/root") under which module paths are
 * opened, or NULL for "/". Return addresses (is_return) are looked up at
 * ip - 1 so a call at the very end of a function names that function; the
 * reported offsets are still of ip. Strings stay valid until
 * symbolizer__free.
 */
void symbolizer__resolve(struct symbolizer *s, const struct proc_maps *maps, const char *root,
			 uint64_t ip, bool is_return, struct frame_info *out);

#endif /* MEMTRACE_SYMBOLIZER_H */
