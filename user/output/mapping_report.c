// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/mapping_accounting.h"
#include "output/mapping_report.h"
#include "util/units.h"

static void write_stats(const char *lead, const struct mapping_stats *st, FILE *out)
{
	char live[UNITS_BUF], peak[UNITS_BUF], heap[UNITS_BUF], hpeak[UNITS_BUF], file[UNITS_BUF];

	fprintf(out,
		"%sMappings: anon current %s, peak %s | brk heap %s, peak %s | files mapped %s | "
		"%llu mmap, %llu munmap, %llu mremap, %llu brk\n",
		lead, units__bytes(st->anon_live_bytes, live),
		units__bytes(st->anon_peak_bytes, peak), units__bytes(st->brk_bytes, heap),
		units__bytes(st->brk_peak_bytes, hpeak), units__bytes(st->file_mapped_bytes, file),
		(unsigned long long)st->mmap_calls, (unsigned long long)st->munmap_calls,
		(unsigned long long)st->mremap_calls, (unsigned long long)st->brk_calls);
}

void mapping_report__write_totals(const struct tracker *t, FILE *out)
{
	struct mapping_stats sum;

	tracker__mapping_totals(t, &sum);
	if (!(sum.mmap_calls + sum.munmap_calls + sum.mremap_calls + sum.brk_calls))
		return;
	write_stats("", &sum, out);
	fprintf(out, "  (mmap/brk system calls, not in the counts above: "
		     "malloc's own mmap and brk blocks are in both)\n");
}

void mapping_report__write_line(const struct mt_process *p, FILE *out)
{
	if (p->mappings)
		write_stats("  ", &p->mappings->stats, out);
}
