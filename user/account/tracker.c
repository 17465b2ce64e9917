// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/process_timeline.h"
#include "account/tracker.h"

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
	py_frame_table__release(&t->py_frames);
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
	p->sample_bytes = t->sample_bytes;
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

	/* the timeline's last slot: the state the process ended with, before retire moves it */
	if (process_timeline__tick(p, t->timeline_origin_ns, ts_ns))
		return -ENOMEM;
	/* the hook may ask how it ended */
	p->end = end;
	if (t->on_end)
		t->on_end(t->hooks_ctx, p);
	p->exited = true;
	p->end_ns = ts_ns;
	if (t->last == p)
		t->last = NULL;
	if (is_empty(p)) {
		forget_process(t, index_of(t, p));
		return 0;
	}
	if (end == PROCESS_EXITED)
		err = process__retire(p, t->leak_age_ns, t->sample_bytes);
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

void tracker__mappings_lost(struct tracker *t)
{
	for (uint32_t i = 0; i < t->nr_procs; i++) {
		t->procs[i]->maps_followed = false;
		if (!t->procs[i]->exited)
			process__refresh_maps(t->procs[i]);
	}
}

void tracker__mapping_totals(const struct tracker *t, struct mapping_stats *out)
{
	*out = (struct mapping_stats){ 0 };
	for (uint32_t i = 0; i < t->nr_procs; i++)
		if (t->procs[i]->mappings)
			mapping_accounting__sum(out, &t->procs[i]->mappings->stats);
}

static void announce(struct tracker *t, struct mt_process *p)
{
	if (t->on_new_process)
		t->on_new_process(t->hooks_ctx, p);
}

int tracker__lookup_record_process(struct tracker *t, uint32_t pid, bool makes_process,
				   struct mt_process **p)
{
	t->last = *p = tracker__process(t, pid);
	if (*p)
		return 0;
	if (!t->create_on_sight) {
		t->stray_records++;
		return 0;
	}
	if (!makes_process)
		return 0;
	*p = new_process(t, process__new(pid));
	if (!*p)
		return -ENOMEM;
	announce(t, *p);
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
	/* its timeline starts at its start, not its first allocation; a first tick cannot fail */
	(void)process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns);
	return p;
}

/*
 * Fork: the child starts with its parent's maps, and its name. Exec: the
 * old image's record ends, its blocks gone with it; the new image is a new
 * record under the same PID. Exit: the record ends with its live blocks.
 */
int tracker__apply_lifecycle(struct tracker *t, const struct mt_proc_event *e)
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
			/* its timeline's last slot closes as it stood: the drop is the exec's slot */
			if (process_timeline__tick(p, t->timeline_origin_ns, e->ts_ns))
				return -ENOMEM;
			process__drop_image(p, e->ts_ns);
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
