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
 * pid's record ended (exit, exec): its mappings go here, and its tables
 * when no process maps them. The kernel's entry is the kernel's to drop
 * (bpf/stack_dwarf.bpf.h): by now it may be a new image's, or a new
 * process's under the same PID.
 */
void unwind_loader__forget(struct unwind_loader *ul, pid_t pid);
/*
 * pid's maps never came: its entry goes from the kernel too, or its
 * stacks would be copied for user space, as an exec-ed image's are
 * until its maps are told, for as long as it lives.
 */
void unwind_loader__give_up(struct unwind_loader *ul, pid_t pid);

#endif /* MEMTRACE_UNWIND_LOADER_H */
