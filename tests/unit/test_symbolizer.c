// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * symbolizer on live addresses: the fixture library loaded into this
 * process, the fixture PIE running as a child, anonymous memory, the vDSO,
 * and synthetic maps for the file cache and the order in which a module's
 * file is looked for. Source lines and inlined calls from the inline
 * fixture, its stripped copy and its separate debug file.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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

#include "symbolize/elf_file.h"
#include "fixture_inline.h"
#include "symbolize/proc_maps.h"
#include "symbolize/symbolizer.h"

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

/* Runs a shell command made from fmt. */
static void run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/*
 * A fake /proc/PID directory: map_files/START-END, root/PATH and PATH
 * itself each hold (or name) a different file, and the symbol found at
 * fixture_add's offset tells which one was read. libfixture.so names it;
 * the PIE has something else or nothing there.
 */
static void test_open_order(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr), ip = SYN_START + file_off;
	char proc[PATH_MAX], path[PATH_MAX], pie[PATH_MAX];
	struct proc_maps maps;
	struct frame_info fi;

	assert_non_null(realpath(PIE_PATH, pie));
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(path, sizeof(path), "%s/host/lib.so", f->dir);
	run("mkdir -p %s/map_files %s/root%s/host %s/host", proc, proc, f->dir, f->dir);

	/* map_files first: it is the very file mapped */
	run("ln -sf %s %s/map_files/%llx-%llx", f->lib_real, proc, SYN_START, SYN_START + 0x100000);
	run("ln -sf %s %s/root%s && ln -sf %s %s", pie, proc, path, pie, path);
	parse_one_map(path, 101, &maps);
	symbolizer__resolve(f->s, &maps, proc, ip, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);

	/* then the process's root: a dangling map_files link is passed over */
	run("ln -sf %s/nowhere %s/map_files/%llx-%llx", f->dir, proc, SYN_START,
	    SYN_START + 0x100000);
	run("ln -sf %s %s/root%s", f->lib_real, proc, path);
	parse_one_map(path, 102, &maps);
	symbolizer__resolve(f->s, &maps, proc, ip, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);

	/* then the path as seen from here; so too without a process */
	run("rm %s/root%s && ln -sf %s %s", proc, path, f->lib_real, path);
	parse_one_map(path, 103, &maps);
	symbolizer__resolve(f->s, &maps, proc, ip, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);
	parse_one_map(path, 104, &maps);
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	proc_maps__release(&maps);
	run("rm -r %s/proc %s/host", f->dir, f->dir);
}

/*
 * A file deleted under its process, reached through map_files only while
 * the process lives: read then (symbolizer__read_deleted), it is named
 * once the process, and its /proc directory, are gone.
 */
static void test_read_deleted(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr), ip = SYN_START + file_off;
	struct symbolizer *early = symbolizer__new(), *late = symbolizer__new();
	char proc[PATH_MAX], path[PATH_MAX];
	struct proc_maps maps;
	struct frame_info fi;

	assert_non_null(early);
	assert_non_null(late);
	snprintf(proc, sizeof(proc), "%s/proc", f->dir);
	snprintf(path, sizeof(path), "%s/gone.so (deleted)", f->dir);
	run("mkdir -p %s/map_files && cp %s %s/copy.so", proc, f->lib_real, f->dir);
	run("ln -sf %s/copy.so %s/map_files/%llx-%llx", f->dir, proc, SYN_START,
	    SYN_START + 0x100000);
	parse_one_map(path, 301, &maps);
	symbolizer__read_deleted(early, &maps, proc);
	run("rm -r %s/proc %s/copy.so", f->dir, f->dir);
	symbolizer__resolve(early, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, path, vaddr, "fixture_add", 0, true);
	/* read only when needed, it is out of reach by then */
	symbolizer__resolve(late, &maps, NULL, ip, false, &fi);
	assert_frame(&fi, path, file_off, NULL, 0, true);
	proc_maps__release(&maps);
	symbolizer__free(early);
	symbolizer__free(late);
}

/* One file (device and inode) is read once, whatever the path a process knows it by. */
static void test_shared_by_inode(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr);
	struct frame_info a, b;
	struct proc_maps maps;

	parse_one_map(f->lib_real, 201, &maps);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &a);
	proc_maps__release(&maps);
	/* a path that does not exist here: found by (device, inode) alone */
	parse_one_map("/no/such/dir/libfixture.so", 201, &maps);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &b);
	proc_maps__release(&maps);
	assert_frame(&b, "/no/such/dir/libfixture.so", vaddr, "fixture_add", 0, true);
	assert_ptr_equal(a.symbol, b.symbol);
}

