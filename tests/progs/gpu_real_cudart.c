// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gpu_real_cudart LIBRARY [--driver]: one allocation through a real CUDA
 * library (NVIDIA's libcudart.so.*, or with --driver a libcuda.so such as
 * the toolkit's stubs/libcuda.so), on a machine that may have no GPU and
 * no driver: memtrace must attach to the real file; the call is expected
 * to fail (no driver: an error, but not out-of-memory).
 *
 * Says "ready" and waits for a line on stdin (memtrace -p attaches);
 * dlopens LIBRARY by path; says "loaded" and waits for a second line (time
 * for memtrace to attach to the new mapping); then calls, through dlsym,
 * cudaMalloc(&p, 1 MiB) (--driver: cuMemAlloc_v2(&d, 1 MiB)) exactly once
 * and prints "result N" with the error number it returned. Exits 0 when
 * the library loaded and the function was found, whatever the result.
 *
 * No CUDA headers: the one pointer type is declared here.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024UL * 1024)

/* cudaMalloc(void **, size_t) and cuMemAlloc_v2(CUdeviceptr *, size_t) alike */
typedef int (*alloc_fn)(void *out, size_t bytes);

static void *volatile sink;

static int wait_line(const char *say)
{
	char c;

	if (write(STDOUT_FILENO, say, strlen(say)) != (ssize_t)strlen(say))
		return -1;
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
	return 0;
}

__attribute__((noinline)) int real_alloc(alloc_fn alloc)
{
	unsigned long long out = 0;
	int err = alloc(&out, 1 * MIB); /* MARK: real_alloc */

	sink = (void *)out;
	return err;
}

int main(int argc, char **argv)
{
	int driver = argc > 2 && !strcmp(argv[2], "--driver");
	const char *symbol = driver ? "cuMemAlloc_v2" : "cudaMalloc";
	char line[32];
	alloc_fn alloc;
	void *lib;
	int n;

	if (argc < 2)
		return 2;
	if (wait_line("ready\n"))
		return 1;
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "gpu_real_cudart: %s\n", dlerror());
		return 1;
	}
	alloc = (alloc_fn)dlsym(lib, symbol);
	if (!alloc) {
		fprintf(stderr, "gpu_real_cudart: no %s in %s\n", symbol, argv[1]);
		return 1;
	}
	if (wait_line("loaded\n"))
		return 1;
	n = snprintf(line, sizeof(line), "result %d\n", real_alloc(alloc));
	return write(STDOUT_FILENO, line, n) == n ? 0 : 1;
}
