/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and load-time configuration shared by every memtrace BPF program. */
#ifndef MEMTRACE_MAPS_BPF_H
#define MEMTRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <memtrace/event.h>

/* Ring buffer fill level (bytes) above which a submit wakes the consumer. */
const volatile __u64 wakeup_watermark = 1 << 20;

/* Launch mode: the process startup_stop stops. */
__u32 stop_tgid;

/* Processes being traced; user space adds them once every probe is attached. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* One in-flight allocator call per thread, from entry to return. */
struct call_state {
	__u64 size;
	__u64 old_addr;
	__u64 out_ptr;	/* posix_memalign's memptr */
	__u64 entry_ts;
	__u64 stack_id;
	__u16 func;
	__u16 depth;	/* allocator calls nested inside this one */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
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

static __always_inline bool target__is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* Wake the consumer only when enough has piled up; it also polls on a timer. */
static __always_inline __u64 events__wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_watermark)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

#endif /* MEMTRACE_MAPS_BPF_H */
