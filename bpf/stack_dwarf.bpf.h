/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stack=kernel-dwarf: user stacks unwound in the kernel from tables user
 * space made of each module's CFI (include/memtrace/unwind.h), so that
 * code without frame pointers (every Debian binary, python3) gets whole
 * stacks at about the cost of a frame-pointer walk, for every allocation.
 * Per frame: the process's executable mapping that holds the pc (binary
 * search of its sorted mappings, the last one tried first), the module's
 * row that holds there (binary search of its table), then the CFA, the
 * return address at CFA-8 and the caller's rbp. A mapping without a table
 * (none fitted, or no CFI: JIT code) is walked by its frame pointer.
 *
 * The probes are preemptible, so no per-CPU scratch: the walk's registers
 * are on the BPF stack, its frames in the thread's own slot. bpf_loop
 * (5.17) runs one frame per call; the verifier checks the callback once.
 */
#ifndef MEMTRACE_STACK_DWARF_BPF_H
#define MEMTRACE_STACK_DWARF_BPF_H

#include "maps.bpf.h"
#include <memtrace/unwind.h>

/*
 * A module's rows, one inner map each, made to its size by user space:
 * BPF_F_INNER_MAP lets the sizes differ (5.10), and a module's memory goes
 * with its map when no process maps it any more.
 */
struct unwind_rows {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	/* sizes, not types: a type only an inner map names is a forward in the BTF */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mt_unwind_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MT_UNWIND_MAX_TABLES);
	__type(key, __u32);
	__array(values, struct unwind_rows);
} unwind_tables SEC(".maps");

/* Each traced process's executable mappings (tgid -> sorted mappings), made on attach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mt_unwind_proc);
} unwind_procs SEC(".maps");

/*
 * A forked child maps what its parent maps: its stacks unwind from its
 * first instruction, before user space has read its maps.
 */
static __always_inline void unwind_procs__fork(__u32 parent, __u32 child)
{
	const struct mt_unwind_proc *p;

	if (stack_mode != MT_STACK_KERNEL_DWARF)
		return;
	p = bpf_map_lookup_elem(&unwind_procs, &parent);
	if (p)
		bpf_map_update_elem(&unwind_procs, &child, p, BPF_ANY);
}

/* bpf_loop's context: one unwind in progress. */
struct dwarf_walk {
	__u64 pc, sp, bp;
	__u64 *frames;		/* the thread's slot */
	const struct mt_unwind_proc *proc;
	__u32 nr;		/* frames found */
	__u32 last;		/* the mapping the previous frame was in */
	bool exact;		/* pc is where a signal interrupted, not a return address */
	bool done;		/* the stack ended where it should: not truncated */
	bool unknown;		/* a pc in no mapping user space has told: a module just mapped */
};

/*
 * Binary searches without branches: the verifier follows each branch of a
 * loop as its own path, and a search of 25 steps with one branch a step
 * is 2^25 paths. Each step halves n and moves base up by the half when
 * the entry there starts at or before the key; x - y has its top bit set
 * when y > x, as both are below 2^63. base ends at the last entry starting
 * at or before the key, or at 0 when none does.
 */
static __always_inline __u64 search__step(__u64 key, __u64 start, __u64 half)
{
	__u64 after = (key - start) >> 63;

	barrier_var(after);
	return half & (after - 1);
}

/* The mapping holding pc: the previous frame's, else by binary search. NULL: none. */
static __always_inline const struct mt_unwind_mapping *dwarf_walk__mapping(struct dwarf_walk *w,
									 __u64 pc)
{
	const struct mt_unwind_proc *proc = w->proc;
	const struct mt_unwind_mapping *m;
	__u64 base = 0, n = proc->nr, half;

	m = &proc->maps[w->last & (MT_UNWIND_MAX_MAPPINGS - 1)];
	if (pc >= m->start && pc < m->end)
		return m;
	if (!n || n > MT_UNWIND_MAX_MAPPINGS)
		return NULL;
	for (int i = 0; i < MT_UNWIND_MAPPING_STEPS; i++) {
		half = n >> 1;
		base += search__step(pc, proc->maps[(base + half) & (MT_UNWIND_MAX_MAPPINGS - 1)].start,
				     half);
		n -= half;
	}
	m = &proc->maps[base & (MT_UNWIND_MAX_MAPPINGS - 1)];
	if (pc < m->start || pc >= m->end)
		return NULL;
	w->last = base;
	return m;
}

/* The row of m's table that holds at off (module address): false when none does. */
static __always_inline bool dwarf_walk__row(const struct mt_unwind_mapping *m, __u64 off,
					    struct mt_unwind_row *out)
{
	const struct mt_unwind_row *r;
	__u32 table = m->table, key;
	__u64 base = 0, n = m->nrows, half;
	void *rows;

	rows = bpf_map_lookup_elem(&unwind_tables, &table);
	if (!rows || !n || n > MT_UNWIND_MAX_ROWS || off > 0xffffffffULL)
		return false;
	for (int i = 0; i < MT_UNWIND_ROW_STEPS; i++) {
		half = n >> 1;
		key = base + half;
		r = bpf_map_lookup_elem(rows, &key);
		if (!r)
			return false;
		base += search__step(off, r->pc, half);
		n -= half;
	}
	key = base;
	r = bpf_map_lookup_elem(rows, &key);
	if (!r || r->pc > off)
		return false;
	*out = *r;
	return true;
}

