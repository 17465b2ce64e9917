// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attach/alloc_funcs.h"
#include "attach/allocator_funcs.h"
#include "attach/bpf_loader.h"
#include "attach/caller_table.h"
#include "attach/gpu_funcs.h"
#include "attach/link_keeper.h"
#include "util/array.h"
#include "memtrace.skel.h"
#include "attach/uprobe_multi.h"

/*
 * A library file probed, for one kind of probes (libc's, other
 * allocators', GPU, GC): for a process, or for every process (pid -1:
 * libc and allocator files outside MT_SCOPE_PIDS).
 */
struct probed_file {
	pid_t pid;
	dev_t dev;
	ino_t ino;
	enum probed_kind kind;
};

/* One probed address of a file: its entry's program, and its return's (NULL: none). */
struct file_site {
	struct bpf_program *entry, *exit;
	uint64_t offset;
};

/*
 * The probes of one file in one direction (entries or returns), gathered
 * so that each program gets one link for all its offsets in the file.
 */
struct probe_batch {
	struct batch_site {
		struct bpf_program *prog;
		uint64_t offset;
	} *sites;
	size_t n, cap;
};

struct bpf_loader {
	struct memtrace *skel;
	struct link_keeper *keeper;	/* creates, holds and removes every uprobe */
	struct caller_table *callers;	/* the caller_sites map, from the processes' files */
	bool multi;			/* uprobe_multi links (uprobe_multi.h) */
	struct bpf_link **links;	/* tracepoints: dropping them harms no one */
	size_t nr_links, links_cap;
	struct probed_file *files;
	size_t nr_files, files_cap;
	int nr_cpus;
	enum mt_scope scope;
	struct res_probes res;	/* the resource probes loaded, then attached */
	bool res_net_tp;	/* the sockets' tracepoints (6.3+), not the kretprobes */
};

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * uprobe_multi where the kernel has it (6.6+) and MEMTRACE_NO_UPROBE_MULTI
 * is not set (it forces the fallback, one perf-event link per probe, for
 * tests and comparisons). A program loaded for one kind cannot be attached
 * the other way, so the choice is made before loading.
 */
static bool use_uprobe_multi(struct memtrace *skel)
{
	const char *no = getenv("MEMTRACE_NO_UPROBE_MULTI");
	struct bpf_program *prog;

	if ((no && *no && strcmp(no, "0")) || !uprobe_multi__supported())
		return false;
	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe"))
			bpf_program__set_expected_attach_type(
				prog, (enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE);
	}
	return true;
}

static void set_config(struct memtrace *skel, const struct bpf_loader_opts *opts)
{
	/* wake the consumer at a quarter full; it also polls on a timer */
	skel->rodata->wakeup_watermark = opts->ringbuf_bytes / 4;
	skel->rodata->stack_mode = opts->stack_mode;
	/*
	 * Unused, the unwinder's maps take no room, and the inner map's flag
	 * (5.10) cannot keep an older kernel from loading the rest.
	 */
	if (opts->stack_mode != MT_STACK_KERNEL_DWARF) {
		bpf_map__set_max_entries(skel->maps.unwind_tables, 1);
		bpf_map__set_map_flags(bpf_map__inner_map(skel->maps.unwind_tables), 0);
		bpf_map__set_max_entries(skel->maps.unwind_procs, 1);
		/* bpf_loop, which they call, is 5.17's */
		bpf_program__set_autoload(skel->progs.stack_walk_call, false);
		bpf_program__set_autoload(skel->progs.stack_walk_gpu, false);
		bpf_program__set_autoload(skel->progs.stack_walk_preload, false);
	}
	skel->rodata->sample_bytes = opts->sample_bytes;
	skel->rodata->scope = opts->scope;
	skel->rodata->follow_forks = opts->follow;
	skel->rodata->self_tgid = getpid();
	skel->rodata->scope_by_cgroup = opts->cgroup_fd >= 0;
	if (opts->comm) {
		skel->rodata->scope_by_comm = true;
		/* the map is 16 bytes: a name of up to 15, NUL-padded */
		strncpy((char *)skel->rodata->scope_comm, opts->comm,
			sizeof(skel->rodata->scope_comm) - 1);
	}
}

