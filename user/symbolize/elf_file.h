/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One ELF file read with libelf: its loadable segments, its function
 * symbols (.symtab and .dynsym merged, sorted by address), its build id,
 * its PT_INTERP, and where its debugging information is (in the file, or
 * in a separate debug file named by .gnu_debuglink or the build id).
 */
#ifndef MEMTRACE_ELF_FILE_H
#define MEMTRACE_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* Negative errno: -ENOENT/-EACCES from open, -ENOEXEC for a non-ELF file. */
int elf_file__open(const char *path, struct elf_file **out);
void elf_file__free(struct elf_file *ef);

/*
 * File offset of a function's first instruction (what a uprobe is
 * attached to), by exact symbol name; -ENOENT if the file defines no such
 * function. *vaddr (may be NULL) gets the symbol's virtual address, which
 * tells aliases apart from distinct functions.
 */
int elf_file__func_offset(const struct elf_file *ef, const char *name, uint64_t *file_off,
			  uint64_t *vaddr);

/* Size in bytes of a function, by exact symbol name; -ENOENT if absent. */
int elf_file__func_size(const struct elf_file *ef, const char *name, uint64_t *size);

/* File offset of the entry point (e_entry); -ENOENT when the file has none. */
int elf_file__entry_offset(const struct elf_file *ef, uint64_t *file_off);

/* File offset -> link-time virtual address, through the PT_LOAD segments. */
int elf_file__offset_to_vaddr(const struct elf_file *ef, uint64_t file_off, uint64_t *vaddr);

/*
 * The function containing vaddr, or NULL: a symbol is only a match when
 * vaddr lies inside [st_value, st_value + st_size). Among aliases at one
 * address, a name without a leading underscore and with global binding is
 * preferred. *sym_off gets vaddr - st_value.
 */
const char *elf_file__symbolize(const struct elf_file *ef, uint64_t vaddr, uint64_t *sym_off);

/* The PT_INTERP path (dynamic loader), or NULL for static executables. */
const char *elf_file__interp(const struct elf_file *ef);
/* ET_DYN (PIE or shared library) rather than ET_EXEC */
bool elf_file__is_dyn(const struct elf_file *ef);
/* Build id as lowercase hex, or NULL when the file has none. */
const char *elf_file__build_id(const struct elf_file *ef);
size_t elf_file__symbol_count(const struct elf_file *ef);
/* The i-th function by address (i < symbol_count): name, where it lies in the file, size. */
int elf_file__symbol_code(const struct elf_file *ef, size_t i, const char **name,
			  uint64_t *file_off, uint64_t *size);

/* The file has a .symtab: .dynsym alone names only the exported functions. */
bool elf_file__has_symtab(const struct elf_file *ef);
/* The file has DWARF of its own (a .debug_info with contents). */
bool elf_file__has_dwarf(const struct elf_file *ef);
/* The file name in .gnu_debuglink and, in *crc, the CRC-32 of that file; NULL if none. */
const char *elf_file__debuglink(const struct elf_file *ef, uint32_t *crc);

/*
 * Adds the function symbols of from, the separate debug file of ef (the
 * same link-time addresses), to ef's. -ENOMEM leaves ef as it was.
 */
int elf_file__add_symbols(struct elf_file *ef, const struct elf_file *from);

#endif /* MEMTRACE_ELF_FILE_H */
