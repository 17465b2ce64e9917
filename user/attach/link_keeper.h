/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process that owns every uprobe. The kernel writes a probed
 * instruction back into the target only if the task removing the probe has
 * no fatal signal pending; otherwise it logs "failed to unregister, leaking
 * uprobe" and the breakpoint stays in the target for the rest of its life
 * (measured: a malloc+free pair 1000x slower). Registering fails the same
 * way half-way. So memtrace itself never registers or removes a uprobe: a
 * process of its own, the keeper (comm "memtrace-keeper"), in a session of
 * its own and ignoring every signal that can be ignored, creates each link
 * on request and, when memtrace's end of their socket closes (memtrace
 * finished, exited, crashed or was killed: the kernel closes it in every
 * case), removes them all and exits. memtrace does not wait for that.
 */
#ifndef MEMTRACE_LINK_KEEPER_H
#define MEMTRACE_LINK_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_object;
struct link_keeper;

/*
 * Starts the keeper with obj loaded: it uses obj's programs by name. multi:
 * the uprobe programs were loaded for uprobe_multi links (uprobe_multi.h);
 * else each offset gets a perf-event link of its own. Call before memtrace
 * starts a thread: the keeper is forked.
 */
int link_keeper__start(struct bpf_object *obj, bool multi, struct link_keeper **out);

/* The keeper's PID, which the BPF side must not trace as a process of its own. */
pid_t link_keeper__pid(const struct link_keeper *k);

/*
 * Program prog (obj's name) at n offsets of path, for pid (-1: every
 * process mapping the file), entry or return probes. Returns once the
 * probes are in, or a negative errno (-EPIPE: the keeper is gone).
 */
int link_keeper__attach(struct link_keeper *k, const char *prog, pid_t pid, const char *path,
			const uint64_t *offsets, size_t n, bool retprobe);

/* A USDT probe provider:name in path for pid, to program prog (libbpf's USDT support). */
int link_keeper__attach_usdt(struct link_keeper *k, const char *prog, pid_t pid,
			     const char *path, const char *provider, const char *name);

/*
 * Launch mode when CMD is stopped with SIGSTOP (no ptrace): should memtrace
 * end before it continues CMD, the keeper continues it once the probes are
 * out. pidfd -1 forgets it. The keeper keeps its own copy of pidfd.
 */
int link_keeper__guard_stopped(struct link_keeper *k, int pidfd);

/*
 * Hands the removal of every probe to the keeper and forgets it: the
 * keeper removes them (in parallel) and exits on its own. NULL-safe.
 */
void link_keeper__finish(struct link_keeper *k);

#endif /* MEMTRACE_LINK_KEEPER_H */
