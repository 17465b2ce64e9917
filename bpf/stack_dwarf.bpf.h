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
 * and frames are in the thread's own slot. bpf_loop (5.17) runs one frame
 * per call, in the walker programs the probes tail-call (memtrace.bpf.c),
 * so that the verifier checks the walk three times, not once per probe.
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
 * A process's entry follows its life here, not in user space, which
 * learns of each step later and may meanwhile see its PID reused: a
 * forked child maps what its parent maps, so it unwinds from its first
 * instruction; an exec-ed image starts with no mappings, so that its
 * stacks are copied for user space until user space has told its
 * mappings; an exited process's entry goes.
 */
static const struct mt_unwind_proc unwind_proc_empty;

static __always_inline void unwind_procs__fork(__u32 parent, __u32 child)
{
	const struct mt_unwind_proc *p;

	if (stack_mode != MT_STACK_KERNEL_DWARF)
		return;
	p = bpf_map_lookup_elem(&unwind_procs, &parent);
	if (p)
		bpf_map_update_elem(&unwind_procs, &child, p, BPF_ANY);
}

static __always_inline void unwind_procs__exec(__u32 tgid)
{
	if (stack_mode != MT_STACK_KERNEL_DWARF)
		return;
	/*
	 * -a: every exec on the machine; the copies would cost more than the
	 * frames they save, in the kernel and in memtrace. Frame pointers there.
	 */
	if (scope == MT_SCOPE_ALL)
		bpf_map_delete_elem(&unwind_procs, &tgid);
	else
		bpf_map_update_elem(&unwind_procs, &tgid, &unwind_proc_empty, BPF_ANY);
}

static __always_inline void unwind_procs__exit(__u32 tgid)
{
	if (stack_mode == MT_STACK_KERNEL_DWARF)
		bpf_map_delete_elem(&unwind_procs, &tgid);
}

/* How a walk ended: dwarf_regs.end */
#define WALK_ON 0
#define WALK_DONE 1		/* at the stack's end: not truncated */
#define WALK_TRUNCATED 2	/* a frame it could not pass, or the depth bound */
#define WALK_UNTOLD 3		/* a pc in no mapping user space has told: a module just mapped */

/*
 * bpf_loop's context: pointers only. The registers the walk carries from
 * frame to frame are in the thread's slot (struct dwarf_regs,
 * maps.bpf.h), where the verifier knows nothing of their values: on the
 * BPF stack, what it learnt of them in one pass through the callback
 * would make the next pass's state a new one, to be checked again, up to
 * hundreds of times.
 */
struct dwarf_walk {
	struct dwarf_regs *regs;
	__u64 *frames;		/* the thread's slot */
	const struct mt_unwind_proc *proc;
	__u32 max;		/* frames at most */
};

/*
 * Binary searches without branches: the verifier follows each branch of a
 * loop as its own path, and a search of 25 steps with one branch a step
 * is 2^25 paths. Each step halves n and moves base up by the half when
 * the entry there starts at or before the key; x - y has its top bit set
 * when y > x, as both are below 2^63. base ends at the last entry
 * starting at or before the key, or at 0 when none does.
 */
static __always_inline __u64 search__step(__u64 key, __u64 start, __u64 half)
{
	__u64 after = (key - start) >> 63;

	barrier_var(after);
	return half & (after - 1);
}

/* The mapping holding key: the previous frame's, else by binary search. NULL: none. */
static __always_inline const struct mt_unwind_mapping *
dwarf_walk__mapping(const struct mt_unwind_proc *proc, struct dwarf_regs *w)
{
	const struct mt_unwind_mapping *m;
	__u64 base = 0, n = proc->nr, half, key = w->key;

	m = &proc->maps[w->last & (MT_UNWIND_MAX_MAPPINGS - 1)];
	if (key >= m->start && key < m->end)
		return m;
	if (!n || n > MT_UNWIND_MAX_MAPPINGS)
		return NULL;
	for (int i = 0; i < MT_UNWIND_MAPPING_STEPS; i++) {
		half = n >> 1;
		base += search__step(key, proc->maps[(base + half) & (MT_UNWIND_MAX_MAPPINGS - 1)].start,
				     half);
		n -= half;
	}
	m = &proc->maps[base & (MT_UNWIND_MAX_MAPPINGS - 1)];
	if (key < m->start || key >= m->end)
		return NULL;
	w->last = base;
	return m;
}

