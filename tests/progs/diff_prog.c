// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace diff's subject, built in variants by the Makefile, each an
 * executable named diff_prog (the name pairs the processes and names the
 * module in site keys):
 *
 *   diff_prog            as is: keep_site leaks 4 x 1000, base_only_leak 3 x 300,
 *                        and a 1 MiB block lives for a moment (the peak);
 *   leakier/diff_prog    -DLEAK_MORE: keep_site leaks 6 x 1000, extra_leak 4 x 512,
 *                        no base_only_leak;
 *   peakier/diff_prog    -DBIG_PEAK: the passing block is 16 MiB;
 *   relocated/diff_prog  this file copied to renamed/other_name.c and built at
 *                        another path: other file names, the same symbols.
 *
 * Nothing else allocates: no stdio.
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

#ifdef LEAK_MORE
#define KEPT 6
#else
#define KEPT 4
#endif

#ifdef BIG_PEAK
#define PASSING (16 << 20)
#else
#define PASSING (1 << 20)
#endif

static void *volatile sink;

NOINLINE void keep_site(void)
{
	for (int i = 0; i < KEPT; i++)
		sink = malloc(1000); /* MARK: keep_site */
}

#ifdef LEAK_MORE
NOINLINE void extra_leak(void)
{
	for (int i = 0; i < 4; i++)
		sink = malloc(512);
}
#else
NOINLINE void base_only_leak(void)
{
	for (int i = 0; i < 3; i++)
		sink = malloc(300);
}
#endif

NOINLINE void passing_peak(void)
{
	void *p = malloc(PASSING);

	sink = p;
	free(p);
}

int main(void)
{
	keep_site();
#ifdef LEAK_MORE
	extra_leak();
#else
	base_only_leak();
#endif
	passing_peak();
	return 0;
}
