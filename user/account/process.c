// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account/gc_stats.h"
#include "account/gpu_accounting.h"
#include "account/mapping_accounting.h"
#include "account/process.h"
#include "attach/libc_locate.h"
#include "symbolize/py_proc.h"
#include "util/array.h"
#include "util/mono_clock.h"

static void read_comm(const char *path, char comm[COMM_LEN])
{
	/* a name of 15 bytes and the newline the kernel ends it with */
	char buf[COMM_LEN + 1];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, COMM_LEN);
	close(fd);
	if (n <= 0)
		return;
	/* only the kernel's: a name may hold newlines of its own */
	if (buf[n - 1] == '\n')
		n--;
	if (n > COMM_LEN - 1)
		n = COMM_LEN - 1;
	memcpy(comm, buf, (size_t)n);
	comm[n] = '\0';
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
	p->begin_ns = mono_clock__ns();
	read_names(p);
	process__read_start_time(pid, &p->start_time);
	p->ns_pid = process__read_ns_pid(pid);
	return p;
}

struct mt_process *process__new_seen(uint32_t pid, uint64_t start_boottime, const char *comm)
{
	struct mt_process *p = calloc(1, sizeof(*p));
	long ticks = sysconf(_SC_CLK_TCK);
	uint64_t start;

	if (!p)
		return NULL;
	p->pid = pid;
	p->begin_ns = mono_clock__ns();
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	/* /proc's starttime is in clock ticks since boot */
	p->start_time = ticks > 0 ? start_boottime / (1000000000ULL / (uint64_t)ticks) : 0;
	if (process__read_start_time(pid, &start) || start != p->start_time)
		return p;
	p->ns_pid = process__read_ns_pid(pid);
	/* still the image the record named: not one it exec-ed into since */
	read_names(p);
	if (strcmp(p->comm, comm)) {
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
		free(p->exe);
		p->exe = NULL;
	}
	return p;
}

/* The lowest file mapping of a fresh image is its executable (ld.so and libraries sit above). */
static void exe_from_maps(struct mt_process *p)
{
	for (size_t i = 0; !p->exe && i < p->maps.n; i++)
		if (p->maps.maps[i].path && p->maps.maps[i].path[0] == '/')
			p->exe = strdup(p->maps.maps[i].path);
}

