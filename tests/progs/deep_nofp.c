// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A 6-deep call chain built without frame pointers (-O2
 * -fomit-frame-pointer): level6 allocates 6666 bytes, kept live. The fp
 * walk cannot see past the direct caller here; the dwarf unwind can.
 */
#include <stdlib.h>

static void *volatile sink;

#define LEVEL(name, next)                                   \
	__attribute__((noinline)) void name(void)           \
	{                                                   \
		next();                                     \
		/* no tail call: every level keeps its frame */ \
		__asm__ volatile("" ::: "memory");          \
	}

__attribute__((noinline)) void level6(void)
{
	sink = malloc(6666); /* MARK: level6 */
}

LEVEL(level5, level6) /* MARK: level5 */
LEVEL(level4, level5) /* MARK: level4 */
LEVEL(level3, level4) /* MARK: level3 */
LEVEL(level2, level3) /* MARK: level2 */
LEVEL(level1, level2) /* MARK: level1 */

int main(void)
{
	level1(); /* MARK: main */
	return 0;
}
