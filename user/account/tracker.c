// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/cdefs.h> /* __always_inline */
#include <time.h>

#include "account/accounting.h"
#include "account/gc_stats.h"
#include "account/mapping_accounting.h"
#include "account/tracker.h"
#include "util/mono_clock.h"

/* A stack outside the known maps re-reads them at most this often. */
#define MAPS_REFRESH_MIN_NS 100000000ULL

int tracker__init(struct tracker *t)
{
	*t = (struct tracker){};
	return stack_table__init(&t->stacks);
}

void tracker__release(struct tracker *t)
{
	for (uint32_t i = 0; i < t->nr_procs; i++)
		process__free(t->procs[i]);
	free(t->procs);
	free(t->fresh);
	id_map__release(&t->by_pid);
	stack_table__release(&t->stacks);
	*t = (struct tracker){};
}

struct mt_process *tracker__latest(const struct tracker *t, uint32_t pid)
{
	int64_t idx = id_map__get(&t->by_pid, pid);

	return idx < 0 ? NULL : t->procs[idx];
}

struct mt_process *tracker__process(const struct tracker *t, uint32_t pid)
{
	struct mt_process *p = tracker__latest(t, pid);

	return p && p->end == PROCESS_RUNNING ? p : NULL;
}

/* Takes p (freed on failure); it becomes what its PID names. */
static struct mt_process *insert_process(struct tracker *t, struct mt_process *p)
{
	if (!p)
		return NULL;
	if (t->nr_procs == t->procs_cap) {
		uint32_t cap = t->procs_cap ? 2 * t->procs_cap : 8;
		struct mt_process **grown = realloc(t->procs, cap * sizeof(*grown));

		if (!grown)
			goto fail;
		t->procs = grown;
		t->procs_cap = cap;
	}
	if (id_map__put(&t->by_pid, p->pid, t->nr_procs))
		goto fail;
	p->stacks = &t->stacks;
	p->live_cap = &t->live_cap;
	t->procs[t->nr_procs++] = p;
	return p;
fail:
	process__free(p);
	return NULL;
}

struct mt_process *tracker__add_process(struct tracker *t, uint32_t pid)
{
	struct mt_process *p = tracker__process(t, pid);

	return p ? p : insert_process(t, process__new(pid));
}

static int remember_fresh(struct tracker *t, uint32_t pid)
{
	if (t->nr_fresh == t->fresh_cap) {
		uint32_t cap = t->fresh_cap ? 2 * t->fresh_cap : 16;
		uint32_t *grown = realloc(t->fresh, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		t->fresh = grown;
		t->fresh_cap = cap;
	}
	t->fresh[t->nr_fresh++] = pid;
	return 0;
}

void tracker__allocator_totals(const struct tracker *t, struct allocator_stats *out)
{
	*out = t->folded.by_allocator;
	for (uint32_t i = 0; i < t->nr_procs; i++)
		allocator_stats__add(out, &t->procs[i]->by_allocator);
}

int tracker__joined_again(struct tracker *t, uint32_t pid)
{
	return remember_fresh(t, pid);
}

const uint32_t *tracker__take_fresh(struct tracker *t, uint32_t *n)
{
	*n = t->nr_fresh;
	t->nr_fresh = 0;
	return t->fresh;
}

uint32_t tracker__nr_running(const struct tracker *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->nr_procs; i++)
		n += !t->procs[i]->exited;
	return n;
}

/* A process that joined by itself and ended without one call: nothing to report. */
static bool is_empty(const struct mt_process *p)
{
	return p->joined && !p->c.allocs && !p->c.frees && !p->c.unknown_frees &&
	       !p->c.failed_allocs && !p->gpu && !p->gc && !p->mappings;
}

