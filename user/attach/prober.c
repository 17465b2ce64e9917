// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "attach/caller_table.h"
#include "attach/gc_probe.h"
#include "attach/gpu_attach.h"
#include "attach/preload.h"
#include "attach/python_loader.h"
#include "symbolize/py_target.h"
#include "attach/prober.h"
#include "attach/step_probe.h"
#include "attach/unwind_loader.h"
#include "util/id_map.h"
#include "util/text_escape.h"

struct prober {
	struct bpf_loader *l;
	const struct mt_config *cfg;
	/* joined processes whose maps had not come: pid -> looks so far */
	struct id_map tries;
	/* --stack=kernel-dwarf: the processes' unwind tables; NULL otherwise */
	struct unwind_loader *unwind;
	/* --stack=kernel-dwarf: the Python processes told to the kernel; NULL otherwise */
	struct python_loader *python;
	/* other stack modes: a Python target was told it gets no Python frames */
	bool said_no_python;
};

int prober__new(struct bpf_loader *l, const struct mt_config *cfg, enum mt_stack_mode stacks,
		struct prober **out)
{
	struct unwind_loader_opts uo = { .max_bytes = cfg->max_unwind_bytes,
					 .verbose = cfg->verbose };
	struct prober *pr = calloc(1, sizeof(*pr));
	int err;

	if (!pr)
		return -ENOMEM;
	pr->l = l;
	pr->cfg = cfg;
	if (stacks == MT_STACK_KERNEL_DWARF) {
		bpf_loader__unwind_maps(l, &uo.tables_fd, &uo.procs_fd);
		err = unwind_loader__new(&uo, &pr->unwind);
		/* --python=off: no process in python_procs, so the kernel never walks one */
		if (!err && cfg->python_mode != MT_PYTHON_OFF)
			err = python_loader__new(bpf_loader__python_procs(l), cfg->verbose,
						 &pr->python);
		if (err) {
			unwind_loader__free(pr->unwind);
			free(pr);
			return err;
		}
	}
	*out = pr;
	return 0;
}

void prober__free(struct prober *pr)
{
	if (!pr)
		return;
	id_map__release(&pr->tries);
	unwind_loader__free(pr->unwind);
	python_loader__free(pr->python);
	free(pr);
}

/* libc's probes, and those of the allocators beside it (each address probed once). */
static int attach_found(struct prober *pr, pid_t pid, struct prober_found *found)
{
	int err;

	allocator_locate__take_from_libc(&found->allocators, &found->libc);
	err = bpf_loader__attach_libc(pr->l, pid, &found->libc);
	/* -f: the file may be probed for every process already */
	if (err == -EALREADY)
		err = 0;
	if (!err)
		err = bpf_loader__attach_allocators(pr->l, pid, &found->allocators);
	return err;
}

int prober__attach_pid(struct prober *pr, const struct probe_target *t,
		       const struct proc_maps *maps, struct prober_found *out)
{
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO];
	int err, libc_err;

	*out = (struct prober_found){};
	libc_err = libc_locate__in_process(t->pid, maps, t->exe, pr->cfg->probes_at_entry,
					   &out->libc);
	err = allocator_locate__in_process(t->pid, maps, t->exe, &out->allocators);
	if (err)
		return err;
	if (libc_err && !out->allocators.nr_images) {
		fprintf(stderr, "memtrace: no allocator found in PID %d (%s): nothing to probe; "
				"searched %s\n",
			t->pid, text_escape(t->comm, comm, sizeof(comm)),
			allocator_locate__searched());
		return libc_err;
	}
	err = attach_found(pr, t->pid, out);
	if (!err)
		err = caller_table__add_process(bpf_loader__callers(pr->l), t->pid, maps,
						&out->allocators, out->libc.path, pr->cfg->verbose);
	if (err == -ESRCH)
		return err;
	if (err) {
		fprintf(stderr, "memtrace: cannot attach to the allocators of PID %d: %s\n", t->pid,
			strerror(-err));
		return err;
	}
	return bpf_loader__add_target(pr->l, t->pid);
}

/* Launch mode: a target from its start, its allocators probed and said (-v). */
static int attach_launched(struct prober *pr, pid_t pid, struct prober_found *found)
{
	int err = attach_found(pr, pid, found);

	if (err) {
		fprintf(stderr, "memtrace: cannot attach to the allocators of PID %d: %s\n", pid,
			strerror(-err));
		return err;
	}
	prober__describe(pr, pid, found);
	return bpf_loader__add_target(pr->l, pid);
}

