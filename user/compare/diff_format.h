/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Values, changes, rule results and sites as the diff's text and markdown show them. */
#ifndef MEMTRACE_DIFF_FORMAT_H
#define MEMTRACE_DIFF_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/diff.h"
#include "compare/rule_eval.h"

#define FORMAT_BUF 64

/* "1.50 KiB" (units.h) or "1234" */
const char *diff_format__value(bool bytes, uint64_t v, char buf[FORMAT_BUF]);
/* "+1.50 KiB, +12.0%", "-3, -1.2%", "0"; no percentage from 0 */
const char *diff_format__change(bool bytes, uint64_t before, uint64_t after,
				char buf[FORMAT_BUF]);
/*
 * A rule's result, as "memtrace: rule broken: ..." lines say it:
 * "train/peak_bytes:+5%: train (pid 12 -> 40): 10.0 MiB -> 11.2 MiB (+1.20 MiB, +12.0%)"
 */
void diff_format__diff_rule(const struct diff *d, const struct rule_result *r, char *buf,
			    size_t len);
/* "leak_bytes:0: 4.00 KiB (limit 0 B)" */
void diff_format__check_rule(const struct snapshot *s, const struct rule_result *r, char *buf,
			     size_t len);
/* A site's leaf frame: "parse_config (config.c:40)", "?@libfoo.so", "(no stack)" */
const char *diff_format__leaf(const struct site *site, char *buf, size_t len);

#endif /* MEMTRACE_DIFF_FORMAT_H */
