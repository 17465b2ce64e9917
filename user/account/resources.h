/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Each traced thread's resource profile: what the kernel counted for it
 * (bpf/resources.bpf.h), as last read (ingest/resource_poll.c, every
 * second and at the end), and what follows from it: where its wall time
 * went and its bottleneck.
 *
 * A live view (memtrace top), once a second on the tracing thread:
 *   tracker.res.enabled        false with --no-resources: show no columns
 *   tracker.res.probes.on[g]   which groups ran (enum mt_res_group); the others' figures are 0
 *   for each process p, each thread i of p:
 *     resources__thread(&p->threads[i].res, p->threads[i].exited || p->exited,
 *                       &tracker.res, &prof)   the thread's profile as of the last read
 *     resources__process(p, &tracker.res, &prof) its threads summed, with its own verdict
 *   p->sockets, p->rss_bytes   the process's sockets and resident bytes at the last read
 * Rates (CPU %, faults/s, IO and network bytes/s) are the difference of two profiles
 * over the difference of their threads' res.read_ns. Counters only grow, but for a
 * thread id used again by a new thread: its counters start from 0.
 */
#ifndef MEMTRACE_RESOURCES_H_USER
#define MEMTRACE_RESOURCES_H_USER

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/resources.h>

#include "attach/res_probes.h"

struct mt_process;

/*
 * A process's sockets over IP, as /proc showed them at the last read while
 * it ran; a thread's: those of them it moved data on (its connections).
 */
struct process_sockets {
	bool known;		/* read at least once */
	uint32_t tcp, udp;	/* TCP sockets listening or connected, bound UDP sockets */
};

/* Kept with each thread (mt_thread.res). */
struct thread_resources {
	bool seen;		/* the kernel had an entry for it at a read */
	bool final;		/* read after its exit: its entry goes from the map at the next read */
	uint64_t read_ns;	/* CLOCK_MONOTONIC of that read */
	struct mt_thread_res k;	/* the kernel's counters then */
	struct process_sockets sockets;	/* as of its last read while it ran */
};

/* The run's resource probes, for the snapshot's header and the live view (tracker.res). */
struct run_resources {
	bool enabled;			/* not --no-resources */
	struct res_probes probes;	/* which groups run */
	uint64_t threads_lost;		/* threads the kernel's map had no room for */
	uint64_t fault_cost_ns;		/* a fault end to end here (account/fault_cost.h), 0: unknown */
	const char *pmu_why_not;	/* why no PMU counters: NULL when there is a PMU */
};

/* Below this wall time a thread's verdict is "unknown": too short to say. */
#define RESOURCES_MIN_WALL_NS (20 * 1000000ULL)
/* A category with at least this share of the wall time is the bottleneck. */
#define RESOURCES_VERDICT_SHARE 0.5

enum res_verdict {
	RES_VERDICT_UNKNOWN,
	RES_VERDICT_BALANCED,
	RES_VERDICT_CPU,
	RES_VERDICT_MEMORY,
	RES_VERDICT_IO,
	RES_VERDICT_NETWORK,
	RES_VERDICT_GPU,
};

/* Where the wall time went: the parts add up to wall_ns. */
struct res_wall {
	uint64_t wall_ns;
	uint64_t on_cpu_ns;	/* on CPU, outside page faults */
	uint64_t runnable_ns;	/* runnable, waiting for a CPU, outside faults */
	uint64_t fault_ns;	/* in page faults, on CPU or not: at least faults x fault_cost_ns */
	uint64_t io_ns;		/* asleep on block IO */
	uint64_t network_ns;	/* asleep in a socket send or receive */
	uint64_t gpu_ns;	/* in GPU calls that wait for the device, on a CPU or not */
	uint64_t other_ns;	/* asleep on anything else */
};

/* A thread's or a process's profile, as the snapshot writes it. */
struct res_profile {
	bool known;			/* the kernel had counters for it */
	uint64_t user_ns, system_ns, on_cpu_ns, runqueue_ns;
	uint64_t voluntary_switches, involuntary_switches;
	uint64_t minor_faults, major_faults, fault_ns;
	uint64_t read_bytes, write_bytes, read_ops, write_ops, blocked_ns;
	uint64_t tx_bytes, rx_bytes, tx_calls, rx_calls;
	struct process_sockets sockets;	/* a thread's; a process's are its own (mt_process) */
	uint64_t gpu_bytes[MT_RES_GPU_DIRS], gpu_calls[MT_RES_GPU_DIRS];
	uint64_t gpu_sync_ns;		/* in GPU calls that wait for the device */
	struct res_wall wall;
	enum res_verdict verdict;
	double share;			/* the deciding category's share of wall_ns */
};

/* A thread's profile as of its last read; exited: its life ends at its last switch-out. */
void resources__thread(const struct thread_resources *r, bool exited,
		       const struct run_resources *run, struct res_profile *out);
/* The process's: its threads' summed, with the verdict of the sums. */
void resources__process(const struct mt_process *p, const struct run_resources *run,
			struct res_profile *out);
/* Sets verdict and share from out->wall (the rules in README.md, "Snapshot"). */
void resources__judge(struct res_profile *out, const struct run_resources *run);
const char *resources__verdict_name(enum res_verdict v);
/* on_cpu_ns over wall_ns: 0 with no wall time. */
double resources__on_cpu_share(const struct res_profile *p);

#endif /* MEMTRACE_RESOURCES_H_USER */
