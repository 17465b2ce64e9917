// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libdw has no "iterate the rows" call, so the table is walked through
 * dwarf_cfi_addrframe: the range dwarf_frame_info gives is the range of
 * the row holding at pc, not of its FDE, so asking again at its end gives
 * the next row. Only the FDE start addresses are read by hand (from the
 * sorted .eh_frame_hdr table, or .debug_frame's absolute addresses),
 * because libdw decodes pointer encodings only internally.
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdw.h>

#include "symbolize/unwind_table.h"
#include "util/array.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

_Static_assert(sizeof(struct mt_unwind_row) == 8, "the BPF maps hold 8-byte rows");

struct module {
	int fd;
	Elf *elf;
	Dwarf *dwarf;		/* only for .debug_frame */
	Dwarf_CFI *cfi;
	bool cfi_owned;		/* dwarf_getcfi_elf's, which dwarf_cfi_end frees */
};

static int module__open(const char *path, struct module *m)
{
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
	return m->elf && elf_kind(m->elf) == ELF_K_ELF ? 0 : -ENOEXEC;
}

static void module__close(struct module *m)
{
	if (m->cfi_owned)
		dwarf_cfi_end(m->cfi);
	dwarf_end(m->dwarf);
	elf_end(m->elf);
	if (m->fd >= 0)
		close(m->fd);
}

/* The section called name with contents, or NULL. */
static Elf_Scn *module__section(const struct module *m, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(m->elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(m->elf, scn))) {
		if (!gelf_getshdr(scn, shdr) || shdr->sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(m->elf, shstrndx, shdr->sh_name);
		if (n && !strcmp(n, name) && shdr->sh_size)
			return scn;
	}
	return NULL;
}

struct starts {
	uint64_t *pcs;
	size_t n, cap;
};

static int starts__add(struct starts *s, uint64_t pc)
{
	if (ARRAY_RESERVE(&s->pcs, &s->cap, s->n + 1))
		return -ENOMEM;
	s->pcs[s->n++] = pc;
	return 0;
}

/*
 * GCC's and lld's .eh_frame_hdr: version 1, eh_frame_ptr pcrel sdata4,
 * fde_count udata4, then (initial location, FDE) pairs as sdata4 relative
 * to the header, already sorted. Other encodings are refused, not guessed.
 */
static int starts__from_hdr(Elf_Scn *scn, const GElf_Shdr *shdr, struct starts *s)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const uint8_t *p;
	uint32_t count;
	int32_t loc;
	int err;

	if (!data || data->d_size < 12)
		return -EINVAL;
	p = data->d_buf;
	if (p[0] != 1 || p[1] != 0x1b || p[2] != 0x03 || p[3] != 0x3b)
		return -ENOTSUP;
	memcpy(&count, p + 8, 4);
	if ((data->d_size - 12) / 8 < count)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&loc, p + 12 + 8 * (size_t)i, 4);
		err = starts__add(s, shdr->sh_addr + (int64_t)loc);
		if (err)
			return err;
	}
	return 0;
}

/* .debug_frame: initial locations are absolute, of the ELF class's address size. */
static int starts__from_debug_frame(const struct module *m, Elf_Scn *scn, struct starts *s)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const unsigned char *ident = (const unsigned char *)elf_getident(m->elf, NULL);
	size_t asize = ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	uint64_t pc;
	int ret, err;

	if (!data)
		return -EINVAL;
	while ((ret = dwarf_next_cfi(ident, data, false, off, &next, &e)) == 0) {
		off = next;
		if (dwarf_cfi_cie_p(&e))
			continue;
		if ((size_t)(e.fde.end - e.fde.start) < asize)
			return -EINVAL;
		pc = 0;
		memcpy(&pc, e.fde.start, asize);	/* x86_64: little endian, as the host */
		err = starts__add(s, pc);
		if (err)
			return err;
	}
	return ret == 1 ? 0 : -EINVAL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The CFI to walk and its FDE starts: .eh_frame first, as it also covers
 * the PLT and hand-written assembly that .debug_frame often leaves out.
 */
static int module__cfi(struct module *m, struct starts *s)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;
	int err;

	scn = module__section(m, ".eh_frame_hdr", &shdr);
	if (scn) {
		err = starts__from_hdr(scn, &shdr, s);
		if (err)
			return err;
		m->cfi = dwarf_getcfi_elf(m->elf);
		m->cfi_owned = true;
		return m->cfi ? 0 : -EINVAL;
	}
	scn = module__section(m, ".debug_frame", &shdr);
	if (!scn)
		return -ENOENT;
	err = starts__from_debug_frame(m, scn, s);
	if (err)
		return err;
	m->dwarf = dwarf_begin_elf(m->elf, DWARF_C_READ, NULL);
	m->cfi = m->dwarf ? dwarf_getcfi(m->dwarf) : NULL;
	return m->cfi ? 0 : -EINVAL;
}

