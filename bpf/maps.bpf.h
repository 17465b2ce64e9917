/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and load-time configuration shared by every memtrace BPF program. */
#ifndef MEMTRACE_MAPS_BPF_H
#define MEMTRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <memtrace/event.h>
#include <memtrace/python.h>

/* Ring buffer fill level (bytes) above which a submit wakes the consumer. */
const volatile __u64 wakeup_watermark = 1 << 20;

/* enum mt_stack_mode (--stack) */
const volatile __u32 stack_mode = MT_STACK_FP;

/*
 * --sample-bytes: one stack per this many bytes allocated, on average, per
 * thread; 0: every allocation. Calls are counted exactly either way.
 */
const volatile __u64 sample_bytes;

/* Launch mode: the process startup_stop stops, and with which signal (launcher.c). */
__u32 stop_tgid;
__u32 stop_signal;
/* The process that holds memtrace's probes (user/attach/link_keeper.h): not traced under -a. */
__u32 keeper_tgid;

/* Set once every probe is attached, cleared when tracing ends. */
volatile bool recording;

/* enum mt_scope: a constant, so the verifier drops the tests the others need */
const volatile __u32 scope = MT_SCOPE_PIDS;
/* -f: a traced process's new children are traced from their first instruction */
const volatile bool follow_forks;
/* MT_SCOPE_ALL: memtrace itself, which must not trace its own allocations */
const volatile __u32 self_tgid;
/* --cgroup: a process that execs inside scope_cgroup (or below it) joins */
const volatile bool scope_by_cgroup;
/* --comm: a process that execs under this name joins */
const volatile bool scope_by_comm;
const volatile char scope_comm[16];

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scope_cgroup SEC(".maps");

/*
 * Processes being traced (thread group ids). The programs that see every
 * process (lifecycle, syscalls) ask it; with MT_SCOPE_TARGETS the probes
 * do too. A process leaves it at its exit, so its PID, used again, is not
 * traced by mistake. Its size caps the processes traced at once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/*
 * Where a call's stack starts. At an allocator's own probe the return
 * address is still at the stack pointer (the function's entry, or a site
 * probe placement chose for that reason) and %rbp is the caller's frame
 * pointer: the direct caller is the word at the stack pointer, frame 0,
 * and the walk yields the caller's caller first. When operator new called
 * the allocator, the start moves up to operator new's caller
 * (caller_sites.bpf.h).
 */
struct stack_start {
	__u64 sp;	/* where ret lies: every frame above it */
	__u64 fp;	/* %rbp in the function ret returns to */
	__u64 ret;	/* frame 0; 0 when it could not be read */
	__u16 skip;	/* --stack=dwarf: the frames an unwind from the registers drops */
};

/*
 * The Python walk's state (python_walk.bpf.h), in the thread's slot for
 * the reason dwarf_regs is; the thread state found stays for the next call.
 */
struct py_regs {
	__u64 ts;		/* the thread's thread state, once found */
	__u64 ts_of;		/* the interpreters list it was found in (another image: search again) */
	__u64 id;		/* the thread's id as its thread state holds it */
	__u64 searched_ns;	/* when its list was last searched */
	__u64 head_at, head;	/* where the first interpreter's list starts, and what it was */
	__u64 interp, cur;	/* the search's interpreter and thread state; then the walk's frame */
	__u32 nr, first;	/* frames filled; the first Python one */
	__u32 end;		/* how the walk ended */
	__u32 pad;
	__u8 buf[MT_PY_FRAME_READ + 8];	/* the frame read; fields at clamped offsets */
};

/*
 * kernel-dwarf: the registers its walk carries from frame to frame
 * (stack_dwarf.bpf.h says why they are here).
 */
struct dwarf_regs {
	__u64 pc;	/* the frame's pc */
	__u64 key;	/* where its rule is looked up: pc - 1 after a call, pc after a signal */
	__u64 sp, bp;
	__u32 nr;	/* frames found */
	__u32 last;	/* the mapping the previous frame was in */
	__s32 end;	/* WALK_ON while it goes, then how it ended */
	__u32 pad;
	struct py_regs py;	/* the Python walk's, after it */
};

/* Each traced thread's allocator call in flight, from entry to return. */
struct call_state {
	__u64 size;
	__u64 old_addr;
	__u64 out_ptr;	/* posix_memalign's memptr */
	__u64 entry_ts;
	__u64 stack_id;
	__s64 sample_left;	/* bytes until this thread's next sampled stack */
	__u16 func;
	__u16 depth;	/* allocator calls nested inside this one */
	__u8 active;	/* a call is in flight */
	__u8 allocator;	/* enum mt_allocator: whose probe the call entered by, or cxx */
	struct stack_start start;	/* kernel-dwarf: where its walk starts (stack_walk_call) */
	struct dwarf_regs walk;		/* kernel-dwarf: its scratch */
	/*
	 * Where the stack is walked: only this thread writes here, so unlike a
	 * per-CPU buffer it is safe in preemptible programs, and unlike a ring
	 * buffer reservation it costs no ring space when the stack is known.
	 */
	__u64 frames[MT_MAX_FRAMES];
};

/*
 * Not preallocated: 16384 slots of about 1 KiB would cost every run tens
 * of milliseconds at load; a thread's slot is made once, at its first call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct call_state);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Stacks already sent to user space; eviction only costs a resend. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} stacks_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MT_DROP_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void drop__count(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	/* atomic: uprobe programs can be preempted on the same CPU */
	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * --stack=kernel-dwarf: the unwinder runs in programs of its own, reached
 * by a tail call at the end of a probe (memtrace.bpf.c). Inlined in each
 * of the 40-odd probes, the verifier would check it in each: seconds at
 * every start. user/attach/bpf_loader.c fills the slots.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MT_STACK_WALKERS);
	__type(key, __u32);
	__type(value, __u32);
} stack_walkers SEC(".maps");

/* Ends the probe in the walker; back here only when the tail call failed (counted). */
static __always_inline void stack_walker__call(void *ctx, __u32 walker)
{
	bpf_tail_call(ctx, &stack_walkers, walker);
	drop__count(MT_DROP_STACK_ERROR);
}

/*
 * A thread's slot in a per-thread hash map (calls, gpu_calls), made from
 * empty on its first use; it stays until the thread exits. NULL (counted)
 * when the map is full.
 */
static __always_inline void *thread_slot__get(void *map, __u32 tid, const void *empty)
{
	void *st = bpf_map_lookup_elem(map, &tid);

	if (st)
		return st;
	if (bpf_map_update_elem(map, &tid, empty, BPF_NOEXIST)) {
		drop__count(MT_DROP_CALL_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(map, &tid);
}

static __always_inline bool target__is_traced(__u32 tgid)
{
	if (scope == MT_SCOPE_ALL)
		return tgid != self_tgid && tgid != keeper_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Whether a probe's hit is a traced process's: a per-PID probe fires only in its own. */
static __always_inline bool scope__covers(__u32 tgid)
{
	return scope == MT_SCOPE_PIDS || target__is_traced(tgid);
}

/*
 * When a call began, for the calls that need it: only realloc frees inside
 * the call, so only its start orders it against other threads (see
 * mt_process.displaced in user space). A clock read costs ~25 ns here.
 */
static __always_inline bool func__needs_start(__u16 func)
{
	return func == MT_FN_REALLOC || func == MT_FN_REALLOCARRAY;
}

/* Wake the consumer only when enough has piled up; it also polls on a timer. */
static __always_inline __u64 events__wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_watermark)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

#endif /* MEMTRACE_MAPS_BPF_H */