/* Two files with one build id (copies) share one symbol table. */
static void test_shared_by_build_id(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, file_off = fixture_add_offset(&vaddr);
	char copy[PATH_MAX];
	struct frame_info a, b;
	struct proc_maps maps;

	snprintf(copy, sizeof(copy), "%s/copy.so", f->dir);
	copy_file(LIB_PATH, copy);
	parse_one_map(f->lib_real, 301, &maps);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &a);
	proc_maps__release(&maps);
	parse_one_map(copy, 302, &maps);
	symbolizer__resolve(f->s, &maps, NULL, SYN_START + file_off, false, &b);
	proc_maps__release(&maps);
	assert_frame(&b, copy, vaddr, "fixture_add", 0, true);
	assert_ptr_equal(a.symbol, b.symbol);
	unlink(copy);
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

/* The fixture PIE running as a child: where it says its two functions are. */
struct pie_child {
	pid_t pid;
	int in;			/* its stdin: it lives until this closes */
	FILE *out;
	uint64_t ip[2];
	char name[2][32];
};

static void pie_child__start(struct pie_child *c, const char *path)
{
	int to_child[2], from_child[2];
	char line[128];

	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		close(to_child[1]);
		close(from_child[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	c->in = to_child[1];
	c->out = fdopen(from_child[0], "r");
	assert_non_null(c->out);
	for (int i = 0; i < 2; i++) {
		assert_non_null(fgets(line, sizeof(line), c->out));
		assert_int_equal(sscanf(line, "%31s %" SCNx64, c->name[i], &c->ip[i]), 2);
	}
	assert_string_equal(c->name[0], "pie_target");
	assert_string_equal(c->name[1], "pie_helper");
}

static void pie_child__finish(struct pie_child *c)
{
	int status;

	close(c->in);
	fclose(c->out);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Resolves the child's two functions (and return addresses just past their start). */
static void assert_pie_child(struct symbolizer *s, const struct pie_child *c, const char *module)
{
	uint64_t vaddr, file_off;
	char proc_dir[64];
	struct elf_file *ef;
	struct proc_maps maps;
	struct frame_info fi;

	/* The child waits on its stdin, so its mappings hold still. */
	assert_int_equal(proc_maps__read(c->pid, &maps), 0);
	assert_int_equal(elf_file__open(PIE_PATH, &ef), 0);
	snprintf(proc_dir, sizeof(proc_dir), "/proc/%d", (int)c->pid);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(elf_file__func_offset(ef, c->name[i], &file_off, &vaddr), 0);
		symbolizer__resolve(s, &maps, proc_dir, c->ip[i], false, &fi);
		assert_frame(&fi, module, vaddr, c->name[i], 0, true);
		symbolizer__resolve(s, &maps, proc_dir, c->ip[i] + 1, true, &fi);
		assert_frame(&fi, module, vaddr + 1, c->name[i], 1, true);
	}
	elf_file__free(ef);
	proc_maps__release(&maps);
}

static void test_pie_child(void **state)
{
	struct fixture *f = *state;
	char exe[PATH_MAX];
	struct pie_child c;

	assert_non_null(realpath(PIE_PATH, exe));
	pie_child__start(&c, PIE_PATH);
	assert_pie_child(f->s, &c, exe);
	pie_child__finish(&c);
}

/*
 * A program whose file is gone (replaced by an upgrade, say): only
 * /proc/PID/map_files still opens it. That takes CAP_SYS_ADMIN.
 */
static void test_deleted_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], module[PATH_MAX + 16], link[64];
	struct symbolizer *s;
	struct proc_maps maps;
	struct pie_child c;
	int fd;

	snprintf(path, sizeof(path), "%s/pie", f->dir);
	copy_file(PIE_PATH, path);
	pie_child__start(&c, path);
	unlink(path);
	assert_int_equal(proc_maps__read(c.pid, &maps), 0);
	snprintf(link, sizeof(link), "/proc/%d/map_files/%llx-%llx", (int)c.pid,
		 (unsigned long long)proc_maps__find(&maps, c.ip[0])->start,
		 (unsigned long long)proc_maps__find(&maps, c.ip[0])->end);
	proc_maps__release(&maps);
	fd = open(link, O_RDONLY);
	if (fd < 0) {
		pie_child__finish(&c);
		print_message("no CAP_SYS_ADMIN for %s: %s\n", link, strerror(errno));
		skip();
	}
	close(fd);
	/* a fresh symbolizer: the original file's build id must not answer for it */
	s = symbolizer__new();
	assert_non_null(s);
	snprintf(module, sizeof(module), "%s (deleted)", path);
	assert_pie_child(s, &c, module);
	symbolizer__free(s);
	pie_child__finish(&c);
}


