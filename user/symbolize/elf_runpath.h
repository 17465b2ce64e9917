/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where an ELF object tells the dynamic loader to look for libraries. */
#ifndef MEMTRACE_ELF_RUNPATH_H
#define MEMTRACE_ELF_RUNPATH_H

#include <stddef.h>

/*
 * The object's DT_RUNPATH, else its DT_RPATH, colon-separated and with
 * $ORIGIN (and ${ORIGIN}) replaced by origin, the directory the target
 * sees the object in. 0 with out "" when it has neither; negative errno.
 */
int elf_runpath__read(const char *open_path, const char *origin, char *out, size_t len);

#endif /* MEMTRACE_ELF_RUNPATH_H */
