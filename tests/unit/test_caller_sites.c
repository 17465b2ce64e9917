// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The call-site scanner (user/attach/caller_sites.c): on hand-written fixtures
 * whose CFI fixes the expected offsets (tests/fixtures/fixture_cxx_new.S,
 * fixture_freeres.S), and on this machine's libstdc++ and libc, where the
 * offsets are checked against binutils' own reading of the CFI (readelf
 * --debug-dump=frames-interp) and the calls against their raw bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/caller_sites.h"
#include "symbolize/elf_file.h"
#include "unit_helpers.h"

#define FIXTURES "build/tests/fixtures/"
#define CXX_NEW FIXTURES "libfixture_cxx_new.so"
#define FREERES FIXTURES "libfixture_freeres"
#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

/* The file offset of a symbol of the fixture: its labels name the return addresses. */
static const struct caller_site *site_at(const struct caller_site_list *l, uint64_t off)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->sites[i].file_offset == off)
			return &l->sites[i];
	fail_msg("no site at file offset %#" PRIx64, off);
	return NULL;
}

static void assert_cxx_site(const struct caller_site_list *l, const char *label, uint8_t flags,
			    int32_t caller_at, int32_t rbp_at)
{
	const struct caller_site *s = site_at(l, unit__func_offset(CXX_NEW, label));

	assert_int_equal(s->value.kind, MT_CALLER_CXX_NEW);
	assert_int_equal(s->value.flags, flags);
	assert_int_equal(s->value.caller_at, caller_at);
	assert_int_equal(s->value.rbp_at, rbp_at);
}

/*
 * The fixture's functions, by their directives: the offsets are from the
 * callee's entry stack pointer (8 below the stack pointer at the call),
 * or from %rbp for the frame-pointer one.
 */
static void test_cxx_fixture(void **state)
{
	struct caller_site_list l;

	(void)state;
	assert_int_equal(caller_sites__scan_cxx(CXX_NEW, &l), 0);
	/* six operator new functions; not_new is none of them */
	assert_int_equal(l.nr_funcs, 6);
	/* _Znwm's malloc, nothrow's _Znwm, both aligned ones; not the handler nor not_new */
	assert_int_equal(l.n, 4);
	/* the DWARF-expression CFA */
	assert_int_equal(l.nr_unknown, 1);
	/* CFA rsp+16: its return address at entry+16; %rbx saved, %rbp untouched */
	assert_cxx_site(&l, "znwm_ret", 0, 16, MT_CALLER_RBP_KEPT);
	assert_cxx_site(&l, "nothrow_ret", 0, 16, MT_CALLER_RBP_KEPT);
	/* CFA rsp+32, %rbp at CFA-16: entry+8+32-16 */
	assert_cxx_site(&l, "aligned_ret", 0, 32, 24);
	/* CFA rbp+16: the return address at rbp+8, the caller's %rbp at rbp+0 */
	assert_cxx_site(&l, "fp_ret", MT_CALLER_F_FROM_RBP, 8, 0);
	/* by offset */
	for (size_t i = 1; i < l.n; i++)
		assert_true(l.sites[i - 1].file_offset < l.sites[i].file_offset);
	caller_sites__release(&l);
}

static void test_cxx_none(void **state)
{
	struct caller_site_list l;

	(void)state;
	/* libc defines no operator new */
	assert_int_equal(caller_sites__scan_cxx(LIBDIR "libc.so.6", &l), -ENOENT);
	assert_null(l.sites);
	assert_int_equal(caller_sites__scan_cxx(FIXTURES "no_such_file.so", &l), -ENOENT);
}

