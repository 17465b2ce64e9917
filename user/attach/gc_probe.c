// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "attach/gc_probe.h"
#include "attach/usdt_notes.h"
#include "util/text_escape.h"

/* A runtime's two probes, start then end, and the BPF programs they go to. */
struct gc_runtime_probes {
	enum mt_gc_runtime runtime;
	const char *provider;
	const char *names[2];
	const char *progs[2];
};

static const struct gc_runtime_probes runtimes[] = {
	{ MT_GC_PYTHON, "python", { "gc__start", "gc__done" },
	  { "python_gc_start", "python_gc_done" } },
	{ MT_GC_JVM, "hotspot", { "gc__begin", "gc__end" }, { "jvm_gc_begin", "jvm_gc_end" } },
};

#define NR_RUNTIMES (sizeof(runtimes) / sizeof(runtimes[0]))

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The libraries a runtime lives in when its executable is only a launcher. */
static bool is_runtime_library(const char *path)
{
	const char *base = base_name(path);

	return (!strncmp(base, "libpython", 9) && strstr(base, ".so")) ||
	       !strcmp(base, "libjvm.so") || !strcmp(base, "libjvm.so (deleted)");
}

static bool looks_like_python(const char *path)
{
	const char *base = base_name(path);

	return !strncmp(base, "python", 6) || !strncmp(base, "libpython", 9);
}

/* The runtime whose probes are all in open_path, or NULL. */
static const struct gc_runtime_probes *find_runtime(const char *open_path)
{
	bool found[2];

	for (size_t i = 0; i < NR_RUNTIMES; i++) {
		if (usdt_notes__find(open_path, runtimes[i].provider, runtimes[i].names, 2, found))
			return NULL;
		if (found[0] && found[1])
			return &runtimes[i];
	}
	return NULL;
}

/*
 * The end probe first: a collection running while the start is attached
 * then ends seen, and its end alone counts as unmatched, not lost.
 */
static int attach_runtime(struct bpf_loader *l, pid_t pid, const struct gc_runtime_probes *rt,
			  const char *open_path)
{
	int err;

	for (int i = 1; i >= 0; i--) {
		err = bpf_loader__attach_usdt(l, rt->progs[i], pid, open_path, rt->provider,
					      rt->names[i]);
		if (err)
			return err;
	}
	return 0;
}

/* 1 when the probes of m's file are now attached for t, 0 when it has none, negative errno. */
static int attach_file(struct bpf_loader *l, const struct probe_target *t, const struct proc_map *m,
		       bool verbose)
{
	const struct gc_runtime_probes *rt;
	char open_path[PATH_MAX + 32], shown[PATH_MAX];
	const char *path = m->path;
	int err;

	if (proc_map__open_path(t->pid, m, open_path, sizeof(open_path)))
		return 0;
	rt = find_runtime(open_path);
	if (!rt)
		return 0;
	/* the probes of an image the process exec-ed from fire in this one too */
	err = bpf_loader__claim_file(l, t->pid, open_path, PROBED_GC);
	if (!err)
		err = attach_runtime(l, t->pid, rt, open_path);
	if (err == -EALREADY)
		err = 0;
	if (err) {
		fprintf(stderr, "memtrace: cannot probe garbage collections in %s for PID %d: %s\n",
			text_escape(path, shown, sizeof(shown)), t->pid, strerror(-err));
		return err;
	}
	err = t->gc_probed(t->record, rt->runtime, path);
	if (err)
		return err;
	if (verbose)
		fprintf(stderr, "memtrace: PID %d: GC probes on %s (%s:%s, %s)\n", t->pid,
			text_escape(path, shown, sizeof(shown)), rt->provider, rt->names[0],
			rt->names[1]);
	return 1;
}

static bool is_candidate(const struct probe_target *t, const struct proc_map *m)
{
	return m->executable && m->path && m->path[0] == '/' &&
	       ((t->exe && !strcmp(m->path, t->exe)) || is_runtime_library(m->path));
}

void gc_probe__process(struct bpf_loader *l, const struct probe_target *t,
		       const struct proc_maps *maps, bool verbose)
{
	char searched[1024] = "", shown[sizeof(searched) * TEXT_ESCAPE_RATIO];
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO];
	const char *last = NULL;
	bool python = false;
	size_t len = 0;

	if (t->has_gc)
		return;
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!is_candidate(t, m) || (last && !strcmp(last, m->path)))
			continue;
		last = m->path;
		if (attach_file(l, t, m, verbose))
			return;
		python |= looks_like_python(m->path);
		if (len < sizeof(searched))
			len += snprintf(searched + len, sizeof(searched) - len, "%s%s",
					len ? ", " : "", m->path);
	}
	if (python)
		fprintf(stderr,
			"memtrace: PID %d (%s): no python:gc__start/gc__done probes in %s "
			"(CPython built without --with-dtrace): no GC statistics\n",
			t->pid, text_escape(t->comm, comm, sizeof(comm)),
			text_escape(searched, shown, sizeof(shown)));
}

void gc_probe__mapping(struct bpf_loader *l, const struct probe_target *t, const struct proc_map *m,
		       bool verbose)
{
	if (!t->has_gc && m->executable && m->path && m->path[0] == '/' &&
	    is_runtime_library(m->path))
		attach_file(l, t, m, verbose);
}
