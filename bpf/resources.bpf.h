/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Each traced thread's resource profile: CPU, run-queue wait, page faults,
 * block IO, sockets, and what its sleeps were on. The programs run per
 * scheduling event, fault, bio or socket call (never per allocation) and
 * add to the thread's entry in thread_res, which user space reads at each
 * interval (user/ingest/resource_poll.c). Every program is optional
 * (--no-resources, or a kernel without its hook: user/attach/bpf_loader.c).
 */
#ifndef MEMTRACE_RESOURCES_BPF_H
#define MEMTRACE_RESOURCES_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <memtrace/resources.h>
#include "maps.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_RES_MAX_THREADS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mt_thread_res);
} thread_res SEC(".maps");

/* Which sockets each traced thread moved data on: the least recently used go when full */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MT_RES_MAX_THREAD_SOCKS);
	__type(key, struct mt_res_sock_key);
	__type(value, __u8);
} res_thread_socks SEC(".maps");

/* Threads not followed: the map was full (snapshot: resources.threads_lost) */
__u64 res_threads_lost;

/* Before 5.14 (commit 2f064a59a11f, "sched: Change task_struct::state") the field was state */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task__state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* The task's own counters, which the kernel keeps exactly: copied, not counted again. */
static __always_inline void thread_res__copy_task(struct mt_thread_res *r, struct task_struct *t)
{
	r->utime_ns = BPF_CORE_READ(t, utime) - r->base_utime;
	r->stime_ns = BPF_CORE_READ(t, stime) - r->base_stime;
	r->min_flt = BPF_CORE_READ(t, min_flt) - r->base_min_flt;
	r->maj_flt = BPF_CORE_READ(t, maj_flt) - r->base_maj_flt;
	/*
	 * The scheduler's own runtime, not the sum of switch-in to switch-out:
	 * it is what the thread's CPU clock says, where timestamps taken here
	 * came out short on a busy VM (measured: 383 ms against 400).
	 */
	r->on_cpu_ns = BPF_CORE_READ(t, se.sum_exec_runtime) - r->base_exec_ns;
}

/* The entry of a traced task, made at its first event while recording; NULL otherwise. */
static __always_inline struct mt_thread_res *thread_res__get(struct task_struct *t, __u64 now)
{
	__u32 tid = BPF_CORE_READ(t, pid), tgid;
	struct mt_thread_res *r = bpf_map_lookup_elem(&thread_res, &tid);
	struct mt_thread_res fresh = {};

	if (r || !recording)
		return r;
	tgid = BPF_CORE_READ(t, tgid);
	if (!tgid || !target__is_traced(tgid))
		return NULL;
	fresh.tgid = tgid;
	fresh.tid = tid;
	fresh.first_ns = now;
	fresh.last_ns = now;
	fresh.base_utime = BPF_CORE_READ(t, utime);
	fresh.base_stime = BPF_CORE_READ(t, stime);
	fresh.base_min_flt = BPF_CORE_READ(t, min_flt);
	fresh.base_maj_flt = BPF_CORE_READ(t, maj_flt);
	fresh.base_exec_ns = BPF_CORE_READ(t, se.sum_exec_runtime);
	if (bpf_map_update_elem(&thread_res, &tid, &fresh, BPF_NOEXIST)) {
		__sync_fetch_and_add(&res_threads_lost, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&thread_res, &tid);
}

/* The current thread's entry, if it has one: the hooks inside a thread's own calls */
static __always_inline struct mt_thread_res *thread_res__current(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&thread_res, &tid);
}

/* A sleep ends (a wakeup, or a switch-in whose wakeup came before the entry was made) */
static __always_inline void thread_res__end_sleep(struct mt_thread_res *r, __u64 now)
{
	__u64 d;

	if (!r->sleep_since)
		return;
	d = now - r->sleep_since;
	switch (r->sleep_kind) {
	case MT_RES_SLEEP_GPU:
		r->gpu_sleep_ns += d;
		break;
	case MT_RES_SLEEP_FAULT:
		r->fault_sleep_ns += d;
		break;
	case MT_RES_SLEEP_NET:
		r->net_sleep_ns += d;
		break;
	case MT_RES_SLEEP_IO:
		r->io_sleep_ns += d;
		break;
	default:
		/* other sleeps: user space takes them as what is left of the wall time */
		break;
	}
	r->sleep_since = 0;
	r->sleep_kind = MT_RES_SLEEP_NONE;
}

