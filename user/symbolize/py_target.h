/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The CPython interpreter a process runs, as its Python frames are read:
 * the module holding it (the executable of a static build, libpython3.X.so
 * of a shared one), its layout (py_layout.h) and where _PyRuntime is in
 * that process.
 */
#ifndef MEMTRACE_PY_TARGET_H
#define MEMTRACE_PY_TARGET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbolize/proc_maps.h"
#include "symbolize/py_layout.h"

struct py_target {
	struct py_layout layout;
	char module[PATH_MAX];	/* its path, as the process maps it */
	uint64_t runtime;	/* _PyRuntime's address in the process */
	uint64_t bias;		/* process address - link-time address, in the module */
	/* the module's mappings in the process, first to last: its call glue lies in there */
	uint64_t start, end;
};

/*
 * The interpreter in pid's maps: 0; -ENOENT when it maps none; -ENOTSUP
 * (*why says why, in one line) for one whose frames memtrace cannot read;
 * other negative errno.
 */
int py_target__find(pid_t pid, const struct proc_maps *maps, struct py_target *out,
		    const char **why);

#endif /* MEMTRACE_PY_TARGET_H */
