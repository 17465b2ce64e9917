/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which file of a traced process carries its runtime's garbage-collection
 * probes, and attaching them: CPython's python:gc__start/gc__done (in the
 * executable when libpython is linked in, else in libpython3*.so) and
 * HotSpot's hotspot:gc__begin/gc__end in libjvm.so, which the java
 * launcher dlopens after start: mmap_watch reports it, and it is probed then.
 */
#ifndef MEMTRACE_GC_PROBE_H
#define MEMTRACE_GC_PROBE_H

#include <stdbool.h>

#include "attach/bpf_loader.h"
#include "attach/probe_target.h"
#include "symbolize/proc_maps.h"

/*
 * Probes the collections of the runtime t runs, if its executable or a
 * mapped libpython/libjvm has the probes (maps: t's current maps), and
 * tells t->gc_probed. A process that looks like Python (its executable or
 * a libpython named so) without them gets a one-line notice on stderr
 * naming what was searched. Failing to probe is said and not fatal:
 * memory is still traced.
 */
void gc_probe__process(struct bpf_loader *l, const struct probe_target *t,
		       const struct proc_maps *maps, bool verbose);
/* A mapping t made while traced: probes it if it is a runtime library and t has none probed. */
void gc_probe__mapping(struct bpf_loader *l, const struct probe_target *t, const struct proc_map *m,
		       bool verbose);

#endif /* MEMTRACE_GC_PROBE_H */
