/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Python frames (issue 15): each traced CPython process told to the kernel
 * (python_procs, bpf/python_walk.bpf.h) with where its interpreters list
 * is and its version's struct offsets (symbolize/py_target.h), when it is
 * attached or launched (before it runs: the list is empty until the
 * interpreter starts, and the walk finds nothing until then), when it
 * joins (exec) and when it maps a libpython (embedding programs dlopen
 * it). A forked child has its parent's entry from the kernel. A Python
 * memtrace cannot read is named once on stderr, and keeps native stacks.
 */
#ifndef MEMTRACE_PYTHON_LOADER_H
#define MEMTRACE_PYTHON_LOADER_H

#include <stdbool.h>
#include <sys/types.h>

#include "symbolize/proc_maps.h"

struct python_loader;

int python_loader__new(int procs_fd, bool verbose, struct python_loader **out);
void python_loader__free(struct python_loader *pl);

/* pid's interpreter, if it runs one memtrace can read: -ENOMEM only. */
int python_loader__process(struct python_loader *pl, pid_t pid, const struct proc_maps *maps);
/* A mapping pid made while traced: a libpython loaded by an embedding program. */
int python_loader__mapping(struct python_loader *pl, pid_t pid, const struct proc_map *m);
/* pid's record ended; its entry goes when the process is gone (the kernel's may be remade late). */
void python_loader__forget(struct python_loader *pl, pid_t pid, bool gone);

#endif /* MEMTRACE_PYTHON_LOADER_H */
