/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live blocks of one process, keyed by address: open addressing with
 * linear probing and backward-shift deletion (no tombstones), 32 bytes a
 * slot, two to a cache line. Growing, the table stays between 1/2 and 3/4
 * full (43 to 64 bytes a live block); after removals, at least 3/8 full (at
 * most 85.4 bytes a block). Nothing is allocated per block.
 *
 * Every allocator call finds, inserts or deletes a block: those are inline,
 * resizing is not. The last slot stays empty: it ends every probe loop
 * without a bounds check, and a loop that stops there goes on at slot 0.
 */
#ifndef MEMTRACE_ALLOC_TABLE_H
#define MEMTRACE_ALLOC_TABLE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALLOC_TABLE_MIN_CAP 1024

struct live_block {
	uint64_t addr;		/* 0: empty slot */
	uint64_t size;		/* requested bytes */
	uint64_t ts_ns;		/* allocation time, CLOCK_MONOTONIC */
	uint32_t stack;		/* index in the stack table (0: none) */
	/* 24 bits: the slot stays 32 bytes, and 16 million threads is more than a process gets */
	uint32_t thread : 24;	/* index of the allocating thread in its process */
	uint32_t allocator : 8;	/* enum mt_allocator: whose live bytes it is */
};

struct alloc_table {
	struct live_block *slots;
	size_t cap;	/* slots, the end sentinel included: whole pages; or 0 */
	size_t n;
};

/* Makes room for one more block; -ENOMEM. */
int alloc_table__grow(struct alloc_table *t);
/* Gives memory back: called once the table is under 3/8 full. */
void alloc_table__shrink(struct alloc_table *t);
/* Removes addr; true (and *out when not NULL) if it was live. */
bool alloc_table__remove(struct alloc_table *t, uint64_t addr, struct live_block *out);
void alloc_table__release(struct alloc_table *t);
/* Bytes of memory the table itself holds. */
size_t alloc_table__memory(const struct alloc_table *t);

/*
 * Where addr's probe chain starts. Fibonacci hashing spreads a heap's
 * evenly spaced addresses; the high half of hash * slots maps it onto any
 * number of slots, so the table can grow by 1.5x, not only double.
 */
static inline struct live_block *alloc_table__home(const struct alloc_table *t, uint64_t addr)
{
	uint64_t hash = addr * 0x9e3779b97f4a7c15ULL;

	return t->slots + (size_t)(((unsigned __int128)hash * (t->cap - 1)) >> 64);
}

/*
 * Starts loading addr's slot and the next one (a probe or a backward shift
 * usually reads it, and half the time it is on the next cache line): a
 * find or insert soon after waits less for memory. Not __builtin_prefetch:
 * GCC 12 at -O2 drops it from this function once inlined; an asm volatile
 * always stays (memtrace is x86-64 only).
 */
static inline void alloc_table__prefetch(const struct alloc_table *t, uint64_t addr)
{
	if (t->cap) {
		/* at most the empty last slot: still inside the table */
		const struct live_block *home = alloc_table__home(t, addr);

		__asm__ volatile("prefetcht0 %0" : : "m"(home[0]));
		__asm__ volatile("prefetcht0 %0" : : "m"(home[1]));
	}
}

/* The slot holding addr, or else the empty slot that ends its probe chain. */
static inline struct live_block *alloc_table__probe(const struct alloc_table *t, uint64_t addr)
{
	struct live_block *s = alloc_table__home(t, addr);

	while (s->addr && s->addr != addr)
		s++;
	if (s == t->slots + t->cap - 1) {
		/* the chain goes on round the end; some slot is always empty */
		for (s = t->slots; s->addr && s->addr != addr; s++)
			;
	}
	return s;
}

static inline struct live_block *alloc_table__find(const struct alloc_table *t, uint64_t addr)
{
	struct live_block *s;

	if (!t->n || !addr)
		return NULL;
	s = alloc_table__probe(t, addr);
	return s->addr ? s : NULL;
}

/*
 * Inserts b. If b->addr is already live, the old block is copied to
 * *displaced (when not NULL), replaced, and 1 is returned. 0 when new,
 * -ENOMEM, -EINVAL for address 0.
 */
static inline int alloc_table__insert(struct alloc_table *t, const struct live_block *b,
				      struct live_block *displaced)
{
	struct live_block *s;

	if (!b->addr)
		return -EINVAL;
	/* past 3/4 full, grow by half: over 1/2 full again */
	if ((t->n + 1) * 4 > t->cap * 3) {
		int err = alloc_table__grow(t);

		if (err)
			return err;
	}
	s = alloc_table__probe(t, b->addr);
	if (s->addr) {
		if (displaced)
			*displaced = *s;
		*s = *b;
		return 1;
	}
	*s = *b;
	t->n++;
	return 0;
}

/* Removes b, which alloc_table__find just returned. */
static inline void alloc_table__delete(struct alloc_table *t, struct live_block *b)
{
	struct live_block *hole = b, *s = b, *end = t->slots + t->cap - 1;

	/* backward shift: pull later members of the probe chain into the hole */
	for (;;) {
		struct live_block *home;

		if (!(++s)->addr) {
			if (s != end || !t->slots[0].addr)
				break;
			s = t->slots;
		}
		home = alloc_table__home(t, s->addr);
		/* movable unless its home lies cyclically in (hole, s] */
		if (hole < s ? home <= hole || home > s : home <= hole && home > s) {
			*hole = *s;
			hole = s;
		}
	}
	hole->addr = 0;
	t->n--;
	/* under 3/8 full */
	if (t->n * 8 < t->cap * 3 && t->cap > ALLOC_TABLE_MIN_CAP)
		alloc_table__shrink(t);
}

#define alloc_table__for_each(t, b)                                                         \
	for (struct live_block *b = (t)->slots; (t)->slots && b < (t)->slots + (t)->cap; b++) \
		if (b->addr)

#endif /* MEMTRACE_ALLOC_TABLE_H */