/* The row of m's table that holds at key - bias: false when none does. */
static __always_inline bool dwarf_walk__row(const struct mt_unwind_mapping *m, __u64 key,
					    struct mt_unwind_row *out)
{
	const struct mt_unwind_row *r;
	__u64 off = key - m->bias, base = 0, n = m->nrows, half;
	__u32 table = m->table, idx;
	void *rows;

	rows = bpf_map_lookup_elem(&unwind_tables, &table);
	if (!rows || !n || n > MT_UNWIND_MAX_ROWS || off > 0xffffffffULL)
		return false;
	for (int i = 0; i < MT_UNWIND_ROW_STEPS; i++) {
		half = n >> 1;
		idx = base + half;
		r = bpf_map_lookup_elem(rows, &idx);
		if (!r)
			return false;
		base += search__step(off, r->pc, half);
		n -= half;
	}
	idx = base;
	r = bpf_map_lookup_elem(rows, &idx);
	if (!r || r->pc > off)
		return false;
	*out = *r;
	return true;
}

/* One step by the frame pointer: WALK_ON, or how the walk ends. */
static __always_inline int dwarf_walk__fp(struct dwarf_regs *w)
{
	struct {
		__u64 next;
		__u64 ret;
	} frame;

	if (!w->bp)
		return WALK_DONE;
	/* the checks of stack__walk_fp: above the stack pointer, near it, aligned */
	if (w->bp < w->sp || w->bp - w->sp > (64ULL << 20) || (w->bp & 7))
		return WALK_TRUNCATED;
	if (bpf_probe_read_user(&frame, sizeof(frame), (void *)w->bp) || !frame.ret ||
	    (__s64)frame.ret < 0)
		return WALK_TRUNCATED;
	w->sp = w->bp + 16;
	w->pc = frame.ret;
	w->key = frame.ret - 1;
	w->bp = frame.next;
	return WALK_ON;
}

/*
 * A sigreturn frame: the stack pointer is at the ucontext the kernel
 * pushed, whose mcontext (40 bytes in) holds the interrupted registers;
 * from rbp at 80 to rip at 128 (struct sigcontext). The pc is where the
 * signal came, not past a call: its own rule holds there.
 */
static __always_inline int dwarf_walk__signal(struct dwarf_regs *w)
{
	__u64 regs[7];

	if (bpf_probe_read_user(regs, sizeof(regs), (void *)(w->sp + 40 + 80)) || !regs[6])
		return WALK_TRUNCATED;
	w->bp = regs[0];
	w->sp = regs[5];
	w->pc = regs[6];
	w->key = regs[6];
	return WALK_ON;
}

/* The CFA by row, or 0 when the row gives none to follow. */
static __always_inline __u64 dwarf_walk__cfa(const struct dwarf_regs *w,
					     const struct mt_unwind_row *row)
{
	switch (row->kind & MT_UNWIND_CFA_MASK) {
	case MT_UNWIND_CFA_RSP:
		return w->sp + (__s64)row->cfa_off * 8;
	case MT_UNWIND_CFA_RBP:
		return w->bp + (__s64)row->cfa_off * 8;
	case MT_UNWIND_CFA_PLT:
		return w->sp + 8 + ((w->pc & 15) >= (__u64)row->cfa_off ? 8 : 0);
	default:
		return 0;
	}
}