int prober__attach_static(struct prober *pr, pid_t pid, const char *image,
			  struct prober_found *out)
{
	int err = libc_locate__in_file(image, image, pr->cfg->probes_at_entry, &out->libc);

	if (err) {
		fprintf(stderr, "memtrace: no libc found in %s (statically linked, no malloc)\n",
			image);
		return err;
	}
	err = allocator_locate__in_executable(image, image, &out->allocators);
	if (!err)
		err = attach_launched(pr, pid, out);
	return err;
}

/* The preload library's one site reports every allocator call (preload.h). */
static int attach_preload(struct prober *pr, pid_t pid, const char *lib)
{
	int err = preload__attach(pr->l, pid, lib);

	if (!err)
		err = bpf_loader__add_target(pr->l, pid);
	if (err) {
		fprintf(stderr, "memtrace: cannot probe %s in PID %d: %s\n", lib, pid,
			strerror(-err));
		return err;
	}
	if (pr->cfg->verbose)
		fprintf(stderr, "memtrace: PID %d: one probe on %s\n", pid, lib);
	return 0;
}

int prober__attach_launched(struct prober *pr, pid_t pid, const struct proc_maps *maps,
			    bool libc_attached, char **preload, struct prober_found *found)
{
	int err;

	if (*preload && preload__is_mapped(maps, *preload))
		return attach_preload(pr, pid, *preload);
	if (!libc_attached) {
		if (libc_locate__in_process(pid, maps, NULL, pr->cfg->probes_at_entry, &found->libc))
			return -EAGAIN;
		err = allocator_locate__in_process(pid, maps, NULL, &found->allocators);
		if (!err)
			err = attach_launched(pr, pid, found);
		if (err)
			return err;
	}
	/* operator new's calls of malloc, glibc's frees at thread exit (caller_table.h) */
	err = caller_table__add_process(bpf_loader__callers(pr->l), pid, maps, &found->allocators,
					found->libc.path, pr->cfg->verbose);
	if (err || !*preload)
		return err;
	/* it did not load (static or setuid CMD): the libc probes count instead */
	if (pr->cfg->verbose)
		fprintf(stderr, "memtrace: PID %d: %s not loaded: probing libc\n", pid, *preload);
	free(*preload);
	*preload = NULL;
	return 0;
}

const struct unwind_loader *prober__unwind(const struct prober *pr)
{
	return pr->unwind;
}

void prober__describe(const struct prober *pr, pid_t pid, const struct prober_found *found)
{
	if (!pr->cfg->verbose)
		return;
	libc_locate__describe(&found->libc, pid, stderr);
	allocator_locate__describe(&found->allocators, pid, stderr);
}

void prober_found__release(struct prober_found *found)
{
	libc_locate__release(&found->libc);
	allocator_locate__release(&found->allocators);
}

/* The unwind tables of t's modules, in before it runs (launch) or goes on. */
/* Python frames are walked by kernel-dwarf's programs: a Python target under another mode is told, once. */
static void say_no_python(struct prober *pr, pid_t pid, const struct proc_maps *maps)
{
	struct py_target *t;
	const char *why;

	if (pr->said_no_python || pr->cfg->python_mode == MT_PYTHON_OFF ||
	    pr->cfg->stack_mode == MT_STACK_NONE)
		return;
	t = calloc(1, sizeof(*t));
	if (t && !py_target__find(pid, maps, t, &why)) {
		fprintf(stderr,
			"memtrace: PID %d runs Python %d.%d: its Python frames need --stack=kernel-dwarf "
			"(a kernel with bpf_loop, 5.17): native stacks only\n",
			pid, t->layout.major, t->layout.minor);
		pr->said_no_python = true;
	}
	free(t);
}

static int unwind_process(struct prober *pr, pid_t pid, const struct proc_maps *maps)
{
	int err;

	if (!pr->unwind) {
		say_no_python(pr, pid, maps);
		return 0;
	}
	err = unwind_loader__process(pr->unwind, pid, maps);
	if (!err && pr->python)
		err = python_loader__process(pr->python, pid, maps);
	if (err)
		fprintf(stderr, "memtrace: cannot load the unwind tables of PID %d: %s\n", pid,
			strerror(-err));
	return err;
}

