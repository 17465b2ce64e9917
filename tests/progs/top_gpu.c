// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU memory held for memtrace top (tests/integration/test_top.c), through
 * the CUDA test double (tests/gpu_double/: host memory, no GPU):
 * top_gpu_alloc takes 3 MiB of device memory with cudaMalloc, then the
 * program writes "holding 3145728" to FILE and sleeps HOLD_MS before it
 * frees it and exits. Usage: top_gpu FILE HOLD_MS
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "gpu_double_api.h"

#define MIB (1024 * 1024)

__attribute__((noinline)) void *top_gpu_alloc(size_t bytes)
{
	void *p = NULL;

	if (cudaMalloc(&p, bytes) != 0) /* MARK: gpu */
		exit(1);
	return p;
}

int main(int argc, char **argv)
{
	static const char line[] = "holding 3145728\n";
	long ms = argc == 3 ? atol(argv[2]) : 0;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	void *p;
	int fd;

	if (argc != 3)
		return 2;
	p = top_gpu_alloc(3 * MIB);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, sizeof(line) - 1) != sizeof(line) - 1 || close(fd))
		return 1;
	while (nanosleep(&ts, &ts))
		;
	return cudaFree(p) == 0 ? 0 : 1;
}
