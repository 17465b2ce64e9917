// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach/unwind_loader.h"
#include "attach/unwind_maps.h"
#include "symbolize/debuginfo.h"
#include "symbolize/elf_file.h"
#include "symbolize/unwind_table.h"
#include "util/array.h"
#include "util/heap.h"
#include "util/mono_clock.h"
#include "util/text_escape.h"

struct unwind_module {
	dev_t dev;
	ino_t ino;
	char *path;
	/*
	 * its segments (for the bias of each mapping) and counts, nrows the
	 * loaded table's; the rows are the kernel's
	 */
	struct unwind_table t;
	uint32_t slot;		/* in unwind_tables, or MT_UNWIND_NO_TABLE */
	int err;		/* no table can be made: no CFI, unreadable */
	bool over_cap;		/* the last try did not fit */
	bool said;		/* that it did not fit, on stderr */
	uint64_t tried_at;	/* the loader's unloads then: no use trying again before more */
	size_t refs;		/* mappings of traced processes */
};

struct unwind_pid {
	pid_t pid;
	struct unwind_maps maps;
};

struct unwind_loader {
	struct unwind_loader_opts o;
	struct unwind_module **mods;
	size_t nmods, mods_cap;
	struct unwind_pid *pids;
	size_t npids, pids_cap;
	bool slot_used[MT_UNWIND_MAX_TABLES];
	uint64_t bytes;
	uint64_t unloads;	/* tables let go so far: room a module over the cap may now fit */
	struct mt_unwind_proc *value;	/* 32 KiB: not on the stack */
	struct debuginfo *debuginfo;	/* made at the first module without CFI of its own */
};

int unwind_loader__new(const struct unwind_loader_opts *opts, struct unwind_loader **out)
{
	struct unwind_loader *ul = calloc(1, sizeof(*ul));

	if (!ul)
		return -ENOMEM;
	ul->o = *opts;
	ul->value = malloc(sizeof(*ul->value));
	if (!ul->value) {
		free(ul);
		return -ENOMEM;
	}
	*out = ul;
	return 0;
}

/* Lets a module's table go from the kernel; the module stays known, to be loaded again. */
static void module__unload(struct unwind_loader *ul, struct unwind_module *mod)
{
	if (mod->slot == MT_UNWIND_NO_TABLE)
		return;
	bpf_map_delete_elem(ul->o.tables_fd, &mod->slot);
	ul->slot_used[mod->slot] = false;
	ul->bytes -= (uint64_t)mod->t.nrows * sizeof(struct mt_unwind_row);
	ul->unloads++;
	mod->slot = MT_UNWIND_NO_TABLE;
}

void unwind_loader__free(struct unwind_loader *ul)
{
	if (!ul)
		return;
	for (size_t i = 0; i < ul->npids; i++)
		unwind_maps__release(&ul->pids[i].maps, NULL, NULL);
	for (size_t i = 0; i < ul->nmods; i++) {
		unwind_table__release(&ul->mods[i]->t);
		free(ul->mods[i]->path);
		free(ul->mods[i]);
	}
	free(ul->mods);
	free(ul->pids);
	free(ul->value);
	debuginfo__free(ul->debuginfo);
	free(ul);
}

/* Room for bytes more: the tables of modules no traced process maps go first. */
static bool make_room(struct unwind_loader *ul, uint64_t bytes)
{
	for (size_t i = 0; i < ul->nmods && ul->bytes + bytes > ul->o.max_bytes; i++)
		if (!ul->mods[i]->refs)
			module__unload(ul, ul->mods[i]);
	return ul->bytes + bytes <= ul->o.max_bytes;
}

