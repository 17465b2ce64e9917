// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What memtrace costs at its edges (tools/bench.sh, E): prints
 * "edge_start_ns T" as main starts and "edge_end_ns T" as it returns
 * (CLOCK_REALTIME, as `date +%s%N` reads it), so that the time memtrace
 * takes before CMD runs and after it ends can be told from CMD's own.
 *
 *   edges          nothing else: memtrace around /bin/true
 *   edges cuda     dlopen the CUDA test double's runtime (RUNPATH) once
 *                  running, and one cudaMalloc/cudaFree: GPU probes
 *                  placed late, and removed at the end
 *
 * Also built as C++ (edges_cxx: libstdc++ mapped, one operator new).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*cuda_malloc_fn)(void **p, size_t bytes);
typedef int (*cuda_free_fn)(void *p);

static void stamp(const char *what)
{
	struct timespec ts;
	char line[64];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "%s %lld%09ld\n", what, (long long)ts.tv_sec, ts.tv_nsec);
	if (write(STDOUT_FILENO, line, n) != n)
		_exit(2);
}

static int cuda_once(void)
{
	void *lib = dlopen("libcudart.so.13", RTLD_NOW), *p = NULL;
	cuda_malloc_fn cuda_malloc;
	cuda_free_fn cuda_free;

	if (!lib)
		return 1;
	cuda_malloc = (cuda_malloc_fn)dlsym(lib, "cudaMalloc");
	cuda_free = (cuda_free_fn)dlsym(lib, "cudaFree");
	if (!cuda_malloc || !cuda_free || cuda_malloc(&p, 1 << 20))
		return 1;
	return cuda_free(p) != 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	stamp("edge_start_ns");
#ifdef __cplusplus
	delete new int(1);
#endif
	if (argc > 1 && !strcmp(argv[1], "cuda"))
		err = cuda_once();
	stamp("edge_end_ns");
	return err;
}