/* off in units of 8 into *out, if it is a multiple of 8 that fits [lo, hi]. */
static bool fit8(int64_t off, int64_t lo, int64_t hi, int64_t *out)
{
	if (off % 8 || off / 8 < lo || off / 8 > hi)
		return false;
	*out = off / 8;
	return true;
}

/* GCC's PLT CFA: breg7 8; breg16 0; lit15; and; lit11 (or lit10); ge; lit3; shl; plus */
static bool is_plt(const Dwarf_Op *ops, size_t nops, int16_t *threshold)
{
	static const uint8_t shape[] = { DW_OP_breg7,	  DW_OP_breg16, DW_OP_lit15,
					 DW_OP_and,	  0,		DW_OP_ge,
					 DW_OP_lit3,	  DW_OP_shl,	DW_OP_plus };

	if (nops != sizeof(shape))
		return false;
	for (size_t i = 0; i < nops; i++)
		if (shape[i] && ops[i].atom != shape[i])
			return false;
	if (ops[0].number != 8 || ops[1].number != 0)
		return false;
	if (ops[4].atom != DW_OP_lit10 && ops[4].atom != DW_OP_lit11)
		return false;
	*threshold = ops[4].atom - DW_OP_lit0;
	return true;
}

/* The CFA rule, or MT_UNWIND_CFA_UNSUPPORTED. */
static uint8_t row__cfa(Dwarf_Frame *fr, int16_t *cfa_off)
{
	Dwarf_Op *ops;
	size_t nops;
	int64_t reg, off, units;

	if (dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops == 0)
		return MT_UNWIND_CFA_UNSUPPORTED;
	if (is_plt(ops, nops, cfa_off))
		return MT_UNWIND_CFA_PLT;
	if (nops != 1)
		return MT_UNWIND_CFA_UNSUPPORTED;
	if (ops[0].atom == DW_OP_bregx) {
		reg = ops[0].number;
		off = (int64_t)ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		reg = ops[0].atom - DW_OP_breg0;
		off = (int64_t)ops[0].number;
	} else {
		return MT_UNWIND_CFA_UNSUPPORTED;
	}
	if ((reg != REG_RSP && reg != REG_RBP) || !fit8(off, INT16_MIN, INT16_MAX, &units))
		return MT_UNWIND_CFA_UNSUPPORTED;
	*cfa_off = units;
	return reg == REG_RSP ? MT_UNWIND_CFA_RSP : MT_UNWIND_CFA_RBP;
}

enum reg_rule { REG_SAME, REG_UNDEFINED, REG_AT_CFA, REG_OTHER };

/*
 * libdw's answer for regno: no ops and *ops NULL for "same value", no ops
 * and *ops == ops_mem for "undefined", call_frame_cfa [plus_uconst off]
 * for "saved at CFA + off" (a negative off wraps in the unsigned operand).
 */
static enum reg_rule reg__rule(Dwarf_Frame *fr, int regno, int64_t *off)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;

	if (dwarf_frame_register(fr, regno, ops_mem, &ops, &nops) != 0)
		return REG_OTHER;
	if (nops == 0)
		return ops ? REG_UNDEFINED : REG_SAME;
	if (ops[0].atom != DW_OP_call_frame_cfa || nops > 2)
		return REG_OTHER;
	if (nops == 1) {
		*off = 0;
		return REG_AT_CFA;
	}
	if (ops[1].atom != DW_OP_plus_uconst)
		return REG_OTHER;
	*off = (int64_t)ops[1].number;
	return REG_AT_CFA;
}

/* The row for the rule in fr; the return address must be at CFA-8, as the BPF side assumes. */
static void row__classify(Dwarf_Frame *fr, bool signal, struct mt_unwind_row *row)
{
	int64_t off = 0, units;
	uint8_t cfa;

	row->cfa_off = 0;
	row->rbp_off = 0;
	/* a sigreturn frame's rules are expressions into the ucontext, which BPF reads whole */
	if (signal) {
		row->kind = MT_UNWIND_CFA_SIGNAL;
		return;
	}
	cfa = row__cfa(fr, &row->cfa_off);
	switch (reg__rule(fr, REG_RA, &off)) {
	case REG_UNDEFINED:
		row->kind = MT_UNWIND_CFA_STOP;
		row->cfa_off = 0;
		return;
	case REG_AT_CFA:
		if (off == -8)
			break;
		/* fallthrough */
	default:
		cfa = MT_UNWIND_CFA_UNSUPPORTED;
	}
	switch (reg__rule(fr, REG_RBP, &off)) {
	case REG_SAME:
		row->kind = cfa | MT_UNWIND_RBP_SAME;
		break;
	case REG_UNDEFINED:
		row->kind = cfa | MT_UNWIND_RBP_UNDEFINED;
		break;
	case REG_AT_CFA:
		if (fit8(off, INT8_MIN, INT8_MAX, &units)) {
			row->kind = cfa | MT_UNWIND_RBP_AT_CFA;
			row->rbp_off = units;
			break;
		}
		/* fallthrough */
	default:
		row->kind = MT_UNWIND_CFA_UNSUPPORTED;
	}
	if ((row->kind & MT_UNWIND_CFA_MASK) == MT_UNWIND_CFA_UNSUPPORTED)
		row->cfa_off = 0;
}

