// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "symbolize/py_frames.h"

/* Copies the activation at py[*next] (up to its end word, or the last) to out; its count. */
static size_t take_activation(const uint64_t *py, size_t nr_py, size_t *next, uint64_t *out)
{
	size_t n = 0;

	while (*next < nr_py) {
		uint64_t w = py[(*next)++];

		out[n++] = w & ~MT_PY_ACTIVATION_END;
		if (w & MT_PY_ACTIVATION_END)
			break;
	}
	return n;
}

size_t py_frames__merge(const uint64_t *native, const uint8_t *flags, size_t nr_native,
			const uint64_t *py, size_t nr_py, enum mt_python_mode mode, uint64_t *out,
			bool *approximate)
{
	size_t n = 0, next = 0;
	bool in_python = false;

	*approximate = false;
	for (size_t i = 0; i < nr_native; i++) {
		if (nr_py && (flags[i] & PY_NATIVE_EVAL)) {
			n += take_activation(py, nr_py, &next, out + n);
			in_python = true;
			/* outer of the outermost Python frame: the interpreter's start, or a thread's */
			if (next == nr_py)
				break;
			continue;
		}
		/* the allocation in C, above the first Python frame, is always kept */
		if (!in_python)
			out[n++] = native[i];
		/* between Python frames: C extensions stay, the interpreter's call glue goes */
		else if (mode == MT_PYTHON_MIXED && !(flags[i] & PY_NATIVE_INTERP))
			out[n++] = native[i];
	}
	/* the native walk stopped short, or an eval pc went unrecognised */
	if (next < nr_py)
		*approximate = true;
	while (next < nr_py)
		n += take_activation(py, nr_py, &next, out + n);
	return n;
}

bool py_frames__has_words(const uint64_t *frames, size_t nr)
{
	/* the words come after every native pc: the outermost frame tells */
	return nr && py_frames__is_python(frames[nr - 1]);
}
