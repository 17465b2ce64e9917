// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Everything the tracer needs from an ELF file, read in one pass with
 * libelf. The file is closed before elf_file__open returns: a traced system
 * maps thousands of files, so only the loadable segments, the function
 * symbols and a few strings are kept, never an Elf handle or a descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/elf_file.h"

/*
 * A .gnu.version entry with this bit marks a non-default version (sym@VER
 * rather than sym@@VER): glibc keeps old memcpy and realpath under the same
 * names as the current ones. elf.h does not define it.
 */
#define VERSYM_HIDDEN 0x8000

struct elf_segment {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
};

struct elf_sym {
	uint64_t addr;
	uint64_t size;
	uint64_t max_end;	/* largest end of this and every earlier symbol */
	const char *name;	/* into elf_file.names once open returns */
	uint8_t bind_rank;	/* 0 global, 1 weak, 2 local */
	bool hidden;		/* a non-default symbol version */
};

struct elf_file {
	struct elf_segment *segs;
	size_t nsegs;
	struct elf_sym *syms;		/* by address; at one address, preferred name first */
	const struct elf_sym **by_name;	/* by name; at one name, default version first */
	size_t nsyms;
	char *names;
	char *interp;
	char *build_id;
	char *debuglink;
	uint32_t debuglink_crc;
	uint64_t entry;
	bool is_dyn;
	bool has_symtab;
	bool has_dwarf;
};

