// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elf_file on the fixtures and on the C library. Expected addresses come
 * from the dynamic loader (dlsym, the link map, the loaded program headers)
 * and expected file offsets from /proc/self/maps, never from elf_file.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "symbolize/elf_file.h"
#include "symbolize/proc_maps.h"

#define LIB_PATH "build/tests/fixtures/libfixture.so"
#define PIE_PATH "build/tests/fixtures/fixture_pie"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The fixture library's exported functions: everything a stripped copy keeps. */
static const char *const lib_exported[] = {
	"fixture_add",	     "__fixture_malloc", "fixture_malloc",	  "fixture_free_impl",
	"fixture_free",	     "fixture_memalign", "fixture_aligned_alloc", "fixture_die",
	"fixture_call_die",  "fixture_nosize",	 "fixture_outer",	  "fixture_inner",
};

/* .symtab adds the local alias and what gcc's crt files and the linker contribute. */
static const char *const lib_local[] = {
	"fixture_malloc_local", "deregister_tm_clones", "register_tm_clones",
	"__do_global_dtors_aux", "frame_dummy", "_init", "_fini",
};

static const char *const pie_functions[] = {
	"pie_target", "pie_helper", "main", "_start", "_init", "_fini",
	"deregister_tm_clones", "register_tm_clones", "__do_global_dtors_aux", "frame_dummy",
};

struct fixture {
	void *lib;		/* the fixture library, dlopen()ed */
	struct elf_file *ef;	/* the same file through elf_file */
	char dir[32];		/* scratch directory */
	char stripped[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char cmd[160];

	if (!f)
		return -1;
	*state = f;
	strcpy(f->dir, "/tmp/test_elf_file.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->stripped, sizeof(f->stripped), "%s/stripped.so", f->dir);
	snprintf(cmd, sizeof(cmd), "strip -o %s %s", f->stripped, LIB_PATH);
	if (system(cmd))
		return -1;
	f->lib = dlopen(LIB_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!f->lib)
		return -1;
	return elf_file__open(LIB_PATH, &f->ef);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	elf_file__free(f->ef);
	if (f->lib)
		dlclose(f->lib);
	unlink(f->stripped);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Where the loader put a function of handle's object, and that object's load bias. */
static uint64_t live_addr(void *handle, const char *name, uint64_t *bias)
{
	struct link_map *lm;
	void *addr;
	Dl_info info;

	addr = dlsym(handle, name);
	assert_non_null(addr);
	assert_int_not_equal(dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP), 0);
	*bias = lm->l_addr;
	return (uint64_t)(uintptr_t)addr;
}

/* The file offset the kernel mapped at addr in this process. */
static uint64_t live_file_offset(uint64_t addr)
{
	const struct proc_map *map;
	struct proc_maps maps;
	uint64_t off;

	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	map = proc_maps__find(&maps, addr);
	assert_non_null(map);
	assert_true(map->executable);
	off = map->offset + addr - map->start;
	proc_maps__release(&maps);
	return off;
}

static void assert_func_matches_loader(const struct elf_file *ef, void *handle, const char *name)
{
	uint64_t addr, bias, file_off, vaddr;

	addr = live_addr(handle, name, &bias);
	assert_int_equal(elf_file__func_offset(ef, name, &file_off, &vaddr), 0);
	assert_int_equal(vaddr, addr - bias);
	assert_int_equal(file_off, live_file_offset(addr));
}

static uint64_t func_vaddr(const struct elf_file *ef, const char *name)
{
	uint64_t file_off, vaddr;

	assert_int_equal(elf_file__func_offset(ef, name, &file_off, &vaddr), 0);
	return vaddr;
}

static void assert_symbol(const struct elf_file *ef, uint64_t vaddr, const char *name,
			  uint64_t offset)
{
	uint64_t off = UINT64_MAX;
	const char *sym = elf_file__symbolize(ef, vaddr, &off);

	assert_non_null(sym);
	assert_string_equal(sym, name);
	assert_int_equal(off, offset);
}

/* The first offset past vaddr that no longer names the function at vaddr. */
static uint64_t symbol_size(const struct elf_file *ef, const char *name)
{
	uint64_t start = func_vaddr(ef, name), size = 0, off;
	const char *sym;

	for (;; size++) {
		sym = elf_file__symbolize(ef, start + size, &off);
		if (!sym || strcmp(sym, name))
			return size;
		assert_int_equal(off, size);
	}
}

static void test_func_offset_matches_loader(void **state)
{
	struct fixture *f = *state;
	uint64_t file_off = 0, vaddr = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lib_exported); i++)
		assert_func_matches_loader(f->ef, f->lib, lib_exported[i]);

