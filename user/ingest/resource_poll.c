// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ingest/resource_poll.h"

/* One entry into its thread; *drop: the entry has served its last read. */
static int take_entry(struct tracker *t, const struct mt_thread_res *k, uint64_t now_ns,
		      bool *drop)
{
	struct mt_process *p = tracker__latest(t, k->tgid);
	struct thread_resources *r;
	int64_t idx;

	*drop = false;
	if (!p)
		return 0;
	idx = process__thread(p, k->tid);
	if (idx < 0)
		return (int)idx;
	r = &p->threads[idx].res;
	if (r->final) {
		*drop = true;
		return 0;
	}
	r->seen = true;
	r->read_ns = now_ns;
	r->k = *k;
	r->final = p->threads[idx].exited || p->exited;
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
