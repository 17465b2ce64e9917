/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The allocating thread's Python frames (issue 15), read from outside the
 * interpreter with no help from it, appended to the native frames of its
 * stack as words of include/memtrace/python.h. Its thread state is found
 * in the interpreter's list of them by the thread's id, not through the
 * GIL or a thread-local, which a thread that released the GIL has not
 * got (notes: torch ops allocate so); found once and kept in the thread's
 * slot, checked by one read each time. Then the frame chain, one frame a
 * bpf_loop step, one read a frame. Offsets per interpreter come from user
 * space (user/attach/python_loader.c) in python_procs.
 */
#ifndef MEMTRACE_PYTHON_WALK_BPF_H
#define MEMTRACE_PYTHON_WALK_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_core_read.h>
#include <memtrace/python.h>

/* Thread states a search looks at, over all interpreters */
#define PY_MAX_TSTATES 1024

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mt_python_proc);
} python_procs SEC(".maps");

/* As unwind_procs: a forked child runs its parent's interpreter; an exec-ed image is told anew. */
static __always_inline void python_procs__fork(__u32 parent, __u32 child)
{
	const struct mt_python_proc *p = bpf_map_lookup_elem(&python_procs, &parent);

	if (p)
		bpf_map_update_elem(&python_procs, &child, p, BPF_ANY);
}

static __always_inline void python_procs__end(__u32 tgid)
{
	bpf_map_delete_elem(&python_procs, &tgid);
}

struct py_walk {
	struct py_regs *r;	/* the thread's slot */
	__u64 *frames;		/* the thread's slot */
	const struct mt_python_proc *p;
};

#define PY_WALK_DONE 1
#define PY_WALK_CUT 2

/* The field at off of the frame read: offsets clamped into the buffer. */
static __always_inline __u64 py_field_u64(const struct py_regs *r, __u16 off)
{
	__u64 v;

	__builtin_memcpy(&v, &r->buf[off & (MT_PY_FRAME_READ - 1)], sizeof(v));
	return v;
}

static __always_inline __u8 py_field_u8(const struct py_regs *r, __u16 off)
{
	return r->buf[off & (MT_PY_FRAME_READ - 1)];
}

