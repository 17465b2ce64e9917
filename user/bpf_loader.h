/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side as user space sees it: load the skeleton, attach probes to
 * a process's libc, mark processes traced, read the drop counters.
 */
#ifndef MEMTRACE_BPF_LOADER_H
#define MEMTRACE_BPF_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "libc_locate.h"

struct bpf_loader;

struct bpf_loader_opts {
	uint64_t ringbuf_bytes;	/* power of two, at least a page */
	bool verbose;		/* libbpf's debug output */
};

int bpf_loader__open(const struct bpf_loader_opts *opts, struct bpf_loader **out);
void bpf_loader__free(struct bpf_loader *l);
int bpf_loader__events_fd(const struct bpf_loader *l);

int bpf_loader__attach_thread_exit(struct bpf_loader *l);
/*
 * Probes every site of img for pid (-1: every process mapping it):
 * returns first, so no traced entry can miss its return. Aliased sites
 * are attached once.
 */
int bpf_loader__attach_libc(struct bpf_loader *l, pid_t pid, const struct libc_image *img);
/* Launch mode: stop pid with SIGSTOP each time it reaches this code. */
int bpf_loader__attach_startup_stop(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset);
/* The startup stop stops no one any more (its link goes with the others). */
void bpf_loader__disarm_startup_stop(struct bpf_loader *l);
/* Detaches every probe: the targets run on untraced. */
void bpf_loader__detach_all(struct bpf_loader *l);

/* Only traced processes produce records; mark them once attached. */
int bpf_loader__add_target(struct bpf_loader *l, pid_t pid);
/* Stops recording pid at once; its probes stay until detach_all. */
int bpf_loader__remove_target(struct bpf_loader *l, pid_t pid);

/* Sums the per-CPU drop counters. */
int bpf_loader__read_drops(const struct bpf_loader *l, uint64_t drops[MT_DROP_COUNT]);

#endif /* MEMTRACE_BPF_LOADER_H */