/* A resource probe group's programs, and the kernel hook it needs at load (NULL: none) */
struct res_group_progs {
	const char *btf_name;		/* a tracepoint's name in the kernel's BTF */
	struct bpf_program *progs[7];
	size_t n;
	size_t required;		/* the first ones must attach; the rest are best effort */
};

/*
 * Whether the kernel has the tracepoint a tp_btf program names: its
 * btf_trace_NAME typedef in vmlinux's BTF. One BTF loaded for every
 * question: libbpf_find_vmlinux_btf_id loads it anew each call (~20 ms).
 */
static bool has_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return vmlinux && btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0;
}

static void res_groups(struct memtrace *skel, bool net_tp, struct res_group_progs g[MT_RES_GROUPS])
{
	g[MT_RES_SCHED] = (struct res_group_progs){
		"sched_switch",
		{ skel->progs.res_switch, skel->progs.res_wakeup, skel->progs.res_wakeup_new }, 3, 3
	};
	/* perf events, opened per CPU at attach (res_attach_faults) */
	g[MT_RES_FAULT] = (struct res_group_progs){
		NULL, { skel->progs.res_fault_start, skel->progs.res_fault_done }, 2, 0
	};
	g[MT_RES_BLOCK] = (struct res_group_progs){
		"block_bio_queue", { skel->progs.res_bio_queue }, 1, 1
	};
	/* uprobes, attached with the GPU libraries' other probes (bpf_loader__attach_gpu) */
	g[MT_RES_GPU] = (struct res_group_progs){
		NULL,
		{ skel->progs.res_gpu_copy_kind, skel->progs.res_gpu_copy_kind_async,
		  skel->progs.res_gpu_copy_htod, skel->progs.res_gpu_copy_dtoh,
		  skel->progs.res_gpu_copy_dtod, skel->progs.res_gpu_sync, skel->progs.res_gpu_exit },
		7, 0
	};
	if (net_tp) {
		g[MT_RES_NET] = (struct res_group_progs){
			"sock_send_length", { skel->progs.res_sock_send, skel->progs.res_sock_recv },
			2, 2
		};
		return;
	}
	/* IPv6's UDP: in a module the kernel may not have loaded */
	g[MT_RES_NET] = (struct res_group_progs){
		NULL,
		{ skel->progs.res_tcp_sendmsg_exit, skel->progs.res_tcp_recvmsg_exit,
		  skel->progs.res_udp_sendmsg_exit, skel->progs.res_udp_recvmsg_exit,
		  skel->progs.res_udpv6_sendmsg_exit, skel->progs.res_udpv6_recvmsg_exit },
		6, 4
	};
}

/*
 * Before load: a group is loaded only when asked for and when the kernel
 * has its hook (a tp_btf program whose tracepoint is missing would fail
 * the whole object's load). The network's other variant is not loaded.
 */
static void res_choose(struct bpf_loader *l, const struct bpf_loader_opts *opts)
{
	struct res_group_progs g[MT_RES_GROUPS], other[MT_RES_GROUPS];
	struct btf *vmlinux = btf__load_vmlinux_btf();
	/* the sockets' tracepoints (6.3), or kretprobes on the protocols' calls before them */
	bool net_tp = has_tracepoint(vmlinux, "sock_send_length");

	l->res_net_tp = net_tp;
	res_groups(l->skel, net_tp, g);
	res_groups(l->skel, !net_tp, other);
	for (size_t j = 0; j < other[MT_RES_NET].n; j++)
		bpf_program__set_autoload(other[MT_RES_NET].progs[j], false);
	for (int i = 0; i < MT_RES_GROUPS; i++) {
		bool on = opts->resources;

		l->res.why_not[i] = on ? NULL : "--no-resources";
		if (on && g[i].btf_name && !has_tracepoint(vmlinux, g[i].btf_name)) {
			on = false;
			l->res.why_not[i] = "the kernel has no such tracepoint";
		}
		l->res.on[i] = on;
		for (size_t j = 0; j < g[i].n; j++)
			bpf_program__set_autoload(g[i].progs[j], on);
	}
	btf__free(vmlinux);
	/* the kretprobes see no socket: a thread's connections are known from the tracepoints */
	l->res.thread_sockets = l->res.on[MT_RES_NET] && net_tp;
	if (!opts->resources)
		bpf_map__set_max_entries(l->skel->maps.thread_res, 1);
	if (!l->res.thread_sockets)
		bpf_map__set_max_entries(l->skel->maps.res_thread_socks, 1);
}

