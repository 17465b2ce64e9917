/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's per-thread resource counters (bpf/resources.bpf.h) into the
 * tracker's threads (mt_thread.res), read every second and at the end.
 */
#ifndef MEMTRACE_RESOURCE_POLL_H
#define MEMTRACE_RESOURCE_POLL_H

#include <stdint.h>

#include "account/tracker.h"

/* How often tracing reads the counters: a live view refreshes this often. */
#define RESOURCE_POLL_INTERVAL_NS 1000000000ULL

/*
 * Copies every entry of the thread_res map (map_fd) into its thread, made
 * on first sight; an exited thread's entry is deleted at the read after
 * the one that found it exited (its last switch-out has come by then).
 * Then each running process's RSS and sockets, and with socks_fd (the
 * res_thread_socks map; -1 without it) each running thread's. 0 or -ENOMEM.
 */
int resource_poll__read(struct tracker *t, int map_fd, int socks_fd, uint64_t now_ns);
/* Why the machine gives no PMU counters (static text), or NULL when it has a PMU. */
const char *resource_poll__pmu_why_not(void);

#endif /* MEMTRACE_RESOURCE_POLL_H */
