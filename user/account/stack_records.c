// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "account/stack_records.h"
#include "symbolize/py_frames.h"
#include "symbolize/py_proc.h"
#include "util/mono_clock.h"

/* A stack outside the known maps re-reads them at most this often. */
#define MAPS_REFRESH_MIN_NS 100000000ULL

/*
 * Names are only sure while the process lives: make its cached maps cover
 * a new stack now (a library loaded since the last read), not at report
 * time. The direct caller is always a real address; deeper frames may be
 * junk from code without frame pointers, so they only trigger a
 * rate-limited re-read. Maps the mapping records follow need none (and
 * /proc may show a later image by now).
 */
static void cover_stack(struct mt_process *p, const struct mt_stack_record *rec)
{
	bool refresh;

	if (!process__may_read_maps(p))
		return;
	refresh = !p->maps_read_ns || !proc_maps__find(&p->maps, rec->frames[0]);
	/* Python words (after the native pcs) are no addresses to map */
	for (uint16_t i = 1; !refresh && i < rec->nr_frames && i < MT_MAX_FRAMES &&
			     !py_frames__is_python(rec->frames[i]);
	     i++)
		refresh = !proc_maps__find(&p->maps, rec->frames[i]) &&
			  mono_clock__ns() - p->maps_read_ns > MAPS_REFRESH_MIN_NS;
	if (refresh)
		process__refresh_maps(p);
}

/*
 * Python words came, but no interpreter was in p's maps when it was looked
 * for: libpython may have been mapped since (its mapping record can come
 * after the stack record), so maps that changed are searched again.
 */
static void forget_no_python(struct mt_process *p)
{
	if (p->python && !py_proc__found(p->python, NULL) && p->python_maps_gen != p->maps_gen) {
		py_proc__free(p->python);
		p->python = NULL;
	}
}

/* frames[0 .. *nr) with Python words after the native pcs: merged in place (py_frames.h). */
static int merge_python(struct tracker *t, struct mt_process *p, uint64_t *frames, uint16_t *nr)
{
	forget_no_python(p);
	if (!p->python)
		p->python_maps_gen = p->maps_gen;
	return py_frames__resolve(&t->py_frames, t->python_mode, &p->python, p->pid, &p->maps,
				  frames, nr);
}

int stack_records__add(struct tracker *t, struct mt_process *p,
		       const struct mt_stack_record *rec)
{
	uint16_t nr = rec->nr_frames > MT_MAX_FRAMES ? MT_MAX_FRAMES : rec->nr_frames;
	uint64_t merged[MT_MAX_FRAMES];
	/* __u64 and uint64_t differ in name only */
	const uint64_t *frames = (const uint64_t *)rec->frames;
	int64_t idx;
	int err;

	/* the eval loop's place and the interpreter's are found by the maps: cover them first */
	cover_stack(p, rec);
	if (py_frames__has_words(frames, nr)) {
		memcpy(merged, frames, nr * sizeof(*frames));
		err = merge_python(t, p, merged, &nr);
		if (err)
			return err;
		frames = merged;
	}
	idx = stack_table__add_frames(&t->stacks, rec->stack_id, rec->pid, frames, nr);
	if (idx < 0)
		return (int)idx;
	t->stacks.stacks[idx].truncated = rec->flags & (MT_STACK_F_TRUNCATED |
							MT_STACK_F_PY_TRUNCATED);
	t->stacks.stacks[idx].python_truncated = rec->flags & MT_STACK_F_PY_TRUNCATED;
	return 0;
}

/* The same id the kernel gives a frame-pointer stack with these frames. */
static uint64_t frames_id(uint32_t pid, const uint64_t *frames, size_t nr)
{
	uint64_t h = (0xcbf29ce484222325ULL ^ pid) * 0x100000001b3ULL;

	for (size_t i = 0; i < nr; i++)
		h = (h ^ frames[i]) * 0x100000001b3ULL;
	h &= ~MT_STACK_DUMP_FLAG;
	return h == MT_NO_STACK ? 1 : h;
}

static struct dwarf_unwinder *process_unwinder(struct mt_process *p)
{
	char root[32];

	if (!p->unwinder) {
		snprintf(root, sizeof(root), "/proc/%u/root", p->pid);
		if (dwarf_unwinder__new(p->pid, root, &p->unwinder))
			return NULL;
		p->unwinder_maps_gen = p->maps_gen - 1;
	}
	if (p->unwinder_maps_gen != p->maps_gen &&
	    !dwarf_unwinder__set_maps(p->unwinder, &p->maps))
		p->unwinder_maps_gen = p->maps_gen;
	return p->unwinder;
}

