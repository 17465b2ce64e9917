/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding GPU memory functions: which files are GPU libraries (CUDA
 * driver, CUDA runtime, HIP), and where in them the probed functions are.
 */
#ifndef MEMTRACE_GPU_LOCATE_H
#define MEMTRACE_GPU_LOCATE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

struct gpu_site {
	enum mt_gpu_func func;
	const char *symbol;	/* static: from gpu_funcs */
	uint64_t file_offset;
};

struct gpu_library {
	char *path;		/* as the target sees it */
	char *open_path;	/* where memtrace reads it: through /proc/PID/root */
	/* one per address: a symbol at an address already listed shares its probe */
	struct gpu_site sites[2 * MT_GPU_FN_COUNT];
	int nr_sites;
};

/*
 * Whether a file's name says GPU library: libcuda.so*, libcudart.so*,
 * libamdhip64.so*, and the renamed copies pip wheels carry
 * (libcudart-1a2b3c4d.so.12).
 */
bool gpu_locate__is_gpu_name(const char *path);
/*
 * Whether it is one a process loads late, on its first GPU call, and
 * immediately calls: the CUDA driver (libcuda), HIP (libamdhip64).
 */
bool gpu_locate__is_driver_name(const char *path);
/* The probed functions open_path exports; -ENOENT when none. */
int gpu_locate__in_file(const char *path, const char *open_path, struct gpu_library *out);
void gpu_locate__release(struct gpu_library *lib);

#endif /* MEMTRACE_GPU_LOCATE_H */
