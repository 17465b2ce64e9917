/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which GPU libraries of a traced process get probes, and when: those it
 * maps at attach; those it could dlopen later (PyTorch loads libcuda on
 * its first CUDA call), probed ahead, by file, so that the kernel puts the
 * breakpoints in the moment the file is mapped; and any other GPU library
 * the kernel reports mapped while tracing (mmap_watch), probed then.
 */
#ifndef MEMTRACE_GPU_ATTACH_H
#define MEMTRACE_GPU_ATTACH_H

#include <stdbool.h>

#include "attach/bpf_loader.h"
#include "attach/probe_target.h"
#include "symbolize/proc_maps.h"

/*
 * Probes the GPU libraries t maps (maps: its current maps), each told to
 * t->gpu_library, and those it could load later. Says once, on stderr,
 * when it maps none yet. Failing to probe a library is said and not
 * fatal: host memory is still traced.
 */
void gpu_attach__process(struct bpf_loader *l, const struct probe_target *t,
			 const struct proc_maps *maps, bool verbose);
/* A mapping t made while traced: probes it if it is a GPU library not probed yet. */
void gpu_attach__mapping(struct bpf_loader *l, const struct probe_target *t,
			 const struct proc_map *m, bool verbose);

#endif /* MEMTRACE_GPU_ATTACH_H */
