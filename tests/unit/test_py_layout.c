// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython interpreter layouts (py_layout.h). tests/fixtures/python/
 * layout-3.X.json hold, for pyenv's 3.10-3.13 libpython on the machine
 * that made them, the offsets read from its DWARF, whether it names an
 * eval-loop .cold part, and for 3.13 the bytes of its _Py_DebugOffsets.
 * Always: the built-in tables (3.10-3.12) and the parse of the recorded
 * 3.13 bytes equal the recorded DWARF offsets. Where pyenv's interpreter
 * of that minor version is installed, also: its DWARF still says the
 * same, and py_layout__from_file() on it gives that layout. Debian's
 * /usr/bin/python3.11 (installed by make deps) must read as 3.11.2 with
 * the 3.11 table.
 *
 * To record the fixtures again (after changing the pyenv versions):
 *   PY_LAYOUT_RECORD=1 build/tests/unit/test_py_layout
 * which writes them from the installed interpreters' DWARF and files.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gelf.h>
#include <jansson.h>
#include <libelf.h>

#include "symbolize/py_layout.h"

static const struct {
	const char *name;
	size_t at;
} fields[] = {
#define PY_OFFSET_NAME(f) {#f, offsetof(struct py_offsets, f)},
	PY_OFFSETS(PY_OFFSET_NAME)
#undef PY_OFFSET_NAME
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint16_t field(const struct py_offsets *o, size_t i)
{
	uint16_t v;

	memcpy(&v, (const char *)o + fields[i].at, sizeof(v));
	return v;
}

static void assert_offsets_equal(const struct py_offsets *want, const struct py_offsets *got)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (field(want, i) != field(got, i))
			fail_msg("%s: want %u, got %u", fields[i].name, field(want, i),
				 field(got, i));
	}
}

static void fixture_path(int minor, char *path, size_t len)
{
	snprintf(path, len, "tests/fixtures/python/layout-3.%d.json", minor);
}

/* The offsets of a fixture's "offsets" object; null is PY_OFF_NONE. */
static void offsets_from_json(const json_t *obj, struct py_offsets *out)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		json_t *v = json_object_get(obj, fields[i].name);
		uint16_t u = json_is_null(v) ? PY_OFF_NONE : (uint16_t)json_integer_value(v);

		assert_non_null(v);
		memcpy((char *)out + fields[i].at, &u, sizeof(u));
	}
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

/*
 * pyenv's libpython of 3.minor into path, its version ("3.10.13") into
 * version. $PYENV_ROOT as pyenv itself takes it; PYENV_ROOT=/nonexistent
 * runs the tests as a machine without pyenv would.
 */
static bool pyenv_lib(int minor, char path[256], char version[16])
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pattern[256];
	glob_t g;
	bool found;

	snprintf(pattern, sizeof(pattern), "%s/versions/3.%d.*/lib/libpython3.%d.so.1.0", root,
		 minor, minor);
	found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	if (found) {
		const char *v = g.gl_pathv[0] + strlen(root) + strlen("/versions/");

		snprintf(path, 256, "%s", g.gl_pathv[0]);
		snprintf(version, 16, "%.*s", (int)strcspn(v, "/"), v);
	}
	globfree(&g);
	return found;
}

/*
 * The first PY_DEBUG_OFFSETS_SIZE bytes of path's .PyRuntime section,
 * where 3.13 puts _PyRuntime and so its _Py_DebugOffsets: found by section
 * name here, by symbol in py_layout.c.
 */
static void debug_offsets_bytes(const char *path, uint8_t out[PY_DEBUG_OFFSETS_SIZE])
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	assert_true(fd >= 0 && elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".PyRuntime"))
			continue;
		data = elf_getdata(scn, NULL);
		assert_true(data && data->d_size >= PY_DEBUG_OFFSETS_SIZE);
		memcpy(out, data->d_buf, PY_DEBUG_OFFSETS_SIZE);
		found = true;
	}
	assert_true(found);
	elf_end(elf);
	close(fd);
}

static void record(int minor)
{
	char lib[256], version[16], path[96], hex[2 * PY_DEBUG_OFFSETS_SIZE + 1];
	uint8_t bytes[PY_DEBUG_OFFSETS_SIZE];
	struct py_offsets off;
	struct py_layout layout;
	const char *why;
	json_t *root, *obj;

	if (!pyenv_lib(minor, lib, version))
		return;
	assert_int_equal(py_layout__from_dwarf(lib, minor, &off), 0);
	assert_int_equal(py_layout__from_file(lib, &layout, &why), 0);
	obj = json_object();
	for (size_t i = 0; i < NFIELDS; i++)
		json_object_set_new(obj, fields[i].name,
				    field(&off, i) == PY_OFF_NONE ? json_null()
								  : json_integer(field(&off, i)));
	root = json_pack("{s:s, s:s, s:o, s:b}", "interpreter", version, "dwarf_of", lib, "offsets",
			 obj, "eval_cold", layout.eval_cold != 0);
	if (minor == 13) {
		debug_offsets_bytes(lib, bytes);
		for (size_t i = 0; i < sizeof(bytes); i++)
			sprintf(hex + 2 * i, "%02x", bytes[i]);
		json_object_set_new(root, "debug_offsets", json_string(hex));
	}
	fixture_path(minor, path, sizeof(path));
	assert_int_equal(json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER), 0);
	json_decref(root);
}

