// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * -o expansion and the snapshot trail: one file replaced each time, %t
 * patterns, directories, numbering after an old run's files, and keep-N
 * rotation that deletes only this run's files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/snapshot_files.h"
#include "unit_helpers.h"

/* The directory's entries, sorted, joined by spaces. */
static void write_one(struct snapshot_files *f, const char *text)
{
	FILE *out = snapshot_files__next(f);

	assert_non_null(out);
	fputs(text, out);
	assert_int_equal(snapshot_files__commit(f), 0);
}

static void assert_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], buf[256] = "";
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(buf, sizeof(buf), in));
	fclose(in);
	assert_string_equal(buf, text);
}

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(snapshot_files__check("run.json"), 0);
	assert_int_equal(snapshot_files__check("snap-%t.json"), 0);
	assert_int_equal(snapshot_files__check("/a/b/%t"), 0);
	assert_int_equal(snapshot_files__check("dir/"), 0);
	assert_int_equal(snapshot_files__check(""), -EINVAL);
	assert_int_equal(snapshot_files__check("%t-%t.json"), -EINVAL);
	assert_int_equal(snapshot_files__check("run-%t/snap.json"), -EINVAL);
}

/* No %t, not a directory: the same file, replaced whole each time. */
static void test_one_file(void **state)
{
	const char *dir = *state;
	struct snapshot_files f;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/run.json", dir);
	assert_int_equal(snapshot_files__open(&f, path, 2), 0);
	/* opened ahead, unnamed (O_TMPFILE): nothing to leave behind if memtrace is killed */
	assert_string_equal(unit__listing(dir, false), "");
	write_one(&f, "first\n");
	write_one(&f, "second\n");
	write_one(&f, "third\n");
	snapshot_files__release(&f);
	assert_string_equal(unit__listing(dir, false), "run.json");
	assert_file(dir, "run.json", "third\n");
}

/* Where the filesystem has no O_TMPFILE: a named temporary file, renamed over the target. */
static void test_one_file_named_temp(void **state)
{
	const char *dir = *state;
	struct snapshot_files f;
	char path[PATH_MAX];

	output_file__use_tmpfile(false);
	snprintf(path, sizeof(path), "%s/run.json", dir);
	assert_int_equal(snapshot_files__open(&f, path, 2), 0);
	/* opened ahead: only the temporary file exists yet */
	assert_int_equal(strncmp(unit__listing(dir, false), "run.json.tmp.", 13), 0);
	write_one(&f, "first\n");
	write_one(&f, "second\n");
	snapshot_files__release(&f);
	output_file__use_tmpfile(true);
	assert_string_equal(unit__listing(dir, false), "run.json");
	assert_file(dir, "run.json", "second\n");
}

/* The directory is opened once: moved away and replaced by a link, it still gets the files. */
static void test_directory_opened_once(void **state)
{
	const char *dir = *state;
	char sub[PATH_MAX], moved[PATH_MAX], elsewhere[PATH_MAX];
	struct snapshot_files f;

	snprintf(sub, sizeof(sub), "%s/trail/", dir);
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
	assert_int_equal(snapshot_files__open(&f, sub, 2), 0);
	write_one(&f, "a\n");
	assert_int_equal(mkdir(elsewhere, 0755), 0);
	assert_int_equal(rename(sub, moved), 0);
	sub[strlen(sub) - 1] = '\0';
	assert_int_equal(symlink(elsewhere, sub), 0);
	write_one(&f, "b\n");
	write_one(&f, "c\n");
	snapshot_files__release(&f);
	/* keep 2 deleted the first file where it really was */
	assert_string_equal(unit__listing(moved, false), "snap-0002.json snap-0003.json");
	assert_string_equal(unit__listing(elsewhere, false), "");
}