/* The inline fixture, loaded here: where its return address is, live and in its file. */
struct inline_ret {
	void *lib;
	char real[PATH_MAX];
	uint64_t ip;		/* the return address it recorded */
	uint64_t vaddr;		/* the same, link-time */
	uint64_t file_off;
	uint64_t outer;		/* inline_outer's link-time address */
};

static void inline_ret__load(struct inline_ret *r)
{
	const struct proc_map *map;
	struct elf_file *ef;
	struct proc_maps maps;
	uint64_t off;

	r->lib = dlopen(INLINE_LIB, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(r->lib);
	assert_non_null(realpath(INLINE_LIB, r->real));
	r->ip = fixture_inline__ret(r->lib, &r->vaddr);
	assert_int_not_equal(r->ip, 0);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	map = proc_maps__find(&maps, r->ip);
	assert_non_null(map);
	r->file_off = map->offset + r->ip - map->start;
	proc_maps__release(&maps);
	/* inline_outer is static: only .symtab names it */
	assert_int_equal(elf_file__open(INLINE_LIB, &ef), 0);
	assert_int_equal(elf_file__func_offset(ef, "inline_outer", &off, &r->outer), 0);
	elf_file__free(ef);
}

static void assert_source(const struct frame_info *fi, const char *symbol, const char *mark,
			  bool inlined)
{
	const char *base = fi->file ? strrchr(fi->file, '/') : NULL;

	assert_string_equal(fi->symbol, symbol);
	assert_non_null(base);
	assert_string_equal(base + 1, "fixture_inline.c");
	assert_int_not_equal(fixture_inline__line(mark), 0);
	assert_int_equal(fi->line, fixture_inline__line(mark));
	assert_int_equal(fi->inlined, inlined);
}

/* Leaf first; an inlined call before the function it was inlined into. */
static void assert_inline_chain(const struct frame_info *out, const char *module,
				const struct inline_ret *r)
{
	assert_source(&out[0], "inline_leaf", "leaf_call", true);
	assert_source(&out[1], "inline_mid", "mid_call", true);
	assert_source(&out[2], "inline_outer", "outer_call", false);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(out[i].module, module);
		assert_int_equal(out[i].module_offset, r->vaddr);
		assert_true(out[i].mapped);
	}
	assert_int_equal(out[0].symbol_offset, 0);
	assert_int_equal(out[1].symbol_offset, 0);
	assert_int_equal(out[2].symbol_offset, r->vaddr - r->outer);
}

static void test_inline_frames(void **state)
{
	struct fixture *f = *state;
	struct frame_info out[8], one;
	struct inline_ret r;
	struct proc_maps maps;

	inline_ret__load(&r);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	assert_int_equal(symbolizer__resolve_frames(f->s, &maps, NULL, r.ip, true, out, 8), 3);
	assert_inline_chain(out, r.real, &r);
	/* the one-frame answer is the outermost, without the DWARF */
	symbolizer__resolve(f->s, &maps, NULL, r.ip, true, &one);
	assert_frame(&one, r.real, r.vaddr, "inline_outer", r.vaddr - r.outer, true);
	assert_null(one.file);
	assert_false(one.inlined);

	/* the cached answer is the same; max only bounds what is written */
	memset(out, 0, sizeof(out));
	assert_int_equal(symbolizer__resolve_frames(f->s, &maps, NULL, r.ip, true, out, 1), 3);
	assert_source(&out[0], "inline_leaf", "leaf_call", true);
	assert_null(out[1].symbol);
	assert_int_equal(symbolizer__resolve_frames(f->s, &maps, NULL, r.ip, true, out, 8), 3);
	assert_inline_chain(out, r.real, &r);
	proc_maps__release(&maps);
	dlclose(r.lib);
}

