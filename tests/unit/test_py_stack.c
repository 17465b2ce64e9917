// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A live interpreter's Python stack read from outside (py_stack.h,
 * py_code.h): a script blocked at a known line of a known call chain says
 * what its own frames are (names and lines, as sys._getframe() gives
 * them), and the walk from outside must find exactly those. Debian's
 * python3.11 (a static build: make deps installs it) always; each pyenv
 * interpreter 3.10-3.13 this machine has (libpython builds), too.
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

#include "symbolize/py_code.h"
#include "symbolize/py_stack.h"
#include "symbolize/py_target.h"

static const char script[] =
	"import json, sys, threading\n"
	"class Model:\n"
	"    def step(self):\n"
	"        return leak_here()\n"
	"def leak_here():\n"
	"    out = []\n"
	"    f = sys._getframe()\n"
	"    while f:\n"
	"        out.append([getattr(f.f_code, 'co_qualname', f.f_code.co_name), f.f_lineno])\n"
	"        f = f.f_back\n"
	"    line = sys._getframe().f_lineno; print(json.dumps({'tid': threading.get_native_id(),"
	" 'line': line, 'stack': out[1:]}), flush=True); sys.stdin.readline()\n"
	"def outer():\n"
	"    Model().step()\n"
	"outer()\n";

static void check_frames(pid_t pid, const struct py_layout *l, const struct py_frame *frames,
			 int n, const json_t *said, const char *script_path)
{
	json_t *stack = json_object_get(said, "stack");
	struct py_code c;
	int line;

	/* leak_here, then what it saw above it */
	assert_int_equal(n, 1 + (int)json_array_size(stack));
	for (int i = 0; i < n; i++) {
		const char *want = i ? json_string_value(json_array_get(json_array_get(stack, i - 1), 0))
				     : "leak_here";
		json_int_t want_line = i ? json_integer_value(json_array_get(
						   json_array_get(stack, i - 1), 1))
					 : json_integer_value(json_object_get(said, "line"));

		assert_int_equal(py_code__read(py_str__read_process, &pid, l, frames[i].code, &c),
				 0);
		assert_int_equal(py_code__line(&c, l, frames[i].code, frames[i].instr, &line), 0);
		assert_string_equal(c.name, want);
		assert_string_equal(c.file, script_path);
		assert_int_equal(line, want_line);
		py_code__release(&c);
	}
	/* the module's frame is the first activation's outermost */
	assert_true(frames[n - 1].entry);
}

/* python runs the script; module is the file holding its interpreter (itself, or libpython). */
static void check_interpreter(const char *python, const char *module)
{
	static struct py_frame frames[64];
	char script_path[] = "/tmp/memtrace-py-stack-XXXXXX.py", buf[4096];
	int to_child[2], from_child[2], fd, n;
	struct proc_maps maps = {};
	struct py_target t;
	const char *why = NULL;
	char real[PATH_MAX];
	json_t *said;
	pid_t pid;
	FILE *f;

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
	/* the interpreter found in its maps is the module expected */
	assert_int_equal(proc_maps__read(pid, &maps), 0);
	assert_int_equal(py_target__find(pid, &maps, &t, &why), 0);
	assert_non_null(realpath(module, real));
	assert_string_equal(t.module, real);
	proc_maps__release(&maps);
	n = py_stack__walk(py_str__read_process, &pid, &t.layout, t.runtime,
			   (uint32_t)json_integer_value(json_object_get(said, "tid")), frames, 64);
	check_frames(pid, &t.layout, frames, n, said, script_path);
	json_decref(said);
	assert_int_equal(write(to_child[1], "\n", 1), 1);
	close(to_child[1]);
	fclose(f);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	unlink(script_path);
}

static void test_debian_311(void **state)
{
	(void)state;
	check_interpreter("/usr/bin/python3.11", "/usr/bin/python3.11");
}

/* pyenv's builds, where this machine has them (CI machines may not: said, not skipped silently) */
static void test_pyenv(void **state)
{
	static const char *const versions[] = { "3.10.13", "3.11.7", "3.12.1", "3.13.0" };
	const char *root = getenv("PYENV_ROOT") ?: "/root/.pyenv";
	char python[PATH_MAX], lib[PATH_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		const char *v = versions[i];
		int minor = atoi(v + 2);

		snprintf(python, sizeof(python), "%s/versions/%s/bin/python3.%d", root, v, minor);
		snprintf(lib, sizeof(lib), "%s/versions/%s/lib/libpython3.%d.so.1.0", root, v, minor);
		if (access(python, X_OK) || access(lib, R_OK)) {
			printf("test_py_stack: no pyenv %s here: only Debian's 3.11 checked for it\n", v);
			continue;
		}
		check_interpreter(python, lib);
	}
}

/* This test program maps no interpreter. */
static void test_not_python(void **state)
{
	struct proc_maps maps = {};
	struct py_target t;
	const char *why = NULL;

	(void)state;
	assert_int_equal(proc_maps__read(getpid(), &maps), 0);
	assert_int_equal(py_target__find(getpid(), &maps, &t, &why), -ENOENT);
	proc_maps__release(&maps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_python),
		cmocka_unit_test(test_debian_311),
		cmocka_unit_test(test_pyenv),
	};

	return cmocka_run_group_tests_name("py_stack", tests, NULL, NULL);
}