static __always_inline __u64 py_read_u64(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

/* bpf_loop's callback: one thread state of the list; 1 once found or at the list's end. */
static long py_find__step(__u64 i, void *ctx)
{
	struct py_walk *pw = ctx;
	struct py_regs *r = pw->r;
	const struct mt_python_proc *p = pw->p;

	if (!r->cur) {
		/* this interpreter's threads are done: the next interpreter's */
		r->interp = r->interp ? py_read_u64(r->interp + p->interp_next) : 0;
		if (!r->interp)
			return 1;
		r->cur = py_read_u64(r->interp + p->interp_threads_head);
		return 0;
	}
	if (py_read_u64(r->cur + p->ts_tid) == r->id) {
		r->ts = r->cur;
		return 1;
	}
	r->cur = py_read_u64(r->cur + p->ts_next);
	return 0;
}

/*
 * bpf_loop's callback: the frame at r->cur becomes a word after the
 * others, or ends an activation (a shim, 3.12+). 1 stops the loop.
 */
static long py_frame__step(__u64 i, void *ctx)
{
	struct py_walk *pw = ctx;
	struct py_regs *r = pw->r;
	const struct mt_python_proc *p = pw->p;
	__u64 code, index = MT_PY_INDEX_NONE, instr, start;
	__u32 n = r->nr, size = p->frame_read;
	__s32 lasti;
	bool last;

	if (!r->cur) {
		r->end = PY_WALK_DONE;
		return 1;
	}
	if (n >= MT_MAX_FRAMES || size > MT_PY_FRAME_READ ||
	    bpf_probe_read_user(r->buf, size, (void *)r->cur)) {
		r->end = PY_WALK_CUT;
		return 1;
	}
	r->cur = py_field_u64(r, p->frame_previous);
	if (p->marker == MT_PY_MARKER_SHIM && py_field_u8(r, p->frame_owner) == MT_PY_OWNER_CSTACK) {
		if (n > r->first && n - 1 < MT_MAX_FRAMES)
			pw->frames[n - 1] |= MT_PY_ACTIVATION_END;
		return 0;
	}
	code = py_field_u64(r, p->frame_code);
	if (p->code_adaptive == MT_PY_OFF_NONE) {
		/* 3.10: f_lasti, in code units; -1 before the first instruction */
		lasti = (__s32)py_field_u64(r, p->frame_instr);
		if (lasti >= 0)
			index = lasti;
	} else {
		/* a pointer into the code object's bytecode, two bytes a unit */
		instr = py_field_u64(r, p->frame_instr);
		start = code + p->code_adaptive;
		if (instr >= start)
			index = (instr - start) >> 1;
	}
	last = p->marker == MT_PY_MARKER_EACH ||
	       (p->marker == MT_PY_MARKER_IS_ENTRY && py_field_u8(r, p->frame_is_entry));
	pw->frames[n] = mt_py_word(code, index, last);
	r->nr = n + 1;
	return 0;
}

/*
 * A thread with no thread state (a C++ worker of a Python process, which
 * may allocate all the time) searches the list again only when its head
 * changed (a thread state made: they are pushed there), or this long after
 * its last search: a state whose thread id is set later (a forked child's,
 * fixed after the fork's first allocations) is found by then.
 */
#define PY_SEARCH_AGAIN_NS (10 * 1000 * 1000ULL)

/* The thread's state: the one kept, still its own, else a search. */
static __always_inline bool python__thread_state(struct py_walk *pw)
{
	struct py_regs *r = pw->r;
	const struct mt_python_proc *p = pw->p;
	__u64 now;

	if (r->ts_of == p->interp_head) {
		if (r->ts && py_read_u64(r->ts + p->ts_tid) == r->id)
			return true;
		now = bpf_ktime_get_ns();
		if (!r->ts && now - r->searched_ns < PY_SEARCH_AGAIN_NS &&
		    py_read_u64(r->head_at) == r->head)
			return false;
	}
	r->ts = 0;
	/* no interpreter yet (launched, before Py_Initialize): not a miss to remember */
	r->interp = py_read_u64(p->interp_head);
	if (!r->interp)
		return false;
	r->searched_ns = bpf_ktime_get_ns();
	r->ts_of = p->interp_head;
	r->head_at = r->interp + p->interp_threads_head;
	r->head = py_read_u64(r->head_at);
	r->cur = r->head;
	bpf_loop(PY_MAX_TSTATES, py_find__step, pw, 0);
	return r->ts != 0;
}

/*
 * After frames[0 .. nr) native: the thread's Python frames, leaf first,
 * as many as there is room for. How many frames in all; *cut when the
 * Python chain did not fit or could not be read to its end.
 */
static __always_inline __u32 python__walk(__u32 pid, __u32 tid, __u64 *frames, __u32 nr,
					   struct py_regs *r, bool *cut)
{
	struct py_walk pw = { .r = r, .frames = frames };
	struct task_struct *task;
	__u64 top;

	*cut = false;
	pw.p = bpf_map_lookup_elem(&python_procs, &pid);
	if (!pw.p)
		return nr;
	if (pw.p->tid_is_pthread) {
		/* 3.10: pthread_self(), which is the thread pointer, %fs's base, on x86-64 glibc */
		task = (struct task_struct *)bpf_get_current_task();
		r->id = BPF_CORE_READ(task, thread.fsbase);
	} else {
		r->id = tid;
	}
	if (!python__thread_state(&pw))
		return nr;
	top = py_read_u64(r->ts + pw.p->ts_frame);
	if (top && pw.p->cframe_current_frame != MT_PY_OFF_NONE)
		top = py_read_u64(top + pw.p->cframe_current_frame);
	r->cur = top;
	r->nr = nr;
	r->first = nr;
	r->end = 0;
	bpf_loop(MT_MAX_FRAMES, py_frame__step, &pw, 0);
	*cut = r->end != PY_WALK_DONE;
	return r->nr;
}

#endif /* MEMTRACE_PYTHON_WALK_BPF_H */
