/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which files of a process get which probes, and when: the one owner of
 * attach policy. For a process (a -p target, a launched CMD before it
 * runs and at its startup stop, one a fork, exec or -a's first sight
 * made) and for a mapping a traced process makes (a dlopen-ed libc,
 * allocator, GPU library or libjvm), it finds the files (libc_locate,
 * allocator_locate, preload, gpu_attach, gc_probe, step_probe), attaches
 * through bpf_loader (returns before entries, each file once per owner)
 * and tells the kernel's table of call sites. What a process's record
 * must learn of it comes back in prober_found or through the
 * probe_target's hooks: the record is a later stage's.
 */
#ifndef MEMTRACE_PROBER_H
#define MEMTRACE_PROBER_H

#include <stdbool.h>
#include <sys/types.h>

#include "attach/allocator_locate.h"
#include "attach/bpf_loader.h"
#include "attach/libc_locate.h"
#include "attach/probe_target.h"
#include "attach/unwind_loader.h"
#include "symbolize/proc_maps.h"
#include "util/config.h"

/* Looks for a joined process's maps: an exec-ed image's come within a poll or two. */
#define PROBER_TRIES 20

struct prober;

/* A process's allocators, located and probed: libc's sites are its record's to report. */
struct prober_found {
	struct libc_image libc;
	struct allocator_set allocators;
};

/*
 * l and cfg outlive the prober. stacks: how stacks are taken (the
 * kernel unwinder's tables are the prober's to load, with the probes).
 */
int prober__new(struct bpf_loader *l, const struct mt_config *cfg, enum mt_stack_mode stacks,
		struct prober **out);
void prober__free(struct prober *pr);

/*
 * -p: the allocators of t (maps: its maps) located and probed, their call
 * sites told, t made a target. A process with no allocator at all, or
 * whose probes fail, is said on stderr; -ESRCH (unsaid) when it is gone.
 * Release *out with prober_found__release whatever the result.
 */
int prober__attach_pid(struct prober *pr, const struct probe_target *t,
		       const struct proc_maps *maps, struct prober_found *out);
/*
 * Launch mode, a static CMD before it runs: the allocators linked into
 * image (libc's malloc among them) probed for pid, which becomes a target.
 * Every failure has printed its line; release *out as above.
 */
int prober__attach_static(struct prober *pr, pid_t pid, const char *image,
			  struct prober_found *out);
/*
 * Launch mode, at CMD's startup stop (maps: read there): the preload
 * library's one site if CMD loaded *preload; else its libc and allocators
 * (unless libc_attached: a static CMD's), their call sites told, and
 * *preload, which did not load, freed and NULL. -EAGAIN while the loader
 * has not mapped a libc yet; any other failure has printed its line.
 */
int prober__attach_launched(struct prober *pr, pid_t pid, const struct proc_maps *maps,
			    bool libc_attached, char **preload, struct prober_found *found);
/* kernel-dwarf's tables (NULL under other --stack modes), for the snapshot. */
const struct unwind_loader *prober__unwind(const struct prober *pr);
/* -v: one line per probe site and allocator image. */
void prober__describe(const struct prober *pr, pid_t pid, const struct prober_found *found);
void prober_found__release(struct prober_found *found);

/*
 * A process attached or launched, its record made: its unwind tables
 * loaded (kernel-dwarf), its GPU libraries (unless --no-gpu) and its
 * runtime's collections probed.
 */
void prober__process(struct prober *pr, const struct probe_target *t,
		     const struct proc_maps *maps);
/*
 * A process that joined while tracing, its maps read: its allocators
 * probed where no probe covers them yet (not for a forked child: its files
 * are its parent's), its unwind tables loaded, its runtime's collections
 * and its GPU libraries probed. A libc probed for it now is handed over in
 * *libc (left empty otherwise). -ENOMEM.
 */
int prober__joined(struct prober *pr, const struct probe_target *t, const struct proc_maps *maps,
		   bool forked, struct libc_image *libc);
/*
 * Whether a joined process whose maps have not come yet is to be looked
 * at again: PROBER_TRIES times, until prober__forget.
 */
bool prober__try_again(struct prober *pr, pid_t pid);
/* pid's record ended (exit, exec): a new image under it starts afresh. */
void prober__forget(struct prober *pr, pid_t pid, bool exited);

/*
 * A mapping pid made: a libc is probed for every process (outside -p,
 * when pid is ours or under -a); and for ours (NULL: not a traced
 * process's), a GPU library, a runtime library and another allocator.
 * -ENOMEM.
 */
int prober__mapping(struct prober *pr, pid_t pid, const struct probe_target *ours,
		    const struct proc_map *m);
/* -a: every libc pid maps now, probed for every process. */
void prober__every_libc(struct prober *pr, pid_t pid);
/*
 * --step-probe for pid (maps: its maps; step_probe.h): *attached set once
 * it is in. A negative errno, said, ends tracing.
 */
int prober__steps(struct prober *pr, pid_t pid, const struct proc_maps *maps, bool *attached);
/* The same for a live process still without it, its maps read again: quiet while unmapped. */
int prober__retry_steps(struct prober *pr, pid_t pid, bool *attached);

#endif /* MEMTRACE_PROBER_H */