/* caller_table's writer: the kernel's table of call sites (bpf/caller_sites.bpf.h) */
static int write_caller_site(void *ctx, uint64_t addr, const struct mt_caller_site *site)
{
	struct bpf_loader *l = ctx;
	__u64 key = addr;

	if (!site) {
		if (bpf_map__delete_elem(l->skel->maps.caller_sites, &key, sizeof(key), 0))
			return -errno;
		return 0;
	}
	if (bpf_map__update_elem(l->skel->maps.caller_sites, &key, sizeof(key), site,
				 sizeof(*site), BPF_ANY))
		return -errno;
	return 0;
}

/* The kernel unwinder's programs, into the slots the probes tail-call (maps.bpf.h). */
static int fill_stack_walkers(struct memtrace *skel)
{
	const struct bpf_program *walkers[MT_STACK_WALKERS] = {
		[MT_STACK_WALK_CALL] = skel->progs.stack_walk_call,
		[MT_STACK_WALK_GPU] = skel->progs.stack_walk_gpu,
		[MT_STACK_WALK_PRELOAD] = skel->progs.stack_walk_preload,
	};

	for (__u32 i = 0; i < MT_STACK_WALKERS; i++) {
		int fd = bpf_program__fd(walkers[i]);

		if (bpf_map__update_elem(skel->maps.stack_walkers, &i, sizeof(i), &fd, sizeof(fd),
					 BPF_ANY))
			return -errno;
	}
	return 0;
}

int bpf_loader__open(const struct bpf_loader_opts *opts, struct bpf_loader **out)
{
	struct bpf_loader *l;
	int err;

	libbpf_verbose = opts->verbose;
	libbpf_set_print(print_libbpf);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->scope = opts->scope;
	l->nr_cpus = libbpf_num_possible_cpus();
	if (l->nr_cpus < 0) {
		err = l->nr_cpus;
		goto cleanup;
	}
	l->skel = memtrace__open();
	if (!l->skel) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_map__set_max_entries(l->skel->maps.events, opts->ringbuf_bytes);
	if (err)
		goto cleanup;
	set_config(l->skel, opts);
	res_choose(l, opts);
	l->multi = use_uprobe_multi(l->skel);
	err = memtrace__load(l->skel);
	if (err)
		goto cleanup;
	if (opts->stack_mode == MT_STACK_KERNEL_DWARF) {
		err = fill_stack_walkers(l->skel);
		if (err)
			goto cleanup;
	}
	err = caller_table__new(write_caller_site, l, &l->callers);
	if (err)
		goto cleanup;
	if (opts->cgroup_fd >= 0) {
		__u32 key = 0, fd = opts->cgroup_fd;

		if (bpf_map__update_elem(l->skel->maps.scope_cgroup, &key, sizeof(key), &fd,
					 sizeof(fd), BPF_ANY)) {
			err = -errno;
			goto cleanup;
		}
	}
	err = link_keeper__start(l->skel->obj, l->multi, &l->keeper);
	if (err)
		goto cleanup;
	/* -a: the keeper's own allocations are not a process to trace */
	l->skel->bss->keeper_tgid = link_keeper__pid(l->keeper);
	if (opts->verbose)
		fprintf(stderr, "memtrace: probes %s, held by PID %d (%s)\n",
			l->multi ? "in uprobe_multi links" : "in one link each",
			link_keeper__pid(l->keeper), "memtrace-keeper");
	*out = l;
	return 0;
cleanup:
	bpf_loader__free(l);
	return err;
}

void bpf_loader__free(struct bpf_loader *l)
{
	if (!l)
		return;
	bpf_loader__detach_all(l);
	caller_table__free(l->callers);
	free(l->links);
	free(l->files);
	memtrace__destroy(l->skel);
	free(l);
}

