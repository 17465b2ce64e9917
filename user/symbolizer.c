// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Address -> module, offset and function, through a process's mappings and
 * a cache of ELF files. The cache is an open-addressing hash table keyed by
 * what /proc/PID/maps says of a file (device, inode and path), so processes
 * that map the same library share one elf_file, and a file that could not
 * be read is remembered rather than reopened for every address.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "symbolizer.h"

struct module {
	char *path;		/* as the maps file prints it; NULL marks a free slot */
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	struct elf_file *ef;	/* NULL: not a file, or unreadable */
};

struct symbolizer {
	struct module *slots;
	size_t cap;		/* a power of two */
	size_t used;
};

#define SYMBOLIZER_INITIAL_CAP 64

static uint64_t module__hash(const struct proc_map *map)
{
	/* FNV-1a */
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)map->path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ map->inode) * 0x100000001b3ULL;
	h = (h ^ ((uint64_t)map->dev_major << 32 | map->dev_minor)) * 0x100000001b3ULL;
	return h;
}

static bool module__matches(const struct module *mod, const struct proc_map *map)
{
	return mod->inode == map->inode && mod->dev_major == map->dev_major &&
	       mod->dev_minor == map->dev_minor && !strcmp(mod->path, map->path);
}

/* The slot holding map's module, or the free slot where it belongs. */
static struct module *symbolizer__slot(const struct symbolizer *s, const struct proc_map *map)
{
	size_t i = module__hash(map) & (s->cap - 1);

	while (s->slots[i].path && !module__matches(&s->slots[i], map))
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

static int symbolizer__grow(struct symbolizer *s)
{
	struct module *old = s->slots, *slot;
	size_t i, old_cap = s->cap;
	struct proc_map key = {};

	s->slots = calloc(old_cap * 2, sizeof(*s->slots));
	if (!s->slots) {
		s->slots = old;
		return -ENOMEM;
	}
	s->cap = old_cap * 2;
	for (i = 0; i < old_cap; i++) {
		if (!old[i].path)
			continue;
		key.path = old[i].path;
		key.inode = old[i].inode;
		key.dev_major = old[i].dev_major;
		key.dev_minor = old[i].dev_minor;
		slot = symbolizer__slot(s, &key);
		*slot = old[i];
	}
	free(old);
	return 0;
}

/*
 * Opens the module under the process's root first: a containerized process
 * sees its own files. Without a root, or once the process is gone and its
 * /proc/PID/root with it, the path as seen from here is the best guess left.
 */
static struct elf_file *module__open(const char *path, const char *root)
{
	struct elf_file *ef = NULL;
	char buf[PATH_MAX];
	int len;

	/* "[vdso]", "[anon:name]" and the like name memory, not files. */
	if (path[0] != '/')
		return NULL;
	if (root) {
		len = snprintf(buf, sizeof(buf), "%s%s", root, path);
		if (len > 0 && (size_t)len < sizeof(buf) && !elf_file__open(buf, &ef))
			return ef;
	}
	elf_file__open(path, &ef);
	return ef;
}

/* NULL only when memory runs out. */
static struct module *symbolizer__module(struct symbolizer *s, const struct proc_map *map,
					 const char *root)
{
	struct module *mod = symbolizer__slot(s, map);

	if (mod->path)
		return mod;
	/* Keep the table at most 3/4 full so that probes stay short and always end. */
	if ((s->used + 1) * 4 > s->cap * 3) {
		if (symbolizer__grow(s))
			return NULL;
		mod = symbolizer__slot(s, map);
	}
	mod->path = strdup(map->path);
	if (!mod->path)
		return NULL;
	mod->inode = map->inode;
	mod->dev_major = map->dev_major;
	mod->dev_minor = map->dev_minor;
	mod->ef = module__open(map->path, root);
	s->used++;
	return mod;
}

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cap = SYMBOLIZER_INITIAL_CAP;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++) {
		free(s->slots[i].path);
		elf_file__free(s->slots[i].ef);
	}
	free(s->slots);
	free(s);
}

/*
 * Without a module (anonymous memory such as JIT code, or no mapping at all)
 * module_offset is ip itself. Without symbols for a file, it is the file
 * offset. When memory for the cache runs out the frame is reported as if
 * anonymous rather than lending out the caller's path, which maps owns.
 */
void symbolizer__resolve(struct symbolizer *s, const struct proc_maps *maps, const char *root,
			 uint64_t ip, bool is_return, struct frame_info *out)
{
	const struct proc_map *map = proc_maps__find(maps, ip);
	uint64_t file_off, vaddr, lookup, sym_off;
	const struct module *mod;

	memset(out, 0, sizeof(*out));
	out->module_offset = ip;
	if (!map)
		return;
	out->mapped = map->executable;
	if (!map->path)
		return;
	mod = symbolizer__module(s, map, root);
	if (!mod)
		return;
	out->module = mod->path;
	file_off = map->offset + (ip - map->start);
	out->module_offset = file_off;
	if (!mod->ef || elf_file__offset_to_vaddr(mod->ef, file_off, &vaddr))
		return;
	out->module_offset = vaddr;
	/*
	 * A return address follows its call; when the call is a function's last
	 * instruction (a call to a noreturn function) it points past the function.
	 */
	lookup = is_return && vaddr ? vaddr - 1 : vaddr;
	out->symbol = elf_file__symbolize(mod->ef, lookup, &sym_off);
	if (out->symbol)
		out->symbol_offset = sym_off + (vaddr - lookup);
}