static json_t *load_fixture(int minor, struct py_offsets *off)
{
	char path[96];
	json_t *root;

	fixture_path(minor, path, sizeof(path));
	root = json_load_file(path, 0, NULL);
	assert_non_null(root);
	offsets_from_json(json_object_get(root, "offsets"), off);
	return root;
}

/*
 * The live interpreter of 3.minor, when pyenv has it: its DWARF gives the
 * recorded offsets, and its file the version of its directory, the
 * recorded .cold part, and the same offsets (3.13: from its own debug
 * offsets, which must also equal the recorded bytes' parse).
 */
static void check_live(int minor, const json_t *fixture, const struct py_offsets *want)
{
	/* 3.10: one frame per eval call; 3.11: is_entry; 3.12+: a shim frame */
	static const enum py_marker marker[] = {PY_MARKER_NONE, PY_MARKER_IS_ENTRY, PY_MARKER_SHIM,
						PY_MARKER_SHIM};
	char lib[256], version[16], got_version[16];
	struct py_offsets dwarf;
	struct py_layout layout;
	const char *why = NULL;
	int err;

	if (!pyenv_lib(minor, lib, version)) {
		print_message("3.%d: no pyenv interpreter here, checked the recorded fixture\n",
			      minor);
		return;
	}
	assert_int_equal(py_layout__from_dwarf(lib, minor, &dwarf), 0);
	assert_offsets_equal(want, &dwarf);
	err = py_layout__from_file(lib, &layout, &why);
	if (err)
		fail_msg("%s: %d (%s)", lib, err, why);
	snprintf(got_version, sizeof(got_version), "%d.%d.%d", layout.major, layout.minor,
		 layout.micro);
	assert_string_equal(got_version, version);
	assert_int_equal(layout.version_from,
			 minor == 10 ? PY_VERSION_FILE_STRINGS : PY_VERSION_SYMBOL);
	assert_int_equal(layout.from_debug_offsets, minor == 13);
	/* pyenv builds carry DWARF: 3.10 to 3.12 read their offsets from it */
	assert_int_equal(layout.from_dwarf, minor < 13);
	assert_int_equal(layout.marker, marker[minor - 10]);
	assert_true(layout.runtime && layout.eval && layout.eval_size);
	assert_int_equal(layout.eval_cold != 0,
			 json_is_true(json_object_get(fixture, "eval_cold")));
	assert_int_equal(layout.eval_cold != 0, layout.eval_cold_size != 0);
	assert_offsets_equal(want, &layout.off);
}

/* The built-in table of 3.minor against the recorded DWARF, then the live one. */
static void check_table(int minor)
{
	struct py_offsets want, table;
	json_t *fixture = load_fixture(minor, &want);

	assert_int_equal(py_layout__builtin(minor, &table), 0);
	assert_offsets_equal(&want, &table);
	check_live(minor, fixture, &want);
	json_decref(fixture);
}

static void test_310(void **state)
{
	(void)state;
	check_table(10);
}

static void test_311(void **state)
{
	(void)state;
	check_table(11);
}

static void test_312(void **state)
{
	(void)state;
	check_table(12);
}

/* 3.13: the recorded _Py_DebugOffsets bytes parse to the recorded DWARF offsets. */
static void test_313(void **state)
{
	struct py_offsets want, got;
	json_t *fixture = load_fixture(13, &want);
	uint8_t bytes[PY_DEBUG_OFFSETS_SIZE];
	const char *why = NULL;
	uint32_t hex = 0;
	char lib[256], version[16];

	(void)state;
	assert_int_equal(unhex(json_string_value(json_object_get(fixture, "debug_offsets")), bytes,
			       sizeof(bytes)),
			 sizeof(bytes));
	assert_int_equal(py_layout__from_debug_offsets(bytes, sizeof(bytes), &got, &hex, &why), 0);
	assert_offsets_equal(&want, &got);
	assert_int_equal(hex >> 16, 0x030d);
	assert_int_equal(py_layout__builtin(13, &got), -ENOTSUP);
	/* the same release as recorded has the same bytes */
	if (pyenv_lib(13, lib, version) &&
	    !strcmp(version, json_string_value(json_object_get(fixture, "interpreter")))) {
		uint8_t live[PY_DEBUG_OFFSETS_SIZE];

		debug_offsets_bytes(lib, live);
		assert_memory_equal(live, bytes, sizeof(bytes));
	}
	check_live(13, fixture, &want);
	json_decref(fixture);
}

