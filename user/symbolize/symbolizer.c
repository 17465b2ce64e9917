// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Address -> module, offset and function, and source lines, through a
 * process's mappings and a cache of ELF files ("images").
 *
 * Two open-addressing tables: mapped files by (device, inode), as
 * /proc/PID/maps shows them, each pointing at its image (or at none: a
 * file that could not be read is remembered, not reopened for every
 * address); and module names, interned so that a frame's module string
 * outlives the maps it came from. Images are shared by build id, so the
 * same library seen through two containers' file systems is read once.
 *
 * The separate debug file and the DWARF of an image are looked for only
 * when needed: the debug file at once for a module without .symtab, else
 * with the DWARF, on the first frame that asks for source lines.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/debuginfo.h"
#include "symbolize/demangle.h"
#include "symbolize/elf_file.h"
#include "symbolize/source_lines.h"
#include "symbolize/symbolizer.h"
#include "util/id_map.h"

/* A lookup's inlined calls, in image.frames[first, first + n); n 0: no DWARF there. */
struct chain {
	uint32_t first;
	uint32_t n;
};

struct image {
	struct elf_file *ef;	/* with the debug file's symbols when it had no .symtab */
	char *path;		/* what it was read through; its own DWARF is read there too */
	char *debug_path;	/* its separate debug file, NULL if none (or not looked for) */
	bool debug_searched;
	bool lines_opened;	/* lines were looked for; NULL if there are none */
	struct source_lines *lines;
	struct id_map cached;	/* lookup address + 1 -> index in chains */
	struct chain *chains;
	size_t nchains, chains_cap;
	struct source_frame *frames;
	size_t nframes, frames_cap;
	struct id_map demangled_at;	/* a C++ name's address -> index in demangled */
	char **demangled;		/* readable forms; NULL: the name does not demangle */
	size_t ndemangled, demangled_cap;
};

struct file_slot {
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	bool used;
	struct image *img;	/* NULL: unreadable */
};

struct symbolizer {
	struct file_slot *files;
	size_t files_cap;	/* a power of two */
	size_t nfiles;
	char **names;		/* interned module names */
	size_t names_cap;	/* a power of two */
	size_t nnames;
	struct image **images;	/* each owned once, whatever the files sharing it */
	size_t nimages, images_cap;
	struct debuginfo *debuginfo;
};

#define SYMBOLIZER_INITIAL_CAP 64
/* Inlined calls a frame usually has at most: room kept for one lookup. */
#define CHAIN_ROOM 16

/* FNV-1a */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL

static uint64_t file_hash(uint64_t inode, uint32_t major, uint32_t minor)
{
	uint64_t dev = (uint64_t)major << 32 | minor;

	return fnv1a(fnv1a(FNV_BASIS, &inode, sizeof(inode)), &dev, sizeof(dev));
}

/* The slot of (dev, inode), or the free slot where it belongs. */
static struct file_slot *file_slot(struct file_slot *slots, size_t cap, uint64_t inode,
				   uint32_t major, uint32_t minor)
{
	size_t i = file_hash(inode, major, minor) & (cap - 1);

	while (slots[i].used && (slots[i].inode != inode || slots[i].dev_major != major ||
				 slots[i].dev_minor != minor))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Keeps a table at most 3/4 full so that probes stay short and always end. */
static int symbolizer__grow_files(struct symbolizer *s)
{
	size_t cap = s->files_cap * 2;
	struct file_slot *slots;

	if ((s->nfiles + 1) * 4 <= s->files_cap * 3)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->files_cap; i++) {
		const struct file_slot *old = &s->files[i];

		if (old->used)
			*file_slot(slots, cap, old->inode, old->dev_major, old->dev_minor) = *old;
	}
	free(s->files);
	s->files = slots;
	s->files_cap = cap;
	return 0;
}

