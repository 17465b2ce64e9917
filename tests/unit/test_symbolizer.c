// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * symbolizer on live addresses: the fixture library loaded into this
 * process, the fixture PIE running as a child, anonymous memory, the vDSO,
 * and synthetic maps for the file cache and the root directory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_file.h"
#include "proc_maps.h"
#include "symbolizer.h"

#define LIB_PATH "build/tests/fixtures/libfixture.so"
#define PIE_PATH "build/tests/fixtures/fixture_pie"

struct fixture {
	void *lib;
	char lib_real[PATH_MAX];	/* as /proc/PID/maps prints it */
	struct symbolizer *s;
	struct proc_maps maps;		/* of this process, after dlopen */
	char dir[32];			/* scratch directory */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	strcpy(f->dir, "/tmp/test_symbolizer.XXXXXX");
	if (!mkdtemp(f->dir) || !realpath(LIB_PATH, f->lib_real))
		return -1;
	f->lib = dlopen(LIB_PATH, RTLD_NOW | RTLD_LOCAL);
	f->s = symbolizer__new();
	if (!f->lib || !f->s)
		return -1;
	return proc_maps__read(getpid(), &f->maps);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	proc_maps__release(&f->maps);
	symbolizer__free(f->s);
	if (f->lib)
		dlclose(f->lib);
	rmdir(f->dir);
	free(f);
	return 0;
}

static uint64_t lib_addr(struct fixture *f, const char *name, uint64_t *vaddr)
{
	struct link_map *lm;
	void *addr = dlsym(f->lib, name);
	Dl_info info;

	assert_non_null(addr);
	assert_int_not_equal(dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP), 0);
	*vaddr = (uint64_t)(uintptr_t)addr - lm->l_addr;
	return (uint64_t)(uintptr_t)addr;
}

static void assert_frame(const struct frame_info *fi, const char *module, uint64_t module_offset,
			 const char *symbol, uint64_t symbol_offset, bool mapped)
{
	if (module)
		assert_string_equal(fi->module, module);
	else
		assert_null(fi->module);
	assert_int_equal(fi->module_offset, module_offset);
	if (symbol) {
		assert_string_equal(fi->symbol, symbol);
		assert_int_equal(fi->symbol_offset, symbol_offset);
	} else {
		assert_null(fi->symbol);
		assert_int_equal(fi->symbol_offset, 0);
	}
	assert_int_equal(fi->mapped, mapped);
}

static void test_lib_functions(void **state)
{
	struct fixture *f = *state;
	struct frame_info fi;
	uint64_t ip, vaddr;

	ip = lib_addr(f, "fixture_add", &vaddr);
	symbolizer__resolve(f->s, &f->maps, NULL, ip, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr, "fixture_add", 0, true);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + 2, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr + 2, "fixture_add", 2, true);

	/* Aliases resolve to the preferred name. */
	ip = lib_addr(f, "__fixture_malloc", &vaddr);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + 1, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr + 1, "fixture_malloc", 1, true);
	ip = lib_addr(f, "fixture_free", &vaddr);
	symbolizer__resolve(f->s, &f->maps, NULL, ip, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr, "fixture_free_impl", 0, true);
}

/* The first offset from ip that resolves to another function or to none. */
static uint64_t live_size(struct fixture *f, uint64_t ip, const char *name)
{
	struct frame_info fi;
	uint64_t size;

	for (size = 0;; size++) {
		symbolizer__resolve(f->s, &f->maps, NULL, ip + size, false, &fi);
		if (!fi.symbol || strcmp(fi.symbol, name))
			return size;
	}
}

static void test_return_addresses(void **state)
{
	struct fixture *f = *state;
	uint64_t ip, vaddr, size;
	struct frame_info fi;

	/* fixture_call_die's last instruction calls a noreturn function. */
	ip = lib_addr(f, "fixture_call_die", &vaddr);
	size = live_size(f, ip, "fixture_call_die");
	assert_int_equal(((const unsigned char *)(uintptr_t)ip)[size - 5], 0xe8);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + size, true, &fi);
	assert_frame(&fi, f->lib_real, vaddr + size, "fixture_call_die", size, true);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + size, false, &fi);
	assert_true(!fi.symbol || strcmp(fi.symbol, "fixture_call_die"));

	/* So does fixture_die, whose return address is someone else's start, or nobody's. */
	ip = lib_addr(f, "fixture_die", &vaddr);
	size = live_size(f, ip, "fixture_die");
	symbolizer__resolve(f->s, &f->maps, NULL, ip + size, true, &fi);
	assert_frame(&fi, f->lib_real, vaddr + size, "fixture_die", size, true);

	/* Inside a function the lookup at ip - 1 changes nothing. */
	ip = lib_addr(f, "fixture_add", &vaddr);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + 3, true, &fi);
	assert_frame(&fi, f->lib_real, vaddr + 3, "fixture_add", 3, true);
}