static uint8_t bind_rank(unsigned char bind)
{
	switch (bind) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

/* A size-0 symbol (hand-written assembly, crt labels) still names its own address. */
static uint64_t elf_sym__end(const struct elf_sym *sym)
{
	return sym->addr + (sym->size ? sym->size : 1);
}

static int elf_sym__cmp_addr_name(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Which alias names a function: "malloc" rather than "__libc_malloc", then
 * global over weak over local, then the shorter ("free" rather than "cfree").
 */
static int elf_sym__cmp_addr_preference(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	size_t xlen, ylen;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if ((x->name[0] == '_') != (y->name[0] == '_'))
		return x->name[0] == '_' ? 1 : -1;
	if (x->bind_rank != y->bind_rank)
		return x->bind_rank - y->bind_rank;
	if (x->hidden != y->hidden)
		return x->hidden ? 1 : -1;
	xlen = strlen(x->name);
	ylen = strlen(y->name);
	if (xlen != ylen)
		return xlen < ylen ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int elf_sym__cmp_name(const void *a, const void *b)
{
	const struct elf_sym *x = *(const struct elf_sym *const *)a;
	const struct elf_sym *y = *(const struct elf_sym *const *)b;
	int cmp = strcmp(x->name, y->name);

	if (cmp)
		return cmp;
	if (x->hidden != y->hidden)
		return x->hidden ? 1 : -1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

static int elf_file__read_segments(struct elf_file *ef, Elf *elf)
{
	size_t i, nphdrs;
	GElf_Phdr phdr;
	Elf_Data *data;

	if (elf_getphdrnum(elf, &nphdrs))
		return -ENOEXEC;
	ef->segs = calloc(nphdrs ? nphdrs : 1, sizeof(*ef->segs));
	if (!ef->segs)
		return -ENOMEM;
	for (i = 0; i < nphdrs; i++) {
		if (!gelf_getphdr(elf, i, &phdr))
			return -ENOEXEC;
		if (phdr.p_type == PT_LOAD) {
			ef->segs[ef->nsegs].vaddr = phdr.p_vaddr;
			ef->segs[ef->nsegs].offset = phdr.p_offset;
			ef->segs[ef->nsegs].filesz = phdr.p_filesz;
			ef->nsegs++;
		} else if (phdr.p_type == PT_INTERP && !ef->interp && phdr.p_filesz) {
			/* A separate debug file keeps the header but not the bytes (filesz 0). */
			data = elf_getdata_rawchunk(elf, phdr.p_offset, phdr.p_filesz, ELF_T_BYTE);
			if (!data)
				return -ENOEXEC;
			ef->interp = strndup(data->d_buf, data->d_size);
			if (!ef->interp)
				return -ENOMEM;
		}
	}
	return 0;
}

/* The build id comes from the note segments, which survive even when section headers do not. */
static int elf_file__read_build_id(struct elf_file *ef, Elf *elf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, j, nphdrs, off, next, name_off, desc_off;
	const unsigned char *desc;
	const char *name;
	GElf_Phdr phdr;
	GElf_Nhdr nhdr;
	Elf_Data *data;

	if (elf_getphdrnum(elf, &nphdrs))
		return -ENOEXEC;
	for (i = 0; i < nphdrs; i++) {
		if (!gelf_getphdr(elf, i, &phdr))
			return -ENOEXEC;
		if (phdr.p_type != PT_NOTE)
			continue;
		/* 8-byte aligned notes (.note.gnu.property) have a different padding. */
		data = elf_getdata_rawchunk(elf, phdr.p_offset, phdr.p_filesz,
					    phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!data)
			return -ENOEXEC;
		for (off = 0; (next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off));
		     off = next) {
			name = (const char *)data->d_buf + name_off;
			if (nhdr.n_type != NT_GNU_BUILD_ID || !nhdr.n_descsz ||
			    nhdr.n_namesz != sizeof(ELF_NOTE_GNU) ||
			    memcmp(name, ELF_NOTE_GNU, sizeof(ELF_NOTE_GNU)))
				continue;
			ef->build_id = malloc(nhdr.n_descsz * 2 + 1);
			if (!ef->build_id)
				return -ENOMEM;
			desc = (const unsigned char *)data->d_buf + desc_off;
			for (j = 0; j < nhdr.n_descsz; j++) {
				ef->build_id[2 * j] = hex[desc[j] >> 4];
				ef->build_id[2 * j + 1] = hex[desc[j] & 0xf];
			}
			ef->build_id[2 * j] = '\0';
			return 0;
		}
	}
	return 0;
}

/* The .gnu.version table that parallels the .dynsym at section index dynsym_ndx, if any. */
static Elf_Data *elf_file__versym(Elf *elf, size_t dynsym_ndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_GNU_versym &&
		    shdr.sh_link == dynsym_ndx)
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

/*
 * Appends the defined function symbols of one symbol table to *syms. Their
 * names still point into libelf's data.
 */
static int elf_file__read_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
				 struct elf_sym **syms, size_t *n)
{
	Elf_Data *data, *versym = NULL;
	struct elf_sym *grown, *sym;
	GElf_Versym vs;
	const char *name, *at;
	unsigned char type;
	GElf_Sym esym;
	size_t i;

	data = elf_getdata(scn, NULL);
	if (!data)
		return -ENOEXEC;
	if (shdr->sh_type == SHT_DYNSYM)
		versym = elf_file__versym(elf, elf_ndxscn(scn));
	/*
	 * gelf_getsym reads no further than this for a 64-bit file, whatever
	 * sh_entsize says; one spare entry keeps an empty table from asking
	 * realloc for 0 bytes, which would free *syms.
	 */
	grown = reallocarray(*syms, *n + data->d_size / sizeof(Elf64_Sym) + 1, sizeof(**syms));
	if (!grown)
		return -ENOMEM;
	*syms = grown;

	for (i = 0; gelf_getsym(data, i, &esym); i++) {
		type = GELF_ST_TYPE(esym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || esym.st_shndx == SHN_UNDEF ||
		    !esym.st_value)
			continue;
		name = elf_strptr(elf, shdr->sh_link, esym.st_name);
		if (!name || !name[0])
			continue;
		sym = &(*syms)[(*n)++];
		sym->addr = esym.st_value;
		sym->size = esym.st_size;
		sym->name = name;
		sym->bind_rank = bind_rank(GELF_ST_BIND(esym.st_info));
		sym->hidden = versym && gelf_getversym(versym, i, &vs) && (vs & VERSYM_HIDDEN);
		/* a debug file's .symtab spells versions out: name@VER is not the default */
		at = strchr(name, '@');
		if (at && at[1] != '@')
			sym->hidden = true;
	}
	return 0;
}

/*
 * .symtab and .dynsym list most functions twice: keep one entry per address
 * and name, then copy the surviving names out of where they are (libelf's
 * memory, or another elf_file's). Takes syms over: on success ef's table is
 * replaced, on failure syms is freed and ef's table left as it was.
 */
static int elf_file__set_symbols(struct elf_file *ef, struct elf_sym *syms, size_t nsyms)
{
	const struct elf_sym **by_name = NULL;
	size_t i, len, n = 0, names_len = 0;
	struct elf_sym *shrunk;
	uint64_t max_end = 0;
	char *names, *p;

	if (!nsyms) {
		free(syms);
		return 0;
	}
	qsort(syms, nsyms, sizeof(*syms), elf_sym__cmp_addr_name);
	for (i = 0; i < nsyms; i++) {
		if (n && !elf_sym__cmp_addr_name(&syms[n - 1], &syms[i])) {
			if (syms[i].size > syms[n - 1].size)
				syms[n - 1].size = syms[i].size;
			if (syms[i].bind_rank < syms[n - 1].bind_rank)
				syms[n - 1].bind_rank = syms[i].bind_rank;
			/* Only .dynsym knows versions; its copy carries the flag. */
			syms[n - 1].hidden |= syms[i].hidden;
			continue;
		}
		syms[n++] = syms[i];
		names_len += strlen(syms[i].name) + 1;
	}
	/* Failing to give back the duplicates' room is harmless. */
	shrunk = reallocarray(syms, n, sizeof(*syms));
	if (shrunk)
		syms = shrunk;
	qsort(syms, n, sizeof(*syms), elf_sym__cmp_addr_preference);

	names = malloc(names_len);
	by_name = calloc(n, sizeof(*by_name));
	if (!names || !by_name) {
		free(names);
		free(by_name);
		free(syms);
		return -ENOMEM;
	}
	for (i = 0, p = names; i < n; i++) {
		/* "malloc@@GLIBC_2.2.5" is malloc: the version stays out of reports and keys */
		len = strcspn(syms[i].name, "@");
		memcpy(p, syms[i].name, len);
		p[len] = '\0';
		syms[i].name = p;
		p += len + 1;
		if (elf_sym__end(&syms[i]) > max_end)
			max_end = elf_sym__end(&syms[i]);
		syms[i].max_end = max_end;
		by_name[i] = &syms[i];
	}
	qsort(by_name, n, sizeof(*by_name), elf_sym__cmp_name);
	free(ef->syms);
	free(ef->by_name);
	free(ef->names);
	ef->syms = syms;
	ef->by_name = by_name;
	ef->names = names;
	ef->nsyms = n;
	return 0;
}

/*
 * .gnu_debuglink: the debug file's name, padded to 4 bytes, then the CRC-32
 * of its contents. The file was made for this machine, so the CRC is in
 * host byte order.
 */
static int elf_file__read_debuglink(struct elf_file *ef, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t len, crc_off;

	if (!data || !data->d_buf)
		return 0;
	len = strnlen(data->d_buf, data->d_size);
	crc_off = (len + 4) & ~(size_t)3;
	if (!len || crc_off + sizeof(ef->debuglink_crc) > data->d_size)
		return 0;
	ef->debuglink = strndup(data->d_buf, len);
	if (!ef->debuglink)
		return -ENOMEM;
	memcpy(&ef->debuglink_crc, (const char *)data->d_buf + crc_off, sizeof(ef->debuglink_crc));
	return 0;
}

/* Symbol tables, and what says where the file's debugging information is. */
static int elf_file__read_sections(struct elf_file *ef, Elf *elf)
{
	struct elf_sym *syms = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;
	const char *name;
	GElf_Shdr shdr;
	int err = 0;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr)) {
			err = -ENOEXEC;
			goto cleanup;
		}
		/* A stripped or debug-only file keeps headers of sections without their bytes. */
		if (shdr.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && shdr.sh_size &&
		    (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			ef->has_dwarf = true;
		if (name && !strcmp(name, ".gnu_debuglink") && !ef->debuglink) {
			err = elf_file__read_debuglink(ef, scn);
			if (err)
				goto cleanup;
		}
		if (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM)
			continue;
		ef->has_symtab |= shdr.sh_type == SHT_SYMTAB;
		err = elf_file__read_symtab(elf, scn, &shdr, &syms, &n);
		if (err)
			goto cleanup;
	}
	err = elf_file__set_symbols(ef, syms, n);
	syms = NULL;
cleanup:
	free(syms);
	return err;
}

int elf_file__open(const char *path, struct elf_file **out)
{
	struct elf_file *ef = NULL;
	GElf_Ehdr ehdr;
	struct stat st;
	Elf *elf = NULL;
	int fd, err;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put where a mapped file was must not hang the tracer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOEXEC;
		goto cleanup;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    !gelf_getehdr(elf, &ehdr) || (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		err = -ENOMEM;
		goto cleanup;
	}
	ef->is_dyn = ehdr.e_type == ET_DYN;
	ef->entry = ehdr.e_entry;
	err = elf_file__read_segments(ef, elf);
	if (!err)
		err = elf_file__read_build_id(ef, elf);
	if (!err)
		err = elf_file__read_sections(ef, elf);
	if (err)
		goto cleanup;
	*out = ef;
	ef = NULL;

cleanup:
	elf_file__free(ef);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return err;
}

void elf_file__free(struct elf_file *ef)
{
	if (!ef)
		return;
	free(ef->segs);
	free(ef->syms);
	free(ef->by_name);
	free(ef->names);
	free(ef->interp);
	free(ef->build_id);
	free(ef->debuglink);
	free(ef);
}

int elf_file__add_symbols(struct elf_file *ef, const struct elf_file *from)
{
	size_t n = ef->nsyms + from->nsyms;
	struct elf_sym *syms;
	int err;

	if (!from->nsyms)
		return 0;
	syms = calloc(n, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	/* Names still point into both files' copies until the new table has its own. */
	memcpy(syms, ef->syms, ef->nsyms * sizeof(*syms));
	memcpy(syms + ef->nsyms, from->syms, from->nsyms * sizeof(*syms));
	err = elf_file__set_symbols(ef, syms, n);
	if (!err)
		ef->has_symtab |= from->has_symtab;
	return err;
}

/* -ERANGE: the address lies in no loadable segment's file contents. */
static int elf_file__vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *file_off)
{
	const struct elf_segment *seg;
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		seg = &ef->segs[i];
		if (vaddr >= seg->vaddr && vaddr - seg->vaddr < seg->filesz) {
			*file_off = vaddr - seg->vaddr + seg->offset;
			return 0;
		}
	}
	return -ERANGE;
}

