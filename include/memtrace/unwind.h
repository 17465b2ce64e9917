/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tables the kernel's DWARF unwinder reads (bpf/stack_dwarf.bpf.h),
 * made in user space (user/symbolize/unwind_table.c builds a module's rows,
 * user/attach/unwind_loader.c loads them). Shared by bpf/ and user/:
 * fixed-width types only.
 */
#ifndef MEMTRACE_UNWIND_H
#define MEMTRACE_UNWIND_H

/* How to find the CFA: the low 3 bits of mt_unwind_row.kind. */
enum mt_unwind_cfa {
	MT_UNWIND_CFA_RSP = 1,	/* rsp + cfa_off * 8 */
	MT_UNWIND_CFA_RBP = 2,	/* rbp + cfa_off * 8 */
	/* GCC's PLT expression: rsp + 8 + ((pc & 15) >= cfa_off ? 8 : 0), cfa_off 10 or 11 */
	MT_UNWIND_CFA_PLT = 3,
	MT_UNWIND_CFA_SIGNAL = 4,	/* a sigreturn frame: registers from the ucontext */
	MT_UNWIND_CFA_STOP = 5,		/* the return address is undefined: the stack ends here */
	MT_UNWIND_CFA_END = 6,		/* no FDE covers this pc (a gap, or past the last one) */
	MT_UNWIND_CFA_UNSUPPORTED = 7,	/* another expression or register, or RA not at CFA-8 */
};

/* Where the caller's rbp is: bits 3-4 of mt_unwind_row.kind. */
enum mt_unwind_rbp {
	MT_UNWIND_RBP_SAME = 0 << 3,	 /* still in rbp */
	MT_UNWIND_RBP_AT_CFA = 1 << 3,	 /* saved at CFA + rbp_off * 8 */
	MT_UNWIND_RBP_UNDEFINED = 2 << 3,
};

#define MT_UNWIND_CFA_MASK 0x7
#define MT_UNWIND_RBP_MASK (3 << 3)

/*
 * One rule of a module's table, holding from pc (link-time address) to the
 * next row's: 8 bytes. Every CFA and rbp offset measured in libc,
 * libstdc++ and libpython is a multiple of 8, and CFA offsets above 32767
 * bytes occur (libc has 2), so offsets are kept in units of 8; a row whose
 * offsets do not fit is UNSUPPORTED.
 */
struct mt_unwind_row {
	__u32 pc;
	__s16 cfa_off;
	__u8 kind;	/* enum mt_unwind_cfa | enum mt_unwind_rbp */
	__s8 rbp_off;
};

/* Modules with a table in the kernel at once: slots of the unwind_tables map. */
#define MT_UNWIND_MAX_TABLES 4096
/* mt_unwind_mapping.table of an executable mapping with no table: frame pointers there */
#define MT_UNWIND_NO_TABLE 0xffffffffU
/* A process's executable mappings the unwinder knows (a power of two: indexes are masked). */
#define MT_UNWIND_MAX_MAPPINGS 1024
/* Steps of a binary search over MT_UNWIND_MAX_MAPPINGS, and over a table's rows (2^24 at most). */
#define MT_UNWIND_MAPPING_STEPS 11
#define MT_UNWIND_ROW_STEPS 25
#define MT_UNWIND_MAX_ROWS (1U << 24)

/* An executable mapping of a traced process: [start, end), pc - bias is the module's address. */
struct mt_unwind_mapping {
	__u64 start;
	__u64 end;
	__u64 bias;
	__u32 table;	/* slot in unwind_tables, or MT_UNWIND_NO_TABLE */
	__u32 nrows;
};

/* A process's executable mappings, sorted by start, not overlapping: the value of unwind_procs. */
struct mt_unwind_proc {
	__u32 nr;
	__u32 pad;
	struct mt_unwind_mapping maps[MT_UNWIND_MAX_MAPPINGS];
};

#endif /* MEMTRACE_UNWIND_H */
