// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "attach/usdt_notes.h"

/* NT_STAPSDT's descriptor: the probe's address, the base's, the semaphore's, then strings. */
#define STAPSDT_NOTE_TYPE 3
#define STAPSDT_ADDRS	  (3 * sizeof(uint64_t))

/* One note: its provider and name, the two strings after the three addresses. */
static void match_note(const char *desc, size_t size, const char *provider,
		       const char *const *names, size_t n, bool *found)
{
	const char *prov, *name;
	size_t prov_len;

	if (size <= STAPSDT_ADDRS)
		return;
	prov = desc + STAPSDT_ADDRS;
	size -= STAPSDT_ADDRS;
	prov_len = strnlen(prov, size);
	if (prov_len == size || strcmp(prov, provider))
		return;
	name = prov + prov_len + 1;
	size -= prov_len + 1;
	if (strnlen(name, size) == size)
		return;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			found[i] = true;
}

/* The notes are not loaded (no PT_NOTE segment holds them): read through the section. */
static int scan_section(Elf_Scn *scn, const char *provider, const char *const *names, size_t n,
			bool *found)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off, next, name_off, desc_off;
	GElf_Nhdr nhdr;

	if (!data)
		return -ENOEXEC;
	for (off = 0; (next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)); off = next) {
		if (nhdr.n_type != STAPSDT_NOTE_TYPE || nhdr.n_namesz != sizeof("stapsdt") ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", sizeof("stapsdt")))
			continue;
		match_note((const char *)data->d_buf + desc_off, nhdr.n_descsz, provider, names, n,
			   found);
	}
	return 0;
}

int usdt_notes__find(const char *path, const char *provider, const char *const *names, size_t n,
		     bool *found)
{
	Elf_Scn *scn = NULL;
	const char *sname;
	GElf_Shdr shdr;
	size_t shstrndx;
	Elf *elf = NULL;
	int fd, err = 0;

	memset(found, 0, n * sizeof(*found));
	/* O_NONBLOCK: a FIFO where a mapped file was must not hang the tracer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOEXEC;
		goto cleanup;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn)) && !err) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (sname && !strcmp(sname, ".note.stapsdt"))
			err = scan_section(scn, provider, names, n, found);
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
