/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The call sites in a file whose return address tells an allocator's
 * probe who called it (enum mt_caller_kind, bpf/caller_sites.bpf.h):
 *
 * - every call that libstdc++'s operator new functions make (malloc,
 *   aligned_alloc, or another operator new: nothrow new calls new), with
 *   where that function's frame keeps its own return address and its
 *   caller's %rbp at the call, read from the file's CFI (.eh_frame);
 * - every call of free in glibc's thread-exit cleanup of its per-thread
 *   cache (__malloc_arena_thread_freeres, or tcache_thread_shutdown where
 *   it is not inlined), a local symbol found in the file's .symtab or its
 *   separate debug file (Debian's libc6-dbg).
 *
 * Sites are file offsets of the return addresses: a process that maps the
 * file has them at the mapping's address of that offset (caller_table.h).
 */
#ifndef MEMTRACE_CALLER_SITES_H
#define MEMTRACE_CALLER_SITES_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

struct caller_site {
	uint64_t file_offset;		/* of the return address */
	struct mt_caller_site value;
};

struct caller_site_list {
	struct caller_site *sites;	/* by file offset */
	size_t n, cap;
	int nr_funcs;			/* functions whose calls were looked at */
	/* calls left out: the CFI there is not a rule the probe can follow */
	int nr_unknown;
};

/*
 * The calls inside the operator new functions (_Znwm and its variants)
 * the file defines. A register-indirect call (the new handler) is left
 * out: what it calls is the program's own code. -ENOENT when the file
 * defines none of them.
 */
int caller_sites__scan_cxx(const char *open_path, struct caller_site_list *out);

/*
 * The calls of free in glibc's thread-exit cleanup. The file is known by
 * path in a process whose files are under root ("/proc/PID/root", NULL:
 * "/"), where its separate debug file is looked for too (never on a
 * debuginfod server: this runs while a process waits). -ENOENT when
 * neither names the cleanup function.
 */
int caller_sites__scan_freeres(const char *path, const char *open_path, const char *root,
			       struct caller_site_list *out);

void caller_sites__release(struct caller_site_list *l);

#endif /* MEMTRACE_CALLER_SITES_H */