/* Removes the ended procs[idx], keeping the others in order, and its PID's index. */
static void forget_process(struct tracker *t, uint32_t idx)
{
	struct mt_process *p = t->procs[idx];

	/* a PID not seen again must not keep an entry: PIDs cycle through millions */
	if (id_map__get(&t->by_pid, p->pid) == idx)
		id_map__delete(&t->by_pid, p->pid);
	for (uint32_t i = idx + 1; i < t->nr_procs; i++) {
		struct mt_process *q = t->procs[i];

		t->procs[i - 1] = q;
		/* only a PID's latest process is indexed */
		if (id_map__get(&t->by_pid, q->pid) == i)
			id_map__put(&t->by_pid, q->pid, i - 1);
	}
	t->nr_procs--;
	for (uint32_t i = 0; i < t->nr_procs; i++)
		if (t->procs[i]->prev_image == p)
			t->procs[i]->prev_image = p->prev_image;
	process__free(p);
}

static uint32_t index_of(const struct tracker *t, const struct mt_process *p)
{
	uint32_t i = t->nr_procs;

	while (i-- > 0 && t->procs[i] != p)
		;
	return i;
}

static void counters__add(struct mt_counters *sum, const struct mt_counters *c)
{
	sum->current_bytes += c->current_bytes;
	sum->peak_bytes += c->peak_bytes;
	sum->allocs += c->allocs;
	sum->frees += c->frees;
	sum->reallocs += c->reallocs;
	sum->failed_allocs += c->failed_allocs;
	sum->allocated_bytes += c->allocated_bytes;
	sum->freed_bytes += c->freed_bytes;
	sum->unknown_frees += c->unknown_frees;
}

/*
 * The oldest ended record goes into the folded totals. Its stacks go too,
 * unless another record of its PID (the image it exec-ed into, a process
 * that got the PID again) may share them: stack ids hash the PID.
 */
static void fold_oldest(struct tracker *t)
{
	struct mt_process *p;
	uint32_t i;

	for (i = 0; i < t->nr_procs && t->procs[i]->end == PROCESS_RUNNING; i++)
		;
	if (i == t->nr_procs)
		return;
	p = t->procs[i];
	t->folded.processes++;
	counters__add(&t->folded.c, &p->c);
	t->folded.live_blocks += process__live_blocks(p);
	allocator_stats__add(&t->folded.by_allocator, &p->by_allocator);
	if (tracker__latest(t, p->pid) == p)
		stack_table__drop_pid(&t->stacks, p->pid);
	forget_process(t, i);
	t->nr_ended--;
}

/*
 * Its records are complete: its PID, used again, names a new process. An
 * exited one keeps its live blocks by site (process__retire). A fork child
 * that only exec-ed, or a process -a saw start and end idle, is forgotten:
 * a machine starts many. Past --max-exited, the oldest ended record is
 * folded. p may be gone on return; -ENOMEM leaves it whole.
 */
static int end_process(struct tracker *t, struct mt_process *p, enum process_end end,
		       uint64_t ts_ns)
{
	int err = 0;

	if (t->on_end)
		t->on_end(t->hooks_ctx, p);
	p->exited = true;
	p->end = end;
	p->end_ns = ts_ns;
	if (t->last == p)
		t->last = NULL;
	if (is_empty(p)) {
		forget_process(t, index_of(t, p));
		return 0;
	}
	if (end == PROCESS_EXITED)
		err = process__retire(p, t->leak_age_ns);
	t->nr_ended++;
	if (t->max_exited && t->nr_ended > t->max_exited)
		fold_oldest(t);
	return err;
}

void tracker__end_vanished(struct tracker *t, uint32_t pid, uint64_t now_ns)
{
	struct mt_process *p = tracker__process(t, pid);

	/* short of memory, it keeps its tables whole */
	if (p)
		end_process(t, p, PROCESS_EXITED, now_ns);
}

/* A process a record announced (fork, exec) or that -a saw first in a record. */
static struct mt_process *new_process(struct tracker *t, struct mt_process *p)
{
	p = insert_process(t, p);
	if (!p || remember_fresh(t, p->pid))
		return NULL;
	p->joined = true;
	return p;
}

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
	for (uint16_t i = 1; !refresh && i < rec->nr_frames && i < MT_MAX_FRAMES; i++)
		refresh = !proc_maps__find(&p->maps, rec->frames[i]) &&
			  mono_clock__ns() - p->maps_read_ns > MAPS_REFRESH_MIN_NS;
	if (refresh)
		process__refresh_maps(p);
}

