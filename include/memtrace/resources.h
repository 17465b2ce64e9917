/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Each traced thread's resource counters (bpf/resources.bpf.h), one entry
 * per thread in the "thread_res" hash map, read by user space at each
 * interval and at the end: no record per event. Shared by bpf/ and user/:
 * fixed-width types only. Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef MEMTRACE_RESOURCES_H
#define MEMTRACE_RESOURCES_H

/* Threads followed at once; a full map loses the newest threads' counters (counted). */
#define MT_RES_MAX_THREADS 65536

/* GPU copies by direction (cudaMemcpyKind's 1, 2, 3; the rest "other") */
enum mt_res_gpu_dir {
	MT_RES_GPU_OTHER,	/* host to host, or inferred from the pointers (cudaMemcpyDefault) */
	MT_RES_GPU_H2D,
	MT_RES_GPU_D2H,
	MT_RES_GPU_D2D,
	MT_RES_GPU_DIRS,
};

/* What a thread slept on, judged when it went off CPU */
enum mt_res_sleep {
	MT_RES_SLEEP_NONE,
	MT_RES_SLEEP_OTHER,	/* a lock, a timer, a pipe: none of the below */
	MT_RES_SLEEP_FAULT,	/* inside a page fault (a major fault's read) */
	MT_RES_SLEEP_NET,	/* in a system call sending or receiving on a TCP or UDP socket */
	MT_RES_SLEEP_IO,	/* in io_schedule: block IO */
	MT_RES_SLEEP_GPU,	/* inside a GPU call that waits for the device */
};

/* The probes that fill each group of counters (mt_thread_res.missing has a bit per group) */
enum mt_res_group {
	MT_RES_SCHED,	/* sched_switch, sched_wakeup, sched_wakeup_new */
	MT_RES_FAULT,	/* software perf events: page fault begun, page fault accounted */
	MT_RES_BLOCK,	/* block_bio_queue */
	MT_RES_NET,	/* sock_send_length and sock_recv_length (6.3+), else kretprobes */
	MT_RES_GPU,	/* uprobes on the GPU libraries' copies and waits */
	MT_RES_GROUPS,
};

struct mt_thread_res {
	__u32 tgid, tid;
	__u64 first_ns;		/* when the thread was first seen (tracing's start at the latest) */
	__u64 last_ns;		/* its last time off CPU */
	/* scheduling */
	__u64 on_cpu_ns;	/* the kernel's own: se.sum_exec_runtime since first_ns */
	__u64 base_exec_ns;
	__u64 runq_ns;		/* woken (or preempted) to switch-in */
	__u64 voluntary_switches;
	__u64 involuntary_switches;
	/* the task's own counters since first_ns (as of its last switch-out) */
	__u64 utime_ns, stime_ns;
	__u64 min_flt, maj_flt;
	__u64 base_utime, base_stime, base_min_flt, base_maj_flt;
	/* page faults: time in handle_mm_fault, and the parts of it off CPU */
	__u64 fault_ns;
	__u64 fault_sleep_ns;
	__u64 fault_runq_ns;
	__u64 faults_timed;
	/* sleeps on block IO and sockets (fault and GPU ones: below); the rest of the wall is "other" */
	__u64 io_sleep_ns;
	__u64 net_sleep_ns;
	/* block IO the thread submitted */
	__u64 read_bytes, write_bytes, read_ops, write_ops;
	/* sockets: bytes the calls moved, calls that moved any */
	__u64 tx_bytes, rx_bytes, tx_calls, rx_calls;
	/* GPU: copies by direction, and time in calls that wait for the device */
	__u64 gpu_bytes[MT_RES_GPU_DIRS];
	__u64 gpu_calls[MT_RES_GPU_DIRS];
	__u64 gpu_ns;		/* in blocking GPU calls (synchronous copies, synchronize) */
	__u64 gpu_sleep_ns;	/* the part asleep */
	__u64 gpu_runq_ns;	/* the part waiting for a CPU */
	__u64 gpu_since;	/* 0: not in a blocking GPU call */
	/* state between events */
	__u64 oncpu_since;	/* 0: off CPU */
	__u64 runq_since;	/* 0: not waiting to run */
	__u64 sleep_since;	/* 0: not sleeping */
	__u64 fault_since;	/* 0: not in a fault */
	__u32 sleep_kind;	/* enum mt_res_sleep */
	__u8 runq_in_fault;	/* its run-queue wait began inside a fault */
	__u8 runq_in_gpu;	/* ... inside a blocking GPU call */
	__u8 gpu_depth;		/* GPU copies and waits in flight: a runtime's call of the driver */
	__u8 pad;
};

/*
 * A TCP or UDP socket a traced thread moved data on (res_thread_socks' key,
 * its value unused): the thread's active connections are those of them
 * still open (user/ingest/resource_poll.c).
 */
struct mt_res_sock_key {
	__u32 tgid, tid;
	__u64 ino;		/* the socket's inode: socket:[ino] in /proc/PID/fd */
};

#define MT_RES_MAX_THREAD_SOCKS 65536

#endif /* MEMTRACE_RESOURCES_H */
