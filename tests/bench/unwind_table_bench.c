// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the in-kernel DWARF unwinder's tables cost in user space: how long
 * unwind_table__build takes from a module's file (its CFI read with libdw
 * and flattened into rows), and how many bytes its rows take, for the
 * modules a traced process most often maps (tools/bench.sh, F).
 *
 * Prints, per module NAME (libc, libpython, python: the python3.11
 * executable, libpython linked in, and libstdcxx): unwind_NAME_rows,
 * unwind_NAME_bytes (rows times the row's size) and unwind_NAME_build_ms,
 * the median of BUILDS builds. Fails when a module is missing: the figures
 * are what the bench promises to show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symbolize/unwind_table.h"

/* each build reads the file anew (page cache warm after the first): the median of these */
#define BUILDS 7

static const struct {
	const char *name, *path;
} modules[] = {
	{ "libc", "/usr/lib/x86_64-linux-gnu/libc.so.6" },
	{ "libpython", "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0" },
	{ "python", "/usr/bin/python3.11" },
	{ "libstdcxx", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6" },
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	for (size_t m = 0; m < sizeof(modules) / sizeof(modules[0]); m++) {
		double ms[BUILDS];
		size_t rows = 0, bytes = 0;

		for (int i = 0; i < BUILDS; i++) {
			struct unwind_table t;
			double start = now_ms();
			int err = unwind_table__build(modules[m].path, NULL, &t);

			ms[i] = now_ms() - start;
			if (err) {
				fprintf(stderr, "unwind_table_bench: %s: %s\n", modules[m].path,
					strerror(-err));
				unwind_table__release(&t);
				return 1;
			}
			rows = t.nrows;
			bytes = t.nrows * t.row_bytes;
			unwind_table__release(&t);
		}
		qsort(ms, BUILDS, sizeof(ms[0]), cmp_double);
		printf("unwind_%s_rows %zu\n", modules[m].name, rows);
		printf("unwind_%s_bytes %zu\n", modules[m].name, bytes);
		printf("unwind_%s_build_ms %.2f\n", modules[m].name, ms[BUILDS / 2]);
	}
	return 0;
}