static int free_slot(const struct unwind_loader *ul, uint32_t *slot)
{
	for (uint32_t i = 0; i < MT_UNWIND_MAX_TABLES; i++) {
		if (!ul->slot_used[i]) {
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* The rows into an inner map of their own size, put in slot. */
static int load_rows(struct unwind_loader *ul, const struct unwind_table *t, uint32_t slot)
{
	LIBBPF_OPTS(bpf_map_create_opts, create, .map_flags = BPF_F_INNER_MAP);
	__u32 count = t->nrows, *keys;
	int fd, err = 0;

	keys = malloc(t->nrows * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++)
		keys[i] = i;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "mt_unwind_rows", sizeof(__u32),
			    sizeof(struct mt_unwind_row), t->nrows, &create);
	if (fd < 0)
		err = -errno;
	if (!err && bpf_map_update_batch(fd, keys, t->rows, &count, NULL))
		err = -errno;
	if (!err && bpf_map_update_elem(ul->o.tables_fd, &slot, &fd, BPF_ANY))
		err = -errno;
	/* the outer map holds the inner one from now */
	if (fd >= 0)
		close(fd);
	free(keys);
	return err;
}

static void say_table(const struct unwind_module *mod, double ms)
{
	char shown[PATH_MAX];

	fprintf(stderr, "memtrace: unwind table of %s: %zu rows of %zu B, %.1f KiB, from %zu FDEs "
			"(%zu rows with a rule the kernel does not follow), built in %.1f ms\n",
		text_escape(mod->path, shown, sizeof(shown)), mod->t.nrows, mod->t.row_bytes,
		mod->t.nrows * mod->t.row_bytes / 1024.0, mod->t.fdes, mod->t.unsupported, ms);
}

static void say_over_cap(const struct unwind_loader *ul, const struct unwind_module *mod)
{
	char shown[PATH_MAX];

	fprintf(stderr, "memtrace: no room for the unwind table of %s (%.1f KiB, %.1f MiB in use "
			"of --max-unwind-mib=%llu): stacks there by frame pointers\n",
		text_escape(mod->path, shown, sizeof(shown)),
		mod->t.nrows * mod->t.row_bytes / 1024.0, ul->bytes / 1048576.0,
		(unsigned long long)(ul->o.max_bytes >> 20));
}

/*
 * The separate debug file of the module pid maps as path (at open_path),
 * found as the symbolizer finds it, but never asked of debuginfod: a
 * process may be waiting. The caller frees it; NULL: none.
 */
static char *debug_file_of(struct unwind_loader *ul, pid_t pid, const char *path,
			   const char *open_path)
{
	struct debuginfo_opts opts = { .local_only = true };
	struct elf_file *ef = NULL, *dbg = NULL;
	char root[32], *dbg_path = NULL;

	if (!ul->debuginfo && !(ul->debuginfo = debuginfo__new(&opts)))
		return NULL;
	if (elf_file__open(open_path, &ef))
		return NULL;
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (!debuginfo__find(ul->debuginfo, ef, path, root, &dbg, &dbg_path))
		elf_file__free(dbg);
	elf_file__free(ef);
	return dbg_path;
}

/*
 * mod's table, from the module's CFI, else from its debug file's
 * .debug_frame when that is all there is.
 */
static int module__build(struct unwind_loader *ul, struct unwind_module *mod, pid_t pid,
			 const char *open_path)
{
	char *dbg;
	int err = unwind_table__build(open_path, NULL, &mod->t);

	if (err != -ENOENT)
		return err;
	dbg = debug_file_of(ul, pid, mod->path, open_path);
	if (!dbg)
		return err;
	unwind_table__release(&mod->t);
	err = unwind_table__build(open_path, dbg, &mod->t);
	free(dbg);
	return err;
}

/* Builds mod's table from the file at open_path and loads it, if it fits. */
static int module__load(struct unwind_loader *ul, struct unwind_module *mod, pid_t pid,
			const char *open_path)
{
	uint64_t t0 = mono_clock__ns(), bytes;
	uint32_t slot;
	int err;

	unwind_table__release(&mod->t);
	err = module__build(ul, mod, pid, open_path);
	if (!err && (!mod->t.nrows || mod->t.nrows > MT_UNWIND_MAX_ROWS))
		err = -E2BIG;
	if (err) {
		mod->err = err == -ENOMEM ? 0 : err;
		return err == -ENOMEM ? err : 0;
	}
	bytes = (uint64_t)mod->t.nrows * sizeof(struct mt_unwind_row);
	mod->over_cap = !make_room(ul, bytes) || free_slot(ul, &slot);
	mod->tried_at = ul->unloads;
	if (!mod->over_cap) {
		err = load_rows(ul, &mod->t, slot);
		if (err == -ENOMEM)
			return err;
		if (err)
			mod->err = err;
	}
	if (!mod->over_cap && !mod->err) {
		mod->slot = slot;
		ul->slot_used[slot] = true;
		ul->bytes += bytes;
	}
	if (ul->o.verbose)
		say_table(mod, (mono_clock__ns() - t0) / 1e6);
	if (mod->over_cap && !mod->said)
		say_over_cap(ul, mod);
	mod->said |= mod->over_cap;
	/* the kernel has the rows; the segments and counts are all that is needed here */
	free(mod->t.rows);
	mod->t.rows = NULL;
	mod->t.cap = 0;
	/*
	 * A table is built in arrays of up to a few MiB, freed at once: given
	 * back, or under -a every new module seen leaves memtrace's heap bigger.
	 */
	heap__give_back();
	return 0;
}

/* The module m maps, known or new, its table loaded if it can be: NULL when memory ran out. */
static struct unwind_module *module__get(struct unwind_loader *ul, pid_t pid,
					 const struct proc_map *m)
{
	dev_t dev = makedev(m->dev_major, m->dev_minor);
	char open_path[PATH_MAX];
	struct unwind_module *mod = NULL;

	for (size_t i = 0; i < ul->nmods && !mod; i++)
		if (ul->mods[i]->dev == dev && ul->mods[i]->ino == m->inode)
			mod = ul->mods[i];
	if (!mod) {
		if (ARRAY_RESERVE(&ul->mods, &ul->mods_cap, ul->nmods + 1))
			return NULL;
		mod = calloc(1, sizeof(*mod));
		if (!mod || !(mod->path = strdup(m->path))) {
			free(mod);
			return NULL;
		}
		mod->dev = dev;
		mod->ino = m->inode;
		mod->slot = MT_UNWIND_NO_TABLE;
		ul->mods[ul->nmods++] = mod;
	}
	if (mod->slot != MT_UNWIND_NO_TABLE || mod->err ||
	    (mod->over_cap && mod->tried_at == ul->unloads))
		return mod;
	if (proc_map__open_path(pid, m, open_path, sizeof(open_path)))
		mod->err = -ENAMETOOLONG;
	else if (module__load(ul, mod, pid, open_path))
		return NULL;
	return mod;
}

static struct unwind_pid *pid__find(struct unwind_loader *ul, pid_t pid)
{
	for (size_t i = 0; i < ul->npids; i++)
		if (ul->pids[i].pid == pid)
			return &ul->pids[i];
	return NULL;
}

static void drop_ref(void *owner, void *ctx)
{
	struct unwind_module *mod = owner;

	(void)ctx;
	mod->refs--;
}

/* m into p's mappings, with its module's table when there is one: -ENOMEM. */
static int pid__add(struct unwind_loader *ul, struct unwind_pid *p, const struct proc_map *m)
{
	struct mt_unwind_mapping e = { .start = m->start, .end = m->end,
				       .table = MT_UNWIND_NO_TABLE };
	struct unwind_module *mod;
	uint64_t bias;
	int err;

	/* files only: JIT code and [vdso] are walked by frame pointers */
	if (!m->executable || !m->path || m->path[0] != '/')
		return 0;
	mod = module__get(ul, p->pid, m);
	if (!mod)
		return -ENOMEM;
	if (mod->slot != MT_UNWIND_NO_TABLE &&
	    !unwind_table__bias(&mod->t, m->start, m->offset, &bias)) {
		e.bias = bias;
		e.table = mod->slot;
		e.nrows = mod->t.nrows;
	}
	err = unwind_maps__put(&p->maps, &e, mod, drop_ref, NULL);
	if (!err)
		mod->refs++;
	/* past MT_UNWIND_MAX_MAPPINGS: frame pointers there */
	return err == -E2BIG ? 0 : err;
}

/*
 * The kernel's copy of p's mappings. A mapping comes after the process
 * joined, and only updates (BPF_EXIST): the kernel drops the entry at the
 * process's exit, which user space learns of later.
 */
static void pid__write(struct unwind_loader *ul, const struct unwind_pid *p, __u64 flags)
{
	__u32 key = p->pid;

	unwind_maps__to_proc(&p->maps, ul->value);
	bpf_map_update_elem(ul->o.procs_fd, &key, ul->value, flags);
}

int unwind_loader__process(struct unwind_loader *ul, pid_t pid, const struct proc_maps *maps)
{
	struct unwind_pid *p;
	int err = 0;

	unwind_loader__forget(ul, pid, false);
	if (ARRAY_RESERVE(&ul->pids, &ul->pids_cap, ul->npids + 1))
		return -ENOMEM;
	p = &ul->pids[ul->npids++];
	*p = (struct unwind_pid){ .pid = pid };
	for (size_t i = 0; i < maps->n && !err; i++)
		err = pid__add(ul, p, &maps->maps[i]);
	pid__write(ul, p, BPF_ANY);
	return err;
}

int unwind_loader__mapping(struct unwind_loader *ul, pid_t pid, const struct proc_map *m)
{
	struct unwind_pid *p = pid__find(ul, pid);
	int err;

	if (!p || !m->executable || !m->path || m->path[0] != '/')
		return 0;
	err = pid__add(ul, p, m);
	if (!err)
		pid__write(ul, p, BPF_EXIST);
	return err;
}

void unwind_loader__forget(struct unwind_loader *ul, pid_t pid, bool gone)
{
	struct unwind_pid *p = pid__find(ul, pid);
	__u32 key = pid;

	if (gone)
		bpf_map_delete_elem(ul->o.procs_fd, &key);
	if (!p)
		return;
	unwind_maps__release(&p->maps, drop_ref, NULL);
	*p = ul->pids[--ul->npids];
}

void unwind_loader__stats(const struct unwind_loader *ul, struct unwind_loader_stats *out)
{
	*out = (struct unwind_loader_stats){ .bytes = ul->bytes, .max_bytes = ul->o.max_bytes };
	for (size_t i = 0; i < ul->nmods; i++) {
		out->modules += ul->mods[i]->slot != MT_UNWIND_NO_TABLE;
		out->not_fitted += ul->mods[i]->over_cap;
	}
}

const char *unwind_loader__not_fitted(const struct unwind_loader *ul, size_t i)
{
	for (size_t m = 0; m < ul->nmods; m++)
		if (ul->mods[m]->over_cap && !i--)
			return ul->mods[m]->path;
	return NULL;
}
