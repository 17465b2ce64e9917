// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * operator new throws std::bad_alloc and the program catches it: it must
 * go on running under memtrace (a return probe on operator new would make
 * the unwinder give up: std::terminate). Then three known allocations from
 * a caller of their own (tests/integration/test_allocators.c).
 */
#include <cstddef>
#include <new>

#define NOINLINE __attribute__((noinline))

static char *volatile sink;

extern "C" {

/* more than any machine has: malloc fails, operator new throws */
NOINLINE int new_too_much(void)
{
	try {
		sink = new char[(size_t)1 << 60];
	} catch (const std::bad_alloc &) {
		return 1;
	}
	return 0;
}

NOINLINE void new_after_throw(void)
{
	for (int i = 0; i < 3; i++)
		sink = new char[300];
}

}

int main()
{
	if (!new_too_much())
		return 1;
	new_after_throw();
	return 0;
}
