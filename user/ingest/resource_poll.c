// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/perf_event.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ingest/resource_poll.h"
#include "util/array.h"

/* One entry into its thread; *drop: this was its last read, the entry goes. */
static int take_entry(struct tracker *t, const struct mt_thread_res *k, uint64_t now_ns,
		      bool *drop)
{
	struct mt_process *p = tracker__latest(t, k->tgid);
	struct thread_resources *r;
	int64_t idx;

	*drop = false;
	/* a thread of no process the records made (-a): dropped once it is gone */
	if (!p) {
		*drop = syscall(SYS_tgkill, k->tgid, k->tid, 0) && errno == ESRCH;
		return 0;
	}
	idx = process__thread(p, k->tid);
	if (idx < 0)
		return (int)idx;
	r = &p->threads[idx].res;
	/* found exited at the read before: its last switch-out has come since, this is its last */
	*drop = r->final;
	r->seen = true;
	r->read_ns = now_ns;
	r->k = *k;
	r->final = p->threads[idx].exited || p->exited;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The inodes of the sockets among the process's descriptors, sorted; -errno when gone. */
static int socket_inodes(uint32_t pid, uint64_t **out, size_t *n)
{
	char path[64], link[64];
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned long long ino;
		ssize_t len;

		len = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		if (ARRAY_RESERVE(out, &cap, *n + 1)) {
			closedir(dir);
			return -ENOMEM;
		}
		(*out)[(*n)++] = ino;
	}
	closedir(dir);
	qsort(*out, *n, sizeof(**out), cmp_u64);
	return 0;
}

/* The IP sockets among a process's descriptors, sorted, and the kind of each */
struct proc_sockets {
	uint32_t pid;
	uint64_t *inodes;
	uint8_t *kind;		/* enum socket_kind of each */
	size_t n;
};

enum socket_kind {
	SOCKET_OTHER,		/* a UNIX socket, an unbound or closing one: in no table below */
	SOCKET_TCP,
	SOCKET_UDP,
};

/* Marks as kind those of the process's sockets in /proc/PID/net/FILE (its namespace's). */
static void mark_in(struct proc_sockets *ps, const char *file, enum socket_kind kind)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/%s", ps->pid, file);
	f = ps->n ? fopen(path, "r") : NULL;
	if (!f)
		return;
	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode: the header line fails the scan */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ino;
		uint64_t *at;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &ino) != 1)
			continue;
		at = bsearch(&(uint64_t){ ino }, ps->inodes, ps->n, sizeof(*ps->inodes), cmp_u64);
		if (at)
			ps->kind[at - ps->inodes] = kind;
	}
	fclose(f);
}

static uint32_t count_kind(const struct proc_sockets *ps, enum socket_kind kind)
{
	uint32_t count = 0;

	for (size_t i = 0; i < ps->n; i++)
		count += ps->kind[i] == kind;
	return count;
}

/* Its resident bytes now (statm's second field, in pages); kept as they were when it is gone. */
static void read_rss(struct mt_process *p)
{
	unsigned long long size, resident;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/statm", p->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %llu", &size, &resident) == 2 && resident)
		p->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
	fclose(f);
}

/*
 * The process's TCP and UDP sockets now, into ps (its inodes and their
 * kinds, for its threads'); kept as they were when it is gone (ps->n 0).
 */
static int read_sockets(struct mt_process *p, struct proc_sockets *ps)
{
	int err = socket_inodes(p->pid, &ps->inodes, &ps->n);

	ps->pid = p->pid;
	if (err)
		return err == -ENOMEM ? err : 0;
	ps->kind = calloc(ps->n ? ps->n : 1, sizeof(*ps->kind));
	if (!ps->kind)
		return -ENOMEM;
	mark_in(ps, "tcp", SOCKET_TCP);
	mark_in(ps, "tcp6", SOCKET_TCP);
	mark_in(ps, "udp", SOCKET_UDP);
	mark_in(ps, "udp6", SOCKET_UDP);
	p->sockets = (struct process_sockets){
		.known = true,
		.tcp = count_kind(ps, SOCKET_TCP),
		.udp = count_kind(ps, SOCKET_UDP),
	};
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	uint32_t x = ((const struct proc_sockets *)a)->pid, y = ((const struct proc_sockets *)b)->pid;

	return x < y ? -1 : x > y;
}

