/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process as attach/ sees it: what probing reads of its record, and the
 * hooks through which it says what it did. The record is a later stage's
 * (account/process.h): that stage fills these in and applies the news.
 */
#ifndef MEMTRACE_PROBE_TARGET_H
#define MEMTRACE_PROBE_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

struct probe_target {
	pid_t pid;
	const char *comm;
	const char *exe;	/* NULL: not known */
	bool has_gc;		/* its collections are counted already: no runtime to look for */
	/* a GPU library it maps (probed, or not readable): listed among its libraries */
	int (*gpu_library)(void *record, const char *path);
	/* its runtime's collection probes are in path, from now */
	int (*gc_probed)(void *record, enum mt_gc_runtime runtime, const char *path);
	void *record;		/* handed back to the hooks */
};

#endif /* MEMTRACE_PROBE_TARGET_H */
