// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/alloc_funcs.h"
#include "attach/libc_locate.h"
#include "symbolize/elf_file.h"
#include "util/text_escape.h"

/* Enough code for the branch-target sweep of an allocator function. */
#define MAX_FUNC_BYTES (64 * 1024)

bool libc_locate__is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-musl-", 8) || !strncmp(base, "libc.musl", 9);
}

/* Reads the function's code from the file and moves its probe site past what it may. */
static void place_probe(int fd, const struct elf_file *ef, struct libc_site *site)
{
	struct placement_rules rules = alloc_funcs__placement_rules(site->func);
	uint64_t size = 0;
	uint8_t *code;
	ssize_t n;

	site->probe_offset = site->file_offset;
	site->placement = (struct probe_placement){ .why = "at entry" };
	if (elf_file__func_size(ef, alloc_funcs__name(site->func), &size) || !size)
		return;
	if (size > MAX_FUNC_BYTES)
		size = MAX_FUNC_BYTES;
	code = malloc(size);
	if (!code)
		return;
	n = pread(fd, code, size, (off_t)site->file_offset);
	if (n > 0 && !probe_placement__decide(code, (size_t)n, site->vaddr, &rules,
					      &site->placement))
		site->probe_offset = site->file_offset + site->placement.offset;
	free(code);
}

int libc_locate__in_file(const char *path, const char *open_path, bool at_entry,
			 struct libc_image *out)
{
	struct elf_file *ef = NULL;
	int fd = -1, err;

	*out = (struct libc_image){};
	err = elf_file__open(open_path, &ef);
	if (err)
		return err;
	if (!at_entry)
		fd = open(open_path, O_RDONLY | O_CLOEXEC);
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
		if (fd >= 0)
			place_probe(fd, ef, site);
		else
			site->probe_offset = site->file_offset;
		out->nr_sites++;
	}
	if (fd >= 0)
		close(fd);
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
			    bool at_entry, struct libc_image *out)
{
	const struct proc_map *found = NULL;
	char open_path[4096];
	int err;

	for (size_t i = 0; i < maps->n && !found; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (m->executable && m->path && m->path[0] == '/' && libc_locate__is_libc(m->path))
			found = m;
	}
	if (found)
		err = proc_map__open_path(pid, found, open_path, sizeof(open_path));
	else if (exe) /* statically linked: the executable carries its own malloc */
		err = proc_maps__exe_open_path(pid, exe, open_path, sizeof(open_path));
	else
		return -ENOENT;
	if (err || libc_locate__in_file(found ? found->path : exe, open_path, at_entry, out))
		return -ENOENT;
	return 0;
}

void libc_locate__release(struct libc_image *img)
{
	free(img->path);
	free(img->open_path);
	*img = (struct libc_image){};
}

struct libc_image *libc_locate__take(struct libc_image *img)
{
	struct libc_image *kept = malloc(sizeof(*kept));

	if (!kept)
		return NULL;
	*kept = *img;
	*img = (struct libc_image){};
	return kept;
}

void libc_locate__free(struct libc_image *img)
{
	if (!img)
		return;
	libc_locate__release(img);
	free(img);
}

void libc_locate__describe(const struct libc_image *img, pid_t pid, FILE *out)
{
	char shown[PATH_MAX];

	fprintf(out, "memtrace: PID %d: probes on %s\n", pid,
		text_escape(img->path, shown, sizeof(shown)));
	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];

		if (s->alias_of >= 0) {
			fprintf(out, "memtrace:   %-15s same address as %s: shares its probe\n",
				alloc_funcs__name(s->func),
				alloc_funcs__name(img->sites[s->alias_of].func));
			continue;
		}
		fprintf(out, "memtrace:   %-15s entry+%llu (%s%s): %s\n", alloc_funcs__name(s->func),
			(unsigned long long)(s->probe_offset - s->file_offset),
			s->placement.insn[0] ? s->placement.insn : "?",
			s->placement.emulated ? ", emulated" : ", single-stepped", s->placement.why);
	}
}
