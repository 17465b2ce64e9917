// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dlopen_exit LIB [--wait]: loads LIB, leaks 4321 bytes through its dl_leak
 * and exits at once, so LIB's mapping is gone before a tracer could read
 * /proc/PID/maps. With --wait it first says "ready" and waits for a line on
 * stdin (memtrace -p attaches in between).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef void *(*leak_fn)(size_t size);

static void *volatile sink;

__attribute__((noinline)) void call_dlopened(leak_fn leak)
{
	sink = leak(4321);
}

int main(int argc, char **argv)
{
	leak_fn leak;
	void *lib;
	char c;

	if (argc < 2)
		return 2;
	if (argc > 2 && !strcmp(argv[2], "--wait")) {
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			return 1;
		while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
			;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen_exit: %s\n", dlerror());
		return 1;
	}
	leak = (leak_fn)dlsym(lib, "dl_leak");
	if (!leak)
		return 1;
	call_dlopened(leak);
	return 0;
}