static __always_inline void thread_res__wait_runq(struct mt_thread_res *r, __u64 now)
{
	r->runq_since = now;
	r->runq_in_fault = r->fault_since != 0;
	r->runq_in_gpu = r->gpu_since != 0;
}

#define RES_AF_INET 2
#define RES_AF_INET6 10
#define RES_IPPROTO_TCP 6
#define RES_IPPROTO_UDP 17

/* A TCP or UDP socket over IP: the network, not a UNIX socket or netlink */
static __always_inline bool sock__is_ip(struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);

	return (family == RES_AF_INET || family == RES_AF_INET6) &&
	       (proto == RES_IPPROTO_TCP || proto == RES_IPPROTO_UDP);
}

/* x86-64 system calls that move data through a file descriptor (a socket's or not) */
#define RES_NR_READ 0
#define RES_NR_WRITE 1
#define RES_NR_READV 19
#define RES_NR_WRITEV 20
#define RES_NR_SENDTO 44
#define RES_NR_RECVFROM 45
#define RES_NR_SENDMSG 46
#define RES_NR_RECVMSG 47
#define RES_NR_RECVMMSG 299
#define RES_NR_SENDMMSG 307
#define RES_S_IFMT 00170000
#define RES_S_IFSOCK 0140000

/* The IP socket behind the task's descriptor fd, or NULL */
static __always_inline struct sock *task__ip_socket(struct task_struct *t, __u64 fd)
{
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	struct file *f = NULL;
	struct socket *sock;
	struct sock *sk;

	if (fd >= max || bpf_core_read(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & RES_S_IFMT) != RES_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	return sk && sock__is_ip(sk) ? sk : NULL;
}

/*
 * Whether a task going to sleep is in a send or receive on a TCP or UDP
 * socket: its system call (orig_ax of the registers it entered with) and
 * that call's descriptor. No hook on the socket calls themselves, which
 * would need kprobes. epoll and poll waits are not counted: they can wait
 * on anything.
 */
static __always_inline bool task__in_socket_call(struct task_struct *t)
{
	struct pt_regs *regs;
	long nr;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return false;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return false;
	nr = BPF_CORE_READ(regs, orig_ax);
	switch (nr) {
	case RES_NR_READ:
	case RES_NR_WRITE:
	case RES_NR_READV:
	case RES_NR_WRITEV:
	case RES_NR_SENDTO:
	case RES_NR_RECVFROM:
	case RES_NR_SENDMSG:
	case RES_NR_RECVMSG:
	case RES_NR_RECVMMSG:
	case RES_NR_SENDMMSG:
		return task__ip_socket(t, BPF_CORE_READ(regs, di)) != NULL;
	default:
		return false;
	}
}

/* Off CPU: preempted (still runnable) or asleep, and on what */
static __always_inline void thread_res__switch_out(struct mt_thread_res *r, bool preempt,
						   struct task_struct *prev, __u64 now)
{
	long state = task__state(prev);

	r->oncpu_since = 0;
	r->last_ns = now;
	thread_res__copy_task(r, prev);
	/* the kernel's own rule for nvcsw and nivcsw (__schedule) */
	if (preempt || !state) {
		r->involuntary_switches++;
		thread_res__wait_runq(r, now);
		return;
	}
	r->voluntary_switches++;
	r->sleep_since = now;
	if (r->fault_since)
		r->sleep_kind = MT_RES_SLEEP_FAULT;
	else if (r->gpu_since)
		r->sleep_kind = MT_RES_SLEEP_GPU;
	else if (task__in_socket_call(prev))
		r->sleep_kind = MT_RES_SLEEP_NET;
	else if (BPF_CORE_READ_BITFIELD_PROBED(prev, in_iowait))
		r->sleep_kind = MT_RES_SLEEP_IO;
	else
		r->sleep_kind = MT_RES_SLEEP_OTHER;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(res_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 prev_tid = BPF_CORE_READ(prev, pid);
	struct mt_thread_res *r = bpf_map_lookup_elem(&thread_res, &prev_tid);

	if (r)
		thread_res__switch_out(r, preempt, prev, now);
	r = thread_res__get(next, now);
	if (!r)
		return 0;
	thread_res__end_sleep(r, now);
	if (r->runq_since) {
		__u64 d = now - r->runq_since;

		r->runq_ns += d;
		if (r->runq_in_fault)
			r->fault_runq_ns += d;
		else if (r->runq_in_gpu)
			r->gpu_runq_ns += d;
		r->runq_since = 0;
	}
	r->oncpu_since = now;
	return 0;
}

/* Woken: its sleep ends, its wait for a CPU begins (unless it never left one) */
static __always_inline void thread_res__wakeup(struct task_struct *p)
{
	__u64 now = bpf_ktime_get_ns();
	struct mt_thread_res *r = thread_res__get(p, now);

	if (!r)
		return;
	thread_res__end_sleep(r, now);
	if (!r->oncpu_since && !r->runq_since)
		thread_res__wait_runq(r, now);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(res_wakeup, struct task_struct *p)
{
	thread_res__wakeup(p);
	return 0;
}

/* A new task: a thread id used again starts from nothing, not from a dead thread's entry */
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(res_wakeup_new, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&thread_res, &tid);
	thread_res__wakeup(p);
	return 0;
}

/*
 * Page faults, timed from the kernel's own software perf events, one per
 * CPU each (user/attach/bpf_loader.c): PAGE_FAULTS where a fault from user
 * mode (or a kernel access to user memory) begins, PAGE_FAULTS_MIN or _MAJ
 * where handle_mm_fault accounts it, at its end. Needs neither kprobes nor
 * ftrace, which some kernels lack; a fault that fails (SIGSEGV) has no end
 * and is not timed.
 */
SEC("perf_event")
int res_fault_start(void *ctx)
{
	struct mt_thread_res *r = thread_res__current();

	if (r)
		r->fault_since = bpf_ktime_get_ns();
	return 0;
}

SEC("perf_event")
int res_fault_done(void *ctx)
{
	struct mt_thread_res *r = thread_res__current();

	if (!r || !r->fault_since)
		return 0;
	r->fault_ns += bpf_ktime_get_ns() - r->fault_since;
	r->faults_timed++;
	r->fault_since = 0;
	return 0;
}

/* REQ_OP_MASK: the low 8 bits of bi_opf (include/linux/blk_types.h) */
#define RES_REQ_OP_MASK 0xff
#define RES_REQ_OP_READ 0
#define RES_REQ_OP_WRITE 1

/* A bio submitted, in the submitting thread: counted once, before any split */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(res_bio_queue, struct bio *bio)
{
	struct mt_thread_res *r = thread_res__current();
	__u32 op;

	if (!r)
		return 0;
	op = BPF_CORE_READ(bio, bi_opf) & RES_REQ_OP_MASK;
	if (op == RES_REQ_OP_READ) {
		r->read_bytes += BPF_CORE_READ(bio, bi_iter.bi_size);
		r->read_ops++;
	} else if (op == RES_REQ_OP_WRITE) {
		r->write_bytes += BPF_CORE_READ(bio, bi_iter.bi_size);
		r->write_ops++;
	}
	return 0;
}

/* A traced thread's socket call that moved ret bytes: its thread's entry, or NULL */
static __always_inline struct mt_thread_res *thread_res__net_bytes(long ret, bool send)
{
	struct mt_thread_res *r;

	if (ret <= 0)
		return NULL;
	r = thread_res__current();
	if (!r)
		return NULL;
	if (send) {
		r->tx_bytes += ret;
		r->tx_calls++;
	} else {
		r->rx_bytes += ret;
		r->rx_calls++;
	}
	return r;
}

/* sk moved data for r's thread: one of its connections (a lookup once it is known) */
static __always_inline void thread_res__net_socket(const struct mt_thread_res *r,
						   struct sock *sk)
{
	struct mt_res_sock_key key = {};
	__u8 one = 1;

	if (!r)
		return;
	key.tgid = r->tgid;
	key.tid = r->tid;
	key.ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	if (key.ino && !bpf_map_lookup_elem(&res_thread_socks, &key))
		bpf_map_update_elem(&res_thread_socks, &key, &one, BPF_ANY);
}

/* 6.3+: every sock_sendmsg and sock_recvmsg ends here, with what it moved */
SEC("tp_btf/sock_send_length")
int BPF_PROG(res_sock_send, struct sock *sk, int ret, int flags)
{
	if (sock__is_ip(sk))
		thread_res__net_socket(thread_res__net_bytes(ret, true), sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(res_sock_recv, struct sock *sk, int ret, int flags)
{
	if (sock__is_ip(sk))
		thread_res__net_socket(thread_res__net_bytes(ret, false), sk);
	return 0;
}

/* Before 6.3: the protocols' own calls, where the kernel has kprobes */
#define RES_NET_KRETPROBE(fn, send)                              \
	SEC("kretprobe/" #fn)                                    \
	int BPF_KRETPROBE(res_##fn##_exit, long ret)             \
	{                                                        \
		thread_res__net_bytes(ret, send);                \
		return 0;                                        \
	}

RES_NET_KRETPROBE(tcp_sendmsg, true)
RES_NET_KRETPROBE(tcp_recvmsg, false)
RES_NET_KRETPROBE(udp_sendmsg, true)
RES_NET_KRETPROBE(udp_recvmsg, false)
RES_NET_KRETPROBE(udpv6_sendmsg, true)
RES_NET_KRETPROBE(udpv6_recvmsg, false)

/*
 * GPU copies and waits (user/attach/gpu_funcs.c), uprobes on the GPU
 * libraries beside the allocation probes. A runtime's call that calls the
 * driver counts once, as the outer call; a blocking one (a synchronous
 * copy, a synchronize) is timed from its entry to its return.
 */
static __always_inline int thread_res__gpu_enter(__u64 bytes, __u32 dir, bool copy, bool blocking)
{
	struct mt_thread_res *r = thread_res__current();

	if (!r)
		return 0;
	if (r->gpu_depth++)
		return 0;
	if (copy && dir < MT_RES_GPU_DIRS) {
		r->gpu_bytes[dir] += bytes;
		r->gpu_calls[dir]++;
	}
	if (blocking)
		r->gpu_since = bpf_ktime_get_ns();
	return 0;
}

/* cudaMemcpyKind and hipMemcpyKind: 1 host to device, 2 device to host, 3 device to device */
static __always_inline __u32 gpu_copy_dir(__u64 kind)
{
	return kind >= MT_RES_GPU_H2D && kind <= MT_RES_GPU_D2D ? (__u32)kind : MT_RES_GPU_OTHER;
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_copy_kind, __u64 dst, __u64 src, __u64 count, __u64 kind)
{
	return thread_res__gpu_enter(count, gpu_copy_dir(kind), true, true);
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_copy_kind_async, __u64 dst, __u64 src, __u64 count, __u64 kind)
{
	return thread_res__gpu_enter(count, gpu_copy_dir(kind), true, false);
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_copy_htod, __u64 dst, __u64 src, __u64 count)
{
	return thread_res__gpu_enter(count, MT_RES_GPU_H2D, true, true);
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_copy_dtoh, __u64 dst, __u64 src, __u64 count)
{
	return thread_res__gpu_enter(count, MT_RES_GPU_D2H, true, true);
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_copy_dtod, __u64 dst, __u64 src, __u64 count)
{
	return thread_res__gpu_enter(count, MT_RES_GPU_D2D, true, true);
}

SEC("uprobe")
int BPF_KPROBE(res_gpu_sync)
{
	return thread_res__gpu_enter(0, MT_RES_GPU_OTHER, false, true);
}

SEC("uretprobe")
int BPF_KRETPROBE(res_gpu_exit)
{
	struct mt_thread_res *r = thread_res__current();

	if (!r || !r->gpu_depth || --r->gpu_depth)
		return 0;
	if (r->gpu_since) {
		r->gpu_ns += bpf_ktime_get_ns() - r->gpu_since;
		r->gpu_since = 0;
	}
	return 0;
}

#endif /* MEMTRACE_RESOURCES_BPF_H */
