/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side as user space sees it: load the skeleton, attach probes to
 * a process's libc, fill the table of call sites, mark processes traced,
 * read the drop counters.
 */
#ifndef MEMTRACE_BPF_LOADER_H
#define MEMTRACE_BPF_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "attach/allocator_locate.h"
#include "attach/caller_table.h"
#include "attach/gpu_locate.h"
#include "attach/libc_locate.h"
#include "attach/res_probes.h"

struct bpf_loader;

struct bpf_loader_opts {
	uint64_t ringbuf_bytes;	/* power of two, at least a page */
	bool verbose;		/* libbpf's debug output */
	enum mt_stack_mode stack_mode;
	uint64_t sample_bytes;
	enum mt_scope scope;	/* which processes the probes serve */
	bool follow;		/* a traced process's children are traced (MT_SCOPE_TARGETS) */
	int cgroup_fd;		/* --cgroup: its directory, open; else -1 */
	const char *comm;	/* --comm, or NULL */
	bool resources;		/* the per-thread resource probes (bpf/resources.bpf.h) */
};


int bpf_loader__open(const struct bpf_loader_opts *opts, struct bpf_loader **out);
void bpf_loader__free(struct bpf_loader *l);
int bpf_loader__events_fd(const struct bpf_loader *l);

/* Fork, exec and exit: lifecycle records, and the kernel's own following of new processes. */
int bpf_loader__attach_lifecycle(struct bpf_loader *l);
/* mmap, munmap, mremap and brk of every traced process, as system calls. */
int bpf_loader__attach_mmap(struct bpf_loader *l);
/*
 * The resource probes that loaded (bpf_loader_opts.resources), each group
 * whole or not at all: a group whose hook the kernel lacks, or that fails
 * to attach, is off in out with its reason; the others run. 0 or -ENOMEM.
 */
int bpf_loader__attach_resources(struct bpf_loader *l, struct res_probes *out);
/* The thread_res map (include/memtrace/resources.h), and the threads it had no room for. */
int bpf_loader__resources_fd(const struct bpf_loader *l);
/* The map of the sockets each thread moved data on; -1 when its probes do not run. */
int bpf_loader__thread_socks_fd(const struct bpf_loader *l);
uint64_t bpf_loader__res_threads_lost(const struct bpf_loader *l);
/*
 * Probes every site of img for pid, entry and return at the site's
 * probe_offset (the return address is still at the stack pointer there):
 * returns first, so no traced entry can miss its return. Aliased sites are
 * attached once. A file is probed once per process: -EALREADY the second
 * time. Scopes other than MT_SCOPE_PIDS probe it once for every process
 * that maps it, whatever pid is.
 */
int bpf_loader__attach_libc(struct bpf_loader *l, pid_t pid, const struct libc_image *img);
/* Whom libc and allocator probes attached for pid serve: pid, or -1 (every process) outside -p. */
pid_t bpf_loader__file_owner(const struct bpf_loader *l, pid_t pid);
/*
 * Probes every site of the allocators beside libc (allocator_locate.h) for
 * pid (-1: every process mapping them), at the function's entry, each
 * allocator with its own programs; returns first, as for libc. libstdc++'s
 * operator new gets no probe: its calls of malloc are told by the table
 * of call sites (bpf_loader__callers).
 */
int bpf_loader__attach_allocators(struct bpf_loader *l, pid_t pid,
				  const struct allocator_set *set);
/*
 * Probes lib's GPU functions for pid, entry and return; the file (dev,
 * ino) is probed once per process: -EALREADY the second time.
 */
int bpf_loader__attach_gpu(struct bpf_loader *l, pid_t pid, const struct gpu_library *lib,
			   dev_t dev, ino_t ino);
/* Which probes a file got: a static executable may carry libc and jemalloc alike. */
enum probed_kind {
	PROBED_LIBC,
	PROBED_ALLOCATORS,
	PROBED_GPU,
	PROBED_GC,
};

/*
 * Marks the file at path probed for pid (-1: for every process), before
 * its probes go in; -EALREADY when it is already. A per-PID probe stays
 * across the process's execs: a new image mapping the file needs no other.
 */
int bpf_loader__claim_file(struct bpf_loader *l, pid_t pid, const char *path,
			   enum probed_kind kind);
/* Whether that file is probed for pid already (-1: for every process). */
bool bpf_loader__probed(const struct bpf_loader *l, pid_t pid, dev_t dev, ino_t ino,
			enum probed_kind kind);
/*
 * A USDT probe provider:name in path (as memtrace opens it) for pid, to
 * the program called prog_name; -ENOENT when either is missing.
 */
int bpf_loader__attach_usdt(struct bpf_loader *l, const char *prog_name, pid_t pid,
			    const char *path, const char *provider, const char *name);
/* Launch mode's preload library: its one site reports every allocator call (user/attach/preload.h). */
int bpf_loader__attach_preload_site(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset);
/* --step-probe: a step record each time pid reaches this code. */
int bpf_loader__attach_step_probe(struct bpf_loader *l, pid_t pid, const char *path,
				  uint64_t file_offset);
/* Launch mode: send pid signal sig each time it reaches this code (launcher.c). */
int bpf_loader__attach_startup_stop(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset, int sig);
/* The startup stop stops no one any more (its link goes with the others). */
void bpf_loader__disarm_startup_stop(struct bpf_loader *l);
/*
 * Detaches every probe: the targets run on untraced. The uprobes are
 * removed by the process that holds them (link_keeper.h), after memtrace
 * has gone on: within about 0.1 s with uprobe_multi links.
 */
void bpf_loader__detach_all(struct bpf_loader *l);
/* link_keeper__guard_stopped: a stopped CMD the keeper continues should memtrace end first. */
int bpf_loader__guard_stopped(struct bpf_loader *l, int pidfd);

/* A traced process: its thread exits are reported. */
int bpf_loader__add_target(struct bpf_loader *l, pid_t pid);
/*
 * Starts (once every probe of every target is attached, so a call in
 * flight during the attach is not half seen) or stops recording at once;
 * the probes stay until detach_all.
 */
void bpf_loader__set_recording(struct bpf_loader *l, bool on);

/*
 * The kernel's table of call sites that tell who called an allocator
 * (caller_table.h): filled for each process as its allocators are probed.
 */
struct caller_table *bpf_loader__callers(struct bpf_loader *l);

/* The kernel unwinder's maps (bpf/stack_dwarf.bpf.h), for unwind_loader. */
void bpf_loader__unwind_maps(const struct bpf_loader *l, int *tables_fd, int *procs_fd);
/* kernel-dwarf: the Python processes' map (bpf/python_walk.bpf.h) */
int bpf_loader__python_procs(const struct bpf_loader *l);
/* Sums the per-CPU drop counters. */
int bpf_loader__read_drops(const struct bpf_loader *l, uint64_t drops[MT_DROP_COUNT]);

#endif /* MEMTRACE_BPF_LOADER_H */