static char **name_slot(char **slots, size_t cap, const char *name)
{
	size_t i = fnv1a(FNV_BASIS, name, strlen(name)) & (cap - 1);

	while (slots[i] && strcmp(slots[i], name))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* The symbolizer's own copy of name; NULL when memory runs out. */
static const char *symbolizer__intern(struct symbolizer *s, const char *name)
{
	char **slot = name_slot(s->names, s->names_cap, name), **slots;
	size_t cap = s->names_cap * 2;

	if (*slot)
		return *slot;
	if ((s->nnames + 1) * 4 > s->names_cap * 3) {
		slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return NULL;
		for (size_t i = 0; i < s->names_cap; i++)
			if (s->names[i])
				*name_slot(slots, cap, s->names[i]) = s->names[i];
		free(s->names);
		s->names = slots;
		s->names_cap = cap;
		slot = name_slot(s->names, s->names_cap, name);
	}
	*slot = strdup(name);
	if (!*slot)
		return NULL;
	s->nnames++;
	return *slot;
}

static void image__free(struct image *img)
{
	if (!img)
		return;
	elf_file__free(img->ef);
	free(img->path);
	free(img->debug_path);
	source_lines__free(img->lines);
	id_map__release(&img->cached);
	free(img->chains);
	free(img->frames);
	for (size_t i = 0; i < img->ndemangled; i++)
		free(img->demangled[i]);
	free(img->demangled);
	id_map__release(&img->demangled_at);
	free(img);
}

/*
 * Looks once for the image's separate debug file, as the process that maps
 * it as path sees the file system. Failing (no debug file, no memory) only
 * leaves the image without.
 */
static void symbolizer__find_debug(struct symbolizer *s, struct image *img, const char *path,
				   const char *proc_dir)
{
	struct elf_file *debug;
	char root[PATH_MAX];

	if (img->debug_searched)
		return;
	img->debug_searched = true;
	snprintf(root, sizeof(root), "%s/root", proc_dir ? proc_dir : "");
	if (debuginfo__find(s->debuginfo, img->ef, path, proc_dir ? root : NULL, &debug,
			    &img->debug_path))
		return;
	if (!elf_file__has_symtab(img->ef)) {
		/*
		 * The names move to a new table: keys by their old addresses would
		 * be stale. The readable names already handed out stay valid.
		 */
		id_map__release(&img->demangled_at);
		elf_file__add_symbols(img->ef, debug);
	}
	elf_file__free(debug);
}

/*
 * The module's file, tried through the process's view first (see
 * symbolizer__resolve); *used gets the path that worked.
 */
static struct elf_file *module__open(const struct proc_map *map, const char *proc_dir,
				     char **used)
{
	struct elf_file *ef = NULL;
	char buf[PATH_MAX];
	int len;

	*used = NULL;
	if (proc_dir) {
		len = snprintf(buf, sizeof(buf), "%s/map_files/%llx-%llx", proc_dir,
			       (unsigned long long)map->start, (unsigned long long)map->end);
		if (len > 0 && (size_t)len < sizeof(buf) && !elf_file__open(buf, &ef))
			goto found;
		len = snprintf(buf, sizeof(buf), "%s/root%s", proc_dir, map->path);
		if (len > 0 && (size_t)len < sizeof(buf) && !elf_file__open(buf, &ef))
			goto found;
	}
	/* Without the process, the path as seen from here is the best guess left. */
	if (elf_file__open(map->path, &ef))
		return NULL;
	snprintf(buf, sizeof(buf), "%s", map->path);
found:
	*used = strdup(buf);
	if (!*used) {
		elf_file__free(ef);
		return NULL;
	}
	return ef;
}

/* An image already read from a file with ef's build id, or NULL. */
static struct image *symbolizer__same_build(const struct symbolizer *s,
					    const struct elf_file *ef)
{
	const char *id = elf_file__build_id(ef);

	for (size_t i = 0; id && i < s->nimages; i++) {
		const char *other = elf_file__build_id(s->images[i]->ef);

		if (other && !strcmp(id, other))
			return s->images[i];
	}
	return NULL;
}

/* A new image, owned by s; NULL when the file cannot be read or memory runs out. */
static struct image *symbolizer__open_image(struct symbolizer *s, const struct proc_map *map,
					    const char *proc_dir)
{
	struct image *img, **grown;
	char *path;
	struct elf_file *ef;

	ef = module__open(map, proc_dir, &path);
	if (!ef)
		return NULL;
	img = symbolizer__same_build(s, ef);
	if (img) {
		elf_file__free(ef);
		free(path);
		return img;
	}
	if (s->nimages == s->images_cap) {
		grown = reallocarray(s->images, s->images_cap ? 2 * s->images_cap : 16,
				     sizeof(*grown));
		if (!grown)
			goto fail;
		s->images = grown;
		s->images_cap = s->images_cap ? 2 * s->images_cap : 16;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		goto fail;
	img->ef = ef;
	img->path = path;
	s->images[s->nimages++] = img;
	/* .dynsym names only exported functions: the debug file's .symtab names the rest */
	if (!elf_file__has_symtab(ef))
		symbolizer__find_debug(s, img, map->path, proc_dir);
	return img;
fail:
	elf_file__free(ef);
	free(path);
	return NULL;
}

/* The image of a file-backed mapping; NULL for other mappings, unreadable files, no memory. */
static struct image *symbolizer__image(struct symbolizer *s, const struct proc_map *map,
				       const char *proc_dir)
{
	struct file_slot *slot;

	/* "[vdso]", "[anon:name]" and the like name memory, not files. */
	if (map->path[0] != '/' || !map->inode)
		return NULL;
	slot = file_slot(s->files, s->files_cap, map->inode, map->dev_major, map->dev_minor);
	if (slot->used)
		return slot->img;
	if (symbolizer__grow_files(s))
		return NULL;
	slot = file_slot(s->files, s->files_cap, map->inode, map->dev_major, map->dev_minor);
	*slot = (struct file_slot){
		.inode = map->inode,
		.dev_major = map->dev_major,
		.dev_minor = map->dev_minor,
		.used = true,
		.img = symbolizer__open_image(s, map, proc_dir),
	};
	s->nfiles++;
	return slot->img;
}

struct symbolizer *symbolizer__new(void)
{
	return symbolizer__new_opts(NULL);
}

struct symbolizer *symbolizer__new_opts(const struct symbolizer_opts *opts)
{
	struct debuginfo_opts dopts = {};
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (opts) {
		dopts.debug_dir = opts->debug_dir;
		dopts.debuginfod_ms = opts->debuginfod_ms;
	}
	s->files_cap = s->names_cap = SYMBOLIZER_INITIAL_CAP;
	s->files = calloc(s->files_cap, sizeof(*s->files));
	s->names = calloc(s->names_cap, sizeof(*s->names));
	s->debuginfo = debuginfo__new(&dopts);
	if (!s->files || !s->names || !s->debuginfo) {
		symbolizer__free(s);
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nimages; i++)
		image__free(s->images[i]);
	for (size_t i = 0; s->names && i < s->names_cap; i++)
		free(s->names[i]);
	free(s->images);
	free(s->names);
	free(s->files);
	debuginfo__free(s->debuginfo);
	free(s);
}

/*
 * Names f: name itself, or for a C++ linkage name its readable form, with
 * name kept as f->linkage_name. Each name is demangled once per image,
 * keyed by its address: ELF names stay in the image's symbol table and
 * DWARF names in libdw's string data for as long as the image lives (a
 * table replaced by the debug file's drops the keys first). Without
 * memory for the cache, or when it does not demangle, name stays as it is.
 */
static void image__name(struct image *img, const char *name, struct frame_info *f)
{
	int64_t idx;
	char **grown;

	f->symbol = name;
	f->linkage_name = NULL;
	if (!demangle__is_mangled(name))
		return;
	idx = id_map__get(&img->demangled_at, (uint64_t)(uintptr_t)name);
	if (idx < 0) {
		if (img->ndemangled == img->demangled_cap) {
			grown = reallocarray(img->demangled,
					     img->demangled_cap ? 2 * img->demangled_cap : 64,
					     sizeof(*grown));
			if (!grown)
				return;
			img->demangled = grown;
			img->demangled_cap = img->demangled_cap ? 2 * img->demangled_cap : 64;
		}
		if (img->ndemangled > UINT32_MAX ||
		    id_map__put(&img->demangled_at, (uint64_t)(uintptr_t)name,
				(uint32_t)img->ndemangled))
			return;
		idx = (int64_t)img->ndemangled;
		img->demangled[img->ndemangled++] = demangle__cxx(name);
	}
	if (img->demangled[idx]) {
		f->symbol = img->demangled[idx];
		f->linkage_name = name;
	}
}

/*
 * Fills out as symbolizer__resolve documents, map being ip's mapping (or
 * NULL); returns the module's image (NULL if none) and in *lookup the
 * address to look up in it.
 *
 * Without a module (anonymous memory such as JIT code, or no mapping at all)
 * module_offset is ip itself. Without symbols for a file, it is the file
 * offset. When memory for the cache runs out the frame is reported as if
 * anonymous rather than lending out the caller's path, which maps owns.
 */
static struct image *symbolizer__locate(struct symbolizer *s, const struct proc_map *map,
					const char *proc_dir, uint64_t ip, bool is_return,
					struct frame_info *out, uint64_t *lookup)
{
	uint64_t file_off, vaddr, sym_off;
	struct image *img;

	memset(out, 0, sizeof(*out));
	out->module_offset = ip;
	if (!map)
		return NULL;
	out->mapped = map->executable;
	if (!map->path)
		return NULL;
	out->module = symbolizer__intern(s, map->path);
	if (!out->module)
		return NULL;
	file_off = map->offset + (ip - map->start);
	out->module_offset = file_off;
	img = symbolizer__image(s, map, proc_dir);
	if (img)
		out->build_id = elf_file__build_id(img->ef);
	if (!img || elf_file__offset_to_vaddr(img->ef, file_off, &vaddr))
		return NULL;
	out->module_offset = vaddr;
	/*
	 * A return address follows its call; when the call is a function's last
	 * instruction (a call to a noreturn function) it points past the function.
	 */
	*lookup = is_return && vaddr ? vaddr - 1 : vaddr;
	image__name(img, elf_file__symbolize(img->ef, *lookup, &sym_off), out);
	if (out->symbol)
		out->symbol_offset = sym_off + (vaddr - *lookup);
	return img;
}

void symbolizer__resolve(struct symbolizer *s, const struct proc_maps *maps, const char *proc_dir,
			 uint64_t ip, bool is_return, struct frame_info *out)
{
	uint64_t lookup;

	symbolizer__locate(s, proc_maps__find(maps, ip), proc_dir, ip, is_return, out, &lookup);
}

/* The image's DWARF, opened on first use; NULL if it has none. */
static struct source_lines *symbolizer__lines(struct symbolizer *s, struct image *img,
					      const struct proc_map *map, const char *proc_dir)
{
	if (img->lines_opened)
		return img->lines;
	img->lines_opened = true;
	if (elf_file__has_dwarf(img->ef)) {
		source_lines__open(img->path, &img->lines);
		return img->lines;
	}
	symbolizer__find_debug(s, img, map->path, proc_dir);
	if (img->debug_path)
		source_lines__open(img->debug_path, &img->lines);
	return img->lines;
}

void symbolizer__read_deleted(struct symbolizer *s, const struct proc_maps *maps,
			      const char *proc_dir)
{
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];
		struct image *img;

		if (!m->executable || !proc_map__deleted(m))
			continue;
		img = symbolizer__image(s, m, proc_dir);
		/* its own DWARF is in the deleted file too; a debug file's is read later */
		if (img && elf_file__has_dwarf(img->ef))
			symbolizer__lines(s, img, m, proc_dir);
	}
}

