/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where in a function its uprobe goes. The kernel emulates a few
 * instructions at a probe site (push of a register, nop, jmp, call, jcc)
 * and single-steps every other one out of line, which costs about ten
 * times more (5.5-7 us against 0.35-0.75 us a hit, measured on Linux 6.18).
 * So the probe moves from the first instruction to the first emulated
 * one, over instructions that change nothing the BPF program reads: no
 * argument register it uses, not %rsp (the return address must stay at
 * the stack pointer, for the caller frame and the uretprobe's hijack),
 * not %rbp (the frame-pointer walk starts there), no memory write, no
 * control flow, and no branch in the function may land between the entry
 * and the site (it would hit the probe without passing the entry, or
 * twice). When anything is unclear the probe stays at the entry.
 */
#ifndef MEMTRACE_PROBE_PLACEMENT_H
#define MEMTRACE_PROBE_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument registers of the x86-64 SysV calling convention, as a mask. */
enum placement_arg {
	PLACE_ARG_RDI = 1 << 0,
	PLACE_ARG_RSI = 1 << 1,
	PLACE_ARG_RDX = 1 << 2,
	PLACE_ARG_RCX = 1 << 3,
	PLACE_ARG_R8 = 1 << 4,
	PLACE_ARG_R9 = 1 << 5,
};

struct placement_rules {
	uint32_t args_read;	/* enum placement_arg bits the BPF program reads */
	/*
	 * Calls whose first argument is 0 need not be seen (free(NULL)): a
	 * leading "test %rdi,%rdi; je/jz" may be skipped.
	 */
	bool zero_arg0_ignored;
};

struct probe_placement {
	uint64_t offset;	/* bytes from the function's first instruction */
	bool emulated;		/* the kernel emulates the instruction there */
	char insn[64];		/* that instruction, e.g. "push rbp" */
	char why[96];		/* why the probe is there and not further */
};

/*
 * Decides for the function whose code (its whole body, size bytes) starts
 * at vaddr. Always fills *out (offset 0 when unsure); returns 0, or a
 * negative errno when the disassembler could not be used (out is then the
 * entry).
 */
int probe_placement__decide(const uint8_t *code, size_t size, uint64_t vaddr,
			    const struct placement_rules *rules, struct probe_placement *out);

#endif /* MEMTRACE_PROBE_PLACEMENT_H */
