/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process lifecycle: which processes are traced, decided in the kernel as
 * they fork, exec and exit, so a child is traced from its first
 * instruction, and an mt_proc_event for each, in order with the calls.
 */
#ifndef MEMTRACE_LIFECYCLE_BPF_H
#define MEMTRACE_LIFECYCLE_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "python_walk.bpf.h"
#include "stack_dwarf.bpf.h"

/* The process's PID in its own PID namespace (a container's), from its leader. */
static __always_inline __u32 task__ns_pid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level]);
	return up.nr;
}

static __always_inline void proc_event__emit(__u16 op, struct task_struct *task, __s32 exit_code)
{
	struct mt_proc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop__count(MT_DROP_OTHER_RECORD);
		return;
	}
	e->kind = MT_REC_PROC;
	e->op = op;
	e->pid = BPF_CORE_READ(task, tgid);
	e->tid = BPF_CORE_READ(task, pid);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->ns_pid = task__ns_pid(task);
	e->exit_code = exit_code;
	e->ts_ns = bpf_ktime_get_ns();
	e->start_boottime = BPF_CORE_READ(task, group_leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	/* rare, and user space must learn of a new process soon: wake it */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline bool target__add(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY)) {
		drop__count(MT_DROP_PROCESS_NOT_FOLLOWED);
		return false;
	}
	return true;
}

/* The name the process just exec-ed under is --comm's. */
static __always_inline bool comm__matches(struct task_struct *task)
{
	char comm[16];

	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	for (int i = 0; i < 16; i++) {
		if (comm[i] != scope_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

/* --cgroup, --comm: a process not traced yet joins at an exec that matches. */
static __always_inline bool scope__joins_at_exec(struct task_struct *task)
{
	if (scope != MT_SCOPE_TARGETS)
		return false;
	if (scope_by_cgroup && bpf_current_task_under_cgroup(&scope_cgroup, 0) == 1)
		return true;
	return scope_by_comm && comm__matches(task);
}

/*
 * A new process (not a thread) of a traced one is traced from here, before
 * it runs: fork, vfork, clone and posix_spawn all come here. -a announces
 * every new process, so that its record has its name from the start.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = BPF_CORE_READ(child, tgid);

	if (BPF_CORE_READ(child, pid) != tgid)
		return 0;
	if (scope == MT_SCOPE_ALL) {
		if (target__is_traced(BPF_CORE_READ(parent, tgid))) {
			unwind_procs__fork(BPF_CORE_READ(parent, tgid), tgid);
			python_procs__fork(BPF_CORE_READ(parent, tgid), tgid);
			proc_event__emit(MT_PROC_FORK, child, 0);
		}
		return 0;
	}
	if (!follow_forks || scope != MT_SCOPE_TARGETS)
		return 0;
	if (!target__is_traced(BPF_CORE_READ(parent, tgid)) || !target__add(tgid))
		return 0;
	unwind_procs__fork(BPF_CORE_READ(parent, tgid), tgid);
	python_procs__fork(BPF_CORE_READ(parent, tgid), tgid);
	proc_event__emit(MT_PROC_FORK, child, 0);
	return 0;
}

/* The image changed: user space starts the process's table afresh. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (!target__is_traced(tgid) && (!scope__joins_at_exec(task) || !target__add(tgid)))
		return 0;
	unwind_procs__exec(tgid);
	python_procs__end(tgid);
	proc_event__emit(MT_PROC_EXEC, task, 0);
	return 0;
}

/*
 * Thread exit: its final name for the report and no stale call state; the
 * last thread of a process also ends the process. A raw tracepoint needs
 * no tracefs mount, which minimal hosts lack.
 */
SEC("raw_tp/sched_process_exit")
int thread_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct mt_event *e;

	if (!target__is_traced(pid))
		return 0;
	/* its call slots go with it, even if it died inside an allocator */
	bpf_map_delete_elem(&calls, &tid);
	bpf_map_delete_elem(&gpu_calls, &tid);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop__count(MT_DROP_OTHER_RECORD);
	} else {
		__builtin_memset(e, 0, sizeof(*e));
		e->kind = MT_REC_THREAD_EXIT;
		e->pid = pid;
		e->tid = tid;
		e->ts_ns = bpf_ktime_get_ns();
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	}
	/* signal->live counts the group's threads not exiting yet: none left, the process ends */
	if (BPF_CORE_READ(task, signal, live.counter))
		return 0;
	if (scope != MT_SCOPE_ALL)
		bpf_map_delete_elem(&targets, &pid);
	unwind_procs__exit(pid);
	python_procs__end(pid);
	proc_event__emit(MT_PROC_EXIT, task, BPF_CORE_READ(task, exit_code));
	return 0;
}

#endif /* MEMTRACE_LIFECYCLE_BPF_H */
