// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "account/growth_sampler.h"
#include "attach/allocator_locate.h"
#include "attach/gc_probe.h"
#include "attach/gpu_attach.h"
#include "attach/libc_locate.h"
#include "attach/scope.h"
#include "attach/step_probe.h"
#include "attach/target_check.h"
#include "ingest/mmap_watch.h"
#include "ingest/session.h"
#include "symbolize/symbolizer.h"
#include "util/mono_clock.h"
#include "util/text_escape.h"

/* The kernel wakes the consumer only past a watermark; poll at least this often. */
#define POLL_INTERVAL_MS 100
/* epoll ids: 0 is the ring buffer, 1..nr_targets the targets' pidfds */
#define EPOLL_ID_MMAPS 0x10000
/* -f, --cgroup, --comm, -a: how often to look for processes gone without an exit record */
#define SWEEP_INTERVAL_NS 1000000000ULL
/* An exec-ed image's mappings come within a poll or two: look again this many times */
#define PROBE_TRIES 20
/* Mapping records of a PID not known yet wait this long for its fork or exec record */
#define UNCLAIMED_NS 2000000000ULL

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
	struct libc_image img = {};
	struct allocator_set allocs = {};
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO];
	struct mt_process *p;
	int pidfd, err, libc_err;

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
	libc_err = libc_locate__in_process(pid, &maps, p->exe, s->cfg->probes_at_entry, &img);
	err = allocator_locate__in_process(pid, &maps, p->exe, &allocs);
	if (err)
		goto cleanup;
	if (libc_err && !allocs.nr_images) {
		fprintf(stderr, "memtrace: no allocator found in PID %d (%s): nothing to probe; "
				"searched %s\n",
			pid, text_escape(p->comm, comm, sizeof(comm)), allocator_locate__searched());
		err = libc_err;
		goto cleanup;
	}
	allocator_locate__take_from_libc(&allocs, &img);
	err = bpf_loader__attach_libc(s->bpf, pid, &img);
	if (err == -EALREADY)
		err = 0;
	if (!err)
		err = bpf_loader__attach_allocators(s->bpf, pid, &allocs);
	if (!err)
		err = caller_table__add_process(bpf_loader__callers(s->bpf), pid, &maps, &allocs,
						img.path, s->cfg->verbose);
	if (err == -ESRCH)
		goto exited;
	if (err) {
		fprintf(stderr, "memtrace: cannot attach to the allocators of PID %d: %s\n", pid,
			strerror(-err));
		goto cleanup;
	}
	err = bpf_loader__add_target(s->bpf, pid);
	if (err)
		goto cleanup;
	if (has_exited(pidfd))
		goto exited;
	if (s->cfg->verbose) {
		libc_locate__describe(&img, pid, stderr);
		allocator_locate__describe(&allocs, pid, stderr);
	}
	p->maps = maps;
	p->maps_gen++;
	maps = (struct proc_maps){};
	p->libc = img;
	img = (struct libc_image){};
	p->allocators = allocs;
	allocs = (struct allocator_set){};
	if (!s->cfg->no_gpu)
		gpu_attach__process(s->bpf, p, &p->maps, s->cfg->verbose);
	gc_probe__process(s->bpf, p, &p->maps, s->cfg->verbose);
	read_deleted_modules(s, p);
	err = watch_target(s, pid, pidfd);
	if (!err)
		pidfd = -1;
	goto cleanup;
exited:
	err = -ESRCH;
	fprintf(stderr, "memtrace: PID %d exited during attach\n", pid);
cleanup:
	libc_locate__release(&img);
	allocator_locate__release(&allocs);
	proc_maps__release(&maps);
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

