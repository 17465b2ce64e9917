// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unwind_table__build and __find: every row of the hand-written CFI in
 * tests/fixtures/fixture_cxx_new.S (PLT expression, rbp as the CFA, a
 * remember/restore pair, an expression the BPF side cannot follow, the gap
 * before the first function); .debug_frame, in the module and in its
 * separate debug file; this binary's own frame-pointer function and
 * its _start (undefined return address); and the system libc, whose rows
 * must be sorted and merged, and agree with libdw asked directly.
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <elfutils/libdw.h>

#include "symbolize/elf_file.h"
#include "symbolize/unwind_table.h"
#include "unit_helpers.h"

#define FIXTURES "build/tests/fixtures/"
#define CXX_NEW FIXTURES "libfixture_cxx_new.so"
#define FREERES FIXTURES "libfixture_freeres.so"
#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"

#define RSP MT_UNWIND_CFA_RSP
#define RBP MT_UNWIND_CFA_RBP
#define AT MT_UNWIND_RBP_AT_CFA

/*
 * The row whose rule holds at pc, as the BPF walk finds it (a binary
 * search; bpf/stack_dwarf.bpf.h): -ENOENT when pc is before the first row
 * or in a gap (an END row), so that a pc no FDE covers never borrows the
 * previous function's rule.
 */
static int find_row(const struct unwind_table *t, uint64_t pc, struct mt_unwind_row *out)
{
	size_t lo = 0, hi = t->nrows, mid;

	if (pc > UINT32_MAX)
		return -ENOENT;
	/* the first row whose start is past pc; the one before it holds at pc */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || (t->rows[lo - 1].kind & MT_UNWIND_CFA_MASK) == MT_UNWIND_CFA_END)
		return -ENOENT;
	*out = t->rows[lo - 1];
	return 0;
}

static uint64_t vaddr_of(const struct elf_file *ef, const char *name)
{
	uint64_t off, vaddr;

	assert_int_equal(elf_file__func_offset(ef, name, &off, &vaddr), 0);
	return vaddr;
}

static uint64_t section_addr(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	uint64_t addr = 0;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) &&
		    !strcmp(elf_strptr(elf, shstrndx, shdr.sh_name), name))
			addr = shdr.sh_addr;
	elf_end(elf);
	close(fd);
	assert_true(addr != 0);
	return addr;
}

struct want {
	const char *base;	/* a function symbol, or ".plt" */
	uint64_t delta;
	uint8_t kind;
	int16_t cfa_off;
	int8_t rbp_off;
};

/* readelf --debug-dump=frames-interp, with rbx dropped and identical neighbours merged */
static const struct want cxx_new_rows[] = {
	{ ".plt", 0x00, RSP, 2, 0 },
	{ ".plt", 0x06, RSP, 3, 0 },
	{ ".plt", 0x10, MT_UNWIND_CFA_PLT, 11, 0 },
	{ ".plt", 0x50, RSP, 1, 0 },	/* .plt.got, right after */
	{ ".plt", 0x58, MT_UNWIND_CFA_END, 0, 0 },
	{ "_Znwm", 0x0, RSP, 2 - 1, 0 },
	{ "_Znwm", 0x1, RSP, 2, 0 },
	{ "_Znwm", 0xf, RSP, 1, 0 },	/* .cfi_remember_state; def_cfa_offset 8 */
	{ "_Znwm", 0x10, RSP, 2, 0 },	/* .cfi_restore_state */
	{ "_Znam", 0x0, RSP, 1, 0 },	/* _ZnwmRKSt9nothrow_t's entry merged into it */
	{ "_ZnwmRKSt9nothrow_t", 0x4, RSP, 2, 0 },
	{ "_ZnwmRKSt9nothrow_t", 0xd, RSP, 1, 0 },
	{ "_ZnwmSt11align_val_t", 0x1, RSP | AT, 2, -2 },
	{ "_ZnwmSt11align_val_t", 0x5, RSP | AT, 3, -2 },
	{ "_ZnwmSt11align_val_t", 0x9, RSP | AT, 4, -2 },
	{ "_ZnwmSt11align_val_t", 0x18, RSP | AT, 3, -2 },
	{ "_ZnwmSt11align_val_t", 0x19, RSP | AT, 2, -2 },
	{ "_ZnwmSt11align_val_t", 0x1a, RSP | AT, 1, -2 },
	{ "_ZnamSt11align_val_t", 0x0, RSP, 1, 0 },
	{ "_ZnamSt11align_val_t", 0x1, RSP | AT, 2, -2 },
	{ "_ZnamSt11align_val_t", 0x4, RBP | AT, 2, -2 },	/* after mov %rsp, %rbp */
	{ "_ZnamSt11align_val_t", 0x13, RSP | AT, 1, -2 },	/* after leave */
	{ "_ZnamRKSt9nothrow_t", 0x0, RSP, 1, 0 },
	{ "_ZnamRKSt9nothrow_t", 0x4, MT_UNWIND_CFA_UNSUPPORTED, 0, 0 },
	{ "_ZnamRKSt9nothrow_t", 0xd, RSP, 1, 0 },	/* not_new's entry merged into it */
	{ "not_new", 0x4, RSP, 2, 0 },
	{ "not_new", 0xd, RSP, 1, 0 },
	{ "not_new", 0xe, MT_UNWIND_CFA_END, 0, 0 },
};

