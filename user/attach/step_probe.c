// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/step_probe.h"
#include "symbolize/elf_file.h"

int step_probe__check(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	return colon && colon != spec && colon[1] ? 0 : -EINVAL;
}

/*
 * The mapping of the module that "libtorch.so" names: a mapped libtorch.so
 * or libtorch.so.2.1 (" (deleted)" when upgraded under the process).
 */
static const struct proc_map *mapped_module(const struct proc_maps *maps, const char *name,
					    size_t len)
{
	for (size_t i = 0; i < maps->n; i++) {
		const char *path = maps->maps[i].path, *base;

		if (!maps->maps[i].executable || !path)
			continue;
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		/* the name, then a version, or the kernel's " (deleted)" */
		if (!strncmp(base, name, len) &&
		    (!base[len] || base[len] == '.' || base[len] == ' '))
			return &maps->maps[i];
	}
	return NULL;
}

/*
 * Where memtrace opens BINARY for pid: under its root, so a process in a
 * container probes its own file (a mapped module deleted since, through
 * its mapping); a relative path as given. "" when pid does not map the
 * module.
 */
static int locate(const char *binary, size_t len, pid_t pid, const struct proc_maps *maps,
		  char *out, size_t size)
{
	const struct proc_map *found;
	int n;

	if (binary[0] == '/')
		n = snprintf(out, size, "/proc/%d/root%.*s", pid, (int)len, binary);
	else if (memchr(binary, '/', len))
		n = snprintf(out, size, "%.*s", (int)len, binary);
	else if ((found = mapped_module(maps, binary, len)))
		return proc_map__open_path(pid, found, out, size);
	else
		n = snprintf(out, size, "%s", "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* first: the first try for pid, which says so when pid does not map the module yet. */
static int attach(const char *spec, struct bpf_loader *l, pid_t pid, const struct proc_maps *maps,
		  bool verbose, bool first, bool *attached)
{
	const char *colon = strrchr(spec, ':'), *symbol = colon + 1;
	size_t len = colon - spec;
	struct elf_file *ef = NULL;
	char path[PATH_MAX];
	uint64_t offset;
	int err;

	err = locate(spec, len, pid, maps, path, sizeof(path));
	if (err)
		return err;
	if (!path[0]) {
		if (first)
			fprintf(stderr, "memtrace: --step-probe: PID %d does not map %.*s yet; "
					"looking again every second\n",
				pid, (int)len, spec);
		return 0;
	}
	err = elf_file__open(path, &ef);
	if (err) {
		fprintf(stderr, "memtrace: --step-probe: cannot read %s: %s\n", path,
			err == -ENOEXEC ? "not an ELF file" : strerror(-err));
		goto cleanup;
	}
	err = elf_file__func_offset(ef, symbol, &offset, NULL);
	if (err) {
		fprintf(stderr, "memtrace: --step-probe: no function %s in %s\n", symbol, path);
		goto cleanup;
	}
	err = bpf_loader__attach_step_probe(l, pid, path, offset);
	if (err) {
		fprintf(stderr, "memtrace: cannot attach the step probe to %s in PID %d: %s\n", path,
			pid, strerror(-err));
		goto cleanup;
	}
	*attached = true;
	if (verbose)
		fprintf(stderr, "memtrace: PID %d: a step is a call of %s in %s (file offset 0x%llx)\n",
			pid, symbol, path, (unsigned long long)offset);
cleanup:
	elf_file__free(ef);
	return err;
}

int step_probe__attach(const char *spec, struct bpf_loader *l, pid_t pid,
		       const struct proc_maps *maps, bool verbose, bool *attached)
{
	return spec ? attach(spec, l, pid, maps, verbose, true, attached) : 0;
}

int step_probe__retry(const char *spec, struct bpf_loader *l, pid_t pid, bool verbose,
		      bool *attached)
{
	struct proc_maps maps = {};
	int err;

	/* gone, or between images: the next try finds it */
	if (proc_maps__read(pid, &maps))
		return 0;
	err = attach(spec, l, pid, &maps, verbose, false, attached);
	proc_maps__release(&maps);
	return err;
}
