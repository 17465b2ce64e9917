/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between a process's record (account/process.h) and the prober
 * (attach/prober.h), which may not see it: the record as the prober reads
 * it, and what probing did, applied to the record.
 */
#ifndef MEMTRACE_PROCESS_PROBES_H
#define MEMTRACE_PROCESS_PROBES_H

#include "account/process.h"
#include "account/tracker.h"
#include "attach/launcher.h"
#include "attach/prober.h"

/* p as the prober sees it: its hooks count p's GPU libraries and collections. */
struct probe_target process_probes__target(struct mt_process *p);
/* The libc whose probes p got (img left empty), for the report; none when img is. -ENOMEM. */
int process_probes__keep_libc(struct mt_process *p, struct libc_image *img);
/*
 * launcher_ready_fn's work: the launched child registered in t, with the
 * maps read at its startup stop (taken), and the probes it needs before
 * it runs on (GPU, collections, --step-probe). A negative errno, said.
 */
int process_probes__launched(struct tracker *t, struct prober *pr, struct launched *child,
			     struct proc_maps *maps);

#endif /* MEMTRACE_PROCESS_PROBES_H */