static void test_gap(void **state)
{
	struct fixture *f = *state;
	struct frame_info fi;
	uint64_t ip, vaddr;

	/* Bytes in .text that no function covers, next to a size-0 function. */
	ip = lib_addr(f, "fixture_gap", &vaddr);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + 3, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr + 3, NULL, 0, true);
	symbolizer__resolve(f->s, &f->maps, NULL, ip + 8, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr + 8, "fixture_nosize", 0, true);
}

static void test_anonymous_and_unmapped(void **state)
{
	struct fixture *f = *state;
	struct proc_maps maps;
	struct frame_info fi;
	char *code, *data;
	uint64_t ip;

	/* Executable anonymous memory (JIT code) and plain data, each a page of its own. */
	code = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	assert_int_equal(mprotect(code + 4096, 4096, PROT_READ | PROT_EXEC), 0);
	data = code + 2 * 4096;
	assert_int_equal(mprotect(data, 4096, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);

	ip = (uint64_t)(uintptr_t)code + 4096 + 100;
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, NULL, ip, NULL, 0, true);
	ip = (uint64_t)(uintptr_t)data + 8;
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, NULL, ip, NULL, 0, false);
	ip = (uint64_t)(uintptr_t)code + 8;
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, NULL, ip, NULL, 0, false);

	/* Nothing is mapped at 0, nor after munmap. */
	symbolizer__resolve(f->s, &maps, NULL, 0, true, &fi);
	assert_frame(&fi, NULL, 0, NULL, 0, false);
	assert_int_equal(munmap(code, 3 * 4096), 0);
	proc_maps__release(&maps);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	ip = (uint64_t)(uintptr_t)code + 4096 + 100;
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, NULL, ip, NULL, 0, false);
	proc_maps__release(&maps);
}

static void test_vdso(void **state)
{
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct fixture *f = *state;
	struct frame_info fi;

	/* A named mapping that is not a file: a module, without symbols. */
	assert_int_not_equal(vdso, 0);
	symbolizer__resolve(f->s, &f->maps, NULL, vdso + 16, false, &fi);
	assert_frame(&fi, "[vdso]", 16, NULL, 0, true);
}

static void test_strings_outlive_maps(void **state)
{
	struct fixture *f = *state;
	struct frame_info a, b;
	struct proc_maps maps;
	uint64_t ip, vaddr;

	ip = lib_addr(f, "fixture_add", &vaddr);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &a);
	proc_maps__release(&maps);
	/* One cached module: the same strings whichever maps found it. */
	symbolizer__resolve(f->s, &f->maps, NULL, ip, false, &b);
	assert_ptr_equal(a.module, b.module);
	assert_ptr_equal(a.symbol, b.symbol);
	assert_frame(&a, f->lib_real, vaddr, "fixture_add", 0, true);
}

/* Synthetic maps: one executable mapping of path from file offset 0. */
#define SYN_START 0x10000000ULL

static void parse_one_map(const char *path, uint64_t inode, struct proc_maps *maps)
{
	char text[PATH_MAX + 128];

	snprintf(text, sizeof(text), "%llx-%llx r-xp 00000000 fe:01 %llu    %s\n",
		 SYN_START, SYN_START + 0x100000, (unsigned long long)inode, path);
	assert_int_equal(proc_maps__parse(text, maps), 0);
}