/* Makes room for n more frames in the image's pool. */
static int image__reserve(struct image *img, size_t n)
{
	size_t cap = img->frames_cap ? img->frames_cap : 64;
	struct source_frame *grown;

	if (img->nframes + n <= img->frames_cap)
		return 0;
	while (cap < img->nframes + n)
		cap *= 2;
	grown = reallocarray(img->frames, cap, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	img->frames = grown;
	img->frames_cap = cap;
	return 0;
}

/* The inlined-call chain at vaddr, from the cache or the DWARF; NULL with *n 0 when unknown. */
static const struct source_frame *image__chain(struct image *img, uint64_t vaddr, size_t *n)
{
	int64_t idx = id_map__get(&img->cached, vaddr + 1);
	struct chain *grown;
	int got;

	*n = 0;
	if (idx >= 0) {
		*n = img->chains[idx].n;
		return img->frames + img->chains[idx].first;
	}
	if (image__reserve(img, CHAIN_ROOM))
		return NULL;
	got = source_lines__lookup(img->lines, vaddr, img->frames + img->nframes,
				   img->frames_cap - img->nframes);
	if (got > 0 && (size_t)got > img->frames_cap - img->nframes) {
		if (image__reserve(img, got))
			return NULL;
		got = source_lines__lookup(img->lines, vaddr, img->frames + img->nframes,
					   img->frames_cap - img->nframes);
	}
	if (got < 0 || img->nframes + got > UINT32_MAX)
		return NULL;
	if (img->nchains == img->chains_cap) {
		grown = reallocarray(img->chains, img->chains_cap ? 2 * img->chains_cap : 64,
				     sizeof(*grown));
		if (!grown)
			return NULL;
		img->chains = grown;
		img->chains_cap = img->chains_cap ? 2 * img->chains_cap : 64;
	}
	/* an address without DWARF is remembered too: n 0 */
	if (id_map__put(&img->cached, vaddr + 1, (uint32_t)img->nchains))
		return NULL;
	img->chains[img->nchains++] = (struct chain){ (uint32_t)img->nframes, (uint32_t)got };
	img->nframes += got;
	*n = got;
	return img->frames + img->nframes - got;
}

size_t symbolizer__resolve_frames(struct symbolizer *s, const struct proc_maps *maps,
				  const char *proc_dir, uint64_t ip, bool is_return,
				  struct frame_info *out, size_t max)
{
	const struct proc_map *map = proc_maps__find(maps, ip);
	const struct source_frame *chain = NULL;
	struct frame_info base, *f;
	uint64_t lookup = 0;
	struct image *img;
	size_t n = 0;

	img = symbolizer__locate(s, map, proc_dir, ip, is_return, &base, &lookup);
	if (img && symbolizer__lines(s, img, map, proc_dir))
		chain = image__chain(img, lookup, &n);
	if (!n) {
		if (max)
			out[0] = base;
		return 1;
	}
	for (size_t i = 0; i < n && i < max; i++) {
		f = &out[i];
		*f = base;
		f->file = chain[i].file;
		f->line = chain[i].line;
		/* The outermost keeps the ELF symbol: the name and offset of the code itself. */
		if (i + 1 < n) {
			image__name(img, chain[i].function, f);
			f->symbol_offset = 0;
			f->inlined = true;
		}
	}
	return n;
}
