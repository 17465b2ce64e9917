/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which USDT probes (SystemTap SDT notes, section .note.stapsdt) an ELF
 * file carries: enough to choose what to attach to. libbpf reads the
 * notes again, with their arguments, when it attaches.
 */
#ifndef MEMTRACE_USDT_NOTES_H
#define MEMTRACE_USDT_NOTES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Sets found[i] when path has the probe provider:names[i]. 0, or negative
 * errno: -ENOENT/-EACCES from open, -ENOEXEC when path is no ELF file.
 */
int usdt_notes__find(const char *path, const char *provider, const char *const *names, size_t n,
		     bool *found);

#endif /* MEMTRACE_USDT_NOTES_H */