uint32_t process__read_ns_pid(uint32_t pid)
{
	char path[64], line[256];
	uint32_t ns_pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* "NSpid:\t1234\t7": the host's number first, the innermost namespace's last */
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (tok = strtok_r(line + 6, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			ns_pid = (uint32_t)strtoul(tok, NULL, 10);
		break;
	}
	fclose(f);
	return ns_pid;
}

/*
 * Its live tables go (counted or summed up first), with the unwinder only a
 * running image needs; --max-live has room for others.
 */
static void drop_tables(struct mt_process *p)
{
	if (p->live_cap)
		p->live_cap->live -= p->live.n + p->displaced.n;
	alloc_table__release(&p->live);
	alloc_table__release(&p->displaced);
	dwarf_unwinder__free(p->unwinder);
	p->unwinder = NULL;
}

void process__drop_image(struct mt_process *p, uint64_t ts_ns)
{
	p->exec_dropped_blocks = p->live.n + p->displaced.n;
	p->exec_dropped_bytes = 0;
	alloc_table__for_each(&p->live, b) {
		p->exec_dropped_bytes += b->size;
		process__block_freed(p, b, ts_ns);
	}
	alloc_table__for_each(&p->displaced, b) {
		p->exec_dropped_bytes += b->size;
		process__block_freed(p, b, ts_ns);
	}
	drop_tables(p);
	p->c.current_bytes = 0;
	for (uint32_t i = 0; i < p->nr_threads; i++)
		p->threads[i].c.current_bytes = 0;
	for (unsigned int a = 0; a < MT_ALLOC_COUNT; a++) {
		p->by_allocator.a[a].live_bytes = 0;
		p->by_allocator.a[a].live_blocks = 0;
	}
}

static void release_next_maps(struct mt_process *p)
{
	for (size_t i = 0; i < p->nr_next_maps; i++)
		proc_maps__release(&p->next_maps[i]);
	p->nr_next_maps = 0;
}

int process__retire(struct mt_process *p, uint64_t min_age_ns, uint64_t sample_bytes)
{
	int err = exit_sites__add_table(&p->left, &p->live, p->end_ns, min_age_ns, sample_bytes);

	if (!err)
		err = exit_sites__add_table(&p->left, &p->displaced, p->end_ns, min_age_ns,
					    sample_bytes);
	if (err)
		return err;
	drop_tables(p);
	release_next_maps(p);
	/* its frames are named: the code objects they came from are gone with it */
	py_proc__free(p->python);
	p->python = NULL;
	return 0;
}

uint64_t process__live_blocks(const struct mt_process *p)
{
	return p->live.n + p->displaced.n + p->left.blocks;
}

void process__free(struct mt_process *p)
{
	if (!p)
		return;
	free(p->exe);
	timeline__release(&p->timeline);
	free(p->threads);
	id_map__release(&p->thread_index);
	alloc_table__release(&p->live);
	alloc_table__release(&p->displaced);
	exit_sites__release(&p->left);
	proc_maps__release(&p->maps);
	release_next_maps(p);
	free(p->next_maps);
	libc_locate__free(p->libc);
	free(p->preload);
	dwarf_unwinder__free(p->unwinder);
	site_stats__release(&p->sites);
	gpu_accounting__free(p->gpu);
	gc_stats__free(p->gc);
	mapping_accounting__free(p->mappings);
	py_proc__free(p->python);
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

int process__thread_exit(struct mt_process *p, uint32_t tid, const char *comm)
{
	struct mt_thread *th;
	int64_t idx;

	idx = process__thread(p, tid);
	if (idx < 0)
		return (int)idx;
	th = &p->threads[idx];
	th->exited = true;
	memcpy(th->comm, comm, COMM_LEN);
	th->comm[COMM_LEN - 1] = '\0';
	/* the process's name is its main thread's, which it may have changed */
	if (tid == p->pid)
		memcpy(p->comm, th->comm, COMM_LEN);
	return 0;
}

int process__refresh_maps(struct mt_process *p)
{
	struct proc_maps fresh = {};
	uint64_t start;
	int err;

	p->maps_read_ns = mono_clock__ns();
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
static int maps_add(struct proc_maps *m, const struct proc_map *add)
{
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
	return 0;

cleanup:
	free(split_path);
	free(map.path);
	free(out);
	return -ENOMEM;
}

int process__add_map(struct mt_process *p, const struct proc_map *add)
{
	int err;

	if (p->nr_next_maps)
		return maps_add(&p->next_maps[p->nr_next_maps - 1], add);
	err = maps_add(&p->maps, add);
	if (!err)
		p->maps_gen++;
	return err;
}

int process__begin_exec_maps(struct mt_process *latest, uint64_t time_ns)
{
	struct mt_process *image = NULL;

	/* the oldest image made by an exec after this one: it is this exec's */
	for (struct mt_process *q = latest; q; q = q->prev_image)
		if (q->awaiting_exec_maps && q->exec_ts > time_ns)
			image = q;
	if (image) {
		image->awaiting_exec_maps = false;
		proc_maps__release(&image->maps);
		image->maps_gen++;
		return 0;
	}
	/*
	 * An exec before its record began (a launched CMD, a process first seen
	 * after it): the mappings are its own. Its names were read after this
	 * exec, and so were its maps when /proc was read since: keep them, for
	 * these records are drained only when a later record comes, often the
	 * ring buffer's record of the next exec, and /proc shows that image.
	 */
	if (latest->begin_ns > time_ns)
		return latest->maps_read_ns <= time_ns ? process__reset_maps(latest) : 0;
	/* its exec record has not come yet: the image is still latest's */
	if (ARRAY_RESERVE(&latest->next_maps, &latest->next_maps_cap, latest->nr_next_maps + 1))
		return -ENOMEM;
	latest->next_maps[latest->nr_next_maps++] = (struct proc_maps){};
	return 0;
}

struct mt_process *process__map_owner(struct mt_process *latest)
{
	struct mt_process *q = latest;

	while (q->awaiting_exec_maps && q->prev_image)
		q = q->prev_image;
	return q;
}

void process__take_exec_maps(struct mt_process *old, struct mt_process *p)
{
	p->prev_image = old;
	if (!old || !old->nr_next_maps) {
		p->awaiting_exec_maps = true;
		return;
	}
	proc_maps__release(&p->maps);
	/* the oldest exec is this one; the later ones' maps are p's next images' */
	p->maps = old->next_maps[0];
	p->nr_next_maps = old->nr_next_maps - 1;
	if (p->nr_next_maps) {
		free(p->next_maps);
		p->next_maps = old->next_maps;
		p->next_maps_cap = old->next_maps_cap;
		memmove(p->next_maps, p->next_maps + 1, p->nr_next_maps * sizeof(*p->next_maps));
		old->next_maps = NULL;
		old->next_maps_cap = 0;
	}
	old->nr_next_maps = 0;
	p->maps_gen++;
	exe_from_maps(p);
}

int process__reset_maps(struct mt_process *p)
{
	int err = process__refresh_maps(p);

	if (err == -ENOMEM)
		return err;
	if (err) {
		proc_maps__release(&p->maps);
		p->maps_gen++;
	}
	return 0;
}
