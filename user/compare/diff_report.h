/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace diff's three outputs: text for a terminal or a CI log
 * (diff_text.c), JSON with schema "memtrace.diff.v1" (diff_json.c) and a
 * markdown comment for a pull request (diff_markdown.c). README.md, "Using
 * memtrace in CI", describes them.
 */
#ifndef MEMTRACE_DIFF_REPORT_H
#define MEMTRACE_DIFF_REPORT_H

#include <stdio.h>

#include "compare/diff.h"
#include "compare/rule_eval.h"

#define DIFF_SCHEMA "memtrace.diff.v1"

/* rules: NULL when none were given. top: changed sites listed (0: all). 0 or -EIO. */
int diff_text__write(const struct diff *d, const struct rule_results *rules, unsigned int top,
		     FILE *out);
/* Every site, changed or not. 0, -EIO or -ENOMEM. */
int diff_json__write(const struct diff *d, const struct rule_results *rules, FILE *out);
/*
 * A pull-request comment: tables of at most top rows (0: no limit), and
 * never more than 60000 bytes in all. 0, -EIO or -ENOMEM.
 */
int diff_markdown__write(const struct diff *d, const struct rule_results *rules,
			 unsigned int top, FILE *out);

#endif /* MEMTRACE_DIFF_REPORT_H */