/* The function symbol called name (its default version first), or NULL. */
static const struct elf_sym *find_func(const struct elf_file *ef, const char *name)
{
	size_t lo = 0, hi = ef->nsyms, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ef->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ef->nsyms || strcmp(ef->by_name[lo]->name, name))
		return NULL;
	return ef->by_name[lo];
}

int elf_file__func_offset(const struct elf_file *ef, const char *name, uint64_t *file_off,
			  uint64_t *vaddr)
{
	const struct elf_sym *sym = find_func(ef, name);
	int err;

	if (!sym)
		return -ENOENT;
	err = elf_file__vaddr_to_offset(ef, sym->addr, file_off);
	if (err)
		return err;
	if (vaddr)
		*vaddr = sym->addr;
	return 0;
}

int elf_file__func_size(const struct elf_file *ef, const char *name, uint64_t *size)
{
	const struct elf_sym *sym = find_func(ef, name);

	if (!sym)
		return -ENOENT;
	*size = sym->size;
	return 0;
}

/* -ERANGE: no loadable segment holds that part of the file. */
int elf_file__entry_offset(const struct elf_file *ef, uint64_t *file_off)
{
	if (!ef->entry)
		return -ENOENT;
	return elf_file__vaddr_to_offset(ef, ef->entry, file_off);
}

