// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "account/fault_cost.h"
#include "account/growth_sampler.h"
#include "attach/ringbuf_check.h"
#include "attach/step_probe.h"
#include "ingest/mmap_watch.h"
#include "ingest/process_probes.h"
#include "ingest/resource_poll.h"
#include "ingest/session.h"
#include "ingest/targets.h"
#include "symbolize/symbolizer.h"
#include "util/mono_clock.h"

/* The kernel wakes the consumer only past a watermark; poll at least this often. */
#define POLL_INTERVAL_MS 100
/* epoll ids: 0 is the ring buffer, 1..nr_targets the targets' pidfds */
#define EPOLL_ID_MMAPS 0x10000
#define EPOLL_ID_INPUT 0x10001
/* -f, --cgroup, --comm, -a: how often to look for processes gone without an exit record */
#define SWEEP_INTERVAL_NS 1000000000ULL
/* Mapping records of a PID not known yet wait this long for its fork or exec record */
#define UNCLAIMED_NS 2000000000ULL

/* Tracing time counts from here, once the probes are in: attaching can take a while. */
static void start_clock(struct session *s)
{
	clock_gettime(CLOCK_REALTIME, &s->started_at);
	s->start_ns = mono_clock__ns();
	s->tracker.timeline_origin_ns = s->start_ns;
	s->last_tick_ns = s->start_ns;
	if (s->cfg->interval_ns)
		s->next_tick_ns = s->start_ns + s->cfg->interval_ns;
	if (s->cfg->export_interval_ns)
		s->next_export_ns = s->start_ns + s->cfg->export_interval_ns;
}

static int setup_consumer(struct session *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
	int err;

	s->dispatch = (struct dispatch){ .tracker = &s->tracker };
	s->rb = ring_buffer__new(bpf_loader__events_fd(s->bpf), dispatch__record, &s->dispatch,
				 NULL);
	if (!s->rb)
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	/* libbpf's own epoll set nests into ours, beside the targets' pidfds */
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev)) {
		err = -errno;
		return err;
	}
	return 0;
}

/* Without the watch, names come from /proc alone: lost for what a process maps just before exit. */
static void watch_mmaps(struct session *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EPOLL_ID_MMAPS };
	int err = mmap_watch__open(&s->mmaps, 0);

	if (!err && epoll_ctl(s->epfd, EPOLL_CTL_ADD, mmap_watch__fd(s->mmaps), &ev))
		err = -errno;
	if (!err)
		return;
	if (s->cfg->verbose)
		fprintf(stderr, "memtrace: cannot watch new mappings (%s): names from /proc only\n",
			strerror(-err));
	mmap_watch__free(s->mmaps);
	s->mmaps = NULL;
}

/*
 * The kernel's records keep a process's maps whole after /proc/PID/maps is
 * gone: an ended process still takes them, as they may come after its exit
 * record. Its PID names another process once that one's fork or exec
 * record came.
 */
static int on_mmap_record(void *ctx, const struct mmap_watch_event *e)
{
	struct session *s = ctx;
	struct mt_process *p = tracker__latest(&s->tracker, e->pid);
	bool ours = p && !p->exited;
	struct probe_target t;

	/* a process the kernel has just made traced: its fork or exec record is on its way */
	if (!p && config__scope(s->cfg) != MT_SCOPE_PIDS &&
	    (e->kind == MMAP_WATCH_MAP || e->kind == MMAP_WATCH_EXEC)) {
		if (e->kind == MMAP_WATCH_MAP)
			prober__mapping(s->prober, e->pid, NULL, &e->map);
		return mmap_stash__add(&s->unclaimed, e);
	}
	switch (e->kind) {
	case MMAP_WATCH_MAP:
		/* a dlopen-ed libc, allocator, GPU library or libjvm (prober.h) */
		if (ours)
			t = process_probes__target(p);
		if (prober__mapping(s->prober, e->pid, ours ? &t : NULL, &e->map) &&
		    !s->tracker.err)
			s->tracker.err = -ENOMEM;
		/* an exited process still takes the mappings it made before its exit */
		return p ? process__add_map(process__map_owner(p), &e->map) : 0;
	case MMAP_WATCH_EXEC:
		return p ? process__begin_exec_maps(p, e->time_ns) : 0;
	case MMAP_WATCH_LOST:
		tracker__mappings_lost(&s->tracker);
		return 0;
	default:
		return 0;
	}
}

