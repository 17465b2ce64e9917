// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "output/top_batch.h"

static void write_row(const char *kind, const struct top_row *r, bool thread, FILE *out)
{
	char buf[64];

	fputs(kind, out);
	for (size_t i = 0; i < top_nr_row_columns; i++) {
		const struct top_column *c = &top_row_columns[i];

		if (c->threads_only && !thread)
			continue;
		fprintf(out, "\t%s", top_model__row_value(c, r, true, buf, sizeof(buf)));
	}
	/* the screen hides them (e shows them); a script is told */
	fprintf(out, "\t%d\n", r->ended);
}

static int by_live(const void *a, const void *b, void *ctx)
{
	const struct top_site *s = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (s[i].live != s[j].live)
		return s[i].live < s[j].live ? 1 : -1;
	return (i > j) - (i < j);
}

static int write_sites(const struct top_model *m, size_t max_sites, FILE *out)
{
	const struct top_site *s = m->sites.items;
	size_t *order = calloc(m->sites.n ? m->sites.n : 1, sizeof(*order));
	char buf[64];

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < m->sites.n; i++)
		order[i] = i;
	if (m->sites.n)
		qsort_r(order, m->sites.n, sizeof(*order), by_live, (void *)s);
	for (size_t i = 0; i < m->sites.n && i < max_sites; i++) {
		const struct top_site *site = &s[order[i]];

		fprintf(out, "site\t%u\t%llu\t%llu\t%s\t%s\t%s\n", site->pid,
			(unsigned long long)site->live, (unsigned long long)site->blocks,
			top_model__site_value(site, TOP_SITE_GROWTH, true, buf, sizeof(buf)),
			site->allocator, site->name);
	}
	free(order);
	return 0;
}

int top_batch__write(const struct top_model *m, size_t max_sites, FILE *out)
{
	const struct top_row *p = m->procs.items, *t = m->threads.items;
	int err;

	fprintf(out, "frame\t%llu\t%.3f\t%u\t%u\t%llu\t%llu\t%llu\n", (unsigned long long)m->frames,
		m->totals.elapsed_s, m->totals.processes, m->totals.running,
		(unsigned long long)m->totals.host_live, (unsigned long long)m->totals.gpu_live,
		(unsigned long long)m->totals.lost);
	for (size_t i = 0; i < m->procs.n; i++)
		write_row("process", &p[i], false, out);
	for (size_t i = 0; i < m->threads.n; i++)
		write_row("thread", &t[i], true, out);
	err = write_sites(m, max_sites, out);
	fputs("end\n", out);
	if (fflush(out) && !err)
		err = -errno;
	return err;
}
