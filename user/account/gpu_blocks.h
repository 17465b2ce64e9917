/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live GPU blocks of one process, keyed by (address space, address).
 * Apart from the host blocks (mt_process.live): a device pointer, a VMM
 * handle and a host pointer are different things that may be equal
 * numerically, and a GPU block carries its kind, API and device, which a
 * host block has no room for (struct live_block stays 32 bytes).
 *
 * GPU memory calls are rare (thousands of live blocks, not millions), so
 * this is a plain power-of-two open-addressing table with linear probing
 * and backward-shift deletion, out of line, that never shrinks.
 */
#ifndef MEMTRACE_GPU_BLOCKS_H
#define MEMTRACE_GPU_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Which addresses can name the same block. Device, managed, pinned and
 * async pointers share one unified address space, so any of their frees
 * finds any of them; the VMM's handles, mapped ranges and reserved ranges
 * each have their own.
 */
enum gpu_space {
	GPU_SPACE_POINTER,	/* device, managed, pinned and async blocks */
	GPU_SPACE_PHYSICAL,	/* cuMemCreate's handles */
	GPU_SPACE_MAPPED,	/* cuMemMap's ranges, by start address */
	GPU_SPACE_RESERVED,	/* cuMemAddressReserve's ranges, by start address */
};

struct gpu_block {
	uint64_t addr;		/* pointer, or handle; 0: empty slot */
	uint64_t size;		/* requested bytes */
	uint64_t ts_ns;		/* allocation time, CLOCK_MONOTONIC */
	uint32_t stack;		/* index in the stack table (0: none) */
	uint32_t thread;	/* index of the allocating thread in its process */
	int32_t device;		/* MT_GPU_DEVICE_UNKNOWN when not known */
	uint8_t space;		/* enum gpu_space */
	uint8_t kind;		/* enum gpu_kind */
	uint8_t api;		/* enum gpu_api */
};

struct gpu_blocks {
	struct gpu_block *slots;
	size_t cap;		/* power of two, or 0 before the first insert */
	size_t n;
};

/*
 * Inserts b. When (b->space, b->addr) is already live the old block is
 * copied to *replaced (when not NULL), replaced, and 1 is returned; 0 when
 * new; -ENOMEM; -EINVAL for address 0.
 */
int gpu_blocks__insert(struct gpu_blocks *t, const struct gpu_block *b, struct gpu_block *replaced);
/* The live block, or NULL. */
struct gpu_block *gpu_blocks__find(const struct gpu_blocks *t, uint8_t space, uint64_t addr);
/* Removes the block; true (and *out when not NULL) if it was live. */
bool gpu_blocks__remove(struct gpu_blocks *t, uint8_t space, uint64_t addr, struct gpu_block *out);
void gpu_blocks__release(struct gpu_blocks *t);

#define gpu_blocks__for_each(t, b)                                                          \
	for (const struct gpu_block *b = (t)->slots; (t)->slots && b < (t)->slots + (t)->cap; \
	     b++)                                                                            \
		if (b->addr)

#endif /* MEMTRACE_GPU_BLOCKS_H */
