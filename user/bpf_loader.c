// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alloc_funcs.h"
#include "allocator_funcs.h"
#include "bpf_loader.h"
#include "gpu_funcs.h"
#include "memtrace.skel.h"

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

struct bpf_loader {
	struct memtrace *skel;
	struct bpf_link **links;
	size_t nr_links, links_cap;
	struct probed_file *files;
	size_t nr_files, files_cap;
	struct bpf_link *startup_stop;
	int nr_cpus;
	enum mt_scope scope;
};

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
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
	/* wake the consumer at a quarter full; it also polls on a timer */
	l->skel->rodata->wakeup_watermark = opts->ringbuf_bytes / 4;
	l->skel->rodata->stack_mode = opts->stack_mode;
	l->skel->rodata->sample_bytes = opts->sample_bytes;
	l->scope = opts->scope;
	l->skel->rodata->scope = opts->scope;
	l->skel->rodata->follow_forks = opts->follow;
	l->skel->rodata->self_tgid = getpid();
	l->skel->rodata->scope_by_cgroup = opts->cgroup_fd >= 0;
	if (opts->comm) {
		l->skel->rodata->scope_by_comm = true;
		/* the map is 16 bytes: a name of up to 15, NUL-padded */
		strncpy((char *)l->skel->rodata->scope_comm, opts->comm,
			sizeof(l->skel->rodata->scope_comm) - 1);
	}
	err = memtrace__load(l->skel);
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
	if (l->nr_links == l->links_cap) {
		size_t cap = l->links_cap ? 2 * l->links_cap : 32;
		struct bpf_link **grown = realloc(l->links, cap * sizeof(*grown));

		if (!grown) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		l->links = grown;
		l->links_cap = cap;
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

static int attach_uprobe(struct bpf_loader *l, struct bpf_program *prog, pid_t pid,
			 const char *path, uint64_t offset, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);
	if (!link)
		return -errno;
	return keep_link(l, link);
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
	int err;

	pid = bpf_loader__file_owner(l, pid);
	err = bpf_loader__claim_file(l, pid, img->open_path, PROBED_LIBC);
	if (err)
		return err;

	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];
		struct bpf_program *exit = s->func == MT_FN_POSIX_MEMALIGN
						   ? l->skel->progs.posix_memalign_exit
						   : l->skel->progs.alloc_exit;

		if (s->alias_of >= 0 || !alloc_funcs__has_return(s->func))
			continue;
		err = attach_uprobe(l, exit, pid, img->open_path, s->probe_offset, true);
		if (err)
			return err;
	}
	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];

		if (s->alias_of >= 0)
			continue;
		err = attach_uprobe(l, entry_prog(l->skel, s->func), pid, img->open_path,
				    s->probe_offset, false);
		if (err)
			return err;
	}
	return 0;
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
	int err;

	for (int i = 0; i < img->nr_sites; i++) {
		const struct allocator_site *s = &img->sites[i];
		struct bpf_program *exit = s->shape == SHAPE_POSIX_MEMALIGN
						   ? l->skel->progs.posix_memalign_exit
						   : l->skel->progs.alloc_exit;

		if (!allocator_funcs__has_return(s->shape))
			continue;
		err = attach_uprobe(l, exit, pid, img->open_path, s->file_offset, true);
		if (err)
			return err;
	}
	for (int i = 0; i < img->nr_sites; i++) {
		const struct allocator_site *s = &img->sites[i];
		struct bpf_program *prog = allocator_prog(l, img->allocator, s->shape);

		if (!prog)
			return -ENOENT;
		err = attach_uprobe(l, prog, pid, img->open_path, s->file_offset, false);
		if (err)
			return err;
	}
	return 0;
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
	if (l->nr_files == l->files_cap) {
		size_t cap = l->files_cap ? 2 * l->files_cap : 8;
		struct probed_file *grown = realloc(l->files, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->files = grown;
		l->files_cap = cap;
	}
	l->files[l->nr_files++] =
		(struct probed_file){ .pid = pid, .dev = dev, .ino = ino, .kind = kind };
	return 0;
}

int bpf_loader__attach_gpu(struct bpf_loader *l, pid_t pid, const struct gpu_library *lib,
			   dev_t dev, ino_t ino)
{
	int err;

	if (bpf_loader__probed(l, pid, dev, ino, PROBED_GPU))
		return -EALREADY;
	/* before the probes: a file that failed half-way is not probed twice */
	err = remember_file(l, pid, dev, ino, PROBED_GPU);
	if (err)
		return err;
	/* returns first, as for libc: no entry that fires can miss its return */
	for (int i = 0; i < lib->nr_sites; i++) {
		err = attach_uprobe(l, l->skel->progs.gpu_exit, pid, lib->open_path,
				    lib->sites[i].file_offset, true);
		if (err)
			return err;
	}
	for (int i = 0; i < lib->nr_sites; i++) {
		const char *name = gpu_funcs__info(lib->sites[i].func)->prog;
		struct bpf_program *prog = bpf_object__find_program_by_name(l->skel->obj, name);

		if (!prog)
			return -ENOENT;
		err = attach_uprobe(l, prog, pid, lib->open_path, lib->sites[i].file_offset, false);
		if (err)
			return err;
	}
	return 0;
}

int bpf_loader__attach_usdt(struct bpf_loader *l, const char *prog_name, pid_t pid,
			    const char *path, const char *provider, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(l->skel->obj, prog_name);
	struct bpf_link *link;

	if (!prog)
		return -ENOENT;
	/* libbpf reads the note, its arguments and its semaphore (raised through ref_ctr_offset) */
	link = bpf_program__attach_usdt(prog, pid, path, provider, name, NULL);
	if (!link)
		return -errno;
	return keep_link(l, link);
}

int bpf_loader__attach_preload_site(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset)
{
	return attach_uprobe(l, l->skel->progs.preload_site, pid, path, file_offset, false);
}

int bpf_loader__attach_step_probe(struct bpf_loader *l, pid_t pid, const char *path,
				  uint64_t file_offset)
{
	return attach_uprobe(l, l->skel->progs.step_marker, pid, path, file_offset, false);
}

int bpf_loader__attach_startup_stop(struct bpf_loader *l, pid_t pid, const char *path,
				    uint64_t file_offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);

	l->skel->bss->stop_tgid = pid;
	l->startup_stop = bpf_program__attach_uprobe_opts(l->skel->progs.startup_stop, pid, path,
							  file_offset, &opts);
	if (!l->startup_stop)
		return -errno;
	return 0;
}

void bpf_loader__disarm_startup_stop(struct bpf_loader *l)
{
	/* detaching costs a grace period (~0.1 s): the program goes idle now, the link later */
	l->skel->bss->stop_tgid = 0;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void bpf_loader__detach_all(struct bpf_loader *l)
{
	pthread_t *threads;
	size_t started = 0;

	bpf_loader__disarm_startup_stop(l);
	if (l->startup_stop)
		keep_link(l, l->startup_stop); /* which destroys it if it cannot keep it */
	l->startup_stop = NULL;
	/*
	 * Each uprobe detach waits for an RCU tasks-trace grace period, about
	 * 0.1 s here: one after the other, 20 probes would take two seconds.
	 * Concurrent detaches share their grace periods.
	 */
	threads = calloc(l->nr_links, sizeof(*threads));
	for (size_t i = 0; threads && i < l->nr_links; i++, started++)
		if (pthread_create(&threads[i], NULL, destroy_link, l->links[i]))
			break;
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = started; i < l->nr_links; i++)
		bpf_link__destroy(l->links[i]);
	free(threads);
	l->nr_links = 0;
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