int elf_file__offset_to_vaddr(const struct elf_file *ef, uint64_t file_off, uint64_t *vaddr)
{
	const struct elf_segment *seg;
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		seg = &ef->segs[i];
		if (file_off >= seg->offset && file_off - seg->offset < seg->filesz) {
			*vaddr = file_off - seg->offset + seg->vaddr;
			return 0;
		}
	}
	return -ERANGE;
}

/*
 * Symbols may nest (an assembly entry point inside a larger function) or
 * overlap: the containing symbol that starts last wins, which for nested
 * symbols is the innermost one. max_end bounds the backward walk: once no
 * earlier symbol ends past vaddr, none can contain it.
 */
const char *elf_file__symbolize(const struct elf_file *ef, uint64_t vaddr, uint64_t *sym_off)
{
	size_t lo = 0, hi = ef->nsyms, mid, i, found = ef->nsyms;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ef->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Walking down an address's aliases ends on the preferred containing one. */
	for (i = lo; i-- > 0 && ef->syms[i].max_end > vaddr;) {
		if (found != ef->nsyms && ef->syms[i].addr != ef->syms[found].addr)
			break;
		if (vaddr < elf_sym__end(&ef->syms[i]))
			found = i;
	}
	if (found == ef->nsyms)
		return NULL;
	if (sym_off)
		*sym_off = vaddr - ef->syms[found].addr;
	return ef->syms[found].name;
}

const char *elf_file__interp(const struct elf_file *ef)
{
	return ef->interp;
}

bool elf_file__is_dyn(const struct elf_file *ef)
{
	return ef->is_dyn;
}

const char *elf_file__build_id(const struct elf_file *ef)
{
	return ef->build_id;
}

size_t elf_file__symbol_count(const struct elf_file *ef)
{
	return ef->nsyms;
}

int elf_file__symbol_code(const struct elf_file *ef, size_t i, const char **name,
			  uint64_t *file_off, uint64_t *size)
{
	if (i >= ef->nsyms)
		return -ERANGE;
	*name = ef->syms[i].name;
	*size = ef->syms[i].size;
	return elf_file__vaddr_to_offset(ef, ef->syms[i].addr, file_off);
}

bool elf_file__has_symtab(const struct elf_file *ef)
{
	return ef->has_symtab;
}

bool elf_file__has_dwarf(const struct elf_file *ef)
{
	return ef->has_dwarf;
}

const char *elf_file__debuglink(const struct elf_file *ef, uint32_t *crc)
{
	if (ef->debuglink && crc)
		*crc = ef->debuglink_crc;
	return ef->debuglink;
}
