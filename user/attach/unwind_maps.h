/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One process's executable mappings as the kernel's unwinder searches
 * them (struct mt_unwind_proc): sorted by start, never overlapping. A new
 * mapping replaces what it covers, as mmap over an old mapping does; each
 * entry keeps an owner (its module's table) that is handed back when the
 * entry goes, so that tables no process maps can be let go.
 */
#ifndef MEMTRACE_UNWIND_MAPS_H
#define MEMTRACE_UNWIND_MAPS_H

#include <stddef.h>
#include <linux/types.h>

#include <memtrace/unwind.h>

struct unwind_maps {
	struct mt_unwind_mapping *maps;
	void **owners;
	size_t n, cap, owners_cap;
};

/* Called with the owner of each entry a put or a release removes. */
typedef void (*unwind_maps_drop_fn)(void *owner, void *ctx);

/*
 * Adds e (owner: its table's owner), removing every entry it overlaps:
 * -E2BIG past MT_UNWIND_MAX_MAPPINGS (nothing changed), -ENOMEM.
 */
int unwind_maps__put(struct unwind_maps *m, const struct mt_unwind_mapping *e, void *owner,
		     unwind_maps_drop_fn drop, void *ctx);
/* The kernel's value for these mappings. */
void unwind_maps__to_proc(const struct unwind_maps *m, struct mt_unwind_proc *out);
void unwind_maps__release(struct unwind_maps *m, unwind_maps_drop_fn drop, void *ctx);

#endif /* MEMTRACE_UNWIND_MAPS_H */
