// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace diff --format html: the diff's table and a flame graph of the
 * new snapshot's stacks, each box coloured by how much its stacks grew or
 * shrank against the base (the page's script sums the sites' before and
 * after per box). The same page and script as the report (html_page.c).
 */
#include <errno.h>
#include <stdio.h>

#include "render/html.h"
#include "render/html_data.h"

static void write_totals(const struct diff *d, struct json_writer *w)
{
	uint64_t before, after;

	json_writer__key(w, "totals");
	json_writer__begin_array(w);
	for (int m = 0; m < METRIC_COUNT; m++) {
		diff__values(d, m, METRIC_TOTALS, &before, &after);
		json_writer__begin_object(w);
		json_writer__kv_string(w, "name", metric__name(m));
		json_writer__kv_bool(w, "bytes", metric__is_bytes(m));
		json_writer__kv_u64(w, "before", before);
		json_writer__kv_u64(w, "after", after);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static const char *pair_name(const struct diff *d, size_t pair)
{
	const struct process_pair *p;

	if (pair == SIZE_MAX)
		return NULL;
	p = &d->pairs[pair];
	return snap_process__name(p->new != PROCESS_ABSENT ? &d->new->procs[p->new]
							   : &d->base->procs[p->base]);
}

static int write_site(const struct diff *d, const struct diff_site *s, struct html_tables *t,
		      struct json_writer *w)
{
	const struct site *site = diff_site__site(s);

	json_writer__begin_object(w);
	json_writer__kv_u64(w, "snap", 0);
	/* the new side's process, whose timeline and label the page shows */
	json_writer__key(w, "proc");
	if (s->after && s->after->process != SIZE_MAX)
		json_writer__u64(w, s->after->process);
	else
		json_writer__null(w);
	json_writer__kv_string(w, "pname", pair_name(d, s->pair));
	json_writer__kv_string(w, "allocator", site->allocator);
	json_writer__kv_u64(w, "bytes", s->after ? s->after->bytes : 0);
	json_writer__kv_u64(w, "count", s->after ? s->after->count : 0);
	json_writer__key(w, "diff");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "status", site_status__name(s->status));
	json_writer__kv_u64(w, "before", diff_site__before(s));
	json_writer__kv_u64(w, "after", diff_site__after(s));
	json_writer__end_object(w);
	/* the whole stack of the leak that shows the site: --depth only keys the matching */
	if (html_tables__stack(t, w, site->shown, 0))
		return -ENOMEM;
	json_writer__end_object(w);
	return 0;
}

static int write_body(const void *ctx, struct json_writer *w, struct html_tables *t)
{
	const struct diff *d = ctx;
	int err = 0;

	/* the page draws the new snapshot with the changes: of the base it names the file */
	json_writer__key(w, "base");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "path", d->base->path);
	json_writer__end_object(w);
	json_writer__key(w, "new");
	html_data__snapshot(w, d->new);
	write_totals(d, w);
	json_writer__key(w, "sites");
	json_writer__begin_array(w);
	for (size_t i = 0; i < d->nr_sites && !err; i++)
		err = write_site(d, &d->sites[i], t, w);
	json_writer__end_array(w);
	return err;
}

int html__write_diff(const struct diff *d, FILE *out)
{
	return html_page__write("diff", write_body, d, out);
}