void tracker__mappings_lost(struct tracker *t)
{
	for (uint32_t i = 0; i < t->nr_procs; i++) {
		t->procs[i]->maps_followed = false;
		if (!t->procs[i]->exited)
			process__refresh_maps(t->procs[i]);
	}
}

static void announce(struct tracker *t, struct mt_process *p)
{
	if (t->on_new_process)
		t->on_new_process(t->hooks_ctx, p);
}

/* A record of a PID not traced: -a makes its process now, else it is a stray. */
static __attribute__((noinline)) struct mt_process *unknown_process(struct tracker *t,
								    uint32_t pid)
{
	struct mt_process *p;

	if (!t->create_on_sight) {
		t->stray_records++;
		return NULL;
	}
	p = new_process(t, process__new(pid));
	if (p)
		announce(t, p);
	return p;
}

/*
 * Stack and thread-exit records are rare: out of line, they leave the
 * path of call records, nearly all of them, a small stack frame.
 */
static __attribute__((noinline)) int handle_stack(struct tracker *t,
						  const struct mt_stack_record *rec)
{
	struct mt_process *p = tracker__process(t, rec->pid);
	uint16_t nr = rec->nr_frames > MT_MAX_FRAMES ? MT_MAX_FRAMES : rec->nr_frames;
	int64_t idx;

	if (!p) {
		p = unknown_process(t, rec->pid);
		if (!p)
			return t->create_on_sight ? -ENOMEM : 0;
	}
	/* __u64 and uint64_t differ in name only */
	idx = stack_table__add_frames(&t->stacks, rec->stack_id, rec->pid,
				      (const uint64_t *)rec->frames, nr);
	if (idx < 0)
		return (int)idx;
	t->stacks.stacks[idx].truncated = rec->flags & MT_STACK_F_TRUNCATED;
	cover_stack(p, rec);
	return 0;
}