int bpf_loader__events_fd(const struct bpf_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

static int keep_link(struct bpf_loader *l, struct bpf_link *link)
{
	if (ARRAY_RESERVE(&l->links, &l->links_cap, l->nr_links + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	l->links[l->nr_links++] = link;
	return 0;
}

/* Programs that attach by their section alone (tracepoints), each once for the machine. */
static int attach_all(struct bpf_loader *l, struct bpf_program *const *progs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);
		int err;

		if (!link)
			return -errno;
		err = keep_link(l, link);
		if (err)
			return err;
	}
	return 0;
}

int bpf_loader__attach_lifecycle(struct bpf_loader *l)
{
	struct bpf_program *progs[] = { l->skel->progs.thread_exit, l->skel->progs.proc_fork,
					l->skel->progs.proc_exec };

	return attach_all(l, progs, sizeof(progs) / sizeof(progs[0]));
}

/*
 * The mmap, munmap, mremap and brk programs (bpf/mmap_trace.bpf.h): one
 * attachment each for the whole machine, filtered in the kernel on the
 * syscall number, then on the traced processes.
 */
int bpf_loader__attach_mmap(struct bpf_loader *l)
{
	struct bpf_program *progs[] = { l->skel->progs.mmap_sys_enter,
					l->skel->progs.mmap_sys_exit };

	return attach_all(l, progs, sizeof(progs) / sizeof(progs[0]));
}

/* A group's links, all made or none kept: a half-attached group would count half. */
static int res_attach_group(struct bpf_loader *l, const struct res_group_progs *g)
{
	size_t first = l->nr_links;
	int err = 0;

	for (size_t j = 0; j < g->n; j++) {
		struct bpf_link *link = bpf_program__attach(g->progs[j]);

		if (!link) {
			if (j < g->required) {
				err = -errno;
				break;
			}
			continue;
		}
		err = keep_link(l, link);
		if (err)
			return err;
	}
	if (!err)
		return 0;
	while (l->nr_links > first)
		bpf_link__destroy(l->links[--l->nr_links]);
	return err;
}

/* One software perf event of the faults, on cpu, for every task, the program at each one */
static int res_fault_event(struct bpf_loader *l, int cpu, __u64 config, struct bpf_program *prog)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
		.sample_period = 1,
	};
	struct bpf_link *link;
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	link = bpf_program__attach_perf_event(prog, fd);
	if (!link) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* the link owns the event's descriptor from here */
	return keep_link(l, link);
}

/* A fault's start and its end (minor or major), on every CPU: all or none. */
static int res_attach_faults(struct bpf_loader *l)
{
	size_t first = l->nr_links;
	int err = 0;

	for (int cpu = 0; cpu < l->nr_cpus && !err; cpu++) {
		err = res_fault_event(l, cpu, PERF_COUNT_SW_PAGE_FAULTS,
				      l->skel->progs.res_fault_start);
		if (!err)
			err = res_fault_event(l, cpu, PERF_COUNT_SW_PAGE_FAULTS_MIN,
					      l->skel->progs.res_fault_done);
		if (!err)
			err = res_fault_event(l, cpu, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
					      l->skel->progs.res_fault_done);
		/* a possible CPU that is offline takes no event: it runs nothing either */
		if (err == -ENODEV)
			err = 0;
	}
	if (err && err != -ENOMEM)
		while (l->nr_links > first)
			bpf_link__destroy(l->links[--l->nr_links]);
	return err;
}

int bpf_loader__attach_resources(struct bpf_loader *l, struct res_probes *out)
{
	struct res_group_progs g[MT_RES_GROUPS];
	int err;

	res_groups(l->skel, l->res_net_tp, g);
	for (int i = 0; i < MT_RES_GROUPS; i++) {
		if (!l->res.on[i] || i == MT_RES_GPU)
			continue;
		err = i == MT_RES_FAULT ? res_attach_faults(l) : res_attach_group(l, &g[i]);
		if (err == -ENOMEM)
			return err;
		if (err) {
			l->res.on[i] = false;
			l->res.why_not[i] = "cannot attach its probes on this kernel";
		}
	}
	l->res.thread_sockets &= l->res.on[MT_RES_NET];
	*out = l->res;
	return 0;
}

int bpf_loader__resources_fd(const struct bpf_loader *l)
{
	return bpf_map__fd(l->skel->maps.thread_res);
}

int bpf_loader__thread_socks_fd(const struct bpf_loader *l)
{
	return l->res.thread_sockets ? bpf_map__fd(l->skel->maps.res_thread_socks) : -1;
}

