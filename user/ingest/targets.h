/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a session traces, and how each comes in: -p targets attached, CMD
 * launched, the processes of --cgroup, --comm or -a there at the start,
 * and those that join while tracing (fork, exec, -a's first sight), each
 * handed to the prober (attach/prober.h); then the targets' ends, seen
 * through their pidfds.
 */
#ifndef MEMTRACE_TARGETS_H
#define MEMTRACE_TARGETS_H

#include <stdbool.h>

#include "ingest/session.h"

/*
 * Before anything else is said: each -p target's own trouble (target_check.h),
 * --cgroup's directory opened (s->cgroup_fd). Every failure has printed its line.
 */
int targets__check(struct session *s);
/* -p: each target attached, --step-probe too. Every failure has printed its line. */
int targets__attach_pids(struct session *s);
/* -a, --cgroup, --comm: the processes there now (nothing to do otherwise). */
int targets__join_scope(struct session *s);
/* Launch mode: CMD started, held at its startup stop until its probes are in. */
int targets__launch(struct session *s);
/* The lines that say tracing has begun, and of whom. */
void targets__announce(const struct session *s);
/* The processes records made since the last call, probed: again a while if their maps lag. */
void targets__probe_fresh(struct session *s);
/* --step-probe: tried again for each live process still without it. */
int targets__retry_steps(struct session *s);
/* A target's pidfd said it exited. */
void targets__mark_exited(struct session *s, struct target *t);
/* Every target whose pidfd says so now, marked exited. */
void targets__mark_gone(struct session *s);
/*
 * Processes gone from /proc (or another under their PID) whose exit
 * record was lost: ended, once the ring buffer has given their last.
 */
int targets__end_vanished(struct session *s);
/* Launch mode: memtrace's SIGTERM or kill -INT passed on to CMD. */
void targets__forward_signal(const struct session *s, int sig);
/* Whether tracing is over because the targets are (never with -a, --cgroup, --comm). */
bool targets__all_exited(const struct session *s);

#endif /* MEMTRACE_TARGETS_H */
