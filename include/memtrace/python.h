/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Python frames in a stack (issue 15). The kernel reads the allocating
 * thread's CPython frames (bpf/python_walk.bpf.h) and appends them to the
 * native frames of its stack record, leaf first, one 64-bit word each:
 *
 *   bit 63      1: a Python frame (no user-space pc has it)
 *   bit 62      the outermost frame of one C activation of the eval loop
 *   bits 44-61  the instruction index in code units (MT_PY_INDEX_NONE: unknown)
 *   bits 0-43   the code object's address >> 3
 *
 * frames[0 .. n) of an mt_stack_record are then native pcs first, then
 * Python words: user space merges them (user/symbolize/py_frames.h).
 * Fixed-width types only: shared by bpf/ and user/.
 */
#ifndef MEMTRACE_PYTHON_H
#define MEMTRACE_PYTHON_H

#define MT_PY_FRAME (1ULL << 63)
#define MT_PY_ACTIVATION_END (1ULL << 62)
#define MT_PY_INDEX_SHIFT 44
#define MT_PY_INDEX_NONE 0x3ffffULL
#define MT_PY_CODE_MASK ((1ULL << MT_PY_INDEX_SHIFT) - 1)

/* A Python process's native frames at most: the rest of a stack's are for its Python words */
#define MT_PY_NATIVE_MAX 64

/* mt_stack_record.flags: the Python chain was cut (bound, or a read failed) */
#define MT_STACK_F_PY_TRUNCATED 2

static inline __u64 mt_py_word(__u64 code, __u64 index, int activation_end)
{
	if (index > MT_PY_INDEX_NONE)
		index = MT_PY_INDEX_NONE;
	return MT_PY_FRAME | (activation_end ? MT_PY_ACTIVATION_END : 0) |
	       (index << MT_PY_INDEX_SHIFT) | ((code >> 3) & MT_PY_CODE_MASK);
}

static inline __u64 mt_py_word_code(__u64 w)
{
	return (w & MT_PY_CODE_MASK) << 3;
}

static inline __u64 mt_py_word_index(__u64 w)
{
	return (w >> MT_PY_INDEX_SHIFT) & MT_PY_INDEX_NONE;
}

/* An offset the interpreter does not have (3.10: no cframe, no owner...) */
#define MT_PY_OFF_NONE 0xffff

/* What ends one C activation of the eval loop in a thread's frame chain */
enum mt_py_marker {
	MT_PY_MARKER_EACH,	/* 3.10: every frame is one activation */
	MT_PY_MARKER_IS_ENTRY,	/* 3.11: the frame with is_entry set is the outermost */
	MT_PY_MARKER_SHIM,	/* 3.12+: a frame owned by the C stack follows the outermost */
};

/* FRAME_OWNED_BY_CSTACK (3.12, 3.13: Include/internal/pycore_frame.h) */
#define MT_PY_OWNER_CSTACK 3

/* Bytes of a frame the walk reads at once: its fields must lie below */
#define MT_PY_FRAME_READ 128

/*
 * A traced Python process, for its walk (python_procs, tgid -> this): where
 * its interpreters list starts and the struct offsets of its version
 * (user/symbolize/py_layout.h), MT_PY_OFF_NONE where it has no such field.
 */
struct mt_python_proc {
	__u64 interp_head;	/* &_PyRuntime.interpreters.head in the process */
	__u8 marker;		/* enum mt_py_marker */
	__u8 tid_is_pthread;	/* 3.10: the thread is known by pthread_self (fsbase), not its tid */
	__u16 frame_read;	/* bytes of a frame read: its last field's end, <= MT_PY_FRAME_READ */
	__u16 interp_next, interp_threads_head;
	__u16 ts_next, ts_tid, ts_frame, cframe_current_frame;
	__u16 frame_previous, frame_code, frame_instr, frame_owner, frame_is_entry;
	__u16 code_adaptive;	/* MT_PY_OFF_NONE: 3.10, whose frame holds f_lasti (int) */
	__u16 pad;
};

#endif /* MEMTRACE_PYTHON_H */