static uint64_t fixture_add_offset(uint64_t *vaddr)
{
	struct elf_file *ef;
	uint64_t file_off;

	assert_int_equal(elf_file__open(LIB_PATH, &ef), 0);
	assert_int_equal(elf_file__func_offset(ef, "fixture_add", &file_off, vaddr), 0);
	elf_file__free(ef);
	return file_off;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[2 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp %s %s", from, to);
	assert_int_equal(system(cmd), 0);
}

static void test_failure_remembered(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr);
	struct symbolizer *fresh;
	char path[PATH_MAX];
	struct proc_maps maps;
	struct frame_info fi;

	snprintf(path, sizeof(path), "%s/late.so", f->dir);
	parse_one_map(path, 4242, &maps);
	/* Without the file, module_offset is the file offset. */
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &fi);
	assert_frame(&fi, path, file_off, NULL, 0, true);

	/* The file appearing later does not help the symbolizer that already failed... */
	copy_file(LIB_PATH, path);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off + 1, false, &fi);
	assert_frame(&fi, path, file_off + 1, NULL, 0, true);
	/* ...but another inode is another file, and a fresh symbolizer opens it. */
	proc_maps__release(&maps);
	parse_one_map(path, 4243, &maps);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);
	fresh = symbolizer__new();
	assert_non_null(fresh);
	parse_one_map(path, 4242, &maps);
	symbolizer__resolve(fresh, &maps, NULL, SYN_START + file_off + 1, false, &fi);
	assert_frame(&fi, path, vaddr + 1, "fixture_add", 1, true);
	symbolizer__free(fresh);
	proc_maps__release(&maps);
	unlink(path);
}

static void test_root(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr);
	char root[PATH_MAX], *slash;
	struct proc_maps maps;
	struct frame_info fi;

	/* The module is found under root, but keeps the name the process knows it by. */
	strcpy(root, f->lib_real);
	slash = strrchr(root, '/');
	*slash = '\0';
	parse_one_map("/libfixture.so", 77, &maps);
	symbolizer__resolve(f->s, &maps, root, SYN_START + file_off, false, &fi);
	assert_frame(&fi, "/libfixture.so", vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);

	/* A root that does not have it falls back to the path itself. */
	parse_one_map(f->lib_real, 78, &maps);
	symbolizer__resolve(f->s, &maps, "/nonexistent-root", SYN_START + file_off, false, &fi);
	assert_frame(&fi, f->lib_real, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);
}

static void test_many_modules(void **state)
{
	const char *first[2] = {};
	struct fixture *f = *state;
	struct proc_maps maps;
	struct frame_info fi;
	char name[32];
	int round, i;

	/* Enough modules to grow the table several times; pointers must survive it. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "[anon:module %d]", i);
			parse_one_map(name, 0, &maps);
			symbolizer__resolve(f->s, &maps, NULL, SYN_START + i, false, &fi);
			assert_frame(&fi, name, i, NULL, 0, true);
			proc_maps__release(&maps);
			if (i == 0)
				first[round] = fi.module;
		}
	}
	assert_ptr_equal(first[0], first[1]);
}

static void test_pie_child(void **state)
{
	struct fixture *f = *state;
	int to_child[2], from_child[2], status;
	uint64_t ip[2], vaddr[2], file_off;
	char line[128], root[64], exe[PATH_MAX], name[2][32];
	struct elf_file *ef;
	struct proc_maps maps;
	struct frame_info fi;
	FILE *out;
	pid_t pid;
	int i;

	assert_non_null(realpath(PIE_PATH, exe));
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		close(to_child[1]);
		close(from_child[0]);
		execl(PIE_PATH, PIE_PATH, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	out = fdopen(from_child[0], "r");
	assert_non_null(out);
	for (i = 0; i < 2; i++) {
		assert_non_null(fgets(line, sizeof(line), out));
		assert_int_equal(sscanf(line, "%31s %" SCNx64, name[i], &ip[i]), 2);
	}
	assert_string_equal(name[0], "pie_target");
	assert_string_equal(name[1], "pie_helper");

	/* The child waits on its stdin, so its mappings hold still. */
	assert_int_equal(proc_maps__read(pid, &maps), 0);
	assert_int_equal(elf_file__open(PIE_PATH, &ef), 0);
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	for (i = 0; i < 2; i++) {
		assert_int_equal(elf_file__func_offset(ef, name[i], &file_off, &vaddr[i]), 0);
		symbolizer__resolve(f->s, &maps, root, ip[i], false, &fi);
		assert_frame(&fi, exe, vaddr[i], name[i], 0, true);
		symbolizer__resolve(f->s, &maps, root, ip[i] + 1, true, &fi);
		assert_frame(&fi, exe, vaddr[i] + 1, name[i], 1, true);
	}
	elf_file__free(ef);
	proc_maps__release(&maps);

	close(to_child[1]);
	fclose(out);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lib_functions),
		cmocka_unit_test(test_return_addresses),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_anonymous_and_unmapped),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_strings_outlive_maps),
		cmocka_unit_test(test_failure_remembered),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_many_modules),
		cmocka_unit_test(test_pie_child),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