static void assert_freeres(const char *file)
{
	/* as a process maps it: the debug link is looked for beside it */
	char *path = realpath(file, NULL);
	struct caller_site_list l;

	assert_non_null(path);
	assert_int_equal(caller_sites__scan_freeres(path, path, NULL, &l), 0);
	free(path);
	assert_int_equal(l.nr_funcs, 1);
	/* two calls of free; the call of other is not one */
	assert_int_equal(l.n, 2);
	assert_int_equal(l.sites[0].file_offset, unit__func_offset(FREERES ".so", "freeres_ret1"));
	assert_int_equal(l.sites[1].file_offset, unit__func_offset(FREERES ".so", "freeres_ret2"));
	assert_int_equal(l.sites[0].value.kind, MT_CALLER_FREERES);
	assert_int_equal(l.sites[1].value.kind, MT_CALLER_FREERES);
	caller_sites__release(&l);
}

static void test_freeres_fixture(void **state)
{
	(void)state;
	assert_freeres(FREERES ".so");
}

/* a stripped library names the cleanup in its separate debug file only */
static void test_freeres_debug_file(void **state)
{
	(void)state;
	assert_freeres(FREERES ".stripped.so");
}

static void test_freeres_no_symbol(void **state)
{
	struct caller_site_list l;

	(void)state;
	assert_int_equal(caller_sites__scan_freeres(FREERES ".nodebug.so", FREERES ".nodebug.so",
						    NULL, &l),
			 -ENOENT);
	assert_int_equal(l.n, 0);
}

/* ---- this machine's libraries: Debian 12's libstdc++ 12.2 and glibc 2.36 ---- */

struct cfi_row {
	char cfa_reg[8];	/* "rsp" or "rbp" */
	long cfa_off;
	bool rbp_saved;
	long rbp_off;		/* from the CFA */
	long ra_off;
};

/*
 * binutils' reading of the CFI at vaddr: the last row at or before it in
 * the FDE that covers it, from `readelf --debug-dump=frames-interp`, whose
 * rows read "LOC CFA reg... ra" under a header naming the columns.
 */
static bool readelf_row(const char *path, uint64_t vaddr, struct cfi_row *out)
{
	char cmd[512], line[512], cols[16][16];
	uint64_t lo = 0, hi = 0, loc;
	bool in_fde = false, found = false;
	int ncols = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp %s 2>/dev/null", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *pc = strstr(line, " FDE ");
		char *tok, *save;
		int i;

		if (pc) {
			pc = strstr(line, "pc=");
			in_fde = pc && sscanf(pc, "pc=%" SCNx64 "..%" SCNx64, &lo, &hi) == 2 &&
				 vaddr >= lo && vaddr < hi;
			ncols = 0;
			continue;
		}
		if (!in_fde)
			continue;
		if (strstr(line, "LOC")) {
			ncols = 0;
			for (tok = strtok_r(line, " \n", &save); tok && ncols < 16;
			     tok = strtok_r(NULL, " \n", &save))
				snprintf(cols[ncols++], sizeof(cols[0]), "%s", tok);
			continue;
		}
		if (sscanf(line, "%" SCNx64, &loc) != 1 || loc > vaddr)
			continue;
		*out = (struct cfi_row){};
		found = true;
		i = 0;
		for (tok = strtok_r(line, " \n", &save); tok && i < ncols;
		     tok = strtok_r(NULL, " \n", &save), i++) {
			if (!strcmp(cols[i], "CFA")) {
				assert_int_equal(
					sscanf(tok, "%3s%ld", out->cfa_reg, &out->cfa_off), 2);
			} else if (!strcmp(cols[i], "rbp") && tok[0] == 'c') {
				out->rbp_saved = true;
				out->rbp_off = strtol(tok + 1, NULL, 10);
			} else if (!strcmp(cols[i], "ra")) {
				assert_true(tok[0] == 'c');
				out->ra_off = strtol(tok + 1, NULL, 10);
			}
		}
	}
	pclose(f);
	return found;
}

