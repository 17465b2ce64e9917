// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* py_frames__resolve: a stack record's Python words named while the process lives */
#include <errno.h>
#include <string.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "symbolize/py_frames.h"
#include "symbolize/py_proc.h"

/* The word's frame interned: MT_PY_FRAME | index, its activation end kept for the merge */
static int intern_word(struct py_frame_table *table, struct py_proc *pp, uint64_t word,
		       uint64_t *out)
{
	struct py_proc_frame f;
	int64_t idx;
	int err;

	err = py_proc__frame(pp, word, &f);
	if (err < 0)
		return err;
	if (err)
		table->stats.unreadable_code++;
	idx = py_frame_table__intern(table, f.name, f.file, f.line);
	if (idx < 0)
		return (int)idx;
	*out = MT_PY_FRAME | (word & MT_PY_ACTIVATION_END) | (uint64_t)idx;
	return 0;
}

int py_frames__resolve(struct py_frame_table *table, enum mt_python_mode mode,
		       struct py_proc **proc, pid_t pid, const struct proc_maps *maps,
		       uint64_t *frames, uint16_t *nr)
{
	uint64_t py[MT_MAX_FRAMES], out[MT_MAX_FRAMES];
	uint8_t flags[MT_MAX_FRAMES];
	size_t nat = 0, nr_py = 0, n;
	bool approximate;
	int err;

	if (*nr > MT_MAX_FRAMES)
		*nr = MT_MAX_FRAMES;
	while (nat < *nr && !py_frames__is_python(frames[nat]))
		nat++;
	if (nat == *nr)
		return 0;
	/* --python=off: the kernel sends no words; should some come, the native stack alone */
	if (mode == MT_PYTHON_OFF) {
		*nr = (uint16_t)nat;
		return 0;
	}
	if (!*proc)
		*proc = py_proc__find(pid, maps);
	if (!*proc)
		return -ENOMEM;
	/* words with no interpreter to read them by: the native stack alone, counted */
	if (!py_proc__found(*proc, NULL)) {
		table->stats.no_interpreter++;
		*nr = (uint16_t)nat;
		return 0;
	}
	py_proc__begin_stack(*proc);
	for (size_t i = nat; i < *nr; i++) {
		if (!py_frames__is_python(frames[i]))
			continue;
		err = intern_word(table, *proc, frames[i], &py[nr_py]);
		if (err)
			return err;
		nr_py++;
	}
	for (size_t i = 0; i < nat; i++)
		flags[i] = (py_proc__is_eval(*proc, frames[i]) ? PY_NATIVE_EVAL : 0) |
			   (py_proc__in_module(*proc, frames[i]) ? PY_NATIVE_INTERP : 0);
	n = py_frames__merge(frames, flags, nat, py, nr_py, mode, out, &approximate);
	if (approximate)
		table->stats.approximate_stacks++;
	memcpy(frames, out, n * sizeof(*out));
	*nr = (uint16_t)n;
	return 0;
}
