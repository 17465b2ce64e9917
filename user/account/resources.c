// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/process.h"
#include "account/resources.h"

static uint64_t sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* A state still going on at the read counts up to the read (a live thread only). */
static uint64_t since(uint64_t start, uint64_t read_ns, bool exited)
{
	return start && !exited && read_ns > start ? read_ns - start : 0;
}

static void copy_counters(const struct mt_thread_res *k, struct res_profile *out)
{
	out->user_ns = k->utime_ns;
	out->system_ns = k->stime_ns;
	out->voluntary_switches = k->voluntary_switches;
	out->involuntary_switches = k->involuntary_switches;
	out->minor_faults = k->min_flt;
	out->major_faults = k->maj_flt;
	out->fault_ns = k->fault_ns;
	out->read_bytes = k->read_bytes;
	out->write_bytes = k->write_bytes;
	out->read_ops = k->read_ops;
	out->write_ops = k->write_ops;
	out->tx_bytes = k->tx_bytes;
	out->rx_bytes = k->rx_bytes;
	out->tx_calls = k->tx_calls;
	out->rx_calls = k->rx_calls;
	for (int d = 0; d < MT_RES_GPU_DIRS; d++) {
		out->gpu_bytes[d] = k->gpu_bytes[d];
		out->gpu_calls[d] = k->gpu_calls[d];
	}
	out->gpu_sync_ns = k->gpu_ns;
}

/* The sleep going on at the read, in the category it is counted under */
static void add_current_sleep(const struct mt_thread_res *k, uint64_t d, struct res_wall *w,
			      uint64_t *fault_sleep, uint64_t *gpu_sleep)
{
	switch (k->sleep_kind) {
	case MT_RES_SLEEP_GPU:
		*gpu_sleep += d;
		break;
	case MT_RES_SLEEP_FAULT:
		*fault_sleep += d;
		break;
	case MT_RES_SLEEP_NET:
		w->network_ns += d;
		break;
	case MT_RES_SLEEP_IO:
		w->io_ns += d;
		break;
	default:
		/* "other" is what is left of the wall time */
		break;
	}
}

void resources__thread(const struct thread_resources *r, bool exited,
		       const struct run_resources *run, struct res_profile *out)
{
	const struct mt_thread_res *k = &r->k;
	/* exited, but its last switch-out not seen yet: it ran until then, count to the read */
	bool done = exited && !k->oncpu_since;
	uint64_t end, fault_sleep = k->fault_sleep_ns, gpu_sleep = k->gpu_sleep_ns, gpu_ns = k->gpu_ns;
	uint64_t fault_ns, fault_cpu, gpu_cpu, on_cpu, runq, parts;
	struct res_wall *w = &out->wall;

	*out = (struct res_profile){ .known = r->seen };
	if (!r->seen) {
		resources__judge(out, run);
		return;
	}
	copy_counters(k, out);
	out->sockets = r->sockets;
	end = done ? k->last_ns : r->read_ns;
	w->wall_ns = sub_floor(end, k->first_ns);
	on_cpu = k->on_cpu_ns + since(k->oncpu_since, r->read_ns, done);
	runq = k->runq_ns + since(k->runq_since, r->read_ns, done);
	out->on_cpu_ns = on_cpu;
	out->runqueue_ns = runq;
	w->io_ns = k->io_sleep_ns;
	w->network_ns = k->net_sleep_ns;
	add_current_sleep(k, since(k->sleep_since, r->read_ns, done), w, &fault_sleep,
			  &gpu_sleep);
	/* a wait for the device still going on counts up to the read */
	gpu_ns += since(k->gpu_since, r->read_ns, done);
	out->blocked_ns = w->io_ns;
	/*
	 * A fault's time is on CPU, asleep (a major fault's read) or waiting to
	 * run: its own part. The handler's time misses the trap and a
	 * hypervisor's work, which show as CPU time: each fault counts at least
	 * what one costs here end to end.
	 */
	fault_ns = k->fault_ns;
	if (run && fault_ns < (k->min_flt + k->maj_flt) * run->fault_cost_ns)
		fault_ns = (k->min_flt + k->maj_flt) * run->fault_cost_ns;
	fault_cpu = sub_floor(fault_ns, fault_sleep + k->fault_runq_ns);
	w->fault_ns = fault_ns;
	/* the same for a GPU call that waits: spinning on a CPU, asleep, or runnable */
	gpu_cpu = sub_floor(gpu_ns, gpu_sleep + k->gpu_runq_ns);
	w->gpu_ns = gpu_ns;
	w->on_cpu_ns = sub_floor(on_cpu, fault_cpu + gpu_cpu);
	w->runnable_ns = sub_floor(runq, k->fault_runq_ns + k->gpu_runq_ns);
	/* sleeps outside the categories are "other": what is left of the wall time */
	parts = w->on_cpu_ns + w->runnable_ns + w->fault_ns + w->io_ns + w->network_ns +
		w->gpu_ns;
	w->other_ns = sub_floor(w->wall_ns, parts);
	if (parts > w->wall_ns)
		w->wall_ns = parts;
	resources__judge(out, run);
}