/*
 * A process a record made: the mapping records that came before it are its
 * own. A forked child holds its parent's call sites (caller_table.h) from
 * now, while its parent still does: it may outlive the parent.
 */
static void claim_mappings(void *ctx, struct mt_process *p)
{
	struct session *s = ctx;

	if (p->forked &&
	    caller_table__copy(bpf_loader__callers(s->bpf), (pid_t)p->ppid, (pid_t)p->pid) &&
	    !s->tracker.err)
		s->tracker.err = -ENOMEM;
	if (mmap_stash__take(&s->unclaimed, p->pid, on_mmap_record, s) && !s->tracker.err)
		s->tracker.err = -ENOMEM;
}

/* A process's record ended (exit, exec): its call sites go; its PID's next image starts afresh. */
static void drop_callers(void *ctx, struct mt_process *p)
{
	struct session *s = ctx;

	caller_table__drop(bpf_loader__callers(s->bpf), (pid_t)p->pid);
	prober__forget(s->prober, (pid_t)p->pid, p->end == PROCESS_EXITED);
}

/* Before the ring buffer: a stack may be in a mapping only a record knows yet. */
static int drain_mmaps(struct session *s)
{
	int err;

	if (!s->mmaps)
		return 0;
	err = mmap_watch__drain(s->mmaps, on_mmap_record, s);
	if (err)
		fprintf(stderr, "memtrace: cannot follow the targets' mappings: %s\n",
			strerror(-err));
	return err;
}

/* Mapping records up to now, in before a fork, exec or exit record is handled. */
static void drain_before_lifecycle(void *ctx)
{
	struct session *s = ctx;

	if (drain_mmaps(s) && !s->tracker.err)
		s->tracker.err = -EIO;
}

/* The resource probes the kernel has, said with -v; the others' counters are null. */
static int attach_resources(struct session *s)
{
	static const char *const groups[MT_RES_GROUPS] = {
		[MT_RES_SCHED] = "scheduler", [MT_RES_FAULT] = "page faults",
		[MT_RES_BLOCK] = "block IO", [MT_RES_NET] = "sockets", [MT_RES_GPU] = "GPU call",
	};
	struct run_resources *res = &s->tracker.res;
	int err;

	res->enabled = !s->cfg->no_resources;
	res->pmu_why_not = res->enabled ? resource_poll__pmu_why_not() : "--no-resources";
	err = bpf_loader__attach_resources(s->bpf, &res->probes);
	if (err || !res->enabled)
		return err;
	if (res->probes.on[MT_RES_FAULT] && fault_cost__measure(&res->fault_cost_ns))
		res->fault_cost_ns = 0;
	for (int i = 0; i < MT_RES_GROUPS; i++)
		if (!res->probes.on[i])
			fprintf(stderr, "memtrace: no %s counters: %s\n", groups[i],
				res->probes.why_not[i]);
	return 0;
}

/* The kernel's per-thread counters, into the threads (every second, and for each summary) */
static int read_resources(struct session *s, uint64_t now)
{
	int err;

	if (!s->tracker.res.enabled)
		return 0;
	s->next_res_ns = now + RESOURCE_POLL_INTERVAL_NS;
	s->tracker.res.threads_lost = bpf_loader__res_threads_lost(s->bpf);
	err = resource_poll__read(&s->tracker, bpf_loader__resources_fd(s->bpf),
				  bpf_loader__thread_socks_fd(s->bpf), now);
	if (err)
		fprintf(stderr, "memtrace: cannot read the threads' resource counters: %s\n",
			strerror(-err));
	return err;
}

