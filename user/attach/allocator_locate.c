// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/allocator_locate.h"
#include "symbolize/elf_file.h"
#include "util/text_escape.h"

/*
 * A site already probed in this file: two allocators linked into one
 * executable may both claim it (jemalloc's operator new is also "cxx"'s
 * marker); the family found first keeps it.
 */
static bool already_probed(const struct allocator_set *set, const char *path, uint64_t vaddr)
{
	for (int i = 0; set && i < set->nr_images; i++) {
		const struct allocator_image *img = &set->images[i];

		if (strcmp(img->path, path))
			continue;
		for (int j = 0; j < img->nr_sites; j++)
			if (img->sites[j].vaddr == vaddr)
				return true;
	}
	return false;
}

static bool listed(const struct allocator_image *img, uint64_t vaddr)
{
	for (int i = 0; i < img->nr_sites; i++)
		if (img->sites[i].vaddr == vaddr)
			return true;
	return false;
}

static int count_symbols(const struct allocator_family *family)
{
	int n = 0;

	while (family->symbols[n].name)
		n++;
	return n;
}

int allocator_locate__in_file(const struct allocator_family *family, const char *path,
			      const char *open_path, const struct allocator_set *already,
			      struct allocator_image *out)
{
	struct elf_file *ef = NULL;
	int err;

	*out = (struct allocator_image){ .allocator = family->allocator };
	err = elf_file__open(open_path, &ef);
	if (err)
		return err;
	out->sites = calloc(count_symbols(family), sizeof(*out->sites));
	if (!out->sites) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (const struct allocator_symbol *sym = family->symbols; sym->name; sym++) {
		struct allocator_site site = { .symbol = sym->name, .shape = sym->shape };

		if (elf_file__func_offset(ef, sym->name, &site.file_offset, &site.vaddr))
			continue;
		if (listed(out, site.vaddr) || already_probed(already, path, site.vaddr)) {
			out->nr_aliases++;
			continue;
		}
		out->sites[out->nr_sites++] = site;
	}
	if (!out->nr_sites) {
		err = -ENOENT;
		goto cleanup;
	}
	out->path = strdup(path);
	out->open_path = strdup(open_path);
	if (!out->path || !out->open_path)
		err = -ENOMEM;
cleanup:
	elf_file__free(ef);
	if (err)
		allocator_locate__release_image(out);
	return err;
}

static bool defines_marker(const struct allocator_family *family, const char *open_path)
{
	struct elf_file *ef = NULL;
	bool found = false;
	uint64_t offset;

	if (elf_file__open(open_path, &ef))
		return false;
	for (const char *const *m = family->markers; *m && !found; m++)
		found = !elf_file__func_offset(ef, *m, &offset, NULL);
	elf_file__free(ef);
	return found;
}

static int add_image(struct allocator_set *set, const struct allocator_family *family,
		     const char *path, const char *open_path)
{
	struct allocator_image img, *grown;
	int err;

	for (int i = 0; i < set->nr_images; i++)
		if (set->images[i].allocator == family->allocator &&
		    !strcmp(set->images[i].path, path))
			return 0;
	err = allocator_locate__in_file(family, path, open_path, set, &img);
	if (err)
		return err == -ENOMEM ? err : 0; /* unreadable, or none of its functions */
	grown = realloc(set->images, (set->nr_images + 1) * sizeof(*grown));
	if (!grown) {
		allocator_locate__release_image(&img);
		return -ENOMEM;
	}
	set->images = grown;
	set->images[set->nr_images++] = img;
	return 0;
}

/*
 * The malloc replacements before libstdc++: where one linked into the
 * executable defines operator new, that is its operator new, not "cxx"'s.
 */
static const enum mt_allocator search_order[] = {
	MT_ALLOC_JEMALLOC,
	MT_ALLOC_TCMALLOC,
	MT_ALLOC_MIMALLOC,
	MT_ALLOC_CXX,
};

