// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "attach/scope.h"
#include "attach/target_check.h"
#include "ingest/process_probes.h"
#include "ingest/targets.h"
#include "symbolize/symbolizer.h"
#include "util/mono_clock.h"
#include "util/text_escape.h"

int targets__check(struct session *s)
{
	const struct mt_config *cfg = s->cfg;
	char shown[PATH_MAX];
	int err;

	/* a target's own trouble first: nothing else said about it can be right before it */
	for (int i = 0; i < cfg->nr_pids; i++) {
		err = target_check__pid(cfg->pids[i]);
		if (err)
			return err;
	}
	if (!cfg->cgroup)
		return 0;
	s->cgroup_fd = scope__open_cgroup(cfg->cgroup);
	if (s->cgroup_fd < 0) {
		fprintf(stderr, "memtrace: --cgroup %s: %s\n",
			text_escape(cfg->cgroup, shown, sizeof(shown)),
			s->cgroup_fd == -EMEDIUMTYPE ? "not a cgroup v2 directory"
						     : strerror(-s->cgroup_fd));
		return s->cgroup_fd;
	}
	return 0;
}

static bool has_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static int watch_target(struct session *s, pid_t pid, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = s->nr_targets + 1 };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, pidfd, &ev))
		return -errno;
	s->targets[s->nr_targets++] = (struct target){ .pid = pid, .pidfd = pidfd };
	return 0;
}

/*
 * A file deleted under the process (a library upgraded while it runs) is
 * only reached through its /proc directory: its names are read while it
 * lives, for a report after its exit.
 */
static void read_deleted_modules(struct session *s, const struct mt_process *p)
{
	char proc_dir[32];
	bool any = false;

	for (size_t i = 0; i < p->maps.n && !any; i++)
		any = proc_map__deleted(&p->maps.maps[i]);
	if (!any || (!s->sym && !(s->sym = symbolizer__new())))
		return;
	snprintf(proc_dir, sizeof(proc_dir), "/proc/%u", p->pid);
	symbolizer__read_deleted(s->sym, &p->maps, proc_dir);
}

static int attach_pid(struct session *s, pid_t pid)
{
	struct proc_maps maps = {};
	struct prober_found found = {};
	struct probe_target t;
	struct mt_process *p;
	int pidfd, err;

	/* target_check__pid() said what is wrong with it; this is what changed since */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		err = -errno;
		fprintf(stderr, "memtrace: cannot attach to PID %d: %s\n", pid,
			err == -ESRCH ? "no such process" : strerror(-err));
		return err;
	}
	p = tracker__add_process(&s->tracker, pid);
	if (!p) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* no maps at all: a kernel thread, or the process is gone */
	err = proc_maps__read(pid, &maps);
	if (err && has_exited(pidfd))
		goto exited;
	t = process_probes__target(p);
	err = prober__attach_pid(s->prober, &t, &maps, &found);
	if (err == -ESRCH)
		goto exited;
	if (err)
		goto cleanup;
	if (has_exited(pidfd))
		goto exited;
	prober__describe(s->prober, pid, &found);
	p->maps = maps;
	p->maps_gen++;
	maps = (struct proc_maps){};
	err = process_probes__keep_libc(p, &found.libc);
	if (err)
		goto cleanup;
	prober__process(s->prober, &t, &p->maps);
	read_deleted_modules(s, p);
	err = watch_target(s, pid, pidfd);
	if (!err)
		pidfd = -1;
	goto cleanup;
exited:
	err = -ESRCH;
	fprintf(stderr, "memtrace: PID %d exited during attach\n", pid);
cleanup:
	prober_found__release(&found);
	proc_maps__release(&maps);
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

