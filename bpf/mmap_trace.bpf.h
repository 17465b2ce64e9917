/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * mmap, munmap, mremap and brk as system calls: memory that never passes
 * through a libc function we probe (a static program's own libc, Go's
 * runtime, malloc's own large blocks and heap).
 *
 * The raw sys_enter and sys_exit tracepoints: no tracefs needed, and they
 * exist wherever BPF does. fentry/fexit on __x64_sys_mmap and the others
 * would run only for these calls, but kernels refuse them where
 * trampolines are unavailable (this project's own test host answers EPERM
 * at load), and one refused program fails the whole skeleton. The price:
 * every system call on the machine runs a program that compares the
 * syscall number and returns (the commit adding this file has the
 * measurement). A 32-bit (ia32) process's numbers differ; memtrace probes
 * only x86-64 libcs.
 */
#ifndef MEMTRACE_MMAP_TRACE_BPF_H
#define MEMTRACE_MMAP_TRACE_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"

/* x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) */
#define MT_NR_MMAP 9
#define MT_NR_MUNMAP 11
#define MT_NR_BRK 12
#define MT_NR_MREMAP 25

#define MT_MAP_SHARED 0x01
#define MT_MAP_SHARED_VALIDATE 0x03
#define MT_MAP_ANONYMOUS 0x20
#define MT_MAP_TYPE 0x0f

/*
 * The break before a brk call, by thread, from entry to return: only the
 * entry can read it. An LRU map, so a thread killed inside brk leaves no
 * slot behind for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} brk_before SEC(".maps");

static __always_inline bool mmap_trace__wanted(__u32 pid)
{
	return recording && target__is_traced(pid);
}

static __always_inline struct mt_mmap_event *mmap_trace__reserve(__u16 op, __u32 pid, __u32 tid)
{
	struct mt_mmap_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop__count(MT_DROP_OTHER_RECORD);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = MT_REC_MMAP;
	e->op = op;
	e->pid = pid;
	e->tid = tid;
	e->fd = -1;
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline __u32 mmap_trace__backing(__u32 flags)
{
	__u32 type = flags & MT_MAP_TYPE;
	__u32 b = flags & MT_MAP_ANONYMOUS ? MT_MMAP_B_ANON : MT_MMAP_B_FILE;

	if (type == MT_MAP_SHARED || type == MT_MAP_SHARED_VALIDATE)
		b |= MT_MMAP_B_SHARED;
	return b;
}

static __always_inline __u64 mm_field_brk(bool start)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return start ? BPF_CORE_READ(task, mm, start_brk) : BPF_CORE_READ(task, mm, brk);
}

/* mmap and mremap return an address or -errno: the arguments are still in regs at exit */
static __always_inline void mmap_trace__emit_map(__u16 op, struct pt_regs *regs, long ret,
						 __u32 pid, __u32 tid)
{
	struct mt_mmap_event *e = mmap_trace__reserve(op, pid, tid);

	if (!e)
		return;
	if (op == MT_MMAP_OP_MMAP) {
		e->addr = BPF_CORE_READ(regs, di);
		e->len = BPF_CORE_READ(regs, si);
		e->prot = BPF_CORE_READ(regs, dx);
		/* the fourth argument is in r10: the syscall instruction clobbers rcx */
		e->flags = BPF_CORE_READ(regs, r10);
		e->fd = BPF_CORE_READ(regs, r8);
		e->backing = mmap_trace__backing(e->flags);
	} else {
		e->old_addr = BPF_CORE_READ(regs, di);
		e->old_len = BPF_CORE_READ(regs, si);
		e->len = BPF_CORE_READ(regs, dx);
		e->flags = BPF_CORE_READ(regs, r10);
		e->addr = BPF_CORE_READ(regs, r8);
	}
	e->result = ret;
	bpf_ringbuf_submit(e, events__wakeup_flag());
}

static __always_inline void mmap_trace__emit_brk(struct pt_regs *regs, long ret, __u32 pid,
						 __u32 tid)
{
	__u64 *before = bpf_map_lookup_elem(&brk_before, &tid);
	struct mt_mmap_event *e;

	/*
	 * No slot: recording began inside the call (not a loss), or the slot
	 * could not be stored, which the entry counted already.
	 */
	if (!before)
		return;
	e = mmap_trace__reserve(MT_MMAP_OP_BRK, pid, tid);
	if (e) {
		e->addr = BPF_CORE_READ(regs, di);
		e->old_addr = *before;
		e->result = ret;
		e->brk_start = mm_field_brk(true);
		bpf_ringbuf_submit(e, events__wakeup_flag());
	}
	bpf_map_delete_elem(&brk_before, &tid);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(mmap_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id, before;
	struct mt_mmap_event *e;
	__u32 tid;

	/* every system call on the machine comes here: the number first, nothing else */
	if (nr != MT_NR_MUNMAP && nr != MT_NR_BRK)
		return 0;
	id = bpf_get_current_pid_tgid();
	tid = (__u32)id;
	if (!mmap_trace__wanted(id >> 32))
		return 0;
	if (nr == MT_NR_BRK) {
		before = mm_field_brk(false);
		if (bpf_map_update_elem(&brk_before, &tid, &before, BPF_ANY))
			drop__count(MT_DROP_OTHER_RECORD);
		return 0;
	}
	/* munmap at entry: once the range is free, another thread's mmap may get it */
	e = mmap_trace__reserve(MT_MMAP_OP_MUNMAP, id >> 32, tid);
	if (!e)
		return 0;
	e->addr = BPF_CORE_READ(regs, di);
	e->len = BPF_CORE_READ(regs, si);
	bpf_ringbuf_submit(e, events__wakeup_flag());
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(mmap_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u64 id;

	if (nr != MT_NR_MMAP && nr != MT_NR_MREMAP && nr != MT_NR_BRK)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!mmap_trace__wanted(id >> 32))
		return 0;
	if (nr == MT_NR_BRK)
		mmap_trace__emit_brk(regs, ret, id >> 32, (__u32)id);
	else if (nr == MT_NR_MMAP)
		mmap_trace__emit_map(MT_MMAP_OP_MMAP, regs, ret, id >> 32, (__u32)id);
	else
		mmap_trace__emit_map(MT_MMAP_OP_MREMAP, regs, ret, id >> 32, (__u32)id);
	return 0;
}

#endif /* MEMTRACE_MMAP_TRACE_BPF_H */
