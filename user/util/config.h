/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the command line asked for. Defaults live in cli.c. */
#ifndef MEMTRACE_CONFIG_H
#define MEMTRACE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "util/python_mode.h"
#include "util/run_as.h"

#define MAX_PIDS 64

struct mt_config {
	pid_t pids[MAX_PIDS];
	int nr_pids;
	char **command;		/* launch mode: argv of CMD, NULL-terminated */
	double duration_s;	/* 0: until Ctrl-C or every target has exited */
	const char *output;	/* -o FILE, PATTERN (with %t) or DIR/ */
	bool json;		/* snapshot on stdout instead of the text report */
	const char *pprof;	/* --pprof FILE: the final snapshot as a pprof profile */
	const char *folded;	/* --folded FILE: the final snapshot as folded stacks */
	const char *trace;	/* --trace FILE: the final snapshot's timelines as a Chrome trace */
	const char *html;	/* --html FILE: the final snapshot as an HTML report */
	unsigned int folded_value; /* --folded-value: render/folded.h's enum folded_value */
	int top;		/* stack sites in the text report */
	uint64_t ringbuf_bytes;
	bool verbose;
	bool probes_at_entry;	/* no probe placement past the prologue */
	bool preload;		/* launch mode: the preload library's one probe (preload.h) */
	const char *user;	/* --user: launch mode's CMD runs as this user; NULL: sudo's */
	struct run_as run_as;	/* launch mode: who CMD runs as, resolved at parse time */
	bool no_gpu;		/* --no-gpu: no GPU library is probed */
	bool no_mappings;	/* --no-mappings: mmap, munmap, mremap and brk are not traced */
	bool no_resources;	/* --no-resources: no per-thread resource probes (resources.bpf.h) */
	bool follow;		/* -f: the targets' new processes are traced too */
	bool all;		/* -a: every process that maps a probed library */
	const char *comm;	/* --comm: processes of this name, now and as they exec */
	const char *cgroup;	/* --cgroup: a cgroup v2 directory: its processes, now and new */
	enum mt_stack_mode stack_mode;
	bool stack_auto;	/* --stack=auto: by the kernel and the targets' code (stack_choice.h) */
	uint64_t max_unwind_bytes; /* --max-unwind-mib: kernel-dwarf's tables, at most */
	enum mt_python_mode python_mode; /* --python: OFF, and the kernel walks no Python frames */
	uint64_t sample_bytes;	/* one stack per this many bytes; 0: every allocation */
	bool sample_bytes_set;	/* --sample-bytes given (0 is a value too) */
	uint64_t interval_ns;	/* --interval: a report every this long; 0: only at the end */
	uint64_t leak_age_ns;	/* --leak-age: younger live blocks are not leak candidates */
	unsigned int growth_intervals; /* --growth-intervals: N new highs in a row is growing */
	const char *step_probe;	/* --step-probe BINARY:SYMBOL, or NULL */
	unsigned int max_sites;	/* --max-sites: leak sites in a snapshot, 0: all */
	unsigned int keep;	/* --keep: numbered snapshots kept, 0: all */
	unsigned int max_exited; /* --max-exited: ended process records kept whole, 0: all */
	uint64_t max_live;	/* --max-live: live blocks kept over every process, 0: all */
	const char *prometheus;	/* --prometheus DIR: DIR/memtrace.prom, or NULL */
	const char *prometheus_job; /* --prometheus-job: the job label */
	/* without --interval, --prometheus's file is written this often; 0: no such writes */
	uint64_t export_interval_ns;
	/* memtrace top (output/top_view.h): the live view instead of a report as tracing goes */
	bool top_mode;
	uint64_t top_refresh_ns;	/* --refresh: a new frame every this long */
	bool top_batch;			/* --batch: plain text frames on stdout, no terminal */
	unsigned long top_frames;	/* -n: frames before tracing ends; 0: no limit */
	/* launch mode: CMD's stdin, stdout and stderr are /dev/null (top owns the terminal) */
	bool command_quiet;
};

/*
 * Parses argv; on bad usage prints one line and returns -EINVAL. argv[1]
 * "top" parses memtrace top's command line: the tracing options and its own.
 */
int cli__parse(int argc, char **argv, struct mt_config *cfg);
void config__release(struct mt_config *cfg);
/* enum mt_scope for what cfg traces */
enum mt_scope config__scope(const struct mt_config *cfg);

#endif /* MEMTRACE_CONFIG_H */