static struct mt_process *record_process(struct tracker *t, uint32_t pid)
{
	if (!t->last || t->last->pid != pid)
		t->last = tracker__process(t, pid);
	return t->last;
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
 * --stack=dwarf: unwind now, while the maps that name the stack's modules
 * are those of the moment it was taken; the call record that follows from
 * the same thread picks the result up.
 */
static __attribute__((noinline)) int handle_stack_dump(struct tracker *t,
						       const struct mt_stack_dump *d)
{
	struct mt_process *p = tracker__process(t, d->pid);
	uint64_t frames[MT_MAX_FRAMES];
	struct dwarf_unwinder *u;
	struct mt_thread *th;
	bool truncated = true;
	int64_t thread, idx;
	uint64_t caller_at;
	int nr = 0;

	if (!p) {
		p = unknown_process(t, d->pid);
		if (!p)
			return t->create_on_sight ? -ENOMEM : 0;
	}
	if (!proc_maps__find(&p->maps, d->regs[16]) && process__may_read_maps(p))
		process__refresh_maps(p);
	u = process_unwinder(p);
	if (u)
		nr = dwarf_unwinder__unwind(u, d, frames, MT_MAX_FRAMES, &truncated);
	/* it ran into a module loaded since the maps were read (dlopen): read them, go again */
	if (u && nr > 0 && truncated && !proc_maps__find(&p->maps, frames[nr - 1]) &&
	    process__may_read_maps(p) && !process__refresh_maps(p) && process_unwinder(p))
		nr = dwarf_unwinder__unwind(u, d, frames, MT_MAX_FRAMES, &truncated);
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
	if (nr <= 0)
		return 0;
	idx = stack_table__add_frames(&t->stacks, frames_id(d->pid, frames, nr), d->pid, frames,
				      (uint16_t)nr);
	if (idx < 0)
		return (int)idx;
	t->stacks.stacks[idx].truncated = truncated;
	thread = process__thread(p, d->tid);
	if (thread < 0)
		return (int)thread;
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

/*
 * --stack=dwarf: the stack of the dump the thread sent just before the
 * record naming stack_id (0: lost).
 */
static __attribute__((noinline)) int64_t dump_stack(struct mt_process *p, uint32_t tid,
						    uint64_t stack_id)
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

/* The stack table index of a call record's stack_id, whichever way it was taken. */
static __always_inline int64_t record_stack(struct tracker *t, struct mt_process *p, uint32_t tid,
					    uint64_t stack_id)
{
	if (stack_id & MT_STACK_DUMP_FLAG)
		return dump_stack(p, tid, stack_id);
	return stack_table__intern(&t->stacks, stack_id);
}

static int handle_call(struct tracker *t, const struct mt_event *e)
{
	struct mt_process *p = record_process(t, e->pid);
	int64_t stack;

	if (!p) {
		p = unknown_process(t, e->pid);
		if (!p)
			return t->create_on_sight ? -ENOMEM : 0;
	}
	accounting__prefetch(p, e);
	stack = record_stack(t, p, e->tid, e->stack_id);
	if (stack < 0)
		return (int)stack;
	return accounting__apply(p, &t->totals, e, (uint32_t)stack);
}

/* GPU memory calls are rare: out of line, like the other rare records. */
static __attribute__((noinline)) int handle_gpu(struct tracker *t, const struct mt_gpu_event *e)
{
	struct mt_process *p = record_process(t, e->pid);
	int64_t stack;

	if (!p) {
		p = unknown_process(t, e->pid);
		if (!p)
			return t->create_on_sight ? -ENOMEM : 0;
	}
	stack = record_stack(t, p, e->tid, e->stack_id);
	if (stack < 0)
		return (int)stack;
	return gpu_accounting__apply(p, &t->gpu, e, (uint32_t)stack);
}

static __attribute__((noinline)) int handle_thread_exit(struct tracker *t, const struct mt_event *e)
{
	struct mt_process *p = tracker__process(t, e->pid);
	struct mt_thread *th;
	int64_t idx;

	if (!p) {
		if (!t->create_on_sight)
			t->stray_records++;
		return 0;
	}
	idx = process__thread(p, e->tid);
	if (idx < 0)
		return (int)idx;
	th = &p->threads[idx];
	th->exited = true;
	memcpy(th->comm, e->comm, COMM_LEN);
	th->comm[COMM_LEN - 1] = '\0';
	/* the process's name is its main thread's, which it may have changed */
	if (e->tid == e->pid)
		memcpy(p->comm, th->comm, COMM_LEN);
	return 0;
}

/* The process a fork or exec record makes: its record begins at the record's time. */
static struct mt_process *process_of_record(struct tracker *t, const struct mt_proc_event *e,
					    const char *comm)
{
	struct mt_process *p = new_process(t, process__new_seen(e->pid, e->start_boottime, comm));

	if (!p)
		return NULL;
	p->ppid = e->ppid;
	p->ns_pid = e->ns_pid;
	p->begin_ns = e->ts_ns;
	p->maps_followed = t->maps_followed;
	return p;
}

/*
 * Fork: the child starts with its parent's maps, and its name. Exec: the
 * old image's record ends, its blocks gone with it; the new image is a new
 * record under the same PID. Exit: the record ends with its live blocks.
 */
static __attribute__((noinline)) int handle_proc(struct tracker *t,
						 const struct mt_proc_event *e)
{
	struct mt_process *p = tracker__process(t, e->pid), *parent, *child;
	char comm[COMM_LEN];

	if (t->before_lifecycle) {
		t->before_lifecycle(t->hooks_ctx);
		/* the mappings' exec record may have told of this exec already: look again */
		p = tracker__process(t, e->pid);
	}
	memcpy(comm, e->comm, COMM_LEN);
	comm[COMM_LEN - 1] = '\0';
	switch (e->op) {
	case MT_PROC_FORK:
		/* its exit record was lost: this PID is another process now */
		if (p && end_process(t, p, PROCESS_EXITED, e->ts_ns))
			return -ENOMEM;
		child = process_of_record(t, e, comm);
		if (!child)
			return -ENOMEM;
		child->forked = true;
		parent = tracker__process(t, e->ppid);
		if (parent && !child->exe && parent->exe)
			child->exe = strdup(parent->exe);
		if (parent && proc_maps__copy(&parent->maps, &child->maps) == 0)
			child->maps_gen++;
		announce(t, child);
		return 0;
	case MT_PROC_EXEC:
		/* the exec that started its record (launch mode's CMD): no new image */
		if (p && e->ts_ns < p->begin_ns)
			return 0;
		if (p) {
			process__drop_image(p);
			/* the blocks are gone: the run's current bytes go down with them */
			t->totals.current_bytes -= p->exec_dropped_bytes < t->totals.current_bytes
							   ? p->exec_dropped_bytes
							   : t->totals.current_bytes;
		}
		child = process_of_record(t, e, comm);
		if (!child)
			return -ENOMEM;
		child->exec_ts = e->ts_ns;
		process__take_exec_maps(p, child);
		/* last: an empty old image is freed here */
		if (p)
			end_process(t, p, PROCESS_EXECED, e->ts_ns);
		announce(t, child);
		return 0;
	case MT_PROC_EXIT:
		if (!p)
			return 0;
		p->exit_seen = true;
		p->exit_code = e->exit_code;
		return end_process(t, p, PROCESS_EXITED, e->ts_ns);
	default:
		return 0;
	}
}

static int handle_gc(struct tracker *t, const struct mt_gc_event *e)
{
	struct mt_process *p = tracker__process(t, e->pid);

	if (!p) {
		t->stray_records++;
		return 0;
	}
	return gc_stats__apply(&p->gc, e);
}

static int handle_step(struct tracker *t, const struct mt_event *e)
{
	struct mt_process *p = tracker__process(t, e->pid);

	if (!p) {
		if (!t->create_on_sight)
			t->stray_records++;
		return 0;
	}
	p->steps++;
	p->last_step_ns = e->ts_ns;
	return 0;
}

int tracker__handle_record(void *ctx, void *data, size_t size)
{
	struct tracker *t = ctx;
	const struct mt_event *e = data;
	int err = 0;

	if (size < sizeof(__u16))
		return 0;
	t->records++;
	switch (e->kind) {
	case MT_REC_CALL:
		if (size >= sizeof(*e))
			err = handle_call(t, e);
		break;
	case MT_REC_THREAD_EXIT:
		if (size >= sizeof(*e))
			err = handle_thread_exit(t, e);
		break;
	case MT_REC_STACK:
		if (size >= sizeof(struct mt_stack_record))
			err = handle_stack(t, data);
		break;
	case MT_REC_STEP:
		if (size >= sizeof(*e))
			err = handle_step(t, e);
		break;
	case MT_REC_STACK_DUMP:
		if (size >= sizeof(struct mt_stack_dump))
			err = handle_stack_dump(t, data);
		break;
	case MT_REC_GPU:
		if (size >= sizeof(struct mt_gpu_event))
			err = handle_gpu(t, data);
		break;
	case MT_REC_PROC:
		if (size >= sizeof(struct mt_proc_event))
			err = handle_proc(t, data);
		break;
	case MT_REC_GC:
		if (size >= sizeof(struct mt_gc_event))
			err = handle_gc(t, data);
		break;
	case MT_REC_MMAP:
		if (size >= sizeof(struct mt_mmap_event))
			err = mapping_accounting__record(t, data);
		break;
	}
	if (err && !t->err)
		t->err = err;
	/* a negative return stops libbpf's consume loop: only for fatal errors */
	return err;
}
