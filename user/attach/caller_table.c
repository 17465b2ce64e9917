// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "attach/caller_table.h"
#include "attach/libc_locate.h"
#include "util/array.h"
#include "util/id_map.h"

/* A file scanned once for one kind of sites, known by its inode. */
struct scanned_file {
	dev_t dev;
	ino_t ino;
	enum mt_caller_kind kind;
	int err;			/* of the scan: -ENOENT when it has none */
	struct caller_site_list sites;
};

/* The addresses one process holds. */
struct caller_owner {
	pid_t pid;
	uint64_t *addrs;
	size_t n, cap;
};

struct caller_table {
	caller_table_write_fn write;
	void *ctx;
	struct id_map refs;		/* address -> how many processes hold it */
	struct caller_owner *owners;
	size_t nr_owners, owners_cap;
	struct scanned_file *files;
	size_t nr_files, files_cap;
	bool full_said;
};

int caller_table__new(caller_table_write_fn write, void *ctx, struct caller_table **out)
{
	struct caller_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->write = write;
	t->ctx = ctx;
	*out = t;
	return 0;
}

void caller_table__free(struct caller_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nr_owners; i++)
		free(t->owners[i].addrs);
	free(t->owners);
	for (size_t i = 0; i < t->nr_files; i++)
		caller_sites__release(&t->files[i].sites);
	free(t->files);
	id_map__release(&t->refs);
	free(t);
}

size_t caller_table__size(const struct caller_table *t)
{
	return t->refs.n;
}

static struct caller_owner *owner_of(struct caller_table *t, pid_t pid, bool create)
{
	for (size_t i = 0; i < t->nr_owners; i++)
		if (t->owners[i].pid == pid)
			return &t->owners[i];
	if (!create || ARRAY_RESERVE(&t->owners, &t->owners_cap, t->nr_owners + 1))
		return NULL;
	t->owners[t->nr_owners] = (struct caller_owner){ .pid = pid };
	return &t->owners[t->nr_owners++];
}

static bool holds(const struct caller_owner *o, uint64_t addr)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->addrs[i] == addr)
			return true;
	return false;
}

/* o takes a reference on addr; the first one puts site into the kernel's table. */
static int hold(struct caller_table *t, struct caller_owner *o, uint64_t addr,
		const struct mt_caller_site *site)
{
	int64_t refs;
	int err;

	if (holds(o, addr))
		return 0;
	if (ARRAY_RESERVE(&o->addrs, &o->cap, o->n + 1))
		return -ENOMEM;
	refs = id_map__get(&t->refs, addr);
	if (refs < 0) {
		err = t->write(t->ctx, addr, site);
		if (err == -E2BIG || err == -ENOSPC) {
			if (!t->full_said)
				fprintf(stderr,
					"memtrace: the table of allocator call sites is full (%d): "
					"further processes' C++ allocations count as malloc's\n",
					MT_CALLER_SITES_MAX);
			t->full_said = true;
			return 0;
		}
		if (err)
			return err;
		refs = 0;
	}
	if (id_map__put(&t->refs, addr, (uint32_t)refs + 1))
		return -ENOMEM;
	o->addrs[o->n++] = addr;
	return 0;
}

static void release(struct caller_table *t, uint64_t addr)
{
	int64_t refs = id_map__get(&t->refs, addr);

	if (refs > 1) {
		id_map__put(&t->refs, addr, (uint32_t)refs - 1);
		return;
	}
	id_map__delete(&t->refs, addr);
	t->write(t->ctx, addr, NULL);
}

/* The file's scan, made on its first use; NULL and *err when it cannot be (gone, no memory). */
static const struct scanned_file *scanned(struct caller_table *t, enum mt_caller_kind kind,
					  const char *path, const char *open_path, pid_t pid,
					  int *err)
{
	struct scanned_file *f;
	char root[32];
	struct stat st;

	if (stat(open_path, &st)) {
		*err = -errno;
		return NULL;
	}
	for (size_t i = 0; i < t->nr_files; i++) {
		f = &t->files[i];
		if (f->dev == st.st_dev && f->ino == st.st_ino && f->kind == kind)
			return f;
	}
	*err = -ENOMEM;
	if (ARRAY_RESERVE(&t->files, &t->files_cap, t->nr_files + 1))
		return NULL;
	f = &t->files[t->nr_files];
	*f = (struct scanned_file){ .dev = st.st_dev, .ino = st.st_ino, .kind = kind };
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (kind == MT_CALLER_CXX_NEW)
		f->err = caller_sites__scan_cxx(open_path, &f->sites);
	else
		f->err = caller_sites__scan_freeres(path, open_path, pid > 0 ? root : NULL,
						    &f->sites);
	/* out of memory now is no answer for later */
	if (f->err == -ENOMEM)
		return NULL;
	t->nr_files++;
	return f;
}

