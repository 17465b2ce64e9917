/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses in a process -> module, module offset, function and offset,
 * and on demand source file, line and inlined calls. ELF files are opened
 * once and shared by every process that maps them: keyed by device and
 * inode (so a replaced file is not confused with the one a process still
 * maps), and by build id once read (so identical copies share one table).
 */
#ifndef MEMTRACE_SYMBOLIZER_H
#define MEMTRACE_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbolize/proc_maps.h"

struct symbolizer;

struct frame_info {
	const char *module;	/* path of the mapped file, NULL if not file-backed */
	uint64_t module_offset;	/* link-time virtual address inside the module */
	const char *build_id;	/* its GNU build id, lowercase hex; NULL: none or unread */
	const char *symbol;	/* NULL when no symbol contains the address; C++: demangled */
	/* the mangled name symbol was demangled from; NULL when it was not (C, not C++) */
	const char *linkage_name;
	uint64_t symbol_offset;	/* 0 in an inlined frame */
	const char *file;	/* source file (see source_lines.h), NULL when unknown */
	unsigned int line;	/* 0 when unknown */
	bool inlined;		/* a call inlined into the next frame, not a frame of its own */
	bool mapped;		/* the address lies in an executable mapping */
	/* a Python frame (py_frames.h): symbol, file and line, no module or address */
	bool python;
};

struct symbolizer_opts {
	const char *debug_dir;		/* separate debug files; NULL: /usr/lib/debug */
	unsigned int debuginfod_ms;	/* time all debuginfod fetches may take together; 0: 30 s */
};

/* symbolizer__new() is symbolizer__new_opts(NULL). NULL when memory runs out. */
struct symbolizer *symbolizer__new(void);
struct symbolizer *symbolizer__new_opts(const struct symbolizer_opts *opts);
void symbolizer__free(struct symbolizer *s);

/*
 * Resolves ip within the address space described by maps. proc_dir is the
 * process's /proc directory ("/proc/PID") while it lives, or NULL: a
 * module is read through PROC_DIR/map_files/START-END (the very file
 * mapped, even deleted or in another mount namespace; needs
 * CAP_SYS_ADMIN), then PROC_DIR/root/PATH (the process's own files), then
 * PATH. Return addresses (is_return) are looked up at ip - 1 so a call at
 * the very end of a function names that function, and its line is the
 * call's; the reported offsets are still of ip. Strings stay valid until
 * symbolizer__free.
 *
 * A module without .symtab gets the one of its separate debug file (see
 * debuginfo.h). A C++ function's symbol is its readable name, demangled
 * once per module (demangle.h), and linkage_name the mangled one.
 */
void symbolizer__resolve(struct symbolizer *s, const struct proc_maps *maps, const char *proc_dir,
			 uint64_t ip, bool is_return, struct frame_info *out);

/*
 * Reads now the modules of maps whose files were deleted (proc_map__deleted):
 * only proc_dir/map_files reaches them, and only while the process lives,
 * so their names are there once it has exited. Other modules are read when
 * a frame needs them: their paths still lead to them.
 */
void symbolizer__read_deleted(struct symbolizer *s, const struct proc_maps *maps,
			      const char *proc_dir);

/*
 * symbolizer__resolve with source file and line from the module's DWARF
 * (its own or its debug file's), and the calls inlined at ip as frames of
 * their own: out[0] is the innermost inlined function, each frame is
 * followed by the one it was inlined into, and the last, out[n - 1], is
 * the function ip is in (the only one with inlined false). All share ip's
 * module and offsets. Returns n (at least 1), which may exceed max: only
 * the first max frames are written. Results are cached per module and
 * address.
 */
size_t symbolizer__resolve_frames(struct symbolizer *s, const struct proc_maps *maps,
				  const char *proc_dir, uint64_t ip, bool is_return,
				  struct frame_info *out, size_t max);

#endif /* MEMTRACE_SYMBOLIZER_H */
