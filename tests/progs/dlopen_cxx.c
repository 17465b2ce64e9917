// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A C program that loads libstdc++ while traced, as a Python process does
 * when it imports a C++ extension: says "ready", waits for a line, dlopens
 * libstdc++.so.6, says "loaded", waits for a line, then in cxx_leak calls
 * operator new(4321) (kept) and operator new(77) + delete, and exits.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <unistd.h>

static void *volatile sink;

static void wait_line(const char *say, size_t len)
{
	char c;

	if (write(STDOUT_FILENO, say, len) != (ssize_t)len)
		_exit(1);
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

__attribute__((noinline)) void cxx_leak(void *(*op_new)(size_t), void (*op_delete)(void *))
{
	sink = op_new(4321);
	op_delete(op_new(77));
}

int main(void)
{
	void *(*op_new)(size_t);
	void (*op_delete)(void *);
	void *lib;

	wait_line("ready\n", 6);
	lib = dlopen("libstdc++.so.6", RTLD_NOW);
	if (!lib)
		return 2;
	op_new = (void *(*)(size_t))dlsym(lib, "_Znwm");
	op_delete = (void (*)(void *))dlsym(lib, "_ZdlPv");
	if (!op_new || !op_delete)
		return 3;
	wait_line("loaded\n", 7);
	cxx_leak(op_new, op_delete);
	return 0;
}
