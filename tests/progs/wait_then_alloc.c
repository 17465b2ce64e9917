// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For attach tests: allocates one block, says "ready", waits for a line on
 * stdin, then makes a known pattern (after_attach: 7 x 700 bytes, 2 freed),
 * frees the block from before the attach (an unknown free), and exits.
 */
#include <stdlib.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) void after_attach(void)
{
	void *p[7];

	for (int i = 0; i < 7; i++)
		p[i] = malloc(700);
	free(p[0]);
	free(p[1]);
	sink = p[2];
}

int main(void)
{
	void *early = malloc(111);
	char c;

	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
	after_attach();
	free(early);
	return 0;
}
