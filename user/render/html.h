/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTML report: one self-contained page (memtrace report --format html,
 * the tracer's --html, memtrace diff --format html). The page's HTML, CSS
 * and JavaScript are files of their own (user/render/html/), built into the
 * binary; what a page adds is its data, one JSON object in a
 * <script type="application/json"> element that the script renders. Nothing
 * is fetched when the page opens: its Content-Security-Policy forbids it.
 */
#ifndef MEMTRACE_HTML_H
#define MEMTRACE_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "compare/diff.h"
#include "compare/snapshot_reader.h"

/* snaps as a report page; a negative errno when it cannot be made or written. */
int html__write_report(const struct snapshot *snaps, size_t nr, FILE *out);
/* d as a diff page: its table and the new snapshot's stacks coloured by change. */
int html__write_diff(const struct diff *d, FILE *out);

struct html_tables;
struct json_writer;

/* Writes a page's own members of its data object, its frames interned in t; 0 or -ENOMEM. */
typedef int (*html_body_fn)(const void *ctx, struct json_writer *w, struct html_tables *t);
/*
 * html_page.c: the page of kind ("report", "diff"): its data object (kind,
 * version, what body(ctx) writes, the interned frames), then the page
 * around it; 0 or a negative errno.
 */
int html_page__write(const char *kind, html_body_fn body, const void *ctx, FILE *out);

#endif /* MEMTRACE_HTML_H */
