// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attach/gpu_funcs.h"
#include "attach/gpu_locate.h"
#include "symbolize/elf_file.h"

static const char *const stems[] = { "libcuda", "libamdhip64", "libcudart" };
/* the first ones in stems[] */
#define DRIVER_STEMS 2

static bool has_stem(const char *path, size_t nr_stems)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < nr_stems; i++) {
		size_t n = strlen(stems[i]);

		/* the stem, then the version or a wheel's hash: not libcudnn, not libcuda_foo */
		if (!strncmp(base, stems[i], n) && (base[n] == '.' || base[n] == '-'))
			return strstr(base, ".so") != NULL;
	}
	return false;
}

bool gpu_locate__is_gpu_name(const char *path)
{
	return has_stem(path, sizeof(stems) / sizeof(stems[0]));
}

bool gpu_locate__is_driver_name(const char *path)
{
	return has_stem(path, DRIVER_STEMS);
}

static bool has_site_at(const struct gpu_library *lib, uint64_t offset)
{
	for (int i = 0; i < lib->nr_sites; i++)
		if (lib->sites[i].file_offset == offset)
			return true;
	return false;
}

int gpu_locate__in_file(const char *path, const char *open_path, struct gpu_library *out)
{
	struct elf_file *ef = NULL;
	int err;

	*out = (struct gpu_library){};
	err = elf_file__open(open_path, &ef);
	if (err)
		return err;
	for (int fn = 0; fn < MT_GPU_FN_COUNT; fn++) {
		const struct gpu_func_info *info = gpu_funcs__info(fn);

		for (int s = 0; s < 2 && info->symbols[s]; s++) {
			uint64_t offset;

			if (elf_file__func_offset(ef, info->symbols[s], &offset, NULL) ||
			    has_site_at(out, offset))
				continue;
			out->sites[out->nr_sites++] = (struct gpu_site){
				.func = fn,
				.symbol = info->symbols[s],
				.file_offset = offset,
			};
		}
	}
	elf_file__free(ef);
	if (!out->nr_sites)
		return -ENOENT;
	out->path = strdup(path);
	out->open_path = strdup(open_path);
	if (!out->path || !out->open_path) {
		gpu_locate__release(out);
		return -ENOMEM;
	}
	return 0;
}

void gpu_locate__release(struct gpu_library *lib)
{
	free(lib->path);
	free(lib->open_path);
	*lib = (struct gpu_library){};
}