	/* Aliases share an address; distinct functions do not. */
	assert_int_equal(func_vaddr(f->ef, "fixture_malloc"),
			 func_vaddr(f->ef, "__fixture_malloc"));
	assert_int_equal(func_vaddr(f->ef, "fixture_malloc_local"),
			 func_vaddr(f->ef, "fixture_malloc"));
	assert_int_equal(func_vaddr(f->ef, "fixture_free"), func_vaddr(f->ef, "fixture_free_impl"));
	assert_int_equal(func_vaddr(f->ef, "fixture_aligned_alloc"),
			 func_vaddr(f->ef, "fixture_memalign"));
	assert_int_not_equal(func_vaddr(f->ef, "fixture_add"), func_vaddr(f->ef, "fixture_die"));
	/* vaddr is optional. */
	assert_int_equal(elf_file__func_offset(f->ef, "fixture_add", &file_off, NULL), 0);
	assert_int_equal(file_off,
			 live_file_offset((uint64_t)(uintptr_t)dlsym(f->lib, "fixture_add")));

	/* Not a function, imported only, absent, a prefix of a real name. */
	assert_int_equal(elf_file__func_offset(f->ef, "fixture_gap", &file_off, &vaddr), -ENOENT);
	assert_int_equal(elf_file__func_offset(f->ef, "malloc", &file_off, &vaddr), -ENOENT);
	assert_int_equal(elf_file__func_offset(f->ef, "fixture_missing", &file_off, &vaddr),
			 -ENOENT);
	assert_int_equal(elf_file__func_offset(f->ef, "fixture_ad", &file_off, &vaddr), -ENOENT);
}

static void test_symbol_count(void **state)
{
	struct fixture *f = *state;
	size_t i;

	/* Every listed name is found, so the count says there is nothing else. */
	for (i = 0; i < ARRAY_SIZE(lib_local); i++)
		func_vaddr(f->ef, lib_local[i]);
	assert_int_equal(elf_file__symbol_count(f->ef),
			 ARRAY_SIZE(lib_exported) + ARRAY_SIZE(lib_local));
}

static void test_symbolize_offsets(void **state)
{
	struct fixture *f = *state;
	const unsigned char *code = dlsym(f->lib, "fixture_add");
	uint64_t add = func_vaddr(f->ef, "fixture_add");
	uint64_t off = 12345;

	assert_symbol(f->ef, add, "fixture_add", 0);
	assert_symbol(f->ef, add + 1, "fixture_add", 1);
	/* st_size is honoured: the last byte still named fixture_add is its ret. */
	assert_non_null(code);
	assert_int_equal(code[symbol_size(f->ef, "fixture_add") - 1], 0xc3);
	/* sym_off is optional, and untouched without a match. */
	assert_string_equal(elf_file__symbolize(f->ef, add + 2, NULL), "fixture_add");
	assert_null(elf_file__symbolize(f->ef, 0, &off));
	assert_null(elf_file__symbolize(f->ef, UINT64_MAX, &off));
	assert_int_equal(off, 12345);
}

static void test_alias_preference(void **state)
{
	struct fixture *f = *state;

	/* Underscore first: weak fixture_malloc over global __fixture_malloc and local alias. */
	assert_symbol(f->ef, func_vaddr(f->ef, "__fixture_malloc") + 3, "fixture_malloc", 3);
	/* Binding second: global fixture_free_impl over the shorter weak fixture_free. */
	assert_symbol(f->ef, func_vaddr(f->ef, "fixture_free"), "fixture_free_impl", 0);
	/* Length last: fixture_memalign over fixture_aligned_alloc, both global. */
	assert_symbol(f->ef, func_vaddr(f->ef, "fixture_aligned_alloc"), "fixture_memalign", 0);
}

static void test_gap_nosize_nested(void **state)
{
	struct fixture *f = *state;
	uint64_t bias, gap = live_addr(f->lib, "fixture_gap", &bias) - bias;
	uint64_t outer = func_vaddr(f->ef, "fixture_outer");
	uint64_t i;

	assert_int_equal(func_vaddr(f->ef, "fixture_nosize"), gap + 8);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			assert_symbol(f->ef, gap + i, "fixture_nosize", 0);
		else
			assert_null(elf_file__symbolize(f->ef, gap + i, NULL));
	}

	assert_int_equal(func_vaddr(f->ef, "fixture_inner"), outer + 8);
	for (i = 0; i < 32; i++) {
		if (i >= 8 && i < 16)
			assert_symbol(f->ef, outer + i, "fixture_inner", i - 8);
		else
			assert_symbol(f->ef, outer + i, "fixture_outer", i);
	}
	assert_string_not_equal(elf_file__symbolize(f->ef, outer + 32, NULL) ?: "",
				"fixture_outer");
}

