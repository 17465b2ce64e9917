/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer --ringbuf-size asks for, made and mapped once as libbpf
 * will (the consumer page, then the producer page and the data twice)
 * before the BPF objects load: a size the kernel refuses (out of memory, a
 * memory cgroup's limit) or one memtrace cannot map (an address-space
 * limit) gets memtrace's one line, not libbpf's several.
 */
#ifndef MEMTRACE_RINGBUF_CHECK_H
#define MEMTRACE_RINGBUF_CHECK_H

#include <stdint.h>

/* 0, or a negative errno after its one line on stderr. */
int ringbuf_check__size(uint64_t bytes);

#endif /* MEMTRACE_RINGBUF_CHECK_H */
