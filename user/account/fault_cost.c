// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "account/fault_cost.h"
#include "util/mono_clock.h"

#define FAULT_COST_PAGES 64
#define FAULT_COST_BATCHES 5

/* One batch: ns per page to write a byte to each of FAULT_COST_PAGES fresh pages. */
static int touch_batch(size_t page, uint64_t *ns)
{
	size_t len = page * FAULT_COST_PAGES;
	volatile char *p;
	uint64_t start;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* a huge page would make one fault of the batch; where THP is off this fails, harmless */
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	start = mono_clock__ns();
	/* a write: a read of a fresh page maps the shared zero page, a cheaper fault */
	for (size_t i = 0; i < FAULT_COST_PAGES; i++)
		p[i * page] = 1;
	*ns = (mono_clock__ns() - start) / FAULT_COST_PAGES;
	munmap((void *)p, len);
	return 0;
}

int fault_cost__measure(uint64_t *ns)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t best = UINT64_MAX;

	/* the cheapest batch: an interrupt or a preemption only ever adds */
	for (int b = 0; b < FAULT_COST_BATCHES; b++) {
		uint64_t batch = 0;
		int err = touch_batch(page, &batch);

		if (err)
			return err;
		if (batch < best)
			best = batch;
	}
	*ns = best;
	return 0;
}
