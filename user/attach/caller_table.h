/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's table of call sites (bpf/caller_sites.bpf.h), kept from
 * what the traced processes map: each process holds the addresses of the
 * sites in the files it maps (caller_sites.h), and an address stays in
 * the kernel's table while a process holds it. A forked child holds its
 * parent's; a process that exits or execs lets go of its own. One table
 * serves every process, keyed by address alone: a forked child shares its
 * parent's addresses, and under -p the probes fire only in the target.
 */
#ifndef MEMTRACE_CALLER_TABLE_H
#define MEMTRACE_CALLER_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/allocator_locate.h"
#include "attach/caller_sites.h"
#include "symbolize/proc_maps.h"

struct caller_table;

/* Puts site at addr into the kernel's table, or takes addr out (site NULL). Negative errno. */
typedef int (*caller_table_write_fn)(void *ctx, uint64_t addr, const struct mt_caller_site *site);

int caller_table__new(caller_table_write_fn write, void *ctx, struct caller_table **out);
void caller_table__free(struct caller_table *t);

/*
 * pid holds the sites of kind in the file it maps at path (opened through
 * open_path), at the addresses its executable mappings of that file give
 * them in maps. Each file is scanned once. *sites (may be NULL) is the
 * file's list, the table's. -ENOENT when the file has none of the
 * functions, -ENOMEM; a full kernel table is said once on stderr, and the
 * sites that did not fit are left out.
 */
int caller_table__add_file(struct caller_table *t, pid_t pid, enum mt_caller_kind kind,
			   const char *path, const char *open_path, const struct proc_maps *maps,
			   const struct caller_site_list **sites);
/*
 * The sites of a process's allocators: operator new's in each libstdc++
 * image of allocs (an executable linked with it), the thread-exit cleanup's
 * in its libc (libc_path, or the libc in maps when NULL). -v says what was
 * found, or why the cleanup was not. -ENOMEM.
 */
int caller_table__add_process(struct caller_table *t, pid_t pid, const struct proc_maps *maps,
			      const struct allocator_set *allocs, const char *libc_path,
			      bool verbose);
/* A forked child: it holds what its parent holds. -ENOMEM. */
int caller_table__copy(struct caller_table *t, pid_t parent, pid_t child);
/* pid exited or exec-ed: what no other process holds leaves the kernel's table. */
void caller_table__drop(struct caller_table *t, pid_t pid);
/* Addresses in the kernel's table. */
size_t caller_table__size(const struct caller_table *t);

#endif /* MEMTRACE_CALLER_TABLE_H */
