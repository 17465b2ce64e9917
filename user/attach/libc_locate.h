/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which file holds a process's malloc family, and where each function
 * starts in it. Functions that share an address (glibc's aligned_alloc and
 * memalign) are one probe site, so each call is seen once.
 */
#ifndef MEMTRACE_LIBC_LOCATE_H
#define MEMTRACE_LIBC_LOCATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "attach/probe_placement.h"
#include "symbolize/proc_maps.h"

struct libc_site {
	enum mt_func func;
	uint64_t file_offset;	/* of the function's first instruction */
	uint64_t vaddr;
	int alias_of;		/* index of the site with the same address, or -1 */
	uint64_t probe_offset;	/* file offset where its probes go */
	struct probe_placement placement;
};

struct libc_image {
	char *path;		/* as the process maps it */
	char *open_path;	/* where memtrace opens it: under /proc/PID/root */
	struct libc_site sites[MT_FN_COUNT];
	int nr_sites;
};

/*
 * Finds the libc in a process's maps (a libc.so*, libc-*.so or musl
 * mapping, or the executable itself when it is statically linked with a
 * malloc) and resolves its sites. -ENOENT when there is none; -ENOEXEC
 * when it lacks malloc or free. Probes are placed past the prologue where
 * that is cheaper and safe (probe_placement.h), or at every entry when
 * at_entry.
 */
int libc_locate__in_process(pid_t pid, const struct proc_maps *maps, const char *exe,
			    bool at_entry, struct libc_image *out);
/* Whether a file's name is a libc's (libc.so*, libc-*.so, musl). */
bool libc_locate__is_libc(const char *path);
/* Resolves the sites in one file (a statically linked executable). */
int libc_locate__in_file(const char *path, const char *open_path, bool at_entry,
			 struct libc_image *out);
/* The site of fn, or NULL when the libc lacks it. */
const struct libc_site *libc_locate__site(const struct libc_image *img, enum mt_func fn);
void libc_locate__release(struct libc_image *img);
/* img moved to the heap, img left empty (a process record keeps it); NULL on -ENOMEM. */
struct libc_image *libc_locate__take(struct libc_image *img);
/* What libc_locate__take made; NULL-safe. */
void libc_locate__free(struct libc_image *img);
/* One line per probe site: where it went and why (-v). */
void libc_locate__describe(const struct libc_image *img, pid_t pid, FILE *out);

#endif /* MEMTRACE_LIBC_LOCATE_H */
