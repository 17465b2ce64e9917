// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/mapping_accounting.h"
#include "output/resources_snapshot.h"

static const char *const group_names[MT_RES_GROUPS] = {
	[MT_RES_SCHED] = "scheduler",
	[MT_RES_FAULT] = "page_faults",
	[MT_RES_BLOCK] = "block_io",
	[MT_RES_NET] = "sockets",
	[MT_RES_GPU] = "gpu",
};

/* A counter, null when unknown (its probe group did not run, the thread was never seen) */
static void kv_counter(struct json_writer *w, const char *key, bool known, uint64_t v)
{
	json_writer__key(w, key);
	if (known)
		json_writer__u64(w, v);
	else
		json_writer__null(w);
}

void resources_snapshot__write_run(const struct run_resources *run, struct json_writer *w)
{
	json_writer__key(w, "resources");
	json_writer__begin_object(w);
	json_writer__kv_bool(w, "enabled", run->enabled);
	json_writer__key(w, "probes");
	json_writer__begin_object(w);
	for (int i = 0; i < MT_RES_GROUPS; i++)
		json_writer__kv_bool(w, group_names[i], run->probes.on[i]);
	json_writer__end_object(w);
	json_writer__key(w, "missing");
	json_writer__begin_object(w);
	for (int i = 0; i < MT_RES_GROUPS; i++)
		if (!run->probes.on[i])
			json_writer__kv_string(w, group_names[i], run->probes.why_not[i]);
	json_writer__end_object(w);
	/* no PMU counters are read: null, and why */
	json_writer__key(w, "pmu");
	json_writer__null(w);
	json_writer__kv_string(w, "pmu_reason", run->pmu_why_not);
	json_writer__kv_u64(w, "threads_lost", run->threads_lost);
	/* what a fault costs here end to end, the least a fault counts in a bottleneck */
	kv_counter(w, "fault_cost_ns", run->fault_cost_ns, run->fault_cost_ns);
	json_writer__key(w, "thresholds");
	json_writer__begin_object(w);
	json_writer__kv_double(w, "verdict_share", RESOURCES_VERDICT_SHARE);
	json_writer__kv_double(w, "min_wall_s", RESOURCES_MIN_WALL_NS / 1e9);
	json_writer__end_object(w);
	json_writer__end_object(w);
}

static void write_cpu(const struct res_profile *p, bool sched, struct json_writer *w)
{
	json_writer__key(w, "cpu");
	json_writer__begin_object(w);
	kv_counter(w, "user_ns", sched, p->user_ns);
	kv_counter(w, "system_ns", sched, p->system_ns);
	kv_counter(w, "on_cpu_ns", sched, p->on_cpu_ns);
	kv_counter(w, "runqueue_ns", sched, p->runqueue_ns);
	kv_counter(w, "voluntary_switches", sched, p->voluntary_switches);
	kv_counter(w, "involuntary_switches", sched, p->involuntary_switches);
	json_writer__key(w, "on_cpu_share");
	if (sched && p->wall.wall_ns)
		json_writer__double(w, resources__on_cpu_share(p));
	else
		json_writer__null(w);
	json_writer__end_object(w);
}

/*
 * The heap the allocator holds from the kernel by brk, against the bytes
 * the program holds: null without the mapping records (--no-mappings) or
 * with no heap grown while traced.
 */
static void write_heap(const struct mt_process *p, struct json_writer *w)
{
	uint64_t heap = p->mappings ? p->mappings->stats.brk_bytes : 0, live = p->c.current_bytes;

	json_writer__key(w, "heap_fragmentation");
	if (!heap) {
		json_writer__null(w);
		return;
	}
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "heap_bytes", heap);
	json_writer__kv_u64(w, "live_bytes", live);
	json_writer__kv_u64(w, "unused_bytes", heap > live ? heap - live : 0);
	json_writer__kv_double(w, "ratio", heap > live ? (double)(heap - live) / (double)heap : 0);
	json_writer__end_object(w);
}

static void write_gpu(const struct res_profile *p, bool gpu, struct json_writer *w)
{
	static const char *const dirs[MT_RES_GPU_DIRS][2] = {
		[MT_RES_GPU_H2D] = { "h2d_bytes", "h2d_calls" },
		[MT_RES_GPU_D2H] = { "d2h_bytes", "d2h_calls" },
		[MT_RES_GPU_D2D] = { "d2d_bytes", "d2d_calls" },
		[MT_RES_GPU_OTHER] = { "other_bytes", "other_calls" },
	};

	json_writer__key(w, "gpu");
	json_writer__begin_object(w);
	for (int d = MT_RES_GPU_H2D; d <= MT_RES_GPU_D2D; d++) {
		kv_counter(w, dirs[d][0], gpu, p->gpu_bytes[d]);
		kv_counter(w, dirs[d][1], gpu, p->gpu_calls[d]);
	}
	kv_counter(w, dirs[MT_RES_GPU_OTHER][0], gpu, p->gpu_bytes[MT_RES_GPU_OTHER]);
	kv_counter(w, dirs[MT_RES_GPU_OTHER][1], gpu, p->gpu_calls[MT_RES_GPU_OTHER]);
	kv_counter(w, "sync_ns", gpu, p->gpu_sync_ns);
	json_writer__end_object(w);
}

