/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The libc allocator functions memtrace probes, by enum mt_func. */
#ifndef MEMTRACE_ALLOC_FUNCS_H
#define MEMTRACE_ALLOC_FUNCS_H

#include <stdbool.h>

#include "attach/probe_placement.h"

#include <linux/types.h>
#include <memtrace/event.h>

const char *alloc_funcs__name(enum mt_func fn);
/* free() is probed at entry only; every other function also at return. */
bool alloc_funcs__has_return(enum mt_func fn);
/* What a probe on fn must leave intact: the registers its BPF program reads. */
struct placement_rules alloc_funcs__placement_rules(enum mt_func fn);

#endif /* MEMTRACE_ALLOC_FUNCS_H */
