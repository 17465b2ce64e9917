/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which groups of resource probes (bpf/resources.bpf.h) run in this run, and why not. */
#ifndef MEMTRACE_RES_PROBES_H
#define MEMTRACE_RES_PROBES_H

#include <stdbool.h>

#include <linux/types.h>
#include <memtrace/resources.h>

struct res_probes {
	bool on[MT_RES_GROUPS];			/* enum mt_res_group */
	const char *why_not[MT_RES_GROUPS];	/* static text; NULL where on */
	bool thread_sockets;	/* which sockets each thread used: the sockets' tracepoints only */
};

#endif /* MEMTRACE_RES_PROBES_H */
