// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "leaks.h"

static int by_bytes_desc(const void *a, const void *b)
{
	const struct leak_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->process->pid != y->process->pid)
		return x->process->pid < y->process->pid ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Adds a process's live blocks; by_stack maps a stack index to its site. */
static int collect_table(const struct alloc_table *table, struct leak_report *r,
			 struct id_map *by_stack, size_t *cap, const struct mt_process *p)
{
	alloc_table__for_each(table, b) {
		/* stack index 0 ("no stack") is a valid group too: key it apart */
		int64_t idx = id_map__get(by_stack, (uint64_t)b->stack + 1);
		struct leak_site *s;

		if (idx < 0) {
			if (r->n == *cap) {
				size_t grown_cap = *cap ? 2 * *cap : 64;
				struct leak_site *grown =
					realloc(r->sites, grown_cap * sizeof(*grown));

				if (!grown)
					return -ENOMEM;
				r->sites = grown;
				*cap = grown_cap;
			}
			if (id_map__put(by_stack, (uint64_t)b->stack + 1, r->n))
				return -ENOMEM;
			idx = r->n++;
			r->sites[idx] = (struct leak_site){
				.process = p,
				.stack = b->stack,
				.oldest_ns = b->ts_ns,
			};
		}
		s = &r->sites[idx];
		s->bytes += b->size;
		s->count++;
		if (b->ts_ns < s->oldest_ns)
			s->oldest_ns = b->ts_ns;
	}
	return 0;
}

int leaks__collect(const struct tracker *t, struct leak_report *out)
{
	size_t cap = 0;
	int err = 0;

	*out = (struct leak_report){};
	for (uint32_t i = 0; i < t->nr_procs && !err; i++) {
		const struct mt_process *p = t->procs[i];
		struct id_map by_stack = {};

		err = collect_table(&p->live, out, &by_stack, &cap, p);
		if (!err)
			err = collect_table(&p->displaced, out, &by_stack, &cap, p);
		id_map__release(&by_stack);
	}
	if (err) {
		leaks__release(out);
		return err;
	}
	qsort(out->sites, out->n, sizeof(*out->sites), by_bytes_desc);
	return 0;
}

void leaks__release(struct leak_report *r)
{
	free(r->sites);
	*r = (struct leak_report){};
}

size_t leaks__frames(const struct tracker *t, struct symbolizer *sym, const struct leak_site *site,
		     struct leak_frame *frames, size_t max, bool *truncated)
{
	const struct mt_stack *s = stack_table__get(&t->stacks, site->stack);
	const struct mt_process *p = site->process;
	char root[32];
	size_t n = 0;

	*truncated = false;
	snprintf(root, sizeof(root), "/proc/%u/root", p->pid);
	for (uint16_t i = 0; i < s->nr_frames && n < max; i++) {
		struct leak_frame *f = &frames[n];

		f->ip = s->frames[i];
		/* every frame is a return address: the caller's call site is at ip - 1 */
		symbolizer__resolve(sym, &p->maps, p->exited ? NULL : root, f->ip, true, &f->info);
		/* the direct caller is read off the stack pointer: always real */
		if (i > 0 && !f->info.mapped) {
			*truncated = true;
			break;
		}
		n++;
	}
	return n;
}