uint64_t bpf_loader__res_threads_lost(const struct bpf_loader *l)
{
	return l->skel->bss->res_threads_lost;
}

static struct bpf_program *entry_prog(struct memtrace *skel, enum mt_func fn)
{
	switch (fn) {
	case MT_FN_MALLOC:
		return skel->progs.malloc_enter;
	case MT_FN_CALLOC:
		return skel->progs.calloc_enter;
	case MT_FN_REALLOC:
		return skel->progs.realloc_enter;
	case MT_FN_REALLOCARRAY:
		return skel->progs.reallocarray_enter;
	case MT_FN_FREE:
		return skel->progs.free_enter;
	case MT_FN_POSIX_MEMALIGN:
		return skel->progs.posix_memalign_enter;
	case MT_FN_ALIGNED_ALLOC:
		return skel->progs.aligned_alloc_enter;
	case MT_FN_MEMALIGN:
		return skel->progs.memalign_enter;
	case MT_FN_VALLOC:
		return skel->progs.valloc_enter;
	case MT_FN_PVALLOC:
		return skel->progs.pvalloc_enter;
	case MT_FN_COUNT:
		break;
	}
	return NULL;
}

/* A return's program, if any: posix_memalign hands its block back through memory. */
static struct bpf_program *return_prog(struct memtrace *skel, bool has_return,
				       bool posix_memalign)
{
	if (!has_return)
		return NULL;
	return posix_memalign ? skel->progs.posix_memalign_exit : skel->progs.alloc_exit;
}

static int batch__add(struct probe_batch *b, struct bpf_program *prog, uint64_t offset)
{
	if (!prog)
		return -ENOENT;
	if (ARRAY_RESERVE(&b->sites, &b->cap, b->n + 1))
		return -ENOMEM;
	b->sites[b->n++] = (struct batch_site){ .prog = prog, .offset = offset };
	return 0;
}

/* One request to the keeper per program: all its offsets in path, in one link where it can. */
static int batch__attach(struct bpf_loader *l, struct probe_batch *b, pid_t pid,
			 const char *path, bool retprobe)
{
	uint64_t *offsets = calloc(b->n ? b->n : 1, sizeof(*offsets));
	int err = offsets ? 0 : -ENOMEM;

	for (size_t i = 0; i < b->n && !err; i++) {
		struct bpf_program *prog = b->sites[i].prog;
		size_t n = 0;

		/* taken with an earlier site of the same program */
		if (!prog)
			continue;
		for (size_t j = i; j < b->n; j++) {
			if (b->sites[j].prog != prog)
				continue;
			offsets[n++] = b->sites[j].offset;
			b->sites[j].prog = NULL;
		}
		err = link_keeper__attach(l->keeper, bpf_program__name(prog), pid, path, offsets, n,
					  retprobe);
	}
	free(offsets);
	return err;
}

static void batch__release(struct probe_batch *b)
{
	free(b->sites);
	*b = (struct probe_batch){};
}

/*
 * The one walk over a file's sites, whoever located them (libc, another
 * allocator, a GPU library): returns first, so that no entry that fires
 * can miss its return; then the entries. -ENOENT for a site whose program
 * is missing.
 */
static int attach_sites(struct bpf_loader *l, pid_t pid, const char *path,
			const struct file_site *sites, size_t n)
{
	struct probe_batch returns = {}, entries = {};
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (sites[i].exit)
			err = batch__add(&returns, sites[i].exit, sites[i].offset);
		if (!err)
			err = batch__add(&entries, sites[i].entry, sites[i].offset);
	}
	if (!err)
		err = batch__attach(l, &returns, pid, path, true);
	if (!err)
		err = batch__attach(l, &entries, pid, path, false);
	batch__release(&returns);
	batch__release(&entries);
	return err;
}

static int attach_one(struct bpf_loader *l, struct bpf_program *prog, pid_t pid,
		      const char *path, uint64_t offset)
{
	return link_keeper__attach(l->keeper, bpf_program__name(prog), pid, path, &offset, 1,
				   false);
}

static int remember_file(struct bpf_loader *l, pid_t pid, dev_t dev, ino_t ino,
			 enum probed_kind kind);

