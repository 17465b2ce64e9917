// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Made for the few thousand addresses a report shows, not for a whole
 * module: opening reads only the compile units' address ranges; a unit's
 * functions and inlined calls are read the first time an address falls in
 * it, and its line table by libdw on the first line asked. A module's DWARF
 * can be gigabytes; a report touches a few of its units.
 *
 * Inside a function, the inlined calls form a tree of address ranges: an
 * address's innermost call is the deepest range holding it, and the chain
 * of calls up to the function is the way back to the root. dwarf_getscopes
 * would find the same chain by walking the unit from its top for every
 * address.
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdw.h>

#include "symbolize/source_lines.h"
#include "util/id_map.h"

#define NO_CALL UINT32_MAX

/* One inlined call. */
struct sl_call {
	const char *function;
	const char *file;	/* where the call is, in the caller's source */
	unsigned int line;
	uint32_t parent;	/* the call it was itself inlined by, or NO_CALL */
};

/* One address range of an inlined call. */
struct sl_range {
	uint64_t lo, hi;
	uint32_t call;
	uint32_t depth;		/* 1 for a call inlined into the function itself */
};

/* One address range of a function; a function split in parts (hot and cold) has several. */
struct sl_func {
	uint64_t lo, hi;
	const char *name;
	uint32_t first, n;	/* its inlined calls' ranges: ranges[first, first + n) */
};

struct sl_unit {
	Dwarf_Die die;
	bool read;		/* funcs, ranges and calls are filled in */
	struct sl_func *funcs;	/* by address */
	size_t nfuncs, funcs_cap;
	struct sl_range *ranges;
	size_t nranges, ranges_cap;
	struct sl_call *calls;
	size_t ncalls, calls_cap;
	Dwarf_Files *files;	/* for DW_AT_call_file; NULL without a line table */
	size_t nfiles;
	const char *comp_dir;	/* NULL when the unit does not say */
};

struct sl_unit_range {
	uint64_t lo, hi;
	uint32_t unit;
};

struct source_lines {
	Elf *elf;
	Dwarf *dw;
	struct sl_unit *units;
	size_t nunits;
	struct sl_unit_range *index;	/* every unit's ranges, by address */
	size_t nindex;
	struct id_map joined;	/* libdw's name of a file -> index in paths */
	char **paths;		/* relative names joined with their build directory */
	size_t npaths, paths_cap;
};

/* array when it has room for one more than n elements, else a larger copy; NULL: no memory. */
static void *grow(void *array, size_t *cap, size_t n, size_t size)
{
	size_t new_cap = *cap ? *cap * 2 : 16;
	void *grown;

	if (n < *cap)
		return array;
	grown = reallocarray(array, new_cap, size);
	if (grown)
		*cap = new_cap;
	return grown;
}

/* 0 once array (of cap elements) has room for one more than n; -ENOMEM leaves it as it was. */
#define GROW(array, cap, n)                                                        \
	({                                                                         \
		__typeof__(array) grown_ = grow(array, &(cap), n, sizeof(*(array))); \
		if (grown_)                                                        \
			(array) = grown_;                                          \
		grown_ ? 0 : -ENOMEM;                                              \
	})

/* The name a symbol table would have: the linkage name (C++, mangled) before the plain one. */
static const char *die_name(Dwarf_Die *die)
{
	static const unsigned int names[] = { DW_AT_linkage_name, DW_AT_MIPS_linkage_name,
					      DW_AT_name };
	Dwarf_Attribute attr;
	const char *name;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* _integrate: an inlined call or an out-of-line copy names its abstract origin */
		if (dwarf_attr_integrate(die, names[i], &attr) && (name = dwarf_formstring(&attr)))
			return name;
	}
	return NULL;
}

static unsigned int die_udata(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute attr;
	Dwarf_Word value;

	if (!dwarf_attr(die, name, &attr) || dwarf_formudata(&attr, &value) || value > UINT32_MAX)
		return 0;
	return (unsigned int)value;
}

static bool has_code(Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;

	return dwarf_ranges(die, 0, &base, &lo, &hi) > 0;
}

/*
 * A file as libdw names it may be relative to the unit's build directory
 * (gcc keeps the path it was given, "user/x.c"); joined with an absolute
 * DW_AT_comp_dir it becomes a path a reader can open. Each is joined once,
 * the first time it is asked for; without memory the name stays as it was.
 */
static const char *source_lines__path(struct source_lines *sl, const struct sl_unit *u,
				      const char *file)
{
	uint64_t key = (uint64_t)(uintptr_t)file;
	int64_t idx;
	char *path;

	if (!file || file[0] == '/' || !u->comp_dir || u->comp_dir[0] != '/')
		return file;
	idx = id_map__get(&sl->joined, key);
	if (idx >= 0)
		return sl->paths[idx];
	if (GROW(sl->paths, sl->paths_cap, sl->npaths) ||
	    asprintf(&path, "%s/%s", u->comp_dir, file + (strncmp(file, "./", 2) ? 0 : 2)) < 0)
		return file;
	if (id_map__put(&sl->joined, key, (uint32_t)sl->npaths)) {
		free(path);
		return file;
	}
	sl->paths[sl->npaths++] = path;
	return path;
}

