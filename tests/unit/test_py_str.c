// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Python str objects read from outside (py_str.h): laid out by hand in
 * each version's header, then read from a live python3.11 (Debian's, which
 * make deps installs) through process_vm_readv.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/py_str.h"

#define BASE 0x7f0000001000ULL

/* A fake process: mem at BASE. */
struct fake {
	uint8_t mem[8192];
	size_t size;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (addr < BASE || addr - BASE + len > f->size)
		return -EFAULT;
	memcpy(buf, f->mem + (addr - BASE), len);
	return 0;
}

/* A compact str of n characters of width bytes, as CPython 3.minor lays it out. */
static void make_str(struct fake *f, int minor, const void *chars, int64_t n, int width,
		     bool ascii)
{
	uint32_t state = (uint32_t)width << 2 | 1u << 5 | (ascii ? 1u << 6 : 0);
	size_t header = ascii ? (minor < 12 ? 48 : 40) : (minor < 12 ? 72 : 56);

	memset(f->mem, 0xa5, sizeof(f->mem));
	memcpy(f->mem + 16, &n, sizeof(n));
	memcpy(f->mem + 32, &state, sizeof(state));
	memcpy(f->mem + header, chars, (size_t)n * width);
	f->size = header + (size_t)n * width;
}

static void test_ascii_each_version(void **state)
{
	static struct fake f;
	char out[64];

	(void)state;
	for (int minor = 10; minor <= 13; minor++) {
		make_str(&f, minor, "Trainer.train_step", 18, 1, true);
		assert_int_equal(py_str__read(fake_read, &f, minor, BASE, out, sizeof(out)), 0);
		assert_string_equal(out, "Trainer.train_step");
	}
	/* the wrong version's header reads past the object: a read error, not garbage */
	make_str(&f, 12, "Trainer.train_step", 18, 1, true);
	assert_int_equal(py_str__read(fake_read, &f, 11, BASE, out, sizeof(out)), -EFAULT);
}

static void test_wide_kinds(void **state)
{
	static struct fake f;
	static const uint8_t latin1[] = { 'c', 'a', 'f', 0xe9 };
	static const uint16_t ucs2[] = { 0x3c0, '_', 0xd800 };
	static const uint32_t ucs4[] = { 0x1f600, 'x' };
	char out[64];

	(void)state;
	make_str(&f, 11, latin1, 4, 1, false);
	assert_int_equal(py_str__read(fake_read, &f, 11, BASE, out, sizeof(out)), 0);
	assert_string_equal(out, "caf\xc3\xa9");
	/* a lone surrogate becomes U+FFFD */
	make_str(&f, 12, ucs2, 3, 2, false);
	assert_int_equal(py_str__read(fake_read, &f, 12, BASE, out, sizeof(out)), 0);
	assert_string_equal(out, "\xcf\x80_\xef\xbf\xbd");
	make_str(&f, 13, ucs4, 2, 4, false);
	assert_int_equal(py_str__read(fake_read, &f, 13, BASE, out, sizeof(out)), 0);
	assert_string_equal(out, "\xf0\x9f\x98\x80x");
}

static void test_cut_and_refused(void **state)
{
	static struct fake f;
	static const uint32_t ucs4[] = { 0x1f600, 0x1f600 };
	uint32_t state_word;
	char out[8];

	(void)state;
	/* 7 bytes of room and the NUL: one 4-byte character, never half of the second */
	make_str(&f, 13, ucs4, 2, 4, false);
	assert_int_equal(py_str__read(fake_read, &f, 13, BASE, out, sizeof(out)), 0);
	assert_string_equal(out, "\xf0\x9f\x98\x80");
	make_str(&f, 13, "abc", 3, 1, true);
	assert_int_equal(py_str__read(fake_read, &f, 14, BASE, out, sizeof(out)), -ENOTSUP);
	/* not compact (a legacy string), then an ASCII flag with a width of 2 */
	state_word = 1u << 2;
	memcpy(f.mem + 32, &state_word, sizeof(state_word));
	assert_int_equal(py_str__read(fake_read, &f, 13, BASE, out, sizeof(out)), -ENOTSUP);
	state_word = 2u << 2 | 1u << 5 | 1u << 6;
	memcpy(f.mem + 32, &state_word, sizeof(state_word));
	assert_int_equal(py_str__read(fake_read, &f, 13, BASE, out, sizeof(out)), -EINVAL);
	assert_int_equal(py_str__read(fake_read, &f, 13, BASE - 4096, out, sizeof(out)), -EFAULT);
}

/* Debian's python3.11 prints id() of three strings and waits: each is read back. */
static void test_live_python(void **state)
{
	static const char *const script =
		"import sys\n"
		"a = 'Trainer.train_step'\n"
		"b = ''.join(['caf', chr(0xe9)])\n"
		"c = ''.join(['\\u03c0', chr(0x1f600)])\n"
		"print(id(a), id(b), id(c), flush=True)\n"
		"sys.stdin.readline()\n";
	unsigned long long ids[3];
	int to_child[2], from_child[2];
	char out[64];
	pid_t pid;
	FILE *f;

	(void)state;
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		execl("/usr/bin/python3.11", "python3.11", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	f = fdopen(from_child[0], "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu %llu", &ids[0], &ids[1], &ids[2]), 3);
	assert_int_equal(py_str__read(py_str__read_process, &pid, 11, ids[0], out, sizeof(out)), 0);
	assert_string_equal(out, "Trainer.train_step");
	assert_int_equal(py_str__read(py_str__read_process, &pid, 11, ids[1], out, sizeof(out)), 0);
	assert_string_equal(out, "caf\xc3\xa9");
	assert_int_equal(py_str__read(py_str__read_process, &pid, 11, ids[2], out, sizeof(out)), 0);
	assert_string_equal(out, "\xcf\x80\xf0\x9f\x98\x80");
	assert_int_equal(write(to_child[1], "\n", 1), 1);
	close(to_child[1]);
	fclose(f);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_each_version),
		cmocka_unit_test(test_wide_kinds),
		cmocka_unit_test(test_cut_and_refused),
		cmocka_unit_test(test_live_python),
	};

	return cmocka_run_group_tests_name("py_str", tests, NULL, NULL);
}
