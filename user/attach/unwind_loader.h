/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stack=kernel-dwarf: the unwind tables of the traced processes' modules,
 * in the kernel. A module file's table (symbolize/unwind_table.h) is built
 * once, keyed by device and inode, shared by every process mapping it, and
 * loaded as an inner map of unwind_tables; each process gets its sorted
 * executable mappings in unwind_procs (bpf/stack_dwarf.bpf.h). Tables are
 * loaded when a traced process is attached or launched (before it runs)
 * and when it maps a module (dlopen). The tables' bytes are capped: a
 * module that does not fit, once the tables no process maps have been let
 * go, is walked by frame pointers, and named on stderr.
 */
#ifndef MEMTRACE_UNWIND_LOADER_H
#define MEMTRACE_UNWIND_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "symbolize/proc_maps.h"

struct unwind_loader;

/* The maps of bpf/stack_dwarf.bpf.h, and the cap on the tables' bytes. */
struct unwind_loader_opts {
	int tables_fd;
	int procs_fd;
	uint64_t max_bytes;
	bool verbose;		/* a line per table built */
};

int unwind_loader__new(const struct unwind_loader_opts *opts, struct unwind_loader **out);
void unwind_loader__free(struct unwind_loader *ul);

/* pid's executable mappings (maps: all of them), their tables built or shared: -ENOMEM. */
int unwind_loader__process(struct unwind_loader *ul, pid_t pid, const struct proc_maps *maps);
/* A mapping pid made while traced (ignored for a process not added above): -ENOMEM. */
int unwind_loader__mapping(struct unwind_loader *ul, pid_t pid, const struct proc_map *m);
/*
 * pid's record ended: its mappings go here, and its tables when no
 * process maps them. The kernel's entry goes too when the process is gone
 * (it exited; or its maps never came): it drops the entry itself at the
 * exit, but a process can exit while user space was still telling its
 * mappings, which made the entry anew. After an exec the entry is the new
 * image's (bpf/stack_dwarf.bpf.h): it stays.
 */
void unwind_loader__forget(struct unwind_loader *ul, pid_t pid, bool gone);

/* What the tables hold now, for the snapshot. */
struct unwind_loader_stats {
	size_t modules;		/* with a table in the kernel */
	uint64_t bytes;		/* their rows */
	uint64_t max_bytes;	/* --max-unwind-mib */
	size_t not_fitted;	/* modules walked by frame pointers for want of room */
};
void unwind_loader__stats(const struct unwind_loader *ul, struct unwind_loader_stats *out);
/* The path of the i-th module that did not fit, i < stats.not_fitted. */
const char *unwind_loader__not_fitted(const struct unwind_loader *ul, size_t i);

#endif /* MEMTRACE_UNWIND_LOADER_H */
