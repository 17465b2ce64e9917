/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stack=dwarf: most code has no frame pointers (Debian's libc and python,
 * pip wheels), so the kernel copies the registers and the top of the user
 * stack into the ring buffer and user space unwinds them with the modules'
 * CFI (user/symbolize/dwarf_unwind.c). Reserved in the ring buffer, not a scratch
 * array: these programs are preemptible.
 */
#ifndef MEMTRACE_STACK_DUMP_BPF_H
#define MEMTRACE_STACK_DUMP_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_tracing.h>

#define DUMP_PAGE 4096

/* Dump ids: one sequence for the whole run; the top bit marks them. */
__u64 dump_seq;

static __always_inline void stack_dump__regs(struct pt_regs *ctx, __u64 *regs)
{
	/* DWARF x86-64 register numbers 0-16 */
	regs[0] = ctx->ax;
	regs[1] = ctx->dx;
	regs[2] = ctx->cx;
	regs[3] = ctx->bx;
	regs[4] = ctx->si;
	regs[5] = ctx->di;
	regs[6] = ctx->bp;
	regs[7] = ctx->sp;
	regs[8] = ctx->r8;
	regs[9] = ctx->r9;
	regs[10] = ctx->r10;
	regs[11] = ctx->r11;
	regs[12] = ctx->r12;
	regs[13] = ctx->r13;
	regs[14] = ctx->r14;
	regs[15] = ctx->r15;
	regs[16] = ctx->ip;
}

/*
 * Copies whole pages from the one holding the stack pointer up: the stack
 * may end (a thread's top) before MT_DUMP_STACK_BYTES, and a read that
 * crosses the end fails whole. Whole pages at fixed offsets also give the
 * verifier constant bounds.
 */
static __always_inline __u32 stack_dump__copy(struct mt_stack_dump *d, __u64 base)
{
	__u32 size = 0;

	for (int i = 0; i < MT_DUMP_STACK_BYTES / DUMP_PAGE; i++) {
		if (bpf_probe_read_user(&d->stack[i * DUMP_PAGE], DUMP_PAGE,
					(void *)(base + i * DUMP_PAGE)))
			break;
		size += DUMP_PAGE;
	}
	return size;
}

/*
 * Sends the dump, with py[0 .. nr_py) the thread's Python frames (py NULL:
 * none walked), and returns its id (MT_NO_STACK when the ring buffer was full).
 */
static __always_inline __u64 stack_dump__send(struct pt_regs *ctx, __u32 pid, __u32 tid,
					      __u16 skip, const __u64 *py, __u32 walked,
					      __u16 py_flags)
{
	struct mt_stack_dump *d = bpf_ringbuf_reserve(&events, sizeof(*d), 0);
	__u32 nr_py = 0;
	__u64 id;

	if (!d) {
		drop__count(MT_DROP_STACK_RINGBUF);
		return MT_NO_STACK;
	}
	id = MT_STACK_DUMP_FLAG | __sync_fetch_and_add(&dump_seq, 1);
	d->kind = MT_REC_STACK_DUMP;
	d->skip = skip;
	d->pid = pid;
	d->tid = tid;
	d->dump_id = id;
	stack_dump__regs(ctx, d->regs);
	/* a count the verifier does not know: see stack__intern */
	if (py)
		bpf_probe_read_kernel(&nr_py, sizeof(nr_py), &walked);
	for (__u32 i = 0; i < MT_MAX_FRAMES && py; i++) {
		if (i >= nr_py)
			break;
		d->py[i] = py[i];
	}
	d->nr_py = nr_py;
	d->py_flags = py_flags;
	d->pad = 0;
	d->stack_base = ctx->sp & ~(__u64)(DUMP_PAGE - 1);
	d->size = stack_dump__copy(d, d->stack_base);
	if (!d->size)
		drop__count(MT_DROP_STACK_ERROR);
	/* with Python frames: now, as stack__send says */
	bpf_ringbuf_submit(d, nr_py ? BPF_RB_FORCE_WAKEUP : events__wakeup_flag());
	return id;
}

#endif /* MEMTRACE_STACK_DUMP_BPF_H */