static void test_noreturn_call_ends_function(void **state)
{
	struct fixture *f = *state;
	const unsigned char *code = dlsym(f->lib, "fixture_call_die");
	uint64_t size = symbol_size(f->ef, "fixture_call_die");
	uint64_t end = func_vaddr(f->ef, "fixture_call_die") + size;

	/* The last instruction is a 5-byte call, so its return address is end. */
	assert_non_null(code);
	assert_true(size > 5);
	assert_int_equal(code[size - 5], 0xe8);
	assert_symbol(f->ef, end - 1, "fixture_call_die", size - 1);
	assert_string_not_equal(elf_file__symbolize(f->ef, end, NULL) ?: "", "fixture_call_die");
}

struct phdr_query {
	const char *suffix;		/* of the object's name; "" selects the main program */
	struct dl_phdr_info info;
};

static int phdr_query__match(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_query *q = data;
	size_t len = strlen(info->dlpi_name), slen = strlen(q->suffix);

	(void)size;
	if (q->suffix[0] ? len < slen || strcmp(info->dlpi_name + len - slen, q->suffix) : len)
		return 0;
	q->info = *info;
	return 1;
}

static struct dl_phdr_info loaded_phdrs(const char *suffix)
{
	struct phdr_query q = { .suffix = suffix };

	assert_int_equal(dl_iterate_phdr(phdr_query__match, &q), 1);
	return q.info;
}

static void test_offset_to_vaddr(void **state)
{
	struct dl_phdr_info info = loaded_phdrs("/libfixture.so");
	struct fixture *f = *state;
	const ElfW(Phdr) *ph;
	uint64_t vaddr, file_off;
	int loads = 0, i;

	for (i = 0; i < info.dlpi_phnum; i++) {
		ph = &info.dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		loads++;
		assert_int_equal(elf_file__offset_to_vaddr(f->ef, ph->p_offset, &vaddr), 0);
		assert_int_equal(vaddr, ph->p_vaddr);
		assert_int_equal(elf_file__offset_to_vaddr(f->ef, ph->p_offset + ph->p_filesz - 1,
							   &vaddr),
				 0);
		assert_int_equal(vaddr, ph->p_vaddr + ph->p_filesz - 1);
	}
	assert_true(loads >= 2);

	assert_int_equal(elf_file__func_offset(f->ef, "fixture_die", &file_off, NULL), 0);
	assert_int_equal(elf_file__offset_to_vaddr(f->ef, file_off, &vaddr), 0);
	assert_int_equal(vaddr, func_vaddr(f->ef, "fixture_die"));
	assert_int_equal(elf_file__offset_to_vaddr(f->ef, 1ULL << 40, &vaddr), -ERANGE);
}

static void test_lib_headers(void **state)
{
	struct dl_phdr_info info = loaded_phdrs("/libfixture.so");
	const unsigned char *note, *end, *desc;
	struct fixture *f = *state;
	const ElfW(Nhdr) *nh;
	char expected[129] = "";
	unsigned int j;
	int i;

	assert_true(elf_file__is_dyn(f->ef));
	assert_null(elf_file__interp(f->ef));

	/* Read the build id out of the loaded notes. */
	for (i = 0; i < info.dlpi_phnum && !expected[0]; i++) {
		if (info.dlpi_phdr[i].p_type != PT_NOTE)
			continue;
		note = (const unsigned char *)(info.dlpi_addr + info.dlpi_phdr[i].p_vaddr);
		end = note + info.dlpi_phdr[i].p_memsz;
		while (note + sizeof(*nh) <= end) {
			nh = (const ElfW(Nhdr) *)note;
			desc = note + sizeof(*nh) + ((nh->n_namesz + 3) & ~3U);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(note + sizeof(*nh), "GNU", 4)) {
				for (j = 0; j < nh->n_descsz && j < 64; j++)
					sprintf(expected + 2 * j, "%02x", desc[j]);
				break;
			}
			note = desc + ((nh->n_descsz + 3) & ~3U);
		}
	}
	assert_int_equal(strlen(expected), 40);
	assert_non_null(elf_file__build_id(f->ef));
	assert_string_equal(elf_file__build_id(f->ef), expected);
}