/* Whether the libc p maps is probed for it already (or, outside -p, for every process). */
static bool libc_probed(const struct session *s, const struct mt_process *p)
{
	pid_t key = bpf_loader__file_owner(s->bpf, (pid_t)p->pid);

	for (size_t i = 0; i < p->maps.n; i++) {
		const struct proc_map *m = &p->maps.maps[i];

		if (m->executable && m->path && libc_locate__is_libc(m->path))
			return bpf_loader__probed(s->bpf, key, makedev(m->dev_major, m->dev_minor),
						  m->inode, PROBED_LIBC);
	}
	return false;
}

/*
 * The libc and the other allocators of a process that joined, each file
 * probed once (for every process outside -p): an exec into another libc or
 * a static executable, a C++ program exec-ed by a Python one.
 */
static void probe_allocators(struct session *s, struct mt_process *p)
{
	struct allocator_set allocs = {};
	struct libc_image img = {};
	char shown[PATH_MAX];
	bool libc = !libc_probed(s, p) &&
		    !libc_locate__in_process(p->pid, &p->maps, p->exe, s->cfg->probes_at_entry, &img);
	int err;

	if (allocator_locate__in_process(p->pid, &p->maps, p->exe, &allocs))
		goto cleanup;
	if (libc) {
		allocator_locate__take_from_libc(&allocs, &img);
		err = bpf_loader__attach_libc(s->bpf, p->pid, &img);
		if (!err && s->cfg->verbose)
			libc_locate__describe(&img, p->pid, stderr);
		if (err && err != -EALREADY && err != -ENOENT)
			fprintf(stderr, "memtrace: cannot attach to %s in PID %u: %s\n",
				text_escape(img.path, shown, sizeof(shown)), p->pid, strerror(-err));
	}
	err = bpf_loader__attach_allocators(s->bpf, p->pid, &allocs);
	if (err && err != -ENOENT)
		fprintf(stderr, "memtrace: cannot attach to the allocators of PID %u: %s\n",
			p->pid, strerror(-err));
	if (caller_table__add_process(bpf_loader__callers(s->bpf), p->pid, &p->maps, &allocs,
				      libc ? img.path : p->libc.path, s->cfg->verbose) &&
	    !s->tracker.err)
		s->tracker.err = -ENOMEM;
	if (libc) {
		libc_locate__release(&p->libc);
		p->libc = img;
		img = (struct libc_image){};
	}
	allocator_locate__release(&p->allocators);
	p->allocators = allocs;
	allocs = (struct allocator_set){};
cleanup:
	libc_locate__release(&img);
	allocator_locate__release(&allocs);
}

/*
 * A process that joined while tracing (fork, exec, -a's first sight): its
 * maps, its allocators probed where no probe covers them yet (a forked
 * child's are its parent's, probed for every process), its runtime's GC
 * and its GPU libraries probed. -EAGAIN: an exec-ed image whose mappings
 * have not come yet.
 */
static int probe_joined(struct session *s, struct mt_process *p)
{
	/* the mapping records keep its maps; /proc only when they have said nothing yet */
	if (!p->maps.n && (!p->awaiting_exec_maps || !s->mmaps))
		process__refresh_maps(p);
	if (p->exited)
		return 0;
	if (!p->maps.n)
		return -EAGAIN;
	if (!p->forked)
		probe_allocators(s, p);
	gc_probe__process(s->bpf, p, &p->maps, s->cfg->verbose);
	read_deleted_modules(s, p);
	if (s->cfg->no_gpu)
		return 0;
	for (size_t i = 0; i < p->maps.n; i++)
		gpu_attach__mapping(s->bpf, p, &p->maps.maps[i], s->cfg->verbose);
	return 0;
}

/* Joined processes: those whose maps are still to come are looked at again, a while. */
static void probe_fresh(struct session *s)
{
	struct pid_list again = {};
	uint32_t n;
	const uint32_t *pids = tracker__take_fresh(&s->tracker, &n);

	for (uint32_t i = 0; i < n; i++) {
		struct mt_process *p = tracker__process(&s->tracker, pids[i]);

		if (p && probe_joined(s, p) == -EAGAIN && p->probe_tries++ < PROBE_TRIES)
			pid_list__add(&again, (pid_t)p->pid);
	}
	/* the list above is the tracker's own: added to only now */
	for (size_t i = 0; i < again.n; i++)
		tracker__joined_again(&s->tracker, (uint32_t)again.pids[i]);
	pid_list__release(&again);
}