/* A running thread's connections start from none at each read; an exited one keeps its last */
static void reset_thread_sockets(struct mt_process *p)
{
	for (uint32_t i = 0; i < p->nr_threads; i++)
		if (!p->threads[i].exited)
			p->threads[i].res.sockets = (struct process_sockets){ .known = true };
}

/*
 * Each running thread's connections: the sockets the kernel saw it move
 * data on (res_thread_socks) that its process still has open and that are
 * TCP or UDP ones as the process's count goes. An entry of a closed socket,
 * or of a process no longer running, is deleted. procs: sorted by pid.
 */
static int read_thread_sockets(struct tracker *t, int socks_fd, struct proc_sockets *procs,
			       size_t nr_procs)
{
	struct mt_res_sock_key key, next, *gone = NULL;
	size_t nr_gone = 0, gone_cap = 0;
	bool first = true;
	int err = 0;

	while (!bpf_map_get_next_key(socks_fd, first ? NULL : &key, &next)) {
		struct proc_sockets *ps, want = { .pid = next.tgid };
		struct mt_process *p = tracker__latest(t, next.tgid);
		uint64_t *at = NULL;
		int64_t idx;

		first = false;
		key = next;
		ps = bsearch(&want, procs, nr_procs, sizeof(*procs), cmp_pid);
		if (ps && ps->n && p && !p->exited)
			at = bsearch(&key.ino, ps->inodes, ps->n, sizeof(*ps->inodes), cmp_u64);
		if (!at) {
			/* deleted after the walk: deleting the current key would restart it */
			if (ARRAY_RESERVE(&gone, &gone_cap, nr_gone + 1)) {
				err = -ENOMEM;
				break;
			}
			gone[nr_gone++] = key;
			continue;
		}
		idx = process__thread(p, key.tid);
		if (idx < 0) {
			err = (int)idx;
			break;
		}
		if (p->threads[idx].exited)
			continue;
		p->threads[idx].res.sockets.tcp += ps->kind[at - ps->inodes] == SOCKET_TCP;
		p->threads[idx].res.sockets.udp += ps->kind[at - ps->inodes] == SOCKET_UDP;
	}
	for (size_t i = 0; i < nr_gone; i++)
		bpf_map_delete_elem(socks_fd, &gone[i]);
	free(gone);
	return err;
}

static int read_processes(struct tracker *t, int socks_fd)
{
	struct proc_sockets *procs = calloc(t->nr_procs ? t->nr_procs : 1, sizeof(*procs));
	size_t n = 0;
	int err = 0;

	if (!procs)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nr_procs && !err; i++) {
		struct mt_process *p = t->procs[i];

		if (p->exited)
			continue;
		read_rss(p);
		err = read_sockets(p, &procs[n++]);
		if (socks_fd >= 0)
			reset_thread_sockets(p);
	}
	qsort(procs, n, sizeof(*procs), cmp_pid);
	if (!err && socks_fd >= 0)
		err = read_thread_sockets(t, socks_fd, procs, n);
	for (size_t i = 0; i < n; i++) {
		free(procs[i].inodes);
		free(procs[i].kind);
	}
	free(procs);
	return err;
}

int resource_poll__read(struct tracker *t, int map_fd, int socks_fd, uint64_t now_ns)
{
	__u32 key, next, gone[256];
	size_t nr_gone = 0;
	struct mt_thread_res k;
	bool first = true, drop;
	int err;

	while (!bpf_map_get_next_key(map_fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(map_fd, &key, &k))
			continue;	/* deleted by now: its thread exited */
		err = take_entry(t, &k, now_ns, &drop);
		if (err)
			return err;
		/* deleted after the walk: deleting the current key would restart it */
		if (drop && nr_gone < sizeof(gone) / sizeof(gone[0]))
			gone[nr_gone++] = key;
	}
	for (size_t i = 0; i < nr_gone; i++)
		bpf_map_delete_elem(map_fd, &gone[i]);
	return read_processes(t, socks_fd);
}

const char *resource_poll__pmu_why_not(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.disabled = 1,
		.exclude_kernel = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd >= 0) {
		close(fd);
		return "the machine has a PMU, but memtrace does not read its counters per thread yet";
	}
	if (errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV)
		return "no hardware PMU: perf_event_open has no cycles counter (a VM without PMU "
		       "passthrough)";
	return "perf_event_open refused the cycles counter";
}
