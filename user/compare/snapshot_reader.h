/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads memtrace.snapshot.v1 files back (memtrace diff, check, merge),
 * with jansson: the fields diff and check need, defaults for optional
 * ones, a clear error (file, line, column, what) for anything else.
 */
#ifndef MEMTRACE_SNAPSHOT_READER_H
#define MEMTRACE_SNAPSHOT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/counters.h"

/*
 * --max-input's default, and the most it takes: jansson's tree of a
 * snapshot takes several times its size, so the bound is one on memory too.
 */
#define SNAPSHOT_MAX_INPUT_DEFAULT (2ULL << 30)
#define SNAPSHOT_MAX_INPUT_LIMIT   (1024ULL << 30)

/* --max-input=SIZE for diff, check and merge: -EINVAL unless 1 to SNAPSHOT_MAX_INPUT_LIMIT */
int snapshot_reader__parse_max_input(const char *arg, uint64_t *out);
#define SNAPSHOT_MAX_INPUT_USAGE "invalid --max-input '%s': bytes, with K, M or G, from 1 to 1024G"

struct snap_frame {
	char *symbol;		/* NULL when unknown; readable for C++ */
	char *module;		/* NULL when unknown */
	char *file;		/* NULL when unknown */
	uint32_t line;		/* 0 when unknown */
	bool inlined;
	/*
	 * A C++ function's mangled name, NULL for other frames. A snapshot
	 * written before the field existed has the mangled name in symbol: the
	 * reader moves it here and demangles symbol, so frames of either age
	 * compare and show alike.
	 */
	char *linkage_name;
	/* "kind": "python": symbol is the qualified name, file the script's; no module */
	bool python;
	/* the address in module's ELF address space (pprof's locations); 0 when unknown */
	uint64_t module_offset;
};

struct snap_leak {
	uint32_t pid;
	char *allocator;	/* "libc" when absent */
	uint64_t bytes;
	uint64_t count;
	bool growing;
	bool has_growth;	/* growth_bytes_per_s was a number */
	double growth_bytes_per_s;
	/*
	 * Since tracing began: allocations, their bytes, frees, theirs. Snapshots
	 * written before sites had them: has_totals false, the four 0.
	 */
	bool has_totals;
	uint64_t allocs, allocated_bytes, frees, freed_bytes;
	bool has_tid;		/* one thread allocated every block of the site: */
	uint32_t tid;
	char *thread_comm;	/* ... its name; NULL when unknown */
	struct snap_frame *frames; /* leaf first */
	size_t nr_frames;
	size_t process;		/* index into snapshot.procs of its pid, or SIZE_MAX */
};

/* One series of a timeline: a value per point (snap_timeline.t_s). */
struct snap_series {
	char *name;		/* the allocator or GPU kind it is by */
	uint64_t *v;
};

struct snap_event {
	double t_s;
	char *type;		/* "start", "end", "gc", "oom", "step", or a newer type as read */
	char *by;		/* start: "exec", "fork", "seen"; end: "exec", "exit"; else NULL */
	double duration_s;	/* gc */
	int64_t generation;	/* gc; -1 when absent */
	uint64_t size;		/* oom: the failed request */
	char *kind;		/* oom: the GPU kind; else NULL */
	uint64_t gpu_live_bytes; /* oom */
};

/* processes[].timeline: memory over time (README, "Memory over time"). */
struct snap_timeline {
	bool present;
	double resolution_s;
	size_t nr_points;
	double *t_s;		/* each point's start, seconds after tracing began */
	struct snap_series *host; /* host live bytes by allocator */
	size_t nr_host;
	struct snap_series *gpu; /* GPU live bytes by kind */
	size_t nr_gpu;
	uint64_t *host_peak;	/* the series below are NULL when absent */
	uint64_t *gpu_peak;
	uint64_t *anon;
	uint64_t *brk;
	struct snap_event *events; /* in time order */
	size_t nr_events;
	uint64_t gc_omitted, oom_omitted, step_omitted; /* events_omitted */
};

/* threads[].resources, processes[].resources: what the pages show of a resource profile */
struct snap_resources {
	bool present;		/* an object: not --no-resources, not an older snapshot */
	char *verdict;		/* bottleneck.verdict; NULL when absent */
	double share;		/* bottleneck.share */
	uint64_t on_cpu_ns, runqueue_ns;			/* cpu */
	uint64_t minor_faults, major_faults, fault_ns;		/* memory */
	uint64_t read_bytes, write_bytes, blocked_ns;		/* io */
	uint64_t tx_bytes, rx_bytes;				/* network */
	uint64_t gpu_bytes;	/* gpu: copied in every direction */
	uint64_t gpu_sync_ns;	/* gpu.sync_ns */
	uint64_t wall_ns;	/* wall.wall_ns */
};