static void test_cxx_new_rows(void **state)
{
	size_t n = sizeof(cxx_new_rows) / sizeof(cxx_new_rows[0]);
	struct unwind_table t;
	struct elf_file *ef;
	struct mt_unwind_row r;
	uint64_t base;

	(void)state;
	assert_int_equal(elf_file__open(CXX_NEW, &ef), 0);
	assert_int_equal(unwind_table__build(CXX_NEW, NULL, &t), 0);
	assert_int_equal(t.nrows, n);
	assert_int_equal(t.row_bytes, 8);
	assert_int_equal(t.unsupported, 1);
	for (size_t i = 0; i < n; i++) {
		const struct want *w = &cxx_new_rows[i];

		base = w->base[0] == '.' ? section_addr(CXX_NEW, w->base) : vaddr_of(ef, w->base);
		assert_int_equal(t.rows[i].pc, base + w->delta);
		assert_int_equal(t.rows[i].kind, w->kind);
		assert_int_equal(t.rows[i].cfa_off, w->cfa_off);
		assert_int_equal(t.rows[i].rbp_off, w->rbp_off);
	}
	/* a gap fails rather than borrowing .plt.got's rule; so does anything before the PLT */
	assert_int_equal(find_row(&t, vaddr_of(ef, "_Znwm") - 1, &r), -ENOENT);
	assert_int_equal(find_row(&t, section_addr(CXX_NEW, ".plt") - 1, &r), -ENOENT);
	assert_int_equal(find_row(&t, vaddr_of(ef, "fp_ret"), &r), 0);
	assert_int_equal(r.kind, RBP | AT);
	assert_int_equal(find_row(&t, section_addr(CXX_NEW, ".plt") + 0x2b, &r), 0);
	assert_int_equal(r.kind, MT_UNWIND_CFA_PLT);
	unwind_table__release(&t);
	elf_file__free(ef);
}

/* The freeres fixture has no CFI: no table, and the caller falls back. */
static void test_no_cfi(void **state)
{
	struct unwind_table t;

	(void)state;
	assert_int_equal(unwind_table__build(FREERES, NULL, &t), -ENOENT);
	unwind_table__release(&t);
	assert_int_equal(unwind_table__build(FIXTURES "no-such-file.so", NULL, &t), -ENOENT);
	unwind_table__release(&t);
}

#define DFRAME FIXTURES "libfixture_debug_frame"

static void check_framed_rows(const struct unwind_table *t, uint64_t f)
{
	static const struct want rows[] = {
		{ NULL, 0x0, RSP, 1, 0 },
		{ NULL, 0x1, RSP | AT, 2, -2 },
		{ NULL, 0x4, RBP | AT, 2, -2 },
		{ NULL, 0x14, RSP | AT, 1, -2 },
		{ NULL, 0x15, MT_UNWIND_CFA_END, 0, 0 },
	};

	assert_int_equal(t->nrows, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(t->rows[i].pc, f + rows[i].delta);
		assert_int_equal(t->rows[i].kind, rows[i].kind);
		assert_int_equal(t->rows[i].cfa_off, rows[i].cfa_off);
		assert_int_equal(t->rows[i].rbp_off, rows[i].rbp_off);
	}
}

/* .debug_frame in the module, then only in its separate debug file once stripped. */
static void test_debug_frame(void **state)
{
	struct unwind_table t;
	struct elf_file *ef;
	uint64_t f;

	(void)state;
	assert_int_equal(elf_file__open(DFRAME ".so", &ef), 0);
	f = vaddr_of(ef, "fixture_framed");
	elf_file__free(ef);
	assert_int_equal(unwind_table__build(DFRAME ".so", NULL, &t), 0);
	check_framed_rows(&t, f);
	unwind_table__release(&t);
	assert_int_equal(unwind_table__build(DFRAME ".stripped.so", NULL, &t), -ENOENT);
	unwind_table__release(&t);
	assert_int_equal(unwind_table__build(DFRAME ".stripped.so", DFRAME ".debug", &t), 0);
	check_framed_rows(&t, f);
	unwind_table__release(&t);
}

static uintptr_t callee_ra;

__attribute__((noinline)) static void note_return_address(void)
{
	callee_ra = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

/* push rbp; mov rbp, rsp whatever the build's flags */
__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void with_frame_pointer(void)
{
	note_return_address();
	__asm__ volatile("" ::: "memory");
}

static int main_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uint64_t *)data = info->dlpi_addr;
	return 1;	/* the first object is the executable */
}

