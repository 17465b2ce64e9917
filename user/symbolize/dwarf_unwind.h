/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stack=dwarf: unwinds a stack dump (registers and the top of the user
 * stack, struct mt_stack_dump) with the CFI of the modules the process
 * maps, through libdw. One per process, kept across dumps: each module's
 * ELF and CFI are read once. Works after the process has exited, from the
 * maps cached while it lived.
 */
#ifndef MEMTRACE_DWARF_UNWIND_H
#define MEMTRACE_DWARF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "symbolize/proc_maps.h"

struct dwarf_unwinder;

/* root: the process's root ("/proc/PID/root") for opening its modules, or NULL. */
int dwarf_unwinder__new(pid_t pid, const char *root, struct dwarf_unwinder **out);
void dwarf_unwinder__free(struct dwarf_unwinder *u);

/* (Re)declares the process's modules; modules already known keep their CFI. */
int dwarf_unwinder__set_maps(struct dwarf_unwinder *u, const struct proc_maps *maps);

/*
 * Unwinds d into frames, leaf first, starting at the allocator's direct
 * caller (d->skip frames of memtrace's own are dropped): return addresses, like
 * the frame-pointer walk's. *truncated: the unwind stopped before the
 * outermost frame (the stack copy or the CFI ran out, or max was reached).
 * Returns the number of frames (0 when not even the caller could be found)
 * or a negative errno.
 */
int dwarf_unwinder__unwind(struct dwarf_unwinder *u, const struct mt_stack_dump *d,
			   uint64_t *frames, size_t max, bool *truncated);

#endif /* MEMTRACE_DWARF_UNWIND_H */
