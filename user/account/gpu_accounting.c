// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/gpu_accounting.h"
#include "account/process.h"

static const struct mt_counters no_counters;

/* Which address space a kind's pointers, handles or ranges live in (gpu_blocks.h). */
static uint8_t space_of(enum gpu_kind kind)
{
	switch (kind) {
	case GPU_KIND_VMM_PHYSICAL:
		return GPU_SPACE_PHYSICAL;
	case GPU_KIND_VMM_MAPPED:
		return GPU_SPACE_MAPPED;
	case GPU_KIND_ADDRESS_RESERVED:
		return GPU_SPACE_RESERVED;
	case GPU_KIND_DEVICE:
	case GPU_KIND_MANAGED:
	case GPU_KIND_PINNED:
	case GPU_KIND_ASYNC:
	case GPU_KIND_COUNT:
		break;
	}
	return GPU_SPACE_POINTER;
}

/*
 * Memory on (or for) the device: what an out-of-memory error is about.
 * Mapped ranges map physical memory already counted; reserved address
 * space is not memory; pinned memory is the host's.
 */
static bool is_device_memory(enum gpu_kind kind)
{
	return kind == GPU_KIND_DEVICE || kind == GPU_KIND_MANAGED || kind == GPU_KIND_ASYNC ||
	       kind == GPU_KIND_VMM_PHYSICAL;
}

static struct gpu_state *state_of(struct mt_process *p)
{
	struct gpu_state *gs = p->gpu;

	if (gs)
		return gs;
	gs = calloc(1, sizeof(*gs));
	if (!gs)
		return NULL;
	/* a GPU site's growth samples keep to the process's grid, begun before this */
	for (int api = 0; api < GPU_API_COUNT; api++)
		for (int kind = 0; kind < GPU_KIND_COUNT; kind++)
			gs->sites[api][kind].clock = p->sites.clock;
	p->gpu = gs;
	return gs;
}

void gpu_accounting__free(struct gpu_state *gs)
{
	if (!gs)
		return;
	free(gs->threads);
	free(gs->devices);
	gpu_blocks__release(&gs->blocks);
	for (uint32_t i = 0; i < gs->nr_libraries; i++)
		free(gs->libraries[i]);
	free(gs->libraries);
	for (int api = 0; api < GPU_API_COUNT; api++)
		for (int kind = 0; kind < GPU_KIND_COUNT; kind++)
			site_stats__release(&gs->sites[api][kind]);
	free(gs);
}

