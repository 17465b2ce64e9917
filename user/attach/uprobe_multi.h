/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uprobe_multi links (kernel 6.6+): one BPF link puts one program on many
 * offsets of one file, and its removal waits for the kernel's grace periods
 * once, not once per probe as perf-event uprobes do (about 0.08 s each,
 * one after the other). libbpf 1.1.2 has no wrapper: this is the raw
 * BPF_LINK_CREATE.
 */
#ifndef MEMTRACE_UPROBE_MULTI_H
#define MEMTRACE_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's value, absent from Debian 12's kernel headers */
#define UPROBE_MULTI_ATTACH_TYPE 48

/*
 * Whether the kernel takes uprobe_multi links. Loads a two-instruction
 * program once; the answer is cached.
 */
bool uprobe_multi__supported(void);

/*
 * Attaches prog_fd (loaded with expected_attach_type UPROBE_MULTI_ATTACH_TYPE)
 * to n offsets of path, as return probes when retprobe; pid 0 for every
 * process mapping the file. Returns the link's fd or a negative errno.
 */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets, size_t n,
			 bool retprobe, pid_t pid);

#endif /* MEMTRACE_UPROBE_MULTI_H */
