// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/py_layout.h"

/*
 * A symbol of any type by exact name, from .symtab or .dynsym: _PyRuntime
 * and Py_Version are data, and the .cold part of the eval loop is only in
 * .symtab. -ENOENT if neither has it.
 */
static int find_symbol(Elf *elf, const char *name, uint64_t *vaddr, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    !(s = elf_strptr(elf, sh.sh_link, sym.st_name)) || strcmp(s, name))
				continue;
			*vaddr = sym.st_value;
			*size = sym.st_size;
			return 0;
		}
	}
	return -ENOENT;
}

/* The section holding [vaddr, vaddr + len) in the file: its data at vaddr. */
static const uint8_t *file_bytes(Elf *elf, uint64_t vaddr, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || vaddr < sh.sh_addr ||
		    vaddr + len > sh.sh_addr + sh.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || vaddr + len > sh.sh_addr + data->d_size)
			return NULL;
		return (const uint8_t *)data->d_buf + (vaddr - sh.sh_addr);
	}
	return NULL;
}

/* 3.minor from a base name python3.X or libpython3.X(.so...); "t" marks free-threaded. */
static bool minor_from_name(const char *path, int *minor, bool *threaded)
{
	const char *base = strrchr(path, '/');
	char t = 0;
	int n = 0;

	base = base ? base + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (sscanf(base, "python3.%d%n", minor, &n) != 1)
		return false;
	t = base[n];
	*threaded = t == 't';
	return t == 0 || t == 't' || t == '.' || t == '-';
}

/*
 * 3.10 has no Py_Version: the micro comes from the PY_VERSION string
 * ("3.10.13") in .rodata. The linker merges strings, so it may be the
 * tail of a longer one (pyenv's 3.10.13: of its install prefix), which
 * carries the same version.
 */
static int micro_from_rodata(Elf *elf, int minor)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;
	char want[16];
	size_t wlen = (size_t)snprintf(want, sizeof(want), "3.%d.", minor);

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name, *s, *end;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".rodata") || !(data = elf_getdata(scn, NULL)) || !data->d_buf)
			continue;
		end = (const char *)data->d_buf + data->d_size;
		for (s = data->d_buf; (s = memmem(s, (size_t)(end - s), want, wlen)); s += wlen) {
			const char *d = s + wlen, *tail = d;

			while (tail < end && *tail >= '0' && *tail <= '9')
				tail++;
			if (tail < end && *tail == '+')
				tail++;
			/* a whole version string: not after a digit or a dot, a NUL after */
			if (tail > d && tail < end && !*tail &&
			    (s == data->d_buf || !s[-1] || !strchr("0123456789.", s[-1])))
				return atoi(d);
		}
	}
	return -1;
}

static int find_version(Elf *elf, const char *path, struct py_layout *out, const char **why)
{
	uint64_t vaddr, size;
	const uint8_t *p;
	bool threaded = false;
	uint32_t hex;

	if (!find_symbol(elf, "Py_Version", &vaddr, &size) && (p = file_bytes(elf, vaddr, 4))) {
		memcpy(&hex, p, sizeof(hex));
		out->major = hex >> 24;
		out->minor = (hex >> 16) & 0xff;
		out->micro = (hex >> 8) & 0xff;
		out->version_from = PY_VERSION_SYMBOL;
		minor_from_name(path, &(int){0}, &threaded);
	} else if (minor_from_name(path, &out->minor, &threaded)) {
		out->major = 3;
		out->version_from = PY_VERSION_FILE_STRINGS;
	} else {
		*why = "no Py_Version symbol, and a file name without the version";
		return -ENOENT;
	}
	if (out->major != 3 || out->minor < 10 || out->minor > 13) {
		*why = "a CPython version memtrace cannot read (it reads 3.10 to 3.13)";
		return -ENOTSUP;
	}
	if (threaded) {
		*why = "a free-threaded build (its objects are laid out differently)";
		return -ENOTSUP;
	}
	if (out->version_from == PY_VERSION_FILE_STRINGS &&
	    (out->micro = micro_from_rodata(elf, out->minor)) < 0) {
		*why = "no PY_VERSION string for its file name's version";
		return -ENOENT;
	}
	return 0;
}

/*
 * The offsets: 3.13's own _Py_DebugOffsets, at _PyRuntime in the file's
 * data; before 3.13 the module's DWARF when it has some (a patch release may
 * have moved a field the table does not know of), else the table.
 */
static int find_offsets(Elf *elf, const char *path, struct py_layout *out, const char **why)
{
	static const enum py_marker marker[] = {PY_MARKER_NONE, PY_MARKER_IS_ENTRY, PY_MARKER_SHIM,
						PY_MARKER_SHIM};
	const uint8_t *p;
	uint32_t hex;
	int err;

	out->marker = marker[out->minor - 10];
	if (out->minor < 13) {
		out->from_dwarf = !py_layout__from_dwarf(path, out->minor, &out->off);
		return out->from_dwarf ? 0 : py_layout__builtin(out->minor, &out->off);
	}
	if (!(p = file_bytes(elf, out->runtime, PY_DEBUG_OFFSETS_SIZE))) {
		*why = "_PyRuntime has no initial data in the file";
		return -ENOENT;
	}
	err = py_layout__from_debug_offsets(p, PY_DEBUG_OFFSETS_SIZE, &out->off, &hex, why);
	if (!err && (hex >> 16 != ((unsigned)out->major << 8 | (unsigned)out->minor))) {
		*why = "_Py_DebugOffsets disagrees with Py_Version";
		return -EINVAL;
	}
	out->from_debug_offsets = !err;
	return err;
}

static int read_layout(Elf *elf, const char *path, struct py_layout *out, const char **why)
{
	uint64_t size;
	int err;

	if (elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	if (find_symbol(elf, "_PyRuntime", &out->runtime, &size) ||
	    find_symbol(elf, "_PyEval_EvalFrameDefault", &out->eval, &out->eval_size)) {
		*why = "not the interpreter module: no _PyRuntime or _PyEval_EvalFrameDefault";
		return -ENOENT;
	}
	/* gcc's hot/cold split; a stripped file names no .cold part */
	if (find_symbol(elf, "_PyEval_EvalFrameDefault.cold", &out->eval_cold,
			&out->eval_cold_size))
		out->eval_cold = out->eval_cold_size = 0;
	err = find_version(elf, path, out, why);
	return err ? err : find_offsets(elf, path, out, why);
}

int py_layout__from_file(const char *path, struct py_layout *out, const char **why)
{
	Elf *elf;
	int fd, err;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf ? read_layout(elf, path, out, why) : -ENOEXEC;
	elf_end(elf);
	close(fd);
	return err;
}
