// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>

#include "render/html.h"
#include "render/html_data.h"

static void write_lifetimes(struct json_writer *w, const struct snap_leak_detail *d)
{
	json_writer__key(w, "lifetimes");
	json_writer__begin_array(w);
	for (size_t i = 0; d && i < d->nr_lifetimes; i++) {
		json_writer__begin_array(w);
		json_writer__u64(w, d->lifetimes[i].le_ns);
		json_writer__u64(w, d->lifetimes[i].freed);
		json_writer__u64(w, d->lifetimes[i].live);
		json_writer__end_array(w);
	}
	json_writer__end_array(w);
}

static void number_if(struct json_writer *w, const char *key, bool present, double v)
{
	json_writer__key(w, key);
	if (present)
		json_writer__double(w, v);
	else
		json_writer__null(w);
}

/* d: the leak's details, NULL for a freed site (no block live: bytes and count 0) */
static int write_site(struct html_tables *t, struct json_writer *w, size_t snap,
		      const struct snap_leak *l, const struct snap_leak_detail *d, bool freed)
{
	json_writer__begin_object(w);
	if (freed)
		json_writer__kv_bool(w, "freed", true);
	json_writer__kv_u64(w, "snap", snap);
	json_writer__key(w, "proc");
	if (l->process == SIZE_MAX)
		json_writer__null(w);
	else
		json_writer__u64(w, l->process);
	json_writer__kv_u64(w, "pid", l->pid);
	json_writer__kv_string(w, "allocator", l->allocator);
	json_writer__kv_u64(w, "bytes", l->bytes);
	json_writer__kv_u64(w, "count", l->count);
	json_writer__kv_bool(w, "growing", l->growing);
	number_if(w, "growth_bytes_per_s", l->has_growth, l->growth_bytes_per_s);
	number_if(w, "first_seen_s", d && d->has_first_seen, d ? d->first_seen_s : 0);
	number_if(w, "oldest_age_s", d && d->has_oldest_age, d ? d->oldest_age_s : 0);
	number_if(w, "growth_bytes_per_step", d && d->has_growth_per_step,
		  d ? d->growth_bytes_per_step : 0);
	write_lifetimes(w, d);
	/* allocated totals only when the snapshot has them: the page offers those views then */
	if (l->has_totals) {
		json_writer__kv_u64(w, "allocs", l->allocs);
		json_writer__kv_u64(w, "allocated_bytes", l->allocated_bytes);
	}
	if (html_tables__stack(t, w, l, 0))
		return -ENOMEM;
	json_writer__end_object(w);
	return 0;
}

struct report_input {
	const struct snapshot *snaps;
	size_t nr;
};

static int write_body(const void *ctx, struct json_writer *w, struct html_tables *t)
{
	const struct snapshot *snaps = ((const struct report_input *)ctx)->snaps;
	size_t nr = ((const struct report_input *)ctx)->nr;
	int err = 0;

	json_writer__key(w, "snapshots");
	json_writer__begin_array(w);
	for (size_t i = 0; i < nr; i++)
		html_data__snapshot(w, &snaps[i]);
	json_writer__end_array(w);
	json_writer__key(w, "sites");
	json_writer__begin_array(w);
	for (size_t i = 0; i < nr && !err; i++)
		for (size_t j = 0; j < snaps[i].nr_leaks && !err; j++)
			err = write_site(t, w, i, &snaps[i].leaks[j],
					 snaps[i].leak_details ? &snaps[i].leak_details[j] : NULL,
					 false);
	/* what allocated and holds nothing: in the allocated views only */
	for (size_t i = 0; i < nr && !err; i++)
		for (size_t j = 0; j < snaps[i].nr_freed_sites && !err; j++)
			err = write_site(t, w, i, &snaps[i].freed_sites[j], NULL, true);
	json_writer__end_array(w);
	return err;
}

int html__write_report(const struct snapshot *snaps, size_t nr, FILE *out)
{
	struct report_input in = { .snaps = snaps, .nr = nr };

	return html_page__write("report", write_body, &in, out);
}