static int sl_unit__add_call(struct source_lines *sl, struct sl_unit *u, Dwarf_Die *die,
			     uint32_t parent, uint32_t depth)
{
	unsigned int file = die_udata(die, DW_AT_call_file);
	Dwarf_Addr base, lo, hi;
	struct sl_call *call;
	ptrdiff_t off = 0;

	if (GROW(u->calls, u->calls_cap, u->ncalls))
		return -ENOMEM;
	call = &u->calls[u->ncalls];
	call->function = die_name(die);
	call->file = source_lines__path(
		sl, u, u->files && file < u->nfiles ? dwarf_filesrc(u->files, file, NULL, NULL) : NULL);
	call->line = die_udata(die, DW_AT_call_line);
	call->parent = parent;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		if (GROW(u->ranges, u->ranges_cap, u->nranges))
			return -ENOMEM;
		u->ranges[u->nranges++] = (struct sl_range){ lo, hi, (uint32_t)u->ncalls, depth };
	}
	u->ncalls++;
	return 0;
}

/* The inlined calls under die, a function or a block in one, whose innermost call is call. */
static int sl_unit__read_scope(struct source_lines *sl, struct sl_unit *u, Dwarf_Die *die,
			       uint32_t call, uint32_t depth)
{
	Dwarf_Die child;
	int err = 0, more;

	for (more = dwarf_child(die, &child) == 0; more && !err;
	     more = dwarf_siblingof(&child, &child) == 0) {
		switch (dwarf_tag(&child)) {
		case DW_TAG_inlined_subroutine:
			if (!has_code(&child))
				break;
			err = sl_unit__add_call(sl, u, &child, call, depth + 1);
			if (!err)
				err = sl_unit__read_scope(sl, u, &child, (uint32_t)u->ncalls - 1,
							  depth + 1);
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			err = sl_unit__read_scope(sl, u, &child, call, depth);
			break;
		default:
			break;
		}
	}
	return err;
}

static int sl_unit__add_func(struct source_lines *sl, struct sl_unit *u, Dwarf_Die *die)
{
	size_t first = u->nranges;
	Dwarf_Addr base, lo, hi;
	const char *name;
	ptrdiff_t off = 0;
	int err;

	/* declarations and abstract instances of inline functions have no code */
	if (!has_code(die))
		return 0;
	err = sl_unit__read_scope(sl, u, die, NO_CALL, 0);
	if (err)
		return err;
	name = die_name(die);
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		if (GROW(u->funcs, u->funcs_cap, u->nfuncs))
			return -ENOMEM;
		u->funcs[u->nfuncs++] = (struct sl_func){
			lo, hi, name, (uint32_t)first, (uint32_t)(u->nranges - first),
		};
	}
	return 0;
}

/* Functions are children of the unit, or of namespaces and classes in C++. */
static int sl_unit__read_funcs(struct source_lines *sl, struct sl_unit *u, Dwarf_Die *die)
{
	Dwarf_Die child;
	int err = 0, more;

	for (more = dwarf_child(die, &child) == 0; more && !err;
	     more = dwarf_siblingof(&child, &child) == 0) {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			err = sl_unit__add_func(sl, u, &child);
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_module:
			err = sl_unit__read_funcs(sl, u, &child);
			break;
		default:
			break;
		}
	}
	return err;
}

