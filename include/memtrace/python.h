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

#endif /* MEMTRACE_PYTHON_H */
