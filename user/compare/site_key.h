/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A leak site's identity from one run to the next: what survives a rebuild,
 * ASLR, a relink at another path or a library upgrade. The allocator, then
 * the leaf-first frames up to a depth, each "symbol@module" with the
 * module's file name cut after ".so" ("?" for what is unknown):
 *
 *   libc;parse_config@app;main@app;__libc_start_call_main@libc.so
 *
 * A C++ frame is keyed by its mangled name (linkage_name), which snapshots
 * written before symbols were demangled hold in symbol:
 *
 *   cxx;_ZN2ns5Model4leakEi@app;main@app;...
 *
 * A Python frame (issue 15) is its qualified name and its file's base name,
 * never its line, so that an edit above the function keeps the site:
 *
 *   libc;PyByteArray_Resize@python3.11;py:Model.step@train.py;py:main@train.py
 *
 * Never addresses, offsets, directories or native source files: those change
 * when nothing the user would call a different site has.
 */
#ifndef MEMTRACE_SITE_KEY_H
#define MEMTRACE_SITE_KEY_H

#include <stddef.h>

#include "compare/snapshot_reader.h"

#define SITE_KEY_DEFAULT_DEPTH 5

/*
 * The module part of a key: "/opt/lib/libfoo.so.1.2 (deleted)" gives
 * "libfoo.so". Writes at most len bytes, NUL included; returns buf.
 */
const char *site_key__module(const char *path, char *buf, size_t len);

/* leak's key over its first depth frames (0: all); malloc'ed, NULL when out of memory. */
char *site_key__build(const struct snap_leak *leak, unsigned int depth);

#endif /* MEMTRACE_SITE_KEY_H */
