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

/* How many of the sockets in /proc/PID/net/FILE (its namespace's) are among inodes. */
static uint32_t count_in(uint32_t pid, const char *file, const uint64_t *inodes, size_t n)
{
	char path[64], line[512];
	uint32_t count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode: the header line fails the scan */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ino;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &ino) == 1 &&
		    bsearch(&(uint64_t){ ino }, inodes, n, sizeof(*inodes), cmp_u64))
			count++;
	}
	fclose(f);
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

/* The process's TCP and UDP sockets now; kept as they were when it is gone. */
static int read_sockets(struct mt_process *p)
{
	uint64_t *inodes;
	size_t n;
	int err = socket_inodes(p->pid, &inodes, &n);

	if (err)
		return err == -ENOMEM ? err : 0;
	p->sockets = (struct process_sockets){
		.known = true,
		.tcp = count_in(p->pid, "tcp", inodes, n) + count_in(p->pid, "tcp6", inodes, n),
		.udp = count_in(p->pid, "udp", inodes, n) + count_in(p->pid, "udp6", inodes, n),
	};
	free(inodes);
	return 0;
}

int resource_poll__read(struct tracker *t, int map_fd, uint64_t now_ns)
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
	for (uint32_t i = 0; i < t->nr_procs; i++) {
		if (t->procs[i]->exited)
			continue;
		read_rss(t->procs[i]);
		err = read_sockets(t->procs[i]);
		if (err)
			return err;
	}
	return 0;
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
