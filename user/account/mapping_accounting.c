// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "account/mapping_accounting.h"

/* the kernel's values, for mmap's flags and mremap's */
#define MREMAP_DONTUNMAP_FLAG 4
/* a syscall's -errno, as an unsigned long seen from user space */
#define MAX_ERRNO 4095

struct mapping_state *mapping_accounting__new(void)
{
	struct mapping_state *ms = calloc(1, sizeof(*ms));

	if (ms)
		mapping_table__init(&ms->table, MAPPING_TABLE_MAX);
	return ms;
}

void mapping_accounting__free(struct mapping_state *ms)
{
	if (!ms)
		return;
	mapping_table__release(&ms->table);
	free(ms);
}

static bool failed(int64_t result)
{
	return result < 0 && result >= -MAX_ERRNO;
}

static uint64_t pages(uint64_t len, uint64_t page_size)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static void raise_peak(uint64_t *peak, uint64_t v)
{
	if (v > *peak)
		*peak = v;
}

static int unmap_range(struct mapping_state *ms, uint64_t start, uint64_t len)
{
	uint64_t removed[MAPPING_KIND_COUNT] = {};
	struct mapping_stats *st = &ms->stats;
	int err;

	err = mapping_table__remove(&ms->table, start, start + len, removed);
	/* a full table that cannot cut: the range stays counted, as it stays known */
	if (err == -ENOSPC)
		return 0;
	if (err)
		return err;
	st->anon_live_bytes -= removed[MAPPING_ANON];
	st->anon_unmapped_bytes += removed[MAPPING_ANON];
	st->file_live_bytes -= removed[MAPPING_FILE];
	st->file_unmapped_bytes += removed[MAPPING_FILE];
	return 0;
}

/* What was at the range before goes first: MAP_FIXED and MREMAP_FIXED replace it. */
static int map_range(struct mapping_state *ms, uint64_t start, uint64_t len, enum mapping_kind kind)
{
	struct mapping_stats *st = &ms->stats;
	int err = unmap_range(ms, start, len);

	if (!err)
		err = mapping_table__add(&ms->table, start, start + len, kind);
	if (err == -ENOSPC) {
		st->untracked_bytes += len;
		return 0;
	}
	if (err)
		return err;
	if (kind == MAPPING_ANON) {
		st->anon_mapped_bytes += len;
		st->anon_live_bytes += len;
		raise_peak(&st->anon_peak_bytes, st->anon_live_bytes);
	} else {
		st->file_mapped_bytes += len;
		st->file_live_bytes += len;
	}
	return 0;
}

static int apply_mmap(struct mapping_state *ms, const struct mt_mmap_event *e, uint64_t page)
{
	uint64_t len = pages(e->len, page);
	int err;

	ms->stats.mmap_calls++;
	if (failed(e->result)) {
		ms->stats.failed_calls++;
		return 0;
	}
	err = map_range(ms, (uint64_t)e->result, len,
			e->backing & MT_MMAP_B_ANON ? MAPPING_ANON : MAPPING_FILE);
	if (!err && (e->backing & MT_MMAP_B_SHARED))
		ms->stats.shared_mapped_bytes += len;
	return err;
}

/* Recorded at entry, before the kernel judged it: what it would refuse changes nothing. */
static int apply_munmap(struct mapping_state *ms, const struct mt_mmap_event *e, uint64_t page)
{
	ms->stats.munmap_calls++;
	if ((e->addr & (page - 1)) || !e->len) {
		ms->stats.failed_calls++;
		return 0;
	}
	return unmap_range(ms, e->addr, pages(e->len, page));
}

static int apply_mremap(struct mapping_state *ms, const struct mt_mmap_event *e, uint64_t page)
{
	uint64_t old_len = pages(e->old_len, page), new_len = pages(e->len, page);
	uint64_t to = (uint64_t)e->result;
	int kind, err;

	ms->stats.mremap_calls++;
	if (failed(e->result)) {
		ms->stats.failed_calls++;
		return 0;
	}
	kind = mapping_table__kind_at(&ms->table, e->old_addr);
	if (to == e->old_addr) {
		if (new_len < old_len)
			return unmap_range(ms, to + new_len, old_len - new_len);
		/* grown in place: the new tail is of the old range's kind, if we know it */
		if (kind < 0)
			return 0;
		return map_range(ms, to + old_len, new_len - old_len, kind);
	}
	if (!(e->flags & MREMAP_DONTUNMAP_FLAG)) {
		err = unmap_range(ms, e->old_addr, old_len);
		if (err)
			return err;
	}
	/* a range mapped before tracing moved: it still replaces what was at its target */
	if (kind < 0)
		return unmap_range(ms, to, new_len);
	return map_range(ms, to, new_len, kind);
}

/* The break moves by exactly what was asked: brk rounds only the pages behind it. */
static void apply_brk(struct mapping_state *ms, const struct mt_mmap_event *e)
{
	struct mapping_stats *st = &ms->stats;
	uint64_t before = e->old_addr > e->brk_start ? e->old_addr - e->brk_start : 0;
	uint64_t after =
		(uint64_t)e->result > e->brk_start ? (uint64_t)e->result - e->brk_start : 0;

	st->brk_calls++;
	/* brk answers a refusal with the break unchanged, not with an error */
	if (e->addr && (uint64_t)e->result != e->addr)
		st->failed_calls++;
	if (after > before)
		st->brk_grown_bytes += after - before;
	else
		st->brk_shrunk_bytes += before - after;
	st->brk_bytes = after;
	raise_peak(&st->brk_peak_bytes, after);
}

int mapping_accounting__apply(struct mapping_state *ms, const struct mt_mmap_event *e,
			      uint64_t page_size)
{
	switch (e->op) {
	case MT_MMAP_OP_MMAP:
		return apply_mmap(ms, e, page_size);
	case MT_MMAP_OP_MUNMAP:
		return apply_munmap(ms, e, page_size);
	case MT_MMAP_OP_MREMAP:
		return apply_mremap(ms, e, page_size);
	case MT_MMAP_OP_BRK:
		apply_brk(ms, e);
		return 0;
	}
	return 0;
}

void mapping_accounting__sum(struct mapping_stats *into, const struct mapping_stats *from)
{
	const uint64_t *src = (const uint64_t *)from;
	uint64_t *dst = (uint64_t *)into;

	/* every field is a uint64_t count: summed alike */
	for (size_t i = 0; i < sizeof(*from) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

int mapping_accounting__record(struct mapping_state **ms, const struct mt_mmap_event *e)
{
	static uint64_t page_size;

	if (!*ms && !(*ms = mapping_accounting__new()))
		return -ENOMEM;
	if (!page_size)
		page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	return mapping_accounting__apply(*ms, e, page_size);
}
