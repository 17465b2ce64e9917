// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "compare/rule_eval.h"

static int add(struct rule_results *out, const struct rule *r, size_t scope, uint64_t before,
	       uint64_t after)
{
	struct rule_result *items = realloc(out->items, (out->n + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	out->items = items;
	items[out->n] = (struct rule_result){
		.rule = r,
		.scope = scope,
		.before = before,
		.after = after,
		.broken = rule__broken(r, before, after),
	};
	out->nr_broken += items[out->n].broken;
	out->n++;
	return 0;
}

static bool pair_is(const struct diff *d, size_t pair, const char *name)
{
	const struct process_pair *p = &d->pairs[pair];

	return (p->base != PROCESS_ABSENT && snap_process__is(&d->base->procs[p->base], name)) ||
	       (p->new != PROCESS_ABSENT && snap_process__is(&d->new->procs[p->new], name));
}

int rule_eval__diff(const struct rule_set *rules, const struct diff *d, struct rule_results *out,
		    char *err, size_t err_len)
{
	uint64_t before, after;
	int ret = 0;

	*out = (struct rule_results){};
	for (size_t i = 0; i < rules->n && !ret; i++) {
		const struct rule *r = &rules->rules[i];
		size_t matched = 0;

		if (!r->process) {
			diff__values(d, r->metric, METRIC_TOTALS, &before, &after);
			ret = add(out, r, METRIC_TOTALS, before, after);
			continue;
		}
		for (size_t p = 0; p < d->nr_pairs && !ret; p++) {
			if (!pair_is(d, p, r->process))
				continue;
			diff__values(d, r->metric, p, &before, &after);
			ret = add(out, r, p, before, after);
			matched++;
		}
		if (!ret && !matched) {
			snprintf(err, err_len, "rule '%s': no process named '%s' in %s or %s",
				 r->text, r->process, d->base->path, d->new->path);
			ret = -ENOENT;
		}
	}
	if (ret)
		rule_results__release(out);
	return ret;
}

int rule_eval__check(const struct rule_set *rules, const struct snapshot *s,
		     const struct site_set *sites, struct rule_results *out, char *err,
		     size_t err_len)
{
	int ret = 0;

	*out = (struct rule_results){};
	for (size_t i = 0; i < rules->n && !ret; i++) {
		const struct rule *r = &rules->rules[i];
		size_t matched = 0;

		if (!r->process) {
			ret = add(out, r, METRIC_TOTALS, 0,
				  metric__value(r->metric, s, sites, METRIC_TOTALS));
			continue;
		}
		for (size_t p = 0; p < s->nr_procs && !ret; p++) {
			if (!snap_process__is(&s->procs[p], r->process))
				continue;
			ret = add(out, r, p, 0, metric__value(r->metric, s, sites, p));
			matched++;
		}
		if (!ret && !matched) {
			snprintf(err, err_len, "rule '%s': no process named '%s' in %s", r->text,
				 r->process, s->path);
			ret = -ENOENT;
		}
	}
	if (ret)
		rule_results__release(out);
	return ret;
}

void rule_results__release(struct rule_results *r)
{
	free(r->items);
	*r = (struct rule_results){};
}
