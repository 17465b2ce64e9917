// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/elf_runpath.h"

/* Copies s to out, $ORIGIN and ${ORIGIN} replaced; -ENAMETOOLONG when it does not fit. */
static int expand_origin(const char *s, const char *origin, char *out, size_t len)
{
	size_t n = 0, add;
	const char *piece;

	while (*s) {
		piece = s;
		add = 1;
		if (!strncmp(s, "$ORIGIN", 7) || !strncmp(s, "${ORIGIN}", 9)) {
			piece = origin;
			add = strlen(origin);
			s += s[1] == '{' ? 9 : 7;
		} else {
			s++;
		}
		if (n + add >= len)
			return -ENAMETOOLONG;
		memcpy(out + n, piece, add);
		n += add;
	}
	out[n] = '\0';
	return 0;
}

/* Only the dynamic section is read: no symbol tables, whatever the library's size. */
int elf_runpath__read(const char *open_path, const char *origin, char *out, size_t len)
{
	const char *runpath = NULL, *rpath = NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	Elf *elf = NULL;
	int fd, err = 0;

	out[0] = '\0';
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		err = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && gelf_getdyn(data, (int)i, &dyn); i++) {
			if (dyn.d_tag == DT_RUNPATH)
				runpath = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
			else if (dyn.d_tag == DT_RPATH)
				rpath = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
		}
		break;
	}
	/* the loader ignores DT_RPATH when DT_RUNPATH is there */
	if (runpath || rpath)
		err = expand_origin(runpath ? runpath : rpath, origin, out, len);
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
