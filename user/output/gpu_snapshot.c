// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "output/frames.h"
#include "output/gpu_snapshot.h"

static const struct mt_counters no_counters;

/* "kinds": every kind, or (active_only) those that saw a call. */
static void write_kinds(const struct mt_counters *kinds, bool active_only, struct json_writer *w)
{
	json_writer__key(w, "kinds");
	json_writer__begin_object(w);
	for (int kind = 0; kind < GPU_KIND_COUNT; kind++) {
		const struct mt_counters *c = kinds ? &kinds[kind] : &no_counters;

		if (active_only && !gpu_accounting__kind_active(c))
			continue;
		json_writer__key(w, gpu_funcs__kind_name(kind));
		json_writer__begin_object(w);
		counters__write_json(c, w);
		json_writer__end_object(w);
	}
	json_writer__end_object(w);
}

static void write_device_id(struct json_writer *w, int32_t device)
{
	json_writer__key(w, "device");
	if (device >= 0)
		json_writer__i64(w, device);
	else
		json_writer__null(w);
}

static void write_oom(const struct run_summary *s, const struct mt_process *p,
		      const struct gpu_oom *oom, struct json_writer *w)
{
	struct leak_frame frames[LEAK_MAX_FRAMES];
	bool truncated;
	size_t n;

	n = leaks__stack_frames(s->tracker, s->sym, p, oom->stack, frames, LEAK_MAX_FRAMES,
				&truncated);
	json_writer__begin_object(w);
	json_writer__kv_double(w, "t_s",
			       oom->ts_ns > s->start_ns ? (oom->ts_ns - s->start_ns) / 1e9 : 0);
	json_writer__kv_u64(w, "tid", oom->tid);
	json_writer__kv_string(w, "function", gpu_funcs__name(oom->func));
	/* null for the kinds that are no allocator of their own (a mapping, reserved space) */
	json_writer__kv_string(w, "allocator", gpu_funcs__allocator(oom->api, oom->kind));
	json_writer__kv_u64(w, "requested_bytes", oom->size);
	write_device_id(w, oom->device);
	json_writer__kv_u64(w, "gpu_live_bytes", oom->gpu_live_bytes);
	json_writer__key(w, "stack");
	frames__write_json(frames, n, w);
	json_writer__end_object(w);
}

void gpu_snapshot__write_totals(const struct gpu_totals *g, struct json_writer *w)
{
	json_writer__key(w, "gpu");
	json_writer__begin_object(w);
	write_kinds(g->kinds, false, w);
	json_writer__kv_u64(w, "oom_events", g->oom_events);
	json_writer__end_object(w);
}

void gpu_snapshot__write_process(const struct run_summary *s, const struct mt_process *p,
				 struct json_writer *w)
{
	const struct gpu_state *gs = p->gpu;

	json_writer__key(w, "gpu");
	json_writer__begin_object(w);
	json_writer__key(w, "libraries");
	json_writer__begin_array(w);
	for (uint32_t i = 0; gs && i < gs->nr_libraries; i++)
		json_writer__string(w, gs->libraries[i]);
	json_writer__end_array(w);
	write_kinds(gs ? gs->kinds : NULL, false, w);
	/* in device order, unknown last: gpu_state keeps them so */
	json_writer__key(w, "devices");
	json_writer__begin_array(w);
	for (uint32_t i = 0; gs && i < gs->nr_devices; i++) {
		json_writer__begin_object(w);
		write_device_id(w, gs->devices[i].device);
		write_kinds(gs->devices[i].kinds, true, w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__key(w, "oom_events");
	json_writer__begin_array(w);
	for (uint32_t i = 0; gs && i < gs->nr_ooms; i++)
		write_oom(s, p, &gs->ooms[i], w);
	json_writer__end_array(w);
	json_writer__kv_u64(w, "oom_events_omitted", gs ? gs->ooms_omitted : 0);
	json_writer__end_object(w);
}

void gpu_snapshot__write_thread(const struct mt_process *p, uint32_t thread,
				struct json_writer *w)
{
	json_writer__key(w, "gpu");
	json_writer__begin_object(w);
	json_writer__key(w, "kinds");
	json_writer__begin_object(w);
	for (int kind = 0; kind < GPU_KIND_COUNT; kind++) {
		json_writer__key(w, gpu_funcs__kind_name(kind));
		json_writer__begin_object(w);
		counters__write_json(gpu_accounting__thread_kind(p->gpu, thread, kind), w);
		json_writer__end_object(w);
	}
	json_writer__end_object(w);
	json_writer__end_object(w);
}
