/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Launch mode's cheaper probe: CMD runs with memtrace's preload library
 * (user/preload/memtrace_preload.c), whose allocator wrappers report each
 * call at one 5-byte-nop site, one probe hit per call (the kernel turns a
 * nop5 uprobe into a call), instead of an entry and a return probe per
 * call (two int3 traps). Where the library does not load (a static
 * program, a setuid one), the libc probes are used as before.
 */
#ifndef MEMTRACE_PRELOAD_H
#define MEMTRACE_PRELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attach/bpf_loader.h"
#include "symbolize/proc_maps.h"

/* The library next to this memtrace binary (or in ../lib/memtrace/); -ENOENT. */
int preload__find(char *out, size_t len);
/* A copy of environ with lib first in LD_PRELOAD; NULL on -ENOMEM. Free with preload__free_env. */
char **preload__environ(const char *lib);
void preload__free_env(char **env);
/* Whether maps has lib mapped (by device and inode, so any path to it counts). */
bool preload__is_mapped(const struct proc_maps *maps, const char *lib);
/* Puts the probe on the library's site for pid. */
int preload__attach(struct bpf_loader *l, pid_t pid, const char *lib);

#endif /* MEMTRACE_PRELOAD_H */
