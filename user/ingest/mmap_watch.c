// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Side-band perf records, the way perf record keeps its own maps: a dummy
 * software event counts nothing, but with attr.mmap2 the kernel writes a
 * record for every new mapping (a file as d_path names it, with device and
 * inode), with attr.comm_exec one for every exec, with attr.task one for
 * every exit. Each CPU has its own ring, so a drain copies the records out
 * and sorts them by time: a thread that moved between CPUs must not see its
 * exec applied after the mappings of its new image.
 *
 * Code alone would name frames, but a DWARF unwinder (libdwfl) finds a
 * module's load bias from its first, non-executable segment: attr.mmap_data
 * brings the data mappings too, and anonymous ones are dropped here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "ingest/mmap_watch.h"

/* What the kernel writes with attr.mmap2 set and attr.build_id clear. */
struct mmap2_record {
	struct perf_event_header hdr;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
	char filename[];
};

struct comm_record {
	struct perf_event_header hdr;
	uint32_t pid, tid;
	char comm[];
};

struct task_record {
	struct perf_event_header hdr;
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct lost_record {
	struct perf_event_header hdr;
	uint64_t id, lost;
};

/* With sample_id_all and sample_type PERF_SAMPLE_TIME, every record ends in its time. */
#define TRAILER_BYTES sizeof(uint64_t)

struct ring {
	int fd;
	struct perf_event_mmap_page *page;	/* MAP_FAILED until mapped */
	const char *data;
};

/* A record copied out of its ring, where it sorts. */
struct pending {
	uint64_t time;
	size_t off;	/* into buf; grows with the copy order, so ties keep each ring's order */
};

struct mmap_watch {
	int epfd;
	struct ring *rings;
	int nr_rings;
	size_t data_bytes, map_bytes;
	char *buf;
	size_t buf_len, buf_cap;
	struct pending *pending;
	size_t nr_pending, pending_cap;
};

static int ring__open(struct ring *r, int cpu, size_t data_bytes, size_t map_bytes)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TIME,
		.mmap = 1,
		.mmap2 = 1,
		.mmap_data = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.sample_id_all = 1,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		.watermark = 1,
		/* a quarter, like the BPF ring buffer: few wakeups, room left to catch up */
		.wakeup_watermark = data_bytes / 4,
	};

	r->fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	r->page = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->page == MAP_FAILED)
		return -errno;
	r->data = (const char *)r->page + r->page->data_offset;
	return 0;
}

int mmap_watch__open(struct mmap_watch **out, size_t pages_per_cpu)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct epoll_event ev = { .events = EPOLLIN };
	struct mmap_watch *w;
	int nr_cpus, err;

	*out = NULL;
	if (!pages_per_cpu)
		pages_per_cpu = MMAP_WATCH_DEFAULT_PAGES;
	if (pages_per_cpu & (pages_per_cpu - 1))
		return -EINVAL;
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus < 0)
		return nr_cpus;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->data_bytes = pages_per_cpu * page;
	w->map_bytes = w->data_bytes + page;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		err = -errno;
		goto cleanup;
	}
	w->rings = calloc(nr_cpus, sizeof(*w->rings));
	if (!w->rings) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct ring *r = &w->rings[w->nr_rings++];

		err = ring__open(r, cpu, w->data_bytes, w->map_bytes);
		/* a possible CPU that is offline runs nothing to miss */
		if (err == -ENODEV && r->fd < 0) {
			w->nr_rings--;
			continue;
		}
		if (err)
			goto cleanup;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, r->fd, &ev)) {
			err = -errno;
			goto cleanup;
		}
	}
	*out = w;
	return 0;

cleanup:
	mmap_watch__free(w);
	return err;
}

int mmap_watch__fd(const struct mmap_watch *w)
{
	return w->epfd;
}

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t cap2 = *cap ? *cap : 64;
	void *grown;

	while (cap2 < need)
		cap2 *= 2;
	grown = reallocarray(arr, cap2, elem);
	if (grown)
		*cap = cap2;
	return grown;
}