static void test_pie(void **state)
{
	struct dl_phdr_info self = loaded_phdrs("");
	const char *interp = NULL, *build_id;
	struct elf_file *ef;
	size_t i;

	(void)state;
	/* The fixture and this test are linked alike, so they ask for the same loader. */
	for (i = 0; i < self.dlpi_phnum; i++)
		if (self.dlpi_phdr[i].p_type == PT_INTERP)
			interp = (const char *)(self.dlpi_addr + self.dlpi_phdr[i].p_vaddr);
	assert_non_null(interp);

	assert_int_equal(elf_file__open(PIE_PATH, &ef), 0);
	assert_true(elf_file__is_dyn(ef));
	assert_non_null(elf_file__interp(ef));
	assert_string_equal(elf_file__interp(ef), interp);
	build_id = elf_file__build_id(ef);
	assert_non_null(build_id);
	assert_int_equal(strlen(build_id), 40);
	assert_int_equal(strspn(build_id, "0123456789abcdef"), 40);

	for (i = 0; i < ARRAY_SIZE(pie_functions); i++)
		assert_symbol(ef, func_vaddr(ef, pie_functions[i]), pie_functions[i], 0);
	assert_int_equal(elf_file__symbol_count(ef), ARRAY_SIZE(pie_functions));
	elf_file__free(ef);
}

static void test_stripped(void **state)
{
	struct fixture *f = *state;
	uint64_t file_off, vaddr;
	struct elf_file *ef;
	size_t i;

	assert_int_equal(elf_file__open(f->stripped, &ef), 0);
	assert_int_equal(elf_file__symbol_count(ef), ARRAY_SIZE(lib_exported));
	for (i = 0; i < ARRAY_SIZE(lib_exported); i++) {
		assert_int_equal(elf_file__func_offset(ef, lib_exported[i], &file_off, &vaddr), 0);
		assert_int_equal(vaddr, func_vaddr(f->ef, lib_exported[i]));
	}
	assert_int_equal(elf_file__func_offset(ef, "fixture_malloc_local", &file_off, &vaddr),
			 -ENOENT);
	assert_symbol(ef, func_vaddr(ef, "__fixture_malloc"), "fixture_malloc", 0);
	assert_symbol(ef, func_vaddr(ef, "fixture_call_die") + 6, "fixture_call_die", 6);
	assert_string_equal(elf_file__build_id(ef), elf_file__build_id(f->ef));
	elf_file__free(ef);
}

/* CRC-32 of a whole file, as .gnu_debuglink records it. */
static uint32_t file_crc(const char *path)
{
	unsigned char buf[4096];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t len;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)len);
	close(fd);
	return (uint32_t)crc;
}

/*
 * A separate debug file, as distributions make them: the stripped copy
 * names it in .gnu_debuglink, with its CRC; its .symtab, added to the
 * copy's .dynsym, gives back every symbol strip took.
 */
static void test_debug_file(void **state)
{
	struct fixture *f = *state;
	char debug[96], linked[96], pie_debug[96], cmd[1024];
	struct elf_file *ef, *dbg;
	uint64_t file_off, vaddr;
	uint32_t crc = 0;
	size_t i;

	snprintf(debug, sizeof(debug), "%s/lib.debug", f->dir);
	snprintf(linked, sizeof(linked), "%s/linked.so", f->dir);
	snprintf(pie_debug, sizeof(pie_debug), "%s/pie.debug", f->dir);
	snprintf(cmd, sizeof(cmd),
		 "objcopy --only-keep-debug %s %s && objcopy --strip-all --add-gnu-debuglink=%s "
		 "%s %s && objcopy --only-keep-debug %s %s",
		 LIB_PATH, debug, debug, LIB_PATH, linked, PIE_PATH, pie_debug);
	assert_int_equal(system(cmd), 0);

	assert_true(elf_file__has_symtab(f->ef));
	assert_true(elf_file__has_dwarf(f->ef));
	assert_null(elf_file__debuglink(f->ef, &crc));

	assert_int_equal(elf_file__open(linked, &ef), 0);
	assert_false(elf_file__has_symtab(ef));
	assert_false(elf_file__has_dwarf(ef));
	assert_string_equal(elf_file__debuglink(ef, &crc), "lib.debug");
	assert_int_equal(crc, file_crc(debug));

	/* the debug file keeps the program headers, not what they point at */
	assert_int_equal(elf_file__open(debug, &dbg), 0);
	assert_true(elf_file__has_symtab(dbg));
	assert_true(elf_file__has_dwarf(dbg));
	assert_null(elf_file__debuglink(dbg, NULL));
	assert_string_equal(elf_file__build_id(dbg), elf_file__build_id(f->ef));

	assert_int_equal(elf_file__add_symbols(ef, dbg), 0);
	elf_file__free(dbg);
	assert_true(elf_file__has_symtab(ef));
	assert_int_equal(elf_file__symbol_count(ef), elf_file__symbol_count(f->ef));
	for (i = 0; i < ARRAY_SIZE(lib_local); i++) {
		assert_int_equal(elf_file__func_offset(ef, lib_local[i], &file_off, &vaddr), 0);
		assert_int_equal(vaddr, func_vaddr(f->ef, lib_local[i]));
	}
	/* the preferred names are the unstripped file's */
	assert_symbol(ef, func_vaddr(ef, "__fixture_malloc"), "fixture_malloc", 0);
	assert_symbol(ef, func_vaddr(ef, "fixture_free") + 1, "fixture_free_impl", 1);
	elf_file__free(ef);

	/* a PIE's debug file has a PT_INTERP without bytes */
	assert_int_equal(elf_file__open(pie_debug, &dbg), 0);
	assert_null(elf_file__interp(dbg));
	assert_int_equal(elf_file__symbol_count(dbg), ARRAY_SIZE(pie_functions));
	elf_file__free(dbg);
	unlink(debug);
	unlink(linked);
	unlink(pie_debug);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), len);
	close(fd);
}

