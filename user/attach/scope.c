// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "attach/scope.h"

int pid_list__add(struct pid_list *l, pid_t pid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		pid_t *grown = realloc(l->pids, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->pids = grown;
		l->cap = cap;
	}
	l->pids[l->n++] = pid;
	return 0;
}

void pid_list__release(struct pid_list *l)
{
	free(l->pids);
	*l = (struct pid_list){};
}

int scope__open_cgroup(const char *path)
{
	struct statfs fs;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	return fd;
}

static int read_procs(const char *dir, struct pid_list *out)
{
	char path[PATH_MAX];
	long pid;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fscanf(f, "%ld", &pid) == 1)
		err = pid_list__add(out, (pid_t)pid);
	fclose(f);
	return err;
}

/* Depth first; a cgroup removed meanwhile is skipped. */
static int walk_cgroup(const char *dir, struct pid_list *out, int depth)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err;

	err = read_procs(dir, out);
	if (err)
		return depth && err == -ENOENT ? 0 : err;
	d = opendir(dir);
	if (!d)
		return depth ? 0 : -errno;
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		err = walk_cgroup(sub, out, depth + 1);
	}
	closedir(d);
	return err;
}

int scope__cgroup_pids(const char *path, struct pid_list *out)
{
	return walk_cgroup(path, out, 0);
}

static bool has_name(long pid, const char *comm)
{
	char path[64], name[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, name, sizeof(name) - 1);
	close(fd);
	if (n <= 0)
		return false;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return !strcmp(name, comm);
}

int scope__named_pids(const char *comm, struct pid_list *out)
{
	struct dirent *de;
	char *end;
	int err = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid() || (comm && !has_name(pid, comm)))
			continue;
		err = pid_list__add(out, (pid_t)pid);
	}
	closedir(d);
	return err;
}