static int sl_func__cmp(const void *a, const void *b)
{
	const struct sl_func *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static int sl_unit__read(struct source_lines *sl, struct sl_unit *u)
{
	Dwarf_Attribute attr;
	int err;

	if (dwarf_getsrcfiles(&u->die, &u->files, &u->nfiles)) {
		u->files = NULL;
		u->nfiles = 0;
	}
	u->comp_dir = dwarf_attr(&u->die, DW_AT_comp_dir, &attr) ? dwarf_formstring(&attr) : NULL;
	err = sl_unit__read_funcs(sl, u, &u->die);
	if (err) {
		/* read again from the start next time */
		u->nfuncs = u->nranges = u->ncalls = 0;
		return err;
	}
	qsort(u->funcs, u->nfuncs, sizeof(*u->funcs), sl_func__cmp);
	u->read = true;
	return 0;
}

static void sl_unit__release(struct sl_unit *u)
{
	free(u->funcs);
	free(u->ranges);
	free(u->calls);
}

static int sl_unit_range__cmp(const void *a, const void *b)
{
	const struct sl_unit_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Only the units' own DIEs are read here: their address ranges. */
static int source_lines__index_units(struct source_lines *sl)
{
	size_t units_cap = 0, index_cap = 0;
	Dwarf_Addr base, lo, hi;
	Dwarf_CU *cu = NULL;
	uint8_t unit_type;
	Dwarf_Die cudie;
	ptrdiff_t off;

	while (dwarf_get_units(sl->dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
		/* partial units (dwz) are imported by others; type units have no code */
		if (unit_type != DW_UT_compile)
			continue;
		off = 0;
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (GROW(sl->index, index_cap, sl->nindex))
				return -ENOMEM;
			sl->index[sl->nindex++] = (struct sl_unit_range){ lo, hi,
									 (uint32_t)sl->nunits };
		}
		if (GROW(sl->units, units_cap, sl->nunits))
			return -ENOMEM;
		sl->units[sl->nunits++] = (struct sl_unit){ .die = cudie };
	}
	qsort(sl->index, sl->nindex, sizeof(*sl->index), sl_unit_range__cmp);
	return 0;
}

int source_lines__open(const char *path, struct source_lines **out)
{
	struct source_lines *sl = NULL;
	struct stat st;
	int fd, err;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put where a mapped file was must not hang the report */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -ENODATA;
		goto cleanup;
	}
	sl = calloc(1, sizeof(*sl));
	if (!sl) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    !(sl->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL))) {
		err = -ENODATA;
		goto cleanup;
	}
	sl->dw = dwarf_begin_elf(sl->elf, DWARF_C_READ, NULL);
	if (!sl->dw) {
		err = -ENODATA;
		goto cleanup;
	}
	err = source_lines__index_units(sl);
	if (err)
		goto cleanup;
	/*
	 * The file is mapped whole: the descriptor is not needed any more, and
	 * a report may hold the DWARF of hundreds of modules.
	 */
	elf_cntl(sl->elf, ELF_C_FDDONE);
	*out = sl;
	sl = NULL;
cleanup:
	source_lines__free(sl);
	close(fd);
	return err;
}

void source_lines__free(struct source_lines *sl)
{
	if (!sl)
		return;
	for (size_t i = 0; i < sl->nunits; i++)
		sl_unit__release(&sl->units[i]);
	free(sl->units);
	free(sl->index);
	for (size_t i = 0; i < sl->npaths; i++)
		free(sl->paths[i]);
	free(sl->paths);
	id_map__release(&sl->joined);
	if (sl->dw)
		dwarf_end(sl->dw);
	if (sl->elf)
		elf_end(sl->elf);
	free(sl);
}

/* The unit whose range holds vaddr, or NULL. */
static struct sl_unit *source_lines__unit(const struct source_lines *sl, uint64_t vaddr)
{
	size_t lo = 0, hi = sl->nindex, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sl->index[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= sl->index[lo - 1].hi)
		return NULL;
	return &sl->units[sl->index[lo - 1].unit];
}

static const struct sl_func *sl_unit__func(const struct sl_unit *u, uint64_t vaddr)
{
	size_t lo = 0, hi = u->nfuncs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (u->funcs[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= u->funcs[lo - 1].hi)
		return NULL;
	return &u->funcs[lo - 1];
}

/* The innermost call inlined at vaddr in f, or NO_CALL. */
static uint32_t sl_unit__innermost(const struct sl_unit *u, const struct sl_func *f,
				   uint64_t vaddr)
{
	uint32_t best = NO_CALL, depth = 0;

	for (uint32_t i = f->first; i < f->first + f->n; i++) {
		const struct sl_range *r = &u->ranges[i];

		if (vaddr >= r->lo && vaddr < r->hi && r->depth > depth) {
			best = r->call;
			depth = r->depth;
		}
	}
	return best;
}

static void put(struct source_frame *out, size_t max, size_t i, const char *function,
		const char *file, unsigned int line)
{
	if (i < max)
		out[i] = (struct source_frame){ function, file, line };
}

int source_lines__lookup(struct source_lines *sl, uint64_t vaddr, struct source_frame *out,
			 size_t max)
{
	struct sl_unit *u = source_lines__unit(sl, vaddr);
	const char *file = NULL;
	const struct sl_func *f;
	unsigned int line = 0;
	Dwarf_Line *row;
	int lineno, err;
	size_t n = 0;

	if (!u)
		return 0;
	if (!u->read) {
		err = sl_unit__read(sl, u);
		if (err)
			return err;
	}
	row = dwarf_getsrc_die(&u->die, vaddr);
	if (row) {
		file = source_lines__path(sl, u, dwarf_linesrc(row, NULL, NULL));
		if (!dwarf_lineno(row, &lineno) && lineno > 0)
			line = (unsigned int)lineno;
	}
	f = sl_unit__func(u, vaddr);
	if (!f) {
		/* code without a function in the DWARF (assembly): the line table alone */
		if (!file)
			return 0;
		put(out, max, n++, NULL, file, line);
		return (int)n;
	}
	/* each frame's line is where the next inner one was called */
	for (uint32_t c = sl_unit__innermost(u, f, vaddr); c != NO_CALL; c = u->calls[c].parent) {
		put(out, max, n++, u->calls[c].function, file, line);
		file = u->calls[c].file;
		line = u->calls[c].line;
	}
	put(out, max, n++, f->name, file, line);
	return (int)n;
}
