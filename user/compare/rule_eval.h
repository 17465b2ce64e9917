/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rules applied: to a diff (memtrace diff) or to one snapshot (memtrace
 * check). A rule with a PROCESS applies to each process of that name, one
 * result each; one without, to the totals.
 */
#ifndef MEMTRACE_RULE_EVAL_H
#define MEMTRACE_RULE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/diff.h"
#include "compare/rules.h"

struct rule_result {
	const struct rule *rule;
	size_t scope;		/* diff: a pair; check: a process; METRIC_TOTALS */
	uint64_t before;	/* check: 0 */
	uint64_t after;		/* check: the snapshot's value */
	bool broken;
};

struct rule_results {
	struct rule_result *items;	/* in the order of the rules */
	size_t n;
	size_t nr_broken;
};

/*
 * 0, -ENOMEM, or -ENOENT when a rule names a process neither snapshot has
 * (a typo must not pass a CI job): err says which.
 */
int rule_eval__diff(const struct rule_set *rules, const struct diff *d, struct rule_results *out,
		    char *err, size_t err_len);
int rule_eval__check(const struct rule_set *rules, const struct snapshot *s,
		     const struct site_set *sites, struct rule_results *out, char *err,
		     size_t err_len);
void rule_results__release(struct rule_results *r);

#endif /* MEMTRACE_RULE_EVAL_H */
