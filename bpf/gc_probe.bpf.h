/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Garbage collections of a managed runtime, from the USDT probes its
 * interpreter or VM carries (user/attach/gc_probe.c attaches them): CPython's
 * python:gc__start/gc__done, HotSpot's hotspot:gc__begin/gc__end. Each
 * probe sends one mt_gc_event; user space pairs start and end per thread.
 */
#ifndef MEMTRACE_GC_PROBE_BPF_H
#define MEMTRACE_GC_PROBE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>
#include "maps.bpf.h"

static __always_inline int gc_probe__emit(__u8 runtime, __u8 phase, __s32 generation,
					  __s64 collected)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mt_gc_event *e;

	if (!recording)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop__count(MT_DROP_OTHER_RECORD);
		return 0;
	}
	e->kind = MT_REC_GC;
	e->phase = phase;
	e->runtime = runtime;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->generation = generation;
	e->ts_ns = bpf_ktime_get_ns();
	e->collected = collected;
	/* a few per second at most: batching them would only delay the report */
	bpf_ringbuf_submit(e, events__wakeup_flag());
	return 0;
}

SEC("usdt")
int BPF_USDT(python_gc_start, int generation)
{
	return gc_probe__emit(MT_GC_PYTHON, MT_GC_START, generation, -1);
}

SEC("usdt")
int BPF_USDT(python_gc_done, long collected)
{
	return gc_probe__emit(MT_GC_PYTHON, MT_GC_DONE, -1, collected);
}

SEC("usdt")
int BPF_USDT(jvm_gc_begin, int full)
{
	return gc_probe__emit(MT_GC_JVM, MT_GC_START, full ? MT_GC_JVM_FULL : MT_GC_JVM_YOUNG, -1);
}

SEC("usdt")
int BPF_USDT(jvm_gc_end)
{
	return gc_probe__emit(MT_GC_JVM, MT_GC_DONE, -1, -1);
}

#endif /* MEMTRACE_GC_PROBE_BPF_H */
