/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What one page fault costs on this machine, end to end. The kernel's
 * fault handler, where memtrace times a fault, sees only part of it: the
 * trap into the kernel and back, and on a VM the hypervisor's own work,
 * fall outside and show as the thread's CPU time (here ~11.6 us a fresh
 * page end to end against ~1.6 us inside the handler). The bottleneck
 * counts each fault at least this long (account/resources.c).
 */
#ifndef MEMTRACE_FAULT_COST_H
#define MEMTRACE_FAULT_COST_H

#include <stdint.h>

/*
 * Touches fresh anonymous pages of memtrace's own (a few batches of 64,
 * no huge pages) and sets *ns to the cheapest batch's time per page.
 * 0 or a negative errno (no memory to map).
 */
int fault_cost__measure(uint64_t *ns);

#endif /* MEMTRACE_FAULT_COST_H */