int gpu_accounting__add_library(struct mt_process *p, const char *path)
{
	struct gpu_state *gs;
	char **grown, *dup;

	if (!p || !path)
		return -EINVAL;
	gs = state_of(p);
	if (!gs)
		return -ENOMEM;
	for (uint32_t i = 0; i < gs->nr_libraries; i++)
		if (!strcmp(gs->libraries[i], path))
			return 0;
	grown = realloc(gs->libraries, (gs->nr_libraries + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	gs->libraries = grown;
	dup = strdup(path);
	if (!dup)
		return -ENOMEM;
	gs->libraries[gs->nr_libraries++] = dup;
	return 0;
}

/* The thread's GPU state, made when it makes its first GPU call; NULL on -ENOMEM. */
static struct gpu_thread *thread_of(struct gpu_state *gs, uint32_t thread)
{
	if (thread >= gs->nr_threads) {
		uint32_t n = thread + 1 > 2 * gs->nr_threads ? thread + 1 : 2 * gs->nr_threads;
		struct gpu_thread *grown = realloc(gs->threads, n * sizeof(*grown));

		if (!grown)
			return NULL;
		for (uint32_t i = gs->nr_threads; i < n; i++)
			grown[i] = (struct gpu_thread){ .device = MT_GPU_DEVICE_UNKNOWN };
		gs->threads = grown;
		gs->nr_threads = n;
	}
	return &gs->threads[thread];
}

/* Unknown sorts after every device. */
static bool device_before(int32_t a, int32_t b)
{
	return (uint32_t)a < (uint32_t)b;
}

static struct gpu_device *find_device(struct gpu_state *gs, int32_t device)
{
	for (uint32_t i = 0; i < gs->nr_devices; i++)
		if (gs->devices[i].device == device)
			return &gs->devices[i];
	return NULL;
}

/* The device's counters, made in order when new; NULL on -ENOMEM. */
static struct gpu_device *device_of(struct gpu_state *gs, int32_t device)
{
	struct gpu_device *d = find_device(gs, device);
	uint32_t at = 0;

	if (d)
		return d;
	if (gs->nr_devices == gs->devices_cap) {
		uint32_t cap = gs->devices_cap ? 2 * gs->devices_cap : 4;
		struct gpu_device *grown = realloc(gs->devices, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		gs->devices = grown;
		gs->devices_cap = cap;
	}
	while (at < gs->nr_devices && device_before(gs->devices[at].device, device))
		at++;
	memmove(&gs->devices[at + 1], &gs->devices[at],
		(gs->nr_devices - at) * sizeof(*gs->devices));
	gs->devices[at] = (struct gpu_device){ .device = device };
	gs->nr_devices++;
	return &gs->devices[at];
}

/*
 * Where a call's memory is: the device the call names (cuMemCreate's
 * location), the device of the physical memory a cuMemMap maps, else the
 * device the thread last set, else unknown.
 */
static int32_t device_for(const struct gpu_state *gs, const struct gpu_thread *th,
			  const struct mt_gpu_event *e)
{
	if (e->device >= 0)
		return e->device;
	if (e->func == MT_GPU_CU_MEM_MAP && e->handle) {
		const struct gpu_block *phys =
			gpu_blocks__find(&gs->blocks, GPU_SPACE_PHYSICAL, e->handle);

		if (phys && phys->device >= 0)
			return phys->device;
	}
	return th->device >= 0 ? th->device : MT_GPU_DEVICE_UNKNOWN;
}

/* The counters one call charges, resolved once. */
struct charge {
	struct mt_counters *c[4];	/* the thread, its process, the device, the totals */
};

#define charge_all(ch, field)                  \
	do {                                   \
		for (int i_ = 0; i_ < 4; i_++) \
			(ch)->c[i_]->field++;  \
	} while (0)

static struct charge charge_of(struct gpu_state *gs, struct gpu_totals *totals,
			       struct gpu_thread *th, struct gpu_device *d, enum gpu_kind kind)
{
	return (struct charge){ { &th->kinds[kind], &gs->kinds[kind], &d->kinds[kind],
				  &totals->kinds[kind] } };
}

/* A block's bytes go back to the thread that allocated it, and to its device. */
static void release(struct gpu_state *gs, struct gpu_totals *totals, const struct gpu_block *b,
		    uint64_t free_ns)
{
	struct gpu_device *d = find_device(gs, b->device);

	/* both were made when the block was allocated */
	counters__free(&gs->threads[b->thread].kinds[b->kind], b->size);
	counters__free(&gs->kinds[b->kind], b->size);
	if (d)
		counters__free(&d->kinds[b->kind], b->size);
	counters__free(&totals->kinds[b->kind], b->size);
	if (is_device_memory(b->kind))
		gs->live_bytes -= b->size;
	if (gpu_funcs__allocator(b->api, b->kind))
		site_stats__on_free(&gs->sites[b->api][b->kind], b->stack, 0, b->ts_ns, free_ns,
				    b->size, b->thread);
}

static void record_oom(struct gpu_state *gs, struct gpu_totals *totals,
		       const struct mt_gpu_event *e, const struct gpu_func_info *fi,
		       int32_t device, uint32_t stack)
{
	totals->oom_events++;
	if (gs->nr_ooms == GPU_OOM_KEEP) {
		gs->ooms_omitted++;
		return;
	}
	gs->ooms[gs->nr_ooms++] = (struct gpu_oom){
		.ts_ns = e->ts_ns,
		.size = e->size,
		.gpu_live_bytes = gs->live_bytes,
		.tid = e->tid,
		.stack = stack,
		.device = device,
		.func = e->func,
		.api = (uint8_t)fi->api,
		.kind = (uint8_t)fi->kind,
	};
}

static int apply_alloc(struct gpu_state *gs, struct gpu_totals *totals, uint32_t thread,
		       const struct mt_gpu_event *e, const struct gpu_func_info *fi, uint32_t stack)
{
	struct gpu_thread *th = &gs->threads[thread];
	struct gpu_block b, old;
	struct gpu_device *d;
	struct charge ch;
	int32_t device;
	int err;

	/* success without a pointer: a zero-byte request, which allocates nothing */
	if (!e->result && !e->addr)
		return 0;
	device = device_for(gs, th, e);
	d = device_of(gs, device);
	if (!d)
		return -ENOMEM;
	ch = charge_of(gs, totals, th, d, fi->kind);
	if (e->result) {
		charge_all(&ch, failed_allocs);
		if (e->result == MT_GPU_RESULT_OOM)
			record_oom(gs, totals, e, fi, device, stack);
		return 0;
	}
	b = (struct gpu_block){
		.addr = e->addr,
		.size = e->size,
		.ts_ns = e->ts_ns,
		.stack = stack,
		.thread = thread,
		.device = device,
		.space = space_of(fi->kind),
		.kind = (uint8_t)fi->kind,
		.api = (uint8_t)fi->api,
	};
	err = gpu_blocks__insert(&gs->blocks, &b, &old);
	if (err < 0)
		return err;
	/*
	 * Handed out again while live: its free was lost. Count it freed now,
	 * so that every kind's allocs - frees stays its live blocks.
	 */
	if (err == 1)
		release(gs, totals, &old, e->ts_ns);
	for (int i = 0; i < 4; i++)
		counters__alloc(ch.c[i], e->size);
	if (is_device_memory(fi->kind)) {
		gs->live_bytes += e->size;
		if (gs->live_bytes > gs->live_peak)
			gs->live_peak = gs->live_bytes;
	}
	return 0;
}

static int apply_free(struct gpu_state *gs, struct gpu_totals *totals, uint32_t thread,
		      const struct mt_gpu_event *e, const struct gpu_func_info *fi)
{
	struct gpu_thread *th = &gs->threads[thread];
	struct gpu_block gone;
	struct gpu_device *d;
	struct charge ch;

	/* cudaFree(NULL) initializes a context; a NULL free frees nothing anywhere */
	if (!e->addr)
		return 0;
	/* any pointer free finds any pointer block: one address is one block, whatever its kind */
	if (gpu_blocks__remove(&gs->blocks, space_of(fi->kind), e->addr, &gone)) {
		release(gs, totals, &gone, e->ts_ns);
		return 0;
	}
	/* allocated before tracing began: nothing to subtract; on the caller's device, if set */
	d = device_of(gs, th->device >= 0 ? th->device : MT_GPU_DEVICE_UNKNOWN);
	if (!d)
		return -ENOMEM;
	ch = charge_of(gs, totals, th, d, fi->kind);
	charge_all(&ch, unknown_frees);
	return 0;
}

int gpu_accounting__apply(struct mt_process *p, struct gpu_totals *totals,
			  const struct mt_gpu_event *e, uint32_t stack)
{
	const struct gpu_func_info *fi = gpu_funcs__info(e->func);
	struct gpu_state *gs;
	int64_t thread;

	if (!fi)
		return -EINVAL;
	thread = process__thread(p, e->tid);
	if (thread < 0)
		return (int)thread;
	gs = state_of(p);
	if (!gs || !thread_of(gs, (uint32_t)thread))
		return -ENOMEM;
	switch (fi->op) {
	case GPU_OP_ALLOC:
		return apply_alloc(gs, totals, (uint32_t)thread, e, fi, stack);
	case GPU_OP_FREE:
		return apply_free(gs, totals, (uint32_t)thread, e, fi);
	case GPU_OP_SET_DEVICE:
		/* a failed call leaves the current device as it was */
		if (!e->result)
			gs->threads[thread].device = e->device;
		return 0;
	case GPU_OP_TRANSFER:
	case GPU_OP_SYNC:
		/* never a record: the resource profile counts them in the kernel */
		return -EINVAL;
	}
	return -EINVAL;
}

bool gpu_accounting__active(const struct gpu_state *gs)
{
	if (!gs)
		return false;
	if (gs->nr_libraries)
		return true;
	for (int kind = 0; kind < GPU_KIND_COUNT; kind++)
		if (gpu_accounting__kind_active(&gs->kinds[kind]))
			return true;
	return false;
}

const struct mt_counters *gpu_accounting__thread_kind(const struct gpu_state *gs, uint32_t thread,
						      enum gpu_kind kind)
{
	if (!gs || thread >= gs->nr_threads || (unsigned int)kind >= GPU_KIND_COUNT)
		return &no_counters;
	return &gs->threads[thread].kinds[kind];
}

struct site_stats *gpu_accounting__sites(struct mt_process *p, enum gpu_api api,
					 enum gpu_kind kind)
{
	if (!p->gpu || (unsigned int)api >= GPU_API_COUNT || (unsigned int)kind >= GPU_KIND_COUNT)
		return NULL;
	return &p->gpu->sites[api][kind];
}

void gpu_accounting__begin_sample(struct mt_process *p, double t, uint64_t steps)
{
	if (!p->gpu)
		return;
	for (int api = 0; api < GPU_API_COUNT; api++)
		for (int kind = 0; kind < GPU_KIND_COUNT; kind++)
			site_stats__begin_sample(&p->gpu->sites[api][kind], t, steps);
}

int gpu_accounting__sites_err(const struct mt_process *p)
{
	if (!p->gpu)
		return 0;
	for (int api = 0; api < GPU_API_COUNT; api++)
		for (int kind = 0; kind < GPU_KIND_COUNT; kind++)
			if (p->gpu->sites[api][kind].err)
				return p->gpu->sites[api][kind].err;
	return 0;
}
