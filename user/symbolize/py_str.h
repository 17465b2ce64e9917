/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A CPython str object read from outside its process (a code object's
 * co_qualname and co_filename), as UTF-8. Only compact strings, which
 * every name and file name of a code object is.
 */
#ifndef MEMTRACE_PY_STR_H
#define MEMTRACE_PY_STR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads len bytes at addr of the process: 0, or negative errno (-EFAULT: not mapped). */
typedef int (*py_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* The py_read_fn of a live process: process_vm_readv; ctx is a pid_t *. */
int py_str__read_process(void *ctx, uint64_t addr, void *buf, size_t len);

/*
 * The str at addr in CPython 3.minor (10 to 13) into out as UTF-8,
 * NUL-terminated, cut at a character boundary to fit cap (at least 4).
 * -ENOTSUP for another version or a string not compact, -EINVAL for a
 * header no str has, or the reader's error.
 */
int py_str__read(py_read_fn read, void *ctx, int minor, uint64_t addr, char *out, size_t cap);

#endif /* MEMTRACE_PY_STR_H */