static void write_counters(const struct res_profile *p, const bool on[MT_RES_GROUPS],
			   const struct mt_process *proc, struct json_writer *w)
{
	bool sched = on[MT_RES_SCHED], fault = on[MT_RES_FAULT], block = on[MT_RES_BLOCK],
	     net = on[MT_RES_NET];
	const struct process_sockets *so = proc ? &proc->sockets : &p->sockets;

	write_cpu(p, sched, w);
	json_writer__key(w, "memory");
	json_writer__begin_object(w);
	kv_counter(w, "minor_faults", sched, p->minor_faults);
	kv_counter(w, "major_faults", sched, p->major_faults);
	kv_counter(w, "fault_ns", fault, p->fault_ns);
	if (proc)
		write_heap(proc, w);
	json_writer__end_object(w);
	json_writer__key(w, "io");
	json_writer__begin_object(w);
	kv_counter(w, "read_bytes", block, p->read_bytes);
	kv_counter(w, "write_bytes", block, p->write_bytes);
	kv_counter(w, "read_ops", block, p->read_ops);
	kv_counter(w, "write_ops", block, p->write_ops);
	kv_counter(w, "blocked_ns", sched, p->blocked_ns);
	json_writer__end_object(w);
	json_writer__key(w, "network");
	json_writer__begin_object(w);
	kv_counter(w, "tx_bytes", net, p->tx_bytes);
	kv_counter(w, "rx_bytes", net, p->rx_bytes);
	kv_counter(w, "tx_packets", net, p->tx_calls);
	kv_counter(w, "rx_packets", net, p->rx_calls);
	/* a process's: its own; a thread's: those of them it moved data on (null without) */
	kv_counter(w, "tcp_sockets", so->known, so->tcp);
	kv_counter(w, "udp_sockets", so->known, so->udp);
	json_writer__end_object(w);
	write_gpu(p, on[MT_RES_GPU], w);
}

static void write_wall(const struct res_profile *p, bool sched, struct json_writer *w)
{
	const struct res_wall *wall = &p->wall;

	json_writer__key(w, "wall");
	json_writer__begin_object(w);
	kv_counter(w, "wall_ns", sched, wall->wall_ns);
	kv_counter(w, "on_cpu_ns", sched, wall->on_cpu_ns);
	kv_counter(w, "runnable_ns", sched, wall->runnable_ns);
	kv_counter(w, "fault_ns", sched, wall->fault_ns);
	kv_counter(w, "io_ns", sched, wall->io_ns);
	kv_counter(w, "network_ns", sched, wall->network_ns);
	kv_counter(w, "gpu_ns", sched, wall->gpu_ns);
	kv_counter(w, "other_ns", sched, wall->other_ns);
	json_writer__end_object(w);
	json_writer__key(w, "bottleneck");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "verdict", resources__verdict_name(p->verdict));
	json_writer__kv_double(w, "share", p->share);
	json_writer__end_object(w);
}

/* proc: a process's profile, with what only a process has; NULL for a thread's */
static void write_profile(const struct run_resources *run, const struct res_profile *p,
			  const struct mt_process *proc, struct json_writer *w)
{
	bool on[MT_RES_GROUPS];

	for (int i = 0; i < MT_RES_GROUPS; i++)
		on[i] = run->probes.on[i] && p->known;
	json_writer__begin_object(w);
	write_counters(p, on, proc, w);
	write_wall(p, on[MT_RES_SCHED], w);
	json_writer__end_object(w);
}

void resources_snapshot__write_process(const struct run_resources *run,
				       const struct mt_process *p, struct json_writer *w)
{
	struct res_profile prof;

	json_writer__key(w, "resources");
	if (!run->enabled) {
		json_writer__null(w);
		return;
	}
	resources__process(p, run, &prof);
	write_profile(run, &prof, p, w);
}

void resources_snapshot__write_thread(const struct run_resources *run,
				      const struct mt_process *p, uint32_t thread,
				      struct json_writer *w)
{
	const struct mt_thread *t = &p->threads[thread];
	struct res_profile prof;

	json_writer__key(w, "resources");
	if (!run->enabled) {
		json_writer__null(w);
		return;
	}
	resources__thread(&t->res, t->exited || p->exited, run, &prof);
	write_profile(run, &prof, NULL, w);
}