/* Every site against binutils' CFI: the call's own row, at its return address less one. */
static void test_system_libstdcxx(void **state)
{
	const char *path = LIBDIR "libstdc++.so.6";
	struct elf_file *ef = NULL;
	struct caller_site_list l;

	(void)state;
	assert_int_equal(caller_sites__scan_cxx(path, &l), 0);
	assert_int_equal(l.nr_funcs, 8);
	/*
	 * _Znwm: malloc, get_new_handler (not the handler's register call);
	 * the two nothrow news: new, new[]; aligned new: __popcountdi2,
	 * aligned_alloc, get_new_handler; the two aligned nothrow news
	 */
	assert_int_equal(l.n, 9);
	assert_int_equal(l.nr_unknown, 0);
	assert_int_equal(elf_file__open(path, &ef), 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct mt_caller_site *v = &l.sites[i].value;
		uint64_t vaddr, off;
		struct cfi_row row;
		const char *fn;
		long base;

		assert_int_equal(elf_file__offset_to_vaddr(ef, l.sites[i].file_offset, &vaddr), 0);
		fn = elf_file__symbolize(ef, vaddr - 1, &off);
		if (!fn || strncmp(fn, "_Zn", 3))
			fail_msg("site %#" PRIx64 " is not in an operator new (%s)", vaddr,
				 fn ? fn : "?");
		if (!readelf_row(path, vaddr - 1, &row))
			fail_msg("readelf has no CFI row at %#" PRIx64, vaddr - 1);
		assert_int_equal(v->kind, MT_CALLER_CXX_NEW);
		if (!strcmp(row.cfa_reg, "rbp")) {
			assert_int_equal(v->flags, MT_CALLER_F_FROM_RBP);
			base = row.cfa_off;
		} else {
			assert_string_equal(row.cfa_reg, "rsp");
			assert_int_equal(v->flags, 0);
			base = row.cfa_off + 8;
		}
		assert_int_equal(v->caller_at, base + row.ra_off);
		assert_int_equal(v->rbp_at,
				 row.rbp_saved ? base + row.rbp_off : MT_CALLER_RBP_KEPT);
	}
	elf_file__free(ef);
	caller_sites__release(&l);
}

/* Each site follows a 5-byte call (e8 rel32) whose target is free's address. */
static void test_system_libc(void **state)
{
	const char *path = LIBDIR "libc.so.6";
	struct elf_file *ef = NULL;
	struct caller_site_list l;
	uint64_t free_off, free_vaddr;
	int fd;

	(void)state;
	/* the cleanup's symbol is in libc6-dbg's debug file, which install-deps.sh installs */
	assert_int_equal(caller_sites__scan_freeres(path, path, NULL, &l), 0);
	/* the cached chunks, one by one, then the cache itself */
	assert_int_equal(l.n, 2);
	assert_int_equal(elf_file__open(path, &ef), 0);
	assert_int_equal(elf_file__func_offset(ef, "free", &free_off, &free_vaddr), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (size_t i = 0; i < l.n; i++) {
		uint8_t call[5];
		uint64_t ret_vaddr;
		int32_t rel;

		assert_int_equal(pread(fd, call, sizeof(call), l.sites[i].file_offset - 5), 5);
		assert_int_equal(call[0], 0xe8);
		memcpy(&rel, call + 1, sizeof(rel));
		assert_int_equal(elf_file__offset_to_vaddr(ef, l.sites[i].file_offset, &ret_vaddr),
				 0);
		assert_int_equal(ret_vaddr + rel, free_vaddr);
		assert_int_equal(l.sites[i].value.kind, MT_CALLER_FREERES);
	}
	close(fd);
	elf_file__free(ef);
	caller_sites__release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_fixture),
		cmocka_unit_test(test_cxx_none),
		cmocka_unit_test(test_freeres_fixture),
		cmocka_unit_test(test_freeres_debug_file),
		cmocka_unit_test(test_freeres_no_symbol),
		cmocka_unit_test(test_system_libstdcxx),
		cmocka_unit_test(test_system_libc),
	};

	return cmocka_run_group_tests_name("unit: caller sites", tests, NULL, NULL);
}
