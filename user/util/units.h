/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Human-readable byte counts and durations for the text report, and their
 * parsers for the command line (strict: a value past its bound, a sign, a
 * space, NaN, inf or anything after the number is refused, never wrapped).
 */
#ifndef MEMTRACE_UNITS_H
#define MEMTRACE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_BUF 32

/* "0 B", "1023 B", "1.00 KiB", "1.50 MiB", "12.3 GiB", "1023 KiB": digits cut, not rounded */
const char *units__bytes(uint64_t bytes, char buf[UNITS_BUF]);
/* "850 ms", "12.3 s", "5m 07s", "2h 03m" */
const char *units__duration(double seconds, char buf[UNITS_BUF]);

/* Decimal digits only, at most max: 0 or -EINVAL. */
int units__parse_count(const char *s, uint64_t max, uint64_t *out);
/*
 * Bytes: digits, then K, M or G for powers of 1024 ("512K", "1M", "2G";
 * "KiB", "Ki" and "KB" read the same), at most max: 0 or -EINVAL.
 */
int units__parse_bytes(const char *s, uint64_t max, uint64_t *out);
/*
 * Seconds: a decimal number ("0.25", "1e3") with an optional suffix s, m or
 * h, at most max_s seconds: 0 or -EINVAL. The caller says what is too small.
 */
int units__parse_duration(const char *s, double max_s, double *out);

#endif /* MEMTRACE_UNITS_H */
