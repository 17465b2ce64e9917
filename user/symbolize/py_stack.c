// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "symbolize/py_stack.h"

/* Thread states a search looks at, and the most frames a chain is followed for */
#define MAX_THREADS 4096
#define MAX_CHAIN 4096

static int read_u64(py_read_fn read, void *ctx, uint64_t addr, uint64_t *out)
{
	return read(ctx, addr, out, sizeof(*out));
}

/*
 * The thread state of tid in the first interpreter: the thread list, not
 * the GIL holder or the thread-local, which a thread that released the
 * GIL does not have (the brief, sec. 1).
 */
static int find_tstate(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t runtime,
		       uint32_t tid, uint64_t *out)
{
	const struct py_offsets *o = &l->off;
	uint64_t interp, ts, native;
	int err = read_u64(read, ctx, runtime + o->runtime_interpreters_head, &interp);

	if (!err && interp)
		err = read_u64(read, ctx, interp + o->interp_threads_head, &ts);
	if (err || !interp)
		return err ?: -ESRCH;
	for (int i = 0; ts && i < MAX_THREADS; i++) {
		if (o->ts_native_thread_id == PY_OFF_NONE) {
			*out = ts;
			return 0;
		}
		native = 0;
		err = read(ctx, ts + o->ts_native_thread_id, &native, sizeof(uint64_t));
		if (err)
			return err;
		if ((uint32_t)native == tid) {
			*out = ts;
			return 0;
		}
		err = read_u64(read, ctx, ts + o->ts_next, &ts);
		if (err)
			return err;
	}
	return -ESRCH;
}

/* Its top frame: through the cframe on 3.11 and 3.12. */
static int top_frame(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t ts,
		     uint64_t *frame)
{
	const struct py_offsets *o = &l->off;
	int err = read_u64(read, ctx, ts + o->ts_frame, frame);

	if (err || o->cframe_current_frame == PY_OFF_NONE || !*frame)
		return err;
	return read_u64(read, ctx, *frame + o->cframe_current_frame, frame);
}

/* One frame's fields; false for a shim (3.12+: it ends an activation, no code of its own). */
static int read_frame(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t frame,
		      struct py_frame *out, bool *shim)
{
	const struct py_offsets *o = &l->off;
	uint8_t owner = 0, entry = 0;
	int err = read_u64(read, ctx, frame + o->frame_code, &out->code) ?:
		  read_u64(read, ctx, frame + o->frame_instr, &out->instr);

	if (!err && o->frame_owner != PY_OFF_NONE)
		err = read(ctx, frame + o->frame_owner, &owner, 1);
	if (!err && o->frame_is_entry != PY_OFF_NONE)
		err = read(ctx, frame + o->frame_is_entry, &entry, 1);
	/* 3.10's f_lasti is an int: the high half is not its own */
	if (o->code_adaptive == PY_OFF_NONE)
		out->instr = (uint32_t)out->instr;
	*shim = l->marker == PY_MARKER_SHIM && owner == PY_OWNER_CSTACK;
	out->entry = l->marker == PY_MARKER_NONE || entry;
	return err;
}

int py_stack__walk(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t runtime,
		   uint32_t tid, struct py_frame *frames, size_t max)
{
	uint64_t ts, frame;
	size_t n = 0;
	bool shim;
	int err = find_tstate(read, ctx, l, runtime, tid, &ts) ?: top_frame(read, ctx, l, ts, &frame);

	for (int i = 0; !err && frame && n < max && i < MAX_CHAIN; i++) {
		err = read_frame(read, ctx, l, frame, &frames[n], &shim);
		if (!err && shim && n)
			frames[n - 1].entry = true;
		else if (!err && !shim)
			n++;
		if (!err)
			err = read_u64(read, ctx, frame + l->off.frame_previous, &frame);
	}
	return err ?: (int)n;
}
