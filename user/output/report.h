/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The text report: totals, processes, threads, top live allocation sites. */
#ifndef MEMTRACE_REPORT_H
#define MEMTRACE_REPORT_H

#include <stdio.h>

#include "account/leaks.h"
#include "account/run_summary.h"

/* top: how many stack sites to show. 0, or -EIO when writing failed. */
int report__write(const struct run_summary *s, int top, FILE *out);
/* A name a program chose, made safe for a terminal (text_escape.h); "?" for none. */
const char *report__printable(const char *name, char *buf, size_t len);
/* How a person names a frame: "train_step (model.c:42)", else the function or the address. */
const char *report__frame_name(const struct leak_frame *frame, char *buf, size_t len);

#endif /* MEMTRACE_REPORT_H */
