// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A process's Python state (py_proc.h): its code-object cache against a
 * fake 3.11 process (py_fake.h), where a code object can be replaced at
 * its address or freed; then against a live Debian python3.11 (a static
 * build: make deps installs it), which names one of its code objects and
 * the line of one of its instructions.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
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
#include <jansson.h>
#include <linux/types.h>
#include <memtrace/python.h>

#include "py_fake.h"
#include "symbolize/py_frame_table.h"
#include "symbolize/py_proc.h"

static struct py_proc *fake_proc(struct py_fake *f)
{
	struct py_target t;
	struct py_proc *pp;

	py_fake__target(&t);
	pp = py_proc__new(&t, py_fake__read, f);
	assert_non_null(pp);
	return pp;
}

/* The frame of word in a new stack */
static void frame_of(struct py_proc *pp, uint64_t word, int want_err, struct py_proc_frame *out)
{
	py_proc__begin_stack(pp);
	assert_int_equal(py_proc__frame(pp, word, out), want_err);
}

/* A code object is read once; each new stack checks its identity with one read, no more */
static void test_cache(void **state)
{
	static struct py_fake f;
	struct py_proc *pp = fake_proc(&f);
	uint64_t code = py_fake__code(&f, "Model.step", "/t/train.py", 10), reads;
	struct py_proc_frame fr;

	(void)state;
	frame_of(pp, mt_py_word(code, 3, 0), 0, &fr);
	assert_string_equal(fr.name, "Model.step");
	assert_string_equal(fr.file, "/t/train.py");
	assert_int_equal(fr.line, 12);
	/* the same stack names it again: no read at all */
	reads = f.reads;
	assert_int_equal(py_proc__frame(pp, mt_py_word(code, MT_PY_INDEX_NONE, 1), &fr), 0);
	assert_int_equal(fr.line, 10);
	assert_int_equal(f.reads, reads);
	/* a new stack: one read of the identity */
	frame_of(pp, mt_py_word(code, 0, 0), 0, &fr);
	assert_int_equal(f.reads, reads + 1);
	assert_string_equal(fr.name, "Model.step");
	py_proc__free(pp);
}

/*
 * The code object was freed and another one made at its address: a new
 * stack naming the address sees another identity, and reads it again.
 */
static void test_address_reused(void **state)
{
	static struct py_fake f;
	struct py_proc *pp = fake_proc(&f);
	uint64_t code = py_fake__code(&f, "Model.step", "/t/train.py", 10);
	struct py_proc_frame fr;
	struct py_offsets off;

	(void)state;
	frame_of(pp, mt_py_word(code, 3, 0), 0, &fr);
	assert_string_equal(fr.name, "Model.step");
	py_fake__code_at(&f, code, "<lambda>", "make.<locals>.<lambda>", "<string>", 1);
	frame_of(pp, mt_py_word(code, 3, 0), 0, &fr);
	assert_string_equal(fr.name, "make.<locals>.<lambda>");
	assert_string_equal(fr.file, "<string>");
	assert_int_equal(fr.line, 3);
	/* only the first line differs (same objects, reused): still another code object */
	py_layout__builtin(11, &off);
	py_fake__put(&f, code + off.code_firstlineno, &(int32_t){ 7 }, sizeof(int32_t));
	frame_of(pp, mt_py_word(code, MT_PY_INDEX_NONE, 0), 0, &fr);
	assert_int_equal(fr.line, 7);
	py_proc__free(pp);
}

/* A code object that cannot be read: unknown, and read again when it can be */
static void test_unreadable(void **state)
{
	static struct py_fake f;
	struct py_proc *pp = fake_proc(&f);
	uint64_t code = py_fake__code(&f, "Model.step", "/t/train.py", 10);
	struct py_proc_frame fr;

	(void)state;
	f.gone = code;
	frame_of(pp, mt_py_word(code, 3, 0), 1, &fr);
	assert_string_equal(fr.name, PY_FRAME_UNKNOWN_CODE);
	assert_null(fr.file);
	assert_int_equal(fr.line, 0);
	f.gone = 0;
	frame_of(pp, mt_py_word(code, 3, 0), 0, &fr);
	assert_string_equal(fr.name, "Model.step");
	/* and gone again after it was read: not the old name */
	f.gone = code;
	frame_of(pp, mt_py_word(code, 3, 0), 1, &fr);
	assert_string_equal(fr.name, PY_FRAME_UNKNOWN_CODE);
	/* no code address at all */
	frame_of(pp, mt_py_word(0, 3, 0), 1, &fr);
	py_proc__free(pp);
}

