/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The processes a scope holds when tracing starts: --cgroup's (its
 * directory and those below), --comm's, or every process (-a). Processes
 * that join later are found by the kernel (bpf/lifecycle.bpf.h).
 */
#ifndef MEMTRACE_SCOPE_H
#define MEMTRACE_SCOPE_H

#include <stddef.h>
#include <sys/types.h>

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

/*
 * Opens a cgroup v2 directory for the kernel's membership test: a file
 * descriptor, or -ENOTDIR / -EMEDIUMTYPE (not cgroup v2) / another -errno.
 */
int scope__open_cgroup(const char *path);
/* The processes of a cgroup v2 directory and of every cgroup below it. */
int scope__cgroup_pids(const char *path, struct pid_list *out);
/* Every process whose name is comm; comm NULL: every process. Not memtrace itself. */
int scope__named_pids(const char *comm, struct pid_list *out);
int pid_list__add(struct pid_list *l, pid_t pid);
void pid_list__release(struct pid_list *l);

#endif /* MEMTRACE_SCOPE_H */