/*
 * A libc file another process maps for the first time (-a), or a traced
 * process once it exec-ed into a new one: probed for every process, from
 * now. Calls made before this, within a poll interval, are not seen.
 */
static void probe_mapped_libc(struct session *s, uint32_t pid, const struct proc_map *m)
{
	struct libc_image img = {};
	char open_path[PATH_MAX], shown[PATH_MAX];
	int err;

	if (!m->executable || !m->path || m->path[0] != '/' || !libc_locate__is_libc(m->path) ||
	    bpf_loader__probed(s->bpf, -1, makedev(m->dev_major, m->dev_minor), m->inode,
			       PROBED_LIBC))
		return;
	if (proc_map__open_path((pid_t)pid, m, open_path, sizeof(open_path)) ||
	    libc_locate__in_file(m->path, open_path, s->cfg->probes_at_entry, &img))
		return;
	err = bpf_loader__attach_libc(s->bpf, -1, &img);
	if (!err && s->cfg->verbose)
		libc_locate__describe(&img, -1, stderr);
	else if (err && err != -EALREADY)
		fprintf(stderr, "memtrace: cannot attach to %s: %s\n",
			text_escape(m->path, shown, sizeof(shown)), strerror(-err));
	libc_locate__release(&img);
}

/*
 * An allocator library a traced process maps while traced (libstdc++, as
 * `import torch` loads it): probed from now, for it or, outside -p, for
 * every process, and its call sites told to the kernel for this process
 * (libstdc++'s are where the process maps them). Its calls before this
 * drain counted as libc's malloc.
 */
static void probe_mapped_allocator(struct session *s, struct mt_process *p,
				   const struct proc_map *m)
{
	pid_t key = bpf_loader__file_owner(s->bpf, (pid_t)p->pid);
	/* the one mapping as maps: p's do not have it yet */
	const struct proc_maps one = { .maps = (struct proc_map *)m, .n = 1 };
	struct allocator_set set = {};
	char shown[PATH_MAX];
	int err = 0;

	if (!m->executable || !m->path || m->path[0] != '/' ||
	    allocator_locate__in_mapping((pid_t)p->pid, m, &set) || !set.nr_images)
		goto cleanup;
	if (!bpf_loader__probed(s->bpf, key, makedev(m->dev_major, m->dev_minor), m->inode,
				PROBED_ALLOCATORS)) {
		err = bpf_loader__attach_allocators(s->bpf, (pid_t)p->pid, &set);
		if (!err && s->cfg->verbose)
			allocator_locate__describe(&set, (pid_t)p->pid, stderr);
		else if (err && err != -ENOENT)
			fprintf(stderr, "memtrace: cannot attach to %s in PID %u: %s\n",
				text_escape(m->path, shown, sizeof(shown)), p->pid, strerror(-err));
	}
	/* its libc is not in this mapping: the process's own are, when it joined */
	if (caller_table__add_process(bpf_loader__callers(s->bpf), (pid_t)p->pid, &one, &set, NULL,
				      s->cfg->verbose) &&
	    !s->tracker.err)
		s->tracker.err = -ENOMEM;
cleanup:
	allocator_locate__release(&set);
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

/* -a: every libc the machine's processes map now is probed; each process is made at its first call. */
static void probe_every_libc(struct session *s, pid_t pid)
{
	struct proc_maps maps = {};

	if (proc_maps__read(pid, &maps))
		return;
	for (size_t i = 0; i < maps.n; i++)
		probe_mapped_libc(s, pid, &maps.maps[i]);
	proc_maps__release(&maps);
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
		if (cfg->all)
			probe_every_libc(s, pids.pids[i]);
		else
			join_process(s, pids.pids[i]);
	}
	pid_list__release(&pids);
	return 0;
}