static const char script[] =
	"import json, sys\n"
	"class Model:\n"
	"    def step(self):\n"
	"        x = [1]\n"
	"        return x\n"
	"c = Model.step.__code__\n"
	"s, e, line = [t for t in c.co_lines() if t[2] is not None][-1]\n"
	"print(json.dumps({'code': id(c), 'qualname': c.co_qualname, 'file': c.co_filename,\n"
	"                  'first': c.co_firstlineno, 'index': s // 2, 'line': line}), flush=True)\n"
	"sys.stdin.readline()\n";

static json_int_t get_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The interpreter's own ranges, as py_target finds them, against py_proc's answers */
static void check_ranges(pid_t pid, const struct proc_maps *maps, const struct py_proc *pp)
{
	const struct proc_map *libc = NULL;
	const char *why = NULL;
	struct py_target t;

	assert_int_equal(py_target__find(pid, maps, &t, &why), 0);
	/* return addresses: the call is just before them */
	assert_true(py_proc__is_eval(pp, t.bias + t.layout.eval + 1));
	assert_true(py_proc__is_eval(pp, t.bias + t.layout.eval + t.layout.eval_size));
	assert_false(py_proc__is_eval(pp, t.bias + t.layout.eval));
	assert_true(py_proc__in_module(pp, t.bias + t.layout.eval + 1));
	for (size_t i = 0; i < maps->n && !libc; i++)
		if (maps->maps[i].path && strstr(maps->maps[i].path, "/libc.so"))
			libc = &maps->maps[i];
	assert_non_null(libc);
	assert_false(py_proc__in_module(pp, libc->start + 16));
	assert_false(py_proc__is_eval(pp, libc->start + 16));
}

static void test_live_python311(void **state)
{
	const char *python = "/usr/bin/python3.11";
	char script_path[] = "/tmp/memtrace-py-proc-XXXXXX.py", buf[4096];
	int to_child[2], from_child[2], fd;
	struct proc_maps maps = {};
	struct py_proc_frame fr;
	struct py_proc *pp;
	uint64_t code;
	json_t *said;
	pid_t pid;
	FILE *f;

	(void)state;
	fd = mkstemps(script_path, 3);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
	close(fd);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		execl(python, python, script_path, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	f = fdopen(from_child[0], "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	said = json_loads(buf, 0, NULL);
	assert_non_null(said);
	assert_int_equal(proc_maps__read(pid, &maps), 0);
	pp = py_proc__find(pid, &maps);
	assert_non_null(pp);
	assert_true(py_proc__found(pp, NULL));
	check_ranges(pid, &maps, pp);

	code = (uint64_t)get_int(said, "code");
	frame_of(pp, mt_py_word(code, (uint64_t)get_int(said, "index"), 0), 0, &fr);
	assert_string_equal(fr.name, json_string_value(json_object_get(said, "qualname")));
	assert_string_equal(fr.file, script_path);
	assert_int_equal(fr.line, get_int(said, "line"));
	/* the cached entry, checked again by a new stack */
	frame_of(pp, mt_py_word(code, MT_PY_INDEX_NONE, 1), 0, &fr);
	assert_string_equal(fr.name, "Model.step");
	assert_int_equal(fr.line, get_int(said, "first"));

	py_proc__free(pp);
	proc_maps__release(&maps);
	json_decref(said);
	assert_int_equal(write(to_child[1], "\n", 1), 1);
	close(to_child[1]);
	fclose(f);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	unlink(script_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_address_reused),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_live_python311),
	};

	return cmocka_run_group_tests_name("unit: py_proc", tests, NULL, NULL);
}
