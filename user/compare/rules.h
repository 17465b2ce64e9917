/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Limits that fail a CI job: "[PROCESS/]METRIC:LIMIT", several separated by
 * commas (--fail-on), or a rules file of them (--rules; '#' starts a
 * comment). README.md, "Using memtrace in CI", has the syntax.
 */
#ifndef MEMTRACE_RULES_H
#define MEMTRACE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/metrics.h"

enum limit_kind {
	LIMIT_ABSOLUTE,		/* "2GiB": the value must not exceed it */
	LIMIT_CHANGE,		/* "+1MiB", "-100": after - before must not exceed it */
	LIMIT_PERCENT,		/* "+5%", "-10%": the same, relative to before */
};

/* percentages are kept in millionths of the base, exactly */
#define RULE_PPM_PER_PERCENT 10000

struct rule {
	char *text;		/* as written, for messages */
	char *process;		/* a process's comm or executable name; NULL: the totals */
	enum metric metric;
	enum limit_kind kind;
	int64_t amount;		/* bytes or a count; LIMIT_PERCENT: parts per million */
};

struct rule_set {
	struct rule *rules;
	size_t n;
};

/*
 * Appends the comma-separated rules of text. On a bad rule returns -EINVAL
 * and says why in err ("unknown metric 'peak'"), without saying where: the
 * caller knows.
 */
int rule_set__parse(struct rule_set *set, const char *text, char *err, size_t err_len);
/* Appends a rules file's; err starts with "PATH:LINE: ". -errno when it cannot be read. */
int rule_set__load(struct rule_set *set, const char *path, char *err, size_t err_len);
/*
 * memtrace check has one snapshot: only absolute limits, and no metric that
 * needs two. -EINVAL with the reason otherwise.
 */
int rule_set__check_absolute(const struct rule_set *set, char *err, size_t err_len);
void rule_set__release(struct rule_set *set);

/* Whether going from before to after breaks r (LIMIT_ABSOLUTE looks at after only). */
bool rule__broken(const struct rule *r, uint64_t before, uint64_t after);

#endif /* MEMTRACE_RULES_H */