void prober__process(struct prober *pr, const struct probe_target *t,
		     const struct proc_maps *maps)
{
	unwind_process(pr, t->pid, maps);
	if (!pr->cfg->no_gpu)
		gpu_attach__process(pr->l, t, maps, pr->cfg->verbose);
	gc_probe__process(pr->l, t, maps, pr->cfg->verbose);
}

/* Whether the libc in maps is probed for pid already (or, outside -p, for every process). */
static bool libc_probed(const struct prober *pr, pid_t pid, const struct proc_maps *maps)
{
	pid_t key = bpf_loader__file_owner(pr->l, pid);

	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (m->executable && m->path && libc_locate__is_libc(m->path))
			return bpf_loader__probed(pr->l, key, makedev(m->dev_major, m->dev_minor),
						  m->inode, PROBED_LIBC);
	}
	return false;
}

/* The libc located for a joined process: probed, said (-v), or its failure said. */
static void attach_joined_libc(struct prober *pr, pid_t pid, struct libc_image *img)
{
	char shown[PATH_MAX];
	int err = bpf_loader__attach_libc(pr->l, pid, img);

	if (!err && pr->cfg->verbose)
		libc_locate__describe(img, pid, stderr);
	if (err && err != -EALREADY && err != -ENOENT)
		fprintf(stderr, "memtrace: cannot attach to %s in PID %d: %s\n",
			text_escape(img->path, shown, sizeof(shown)), pid, strerror(-err));
}

/*
 * The libc and the other allocators of a process that joined, each file
 * probed once (for every process outside -p): an exec into another libc or
 * a static executable, a C++ program exec-ed by a Python one.
 */
static int probe_allocators(struct prober *pr, const struct probe_target *t,
			    const struct proc_maps *maps, struct libc_image *libc)
{
	struct allocator_set allocs = {};
	struct libc_image img = {};
	bool found = !libc_probed(pr, t->pid, maps) &&
		     !libc_locate__in_process(t->pid, maps, t->exe, pr->cfg->probes_at_entry, &img);
	int err;

	if (allocator_locate__in_process(t->pid, maps, t->exe, &allocs))
		goto cleanup;
	if (found) {
		allocator_locate__take_from_libc(&allocs, &img);
		attach_joined_libc(pr, t->pid, &img);
	}
	err = bpf_loader__attach_allocators(pr->l, t->pid, &allocs);
	if (err && err != -ENOENT)
		fprintf(stderr, "memtrace: cannot attach to the allocators of PID %d: %s\n",
			t->pid, strerror(-err));
	/* a record is new when this runs: the libc of its own is the one just found, if any */
	err = caller_table__add_process(bpf_loader__callers(pr->l), t->pid, maps, &allocs,
					found ? img.path : NULL, pr->cfg->verbose);
	if (found) {
		*libc = img;
		img = (struct libc_image){};
	}
	allocator_locate__release(&allocs);
	return err;
cleanup:
	libc_locate__release(&img);
	allocator_locate__release(&allocs);
	return 0;
}

int prober__joined(struct prober *pr, const struct probe_target *t, const struct proc_maps *maps,
		   bool forked, struct libc_image *libc)
{
	int err = 0;

	*libc = (struct libc_image){};
	if (!forked)
		err = probe_allocators(pr, t, maps, libc);
	if (unwind_process(pr, t->pid, maps) && !err)
		err = -ENOMEM;
	gc_probe__process(pr->l, t, maps, pr->cfg->verbose);
	if (pr->cfg->no_gpu)
		return err;
	for (size_t i = 0; i < maps->n; i++)
		gpu_attach__mapping(pr->l, t, &maps->maps[i], pr->cfg->verbose);
	return err;
}

bool prober__try_again(struct prober *pr, pid_t pid)
{
	int64_t tries = id_map__get(&pr->tries, (uint64_t)pid);

	if (tries < 0)
		tries = 0;
	if (tries >= PROBER_TRIES) {
		if (pr->unwind)
			unwind_loader__forget(pr->unwind, pid, true);
		if (pr->python)
			python_loader__forget(pr->python, pid, true);
		return false;
	}
	/* out of memory: looked at no more, like a process past its tries */
	return !id_map__put(&pr->tries, (uint64_t)pid, (uint32_t)tries + 1);
}