int session__start(struct session *s, const struct mt_config *cfg)
{
	struct bpf_loader_opts opts = {
		.ringbuf_bytes = cfg->ringbuf_bytes,
		.verbose = cfg->verbose,
		.scope = config__scope(cfg),
		/* a cgroup's new processes are its processes' children, mostly */
		.follow = cfg->follow || cfg->cgroup,
		.cgroup_fd = -1,
		.comm = cfg->comm,
		.resources = !cfg->no_resources,
	};
	int err;

	*s = (struct session){ .cfg = cfg, .epfd = -1, .cgroup_fd = -1, .child = { .pid = -1 } };
	err = targets__check(s);
	if (err)
		return err;
	opts.cgroup_fd = s->cgroup_fd;
	err = ringbuf_check__size(cfg->ringbuf_bytes);
	if (err)
		return err;
	err = stack_choice__resolve(cfg, &s->stacks);
	if (err)
		return err;
	opts.stack_mode = s->stacks.mode;
	opts.sample_bytes = s->stacks.sample_bytes;
	err = tracker__init(&s->tracker);
	if (err)
		goto fail;
	s->tracker.create_on_sight = cfg->all;
	s->tracker.on_new_process = claim_mappings;
	s->tracker.before_lifecycle = drain_before_lifecycle;
	s->tracker.on_end = drop_callers;
	s->tracker.hooks_ctx = s;
	s->tracker.max_exited = cfg->max_exited;
	s->tracker.live_cap.max = cfg->max_live;
	s->tracker.leak_age_ns = cfg->leak_age_ns;
	s->tracker.python_mode = cfg->python_mode;
	/* without stacks, sampling picks nothing: no block stands for another */
	s->tracker.sample_bytes = s->stacks.mode == MT_STACK_NONE ? 0 : s->stacks.sample_bytes;
	err = bpf_loader__open(&opts, &s->bpf);
	if (err) {
		fprintf(stderr, "memtrace: cannot load the BPF programs: %s\n", strerror(-err));
		return err;
	}
	err = prober__new(s->bpf, cfg, s->stacks.mode, &s->prober) ?: setup_consumer(s);
	if (!err)
		err = bpf_loader__attach_lifecycle(s->bpf);
	if (!err && !cfg->no_mappings)
		err = bpf_loader__attach_mmap(s->bpf);
	if (!err)
		err = attach_resources(s);
	if (err)
		goto fail;
	/* before any target: no mapping of theirs goes unseen */
	watch_mmaps(s);
	s->tracker.maps_followed = s->mmaps != NULL;
	if (cfg->command) {
		err = targets__launch(s);
		if (err)
			return err;
		stack_choice__say(&s->stacks);
		start_clock(s);
		return 0;
	}
	err = targets__attach_pids(s) ?: targets__join_scope(s);
	if (err)
		return err;
	stack_choice__say(&s->stacks);
	bpf_loader__set_recording(s->bpf, true);
	start_clock(s);
	/* only now: whoever waits for these lines may start what they want traced */
	targets__announce(s);
	return 0;
fail:
	fprintf(stderr, "memtrace: cannot set up tracing: %s\n", strerror(-err));
	return err;
}

/*
 * The run so far, as of now: sample_growth takes a growth sample (an
 * --interval tick, or the end of a run with intervals).
 */
static int summarize(struct session *s, uint64_t now, bool sample_growth, struct run_summary *out)
{
	const struct mt_config *cfg = s->cfg;
	struct growth_sampler_opts growth = {
		.sample = sample_growth,
		.t = (now - s->start_ns) / 1e9,
		.growth = { .intervals = cfg->growth_intervals, .steps = cfg->step_probe != NULL },
	};
	struct leaks_opts leaks = { .now_ns = now, .min_age_ns = cfg->leak_age_ns,
				    .sample_bytes = s->tracker.sample_bytes };
	int err;

	*out = (struct run_summary){
		.tracker = &s->tracker,
		.started_at = s->started_at,
		.duration_s = (now - s->start_ns) / 1e9,
		.now_ns = now,
		.command = cfg->command,
		.stack_mode = s->stacks.mode,
		.sample_bytes = s->stacks.sample_bytes,
		.unwind = prober__unwind(s->prober),
		.start_ns = s->start_ns,
		.leak_age_ns = cfg->leak_age_ns,
		.interval_ns = cfg->interval_ns,
	};
	err = read_resources(s, now);
	if (err)
		return err;
	err = bpf_loader__read_drops(s->bpf, out->drops);
	if (err) {
		fprintf(stderr, "memtrace: cannot read the drop counters: %s\n", strerror(-err));
		return err;
	}
	dispatch__read_drops(&s->dispatch, out->drops);
	if (!s->sym && !(s->sym = symbolizer__new()))
		return -ENOMEM;
	out->sym = s->sym;
	if (sample_growth)
		s->last_tick_ns = now;
	err = leaks__collect(&s->tracker, &leaks, &out->leaks);
	if (!err)
		err = growth_sampler__run(&s->tracker, &growth, &out->leaks);
	/* before leaks__keep: a young live site is no freed site either */
	if (!err)
		err = leaks__collect_freed(&s->tracker, &leaks, &out->leaks, &out->freed);
	if (err) {
		run_summary__release(out);
		return err;
	}
	leaks__keep(&out->leaks, cfg->max_sites);
	leaks__keep_freed(&out->freed, cfg->max_sites);
	return 0;
}