static void add_profile(struct res_profile *sum, const struct res_profile *t)
{
	sum->known |= t->known;
	sum->user_ns += t->user_ns;
	sum->system_ns += t->system_ns;
	sum->on_cpu_ns += t->on_cpu_ns;
	sum->runqueue_ns += t->runqueue_ns;
	sum->voluntary_switches += t->voluntary_switches;
	sum->involuntary_switches += t->involuntary_switches;
	sum->minor_faults += t->minor_faults;
	sum->major_faults += t->major_faults;
	sum->fault_ns += t->fault_ns;
	sum->read_bytes += t->read_bytes;
	sum->write_bytes += t->write_bytes;
	sum->read_ops += t->read_ops;
	sum->write_ops += t->write_ops;
	sum->blocked_ns += t->blocked_ns;
	sum->tx_bytes += t->tx_bytes;
	sum->rx_bytes += t->rx_bytes;
	sum->tx_calls += t->tx_calls;
	sum->rx_calls += t->rx_calls;
	for (int d = 0; d < MT_RES_GPU_DIRS; d++) {
		sum->gpu_bytes[d] += t->gpu_bytes[d];
		sum->gpu_calls[d] += t->gpu_calls[d];
	}
	sum->gpu_sync_ns += t->gpu_sync_ns;
	sum->wall.wall_ns += t->wall.wall_ns;
	sum->wall.on_cpu_ns += t->wall.on_cpu_ns;
	sum->wall.runnable_ns += t->wall.runnable_ns;
	sum->wall.fault_ns += t->wall.fault_ns;
	sum->wall.io_ns += t->wall.io_ns;
	sum->wall.network_ns += t->wall.network_ns;
	sum->wall.gpu_ns += t->wall.gpu_ns;
	sum->wall.other_ns += t->wall.other_ns;
}

void resources__process(const struct mt_process *p, const struct run_resources *run,
			struct res_profile *out)
{
	*out = (struct res_profile){};
	for (uint32_t i = 0; i < p->nr_threads; i++) {
		struct res_profile t;

		resources__thread(&p->threads[i].res, p->threads[i].exited || p->exited, run, &t);
		add_profile(out, &t);
	}
	resources__judge(out, run);
}

void resources__judge(struct res_profile *out, const struct run_resources *run)
{
	const struct res_wall *w = &out->wall;
	struct {
		enum res_verdict v;
		uint64_t ns;
	} parts[] = {
		/* waiting for a CPU is wanting more CPU: both are the CPU's */
		{ RES_VERDICT_CPU, w->on_cpu_ns + w->runnable_ns },
		{ RES_VERDICT_MEMORY, w->fault_ns },
		{ RES_VERDICT_IO, w->io_ns },
		{ RES_VERDICT_NETWORK, w->network_ns },
		{ RES_VERDICT_GPU, w->gpu_ns },
	};
	size_t best = 0;

	out->verdict = RES_VERDICT_UNKNOWN;
	out->share = 0;
	/* without the scheduler's counters no part of the wall time is known */
	if (!out->known || !run || !run->probes.on[MT_RES_SCHED] ||
	    w->wall_ns < RESOURCES_MIN_WALL_NS)
		return;
	for (size_t i = 1; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].ns > parts[best].ns)
			best = i;
	out->share = (double)parts[best].ns / (double)w->wall_ns;
	out->verdict = out->share >= RESOURCES_VERDICT_SHARE ? parts[best].v : RES_VERDICT_BALANCED;
}

const char *resources__verdict_name(enum res_verdict v)
{
	static const char *const names[] = {
		[RES_VERDICT_UNKNOWN] = "unknown", [RES_VERDICT_BALANCED] = "balanced",
		[RES_VERDICT_CPU] = "cpu",	   [RES_VERDICT_MEMORY] = "memory",
		[RES_VERDICT_IO] = "io",	   [RES_VERDICT_NETWORK] = "network",
		[RES_VERDICT_GPU] = "gpu",
	};

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

double resources__on_cpu_share(const struct res_profile *p)
{
	return p->wall.wall_ns ? (double)p->on_cpu_ns / (double)p->wall.wall_ns : 0;
}
