/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A CPython interpreter module (the executable of a static build such as
 * Debian's /usr/bin/python3.11, or libpython3.X.so): its version, the
 * link-time addresses of _PyRuntime and of the eval loop, and the struct
 * offsets a walk of its threads and frames needs. 3.13 carries those
 * offsets itself (_Py_DebugOffsets); 3.10 to 3.12 take them from a table
 * built into memtrace. Design: issue 15, notes/issue15-design.md sec. 3.
 */
#ifndef MEMTRACE_PY_LAYOUT_H
#define MEMTRACE_PY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* An offset the version does not have (3.10 has no native thread id...). */
#define PY_OFF_NONE 0xffff

/*
 * The offsets, by the names the DWARF check and the test fixtures use.
 * ts_frame is the thread state's link to its top frame: frame (3.10, a
 * PyFrameObject), cframe (3.11, 3.12; then cframe_current_frame) or
 * current_frame (3.13). frame_instr is f_lasti (3.10, an int in code
 * units), prev_instr (3.11, 3.12) or instr_ptr (3.13), both pointers into
 * co_code_adaptive. frame_code is f_code, or 3.13's f_executable.
 */
#define PY_OFFSETS(X)                                                                       \
	X(runtime_interpreters_head)                                                        \
	X(interp_next) X(interp_threads_head)                                               \
	X(ts_next) X(ts_thread_id) X(ts_native_thread_id) X(ts_frame)                      \
	X(cframe_current_frame)                                                             \
	X(frame_previous) X(frame_code) X(frame_instr) X(frame_owner) X(frame_is_entry)    \
	X(code_size) X(code_filename) X(code_name) X(code_qualname) X(code_linetable)       \
	X(code_firstlineno) X(code_adaptive)

struct py_offsets {
#define PY_OFFSET_FIELD(name) uint16_t name;
	PY_OFFSETS(PY_OFFSET_FIELD)
#undef PY_OFFSET_FIELD
};

/* What ends one C activation of the eval loop in the frame chain. */
enum py_marker {
	PY_MARKER_NONE,	    /* 3.10: one Python frame per activation */
	PY_MARKER_IS_ENTRY, /* 3.11: frame_is_entry set on its outermost frame */
	PY_MARKER_SHIM,	    /* 3.12+: a frame whose owner is PY_OWNER_CSTACK follows */
};

/* FRAME_OWNED_BY_CSTACK (3.12, 3.13: Include/internal/pycore_frame.h) */
#define PY_OWNER_CSTACK 3

enum py_version_source {
	PY_VERSION_SYMBOL,	  /* Py_Version (3.11+) */
	PY_VERSION_FILE_STRINGS, /* file name, and the PY_VERSION string for the micro */
};

struct py_layout {
	int major, minor, micro;
	enum py_version_source version_from;
	/* the offsets came from the file's _Py_DebugOffsets (3.13), not the table */
	int from_debug_offsets;
	/* 3.10-3.12: the offsets came from the module's own DWARF (pyenv, conda), not the table */
	int from_dwarf;
	enum py_marker marker;
	uint64_t runtime;		  /* _PyRuntime */
	uint64_t eval, eval_size;	  /* _PyEval_EvalFrameDefault */
	uint64_t eval_cold, eval_cold_size; /* its .cold part; 0 without a symbol */
	struct py_offsets off;
};

/*
 * Reads path. -ENOENT: not a CPython interpreter module (no _PyRuntime or
 * eval loop, or no version); -ENOTSUP: a version or build memtrace cannot
 * read (before 3.10, 3.14+, free-threaded); *why then says so in one line.
 * -ENOEXEC for a non-ELF file, other negative errno from open.
 */
int py_layout__from_file(const char *path, struct py_layout *out, const char **why);

/* 3.13's sizeof(_Py_DebugOffsets): the bytes at _PyRuntime to parse */
#define PY_DEBUG_OFFSETS_SIZE 584

/* The built-in table of 3.minor (10 to 12); -ENOTSUP for another. */
int py_layout__builtin(int minor, struct py_offsets *out);

/*
 * Parses a 3.13 _Py_DebugOffsets (the first len bytes of _PyRuntime):
 * *hexversion gets its PY_VERSION_HEX. -EINVAL (with *why) when the
 * cookie or a size is wrong, -ENOTSUP for another layout or a
 * free-threaded build.
 */
int py_layout__from_debug_offsets(const uint8_t *buf, size_t len, struct py_offsets *out,
				  uint32_t *hexversion, const char **why);

/*
 * The same offsets read from path's own DWARF (libdw) for 3.minor:
 * -ENOENT when it has no DWARF or lacks one of the structs or members.
 */
int py_layout__from_dwarf(const char *path, int minor, struct py_offsets *out);

#endif /* MEMTRACE_PY_LAYOUT_H */