/*
 * An --interval report, when one is due. Ticks keep to their grid unless
 * one is over half an interval late (a stalled memtrace): then the grid
 * starts again, since a sample soon after a late one would see a short
 * interval, with too little time to grow in.
 */
static int report_interval(struct session *s, session_report_fn on_interval, void *ctx)
{
	uint64_t now = mono_clock__ns(), interval_ns = s->cfg->interval_ns;
	struct run_summary sum;
	int err;

	if (!s->next_tick_ns || now < s->next_tick_ns)
		return 0;
	if (now - s->next_tick_ns > interval_ns / 2)
		s->next_tick_ns = now + interval_ns;
	else
		s->next_tick_ns += interval_ns;
	err = summarize(s, now, true, &sum);
	if (err)
		return err;
	sum.interval = ++s->ticks;
	err = on_interval(&sum, ctx);
	run_summary__release(&sum);
	return err;
}

/*
 * Without --interval, an export (--prometheus) when one is due: exports
 * keep no grid, as no growth is judged by them.
 */
static int export_interval(struct session *s, const struct session_reports *r)
{
	uint64_t now = mono_clock__ns();
	struct run_summary sum;
	int err;

	if (!s->next_export_ns || now < s->next_export_ns || !r->on_export)
		return 0;
	s->next_export_ns = now + s->cfg->export_interval_ns;
	err = summarize(s, now, false, &sum);
	if (err)
		return err;
	err = r->on_export(&sum, r->ctx);
	run_summary__release(&sum);
	return err;
}

int session__summarize_now(struct session *s, struct run_summary *out)
{
	return summarize(s, mono_clock__ns(), false, out);
}

int session__snapshot_now(struct session *s, struct run_summary *out)
{
	int err = summarize(s, mono_clock__ns(), false, out);

	if (!err)
		out->interval = ++s->ticks;
	return err;
}

/*
 * memtrace top's frame, when one is due: on the refresh grid, unless it fell
 * behind. A signal number from on_refresh (-n frames shown) ends tracing.
 */
static int refresh(struct session *s, const struct session_reports *r, volatile sig_atomic_t *stop)
{
	uint64_t now = mono_clock__ns();
	struct run_summary sum;
	int err;

	if (!s->next_refresh_ns || now < s->next_refresh_ns)
		return 0;
	s->next_refresh_ns += r->refresh_ns;
	if (s->next_refresh_ns <= now)
		s->next_refresh_ns = now + r->refresh_ns;
	err = summarize(s, now, false, &sum);
	if (err)
		return err;
	err = r->on_refresh(&sum, r->ctx);
	run_summary__release(&sum);
	if (err > 0) {
		*stop = err;
		err = 0;
	}
	return err;
}

/* memtrace top's keys: the terminal joins the ring buffer in the epoll set. */
static int watch_input(struct session *s, const struct session_reports *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EPOLL_ID_INPUT };

	if (r->on_refresh && r->refresh_ns)
		s->next_refresh_ns = s->start_ns + r->refresh_ns;
	if (!r->on_input)
		return 0;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, r->input_fd, &ev))
		return -errno;
	return 0;
}

/* Keys pressed: a signal number from on_input ends tracing as that signal would. */
static int take_input(const struct session_reports *r, const struct epoll_event *evs, int n,
		      volatile sig_atomic_t *stop)
{
	int ret;

	for (int i = 0; i < n; i++) {
		if (evs[i].data.u32 != EPOLL_ID_INPUT)
			continue;
		ret = r->on_input(r->ctx);
		if (ret < 0)
			return ret;
		if (ret > 0)
			*stop = ret;
	}
	return 0;
}

/* Waits at most until the next poll, --interval tick, export or refresh. */
static int wait_ms(const struct session *s)
{
	uint64_t now = mono_clock__ns(), next = s->next_tick_ns;

	if (s->next_export_ns && (!next || s->next_export_ns < next))
		next = s->next_export_ns;
	if (s->next_refresh_ns && (!next || s->next_refresh_ns < next))
		next = s->next_refresh_ns;
	if (next && next < now + POLL_INTERVAL_MS * 1000000ULL)
		return next > now ? (int)((next - now + 999999) / 1000000) : 0;
	return POLL_INTERVAL_MS;
}

