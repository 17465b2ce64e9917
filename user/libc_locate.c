// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_funcs.h"
#include "elf_file.h"
#include "libc_locate.h"

static bool is_libc_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-musl-", 8) || !strncmp(base, "libc.musl", 9);
}

int libc_locate__in_file(const char *path, const char *open_path, struct libc_image *out)
{
	struct elf_file *ef = NULL;
	int err;

	*out = (struct libc_image){};
	err = elf_file__open(open_path, &ef);
	if (err)
		return err;
	for (int fn = 0; fn < MT_FN_COUNT; fn++) {
		struct libc_site *site = &out->sites[out->nr_sites];

		if (elf_file__func_offset(ef, alloc_funcs__name(fn), &site->file_offset,
					  &site->vaddr))
			continue; /* e.g. musl has no pvalloc */
		site->func = fn;
		site->alias_of = -1;
		for (int i = 0; i < out->nr_sites; i++) {
			if (out->sites[i].vaddr == site->vaddr) {
				site->alias_of = i;
				break;
			}
		}
		out->nr_sites++;
	}
	elf_file__free(ef);
	if (out->nr_sites < 2 || out->sites[0].func != MT_FN_MALLOC ||
	    !libc_locate__site(out, MT_FN_FREE))
		return -ENOEXEC;
	out->path = strdup(path);
	out->open_path = strdup(open_path);
	if (!out->path || !out->open_path) {
		libc_locate__release(out);
		return -ENOMEM;
	}
	return 0;
}

const struct libc_site *libc_locate__site(const struct libc_image *img, enum mt_func fn)
{
	for (int i = 0; i < img->nr_sites; i++)
		if (img->sites[i].func == fn)
			return &img->sites[i];
	return NULL;
}

int libc_locate__in_process(pid_t pid, const struct proc_maps *maps, const char *exe,
			    struct libc_image *out)
{
	char open_path[4096];
	const char *found = NULL;

	for (size_t i = 0; i < maps->n && !found; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (m->executable && m->path && m->path[0] == '/' && is_libc_name(m->path))
			found = m->path;
	}
	/* statically linked: the executable carries its own malloc */
	if (!found)
		found = exe;
	if (!found)
		return -ENOENT;
	snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", pid, found);
	if (libc_locate__in_file(found, open_path, out))
		return -ENOENT;
	return 0;
}

void libc_locate__release(struct libc_image *img)
{
	free(img->path);
	free(img->open_path);
	*img = (struct libc_image){};
}