void prober__forget(struct prober *pr, pid_t pid, bool exited)
{
	id_map__delete(&pr->tries, (uint64_t)pid);
	if (pr->unwind)
		unwind_loader__forget(pr->unwind, pid, exited);
	if (pr->python)
		python_loader__forget(pr->python, pid, exited);
}

/*
 * A libc file another process maps for the first time (-a), or a traced
 * process once it exec-ed into a new one: probed for every process, from
 * now. Calls made before this, within a poll interval, are not seen.
 */
static void probe_mapped_libc(struct prober *pr, pid_t pid, const struct proc_map *m)
{
	struct libc_image img = {};
	char open_path[PATH_MAX], shown[PATH_MAX];
	int err;

	if (!m->executable || !m->path || m->path[0] != '/' || !libc_locate__is_libc(m->path) ||
	    bpf_loader__probed(pr->l, -1, makedev(m->dev_major, m->dev_minor), m->inode,
			       PROBED_LIBC))
		return;
	if (proc_map__open_path(pid, m, open_path, sizeof(open_path)) ||
	    libc_locate__in_file(m->path, open_path, pr->cfg->probes_at_entry, &img))
		return;
	err = bpf_loader__attach_libc(pr->l, -1, &img);
	if (!err && pr->cfg->verbose)
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
 * drain counted as libc's malloc. -ENOMEM.
 */
static int probe_mapped_allocator(struct prober *pr, pid_t pid, const struct proc_map *m)
{
	/* the one mapping as maps: the process's do not have it yet */
	const struct proc_maps one = { .maps = (struct proc_map *)m, .n = 1 };
	struct allocator_set set = {};
	char shown[PATH_MAX];
	int err = 0;

	if (!m->executable || !m->path || m->path[0] != '/' ||
	    allocator_locate__in_mapping(pid, m, &set) || !set.nr_images)
		goto cleanup;
	if (!bpf_loader__probed(pr->l, bpf_loader__file_owner(pr->l, pid),
				makedev(m->dev_major, m->dev_minor), m->inode, PROBED_ALLOCATORS)) {
		err = bpf_loader__attach_allocators(pr->l, pid, &set);
		if (!err && pr->cfg->verbose)
			allocator_locate__describe(&set, pid, stderr);
		else if (err && err != -ENOENT)
			fprintf(stderr, "memtrace: cannot attach to %s in PID %d: %s\n",
				text_escape(m->path, shown, sizeof(shown)), pid, strerror(-err));
	}
	/* its libc is not in this mapping: the process's own are, when it joined */
	err = caller_table__add_process(bpf_loader__callers(pr->l), pid, &one, &set, NULL,
					pr->cfg->verbose);
cleanup:
	allocator_locate__release(&set);
	return err;
}

int prober__mapping(struct prober *pr, pid_t pid, const struct probe_target *ours,
		    const struct proc_map *m)
{
	if ((ours || pr->cfg->all) && config__scope(pr->cfg) != MT_SCOPE_PIDS)
		probe_mapped_libc(pr, pid, m);
	if (!ours)
		return 0;
	/* a GPU library dlopen-ed by a path not probed ahead */
	if (!pr->cfg->no_gpu)
		gpu_attach__mapping(pr->l, ours, m, pr->cfg->verbose);
	/* libjvm.so: the java launcher dlopens it after start */
	gc_probe__mapping(pr->l, ours, m, pr->cfg->verbose);
	if (pr->unwind && unwind_loader__mapping(pr->unwind, pid, m))
		return -ENOMEM;
	if (pr->python && python_loader__mapping(pr->python, pid, m))
		return -ENOMEM;
	return probe_mapped_allocator(pr, pid, m);
}

void prober__every_libc(struct prober *pr, pid_t pid)
{
	struct proc_maps maps = {};

	if (proc_maps__read(pid, &maps))
		return;
	for (size_t i = 0; i < maps.n; i++)
		probe_mapped_libc(pr, pid, &maps.maps[i]);
	proc_maps__release(&maps);
}

int prober__steps(struct prober *pr, pid_t pid, const struct proc_maps *maps, bool *attached)
{
	return step_probe__attach(pr->cfg->step_probe, pr->l, pid, maps, pr->cfg->verbose,
				  attached);
}

int prober__retry_steps(struct prober *pr, pid_t pid, bool *attached)
{
	return step_probe__retry(pr->cfg->step_probe, pr->l, pid, pr->cfg->verbose, attached);
}
