/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A process's memory mappings, as /proc/PID/maps lists them. */
#ifndef MEMTRACE_PROC_MAPS_H
#define MEMTRACE_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A task's name as the kernel keeps it (/proc/PID/comm), NUL included. */
#define COMM_LEN 16

struct proc_map {
	uint64_t start;
	uint64_t end;
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	bool readable, writable, executable;
	char *path;		/* NULL for anonymous mappings; "[vdso]" etc. kept */
};

struct proc_maps {
	struct proc_map *maps;	/* sorted by start (as the kernel lists them) */
	size_t n;
};

/* Negative errno: -ESRCH when the process is gone. */
int proc_maps__read(pid_t pid, struct proc_maps *out);
/* Parses the text of a maps file (unit tests, and the reader above). */
int proc_maps__parse(const char *text, struct proc_maps *out);
void proc_maps__release(struct proc_maps *m);
/* A deep copy (a forked child's maps are its parent's): -ENOMEM. */
int proc_maps__copy(const struct proc_maps *from, struct proc_maps *to);
/* The mapping containing addr, or NULL. */
const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr);

/*
 * Whether the file m maps was deleted, or replaced by another under its
 * name (a package upgrade), since it was mapped: the kernel ends its path
 * with " (deleted)".
 */
bool proc_map__deleted(const struct proc_map *m);
/*
 * Where memtrace opens the file m maps in process pid: the path under
 * /proc/PID/root (a container's process has its own files), or, for a
 * deleted file, /proc/PID/map_files/START-END, a link to the very inode
 * mapped (root only); a uprobe attached through it lands on that inode.
 * -ENAMETOOLONG.
 */
int proc_map__open_path(pid_t pid, const struct proc_map *m, char *out, size_t len);
/* The same for the executable of pid when only its path is known: /proc/PID/exe if deleted. */
int proc_maps__exe_open_path(pid_t pid, const char *exe, char *out, size_t len);

#endif /* MEMTRACE_PROC_MAPS_H */