static void test_own_binary(void **state)
{
	struct unwind_table t;
	struct mt_unwind_row r;
	struct elf_file *ef;
	uint64_t bias = 0;

	(void)state;
	with_frame_pointer();
	dl_iterate_phdr(main_bias, &bias);
	assert_int_equal(unwind_table__build("/proc/self/exe", NULL, &t), 0);
	/* ra - 1, as the BPF side will look up a caller's frame */
	assert_int_equal(find_row(&t, callee_ra - 1 - bias, &r), 0);
	assert_int_equal(r.kind & MT_UNWIND_CFA_MASK, RBP);
	assert_int_equal(r.kind & MT_UNWIND_RBP_MASK, AT);
	assert_int_equal(r.cfa_off, 2);
	assert_int_equal(r.rbp_off, -2);
	/* _start's .cfi_undefined rip: the end of every stack */
	assert_int_equal(elf_file__open("/proc/self/exe", &ef), 0);
	assert_int_equal(find_row(&t, vaddr_of(ef, "_start") + 4, &r), 0);
	assert_int_equal(r.kind, MT_UNWIND_CFA_STOP);
	elf_file__free(ef);
	unwind_table__release(&t);
}

/* The CFA rule libdw gives at pc, as (kind, offset in bytes); kind 0 when it is neither rsp nor rbp. */
static int libdw_cfa(Dwarf_CFI *cfi, uint64_t pc, uint8_t *kind, int64_t *off)
{
	Dwarf_Frame *fr;
	Dwarf_Op *ops;
	size_t nops;

	if (dwarf_cfi_addrframe(cfi, pc, &fr) != 0)
		return -ENOENT;
	*kind = 0;
	if (dwarf_frame_cfa(fr, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_bregx &&
	    (ops[0].number == 7 || ops[0].number == 6)) {
		*kind = ops[0].number == 7 ? RSP : RBP;
		*off = (int64_t)ops[0].number2;
	}
	free(fr);
	return 0;
}

static void check_sorted_merged(const struct unwind_table *t)
{
	for (size_t i = 1; i < t->nrows; i++) {
		const struct mt_unwind_row *a = &t->rows[i - 1], *b = &t->rows[i];

		assert_true(a->pc < b->pc);
		assert_false(a->kind == b->kind && a->cfa_off == b->cfa_off &&
			     a->rbp_off == b->rbp_off);
	}
}

/* Every 7th byte of libc's text: the row found gives libdw's CFA, and a gap is a gap to both. */
static void test_libc(void **state)
{
	struct unwind_table t;
	struct mt_unwind_row r;
	Dwarf_CFI *cfi;
	Elf *elf;
	int fd, found, checked = 0, signals = 0;
	uint8_t kind;
	int64_t off;

	(void)state;
	assert_int_equal(unwind_table__build(LIBC, NULL, &t), 0);
	/* the brief measured 23,227 rows on Debian 12's libc; any glibc has thousands */
	assert_in_range(t.nrows, 5000, 200000);
	assert_true(t.fdes > 1000);
	check_sorted_merged(&t);
	assert_int_equal(t.rows[t.nrows - 1].kind, MT_UNWIND_CFA_END);
	/* __restore_rt's FDE is glibc's one signal frame ('S' augmentation) */
	for (size_t i = 0; i < t.nrows; i++)
		signals += t.rows[i].kind == MT_UNWIND_CFA_SIGNAL;
	assert_int_equal(signals, 1);

	fd = open(LIBC, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	cfi = dwarf_getcfi_elf(elf);
	assert_non_null(cfi);
	for (uint64_t pc = t.rows[0].pc; pc < t.rows[t.nrows - 1].pc + 64; pc += 7) {
		found = find_row(&t, pc, &r);
		if (libdw_cfa(cfi, pc, &kind, &off) != 0) {
			assert_int_equal(found, -ENOENT);
			continue;
		}
		assert_int_equal(found, 0);
		/* rules that end or leave the CFA aside, and offsets that do not fit, are not rows to compare */
		if (!kind || off % 8 || off / 8 > INT16_MAX ||
		    (r.kind & MT_UNWIND_CFA_MASK) >= MT_UNWIND_CFA_SIGNAL)
			continue;
		assert_int_equal(r.kind & MT_UNWIND_CFA_MASK, kind);
		assert_int_equal(r.cfa_off * 8, off);
		checked++;
	}
	assert_true(checked > 10000);
	dwarf_cfi_end(cfi);
	elf_end(elf);
	close(fd);
	unwind_table__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_new_rows),
		cmocka_unit_test(test_no_cfi),
		cmocka_unit_test(test_debug_frame),
		cmocka_unit_test(test_own_binary),
		cmocka_unit_test(test_libc),
	};

	return cmocka_run_group_tests_name("unit: unwind table", tests, NULL, NULL);
}
