/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The allocators beside libc's malloc (enum mt_allocator): which files
 * hold them, which symbols a program calls them by, and which BPF entry
 * program fits each symbol's arguments (bpf/allocator_probes.bpf.h).
 */
#ifndef MEMTRACE_ALLOCATOR_FUNCS_H
#define MEMTRACE_ALLOCATOR_FUNCS_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>
#include <memtrace/event.h>

/* Where a function's arguments are: one BPF entry program per shape and allocator. */
enum allocator_shape {
	SHAPE_MALLOC,		/* size first: malloc, operator new, mallocx, valloc */
	SHAPE_CALLOC,		/* (nmemb, size) */
	SHAPE_REALLOC,		/* (ptr, size): realloc, rallocx */
	SHAPE_REALLOCARRAY,	/* (ptr, nmemb, size) */
	SHAPE_POSIX_MEMALIGN,	/* (memptr, alignment, size): the block comes back through memptr */
	SHAPE_ALIGNED_ALLOC,	/* (alignment, size): aligned_alloc, memalign */
	SHAPE_FREE,		/* (ptr): a free that calls no other probed free */
	SHAPE_FREE_NESTED,	/* (ptr): operator delete and sized frees, which may call free */
	/*
	 * libstdc++'s operator new: not probed. The malloc it calls records
	 * it, told by its return address (caller_sites.h).
	 */
	SHAPE_CXX_NEW,
	SHAPE_COUNT,
};

struct allocator_symbol {
	const char *name;
	enum allocator_shape shape;
};

struct allocator_family {
	enum mt_allocator allocator;
	const char *name;		/* "cxx", "jemalloc", ... as stats and snapshots show it */
	/* file name prefixes of its shared libraries ("libjemalloc.so") */
	const char *const *libraries;
	/*
	 * Symbols only this allocator defines: an executable that defines one
	 * has the allocator linked in (a static build, or a je_ prefix).
	 */
	const char *const *markers;
	/*
	 * Every symbol a program may call it by, standard names first: where
	 * two share an address (tcmalloc's free and operator delete), the
	 * first one's program is the one attached.
	 */
	const struct allocator_symbol *symbols;
};

/* "libc", "cxx", "jemalloc", "tcmalloc", "mimalloc"; "?" when out of range. */
const char *allocator_funcs__name(enum mt_allocator a);
/* The family of a, or NULL for libc (libc_locate.h finds that one). */
const struct allocator_family *allocator_funcs__family(enum mt_allocator a);
/* The BPF entry program for shape in allocator a's family ("jemalloc_calloc_enter"). */
int allocator_funcs__prog_name(enum mt_allocator a, enum allocator_shape shape, char *buf,
			       size_t len);
/* Whether the shape's calls have a return probe (not SHAPE_FREE, SHAPE_CXX_NEW). */
bool allocator_funcs__has_return(enum allocator_shape shape);
/* Whether the shape's functions get a probe at all (not SHAPE_CXX_NEW). */
bool allocator_funcs__is_probed(enum allocator_shape shape);
/* Whether path (a file name or a full path) is one of a's shared libraries. */
bool allocator_funcs__is_library(const struct allocator_family *f, const char *path);

#endif /* MEMTRACE_ALLOCATOR_FUNCS_H */
