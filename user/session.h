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

#include "bpf_loader.h"
#include "config.h"
#include "launcher.h"
#include "run_summary.h"
#include "tracker.h"

struct ring_buffer;

struct target {
	pid_t pid;
	int pidfd;
	bool exited;
};

struct session {
	const struct mt_config *cfg;
	struct bpf_loader *bpf;
	struct ring_buffer *rb;
	struct tracker tracker;
	struct target targets[MAX_PIDS];
	int nr_targets;
	struct launched child;	/* launch mode; pid -1 otherwise */
	int child_status;	/* wait status, valid once child_reaped */
	bool child_reaped;
	int epfd;
	struct timespec started_at;
	uint64_t start_ns, end_ns;
};

/* Every failure has printed its one-line message. */
int session__start(struct session *s, const struct mt_config *cfg);
/* Consumes records until a signal sets *stop, --duration passes or every target exits. */
int session__run(struct session *s, volatile sig_atomic_t *stop);
/* Stops recording, drains what is left and fills in the summary. */
int session__finish(struct session *s, struct run_summary *out);
/* Removes every probe: a launched CMD that still runs goes on untraced. */
void session__detach(struct session *s);
/* Launch mode: waits for CMD and returns its exit status (128+N for signal N). */
int session__child_exit_status(struct session *s);
void session__release(struct session *s);

#endif /* MEMTRACE_SESSION_H */
