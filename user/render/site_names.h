/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What pprof and folded output both call a snapshot's frames and sites. */
#ifndef MEMTRACE_SITE_NAMES_H
#define MEMTRACE_SITE_NAMES_H

#include <stddef.h>

#include "compare/snapshot_reader.h"

/* A site with no frames (its stack lost, or none taken) is one frame of this name. */
#define SITE_NO_STACK "[no stack]"

/*
 * A GPU site's kind ("device" of "cuda.device", "vmm" of "hip.vmm"); NULL for
 * host memory, whose allocators ("libc", "cxx", ...) have no dot.
 */
const char *site_names__gpu_kind(const char *allocator);
/*
 * A frame as one name: its symbol; a Python frame's "symbol (file:line)", as
 * py-spy names them, with the file's base name; a frame without a symbol
 * "[module+0xOFFSET]", with the module's base name.
 */
void site_names__frame(const struct snap_frame *f, char *buf, size_t len);

#endif /* MEMTRACE_SITE_NAMES_H */