static void test_pattern(void **state)
{
	const char *dir = *state;
	struct snapshot_files f;
	char pattern[PATH_MAX], *next;

	snprintf(pattern, sizeof(pattern), "%s/trail-%%t.json", dir);
	assert_int_equal(snapshot_files__open(&f, pattern, 0), 0);
	next = snapshot_files__next_path(&f);
	assert_non_null(strstr(next, "/trail-0001.json"));
	free(next);
	for (int i = 0; i < 3; i++)
		write_one(&f, "x\n");
	snapshot_files__release(&f);
	assert_string_equal(unit__listing(dir, false),
			    "trail-0001.json trail-0002.json trail-0003.json");
}

/* DIR/: snap-NNNN.json inside, after the numbers an earlier run left there. */
static void test_directory_continues(void **state)
{
	const char *dir = *state;
	struct snapshot_files f;
	char sub[PATH_MAX], path[PATH_MAX + 32];
	FILE *old;

	snprintf(sub, sizeof(sub), "%s/trail/", dir);
	assert_int_equal(snapshot_files__open(&f, sub, 0), 0);
	write_one(&f, "a\n");
	snapshot_files__release(&f);
	/* an old run's file with a higher number, and names that are not the trail's */
	snprintf(path, sizeof(path), "%s/trail/snap-0041.json", dir);
	old = fopen(path, "w");
	assert_non_null(old);
	fclose(old);
	snprintf(path, sizeof(path), "%s/trail/snap-99x.json", dir);
	old = fopen(path, "w");
	assert_non_null(old);
	fclose(old);
	assert_int_equal(snapshot_files__open(&f, sub, 0), 0);
	write_one(&f, "b\n");
	snapshot_files__release(&f);
	/* without the slash, a directory is no place for a snapshot file */
	sub[strlen(sub) - 1] = '\0';
	assert_int_equal(snapshot_files__open(&f, sub, 0), -EISDIR);
	assert_string_equal(unit__listing(sub, false),
			    "snap-0001.json snap-0041.json snap-0042.json snap-99x.json");
	assert_file(sub, "snap-0042.json", "b\n");
}

/* keep 2: the newest two of this run stay; an old run's file is not touched. */
static void test_keep_rotation(void **state)
{
	const char *dir = *state;
	struct snapshot_files f;
	char path[PATH_MAX + 32];
	FILE *old;

	snprintf(path, sizeof(path), "%s/snap-0007.json", dir);
	old = fopen(path, "w");
	assert_non_null(old);
	fclose(old);
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(snapshot_files__open(&f, path, 2), 0);
	for (int i = 0; i < 5; i++) {
		char text[8];

		snprintf(text, sizeof(text), "%d\n", i);
		write_one(&f, text);
	}
	snapshot_files__release(&f);
	assert_string_equal(unit__listing(dir, false),
			    "snap-0007.json snap-0011.json snap-0012.json");
	assert_file(dir, "snap-0012.json", "4\n");
}

/* Unwritable: the error comes at open, before any tracing. */
static void test_unwritable(void **state)
{
	struct snapshot_files f;

	(void)state;
	assert_true(snapshot_files__open(&f, "/nonexistent-dir/x/snap-%t.json", 0) < 0);
	assert_true(snapshot_files__open(&f, "/nonexistent-dir/x/", 0) < 0);
	assert_true(snapshot_files__open(&f, "/proc/version/x.json", 0) < 0);
	snapshot_files__release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_one_file, unit__make_dir, unit__remove_dir),
		cmocka_unit_test_setup_teardown(test_one_file_named_temp, unit__make_dir,
						unit__remove_dir),
		cmocka_unit_test_setup_teardown(test_directory_opened_once, unit__make_dir,
						unit__remove_dir),
		cmocka_unit_test_setup_teardown(test_pattern, unit__make_dir, unit__remove_dir),
		cmocka_unit_test_setup_teardown(test_directory_continues, unit__make_dir,
						unit__remove_dir),
		cmocka_unit_test_setup_teardown(test_keep_rotation, unit__make_dir,
						unit__remove_dir),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
