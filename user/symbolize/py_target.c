// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "symbolize/elf_file.h"
#include "symbolize/py_target.h"

/* python3.11, libpython3.12.so.1.0: what may hold an interpreter (python3.11-config does not map) */
static bool may_be_python(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return !strncmp(base, "python3", 7) || !strncmp(base, "libpython3", 10);
}

/*
 * The load bias of the file m maps: where its offset 0 is, for a shared
 * object or PIE (linked at 0); 0 for a non-PIE executable, linked where it
 * runs. -ENOENT when the process maps no offset 0 of it.
 */
static int load_bias(const struct proc_maps *maps, const struct proc_map *m, const char *path,
		     uint64_t *bias)
{
	struct elf_file *ef;
	int err = elf_file__open(path, &ef);

	if (err)
		return err;
	*bias = 0;
	err = elf_file__is_dyn(ef) ? -ENOENT : 0;
	elf_file__free(ef);
	for (size_t i = 0; err && i < maps->n; i++) {
		const struct proc_map *o = &maps->maps[i];

		if (o->inode == m->inode && o->dev_major == m->dev_major &&
		    o->dev_minor == m->dev_minor && !o->offset) {
			*bias = o->start;
			err = 0;
		}
	}
	return err;
}

/* Where the process maps the file of m: every mapping of its inode, as one range */
static void module_range(const struct proc_maps *maps, const struct proc_map *m,
			 struct py_target *out)
{
	out->start = m->start;
	out->end = m->end;
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *o = &maps->maps[i];

		if (o->inode != m->inode || o->dev_major != m->dev_major ||
		    o->dev_minor != m->dev_minor)
			continue;
		if (o->start < out->start)
			out->start = o->start;
		if (o->end > out->end)
			out->end = o->end;
	}
}

int py_target__find(pid_t pid, const struct proc_maps *maps, struct py_target *out,
		    const char **why)
{
	char path[PATH_MAX];
	uint64_t bias;
	int err;

	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!m->executable || !m->path || m->path[0] != '/' || !may_be_python(m->path) ||
		    proc_map__open_path(pid, m, path, sizeof(path)))
			continue;
		err = py_layout__from_file(path, &out->layout, why);
		/* pyenv's python3.X has no interpreter in it: its libpython follows */
		if (err == -ENOENT)
			continue;
		if (!err)
			err = load_bias(maps, m, path, &bias);
		if (err)
			return err;
		snprintf(out->module, sizeof(out->module), "%s", m->path);
		out->runtime = bias + out->layout.runtime;
		out->bias = bias;
		module_range(maps, m, out);
		return 0;
	}
	return -ENOENT;
}
