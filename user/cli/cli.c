// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "attach/step_probe.h"
#include "output/snapshot_files.h"
#include "render/folded.h"
#include "util/config.h"
#include "util/units.h"

const char *argp_program_version = "memtrace " MEMTRACE_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"memtrace -- trace the host (libc) and GPU (CUDA, HIP) memory of processes with eBPF.\n"
	"\n"
	"USAGE: memtrace [OPTION...] -p PID [-p PID...] [-f]\n"
	"       memtrace [OPTION...] [-f] -- CMD [ARGS...]\n"
	"       memtrace [OPTION...] -a | --cgroup PATH | --comm NAME\n"
	"       memtrace diff|check|merge ...   compare snapshots, fail CI jobs on\n"
	"                                       limits (memtrace diff --help)\n"
	"       memtrace top [OPTION...] ...    the same tracing, watched live\n"
	"                                       (memtrace top --help)\n"
	"\n"
	"Tracing ends on Ctrl-C or SIGTERM, after --duration, or when every target\n"
	"has exited; then the report is printed and the snapshot written. In launch\n"
	"mode memtrace exits with CMD's exit status.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo memtrace -p 1234                 # trace a running process until Ctrl-C\n"
	"  sudo memtrace -p 1234 -d 60 -o s.json # one minute, snapshot to s.json\n"
	"  sudo memtrace -- ./train --epochs 1   # trace from the first instruction\n"
	"  sudo memtrace -f -p 1234              # and every process it starts\n"
	"  sudo memtrace --cgroup /sys/fs/cgroup/system.slice/job.service -d 5m\n"
	"  sudo memtrace -a -d 30s               # every process on the machine\n"
	"  sudo memtrace -o s.json -- ./a.out    # snapshot to s.json, report too\n"
	"  sudo memtrace -p 1234 --interval 1m -o trail/ # a report and a snapshot\n"
	"                                        # (trail/snap-NNNN.json) every minute\n"
	"  sudo memtrace --interval 10s --step-probe ./train:train_step -- ./train\n"
	"                                        # growth per training step too\n"
	"\v"
	"Sizes are requested bytes. The JSON snapshot schema is memtrace.snapshot.v1\n"
	"(README.md, \"Snapshot\").";

enum {
	OPT_JSON = 0x100,
	OPT_TOP,
	OPT_RINGBUF,
	OPT_AT_ENTRY,
	OPT_PRELOAD,
	OPT_NO_GPU,
	OPT_STACK,
	OPT_SAMPLE_BYTES,
	OPT_INTERVAL,
	OPT_LEAK_AGE,
	OPT_GROWTH_INTERVALS,
	OPT_STEP_PROBE,
	OPT_MAX_SITES,
	OPT_KEEP,
	OPT_COMM,
	OPT_CGROUP,
	OPT_NO_MAPPINGS,
	OPT_NO_RESOURCES,
	OPT_MAX_EXITED,
	OPT_MAX_UNWIND_MIB,
	OPT_MAX_LIVE,
	OPT_USER,
	OPT_PYTHON,
	OPT_PROMETHEUS,
	OPT_PROMETHEUS_JOB,
	OPT_PPROF,
	OPT_FOLDED,
	OPT_FOLDED_VALUE,
	OPT_TRACE,
	OPT_REFRESH,
	OPT_BATCH,
	OPT_HTML,
};

