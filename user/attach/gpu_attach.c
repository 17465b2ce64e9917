// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/gpu_attach.h"
#include "attach/gpu_locate.h"
#include "symbolize/elf_runpath.h"
#include "util/text_escape.h"

/* The directories glibc's loader searches after the cache. */
static const char *const default_dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib64", "/lib", "/usr/lib" };

/*
 * Probes the file the target sees at path (ahead of a dlopen), or the one
 * it maps at m (m->path: reached even when deleted). 1 when it is a GPU
 * library now probed for t (now or before), 0 when it has no GPU function,
 * negative errno when it cannot be read.
 */
static int attach_file(struct bpf_loader *l, const struct probe_target *t, const char *path,
		       const struct proc_map *m, bool verbose)
{
	struct gpu_library lib = {};
	char open_path[PATH_MAX + 32], shown[PATH_MAX];
	struct stat st;
	int err;

	if (m && proc_map__open_path(t->pid, m, open_path, sizeof(open_path)))
		return -ENAMETOOLONG;
	if (!m)
		snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", t->pid, path);
	if (stat(open_path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	/* probed ahead, or through another path to it: its symbols are not read again */
	if (bpf_loader__probed(l, t->pid, st.st_dev, st.st_ino, PROBED_GPU))
		return 1;
	err = gpu_locate__in_file(path, open_path, &lib);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = bpf_loader__attach_gpu(l, t->pid, &lib, st.st_dev, st.st_ino);
	if (err) {
		fprintf(stderr, "memtrace: cannot probe GPU library %s in PID %d: %s\n",
			text_escape(path, shown, sizeof(shown)), t->pid, strerror(-err));
	} else {
		if (verbose)
			fprintf(stderr, "memtrace: PID %d: GPU probes on %s (%d functions)\n",
				t->pid, text_escape(path, shown, sizeof(shown)), lib.nr_sites);
		err = 1;
	}
	gpu_locate__release(&lib);
	return err;
}

/*
 * A GPU library t maps: probed if not yet, and listed among its libraries.
 * Listed too when t is gone before memtrace could read it: it was probed
 * ahead, or its calls are lost, but it was there.
 */
static bool attach_mapped(struct bpf_loader *l, const struct probe_target *t,
			  const struct proc_map *m, bool verbose)
{
	int err = attach_file(l, t, m->path, m, verbose);

	if (err == 0)
		return false;
	if (t->gpu_library(t->record, m->path))
		fprintf(stderr, "memtrace: out of memory\n");
	return err > 0;
}

/*
 * Every GPU library in dir, which the target sees under its root; only
 * the drivers in the system's directories (gpu_attach__process says why).
 */
static void attach_dir(struct bpf_loader *l, const struct probe_target *t, const char *dir,
		       bool drivers_only, bool verbose)
{
	char root_dir[PATH_MAX + 32], path[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if (dir[0] != '/')
		return;
	snprintf(root_dir, sizeof(root_dir), "/proc/%d/root%s", t->pid, dir);
	dp = opendir(root_dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (!(drivers_only ? gpu_locate__is_driver_name(d->d_name)
				   : gpu_locate__is_gpu_name(d->d_name)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < (int)sizeof(path))
			attach_file(l, t, path, NULL, verbose);
	}
	closedir(dp);
}

/* Each directory of a colon-separated list. */
static void attach_dirs(struct bpf_loader *l, const struct probe_target *t, char *list,
			bool verbose)
{
	char *save = NULL;

	for (char *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
		attach_dir(l, t, dir, false, verbose);
}

/* LD_LIBRARY_PATH as the target started with it. */
static void attach_env_dirs(struct bpf_loader *l, const struct probe_target *t, bool verbose)
{
	char path[64], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *s = buf; s < buf + n; s += strlen(s) + 1)
		if (!strncmp(s, "LD_LIBRARY_PATH=", 16))
			attach_dirs(l, t, s + 16, verbose);
}

/* The loader's cache lists full paths: the GPU drivers among them. */
static void attach_cached(struct bpf_loader *l, const struct probe_target *t, bool verbose)
{
	char path[64], *buf = NULL;
	struct stat st;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/root/etc/ld.so.cache", t->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	/* its string table is NUL-separated: read whole, walk the strings */
	if (!fstat(fileno(f), &st) && st.st_size > 0 && (buf = malloc((size_t)st.st_size)))
		len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	for (size_t i = 0; i < len; i += strnlen(buf + i, len - i) + 1) {
		const char *s = buf + i;

		if (s[0] == '/' && gpu_locate__is_driver_name(s) && strnlen(s, len - i) < len - i)
			attach_file(l, t, s, NULL, verbose);
	}
	free(buf);
}

/* The run paths of every object t maps, with $ORIGIN its own directory. */
static void attach_runpaths(struct bpf_loader *l, const struct probe_target *t,
			    const struct proc_maps *maps, bool verbose)
{
	char open_path[PATH_MAX + 32], origin[PATH_MAX], runpath[8192];
	const char *last = NULL;

	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];
		char *slash;

		if (!m->executable || !m->path || m->path[0] != '/' ||
		    (last && !strcmp(last, m->path)))
			continue;
		last = m->path;
		if (proc_map__open_path(t->pid, m, open_path, sizeof(open_path)))
			continue;
		snprintf(origin, sizeof(origin), "%s", m->path);
		slash = strrchr(origin, '/');
		*(slash == origin ? slash + 1 : slash) = '\0';
		if (!elf_runpath__read(open_path, origin, runpath, sizeof(runpath)) && runpath[0])
			attach_dirs(l, t, runpath, verbose);
	}
}

void gpu_attach__process(struct bpf_loader *l, const struct probe_target *t,
			 const struct proc_maps *maps, bool verbose)
{
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO];
	const char *last = NULL;
	bool any = false;

	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!m->executable || !m->path || m->path[0] != '/' ||
		    !gpu_locate__is_gpu_name(m->path) || (last && !strcmp(last, m->path)))
			continue;
		last = m->path;
		any |= attach_mapped(l, t, m, verbose);
	}
	/*
	 * Where a later dlopen would find one, in the loader's order. A probe
	 * costs nothing until its file is mapped, but ~0.08 s to detach at
	 * the end: the system's directories only give the drivers (which a
	 * runtime dlopens and calls at once), not every CUDA runtime installed.
	 */
	attach_runpaths(l, t, maps, verbose);
	attach_env_dirs(l, t, verbose);
	attach_cached(l, t, verbose);
	for (size_t i = 0; i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++)
		attach_dir(l, t, default_dirs[i], true, verbose);
	if (!any)
		fprintf(stderr,
			"memtrace: PID %d (%s) maps no GPU library (yet): host memory only until "
			"it loads one\n",
			t->pid, text_escape(t->comm, comm, sizeof(comm)));
}

void gpu_attach__mapping(struct bpf_loader *l, const struct probe_target *t,
			 const struct proc_map *m, bool verbose)
{
	if (m->executable && m->path && m->path[0] == '/' && gpu_locate__is_gpu_name(m->path))
		attach_mapped(l, t, m, verbose);
}
