/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One tracing run: load the BPF side, attach to the targets (or launch
 * CMD), consume records until told to stop, then summarize.
 */
#ifndef MEMTRACE_SESSION_H
#define MEMTRACE_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "account/run_summary.h"
#include "account/tracker.h"
#include "attach/bpf_loader.h"
#include "attach/launcher.h"
#include "attach/prober.h"
#include "attach/stack_choice.h"
#include "ingest/dispatch.h"
#include "ingest/mmap_stash.h"
#include "util/config.h"

struct mmap_watch;
struct ring_buffer;

struct target {
	pid_t pid;
	int pidfd;
	bool exited;
};

struct session {
	const struct mt_config *cfg;
	struct stack_choice stacks;	/* --stack and --sample-bytes, resolved */
	struct bpf_loader *bpf;
	struct prober *prober;		/* which probes go where (prober.h) */
	struct ring_buffer *rb;
	struct mmap_watch *mmaps;	/* NULL when the system allows no watch */
	struct mmap_stash unclaimed;	/* mapping records of processes not known yet */
	struct tracker tracker;
	struct dispatch dispatch;	/* the ring buffer's records into the tracker */
	struct target targets[MAX_PIDS];
	int nr_targets;
	struct launched child;	/* launch mode; pid -1 otherwise */
	int child_status;	/* wait status, valid once child_reaped */
	bool child_reaped;
	int epfd;
	struct timespec started_at;
	uint64_t start_ns, end_ns;
	struct symbolizer *sym;		/* kept from one report to the next: ELF files stay open */
	uint64_t next_tick_ns;		/* --interval: when the next report is due; 0: never */
	uint64_t last_tick_ns;		/* the last growth sample (tracing's start at first) */
	unsigned long ticks;		/* interval reports made */
	uint64_t next_export_ns;	/* no --interval: the next export (--prometheus); 0: never */
	uint64_t next_step_retry_ns;	/* --step-probe: when to look for its module again */
	uint64_t next_sweep_ns;		/* when to look for processes gone unseen (end_vanished) */
	uint64_t next_res_ns;		/* when to read the resource counters next */
	int cgroup_fd;			/* --cgroup's directory, or -1 */
	uint64_t next_refresh_ns;	/* session_reports.on_refresh: the next one; 0: never */
};

/* Receives each --interval report; a negative errno stops tracing. */
typedef int (*session_report_fn)(const struct run_summary *sum, void *ctx);

struct session_reports {
	session_report_fn on_interval;	/* every --interval */
	/*
	 * Every export interval of a run without --interval (--prometheus): a
	 * summary as of now, with no growth sample taken, so that the growth
	 * verdicts stay those of the end.
	 */
	session_report_fn on_export;
	void *ctx;
	/*
	 * memtrace top: every refresh_ns (from the start), a summary as of now
	 * with no growth sample taken; NULL: none.
	 */
	session_report_fn on_refresh;
	uint64_t refresh_ns;
	/*
	 * memtrace top: called when input_fd (the terminal) is readable; NULL:
	 * input_fd is not watched. It returns a negative errno to stop with an
	 * error, a signal number to end tracing as that signal would, or 0.
	 */
	int (*on_input)(void *ctx);
	int input_fd;
};

/* Every failure has printed its one-line message. */
int session__start(struct session *s, const struct mt_config *cfg);
/*
 * Consumes records until a signal sets *stop, --duration passes or every
 * target exits; every --interval (or export interval), hands a summary of
 * the run so far to r's function (the summary is released after).
 */
int session__run(struct session *s, volatile sig_atomic_t *stop, const struct session_reports *r);
/*
 * The run so far, as of now, with no growth sample taken (what an export
 * sees): release its leaks with leaks__release. 0 or a negative errno.
 */
int session__summarize_now(struct session *s, struct run_summary *out);
/*
 * The same, numbered as the next --interval report (memtrace top's s key):
 * a snapshot of it is one of the trail, not the final one.
 */
int session__snapshot_now(struct session *s, struct run_summary *out);
/*
 * Stops recording, drains what is left and fills in the summary; release
 * its leaks with leaks__release (the symbolizer is the session's).
 */
int session__finish(struct session *s, struct run_summary *out);
/* Removes every probe: a launched CMD that still runs goes on untraced. */
void session__detach(struct session *s);
/*
 * Launch mode: waits for CMD and returns its exit status (128+N for signal
 * N); or, once *give_up is set (a signal's number), 128 + that.
 */
int session__child_exit_status(struct session *s, volatile sig_atomic_t *give_up);
void session__release(struct session *s);

#endif /* MEMTRACE_SESSION_H */
