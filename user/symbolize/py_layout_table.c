// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "symbolize/py_layout.h"

#define NONE PY_OFF_NONE

/*
 * x86_64 release builds. The numbers are notes/issue15-design.md section 3
 * ("3.10-3.12: built-in table"), measured with gdb ptype/o on the DWARF
 * of pyenv's 3.10.13, 3.11.7 and 3.12.1 libpython and checked there
 * against live interpreters, Debian's 3.11.2 among them.
 * tests/unit/test_py_layout.c holds them against fixtures recorded from
 * that DWARF, and against the DWARF itself where pyenv is installed.
 */
static const struct py_offsets builtin[] = {
	{
		/* 3.10: PyFrameObject frames, tstate_head, no co_qualname */
		.runtime_interpreters_head = 32,
		.interp_next = 0, .interp_threads_head = 8,
		.ts_next = 8, .ts_thread_id = 176, .ts_native_thread_id = NONE, .ts_frame = 24,
		.cframe_current_frame = NONE,
		.frame_previous = 24, .frame_code = 32, .frame_instr = 96, .frame_owner = NONE,
		.frame_is_entry = NONE,
		.code_size = 176, .code_filename = 104, .code_name = 112, .code_qualname = NONE,
		.code_linetable = 120, .code_firstlineno = 40, .code_adaptive = NONE,
	},
	{
		.runtime_interpreters_head = 40,
		.interp_next = 0, .interp_threads_head = 16,
		.ts_next = 8, .ts_thread_id = 152, .ts_native_thread_id = 160, .ts_frame = 56,
		.cframe_current_frame = 8,
		.frame_previous = 48, .frame_code = 32, .frame_instr = 56, .frame_owner = 69,
		.frame_is_entry = 68,
		.code_size = 192, .code_filename = 112, .code_name = 120, .code_qualname = 128,
		.code_linetable = 136, .code_firstlineno = 72, .code_adaptive = 184,
	},
	{
		.runtime_interpreters_head = 40,
		.interp_next = 0, .interp_threads_head = 72,
		.ts_next = 8, .ts_thread_id = 136, .ts_native_thread_id = 144, .ts_frame = 56,
		.cframe_current_frame = 0,
		.frame_previous = 8, .frame_code = 0, .frame_instr = 56, .frame_owner = 70,
		.frame_is_entry = NONE,
		.code_size = 200, .code_filename = 112, .code_name = 120, .code_qualname = 128,
		.code_linetable = 136, .code_firstlineno = 68, .code_adaptive = 192,
	},
};

int py_layout__builtin(int minor, struct py_offsets *out)
{
	if (minor < 10 || minor > 12)
		return -ENOTSUP;
	*out = builtin[minor - 10];
	return 0;
}

/*
 * 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h in 3.13;
 * design notes section 3): every field a u64, every sub-struct starting
 * with its own size. Positions in the struct, in bytes.
 */
enum {
	DO_VERSION = 8, DO_FREE_THREADED = 16,
	DO_RUNTIME = 24, DO_INTERP = 48, DO_THREAD = 152, DO_FRAME = 224, DO_CODE = 272,
	DO_END = 352, /* the parts read here; the whole is 584 bytes */
};

static const struct debug_field {
	size_t at;    /* offsetof(struct py_offsets, field) */
	int sub, pos; /* its sub-struct, and its index in it (0 is the size) */
} debug_fields[] = {
#define F(field, sub, pos) { offsetof(struct py_offsets, field), sub, pos }
	F(runtime_interpreters_head, DO_RUNTIME, 2),
	F(interp_next, DO_INTERP, 2), F(interp_threads_head, DO_INTERP, 3),
	F(ts_next, DO_THREAD, 2), F(ts_frame, DO_THREAD, 4), F(ts_thread_id, DO_THREAD, 5),
	F(ts_native_thread_id, DO_THREAD, 6),
	F(frame_previous, DO_FRAME, 1), F(frame_code, DO_FRAME, 2), F(frame_instr, DO_FRAME, 3),
	F(frame_owner, DO_FRAME, 5),
	F(code_size, DO_CODE, 0), F(code_filename, DO_CODE, 1), F(code_name, DO_CODE, 2),
	F(code_qualname, DO_CODE, 3), F(code_linetable, DO_CODE, 4),
	F(code_firstlineno, DO_CODE, 5), F(code_adaptive, DO_CODE, 9),
#undef F
};

static uint64_t u64_at(const uint8_t *buf, size_t at)
{
	uint64_t v;

	memcpy(&v, buf + at, sizeof(v));
	return v;
}

int py_layout__from_debug_offsets(const uint8_t *buf, size_t len, struct py_offsets *out,
				  uint32_t *hexversion, const char **why)
{
	uint64_t version;

	if (len < DO_END || memcmp(buf, "xdebugpy", 8)) {
		*why = "no _Py_DebugOffsets cookie at _PyRuntime";
		return -EINVAL;
	}
	version = u64_at(buf, DO_VERSION);
	/* the layout itself changes with the minor version (3.14 adds fields) */
	if (version >> 16 != 0x030d) {
		*why = "_Py_DebugOffsets of a version other than 3.13";
		return -ENOTSUP;
	}
	if (u64_at(buf, DO_FREE_THREADED)) {
		*why = "a free-threaded build (its objects are laid out differently)";
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(debug_fields) / sizeof(debug_fields[0]); i++) {
		const struct debug_field *f = &debug_fields[i];
		uint64_t size = u64_at(buf, f->sub), v = u64_at(buf, f->sub + 8 * f->pos);

		/* a field lies inside its struct, and the walk's offsets fit a u16 */
		if (size >= 1 << 20 || (f->pos && v + 8 > size) || v >= NONE) {
			*why = "_Py_DebugOffsets with an impossible size or offset";
			return -EINVAL;
		}
		memcpy((char *)out + f->at, &(uint16_t){ (uint16_t)v }, sizeof(uint16_t));
	}
	/* gone in 3.13: the thread state points at its frame, no entry flag */
	out->cframe_current_frame = NONE;
	out->frame_is_entry = NONE;
	*hexversion = (uint32_t)version;
	return 0;
}