/* Tracing time counts from here, once the probes are in: attaching can take a while. */
static void start_clock(struct session *s)
{
	clock_gettime(CLOCK_REALTIME, &s->started_at);
	s->start_ns = mono_clock__ns();
	s->last_tick_ns = s->start_ns;
	if (s->cfg->interval_s > 0)
		s->next_tick_ns = s->start_ns + (uint64_t)(s->cfg->interval_s * 1e9);
}

static int launch(struct session *s)
{
	int pidfd, err;

	err = launcher__start(s->cfg, s->bpf, &s->tracker, &s->child);
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

	/* a process the kernel has just made traced: its fork or exec record is on its way */
	if (!p && config__scope(s->cfg) != MT_SCOPE_PIDS &&
	    (e->kind == MMAP_WATCH_MAP || e->kind == MMAP_WATCH_EXEC)) {
		if (s->cfg->all && e->kind == MMAP_WATCH_MAP)
			probe_mapped_libc(s, e->pid, &e->map);
		return mmap_stash__add(&s->unclaimed, e);
	}
	switch (e->kind) {
	case MMAP_WATCH_MAP:
		if ((ours || s->cfg->all) && config__scope(s->cfg) != MT_SCOPE_PIDS)
			probe_mapped_libc(s, e->pid, &e->map);
		/* a GPU library dlopen-ed by a path not probed ahead */
		if (ours && !s->cfg->no_gpu)
			gpu_attach__mapping(s->bpf, p, &e->map, s->cfg->verbose);
		/* libjvm.so: the java launcher dlopens it after start */
		if (ours) {
			gc_probe__mapping(s->bpf, p, &e->map, s->cfg->verbose);
			probe_mapped_allocator(s, p, &e->map);
		}
		/* an exited process still takes the mappings it made before its exit */
		return p ? process__add_map(process__map_owner(p), &e->map) : 0;
	case MMAP_WATCH_EXEC:
		return p ? process__begin_exec_maps(p, e->time_ns) : 0;
	case MMAP_WATCH_LOST:
		/* anyone's mapping or exec may be among them: /proc still knows the living */
		for (uint32_t i = 0; i < s->tracker.nr_procs; i++)
			if (!s->tracker.procs[i]->exited)
				process__refresh_maps(s->tracker.procs[i]);
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

/* A process's record ended (exit, exec): the call sites of what it mapped go with it. */
static void drop_callers(void *ctx, struct mt_process *p)
{
	struct session *s = ctx;

	caller_table__drop(bpf_loader__callers(s->bpf), (pid_t)p->pid);
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

/*
 * The ring buffer --ringbuf-size asks for, made and mapped once as libbpf
 * will (the consumer page, then the producer page and the data twice)
 * before the BPF objects load: a size the kernel refuses (out of memory, a
 * memory cgroup's limit) or one memtrace cannot map (an address-space
 * limit) gets memtrace's one line, not libbpf's several.
 */
static int check_ringbuf(uint64_t bytes)
{
	unsigned long long mib = (unsigned long long)(bytes >> 20);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *cons = MAP_FAILED, *prod = MAP_FAILED;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ringbuf_check", 0, 0, (__u32)bytes, NULL);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "memtrace: --ringbuf-size %llu: the kernel refused a ring buffer of "
				"%llu MiB: %s\n",
			mib, mib, strerror(-err));
		return err;
	}
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cons != MAP_FAILED)
		prod = mmap(NULL, page + 2 * bytes, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (cons == MAP_FAILED || prod == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "memtrace: --ringbuf-size %llu: cannot map a ring buffer of %llu MiB: "
				"%s\n",
			mib, mib, strerror(-err));
	}
	if (prod != MAP_FAILED)
		munmap(prod, page + 2 * bytes);
	if (cons != MAP_FAILED)
		munmap(cons, page);
	close(fd);
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
	};
	char shown[PATH_MAX], comm[COMM_LEN * TEXT_ESCAPE_RATIO];
	struct mt_process *p;
	int err;

	*s = (struct session){ .cfg = cfg, .epfd = -1, .cgroup_fd = -1, .child = { .pid = -1 } };
	/* a target's own trouble first: nothing else said about it can be right before it */
	for (int i = 0; i < cfg->nr_pids; i++) {
		err = target_check__pid(cfg->pids[i]);
		if (err)
			return err;
	}
	if (cfg->cgroup) {
		s->cgroup_fd = scope__open_cgroup(cfg->cgroup);
		if (s->cgroup_fd < 0) {
			fprintf(stderr, "memtrace: --cgroup %s: %s\n",
				text_escape(cfg->cgroup, shown, sizeof(shown)),
				s->cgroup_fd == -EMEDIUMTYPE ? "not a cgroup v2 directory"
							     : strerror(-s->cgroup_fd));
			return s->cgroup_fd;
		}
		opts.cgroup_fd = s->cgroup_fd;
	}
	err = check_ringbuf(cfg->ringbuf_bytes);
	if (err)
		return err;
	stack_choice__resolve(cfg, &s->stacks);
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
	s->tracker.leak_age_ns = (uint64_t)(cfg->leak_age_s * 1e9);
	err = bpf_loader__open(&opts, &s->bpf);
	if (err) {
		fprintf(stderr, "memtrace: cannot load the BPF programs: %s\n", strerror(-err));
		return err;
	}
	err = setup_consumer(s);
	if (!err)
		err = bpf_loader__attach_lifecycle(s->bpf);
	if (!err && !cfg->no_mappings)
		err = bpf_loader__attach_mmap(s->bpf);
	if (err)
		goto fail;
	/* before any target: no mapping of theirs goes unseen */
	watch_mmaps(s);
	if (cfg->command) {
		err = launch(s);
		if (err)
			return err;
		stack_choice__say(&s->stacks);
		start_clock(s);
		return 0;
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		err = attach_pid(s, cfg->pids[i]);
		if (err)
			return err;
		p = tracker__process(&s->tracker, cfg->pids[i]);
		err = step_probe__attach(cfg->step_probe, s->bpf, p, &p->maps, cfg->verbose);
		if (err)
			return err;
	}
	if (cfg->all || cfg->comm || cfg->cgroup) {
		/* ahead of whoever joins later: most processes map the libc memtrace maps */
		probe_every_libc(s, getpid());
		err = attach_scope(s);
		if (err)
			return err;
	}
	stack_choice__say(&s->stacks);
	bpf_loader__set_recording(s->bpf, true);
	start_clock(s);
	/* only now: whoever waits for these lines may start what they want traced */
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
	return 0;
