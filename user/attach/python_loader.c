// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/types.h>
#include <memtrace/python.h>

#include "attach/python_loader.h"
#include "symbolize/py_target.h"
#include "util/text_escape.h"

/* Interpreters named on stderr as unreadable: once each, not once per process */
#define MAX_SAID 64

struct python_loader {
	int procs_fd;
	bool verbose;
	char *said[MAX_SAID];
	int nr_said;
};

int python_loader__new(int procs_fd, bool verbose, struct python_loader **out)
{
	struct python_loader *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->procs_fd = procs_fd;
	pl->verbose = verbose;
	*out = pl;
	return 0;
}

void python_loader__free(struct python_loader *pl)
{
	if (!pl)
		return;
	for (int i = 0; i < pl->nr_said; i++)
		free(pl->said[i]);
	free(pl);
}

static __u16 max_u16(__u16 a, __u16 b)
{
	return a > b ? a : b;
}

/* The field's end within a frame, for one that exists */
static __u16 field_end(uint16_t off, __u16 width)
{
	return off == PY_OFF_NONE ? 0 : off + width;
}

/* The kernel's view of t: -ENOTSUP when a frame's fields lie beyond one read. */
static int to_proc(const struct py_target *t, struct mt_python_proc *p)
{
	const struct py_offsets *o = &t->layout.off;

	*p = (struct mt_python_proc){
		.interp_head = t->runtime + o->runtime_interpreters_head,
		.marker = t->layout.marker == PY_MARKER_NONE	   ? MT_PY_MARKER_EACH
			  : t->layout.marker == PY_MARKER_IS_ENTRY ? MT_PY_MARKER_IS_ENTRY
								   : MT_PY_MARKER_SHIM,
		.tid_is_pthread = o->ts_native_thread_id == PY_OFF_NONE,
		.interp_next = o->interp_next,
		.interp_threads_head = o->interp_threads_head,
		.ts_next = o->ts_next,
		.ts_tid = o->ts_native_thread_id == PY_OFF_NONE ? o->ts_thread_id
								: o->ts_native_thread_id,
		.ts_frame = o->ts_frame,
		.cframe_current_frame = o->cframe_current_frame,
		.frame_previous = o->frame_previous,
		.frame_code = o->frame_code,
		.frame_instr = o->frame_instr,
		.frame_owner = o->frame_owner,
		.frame_is_entry = o->frame_is_entry,
		.code_adaptive = o->code_adaptive,
	};
	p->frame_read = max_u16(max_u16(field_end(o->frame_previous, 8), field_end(o->frame_code, 8)),
				max_u16(field_end(o->frame_instr, 8),
					max_u16(field_end(o->frame_owner, 1),
						field_end(o->frame_is_entry, 1))));
	/* one read of MT_PY_FRAME_READ bytes at most a frame */
	if (p->frame_read > MT_PY_FRAME_READ)
		return -ENOTSUP;
	return 0;
}

/* Once per interpreter (its path, or the reason when there is none). */
static bool first_time(struct python_loader *pl, const char *what)
{
	for (int i = 0; i < pl->nr_said; i++)
		if (!strcmp(pl->said[i], what))
			return false;
	if (pl->nr_said < MAX_SAID && (pl->said[pl->nr_said] = strdup(what)))
		pl->nr_said++;
	return true;
}

int python_loader__process(struct python_loader *pl, pid_t pid, const struct proc_maps *maps)
{
	struct mt_python_proc p;
	struct py_target *t;
	const char *why = NULL;
	__u32 key = (__u32)pid;
	char shown[PATH_MAX];
	int err;

	/* a forked child: the kernel copied its parent's */
	if (!bpf_map_lookup_elem(pl->procs_fd, &key, &p))
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = py_target__find(pid, maps, t, &why);
	if (!err)
		err = to_proc(t, &p);
	if (err == -ENOTSUP && first_time(pl, why ?: t->module))
		fprintf(stderr, "memtrace: PID %d: %s: its stacks have no Python frames\n", pid,
			why ?: "a Python whose frames lie beyond what the walk reads");
	if (!err && !bpf_map_update_elem(pl->procs_fd, &key, &p, BPF_ANY) && pl->verbose)
		fprintf(stderr,
			"memtrace: PID %d: Python %d.%d.%d in %s (offsets from %s): frames read\n",
			pid, t->layout.major, t->layout.minor, t->layout.micro,
			text_escape(t->module, shown, sizeof(shown)),
			t->layout.from_debug_offsets ? "its _Py_DebugOffsets"
			: t->layout.from_dwarf	     ? "its DWARF"
						     : "memtrace's table");
	free(t);
	return err == -ENOMEM ? err : 0;
}

int python_loader__mapping(struct python_loader *pl, pid_t pid, const struct proc_map *m)
{
	struct proc_maps maps = {};
	const char *base;
	int err;

	if (!m->executable || !m->path || m->path[0] != '/')
		return 0;
	base = strrchr(m->path, '/') + 1;
	if (strncmp(base, "libpython3", 10) || proc_maps__read(pid, &maps))
		return 0;
	err = python_loader__process(pl, pid, &maps);
	proc_maps__release(&maps);
	return err;
}

void python_loader__forget(struct python_loader *pl, pid_t pid, bool gone)
{
	__u32 key = (__u32)pid;

	if (gone)
		bpf_map_delete_elem(pl->procs_fd, &key);
}