/*
 * Unwind now, while the maps that name the stack's modules are those of
 * the moment it was taken. Returns the frames found, 0 or fewer: none.
 */
static int unwind_dump(struct mt_process *p, const struct mt_stack_dump *d, uint64_t *frames,
		       bool *truncated)
{
	struct dwarf_unwinder *u;
	uint64_t caller_at;
	int nr = 0;

	if (!proc_maps__find(&p->maps, d->regs[16]) && process__may_read_maps(p))
		process__refresh_maps(p);
	/* libdwfl would guess from %rbp in a module it does not know: a frame lost, unseen */
	u = proc_maps__find(&p->maps, d->regs[16]) ? process_unwinder(p) : NULL;
	if (u)
		nr = dwarf_unwinder__unwind(u, d, frames, MT_MAX_FRAMES, truncated);
	/* it ran into a module loaded since the maps were read (dlopen): read them, go again */
	if (u && nr > 0 && *truncated && !proc_maps__find(&p->maps, frames[nr - 1]) &&
	    process__may_read_maps(p) && !process__refresh_maps(p) && process_unwinder(p))
		nr = dwarf_unwinder__unwind(u, d, frames, MT_MAX_FRAMES, truncated);
	/*
	 * No CFI at all: the caller is still the return address at the stack
	 * pointer, or, at the preload site, in its wrapper's frame (%rbp + 8).
	 * Under operator new it is in operator new's frame, which takes its
	 * CFI to find: none then.
	 */
	caller_at = (d->skip & MT_DUMP_SKIP) == 2 ? d->regs[6] + 8 : d->regs[7];
	if (nr <= 0 && !(d->skip & MT_DUMP_F_CXX) && caller_at >= d->stack_base &&
	    caller_at - d->stack_base + sizeof(frames[0]) <= d->size) {
		memcpy(&frames[0], d->stack + (caller_at - d->stack_base), sizeof(frames[0]));
		nr = 1;
	}
	return nr;
}

int stack_records__add_dump(struct tracker *t, struct mt_process *p,
			    const struct mt_stack_dump *d)
{
	struct stack_table *stacks = &t->stacks;
	uint64_t frames[MT_MAX_FRAMES];
	bool truncated = true;
	struct mt_thread *th;
	int64_t thread, idx;
	uint64_t id;
	bool py_cut = false;
	uint16_t n, i;
	int nr, err;

	nr = unwind_dump(p, d, frames, &truncated);
	/* no user pc has bit 63 set: what has is junk, and would read as a Python word */
	for (int k = 1; k < nr; k++)
		if (py_frames__is_python(frames[k])) {
			nr = k;
			truncated = true;
		}
	if (nr <= 0)
		return 0;
	id = frames_id(d->pid, frames, nr);
	if (d->nr_py) {
		/* the native frames come first: Python words that do not fit are cut, and said so */
		if (nr > MT_PY_NATIVE_MAX) {
			nr = MT_PY_NATIVE_MAX;
			truncated = true;
		}
		for (i = 0; i < d->nr_py && i < MT_MAX_FRAMES && nr < MT_MAX_FRAMES; i++)
			frames[nr++] = d->py[i];
		py_cut = i < d->nr_py;
		id = frames_id(d->pid, frames, nr);
		n = (uint16_t)nr;
		err = merge_python(t, p, frames, &n);
		if (err)
			return err;
		nr = n;
	}
	idx = stack_table__add_frames(stacks, id, d->pid, frames, (uint16_t)nr);
	if (idx < 0)
		return (int)idx;
	py_cut |= d->py_flags & MT_STACK_F_PY_TRUNCATED;
	stacks->stacks[idx].truncated = truncated || py_cut;
	stacks->stacks[idx].python_truncated = py_cut;
	thread = process__thread(p, d->tid);
	if (thread < 0)
		return (int)thread;
	/* the call record that follows from the same thread picks the stack up */
	th = &p->threads[thread];
	if (d->skip & MT_DUMP_F_GPU) {
		th->gpu_dump_id = d->dump_id;
		th->gpu_dump_stack = (uint32_t)idx;
	} else {
		th->dump_id = d->dump_id;
		th->dump_stack = (uint32_t)idx;
	}
	return 0;
}

int64_t stack_records__dump_stack(struct mt_process *p, uint32_t tid, uint64_t stack_id)
{
	int64_t thread = process__thread(p, tid);

	if (thread < 0)
		return thread;
	if (p->threads[thread].dump_id == stack_id)
		return p->threads[thread].dump_stack;
	if (p->threads[thread].gpu_dump_id == stack_id)
		return p->threads[thread].gpu_dump_stack;
	return 0;
}