struct snap_thread {
	uint32_t tid;
	char *comm;		/* "" when absent */
	bool exited;
	struct mt_counters c;
	struct snap_resources res;
};

struct snap_process {
	uint32_t pid;
	char *comm;		/* "" when absent */
	char *exe;		/* NULL when absent */
	bool exited;
	struct mt_counters c;
	char *source;		/* merged snapshots: which file/host it came from; else NULL */
	struct snap_thread *threads;
	size_t nr_threads;
	struct snap_timeline timeline;
	struct snap_resources res;	/* its threads' summed */
};

/* leaks[].lifetimes: blocks freed after, and live at, an age up to le_ns */
struct snap_lifetime {
	uint64_t le_ns;
	uint64_t freed;
	uint64_t live;
};

/* A leak's times and totals, by the leak's index (snapshot_details.h); each optional. */
struct snap_leak_detail {
	bool has_first_seen, has_oldest_age, has_growth_per_step;
	double first_seen_s;
	double oldest_age_s;
	double growth_bytes_per_step;
	struct snap_lifetime *lifetimes;
	size_t nr_lifetimes;
};

/* The run's GPU memory by kind (gpu.kinds), in the snapshot's order. */
struct snap_gpu_kind {
	char *name;
	struct mt_counters c;
};

/* A module the sites' frames name, with its GNU build id (hex; NULL when none). */
struct snap_module {
	char *path;
	char *build_id;
};

struct snapshot {
	char *path;		/* as given to the reader */
	char *host;		/* NULL when absent */
	unsigned int schema_minor; /* v1.N; 0 for plain "memtrace.snapshot.v1" */
	double duration_s;
	uint64_t lost_events;
	struct mt_counters totals;
	struct snap_process *procs;
	size_t nr_procs;
	struct snap_leak *leaks;
	size_t nr_leaks;
	/* sites that allocated, nothing live: bytes and count 0 (none in older snapshots) */
	struct snap_leak *freed_sites;
	size_t nr_freed_sites;
	struct snap_module *modules;	/* none in older snapshots */
	size_t nr_modules;
	/* snapshot_details.h: NULL, 0 and false when absent */
	char *started_at;
	char **command;
	size_t nr_command;
	struct snap_gpu_kind *gpu_kinds;
	size_t nr_gpu_kinds;
	uint64_t gpu_oom_events;
	struct snap_leak_detail *leak_details; /* nr_leaks of them, or NULL */
};

/*
 * Reads path. On failure returns -EINVAL (not JSON, wrong types, missing
 * required fields), -EPROTONOSUPPORT (another schema, or a newer major
 * version), -EOVERFLOW (the leaks' bytes or counts add up past 2^63-1:
 * every sum diff and check make must stay exact), -EFBIG (past
 * SNAPSHOT_MAX_INPUT_DEFAULT bytes) or -errno (cannot read), and writes a
 * one-line reason to err:
 * "snap.json:12:5: ..." for a syntax error, "snap.json: totals.peak_bytes:
 * expected a non-negative integer, found -3" for a value (jansson keeps no
 * positions after parsing). On failure *out is left empty; release is safe.
 */
int snapshot_reader__load(const char *path, struct snapshot *out, char *err, size_t err_len);
/* The same, refusing a file of more than max bytes (snapshot_reader__read_file). */
int snapshot_reader__load_max(const char *path, uint64_t max, struct snapshot *out, char *err,
			      size_t err_len);
/*
 * The whole of path, of any kind (a pipe: diff <(ssh host cat snap.json)),
 * into *text (malloc-ed; *len bytes, then a NUL), never more than max bytes:
 * a regular file larger than that is refused by its size, before a byte is
 * read; any other file once it has given more than max. -EFBIG then, or
 * -errno, with a one-line reason in err: "big.json: 3221225472 bytes, more
 * than --max-input (2147483648 bytes)".
 */
int snapshot_reader__read_file(const char *path, uint64_t max, char **text, size_t *len,
			       char *err, size_t err_len);
/* The same from memory; name stands for the file in messages. */
int snapshot_reader__parse(const char *text, size_t len, const char *name, struct snapshot *out,
			   char *err, size_t err_len);
void snapshot_reader__release(struct snapshot *s);

#endif /* MEMTRACE_SNAPSHOT_READER_H */