/* Appends row at pc, unless it says what the row before it says. */
static int table__push(struct unwind_table *t, uint64_t pc, struct mt_unwind_row row)
{
	struct mt_unwind_row *last = t->nrows ? &t->rows[t->nrows - 1] : NULL;

	if (pc > UINT32_MAX)
		return -E2BIG;
	row.pc = pc;
	if (last && last->kind == row.kind && last->cfa_off == row.cfa_off &&
	    last->rbp_off == row.rbp_off)
		return 0;
	if (last && last->pc == pc) {
		*last = row;
		return 0;
	}
	if (ARRAY_RESERVE(&t->rows, &t->cap, t->nrows + 1))
		return -ENOMEM;
	t->rows[t->nrows++] = row;
	return 0;
}

/*
 * Walks the rows of the FDE at pc until the next FDE's start; where no FDE
 * covers pc before that, an END row closes the gap. *done is where it stopped.
 */
static int table__walk_fde(struct unwind_table *t, Dwarf_CFI *cfi, uint64_t pc, uint64_t next,
			   uint64_t *done)
{
	struct mt_unwind_row row = { .kind = MT_UNWIND_CFA_END };
	Dwarf_Addr start, end;
	Dwarf_Frame *fr;
	bool signal;
	int err = 0;

	while (pc < next) {
		if (dwarf_cfi_addrframe(cfi, pc, &fr) != 0) {
			row.kind = MT_UNWIND_CFA_END;
			row.cfa_off = row.rbp_off = 0;
			err = table__push(t, pc, row);
			break;
		}
		if (dwarf_frame_info(fr, &start, &end, &signal) < 0 || end <= pc) {
			free(fr);
			err = -EINVAL;
			break;
		}
		row__classify(fr, signal, &row);
		free(fr);
		if ((row.kind & MT_UNWIND_CFA_MASK) == MT_UNWIND_CFA_UNSUPPORTED)
			t->unsupported++;
		err = table__push(t, pc, row);
		if (err)
			break;
		pc = end;
	}
	*done = pc;
	return err;
}

static int table__fill(struct unwind_table *t, Dwarf_CFI *cfi, struct starts *s)
{
	uint64_t done = 0, next;
	size_t i, j;
	int err;

	qsort(s->pcs, s->n, sizeof(*s->pcs), cmp_u64);
	for (i = 0; i < s->n; i = j) {
		for (j = i + 1; j < s->n && s->pcs[j] == s->pcs[i]; j++)
			;
		/* an FDE inside the one before it (rare, but linkers allow it) adds nothing */
		if (t->nrows && s->pcs[i] < done)
			continue;
		next = j < s->n ? s->pcs[j] : UINT64_MAX;
		t->fdes++;
		err = table__walk_fde(t, cfi, s->pcs[i], next, &done);
		if (err)
			return err;
	}
	return 0;
}

/* The executable PT_LOADs, for unwind_table__bias. */
static int table__segments(struct unwind_table *t, Elf *elf)
{
	size_t nph;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &nph))
		return -EINVAL;
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (t->nsegments == UNWIND_MAX_SEGMENTS)
			return -E2BIG;
		t->segments[t->nsegments++] = (struct unwind_segment){
			.offset = ph.p_offset, .vaddr = ph.p_vaddr, .filesz = ph.p_filesz
		};
	}
	return 0;
}

int unwind_table__build(const char *path, const char *debug_path, struct unwind_table *out)
{
	struct module m = { .fd = -1 }, dm = { .fd = -1 };
	struct module *use = &m;
	struct starts s = {};
	int err;

	memset(out, 0, sizeof(*out));
	out->row_bytes = sizeof(struct mt_unwind_row);
	err = module__open(path, &m);
	if (!err)
		err = table__segments(out, m.elf);
	if (err)
		goto cleanup;
	err = module__cfi(&m, &s);
	if (err == -ENOENT && debug_path) {
		err = module__open(debug_path, &dm);
		if (err)
			goto cleanup;
		use = &dm;
		err = module__cfi(&dm, &s);
	}
	if (err)
		goto cleanup;
	err = table__fill(out, use->cfi, &s);
cleanup:
	free(s.pcs);
	module__close(&dm);
	module__close(&m);
	return err;
}

void unwind_table__release(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

int unwind_table__bias(const struct unwind_table *t, uint64_t start, uint64_t offset,
		       uint64_t *bias)
{
	for (size_t i = 0; i < t->nsegments; i++) {
		const struct unwind_segment *seg = &t->segments[i];

		/* a mapping starts at the page holding the segment's start */
		if (offset >= (seg->offset & ~4095ULL) && offset < seg->offset + seg->filesz) {
			*bias = start - offset - (seg->vaddr - seg->offset);
			return 0;
		}
	}
	return -ENOENT;
}