/* --prometheus without --interval: node_exporter is scraped every 15 s or so by default */
#define PROMETHEUS_DEFAULT_INTERVAL_NS 10000000000ULL

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Trace this running process (repeatable)", 0 },
	{ "follow", 'f', NULL, 0,
	  "Trace the new processes of the targets too (fork, vfork, clone, posix_spawn), from "
	  "their first instruction, and across exec", 0 },
	{ "all", 'a', NULL, 0, "Trace every process on the machine that maps a probed library", 0 },
	{ "comm", OPT_COMM, "NAME", 0,
	  "Trace the processes named NAME, and those that exec under that name later", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Trace the processes of a cgroup v2 directory (a container, a systemd or slurm job) and "
	  "of its descendants, now and as they start", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop tracing after this long (s, m, h suffixes)", 0 },
	{ "output", 'o', "FILE", 0,
	  "Write the JSON snapshot to FILE; with %t in its name, a numbered trail of them; "
	  "to a directory (DIR/), DIR/snap-NNNN.json", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print the JSON snapshot on stdout instead of the report", 0 },
	{ "prometheus", OPT_PROMETHEUS, "DIR", 0,
	  "Write DIR/memtrace.prom for node_exporter's textfile collector at every --interval "
	  "(every 10 s without one) and at the end, replaced whole each time", 0 },
	{ "prometheus-job", OPT_PROMETHEUS_JOB, "NAME", 0,
	  "The job label of --prometheus's series (default memtrace)", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "At the end, write the final snapshot's leak and freed sites to FILE as a gzipped "
	  "pprof profile", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "At the end, write the final snapshot's sites to FILE as folded stacks", 0 },
	{ "html", OPT_HTML, "FILE", 0,
	  "At the end, write the final snapshot to FILE as a self-contained HTML report", 0 },
	{ "folded-value", OPT_FOLDED_VALUE, "VALUE", 0,
	  "--folded's values: bytes (live bytes, the default), blocks (live blocks), "
	  "allocated (bytes allocated) or count (allocations)", 0 },
	{ "trace", OPT_TRACE, "FILE", 0,
	  "At the end, write the final snapshot's memory over time to FILE as Chrome Trace Event "
	  "JSON, for Perfetto and chrome://tracing", 0 },
	{ "top", OPT_TOP, "N", 0, "Stack sites shown in the text report (default 10)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "MIB", 0, "Ring buffer size in MiB, a power of two up to 2048 (default 16)",
	  0 },
	{ "verbose", 'v', NULL, 0, "Say what is attached where; libbpf debug output", 0 },
	{ "stack", OPT_STACK, "MODE", 0,
	  "Call stacks: auto (default: kernel-dwarf where the kernel has bpf_loop, 5.17+; else "
	  "fp if the program has frame pointers, else dwarf), kernel-dwarf (CFI unwinding in "
	  "the kernel from tables, every allocation), dwarf (stack copies unwound in user "
	  "space, sampled), fp (frame pointers) or none", 0 },
	{ "python", OPT_PYTHON, "MODE", 0,
	  "Python frames in the stacks of CPython processes: mixed (default: in place of the "
	  "interpreter's own frames, with C extensions and the allocating C code), only (the "
	  "allocating C code, then Python frames only) or off (native frames only)", 0 },
	{ "max-unwind-mib", OPT_MAX_UNWIND_MIB, "MIB", 0,
	  "Kernel memory for kernel-dwarf's unwind tables (default 256; 0: none); a module "
	  "that does not fit is walked by frame pointers, and named", 0 },
	{ "sample-bytes", OPT_SAMPLE_BYTES, "BYTES", 0,
	  "One stack per BYTES allocated on average (K, M, G suffixes; 0: every allocation); "
	  "every call is still counted. Default: 0, or 512K when stacks are dwarf", 0 },
	{ "interval", OPT_INTERVAL, "DURATION", 0,
	  "Report, and with -o write a snapshot, every DURATION (at least 0.1 s)", 0 },
	{ "leak-age", OPT_LEAK_AGE, "DURATION", 0,
	  "Only blocks at least this old are leak candidates (default 0: all live blocks)", 0 },
	{ "growth-intervals", OPT_GROWTH_INTERVALS, "N", 0,
	  "A site whose live bytes reach a new high N intervals in a row is growing (default 3)",
	  0 },
	{ "step-probe", OPT_STEP_PROBE, "BINARY:SYMBOL", 0,
	  "Count a training step at each call of SYMBOL in BINARY (a path, or a mapped module "
	  "such as libtorch.so): growth per step", 0 },
	{ "max-sites", OPT_MAX_SITES, "N", 0,
	  "Leak sites in a snapshot (default 2000; 0: all); the rest are counted in "
	  "leaks_omitted", 0 },
	{ "max-exited", OPT_MAX_EXITED, "N", 0,
	  "Records of exited processes kept whole (default 1000; 0: all); older ones are summed "
	  "up in the snapshot's \"folded\" totals, their leak sites dropped", 0 },
	{ "max-live", OPT_MAX_LIVE, "N", 0,
	  "Live blocks kept, over every process (default 0: all; each costs 32 bytes); past it "
	  "allocations are counted but their blocks untracked (the snapshot's \"untracked\")", 0 },
	{ "keep", OPT_KEEP, "N", 0, "Numbered snapshots kept, the oldest deleted (default 10; 0: all)",
	  0 },
	{ "preload", OPT_PRELOAD, NULL, 0,
	  "Launch mode: count through memtrace's preload library, about half the cost per call; "
	  "misses calls to an allocator found with dlsym (README, \"Performance\")", 0 },
	{ "user", OPT_USER, "USER", 0,
	  "Launch mode: run CMD as USER (a name or a numeric uid; root keeps root). Default: "
	  "the user who ran sudo (SUDO_UID, SUDO_GID), with their groups and HOME", 0 },
	{ "no-gpu", OPT_NO_GPU, NULL, 0,
	  "Host memory only: probe no GPU library (CUDA driver and runtime, HIP)", 0 },
	{ "no-mappings", OPT_NO_MAPPINGS, NULL, 0,
	  "Trace no mmap, munmap, mremap or brk: their tracepoints cost every system call on the "
	  "machine ~0.1 us while memtrace runs (README, \"Mappings\")", 0 },
	{ "no-resources", OPT_NO_RESOURCES, NULL, 0,
	  "No per-thread resource profile (CPU, faults, IO, network): its probes run at every "
	  "context switch, fault, bio and socket call on the machine (README, \"Snapshot\")", 0 },
	{ "probe-at-entry", OPT_AT_ENTRY, NULL, 0,
	  "Probe every function at its first instruction (slower; for comparison)", 0 },
	{},
};

/* Bounds past which a value is a mistake, not a wish (README, "Usage"). */
#define MAX_DURATION_S (365.0 * 24 * 3600)	/* "8760h": in ns it fits 64 bits with room */
#define MIN_DURATION_S 0.001
#define MIN_INTERVAL_S 0.1
/* the kernel's own limit: /proc/sys/kernel/pid_max is at most 4194304 (PID_MAX_LIMIT) */
#define MAX_PID 4194304
/* the gap to the next sample is at most 7.7 x this, times 2^16 (bpf/sample_gap.bpf.h): < 2^50 */
#define MAX_SAMPLE_BYTES (1ULL << 31)
/* 32 bytes each: 32 TiB of tables, far past any machine, far from any overflow */
#define MAX_LIVE (1ULL << 40)
/*
 * A BPF ring buffer's size is a u32 power of two (max_entries; page-aligned):
 * 2 GiB is the largest the kernel takes. 4096 MiB would be truncated to 0.
 */
#define MAX_RINGBUF_MIB 2048
/* 16 GiB of unwind tables: about 2 billion rows, far past any process's modules */
#define MAX_UNWIND_MIB 16384

static int parse_count(const char *s, long min, long max, long *out)
{
	uint64_t v;

	if (units__parse_count(s, (uint64_t)max, &v) || v < (uint64_t)min)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

/*
 * A duration kept in ns from here on: rounded to the nearest one, so that
 * the seconds a snapshot prints back are the ones given.
 */
static int parse_duration_ns(const char *s, double min_s, uint64_t *out)
{
	double v;

	if (units__parse_duration(s, MAX_DURATION_S, &v) || v < min_s)
		return -EINVAL;
	*out = (uint64_t)(v * 1e9 + 0.5);
	return 0;
}

/* Who CMD runs as, looked up now: a bad user is a usage error, before anything starts. */
static void resolve_user(struct argp_state *state, struct mt_config *cfg)
{
	char why[256];
	int err = run_as__resolve(cfg->user, &cfg->run_as, why, sizeof(why));

	if (err)
		argp_failure(state, err == -EINVAL ? EX_USAGE : 1, 0, "%s", why);
}

/* What to trace: -p, -a, --comm, --cgroup, -f, or CMD and who it runs as. */
static error_t parse_target(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v = 0;

	switch (key) {
	case 'p':
		if (cfg->nr_pids == MAX_PIDS)
			argp_error(state, "at most %d -p options", MAX_PIDS);
		if (parse_count(arg, 1, MAX_PID, &v))
			argp_error(state, "invalid PID '%s': a number from 1 to %d", arg, MAX_PID);
		cfg->pids[cfg->nr_pids++] = (pid_t)v;
		break;
	case 'f':
		cfg->follow = true;
		break;
	case 'a':
		cfg->all = true;
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			argp_error(state, "--comm must be a process name of 1 to 15 characters, got '%s'",
				   arg);
		cfg->comm = arg;
		break;
	case OPT_CGROUP:
		cfg->cgroup = arg;
		break;
	case OPT_PRELOAD:
		cfg->preload = true;
		break;
	case OPT_USER:
		cfg->user = arg;
		break;
	case ARGP_KEY_ARG:
		/* the first non-option starts CMD; the rest are its own arguments */
		cfg->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* When tracing stops and reports come, and what makes a site growing. */
static error_t parse_timing(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v = 0;

	switch (key) {
	case 'd':
		if (units__parse_duration(arg, MAX_DURATION_S, &cfg->duration_s) ||
		    cfg->duration_s < MIN_DURATION_S)
			argp_error(state, "invalid duration '%s': seconds, or with a suffix s, m or h, "
					  "from 1 ms to 8760h (a year)", arg);
		break;
	case OPT_INTERVAL:
		if (parse_duration_ns(arg, MIN_INTERVAL_S, &cfg->interval_ns))
			argp_error(state, "--interval must be a duration from 0.1 s to 8760h (a year), "
					  "got '%s'", arg);
		break;
	case OPT_LEAK_AGE:
		if (parse_duration_ns(arg, 0, &cfg->leak_age_ns))
			argp_error(state, "invalid --leak-age '%s': a duration from 0 to 8760h (a year)",
				   arg);
		break;
	case OPT_GROWTH_INTERVALS:
		if (parse_count(arg, 1, 1000, &v))
			argp_error(state, "--growth-intervals must be 1 to 1000, got '%s'", arg);
		cfg->growth_intervals = (unsigned int)v;
		break;
	case OPT_STEP_PROBE:
		if (step_probe__check(arg))
			argp_error(state, "--step-probe must be BINARY:SYMBOL, got '%s'", arg);
		cfg->step_probe = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* What the report and the snapshots hold, and where they go. */
static error_t parse_output(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v = 0;

	switch (key) {
	case 'o':
		if (snapshot_files__check(arg))
			argp_error(state, "-o: %%t may appear once, in the file name; got '%s'", arg);
		cfg->output = arg;
		break;
	case OPT_JSON:
		cfg->json = true;
		break;
	case OPT_PPROF:
		cfg->pprof = arg;
		break;
	case OPT_FOLDED:
		cfg->folded = arg;
		break;
	case OPT_TRACE:
		cfg->trace = arg;
		break;
	case OPT_HTML:
		cfg->html = arg;
		break;
	case OPT_FOLDED_VALUE: {
		enum folded_value value;

		if (folded__parse_value(arg, &value))
			argp_error(state, FOLDED_VALUE_USAGE, arg);
		cfg->folded_value = value;
		break;
	}
	case OPT_TOP:
		if (parse_count(arg, 0, 1000000, &v))
			argp_error(state, "invalid --top '%s': a number from 0 to 1000000", arg);
		cfg->top = (int)v;
		break;
	case OPT_MAX_SITES:
		if (parse_count(arg, 0, INT_MAX, &v))
			argp_error(state, "invalid --max-sites '%s': a number from 0 to %d", arg,
				   INT_MAX);
		cfg->max_sites = (unsigned int)v;
		break;
	case OPT_MAX_UNWIND_MIB:
		if (parse_count(arg, 0, MAX_UNWIND_MIB, &v))
			argp_error(state, "invalid --max-unwind-mib '%s': a number from 0 to %d", arg,
				   MAX_UNWIND_MIB);
		cfg->max_unwind_bytes = (uint64_t)v << 20;
		break;
	case OPT_MAX_EXITED:
		if (parse_count(arg, 0, INT_MAX, &v))
			argp_error(state, "invalid --max-exited '%s': a number from 0 to %d", arg,
				   INT_MAX);
		cfg->max_exited = (unsigned int)v;
		break;
	case OPT_MAX_LIVE:
		if (parse_count(arg, 0, (long)MAX_LIVE, &v))
			argp_error(state, "invalid --max-live '%s': a number of blocks from 0 to %llu",
				   arg, MAX_LIVE);
		cfg->max_live = (uint64_t)v;
		break;
	case OPT_PROMETHEUS:
		if (!*arg)
			argp_error(state, "--prometheus needs a directory");
		cfg->prometheus = arg;
		break;
	case OPT_PROMETHEUS_JOB:
		if (!*arg)
			argp_error(state, "--prometheus-job needs a name");
		cfg->prometheus_job = arg;
		break;
	case OPT_KEEP:
		if (parse_count(arg, 0, INT_MAX, &v))
			argp_error(state, "invalid --keep '%s': a number from 0 to %d", arg, INT_MAX);
		cfg->keep = (unsigned int)v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* How the probes collect: stacks, sampling, the ring buffer, what is probed. */
static error_t parse_probes(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v = 0;

	switch (key) {
	case OPT_RINGBUF:
		if (parse_count(arg, 1, MAX_RINGBUF_MIB, &v) || (v & (v - 1)))
			argp_error(state, "--ringbuf-size must be a power of two from 1 to %d (MiB), "
					  "got '%s'", MAX_RINGBUF_MIB, arg);
		cfg->ringbuf_bytes = (uint64_t)v << 20;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case OPT_AT_ENTRY:
		cfg->probes_at_entry = true;
		break;
	case OPT_NO_GPU:
		cfg->no_gpu = true;
		break;
	case OPT_NO_MAPPINGS:
		cfg->no_mappings = true;
		break;
	case OPT_NO_RESOURCES:
		cfg->no_resources = true;
		break;
	case OPT_STACK:
		cfg->stack_auto = !strcmp(arg, "auto");
		if (cfg->stack_auto || !strcmp(arg, "fp"))
			cfg->stack_mode = MT_STACK_FP;
		else if (!strcmp(arg, "dwarf"))
			cfg->stack_mode = MT_STACK_DWARF;
		else if (!strcmp(arg, "kernel-dwarf"))
			cfg->stack_mode = MT_STACK_KERNEL_DWARF;
		else if (!strcmp(arg, "none"))
			cfg->stack_mode = MT_STACK_NONE;
		else
			argp_error(state, "--stack must be auto, kernel-dwarf, dwarf, fp or none, got '%s'", arg);
		break;
	case OPT_PYTHON:
		if (!strcmp(arg, "mixed"))
			cfg->python_mode = MT_PYTHON_MIXED;
		else if (!strcmp(arg, "only"))
			cfg->python_mode = MT_PYTHON_ONLY;
		else if (!strcmp(arg, "off"))
			cfg->python_mode = MT_PYTHON_OFF;
		else
			argp_error(state, "--python must be mixed, only or off, got '%s'", arg);
		break;
	case OPT_SAMPLE_BYTES:
		if (units__parse_bytes(arg, MAX_SAMPLE_BYTES, &cfg->sample_bytes))
			argp_error(state, "invalid --sample-bytes '%s': bytes, with K, M or G, from 0 "
					  "to 2G", arg);
		cfg->sample_bytes_set = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Options that cannot go together, once all are read. */
static void check_combination(struct argp_state *state)
{
	struct mt_config *cfg = state->input;

	if (!cfg->nr_pids && !cfg->command && !cfg->all && !cfg->comm && !cfg->cgroup)
		argp_error(state, "nothing to trace: give -p PID, -- CMD, -a, --comm or --cgroup");
	if (cfg->nr_pids && cfg->command)
		argp_error(state, "-p and a command cannot be combined");
	if (cfg->all && (cfg->nr_pids || cfg->command || cfg->comm || cfg->cgroup))
		argp_error(state, "-a traces every process: no -p, --comm, --cgroup or CMD with it");
	if (cfg->command && (cfg->comm || cfg->cgroup))
		argp_error(state, "--comm and --cgroup cannot be combined with a command");
	if (cfg->preload && !cfg->command)
		argp_error(state, "--preload is for launch mode: -- CMD");
	if (cfg->preload && cfg->follow)
		argp_error(state, "--preload cannot follow new processes (-f): drop one");
	if (cfg->user && !cfg->command)
		argp_error(state, "--user is for launch mode: -- CMD");
	if (cfg->prometheus && !cfg->interval_ns)
		cfg->export_interval_ns = PROMETHEUS_DEFAULT_INTERVAL_NS;
	if (cfg->command)
		resolve_user(state, cfg);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	static error_t (*const parsers[])(int, char *, struct argp_state *) = {
		parse_target, parse_timing, parse_output, parse_probes,
	};
	error_t err = ARGP_ERR_UNKNOWN;

	if (key == ARGP_KEY_END) {
		check_combination(state);
		return 0;
	}
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]) && err == ARGP_ERR_UNKNOWN; i++)
		err = parsers[i](key, arg, state);
	return err;
}

enum mt_scope config__scope(const struct mt_config *cfg)
{
	if (cfg->all)
		return MT_SCOPE_ALL;
	if (cfg->follow || cfg->comm || cfg->cgroup)
		return MT_SCOPE_TARGETS;
	return MT_SCOPE_PIDS;
}

void config__release(struct mt_config *cfg)
{
	run_as__release(&cfg->run_as);
}

static const char top_doc[] =
	"memtrace top -- watch traced processes live: their threads, and the sites that hold "
	"and grow their memory.\n"
	"\n"
	"USAGE: memtrace top [OPTION...] -p PID [-p PID...] [-f]\n"
	"       memtrace top [OPTION...] [-f] -- CMD [ARGS...]\n"
	"       memtrace top [OPTION...] -a | --cgroup PATH | --comm NAME\n"
	"\n"
	"Full screen, refreshed every --refresh seconds, over the same tracing as memtrace "
	"itself: q (or Ctrl-C) ends tracing, then the report is printed and the snapshot "
	"written as a run without top does. Keys: p, t, S (or Tab) processes, threads, sites; "
	"< > sort column, r reverse; up/down, Enter expand a site; / filter by name; e ended "
	"processes and threads too; space pause; s snapshot now (-o). With --batch, plain text frames on stdout instead "
	"(README, \"memtrace top\"). CMD's stdin, stdout and stderr are /dev/null.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo memtrace top -p 1234             # watch a running process\n"
	"  sudo memtrace top -o s.json -- ./train # s writes s.json now, q at the end\n"
	"  sudo memtrace top --batch -n 5 -p 1234 # five text frames, a second apart"
	"\v"
	"Every tracing option of memtrace (memtrace --help) works here too.";

static const struct argp_option top_options[] = {
	{ "refresh", OPT_REFRESH, "SECONDS", 0,
	  "A new frame every SECONDS (s, m, h suffixes; default 1, at least 0.1)", 0 },
	{ "batch", OPT_BATCH, NULL, 0,
	  "No screen: a plain text frame on stdout at every refresh (README, \"memtrace top\")",
	  0 },
	{ "frames", 'n', "N", 0, "End tracing after N frames (as q does)", 0 },
	{},
};

/* memtrace top's own options; the tracing options are its child's (parse_opt). */
static error_t parse_top_opt(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v = 0;

	switch (key) {
	case ARGP_KEY_INIT:
		/* the tracing options fill in the same config */
		state->child_inputs[0] = cfg;
		cfg->top_mode = true;
		break;
	case OPT_REFRESH:
		if (parse_duration_ns(arg, MIN_INTERVAL_S, &cfg->top_refresh_ns))
			argp_error(state, "--refresh must be a duration from 0.1 s to 8760h (a year), "
					  "got '%s'", arg);
		break;
	case OPT_BATCH:
		cfg->top_batch = true;
		break;
	case 'n':
		if (parse_count(arg, 1, LONG_MAX, &v))
			argp_error(state, "invalid -n '%s': a number of frames from 1", arg);
		cfg->top_frames = (unsigned long)v;
		break;
	case ARGP_KEY_END:
		/* CMD's output would tear the screen or the frames apart */
		cfg->command_quiet = cfg->command != NULL;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cli__parse(int argc, char **argv, struct mt_config *cfg)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.doc = doc,
	};
	static const struct argp trace_child = {
		.options = options,
		.parser = parse_opt,
	};
	static const struct argp_child top_children[] = {
		{ &trace_child, 0, "Tracing options (as memtrace's):", 0 },
		{},
	};
	static const struct argp top_argp = {
		.options = top_options,
		.parser = parse_top_opt,
		.doc = top_doc,
		.children = top_children,
	};
	static char top_name[] = "memtrace top";
	bool top = argc > 1 && !strcmp(argv[1], "top");

	*cfg = (struct mt_config){
		.stack_mode = MT_STACK_FP,
		.stack_auto = true,
		.top = 10,
		.ringbuf_bytes = 16 << 20,
		.growth_intervals = 3,
		.max_sites = 2000,
		.keep = 10,
		.max_exited = 1000,
		.max_unwind_bytes = 256ULL << 20,
		.python_mode = MT_PYTHON_MIXED,
		.prometheus_job = "memtrace",
		.top_refresh_ns = 1000000000ULL,
	};
	/* argp names the program by argv[0]: "memtrace top: invalid -n ..." */
	if (top)
		argv[1] = top_name;
	/* in order, so options after CMD belong to CMD */
	if (argp_parse(top ? &top_argp : &argp, argc - top, argv + top, ARGP_IN_ORDER, NULL, cfg))
		return -EINVAL;
	return 0;
}
