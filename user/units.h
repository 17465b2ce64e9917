/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Human-readable byte counts and durations for the text report. */
#ifndef MEMTRACE_UNITS_H
#define MEMTRACE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_BUF 32

/* "0 B", "1023 B", "1.00 KiB", "1.50 MiB", "12.3 GiB", "1023 KiB": digits cut, not rounded */
const char *units__bytes(uint64_t bytes, char buf[UNITS_BUF]);
/* "850 ms", "12.3 s", "5m 07s", "2h 03m" */
const char *units__duration(double seconds, char buf[UNITS_BUF]);

#endif /* MEMTRACE_UNITS_H */
