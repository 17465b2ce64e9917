/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records that travel from the BPF programs to user space through the
 * "events" ring buffer. Shared by bpf/ and user/: fixed-width types only.
 *
 * Every record starts with a __u16 kind so the consumer can dispatch
 * before it knows the record's size.
 */
#ifndef MEMTRACE_EVENT_H
#define MEMTRACE_EVENT_H

/* Frames kept per stack, the direct caller included. */
#define MT_MAX_FRAMES 64

/* How stacks are captured (--stack). */
enum mt_stack_mode {
	MT_STACK_NONE,	/* no stacks: every call still counted */
	MT_STACK_FP,	/* frame-pointer walk in the kernel, plus the direct caller */
	MT_STACK_DWARF,	/* registers and stack bytes, unwound in user space with CFI */
};

enum mt_record_kind {
	MT_REC_CALL = 1,	/* an allocator call completed (struct mt_event) */
	MT_REC_THREAD_EXIT = 2, /* a traced thread exited (struct mt_event) */
	MT_REC_STACK = 3,	/* first sighting of a stack (struct mt_stack_record) */
	MT_REC_STEP = 4,	/* a --step-probe hit: a training step began (struct mt_event) */
	MT_REC_STACK_DUMP = 5,	/* registers and raw user stack to unwind (struct mt_stack_dump) */
};

/* The probed libc functions. Names are in user/alloc_funcs.c. */
enum mt_func {
	MT_FN_MALLOC,
	MT_FN_CALLOC,
	MT_FN_REALLOC,
	MT_FN_REALLOCARRAY,
	MT_FN_FREE,
	MT_FN_POSIX_MEMALIGN,
	MT_FN_ALIGNED_ALLOC,
	MT_FN_MEMALIGN,
	MT_FN_VALLOC,
	MT_FN_PVALLOC,
	MT_FN_COUNT,
};

/*
 * The preload library's site: a realloc-like call begins (its record,
 * at the end, needs the start). Not a function of its own.
 */
#define MT_SITE_CALL_BEGIN 0xff

/*
 * Per-CPU counters of everything the kernel side could not deliver.
 * Each one is shown in every report and snapshot.
 */
enum mt_drop {
	MT_DROP_RINGBUF_FULL,	/* call record not reserved: ring buffer full */
	MT_DROP_CALL_MAP_FULL,	/* entry state not stored: in-flight call map full */
	MT_DROP_MISSED_ENTRY,	/* return seen without its entry state */
	MT_DROP_STACK_RINGBUF,	/* stack record not reserved: ring buffer full */
	MT_DROP_STACK_ERROR,	/* the return address at the stack pointer was unreadable */
	MT_DROP_COUNT,
};

/* No stack was captured for this call (frees, not sampled, or capture failed). */
#define MT_NO_STACK 0ULL
/*
 * A call's stack_id with this bit set names an mt_stack_dump (its dump_id)
 * sent just before it by the same thread; without it, an mt_stack_record.
 */
#define MT_STACK_DUMP_FLAG (1ULL << 63)

/* Bytes of user stack a dump carries: whole pages, from the page of the stack pointer up. */
#define MT_DUMP_STACK_BYTES (16 * 1024)
/* Registers a dump carries, in DWARF x86-64 numbering: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
#define MT_DUMP_REGS 17

struct mt_event {
	__u16 kind;		/* MT_REC_CALL or MT_REC_THREAD_EXIT */
	__u16 func;		/* enum mt_func (MT_REC_CALL) */
	__u32 duration_ns;	/* realloc's entry to return, saturated at ~4.3 s; else 0 */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u64 ts_ns;		/* CLOCK_MONOTONIC at return (free: at entry) */
	__u64 stack_id;		/* mt_stack_record.stack_id, or MT_NO_STACK */
	union {
		struct {
			__u64 addr;	/* block returned, or block freed */
			__u64 size;	/* requested bytes */
			__u64 old_addr; /* realloc's input block */
		} call;
		char comm[16];		/* MT_REC_THREAD_EXIT: the thread's last name */
	};
};

/*
 * --stack=dwarf: what user space needs to unwind without frame pointers,
 * taken where the allocator's probe fired (the return address is at sp).
 */
struct mt_stack_dump {
	__u16 kind;		/* MT_REC_STACK_DUMP */
	__u16 skip;		/* frames of memtrace's own to drop: the allocator, a wrapper */
	__u32 pid;
	__u32 tid;
	__u32 size;		/* bytes of stack[] filled */
	__u64 dump_id;		/* MT_STACK_DUMP_FLAG set; the call record's stack_id */
	__u64 stack_base;	/* address of stack[0]: the page holding regs[7] (sp) */
	__u64 regs[MT_DUMP_REGS];
	__u8 stack[MT_DUMP_STACK_BYTES];
};

/*
 * The frame-pointer walk stopped at a frame pointer that cannot be one
 * (code without frame pointers), or at MT_MAX_FRAMES, rather than at the
 * NULL one that ends every chain.
 */
#define MT_STACK_F_TRUNCATED 1

struct mt_stack_record {
	__u16 kind;		/* MT_REC_STACK */
	__u16 nr_frames;
	__u32 pid;
	__u64 stack_id;		/* hash of pid and frames; never MT_NO_STACK */
	__u32 flags;		/* MT_STACK_F_* */
	__u32 pad;
	/* leaf first: frames[0] is the allocator's direct caller */
	__u64 frames[MT_MAX_FRAMES];
};

#endif /* MEMTRACE_EVENT_H */