/* The caller's registers by row: WALK_ON, or how the walk ends. */
static __always_inline int dwarf_walk__apply(struct dwarf_regs *w, const struct mt_unwind_row *row)
{
	__u64 cfa, words[2];
	__u8 rbp = row->kind & MT_UNWIND_RBP_MASK;

	if ((row->kind & MT_UNWIND_CFA_MASK) == MT_UNWIND_CFA_STOP)
		return WALK_DONE;
	if ((row->kind & MT_UNWIND_CFA_MASK) == MT_UNWIND_CFA_SIGNAL)
		return dwarf_walk__signal(w);
	cfa = dwarf_walk__cfa(w, row);
	/* the return address lies above the frame: a CFA at or below sp is no frame */
	if (cfa <= w->sp)
		return WALK_TRUNCATED;
	/* rbp pushed just below the return address, as a frame-pointer prologue does: one read */
	if (rbp == MT_UNWIND_RBP_AT_CFA && row->rbp_off == -2) {
		if (bpf_probe_read_user(words, sizeof(words), (void *)(cfa - 16)))
			return WALK_TRUNCATED;
	} else {
		words[0] = rbp == MT_UNWIND_RBP_SAME ? w->bp : 0;
		if (rbp == MT_UNWIND_RBP_AT_CFA &&
		    bpf_probe_read_user(&words[0], 8, (void *)(cfa + (__s64)row->rbp_off * 8)))
			return WALK_TRUNCATED;
		if (bpf_probe_read_user(&words[1], 8, (void *)(cfa - 8)))
			return WALK_TRUNCATED;
	}
	/* no user pc has bit 63 set: a Python frame's word has (include/memtrace/python.h) */
	if ((__s64)words[1] < 0)
		return WALK_TRUNCATED;
	w->bp = words[0];
	w->pc = words[1];
	w->key = words[1] - 1;
	w->sp = cfa;
	return words[1] ? WALK_ON : WALK_DONE;
}

/*
 * bpf_loop's callback: frame i + 1, the caller of frame i. 1 stops the
 * loop. The frame's index is bpf_loop's, unknown to the verifier, not a
 * count kept here: a count it knows is a new state each time round, and
 * it would check the callback once for every frame there can be.
 */
static long dwarf_walk__step(__u64 i, void *ctx)
{
	struct dwarf_walk *walk = ctx;
	struct dwarf_regs *w = walk->regs;
	const struct mt_unwind_mapping *m;
	struct mt_unwind_row row;
	int end;

	if (i + 1 >= MT_MAX_FRAMES || i + 1 >= walk->max)
		return 1;
	m = dwarf_walk__mapping(walk->proc, w);
	if (!m)
		end = WALK_UNTOLD;
	else if (m->table == MT_UNWIND_NO_TABLE)
		end = dwarf_walk__fp(w);
	else if (dwarf_walk__row(m, w->key, &row))
		end = dwarf_walk__apply(w, &row);
	else
		end = WALK_TRUNCATED;
	if (end != WALK_ON) {
		w->end = end;
		return 1;
	}
	walk->frames[i + 1] = w->pc;
	w->nr = i + 2;
	return 0;
}

/* stack__walk_dwarf could not walk: */
#define DWARF_WALK_NO_PROCESS (-2)	/* no entry: user space does not follow it (-a, before it joins) */
#define DWARF_WALK_UNTOLD (-1)		/* a mapping user space has not told yet (exec, dlopen) */

/*
 * The frames above start's return address (frame 0, already in
 * frames[0]), regs the thread's scratch: how many frames in all, or one
 * of the above. An untold mapping is a moment's wait for user space: the
 * stack is copied for it to unwind (stack_dump.bpf.h); a process without
 * an entry may stay so, and is walked by frame pointers.
 */
static __always_inline int stack__walk_dwarf(__u32 pid, const struct stack_start *start,
					     __u64 *frames, struct dwarf_regs *regs, __u32 max,
					     bool *truncated)
{
	struct dwarf_walk w = { .regs = regs, .frames = frames, .max = max };

	w.proc = bpf_map_lookup_elem(&unwind_procs, &pid);
	if (!w.proc)
		return DWARF_WALK_NO_PROCESS;
	/* frame 0 is in frames already; the caller's stack pointer is past it */
	*regs = (struct dwarf_regs){ .pc = start->ret, .key = start->ret - 1,
				     .sp = start->sp + 8, .bp = start->fp, .nr = 1 };
	bpf_loop(MT_MAX_FRAMES - 1, dwarf_walk__step, &w, 0);
	if (regs->end == WALK_UNTOLD)
		return DWARF_WALK_UNTOLD;
	*truncated = regs->end != WALK_DONE;
	return regs->nr;
}

#endif /* MEMTRACE_STACK_DWARF_BPF_H */