int bpf_loader__claim_file(struct bpf_loader *l, pid_t pid, const char *path,
			   enum probed_kind kind)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (bpf_loader__probed(l, pid, st.st_dev, st.st_ino, kind))
		return -EALREADY;
	return remember_file(l, pid, st.st_dev, st.st_ino, kind);
}

pid_t bpf_loader__file_owner(const struct bpf_loader *l, pid_t pid)
{
	return l->scope == MT_SCOPE_PIDS ? pid : -1;
}

int bpf_loader__attach_libc(struct bpf_loader *l, pid_t pid, const struct libc_image *img)
{
	struct file_site sites[MT_FN_COUNT];
	size_t n = 0;
	int err;

	pid = bpf_loader__file_owner(l, pid);
	err = bpf_loader__claim_file(l, pid, img->open_path, PROBED_LIBC);
	if (err)
		return err;
	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];

		if (s->alias_of >= 0)
			continue;
		sites[n++] = (struct file_site){
			.entry = entry_prog(l->skel, s->func),
			.exit = return_prog(l->skel, alloc_funcs__has_return(s->func),
					    s->func == MT_FN_POSIX_MEMALIGN),
			.offset = s->probe_offset,
		};
	}
	return attach_sites(l, pid, img->open_path, sites, n);
}

static struct bpf_program *allocator_prog(struct bpf_loader *l, enum mt_allocator a,
					  enum allocator_shape shape)
{
	char name[64];

	if (allocator_funcs__prog_name(a, shape, name, sizeof(name)))
		return NULL;
	return bpf_object__find_program_by_name(l->skel->obj, name);
}

static int attach_allocator_image(struct bpf_loader *l, pid_t pid,
				  const struct allocator_image *img)
{
	struct file_site *sites = calloc(img->nr_sites ? img->nr_sites : 1, sizeof(*sites));
	size_t n = 0;
	int err;

	if (!sites)
		return -ENOMEM;
	for (int i = 0; i < img->nr_sites; i++) {
		const struct allocator_site *s = &img->sites[i];

		/* libstdc++'s operator new: told by its call sites (bpf_loader__callers) */
		if (!allocator_funcs__is_probed(s->shape))
			continue;
		sites[n++] = (struct file_site){
			.entry = allocator_prog(l, img->allocator, s->shape),
			.exit = return_prog(l->skel, allocator_funcs__has_return(s->shape),
					    s->shape == SHAPE_POSIX_MEMALIGN),
			.offset = s->file_offset,
		};
	}
	err = attach_sites(l, pid, img->open_path, sites, n);
	free(sites);
	return err;
}

int bpf_loader__attach_allocators(struct bpf_loader *l, pid_t pid,
				  const struct allocator_set *set)
{
	int err;

	/* as for libc: once per file, for that process or for every one */
	pid = bpf_loader__file_owner(l, pid);
	for (int i = 0; i < set->nr_images; i++) {
		err = bpf_loader__claim_file(l, pid, set->images[i].open_path, PROBED_ALLOCATORS);
		if (!err)
			err = attach_allocator_image(l, pid, &set->images[i]);
		if (err && err != -EALREADY)
			return err;
	}
	return 0;
}

bool bpf_loader__probed(const struct bpf_loader *l, pid_t pid, dev_t dev, ino_t ino,
			enum probed_kind kind)
{
	for (size_t i = 0; i < l->nr_files; i++)
		if (l->files[i].pid == pid && l->files[i].dev == dev && l->files[i].ino == ino &&
		    l->files[i].kind == kind)
			return true;
	return false;
}

static int remember_file(struct bpf_loader *l, pid_t pid, dev_t dev, ino_t ino,
			 enum probed_kind kind)
{
	if (ARRAY_RESERVE(&l->files, &l->files_cap, l->nr_files + 1))
		return -ENOMEM;
	l->files[l->nr_files++] =
		(struct probed_file){ .pid = pid, .dev = dev, .ino = ino, .kind = kind };
	return 0;
}

