// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench/workload.c's newdelete loop: N x (new char[64]; delete[]),
 * through libstdc++'s operators, to set beside its malloc(64)+free pairs.
 * The pointer goes through a volatile: the compiler may drop a new and
 * delete pair it sees whole.
 */
#include <cstdint>

static char *volatile sink;

extern "C" void newdelete_pairs(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		sink = new char[64];
		delete[] sink;
	}
}
