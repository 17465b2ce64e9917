/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A module's unwind table: its CFI (.eh_frame, else .debug_frame, else the
 * .debug_frame of a separate debug file) read with libdw and flattened into
 * rows sorted by start address, one per change of rule, so that the BPF
 * unwinder can find a pc's rule by binary search (issue 14, step a). Rows
 * are in the module's link-time address space (pc - load bias).
 */
#ifndef MEMTRACE_UNWIND_TABLE_H
#define MEMTRACE_UNWIND_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include <memtrace/unwind.h>

/* An executable PT_LOAD: where a mapping of the file lands in the rows' address space. */
struct unwind_segment {
	uint64_t offset, vaddr, filesz;
};

#define UNWIND_MAX_SEGMENTS 4

struct unwind_table {
	struct unwind_segment segments[UNWIND_MAX_SEGMENTS];
	size_t nsegments;
	struct mt_unwind_row *rows;
	size_t nrows, cap;
	size_t row_bytes;	/* sizeof(struct mt_unwind_row), 8: for -v's bytes per row and module */
	size_t fdes;		/* FDEs walked */
	size_t unsupported;	/* rows marked UNSUPPORTED */
};

/*
 * Builds *out (zeroed first; released by the caller with
 * unwind_table__release, even on error) from the module at path, or from
 * debug_path's .debug_frame when the module has neither .eh_frame_hdr nor
 * .debug_frame (debug_path may be NULL; debuginfo__find finds it).
 * -ENOENT when there is no CFI at all, -E2BIG for an address beyond
 * 4 GiB, -ENOTSUP for an .eh_frame_hdr encoding other than GCC's and
 * lld's, -ENOMEM, -EINVAL for CFI that libdw cannot read.
 */
int unwind_table__build(const char *path, const char *debug_path, struct unwind_table *out);
void unwind_table__release(struct unwind_table *t);

/*
 * The load bias of a mapping of the module at start from file offset
 * offset (pc - bias is the rows' address): -ENOENT when no executable
 * segment holds that offset.
 */
int unwind_table__bias(const struct unwind_table *t, uint64_t start, uint64_t offset,
		       uint64_t *bias);

#endif /* MEMTRACE_UNWIND_TABLE_H */
