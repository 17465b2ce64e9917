/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding the allocators beside libc in a process: libstdc++'s operator
 * new (found, not probed: caller_table.h tells its calls of malloc),
 * jemalloc, tcmalloc and mimalloc, as shared libraries in its maps or
 * linked into its executable, and where each function they are called by
 * starts. One probe per address: a symbol at an address already listed
 * (an alias, or the same function claimed by two allocators in one
 * executable) shares that probe.
 */
#ifndef MEMTRACE_ALLOCATOR_LOCATE_H
#define MEMTRACE_ALLOCATOR_LOCATE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "attach/allocator_funcs.h"
#include "attach/libc_locate.h"
#include "symbolize/proc_maps.h"

struct allocator_site {
	const char *symbol;	/* static: from allocator_funcs */
	enum allocator_shape shape;
	uint64_t file_offset;	/* of its first instruction, where both its probes go */
	uint64_t vaddr;
};

struct allocator_image {
	enum mt_allocator allocator;
	char *path;		/* as the process maps it */
	char *open_path;	/* where memtrace opens it: under /proc/PID/root */
	struct allocator_site *sites;
	int nr_sites;
	int nr_aliases;		/* symbols left out: same address as a listed site */
};

struct allocator_set {
	struct allocator_image *images;
	int nr_images;
};

/*
 * Resolves family's symbols in one file; already holds the images found
 * so far, whose sites in the same file are not listed again. -ENOENT when
 * the file defines none of them.
 */
int allocator_locate__in_file(const struct allocator_family *family, const char *path,
			      const char *open_path, const struct allocator_set *already,
			      struct allocator_image *out);
/*
 * Every allocator in pid's maps (by library name) and in its executable
 * exe (by marker symbol; NULL: the one /proc/PID/exe names). Finding none
 * is no error: out is then empty. -ENOMEM.
 */
int allocator_locate__in_process(pid_t pid, const struct proc_maps *maps, const char *exe,
				 struct allocator_set *out);
/*
 * The allocator a mapping a process made while traced holds, if it is one
 * of the libraries (libstdc++ loaded by a dlopen-ed extension): out is
 * empty otherwise. -ENOMEM.
 */
int allocator_locate__in_mapping(pid_t pid, const struct proc_map *m, struct allocator_set *out);
/*
 * The same for an executable that has not started yet (launch mode, a
 * static CMD): the allocators linked into it, by marker symbol.
 */
int allocator_locate__in_executable(const char *path, const char *open_path,
				    struct allocator_set *out);
/*
 * A static executable's malloc is libc's to libc_locate, but jemalloc's
 * when jemalloc is linked in: drops from libc the sites the set probes,
 * so that each address keeps one probe, of its real allocator.
 */
void allocator_locate__take_from_libc(const struct allocator_set *set, struct libc_image *libc);
void allocator_locate__release_image(struct allocator_image *img);
void allocator_locate__release(struct allocator_set *set);
/* One line per image: which allocator, where, how many probes (-v). */
void allocator_locate__describe(const struct allocator_set *set, pid_t pid, FILE *out);
/* What was searched, for the message when a process has no allocator at all. */
const char *allocator_locate__searched(void);

#endif /* MEMTRACE_ALLOCATOR_LOCATE_H */