int targets__attach_pids(struct session *s)
{
	for (int i = 0; i < s->cfg->nr_pids; i++) {
		struct mt_process *p;
		int err = attach_pid(s, s->cfg->pids[i]);

		if (err)
			return err;
		p = tracker__process(&s->tracker, s->cfg->pids[i]);
		err = prober__steps(s->prober, (pid_t)p->pid, &p->maps, &p->step_probe_attached);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A process that joined while tracing (fork, exec, -a's first sight): its
 * maps, its probes (prober.h). -EAGAIN: an exec-ed image whose mappings
 * have not come yet.
 */
static int probe_joined(struct session *s, struct mt_process *p)
{
	struct probe_target t = process_probes__target(p);
	struct libc_image libc;
	int err;

	/* the mapping records keep its maps; /proc only when they have said nothing yet */
	if (!p->maps.n && (!p->awaiting_exec_maps || !s->mmaps))
		process__refresh_maps(p);
	if (p->exited)
		return 0;
	if (!p->maps.n)
		return -EAGAIN;
	err = prober__joined(s->prober, &t, &p->maps, p->forked, &libc);
	if (!err)
		err = process_probes__keep_libc(p, &libc);
	libc_locate__release(&libc);
	if (err && !s->tracker.err)
		s->tracker.err = -ENOMEM;
	read_deleted_modules(s, p);
	return 0;
}

/* Joined processes: those whose maps are still to come are looked at again, a while. */
void targets__probe_fresh(struct session *s)
{
	struct pid_list again = {};
	uint32_t n;
	const uint32_t *pids = tracker__take_fresh(&s->tracker, &n);

	for (uint32_t i = 0; i < n; i++) {
		struct mt_process *p = tracker__process(&s->tracker, pids[i]);

		if (p && probe_joined(s, p) == -EAGAIN && prober__try_again(s->prober, (pid_t)p->pid))
			pid_list__add(&again, (pid_t)p->pid);
	}
	/* the list above is the tracker's own: added to only now */
	for (size_t i = 0; i < again.n; i++)
		tracker__joined_again(&s->tracker, (uint32_t)again.pids[i]);
	pid_list__release(&again);
}

/* --cgroup, --comm: a process there at the start joins like a -p target, quietly if it cannot. */
static void join_process(struct session *s, pid_t pid)
{
	struct mt_process *p;

	if (bpf_loader__add_target(s->bpf, pid))
		return;
	p = tracker__add_process(&s->tracker, pid);
	if (p)
		probe_joined(s, p);
}

static int attach_scope(struct session *s)
{
	const struct mt_config *cfg = s->cfg;
	struct pid_list pids = {};
	char shown[PATH_MAX];
	int err;

	if (cfg->cgroup)
		err = scope__cgroup_pids(cfg->cgroup, &pids);
	else
		err = scope__named_pids(cfg->comm, &pids);
	if (err) {
		fprintf(stderr, "memtrace: cannot list the processes of %s: %s\n",
			text_escape(cfg->cgroup ? cfg->cgroup : "/proc", shown, sizeof(shown)),
			strerror(-err));
		return err;
	}
	for (size_t i = 0; i < pids.n; i++) {
		if (pids.pids[i] == getpid())
			continue;
		/* -a: each process is made at its first call */
		if (cfg->all)
			prober__every_libc(s->prober, pids.pids[i]);
		else
			join_process(s, pids.pids[i]);
	}
	pid_list__release(&pids);
	return 0;
}

int targets__join_scope(struct session *s)
{
	if (!s->cfg->all && !s->cfg->comm && !s->cfg->cgroup)
		return 0;
	/* ahead of whoever joins later: most processes map the libc memtrace maps */
	prober__every_libc(s->prober, getpid());
	return attach_scope(s);
}

void targets__announce(const struct session *s)
{
	const struct mt_config *cfg = s->cfg;
	char shown[PATH_MAX], comm[COMM_LEN * TEXT_ESCAPE_RATIO];

	for (int i = 0; i < cfg->nr_pids; i++)
		fprintf(stderr, "memtrace: tracing PID %d (%s)\n", cfg->pids[i],
			text_escape(tracker__process(&s->tracker, cfg->pids[i])->comm, comm,
				    sizeof(comm)));
	if (cfg->all)
		fprintf(stderr, "memtrace: tracing every process\n");
	else if (cfg->cgroup || cfg->comm)
		fprintf(stderr, "memtrace: tracing %u processes of %s%s\n",
			tracker__nr_running(&s->tracker), cfg->cgroup ? "" : "name ",
			text_escape(cfg->cgroup ? cfg->cgroup : cfg->comm, shown, sizeof(shown)));
}

/* At CMD's startup stop: its record, and its probes in before it runs on (launcher.h). */
static int on_launched(void *ctx, struct launched *child, struct proc_maps *maps)
{
	struct session *s = ctx;

	return process_probes__launched(&s->tracker, s->prober, child, maps);
}

int targets__launch(struct session *s)
{
	int pidfd, err;

	err = launcher__start(s->cfg, s->bpf, s->prober, on_launched, s, &s->child);
	if (err)
		return err;
	pidfd = pidfd_open(s->child.pid, 0);
	if (pidfd < 0)
		return -errno;
	err = watch_target(s, s->child.pid, pidfd);
	if (err)
		close(pidfd);
	return err;
}


void targets__mark_exited(struct session *s, struct target *t)
{
	struct mt_process *p = tracker__process(&s->tracker, t->pid);

	t->exited = true;
	if (p)
		p->exited = true;
	if (t->pid == s->child.pid && !s->child_reaped &&
	    waitpid(t->pid, &s->child_status, WNOHANG) == t->pid)
		s->child_reaped = true;
}

/*
 * -a, --cgroup and --comm trace what comes until told to stop; otherwise
 * tracing ends with the targets, and with -f with every process they made.
 */
bool targets__all_exited(const struct session *s)
{
	if (s->cfg->all || s->cfg->cgroup || s->cfg->comm)
		return false;
	for (int i = 0; i < s->nr_targets; i++)
		if (!s->targets[i].exited)
			return false;
	return !s->cfg->follow || !tracker__nr_running(&s->tracker);
}


void targets__mark_gone(struct session *s)
{
	for (int i = 0; i < s->nr_targets; i++)
		if (!s->targets[i].exited && has_exited(s->targets[i].pidfd))
			targets__mark_exited(s, &s->targets[i]);
}

/* --step-probe: the live processes still without it, whose module may be mapped by now. */
int targets__retry_steps(struct session *s)
{
	for (uint32_t i = 0; i < s->tracker.nr_procs; i++) {
		struct mt_process *p = s->tracker.procs[i];
		int err;

		if (p->step_probe_attached || p->exited)
			continue;
		err = prober__retry_steps(s->prober, (pid_t)p->pid, &p->step_probe_attached);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A process whose exit record was lost (ring buffer full) would be running
 * for ever: one gone from /proc, or another process under its PID, ended
 * at the start of a drain has had all its records by its end.
 */
int targets__end_vanished(struct session *s)
{
	struct tracker *t = &s->tracker;
	struct pid_list gone = {};
	uint64_t start;
	int err = 0;

	for (uint32_t i = 0; i < t->nr_procs && !err; i++) {
		const struct mt_process *p = t->procs[i];

		if (!p->exited && (process__read_start_time(p->pid, &start) || start != p->start_time))
			err = pid_list__add(&gone, (pid_t)p->pid);
	}
	if (!err && gone.n && ring_buffer__consume(s->rb) < 0)
		err = t->err;
	for (size_t i = 0; i < gone.n && !err; i++)
		tracker__end_vanished(t, (uint32_t)gone.pids[i], mono_clock__ns());
	pid_list__release(&gone);
	return err;
}

/* Launch mode: CMD should not outlive memtrace's SIGTERM, nor miss a kill -INT. */
void targets__forward_signal(const struct session *s, int sig)
{
	if (s->child.pid <= 0 || s->child_reaped)
		return;
	/* a terminal's Ctrl-C already reached CMD: it shares our process group */
	if (sig == SIGINT && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		return;
	kill(s->child.pid, sig);
}
