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

/* How to find the CFA: the low 3 bits of unwind_row.kind. */
enum unwind_cfa {
	UNWIND_CFA_RSP = 1,	/* rsp + cfa_off * 8 */
	UNWIND_CFA_RBP = 2,	/* rbp + cfa_off * 8 */
	/* GCC's PLT expression: rsp + 8 + ((pc & 15) >= cfa_off ? 8 : 0), cfa_off 10 or 11 */
	UNWIND_CFA_PLT = 3,
	UNWIND_CFA_SIGNAL = 4,		/* a sigreturn frame: registers from the ucontext */
	UNWIND_CFA_STOP = 5,		/* the return address is undefined: the stack ends here */
	UNWIND_CFA_END = 6,		/* no FDE covers this pc (a gap, or past the last one) */
	UNWIND_CFA_UNSUPPORTED = 7,	/* another expression or register, or RA not at CFA-8 */
};

/* Where the caller's rbp is: bits 3-4 of unwind_row.kind. */
enum unwind_rbp {
	UNWIND_RBP_SAME = 0 << 3,	/* still in rbp */
	UNWIND_RBP_AT_CFA = 1 << 3,	/* saved at CFA + rbp_off * 8 */
	UNWIND_RBP_UNDEFINED = 2 << 3,
};

#define UNWIND_CFA_MASK 0x7
#define UNWIND_RBP_MASK (3 << 3)

/*
 * 8 bytes a row, the layout the BPF maps will hold: every CFA and rbp
 * offset measured in libc, libstdc++ and libpython is a multiple of 8, and
 * CFA offsets above 32767 bytes occur (libc has 2), so offsets are kept in
 * units of 8; a row whose offsets do not fit is UNSUPPORTED.
 */
struct unwind_row {
	uint32_t pc;		/* first address the rule holds for */
	int16_t cfa_off;
	uint8_t kind;		/* enum unwind_cfa | enum unwind_rbp */
	int8_t rbp_off;
};

struct unwind_table {
	struct unwind_row *rows;
	size_t nrows, cap;
	size_t row_bytes;	/* sizeof(struct unwind_row), 8: for -v's bytes per row and module */
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
 * The row whose rule holds at pc, by binary search: -ENOENT when pc is
 * before the first row or in a gap (an END row), so that a pc no FDE
 * covers never borrows the previous function's rule.
 */
int unwind_table__find(const struct unwind_table *t, uint64_t pc, struct unwind_row *out);

#endif /* MEMTRACE_UNWIND_TABLE_H */