/* One family's pass: its libraries in maps (when given), then the executable. */
static int add_family(struct allocator_set *set, const struct allocator_family *family, pid_t pid,
		      const struct proc_maps *maps, const char *exe, const char *exe_open_path)
{
	char open_path[4096];
	int err = 0;

	for (size_t i = 0; maps && i < maps->n && !err; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!m->executable || !m->path || m->path[0] != '/' ||
		    !allocator_funcs__is_library(family, m->path) ||
		    proc_map__open_path(pid, m, open_path, sizeof(open_path)))
			continue;
		err = add_image(set, family, m->path, open_path);
	}
	if (!err && exe && defines_marker(family, exe_open_path))
		err = add_image(set, family, exe, exe_open_path);
	return err;
}

static int locate(pid_t pid, const struct proc_maps *maps, const char *exe,
		  const char *exe_open_path, struct allocator_set *out)
{
	int err = 0;

	*out = (struct allocator_set){};
	for (size_t k = 0; k < sizeof(search_order) / sizeof(search_order[0]) && !err; k++)
		err = add_family(out, allocator_funcs__family(search_order[k]), pid, maps, exe,
				 exe_open_path);
	if (err)
		allocator_locate__release(out);
	return err;
}

int allocator_locate__in_process(pid_t pid, const struct proc_maps *maps, const char *exe,
				 struct allocator_set *out)
{
	char link[64], exe_buf[4096], open_path[4096 + 64];
	ssize_t n;

	/* launch mode knows no executable yet: the kernel's link names the one that runs */
	if (!exe) {
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		n = readlink(link, exe_buf, sizeof(exe_buf) - 1);
		if (n > 0) {
			exe_buf[n] = '\0';
			exe = exe_buf;
		}
	}
	if (exe && proc_maps__exe_open_path(pid, exe, open_path, sizeof(open_path)))
		exe = NULL;
	return locate(pid, maps, exe, open_path, out);
}

int allocator_locate__in_mapping(pid_t pid, const struct proc_map *m, struct allocator_set *out)
{
	/* the one mapping as maps: the libraries are found by name, no executable searched */
	struct proc_maps one = { .maps = (struct proc_map *)m, .n = 1 };

	return locate(pid, &one, NULL, NULL, out);
}

int allocator_locate__in_executable(const char *path, const char *open_path,
				    struct allocator_set *out)
{
	return locate(0, NULL, path, open_path, out);
}

void allocator_locate__take_from_libc(const struct allocator_set *set, struct libc_image *libc)
{
	int kept = 0, index[MT_FN_COUNT];

	if (!libc->path)
		return;
	for (int i = 0; i < libc->nr_sites; i++) {
		struct libc_site site = libc->sites[i];

		/* an alias's site comes after the one it aliases, and goes with it */
		if (already_probed(set, libc->path, site.vaddr)) {
			index[i] = -1;
			continue;
		}
		if (site.alias_of >= 0)
			site.alias_of = index[site.alias_of];
		index[i] = kept;
		libc->sites[kept++] = site;
	}
	libc->nr_sites = kept;
}

void allocator_locate__release_image(struct allocator_image *img)
{
	free(img->sites);
	free(img->path);
	free(img->open_path);
	*img = (struct allocator_image){};
}

void allocator_locate__release(struct allocator_set *set)
{
	for (int i = 0; i < set->nr_images; i++)
		allocator_locate__release_image(&set->images[i]);
	free(set->images);
	*set = (struct allocator_set){};
}

void allocator_locate__describe(const struct allocator_set *set, pid_t pid, FILE *out)
{
	char shown[PATH_MAX];

	for (int i = 0; i < set->nr_images; i++) {
		const struct allocator_image *img = &set->images[i];

		/* libstdc++'s: caller_table__add_process says what it found */
		if (!img->nr_sites || !allocator_funcs__is_probed(img->sites[0].shape))
			continue;

		fprintf(out, "memtrace: PID %d: %s: %d probe sites on %s (%d aliases share them)\n",
			pid, allocator_funcs__name(img->allocator), img->nr_sites,
			text_escape(img->path, shown, sizeof(shown)), img->nr_aliases);
	}
}

const char *allocator_locate__searched(void)
{
	return "libc (malloc, free), libstdc++ (operator new), jemalloc (malloc, je_malloc, "
	       "mallocx), tcmalloc (tc_malloc), mimalloc (mi_malloc), in the mapped libraries "
	       "and the executable";
}
