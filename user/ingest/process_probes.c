// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/gc_stats.h"
#include "account/gpu_accounting.h"
#include "ingest/process_probes.h"
#include "util/mono_clock.h"

static int add_gpu_library(void *record, const char *path)
{
	return gpu_accounting__add_library(record, path);
}

static int count_collections(void *record, enum mt_gc_runtime runtime, const char *path)
{
	struct mt_process *p = record;

	gc_stats__free(p->gc);
	p->gc = gc_stats__new(runtime, path);
	return p->gc ? 0 : -ENOMEM;
}

struct probe_target process_probes__target(struct mt_process *p)
{
	return (struct probe_target){
		.pid = (pid_t)p->pid,
		.comm = p->comm,
		.exe = p->exe,
		.has_gc = p->gc != NULL,
		.gpu_library = add_gpu_library,
		.gc_probed = count_collections,
		.record = p,
	};
}

int process_probes__keep_libc(struct mt_process *p, struct libc_image *img)
{
	if (!img->path)
		return 0;
	libc_locate__free(p->libc);
	p->libc = libc_locate__take(img);
	return p->libc ? 0 : -ENOMEM;
}

/*
 * The exec-ed child's record. Its comm may not be set yet when the exec
 * is seen to succeed, so name it the way the kernel will.
 */
static struct mt_process *register_child(struct tracker *t, struct launched *child)
{
	struct mt_process *p = tracker__add_process(t, (uint32_t)child->pid);
	const char *base = strrchr(child->exec_path, '/');
	char *exe;

	if (!p)
		return NULL;
	snprintf(p->comm, sizeof(p->comm), "%s", base ? base + 1 : child->exec_path);
	exe = realpath(child->exec_path, NULL);
	if (exe) {
		free(p->exe);
		p->exe = exe;
	}
	if (process_probes__keep_libc(p, &child->found.libc))
		return NULL;
	if (child->preload) {
		free(p->preload);
		p->preload = child->preload;
		child->preload = NULL;
	}
	return p;
}

int process_probes__launched(struct tracker *t, struct prober *pr, struct launched *child,
			     struct proc_maps *maps)
{
	struct mt_process *p = register_child(t, child);
	struct probe_target target;

	if (!p)
		return -ENOMEM;
	proc_maps__release(&p->maps);
	p->maps = *maps;
	p->maps_gen++;
	/* read at the stop: the mapping records of its exec, drained later, keep them */
	p->maps_read_ns = mono_clock__ns();
	*maps = (struct proc_maps){};
	/* stopped: no GPU call or step can run before its probe is in */
	target = process_probes__target(p);
	prober__process(pr, &target, &p->maps);
	return prober__steps(pr, (pid_t)p->pid, &p->maps, &p->step_probe_attached);
}