/* Copies the ring's records out and hands their space back to the kernel. */
static int ring__copy_out(struct mmap_watch *w, struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->page->data_tail;
	size_t mask = w->data_bytes - 1;
	int err = 0;

	while (tail < head) {
		struct perf_event_header hdr;
		size_t at = tail & mask, first;
		char *rec;

		/* records are 8-byte aligned in a ring of pages: a header never wraps */
		memcpy(&hdr, r->data + at, sizeof(hdr));
		if (hdr.size < sizeof(hdr) + TRAILER_BYTES || hdr.size > head - tail) {
			/* the kernel never writes this; skip what cannot be parsed */
			tail = head;
			break;
		}
		if (w->buf_len + hdr.size > w->buf_cap) {
			char *grown = grow(w->buf, &w->buf_cap, w->buf_len + hdr.size, 1);

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			w->buf = grown;
		}
		if (w->nr_pending == w->pending_cap) {
			struct pending *grown = grow(w->pending, &w->pending_cap,
						     w->nr_pending + 1, sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			w->pending = grown;
		}
		rec = w->buf + w->buf_len;
		first = hdr.size < w->data_bytes - at ? hdr.size : w->data_bytes - at;
		memcpy(rec, r->data + at, first);
		memcpy(rec + first, r->data, hdr.size - first);
		memcpy(&w->pending[w->nr_pending].time, rec + hdr.size - TRAILER_BYTES,
		       TRAILER_BYTES);
		w->pending[w->nr_pending++].off = w->buf_len;
		w->buf_len += hdr.size;
		tail += hdr.size;
	}
	/* our reads of the records are done before the kernel may overwrite them */
	__atomic_store_n(&r->page->data_tail, tail, __ATOMIC_RELEASE);
	return err;
}

static int pending__compare(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Fills e from an MMAP2 record; false when it is malformed or anonymous data. */
static bool mmap2__parse(const struct mmap2_record *m, struct mmap_watch_event *e)
{
	if (m->hdr.size < sizeof(*m) + TRAILER_BYTES || !m->len ||
	    !memchr(m->filename, '\0', m->hdr.size - sizeof(*m) - TRAILER_BYTES))
		return false;
	/* heaps, stacks, large mallocs: nothing there has a name */
	if (!(m->prot & PROT_EXEC) && !m->ino && !m->maj && !m->min)
		return false;
	e->kind = MMAP_WATCH_MAP;
	e->pid = m->pid;
	e->tid = m->tid;
	e->map = (struct proc_map){
		.start = m->addr,
		.end = m->addr + m->len,
		.offset = m->pgoff,
		.inode = m->ino,
		.dev_major = m->maj,
		.dev_minor = m->min,
		.readable = m->prot & PROT_READ,
		.writable = m->prot & PROT_WRITE,
		.executable = m->prot & PROT_EXEC,
		/* the kernel's name for an anonymous mapping; /proc/PID/maps prints none */
		.path = strcmp(m->filename, "//anon") ? (char *)m->filename : NULL,
	};
	return true;
}

/* False for records of no interest. */
static bool record__parse(const char *rec, uint64_t time, struct mmap_watch_event *e)
{
	const struct perf_event_header *hdr = (const void *)rec;
	size_t body = hdr->size - TRAILER_BYTES;

	*e = (struct mmap_watch_event){ .time_ns = time };
	switch (hdr->type) {
	case PERF_RECORD_MMAP2:
		return mmap2__parse((const void *)rec, e);
	case PERF_RECORD_COMM: {
		const struct comm_record *c = (const void *)rec;

		if (body < sizeof(*c) || !(hdr->misc & PERF_RECORD_MISC_COMM_EXEC))
			return false;
		e->kind = MMAP_WATCH_EXEC;
		e->pid = c->pid;
		e->tid = c->tid;
		return true;
	}
	case PERF_RECORD_EXIT: {
		const struct task_record *t = (const void *)rec;

		if (body < sizeof(*t))
			return false;
		e->kind = MMAP_WATCH_EXIT;
		e->pid = t->pid;
		e->tid = t->tid;
		return true;
	}
	case PERF_RECORD_LOST: {
		const struct lost_record *l = (const void *)rec;

		if (body < sizeof(*l))
			return false;
		e->kind = MMAP_WATCH_LOST;
		e->lost = l->lost;
		return true;
	}
	default:
		return false;
	}
}

int mmap_watch__drain(struct mmap_watch *w, mmap_watch_cb cb, void *ctx)
{
	struct mmap_watch_event e;
	int err = 0;

	w->buf_len = 0;
	w->nr_pending = 0;
	for (int i = 0; i < w->nr_rings && !err; i++)
		err = ring__copy_out(w, &w->rings[i]);
	if (err)
		return err;
	qsort(w->pending, w->nr_pending, sizeof(*w->pending), pending__compare);
	for (size_t i = 0; i < w->nr_pending && !err; i++)
		if (record__parse(w->buf + w->pending[i].off, w->pending[i].time, &e))
			err = cb(ctx, &e);
	return err;
}

void mmap_watch__free(struct mmap_watch *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->nr_rings; i++) {
		if (w->rings[i].page && w->rings[i].page != MAP_FAILED)
			munmap(w->rings[i].page, w->map_bytes);
		if (w->rings[i].fd >= 0)
			close(w->rings[i].fd);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->rings);
	free(w->buf);
	free(w->pending);
	free(w);
}
