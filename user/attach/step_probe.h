/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --step-probe BINARY:SYMBOL: a probe on a function the program runs once
 * per training step; each hit counts a step of its process (tracker.c).
 * BINARY is a path (one with a '/'), or the name of a module the process
 * maps: "libtorch.so" matches a mapped libtorch.so or libtorch.so.2.1.
 * SYMBOL is the ELF symbol (mangled, for C++). A module that a process
 * has not mapped yet (loaded later with dlopen) is looked for again by
 * step_probe__retry.
 */
#ifndef MEMTRACE_STEP_PROBE_H
#define MEMTRACE_STEP_PROBE_H

#include <stdbool.h>

#include "attach/bpf_loader.h"
#include "symbolize/proc_maps.h"

/* How often a module not mapped yet is looked for. */
#define STEP_PROBE_RETRY_NS 1000000000ULL

/* 0 when spec is BINARY:SYMBOL, both parts non-empty. */
int step_probe__check(const char *spec);
/*
 * Attaches the probe to pid (maps: its memory map). 0 when attached
 * (*attached set), when spec is NULL (no --step-probe), and when BINARY is
 * a module pid does not map yet (which it says). A negative errno, its
 * message printed, when the file cannot be read, lacks SYMBOL, or the
 * probe cannot be attached.
 */
int step_probe__attach(const char *spec, struct bpf_loader *l, pid_t pid,
		       const struct proc_maps *maps, bool verbose, bool *attached);
/* Tries again for a live process still without the probe, quietly when it still lacks BINARY. */
int step_probe__retry(const char *spec, struct bpf_loader *l, pid_t pid, bool verbose,
		      bool *attached);

#endif /* MEMTRACE_STEP_PROBE_H */