int bpf_loader__attach_gpu(struct bpf_loader *l, pid_t pid, const struct gpu_library *lib,
			   dev_t dev, ino_t ino)
{
	struct file_site sites[2 * MT_GPU_FN_COUNT];
	size_t n = 0;
	int err;

	if (bpf_loader__probed(l, pid, dev, ino, PROBED_GPU))
		return -EALREADY;
	/* before the probes: a file that failed half-way is not probed twice */
	err = remember_file(l, pid, dev, ino, PROBED_GPU);
	if (err)
		return err;
	for (int i = 0; i < lib->nr_sites; i++) {
		const struct gpu_func_info *info = gpu_funcs__info(lib->sites[i].func);

		/* transfers and waits count only in the resource profile */
		if (gpu_funcs__is_resource(info) && !l->res.on[MT_RES_GPU])
			continue;
		sites[n++] = (struct file_site){
			.entry = bpf_object__find_program_by_name(l->skel->obj, info->prog),
			.exit = info->exit_prog
					? bpf_object__find_program_by_name(l->skel->obj,
									   info->exit_prog)
					: l->skel->progs.gpu_exit,
			.offset = lib->sites[i].file_offset,
		};
	}
	return attach_sites(l, pid, lib->open_path, sites, n);
}

int bpf_loader__attach_usdt(struct bpf_loader *l, const char *prog_name, pid_t pid,
			    const char *path, const char *provider, const char *name)
{
	return link_keeper__attach_usdt(l->keeper, prog_name, pid, path, provider, name);
}

int bpf_loader__attach_preload_site(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset)
{
	return attach_one(l, l->skel->progs.preload_site, pid, path, file_offset);
}

int bpf_loader__attach_step_probe(struct bpf_loader *l, pid_t pid, const char *path,
				  uint64_t file_offset)
{
	return attach_one(l, l->skel->progs.step_marker, pid, path, file_offset);
}

int bpf_loader__attach_startup_stop(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset, int sig)
{
	l->skel->bss->stop_tgid = pid;
	l->skel->bss->stop_signal = sig;
	return attach_one(l, l->skel->progs.startup_stop, pid, path, file_offset);
}

void bpf_loader__disarm_startup_stop(struct bpf_loader *l)
{
	if (!l->skel || !l->skel->bss)
		return;
	/* detaching costs a grace period (~0.1 s): the program goes idle now, the link later */
	l->skel->bss->stop_tgid = 0;
}


void bpf_loader__detach_all(struct bpf_loader *l)
{
	bpf_loader__disarm_startup_stop(l);
	/* the keeper removes the uprobes; memtrace goes on at once */
	link_keeper__finish(l->keeper);
	l->keeper = NULL;
	for (size_t i = 0; i < l->nr_links; i++)
		bpf_link__destroy(l->links[i]);
	l->nr_links = 0;
}

int bpf_loader__guard_stopped(struct bpf_loader *l, int pidfd)
{
	return link_keeper__guard_stopped(l->keeper, pidfd);
}

void bpf_loader__set_recording(struct bpf_loader *l, bool on)
{
	/* a plain store to the mmap-ed .bss: the programs see it at their next run */
	l->skel->bss->recording = on;
}

int bpf_loader__add_target(struct bpf_loader *l, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map__update_elem(l->skel->maps.targets, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

void bpf_loader__unwind_maps(const struct bpf_loader *l, int *tables_fd, int *procs_fd)
{
	*tables_fd = bpf_map__fd(l->skel->maps.unwind_tables);
	*procs_fd = bpf_map__fd(l->skel->maps.unwind_procs);
}

int bpf_loader__python_procs(const struct bpf_loader *l)
{
	return bpf_map__fd(l->skel->maps.python_procs);
}

struct caller_table *bpf_loader__callers(struct bpf_loader *l)
{
	return l->callers;
}

int bpf_loader__read_drops(const struct bpf_loader *l, uint64_t drops[MT_DROP_COUNT])
{
	__u64 *per_cpu = calloc(l->nr_cpus, sizeof(*per_cpu));
	int err = 0;

	if (!per_cpu)
		return -ENOMEM;
	for (__u32 reason = 0; reason < MT_DROP_COUNT; reason++) {
		drops[reason] = 0;
		if (bpf_map__lookup_elem(l->skel->maps.drops, &reason, sizeof(reason), per_cpu,
					 l->nr_cpus * sizeof(*per_cpu), 0)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < l->nr_cpus; cpu++)
			drops[reason] += per_cpu[cpu];
	}
	free(per_cpu);
	return err;
}