/* Frames without a file or without DWARF: one frame, as symbolizer__resolve gives it. */
static void test_frames_without_dwarf(void **state)
{
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct fixture *f = *state;
	struct frame_info out[4];
	uint64_t ip, vaddr;

	assert_int_equal(symbolizer__resolve_frames(f->s, &f->maps, NULL, 0, true, out, 4), 1);
	assert_frame(&out[0], NULL, 0, NULL, 0, false);
	assert_int_equal(symbolizer__resolve_frames(f->s, &f->maps, NULL, vdso + 16, false, out, 4),
			 1);
	assert_frame(&out[0], "[vdso]", 16, NULL, 0, true);
	assert_null(out[0].file);
	assert_int_equal(out[0].line, 0);
	assert_false(out[0].inlined);
	/* max 0: nothing written, the count still said */
	assert_int_equal(symbolizer__resolve_frames(f->s, &f->maps, NULL, 0, true, NULL, 0), 1);

	/* libfixture.so is built with -g: a line, and no inlined calls in fixture_add */
	ip = lib_addr(f, "fixture_add", &vaddr);
	assert_int_equal(symbolizer__resolve_frames(f->s, &f->maps, NULL, ip + 1, false, out, 4),
			 1);
	assert_frame(&out[0], f->lib_real, vaddr + 1, "fixture_add", 1, true);
	assert_non_null(strstr(out[0].file, "fixture_lib.c"));
	assert_true(out[0].line > 0);
}

/*
 * The stripped copy, mapped from dir/lib.so, in a symbolizer whose debug
 * directory is debug_dir: returns how many frames the return address has.
 */
static size_t resolve_stripped(const struct inline_ret *r, const char *dir, const char *debug_dir,
			       uint64_t inode, struct frame_info *out)
{
	struct symbolizer_opts opts = { .debug_dir = debug_dir };
	struct symbolizer *s = symbolizer__new_opts(&opts);
	char path[PATH_MAX];
	struct proc_maps maps;
	size_t n;

	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/lib.so", dir);
	run("mkdir -p %s && cp %s %s", dir, INLINE_STRIPPED, path);
	parse_one_map(path, inode, &maps);
	n = symbolizer__resolve_frames(s, &maps, NULL, SYN_START + r->file_off, true, out, 8);
	if (n == 3)
		assert_inline_chain(out, path, r);
	proc_maps__release(&maps);
	symbolizer__free(s);
	return n;
}

static void test_separate_debug_file(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX / 2], debug_dir[PATH_MAX / 2], id_path[PATH_MAX];
	struct frame_info out[8];
	struct elf_file *ef;
	struct inline_ret r;
	const char *id;

	inline_ret__load(&r);
	snprintf(dir, sizeof(dir), "%s/strip", f->dir);
	snprintf(debug_dir, sizeof(debug_dir), "%s/debug", f->dir);

	/* alone: .dynsym does not name the static function, and there is no DWARF */
	assert_int_equal(resolve_stripped(&r, dir, debug_dir, 401, out), 1);
	assert_null(out[0].symbol);
	assert_null(out[0].file);
	assert_int_equal(out[0].module_offset, r.vaddr);

	/* .gnu_debuglink: the debug file next to it */
	run("cp %s %s/%s", INLINE_DEBUG, dir, INLINE_DEBUGLINK);
	assert_int_equal(resolve_stripped(&r, dir, debug_dir, 402, out), 3);
	run("rm %s/%s", dir, INLINE_DEBUGLINK);

	/* the build id, under the debug directory */
	assert_int_equal(elf_file__open(INLINE_STRIPPED, &ef), 0);
	id = elf_file__build_id(ef);
	assert_non_null(id);
	snprintf(id_path, sizeof(id_path), "%s/.build-id/%.2s/%s.debug", debug_dir, id, id + 2);
	elf_file__free(ef);
	run("mkdir -p $(dirname %s) && cp %s %s", id_path, INLINE_DEBUG, id_path);
	assert_int_equal(resolve_stripped(&r, dir, debug_dir, 403, out), 3);
	run("rm -r %s %s", dir, debug_dir);
	dlclose(r.lib);
}

/* Where main returns to: glibc's __libc_start_call_main, a static function. */
static uint64_t main_ret;

/*
 * libc.so.6 is stripped: its .dynsym does not name __libc_start_call_main,
 * and it has no DWARF. Both come from libc6-dbg's debug file, found by
 * build id under /usr/lib/debug (tools/install-deps.sh installs it).
 */
static void test_libc_debug_file(void **state)
{
	struct fixture *f = *state;
	struct frame_info out[8];
	const char *base;
	size_t n;

	n = symbolizer__resolve_frames(f->s, &f->maps, NULL, main_ret, true, out, 8);
	assert_true(n >= 1 && n <= 8);
	assert_non_null(strstr(out[n - 1].module, "/libc.so.6"));
	assert_string_equal(out[n - 1].symbol, "__libc_start_call_main");
	assert_non_null(out[n - 1].file);
	base = strrchr(out[n - 1].file, '/');
	assert_string_equal(base ? base + 1 : out[n - 1].file, "libc_start_call_main.h");
	assert_true(out[n - 1].line > 0);
}