fail:
	fprintf(stderr, "memtrace: cannot set up tracing: %s\n", strerror(-err));
	return err;
}

static void mark_exited(struct session *s, struct target *t)
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
static bool all_exited(const struct session *s)
{
	if (s->cfg->all || s->cfg->cgroup || s->cfg->comm)
		return false;
	for (int i = 0; i < s->nr_targets; i++)
		if (!s->targets[i].exited)
			return false;
	return !s->cfg->follow || !tracker__nr_running(&s->tracker);
}

/*
 * A process whose exit record was lost (ring buffer full) would be running
 * for ever: one gone from /proc, or another process under its PID, ended
 * at the start of a drain has had all its records by its end.
 */
static int end_vanished(struct session *s)
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
static void forward_signal(const struct session *s, int sig)
{
	if (s->child.pid <= 0 || s->child_reaped)
		return;
	/* a terminal's Ctrl-C already reached CMD: it shares our process group */
	if (sig == SIGINT && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		return;
	kill(s->child.pid, sig);
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
	struct leaks_opts leaks = { .now_ns = now, .min_age_ns = (uint64_t)(cfg->leak_age_s * 1e9) };
	int err;

	*out = (struct run_summary){
		.tracker = &s->tracker,
		.started_at = s->started_at,
		.duration_s = (now - s->start_ns) / 1e9,
		.now_ns = now,
		.command = cfg->command,
		.stack_mode = stack_mode__name(s->stacks.mode),
		.sample_bytes = s->stacks.sample_bytes,
		.start_ns = s->start_ns,
		.leak_age_s = cfg->leak_age_s,
		.interval_s = cfg->interval_s,
	};
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
	if (err) {
		leaks__release(&out->leaks);
		return err;
	}
	leaks__keep(&out->leaks, cfg->max_sites);
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
	uint64_t now = mono_clock__ns(), interval_ns = (uint64_t)(s->cfg->interval_s * 1e9);
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
	leaks__release(&sum.leaks);
	return err;
}

/* Waits at most until the next poll or the next --interval tick. */
static int wait_ms(const struct session *s)
{
	uint64_t now = mono_clock__ns();

	if (s->next_tick_ns && s->next_tick_ns < now + POLL_INTERVAL_MS * 1000000ULL)
		return s->next_tick_ns > now ? (int)((s->next_tick_ns - now + 999999) / 1000000) : 0;
	return POLL_INTERVAL_MS;
}

int session__run(struct session *s, volatile sig_atomic_t *stop, session_report_fn on_interval,
		 void *ctx)
{
	uint64_t deadline = s->cfg->duration_s > 0
				    ? s->start_ns + (uint64_t)(s->cfg->duration_s * 1e9)
				    : UINT64_MAX;
	struct epoll_event evs[8];
	int n, err;

	while (!*stop && !all_exited(s) && mono_clock__ns() < deadline) {
		n = epoll_wait(s->epfd, evs, 8, wait_ms(s));
		if (n < 0 && errno != EINTR)
			return -errno;
		err = drain_mmaps(s);
		if (err)
			return err;
		err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR)
			break;
		probe_fresh(s);
		/* a process's fork or exec record follows its mappings within a drain or two */
		mmap_stash__expire(&s->unclaimed, mono_clock__ns() - UNCLAIMED_NS);
		if (config__scope(s->cfg) != MT_SCOPE_PIDS && mono_clock__ns() >= s->next_sweep_ns) {
			s->next_sweep_ns = mono_clock__ns() + SWEEP_INTERVAL_NS;
			err = end_vanished(s);
			if (err)
				return err;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 && evs[i].data.u32 != EPOLL_ID_MMAPS)
				mark_exited(s, &s->targets[evs[i].data.u32 - 1]);
		if (s->cfg->step_probe && mono_clock__ns() >= s->next_step_retry_ns) {
			s->next_step_retry_ns = mono_clock__ns() + STEP_PROBE_RETRY_NS;
			err = step_probe__retry(s->cfg->step_probe, s->bpf, &s->tracker,
						s->cfg->verbose);
			if (err)
				return err;
		}
		err = report_interval(s, on_interval, ctx);
		if (err)
			return err;
	}
	if (*stop)
		forward_signal(s, *stop);
	if (s->tracker.err) {
		fprintf(stderr, "memtrace: stopped consuming events: %s\n",
			strerror(-s->tracker.err));
		return s->tracker.err;
	}
	return 0;
}

int session__finish(struct session *s, struct run_summary *out)
{
	uint64_t interval_ns = (uint64_t)(s->cfg->interval_s * 1e9);
	int err;

	s->end_ns = mono_clock__ns();
	/* whatever the targets did before this point is in the ring buffer; nothing after */
	bpf_loader__set_recording(s->bpf, false);
	err = drain_mmaps(s);
	if (err)
		return err;
	while ((err = ring_buffer__consume(s->rb)) > 0)
		;
	for (int i = 0; i < s->nr_targets; i++)
		if (!s->targets[i].exited && has_exited(s->targets[i].pidfd))
			mark_exited(s, &s->targets[i]);
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
