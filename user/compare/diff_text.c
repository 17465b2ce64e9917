// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>

#include "compare/diff_format.h"
#include "compare/diff_report.h"
#include "util/text_escape.h"

/* what the totals table shows: every metric but the one only a pair of snapshots has */
static void write_totals(const struct diff *d, FILE *out)
{
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF];
	uint64_t before, after;

	fprintf(out, "%-20s %14s %14s  %s\n", "Totals", "before", "after", "change");
	for (int m = 0; m < METRIC_COUNT; m++) {
		bool bytes = metric__is_bytes(m);

		if (m == METRIC_NEW_LEAK_SITES)
			continue;
		diff__values(d, m, METRIC_TOTALS, &before, &after);
		fprintf(out, "  %-18s %14s %14s  %s\n", metric__name(m),
			diff_format__value(bytes, before, b), diff_format__value(bytes, after, a),
			diff_format__change(bytes, before, after, c));
	}
}

static void write_processes(const struct diff *d, FILE *out)
{
	static const struct {
		enum metric m;
		const char *name;
	} shown[] = {
		{ METRIC_PEAK_BYTES, "peak" },
		{ METRIC_CURRENT_BYTES, "current" },
		{ METRIC_ALLOCS, "allocs" },
		{ METRIC_LEAK_BYTES, "leaks" },
	};
	char label[1200], escaped[sizeof(label) * TEXT_ESCAPE_RATIO], c[FORMAT_BUF];
	uint64_t before, after;

	fprintf(out, "\nProcesses (changes)\n");
	for (size_t p = 0; p < d->nr_pairs; p++) {
		diff__pair_label(d, p, label, sizeof(label));
		fprintf(out, "  %s:", text_escape(label, escaped, sizeof(escaped)));
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
			bool bytes = metric__is_bytes(shown[i].m);

			diff__values(d, shown[i].m, p, &before, &after);
			fprintf(out, "%s %s %s", i ? ";" : "", shown[i].name,
				diff_format__change(bytes, before, after, c));
		}
		fputc('\n', out);
	}
}

static void write_allocators(const struct diff *d, FILE *out)
{
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF], name[256];

	fprintf(out, "\nLeaks by allocator\n");
	for (size_t i = 0; i < d->nr_allocators; i++) {
		const struct diff_allocator *k = &d->allocators[i];

		fprintf(out, "  %s: %s in %llu -> ", text_escape(k->name, name, sizeof(name)),
			diff_format__value(true, k->before_bytes, b),
			(unsigned long long)k->before_count);
		fprintf(out, "%s in %llu blocks (%s)\n",
			diff_format__value(true, k->after_bytes, a),
			(unsigned long long)k->after_count,
			diff_format__change(true, k->before_bytes, k->after_bytes, c));
	}
}

static void write_site(const struct diff *d, const struct diff_site *s, FILE *out)
{
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF], leaf[512], label[1200];
	char before[2 * FORMAT_BUF], after[2 * FORMAT_BUF], shown[sizeof(label) * TEXT_ESCAPE_RATIO];

	snprintf(before, sizeof(before), "%s (%llu)",
		 diff_format__value(true, diff_site__before(s), b),
		 (unsigned long long)(s->before ? s->before->count : 0));
	snprintf(after, sizeof(after), "%s (%llu)",
		 diff_format__value(true, diff_site__after(s), a),
		 (unsigned long long)(s->after ? s->after->count : 0));
	fprintf(out, "  %-9s %-20s %16s -> %-16s %s", site_status__name(s->status),
		diff_format__change(true, diff_site__before(s), diff_site__after(s), c), before,
		after,
		text_escape(diff_format__leaf(diff_site__site(s), leaf, sizeof(leaf)), shown,
			    sizeof(shown)));
	/* one process needs no naming; ranks do */
	if (d->nr_pairs > 1) {
		diff__pair_label(d, s->pair, label, sizeof(label));
		fprintf(out, "  in %s", text_escape(label, shown, sizeof(shown)));
	}
	fputc('\n', out);
}

static void write_sites(const struct diff *d, unsigned int top, FILE *out)
{
	size_t changed = d->nr_sites - d->by_status[SITE_SAME], shown = 0;

	if (d->depth)
		fprintf(out, "\nLeak sites (by allocator and %u leaf frames): ", d->depth);
	else
		fprintf(out, "\nLeak sites (by allocator and whole stack): ");
	fprintf(out, "%zu new, %zu gone, %zu grown, %zu shrunk, %zu unchanged\n",
		d->by_status[SITE_NEW], d->by_status[SITE_GONE], d->by_status[SITE_GROWN],
		d->by_status[SITE_SHRUNK], d->by_status[SITE_SAME]);
	if (changed)
		fprintf(out, "  %-9s %-20s %16s -> %-16s %s\n", "status", "change",
			"before (blocks)", "after (blocks)", "leaf frame");
	for (size_t i = 0; i < d->nr_sites && (!top || shown < top); i++) {
		if (d->sites[i].status == SITE_SAME)
			continue;
		write_site(d, &d->sites[i], out);
		shown++;
	}
	if (shown < changed)
		fprintf(out, "  ... %zu more changed sites (--top)\n", changed - shown);
}

int diff_text__write(const struct diff *d, const struct rule_results *rules, unsigned int top,
		     FILE *out)
{
	fputs("memtrace diff: ", out);
	text_escape__fputs(d->base->path, out);
	fputs(" -> ", out);
	text_escape__fputs(d->new->path, out);
	fputs("\n\n", out);
	write_totals(d, out);
	write_processes(d, out);
	write_allocators(d, out);
	write_sites(d, top, out);
	if (rules)
		fprintf(out, "\nRules: %zu checked, %zu broken\n", rules->n, rules->nr_broken);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