#define CXX_LIB "build/tests/fixtures/libfixture_cxx.so"

/*
 * C++ (tests/fixtures/fixture_cxx.cc): symbol is the readable name and
 * linkage_name the mangled one the symbol table has; an extern "C"
 * function keeps its name and has no linkage name; a method inlined into
 * another is named from the DWARF's linkage name, readable too.
 */
static void test_cxx_names(void **state)
{
	static const struct {
		const char *mangled, *readable;
	} names[] = {
		{ "_ZN2fx5Model4leakEi", "fx::Model::leak(int)" },
		{ "_ZN2fx5scaleEi", "fx::scale(int)" },
		{ "_ZN2fx5scaleEd", "fx::scale(double)" },
		{ "_ZN2fx5twiceIlEET_S1_", "long fx::twice<long>(long)" },
	};
	struct fixture *f = *state;
	void *lib = dlopen(CXX_LIB, RTLD_NOW | RTLD_LOCAL);
	struct frame_info fi, again, out[8];
	int (*run)(int);
	void **ret;
	struct proc_maps maps;
	uint64_t ip;

	assert_non_null(lib);
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ip = (uint64_t)(uintptr_t)dlsym(lib, names[i].mangled);
		assert_int_not_equal(ip, 0);
		symbolizer__resolve(f->s, &maps, NULL, ip + 1, false, &fi);
		assert_string_equal(fi.symbol, names[i].readable);
		assert_string_equal(fi.linkage_name, names[i].mangled);
		assert_int_equal(fi.symbol_offset, 1);
		/* demangled once per module: the next answer is the very same string */
		symbolizer__resolve(f->s, &maps, NULL, ip, false, &again);
		assert_ptr_equal(again.symbol, fi.symbol);
		assert_int_equal(again.symbol_offset, 0);
	}

	ip = (uint64_t)(uintptr_t)dlsym(lib, "fixture_cxx_plain");
	assert_int_not_equal(ip, 0);
	symbolizer__resolve(f->s, &maps, NULL, ip, false, &fi);
	assert_string_equal(fi.symbol, "fixture_cxx_plain");
	assert_null(fi.linkage_name);

	/* fixture_cxx_run -> Model::train, with Model::step inlined into it */
	run = (int (*)(int))dlsym(lib, "fixture_cxx_run");
	ret = dlsym(lib, "fixture_cxx_ret");
	assert_non_null(run);
	assert_non_null(ret);
	assert_int_equal(run(1), 5);
	ip = (uint64_t)(uintptr_t)*ret;
	assert_int_equal(symbolizer__resolve_frames(f->s, &maps, NULL, ip, true, out, 8), 2);
	assert_string_equal(out[0].symbol, "fx::Model::step(int)");
	assert_string_equal(out[0].linkage_name, "_ZN2fx5Model4stepEi");
	assert_true(out[0].inlined);
	assert_int_equal(out[0].symbol_offset, 0);
	assert_non_null(strstr(out[0].file, "fixture_cxx.cc"));
	assert_string_equal(out[1].symbol, "fx::Model::train(int)");
	assert_string_equal(out[1].linkage_name, "_ZN2fx5Model5trainEi");
	assert_false(out[1].inlined);
	/* and from the cache, the same */
	assert_int_equal(symbolizer__resolve_frames(f->s, &maps, NULL, ip, true, out, 8), 2);
	assert_string_equal(out[0].symbol, "fx::Model::step(int)");
	assert_string_equal(out[0].linkage_name, "_ZN2fx5Model4stepEi");
	proc_maps__release(&maps);
	dlclose(lib);
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
		cmocka_unit_test(test_open_order),
		cmocka_unit_test(test_shared_by_inode),
		cmocka_unit_test(test_shared_by_build_id),
		cmocka_unit_test(test_many_modules),
		cmocka_unit_test(test_pie_child),
		cmocka_unit_test(test_deleted_file),
		cmocka_unit_test(test_inline_frames),
		cmocka_unit_test(test_frames_without_dwarf),
		cmocka_unit_test(test_separate_debug_file),
		cmocka_unit_test(test_libc_debug_file),
		cmocka_unit_test(test_cxx_names),
		cmocka_unit_test(test_read_deleted),
	};

	main_ret = (uint64_t)(uintptr_t)__builtin_return_address(0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