int session__run(struct session *s, volatile sig_atomic_t *stop, const struct session_reports *r)
{
	uint64_t deadline = s->cfg->duration_s > 0
				    ? s->start_ns + (uint64_t)(s->cfg->duration_s * 1e9)
				    : UINT64_MAX;
	struct epoll_event evs[8];
	int n, err;

	err = watch_input(s, r);
	if (err)
		return err;
	while (!*stop && !targets__all_exited(s) && mono_clock__ns() < deadline) {
		n = epoll_wait(s->epfd, evs, 8, wait_ms(s));
		if (n < 0 && errno != EINTR)
			return -errno;
		err = drain_mmaps(s);
		if (err)
			return err;
		err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR)
			break;
		targets__probe_fresh(s);
		/* a process's fork or exec record follows its mappings within a drain or two */
		mmap_stash__expire(&s->unclaimed, mono_clock__ns() - UNCLAIMED_NS);
		if (config__scope(s->cfg) != MT_SCOPE_PIDS && mono_clock__ns() >= s->next_sweep_ns) {
			s->next_sweep_ns = mono_clock__ns() + SWEEP_INTERVAL_NS;
			err = targets__end_vanished(s);
			if (err)
				return err;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 && evs[i].data.u32 < EPOLL_ID_MMAPS)
				targets__mark_exited(s, &s->targets[evs[i].data.u32 - 1]);
		if (s->cfg->step_probe && mono_clock__ns() >= s->next_step_retry_ns) {
			s->next_step_retry_ns = mono_clock__ns() + STEP_PROBE_RETRY_NS;
			err = targets__retry_steps(s);
			if (err)
				return err;
		}
		err = report_interval(s, r->on_interval, r->ctx);
		if (!err)
			err = export_interval(s, r);
		if (!err && r->on_refresh)
			err = refresh(s, r, stop);
		if (!err && r->on_input)
			err = take_input(r, evs, n, stop);
		/* after them: a summary they made read the counters just now, and put this off */
		if (!err && mono_clock__ns() >= s->next_res_ns)
			err = read_resources(s, mono_clock__ns());
		if (err)
			return err;
	}
	if (*stop)
		targets__forward_signal(s, *stop);
	if (s->tracker.err) {
		fprintf(stderr, "memtrace: stopped consuming events: %s\n",
			strerror(-s->tracker.err));
		return s->tracker.err;
	}
	return 0;
}

int session__finish(struct session *s, struct run_summary *out)
{
	uint64_t interval_ns = s->cfg->interval_ns;
	int err;

	s->end_ns = mono_clock__ns();
	/* whatever the targets did before this point is in the ring buffer; nothing after */
	bpf_loader__set_recording(s->bpf, false);
	err = drain_mmaps(s);
	if (err)
		return err;
	while ((err = ring_buffer__consume(s->rb)) > 0)
		;
	targets__mark_gone(s);
	/* a last interval under half the others would read as a stall: judge by the ticks */
	return summarize(s, s->end_ns, interval_ns && s->end_ns - s->last_tick_ns >= interval_ns / 2,
			 out);
}

void session__detach(struct session *s)
{
	if (s->bpf)
		bpf_loader__detach_all(s->bpf);
}

int session__child_exit_status(struct session *s, volatile sig_atomic_t *give_up)
{
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	int status;

	if (s->child.pid <= 0)
		return 0;
	for (int i = 0; i < s->nr_targets; i++)
		if (s->targets[i].pid == s->child.pid)
			pfd.fd = s->targets[i].pidfd;
	/* poll, not waitpid: a signal ends it whatever SA_RESTART says */
	while (!s->child_reaped && !*give_up) {
		if (pfd.fd >= 0 && poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return 1;
		if (waitpid(s->child.pid, &s->child_status, pfd.fd >= 0 ? WNOHANG : 0) ==
		    s->child.pid)
			s->child_reaped = true;
		else if (errno != EINTR && pfd.fd < 0)
			return 1;
	}
	if (!s->child_reaped)
		return 128 + *give_up;
	status = s->child_status;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

void session__release(struct session *s)
{
	symbolizer__free(s->sym);
	ring_buffer__free(s->rb);
	mmap_watch__free(s->mmaps);
	mmap_stash__release(&s->unclaimed);
	prober__free(s->prober);
	bpf_loader__free(s->bpf);
	for (int i = 0; i < s->nr_targets; i++)
		close(s->targets[i].pidfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	tracker__release(&s->tracker);
	launcher__release(&s->child);
}
