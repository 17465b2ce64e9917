// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gpu_accounting.h"
#include "process.h"

static void read_comm(const char *path, char comm[COMM_LEN])
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, COMM_LEN - 1);
	close(fd);
	if (n <= 0)
		return;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

int process__read_start_time(uint32_t pid, uint64_t *start_time)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EINVAL;
	*start_time = strtoull(p + 1, NULL, 10);
	return 0;
}

/* Keeps the old name when /proc has none (the process is gone). */
static void read_names(struct mt_process *p)
{
	char path[64], exe[PATH_MAX], *dup;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", p->pid);
	read_comm(path, p->comm);
	snprintf(path, sizeof(path), "/proc/%u/exe", p->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	dup = strdup(exe);
	if (!dup)
		return;
	free(p->exe);
	p->exe = dup;
}

struct mt_process *process__new(uint32_t pid)
{
	struct mt_process *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	read_names(p);
	process__read_start_time(pid, &p->start_time);
	return p;
}

void process__free(struct mt_process *p)
{
	if (!p)
		return;
	free(p->exe);
	free(p->threads);
	id_map__release(&p->thread_index);
	alloc_table__release(&p->live);
	alloc_table__release(&p->displaced);
	proc_maps__release(&p->maps);
	libc_locate__release(&p->libc);
	allocator_locate__release(&p->allocators);
	free(p->preload);
	dwarf_unwinder__free(p->unwinder);
	site_stats__release(&p->sites);
	gpu_accounting__free(p->gpu);
	free(p);
}

int64_t process__lookup_thread(struct mt_process *p, uint32_t tid)
{
	struct mt_thread *t;
	char path[64];
	int64_t idx;
	int err;

	idx = id_map__get(&p->thread_index, tid);
	if (idx >= 0) {
		p->thread_hint[tid % 8] = (uint32_t)idx;
		return idx;
	}
	if (p->nr_threads == p->threads_cap) {
		uint32_t cap = p->threads_cap ? 2 * p->threads_cap : 8;
		struct mt_thread *grown = realloc(p->threads, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->threads = grown;
		p->threads_cap = cap;
	}
	err = id_map__put(&p->thread_index, tid, p->nr_threads);
	if (err)
		return err;
	t = &p->threads[p->nr_threads];
	*t = (struct mt_thread){ .tid = tid };
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", p->pid, tid);
	read_comm(path, t->comm);
	p->thread_hint[tid % 8] = p->nr_threads;
	return p->nr_threads++;
}

int process__refresh_maps(struct mt_process *p)
{
	struct proc_maps fresh = {};
	struct timespec now;
	uint64_t start;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &now);
	p->maps_read_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	err = proc_maps__read(p->pid, &fresh);
	if (err)
		return err;
	/* a reused PID is another program: its maps would name the wrong code */
	if (process__read_start_time(p->pid, &start) || start != p->start_time) {
		proc_maps__release(&fresh);
		return -ESRCH;
	}
	proc_maps__release(&p->maps);
	p->maps = fresh;
	p->maps_gen++;
	return 0;
}

/*
 * Everything before add's start, the start of a mapping add cuts into, add,
 * the end of a mapping it cuts into (its file offset moved along), then
 * everything after add's end: the order proc_maps__find's search needs.
 */
int process__add_map(struct mt_process *p, const struct proc_map *add)
{
	struct proc_maps *m = &p->maps;
	struct proc_map *out, map = *add;
	char *split_path = NULL;
	bool placed = false;
	size_t n = 0;

	out = calloc(m->n + 2, sizeof(*out));
	map.path = add->path ? strdup(add->path) : NULL;
	if (!out || (add->path && !map.path))
		goto cleanup;
	/* a mapping add falls inside of leaves two pieces, each with its own path */
	for (size_t i = 0; i < m->n; i++) {
		const struct proc_map *x = &m->maps[i];

		if (x->start < add->start && x->end > add->end && x->path) {
			split_path = strdup(x->path);
			if (!split_path)
				goto cleanup;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		struct proc_map x = m->maps[i];

		if (x.end <= add->start) {
			out[n++] = x;
			continue;
		}
		if (x.start < add->start) {
			out[n] = x;
			out[n++].end = add->start;
		}
		if (!placed) {
			out[n++] = map;
			placed = true;
		}
		if (x.start >= add->end) {
			out[n++] = x;
		} else if (x.end > add->end) {
			out[n] = x;
			out[n].offset += add->end - x.start;
			out[n].start = add->end;
			if (x.start < add->start)
				out[n].path = split_path;
			n++;
		} else if (x.start >= add->start) {
			free(x.path);
		}
	}
	if (!placed)
		out[n++] = map;
	free(m->maps);
	m->maps = out;
	m->n = n;
	p->maps_gen++;
	return 0;

cleanup:
	free(split_path);
	free(map.path);
	free(out);
	return -ENOMEM;
}

int process__reset_maps(struct mt_process *p)
{
	int err = process__refresh_maps(p);

	if (err == -ENOMEM)
		return err;
	if (err) {
		proc_maps__release(&p->maps);
		p->maps_gen++;
		return 0;
	}
	read_names(p);
	return 0;
}
