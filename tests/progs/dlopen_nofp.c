// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dlopen_nofp LIB: says "ready" and waits for a line (memtrace -p attaches
 * in between), dlopens LIB (tests/progs/lib/nofp_lib.c, no frame
 * pointers), leaks 5432 bytes through it at once, says "loaded", waits
 * for another line, leaks 6543 bytes through it and exits. The first leak
 * races memtrace's loading of LIB's unwind table; the second comes after.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

typedef void *(*leak_fn)(size_t size);

static void *volatile sink[2];

static int wait_line(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1)
		if (c == '\n')
			return 0;
	return -1;
}

__attribute__((noinline)) void call_lib(leak_fn leak, int i, size_t size)
{
	sink[i] = leak(size); /* MARK: call_lib */
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	leak_fn leak;
	void *lib;

	if (argc < 2 || write(STDOUT_FILENO, "ready\n", 6) != 6 || wait_line())
		return 2;
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen_nofp: %s\n", dlerror());
		return 1;
	}
	leak = (leak_fn)dlsym(lib, "nofp_entry");
	if (!leak)
		return 1;
	call_lib(leak, 0, 5432);
	if (write(STDOUT_FILENO, "loaded\n", 7) != 7 || wait_line())
		return 2;
	call_lib(leak, 1, 6543);
	return 0;
}
