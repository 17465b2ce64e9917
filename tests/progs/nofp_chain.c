// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A 6-deep call chain built without frame pointers (-O2
 * -fomit-frame-pointer) that leaks 50 blocks of 3000 bytes from its
 * deepest level: one site, whose whole stack the kernel unwinder must
 * name (tests/integration/test_kernel_unwind.c).
 */
#include <stdlib.h>

#define BLOCKS 50

static void *volatile sink[BLOCKS];

#define LEVEL(name, next)                                   \
	__attribute__((noinline)) void name(int i)          \
	{                                                   \
		next(i);                                    \
		/* no tail call: every level keeps its frame */ \
		__asm__ volatile("" ::: "memory");          \
	}

__attribute__((noinline)) void level6(int i)
{
	sink[i] = malloc(3000); /* MARK: level6 */
}

LEVEL(level5, level6) /* MARK: level5 */
LEVEL(level4, level5) /* MARK: level4 */
LEVEL(level3, level4) /* MARK: level3 */
LEVEL(level2, level3) /* MARK: level2 */
LEVEL(level1, level2) /* MARK: level1 */

int main(void)
{
	for (int i = 0; i < BLOCKS; i++)
		level1(i); /* MARK: main */
	return 0;
}
