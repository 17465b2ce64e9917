// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "output/mapping_snapshot.h"

static const struct mapping_stats no_stats;

static void write_stats(const struct mapping_stats *st, struct json_writer *w)
{
	json_writer__key(w, "mappings");
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "anon_live_bytes", st->anon_live_bytes);
	json_writer__kv_u64(w, "anon_peak_bytes", st->anon_peak_bytes);
	json_writer__kv_u64(w, "anon_mapped_bytes", st->anon_mapped_bytes);
	json_writer__kv_u64(w, "anon_unmapped_bytes", st->anon_unmapped_bytes);
	json_writer__kv_u64(w, "file_live_bytes", st->file_live_bytes);
	json_writer__kv_u64(w, "file_mapped_bytes", st->file_mapped_bytes);
	json_writer__kv_u64(w, "file_unmapped_bytes", st->file_unmapped_bytes);
	json_writer__kv_u64(w, "shared_mapped_bytes", st->shared_mapped_bytes);
	json_writer__kv_u64(w, "brk_bytes", st->brk_bytes);
	json_writer__kv_u64(w, "brk_peak_bytes", st->brk_peak_bytes);
	json_writer__kv_u64(w, "brk_grown_bytes", st->brk_grown_bytes);
	json_writer__kv_u64(w, "brk_shrunk_bytes", st->brk_shrunk_bytes);
	json_writer__kv_u64(w, "mmap_calls", st->mmap_calls);
	json_writer__kv_u64(w, "munmap_calls", st->munmap_calls);
	json_writer__kv_u64(w, "mremap_calls", st->mremap_calls);
	json_writer__kv_u64(w, "brk_calls", st->brk_calls);
	json_writer__kv_u64(w, "failed_calls", st->failed_calls);
	json_writer__kv_u64(w, "untracked_bytes", st->untracked_bytes);
	json_writer__end_object(w);
}

void mapping_snapshot__write_totals(const struct tracker *t, struct json_writer *w)
{
	struct mapping_stats sum;

	tracker__mapping_totals(t, &sum);
	write_stats(&sum, w);
}

void mapping_snapshot__write_process(const struct mt_process *p, struct json_writer *w)
{
	write_stats(p->mappings ? &p->mappings->stats : &no_stats, w);
}