static void test_open_errors(void **state)
{
	/* A valid ELF header of a 32-bit x86 executable, and nothing else. */
	static const unsigned char elf32[52] = {
		0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT, [16] = ET_EXEC,
		[18] = EM_386, [20] = EV_CURRENT, [40] = 52,
	};
	struct fixture *f = *state;
	struct elf_file *ef = (struct elf_file *)1;
	char path[96], head[4096];
	int fd;

	assert_int_equal(elf_file__open(f->dir, &ef), -ENOEXEC);
	assert_null(ef);
	assert_int_equal(elf_file__open("build/tests/fixtures/no-such-file.so", &ef), -ENOENT);
	assert_null(ef);
	assert_int_equal(elf_file__open("Makefile", &ef), -ENOEXEC);

	snprintf(path, sizeof(path), "%s/file", f->dir);
	write_file(path, "", 0);
	assert_int_equal(elf_file__open(path, &ef), -ENOEXEC);
	write_file(path, elf32, sizeof(elf32));
	assert_int_equal(elf_file__open(path, &ef), -ENOEXEC);

	/* The headers survive, the program headers' targets and the sections do not. */
	fd = open(LIB_PATH, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, head, sizeof(head)), sizeof(head));
	close(fd);
	write_file(path, head, 256);
	assert_int_equal(elf_file__open(path, &ef), -ENOEXEC);
	assert_null(ef);
	unlink(path);

	elf_file__free(NULL);
}

static void test_libc_functions(void **state)
{
	static const char *const names[] = {
		"malloc", "free", "calloc", "realloc", "memalign", "aligned_alloc",
		"posix_memalign", "realpath", "pthread_cond_wait",
	};
	struct elf_file *ef;
	uint64_t bias;
	Dl_info info;
	void *libc;
	size_t i;

	(void)state;
	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(libc);
	assert_int_not_equal(dladdr(dlsym(libc, "malloc"), &info), 0);
	assert_int_equal(elf_file__open(info.dli_fname, &ef), 0);
	/*
	 * dlsym() picks the default version of a versioned name, as func_offset
	 * must: glibc keeps old realpath and pthread_cond_wait too, the latter
	 * at a lower address than the current one.
	 */
	for (i = 0; i < ARRAY_SIZE(names); i++)
		assert_func_matches_loader(ef, libc, names[i]);
	/* Not __libc_malloc, not __libc_free or cfree. */
	assert_symbol(ef, live_addr(libc, "malloc", &bias) - bias, "malloc", 0);
	assert_symbol(ef, live_addr(libc, "free", &bias) - bias, "free", 0);
	elf_file__free(ef);
	dlclose(libc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_func_offset_matches_loader),
		cmocka_unit_test(test_symbol_count),
		cmocka_unit_test(test_symbolize_offsets),
		cmocka_unit_test(test_alias_preference),
		cmocka_unit_test(test_gap_nosize_nested),
		cmocka_unit_test(test_noreturn_call_ends_function),
		cmocka_unit_test(test_offset_to_vaddr),
		cmocka_unit_test(test_lib_headers),
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_debug_file),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_libc_functions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