/* One step by the frame pointer: 1 the chain's end, 0 on, -1 a frame that cannot be. */
static __always_inline int dwarf_walk__fp(struct dwarf_walk *w)
{
	struct {
		__u64 next;
		__u64 ret;
	} frame;

	if (!w->bp)
		return 1;
	/* the checks of stack__walk_fp: above the stack pointer, near it, aligned */
	if (w->bp < w->sp || w->bp - w->sp > (64ULL << 20) || (w->bp & 7))
		return -1;
	if (bpf_probe_read_user(&frame, sizeof(frame), (void *)w->bp) || !frame.ret)
		return -1;
	w->sp = w->bp + 16;
	w->pc = frame.ret;
	w->bp = frame.next;
	return 0;
}

/*
 * A sigreturn frame: the stack pointer is at the ucontext the kernel
 * pushed, whose mcontext (40 bytes in) holds the interrupted registers;
 * from rbp at 80 to rip at 128 (struct sigcontext).
 */
static __always_inline int dwarf_walk__signal(struct dwarf_walk *w)
{
	__u64 regs[7];

	if (bpf_probe_read_user(regs, sizeof(regs), (void *)(w->sp + 40 + 80)))
		return -1;
	w->bp = regs[0];
	w->sp = regs[5];
	w->pc = regs[6];
	w->exact = true;
	return w->pc ? 0 : -1;
}

/* The caller's registers by row: 1 the stack's end, 0 on, -1 it cannot go on. */
static __always_inline int dwarf_walk__apply(struct dwarf_walk *w, const struct mt_unwind_row *row)
{
	__u64 cfa, words[2];

	switch (row->kind & MT_UNWIND_CFA_MASK) {
	case MT_UNWIND_CFA_STOP:
		return 1;
	case MT_UNWIND_CFA_SIGNAL:
		return dwarf_walk__signal(w);
	case MT_UNWIND_CFA_RSP:
		cfa = w->sp + (__s64)row->cfa_off * 8;
		break;
	case MT_UNWIND_CFA_RBP:
		cfa = w->bp + (__s64)row->cfa_off * 8;
		break;
	case MT_UNWIND_CFA_PLT:
		cfa = w->sp + 8 + ((w->pc & 15) >= (__u64)row->cfa_off ? 8 : 0);
		break;
	default:
		return -1;
	}
	/* the return address lies above the frame: a CFA at or below sp is no frame */
	if (cfa <= w->sp)
		return -1;
	switch (row->kind & MT_UNWIND_RBP_MASK) {
	case MT_UNWIND_RBP_AT_CFA:
		/* pushed just after the return address, as a frame-pointer prologue does: one read */
		if (row->rbp_off == -2) {
			if (bpf_probe_read_user(words, sizeof(words), (void *)(cfa - 16)))
				return -1;
			w->bp = words[0];
			w->pc = words[1];
			goto out;
		}
		if (bpf_probe_read_user(&words[0], 8, (void *)(cfa + (__s64)row->rbp_off * 8)))
			return -1;
		w->bp = words[0];
		break;
	case MT_UNWIND_RBP_UNDEFINED:
		w->bp = 0;
		break;
	}
	if (bpf_probe_read_user(&w->pc, sizeof(w->pc), (void *)(cfa - 8)))
		return -1;
out:
	w->sp = cfa;
	w->exact = false;
	return w->pc ? 0 : 1;
}

/*
 * bpf_loop's callback: frame i + 1, the caller of frame i. 1 stops the
 * loop. The frame's index is bpf_loop's, unknown to the verifier, not a
 * count kept here: a count it knows is a new state each time round, and
 * it would check the callback once for every frame there can be.
 */
static long dwarf_walk__step(__u64 i, void *ctx)
{
	struct dwarf_walk *w = ctx;
	const struct mt_unwind_mapping *m;
	struct mt_unwind_row row;
	/* a return address is past its call: the call's own rule holds one byte before */
	__u64 pc = w->exact ? w->pc : w->pc - 1;
	int ret;

	if (i + 1 >= MT_MAX_FRAMES)
		return 1;
	m = dwarf_walk__mapping(w, pc);
	if (!m) {
		w->unknown = true;
		return 1;
	}
	if (m->table == MT_UNWIND_NO_TABLE)
		ret = dwarf_walk__fp(w);
	else if (dwarf_walk__row(m, pc - m->bias, &row))
		ret = dwarf_walk__apply(w, &row);
	else
		ret = -1;
	if (ret) {
		w->done = ret > 0;
		return 1;
	}
	w->frames[i + 1] = w->pc;
	w->nr = i + 2;
	return 0;
}

/*
 * The frames above ret (frame 0, already in frames[0]), whose caller's
 * stack pointer is sp and rbp bp: how many frames in all, or -1 when the
 * walk needs what user space has not told yet: the process's mappings
 * (it just exec-ed, or joined), or a module it has just mapped. The
 * stack is then copied for user space to unwind (stack_dump.bpf.h).
 */
static __always_inline int stack__walk_dwarf(__u32 pid, __u64 ret, __u64 sp, __u64 bp,
					     __u64 *frames, bool *truncated)
{
	struct dwarf_walk w = { .pc = ret, .sp = sp, .bp = bp, .frames = frames, .nr = 1 };

	w.proc = bpf_map_lookup_elem(&unwind_procs, &pid);
	if (!w.proc)
		return -1;
	bpf_loop(MT_MAX_FRAMES - 1, dwarf_walk__step, &w, 0);
	if (w.unknown)
		return -1;
	*truncated = !w.done;
	return w.nr;
}

#endif /* MEMTRACE_STACK_DWARF_BPF_H */
