// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For -p tests that read the target while it lives: says "ready", waits for
 * a line on stdin, allocates (three_blocks: 3 x 700 bytes; dup_site: a
 * 99-byte strdup, whose malloc libc itself calls), says "done", and waits
 * for another line before it exits. Nothing else allocates: no stdio.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink[4];

__attribute__((noinline)) void three_blocks(void)
{
	for (int i = 0; i < 3; i++)
		sink[i] = malloc(700);
}

__attribute__((noinline)) void dup_site(void)
{
	char text[99];

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	sink[3] = strdup(text);
}

static void wait_line(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

int main(void)
{
	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	wait_line();
	three_blocks();
	dup_site();
	if (write(STDOUT_FILENO, "done\n", 5) != 5)
		return 1;
	wait_line();
	return 0;
}