/*
 * Where the process has the byte at file_offset of the file: in its
 * executable mapping of it, known by path or, where the process came to it
 * by another path (launch mode's CMD, named before it ran), by inode.
 */
static uint64_t mapped_at(const struct proc_maps *maps, const char *path,
			  const struct scanned_file *f, uint64_t file_offset)
{
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!m->executable || !m->path ||
		    (strcmp(m->path, path) &&
		     (m->inode != f->ino || makedev(m->dev_major, m->dev_minor) != f->dev)))
			continue;
		if (file_offset >= m->offset && file_offset - m->offset < m->end - m->start)
			return m->start + (file_offset - m->offset);
	}
	return 0;
}

int caller_table__add_file(struct caller_table *t, pid_t pid, enum mt_caller_kind kind,
			   const char *path, const char *open_path, const struct proc_maps *maps,
			   const struct caller_site_list **sites)
{
	struct caller_owner *o;
	const struct scanned_file *f;
	uint64_t addr;
	int err = 0;

	f = scanned(t, kind, path, open_path, pid, &err);
	if (!f)
		return err;
	if (f->err)
		return f->err;
	err = 0;
	o = owner_of(t, pid, true);
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < f->sites.n && !err; i++) {
		addr = mapped_at(maps, path, f, f->sites.sites[i].file_offset);
		if (addr)
			err = hold(t, o, addr, &f->sites.sites[i].value);
	}
	if (sites)
		*sites = &f->sites;
	return err;
}

static const char *libc_in(const struct proc_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		if (maps->maps[i].executable && maps->maps[i].path &&
		    maps->maps[i].path[0] == '/' && libc_locate__is_libc(maps->maps[i].path))
			return maps->maps[i].path;
	return NULL;
}

int caller_table__add_process(struct caller_table *t, pid_t pid, const struct proc_maps *maps,
			      const struct allocator_set *allocs, const char *libc_path,
			      bool verbose)
{
	const struct caller_site_list *sites;
	char open_path[4096 + 64];
	int err;

	for (int i = 0; allocs && i < allocs->nr_images; i++) {
		const struct allocator_image *img = &allocs->images[i];

		if (img->allocator != MT_ALLOC_CXX)
			continue;
		err = caller_table__add_file(t, pid, MT_CALLER_CXX_NEW, img->path, img->open_path,
					     maps, &sites);
		if (err == -ENOMEM)
			return err;
		if (!verbose)
			continue;
		if (err)
			fprintf(stderr, "memtrace: PID %d: cxx: operator new in %s not read (%s): "
					"its calls count as malloc's\n",
				pid, img->path, strerror(-err));
		else
			fprintf(stderr, "memtrace: PID %d: cxx: %zu call sites in %d operator new "
					"functions of %s, told by return address (%d with CFI not "
					"followed)\n",
				pid, sites->n, sites->nr_funcs, img->path, sites->nr_unknown);
	}
	if (!libc_path)
		libc_path = libc_in(maps);
	if (!libc_path)
		return 0;
	/* a static CMD in launch mode is known by the path it was given */
	if (libc_path[0] == '/')
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", pid, libc_path);
	else
		snprintf(open_path, sizeof(open_path), "%s", libc_path);
	err = caller_table__add_file(t, pid, MT_CALLER_FREERES, libc_path, open_path, maps, &sites);
	if (err == -ENOMEM)
		return err;
	if (verbose && err)
		fprintf(stderr,
			"memtrace: PID %d: no __malloc_arena_thread_freeres in %s nor in a debug "
			"file of it: the frees of glibc's thread caches at thread exit count as "
			"unknown frees\n",
			pid, libc_path);
	else if (verbose)
		fprintf(stderr, "memtrace: PID %d: libc: %zu frees of glibc's thread caches at "
				"thread exit left out (%s)\n",
			pid, sites->n, libc_path);
	return 0;
}

int caller_table__copy(struct caller_table *t, pid_t parent, pid_t child)
{
	struct caller_owner *from = owner_of(t, parent, false), *to;
	int err = 0;

	if (!from)
		return 0;
	to = owner_of(t, child, true);
	if (!to)
		return -ENOMEM;
	/* owner_of may have moved the array: find the parent again */
	from = owner_of(t, parent, false);
	for (size_t i = 0; i < from->n && !err; i++) {
		int64_t refs = id_map__get(&t->refs, from->addrs[i]);

		if (holds(to, from->addrs[i]))
			continue;
		if (ARRAY_RESERVE(&to->addrs, &to->cap, to->n + 1)) {
			err = -ENOMEM;
			break;
		}
		err = id_map__put(&t->refs, from->addrs[i], (uint32_t)refs + 1);
		if (!err)
			to->addrs[to->n++] = from->addrs[i];
	}
	return err;
}

void caller_table__drop(struct caller_table *t, pid_t pid)
{
	struct caller_owner *o = owner_of(t, pid, false);

	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		release(t, o->addrs[i]);
	free(o->addrs);
	*o = t->owners[--t->nr_owners];
}