static void set_u64(uint8_t *buf, size_t at, uint64_t v)
{
	memcpy(buf + at, &v, sizeof(v));
}

/* What the 3.13 parser must refuse rather than misread. */
static void test_debug_offsets_refused(void **state)
{
	json_t *fixture;
	struct py_offsets off;
	uint8_t good[PY_DEBUG_OFFSETS_SIZE], bad[PY_DEBUG_OFFSETS_SIZE];
	const char *why;
	uint32_t hex;

	(void)state;
	fixture = load_fixture(13, &off);
	unhex(json_string_value(json_object_get(fixture, "debug_offsets")), good, sizeof(good));
	json_decref(fixture);

	assert_int_equal(py_layout__from_debug_offsets(good, 351, &off, &hex, &why), -EINVAL);
	memcpy(bad, good, sizeof(bad));
	bad[0] = 'y';
	assert_int_equal(py_layout__from_debug_offsets(bad, sizeof(bad), &off, &hex, &why),
			 -EINVAL);
	memcpy(bad, good, sizeof(bad));
	set_u64(bad, 8, 0x030e00f0); /* 3.14's layout is another */
	assert_int_equal(py_layout__from_debug_offsets(bad, sizeof(bad), &off, &hex, &why),
			 -ENOTSUP);
	memcpy(bad, good, sizeof(bad));
	set_u64(bad, 16, 1); /* free-threaded */
	assert_int_equal(py_layout__from_debug_offsets(bad, sizeof(bad), &off, &hex, &why),
			 -ENOTSUP);
	assert_non_null(strstr(why, "free-threaded"));
	memcpy(bad, good, sizeof(bad));
	set_u64(bad, 152 + 8 * 4, 304); /* current_frame past sizeof(PyThreadState) */
	assert_int_equal(py_layout__from_debug_offsets(bad, sizeof(bad), &off, &hex, &why),
			 -EINVAL);
}

/*
 * Debian's static, stripped 3.11.2 (design notes section 0): Py_Version
 * 0x030b02f0, _PyEval_EvalFrameDefault 55,644 bytes at 0x52b0f0 in .dynsym,
 * no .cold symbol, and no DWARF: the built-in 3.11 table is what reads it.
 */
static void test_debian_311(void **state)
{
	struct py_layout layout;
	struct py_offsets table;
	const char *why = NULL;
	int err = py_layout__from_file("/usr/bin/python3.11", &layout, &why);

	(void)state;
	if (err)
		fail_msg("/usr/bin/python3.11 (make deps installs it): %d (%s)", err, why);
	assert_int_equal(layout.major, 3);
	assert_int_equal(layout.minor, 11);
	assert_int_equal(layout.micro, 2);
	assert_int_equal(layout.version_from, PY_VERSION_SYMBOL);
	assert_false(layout.from_debug_offsets);
	/* stripped, and no matching debug file: the table */
	assert_false(layout.from_dwarf);
	assert_int_equal(layout.marker, PY_MARKER_IS_ENTRY);
	assert_int_not_equal(layout.runtime, 0);
	assert_int_equal(layout.eval, 0x52b0f0);
	assert_int_equal(layout.eval_size, 55644);
	assert_int_equal(layout.eval_cold, 0);
	assert_int_equal(py_layout__builtin(11, &table), 0);
	assert_offsets_equal(&table, &layout.off);
	assert_int_equal(py_layout__from_dwarf("/usr/bin/python3.11", 11, &table), -ENOENT);
}

static void test_refused(void **state)
{
	struct py_layout layout;
	const char *why = NULL;
	char lib[256], version[16];

	(void)state;
	assert_int_equal(py_layout__from_file("/nonexistent/python3.11", &layout, &why), -ENOENT);
	assert_int_equal(py_layout__from_file("/bin/true", &layout, &why), -ENOENT);
	assert_non_null(strstr(why, "_PyRuntime"));
	assert_int_equal(
		py_layout__from_file("tests/fixtures/python/layout-3.11.json", &layout, &why),
		-ENOEXEC);
	assert_int_equal(py_layout__builtin(9, &layout.off), -ENOTSUP);
	/* before 3.10: refused by its file name, as it has no Py_Version */
	if (pyenv_lib(9, lib, version)) {
		assert_int_equal(py_layout__from_file(lib, &layout, &why), -ENOTSUP);
		assert_non_null(strstr(why, "3.10 to 3.13"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_310),
		cmocka_unit_test(test_311),
		cmocka_unit_test(test_312),
		cmocka_unit_test(test_313),
		cmocka_unit_test(test_debug_offsets_refused),
		cmocka_unit_test(test_debian_311),
		cmocka_unit_test(test_refused),
	};

	if (getenv("PY_LAYOUT_RECORD")) {
		for (int minor = 10; minor <= 13; minor++)
			record(minor);
		return 0;
	}
	return cmocka_run_group_tests_name("py_layout", tests, NULL, NULL);
}
