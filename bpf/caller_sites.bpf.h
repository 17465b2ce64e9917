/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who called the allocator, told by the return address at its entry: the
 * word at the stack pointer, looked up in a table user space fills with the
 * call sites that matter (user/attach/caller_table.c), for every traced process
 * alike. A forked child shares its parent's addresses, and under -p the
 * probes fire only in the target, so the address alone is the key.
 *
 * libstdc++'s operator new is not probed: a probe on it would cost a trap
 * on top of its malloc's, and a return probe would keep the bad_alloc it
 * throws from unwinding. Its malloc's entry sees the return address into
 * operator new instead, and finds in its frame, by offsets its CFI gives,
 * the return address into the program and the program's %rbp: the call
 * counts as C++'s and its stack starts at operator new's caller. operator
 * new's tail calls (new[] jumps to new) leave no frame; its nested calls
 * (nothrow new calls new) are climbed one level each.
 */
#ifndef MEMTRACE_CALLER_SITES_BPF_H
#define MEMTRACE_CALLER_SITES_BPF_H

#include "stack.bpf.h"

/* nothrow new calling new is two: room for a wrapper of the program's own beside */
#define CXX_NEW_MAX_LEVELS 4

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_CALLER_SITES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct mt_caller_site);
} caller_sites SEC(".maps");

/*
 * Moves s from the allocator's caller up past every operator new level:
 * true when there was one (the call is C++'s). Each level's saved %rbp is
 * taken before its offsets are applied, as the base may be %rbp itself.
 */
static __always_inline bool caller_site__climb_cxx(struct stack_start *s)
{
	const struct mt_caller_site *site;
	__u64 base, word;
	bool cxx = false;

	for (int i = 0; i < CXX_NEW_MAX_LEVELS; i++) {
		site = bpf_map_lookup_elem(&caller_sites, &s->ret);
		if (!site || site->kind != MT_CALLER_CXX_NEW)
			break;
		cxx = true;
		base = site->flags & MT_CALLER_F_FROM_RBP ? s->fp : s->sp;
		if (site->rbp_at != MT_CALLER_RBP_KEPT) {
			word = 0;
			bpf_probe_read_user(&word, sizeof(word),
					    (void *)(base + (__s64)site->rbp_at));
			s->fp = word;
		}
		s->sp = base + (__s64)site->caller_at;
		word = 0;
		bpf_probe_read_user(&word, sizeof(word), (void *)s->sp);
		s->ret = word;
		s->skip++;
	}
	return cxx;
}

/* A free glibc makes at a thread's exit, of chunks its cache held: not the program's. */
static __always_inline bool caller_site__is_freeres(struct pt_regs *ctx)
{
	const struct mt_caller_site *site;
	__u64 ret = 0;

	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx)))
		return false;
	site = bpf_map_lookup_elem(&caller_sites, &ret);
	return site && site->kind == MT_CALLER_FREERES;
}

#endif /* MEMTRACE_CALLER_SITES_BPF_H */
