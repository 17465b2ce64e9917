/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finds a module's separate debug file: under the debug directory by build
 * id (DEBUG_DIR/.build-id/xx/yyyy.debug), by its .gnu_debuglink name (next
 * to the module, in its .debug/ subdirectory, or under DEBUG_DIR plus the
 * module's directory; the CRC must match), or from the debuginfod servers
 * in DEBUGINFOD_URLS. Distributions strip their libraries and ship this
 * file apart (Debian's -dbg and -dbgsym packages): it has the .symtab that
 * names static functions, and the DWARF for file:line.
 */
#ifndef MEMTRACE_DEBUGINFO_H
#define MEMTRACE_DEBUGINFO_H

#include <stdbool.h>

#include "symbolize/elf_file.h"

struct debuginfo;

struct debuginfo_opts {
	const char *debug_dir;		/* NULL: /usr/lib/debug */
	unsigned int debuginfod_ms;	/* time all debuginfod fetches may take together; 0: 30 s */
	bool local_only;		/* never ask debuginfod (a process waits for the answer) */
};

/* opts may be NULL for the defaults. NULL when memory runs out. */
struct debuginfo *debuginfo__new(const struct debuginfo_opts *opts);
void debuginfo__free(struct debuginfo *d);

/*
 * The debug file of ef, a module the process knows by path and sees under
 * root ("/proc/PID/root", or NULL for "/"): the process's own directories
 * are searched first, then this machine's. On success *out is the debug
 * file (its build id or CRC checked) and *out_path where it is, both the
 * caller's to free. -ENOENT when there is none, -ENOMEM.
 *
 * debuginfod is asked only when DEBUGINFOD_URLS is set and nothing local
 * was found; after a failure other than "not there", or once the time
 * budget is spent, it is not asked again.
 */
int debuginfo__find(struct debuginfo *d, const struct elf_file *ef, const char *path,
		    const char *root, struct elf_file **out, char **out_path);

#endif /* MEMTRACE_DEBUGINFO_H */
