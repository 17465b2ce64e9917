// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Output files in hostile surroundings: the umask decides the mode, nothing
 * shows before the commit (O_TMPFILE) or only the named temporary file (the
 * fallback), a replaced file is swapped whole, a link at the file's name is
 * replaced, not written through, a directory link is followed only when
 * root or the invoking user owns it, and through sudo the files belong to
 * the invoking user. The tests that change owners need root; they say so
 * and skip without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output_file.h"
#include "output/snapshot_files.h"
#include "unit_helpers.h"

#define NOBODY 65534

static int remove_dir(void **state)
{
	output_file__use_tmpfile(true);
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	return unit__remove_dir(state);
}

/* The directory's entries, sorted, joined by spaces. */
static void assert_text(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *in = fopen(path, "r");

	assert_non_null(in);
	assert_non_null(fgets(buf, sizeof(buf), in));
	fclose(in);
	assert_string_equal(buf, text);
}

static void write_file(const char *path, const char *text)
{
	struct output_file o;

	assert_int_equal(output_file__open(&o, path), 0);
	fputs(text, o.f);
	assert_int_equal(output_file__commit(&o), 0);
}

static void need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "*** SKIPPED: changing a file's owner needs root\n");
		skip();
	}
}

/* 0666 less the umask, whichever way the file is made: 0600 under umask 077. */
static void test_mode_follows_umask(void **state)
{
	static const mode_t masks[] = { 077, 027, 022, 002 };
	const char *dir = *state;
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/s.json", dir);
	for (int unnamed = 0; unnamed < 2; unnamed++) {
		output_file__use_tmpfile(unnamed);
		for (size_t i = 0; i < sizeof(masks) / sizeof(*masks); i++) {
			mode_t old = umask(masks[i]);

			write_file(path, "x\n");
			umask(old);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
		}
	}
}

/* O_TMPFILE: nothing in the directory until the commit; a file replaced is swapped whole. */
static void test_unnamed_until_commit(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], old_link[PATH_MAX];
	struct output_file o;

	snprintf(path, sizeof(path), "%s/s.json", dir);
	snprintf(old_link, sizeof(old_link), "%s/old", dir);
	assert_int_equal(output_file__open(&o, path), 0);
	assert_null(o.tmp_name);
	fputs("first\n", o.f);
	assert_string_equal(unit__listing(dir, true), "");
	assert_int_equal(output_file__commit(&o), 0);
	assert_string_equal(unit__listing(dir, true), "s.json");
	/* a second name for the first file: a swap leaves it as it was */
	assert_int_equal(link(path, old_link), 0);
	write_file(path, "second\n");
	assert_string_equal(unit__listing(dir, true), "old s.json");
	assert_text(path, "second\n");
	assert_text(old_link, "first\n");
	/* aborted: as if never opened */
	assert_int_equal(output_file__open(&o, path), 0);
	fputs("third\n", o.f);
	output_file__abort(&o);
	assert_string_equal(unit__listing(dir, true), "old s.json");
	assert_text(path, "second\n");
}

/* Without O_TMPFILE: NAME.tmp.XXXXXX beside it, renamed over it, removed on abort. */
static void test_named_fallback(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	struct output_file o;

	output_file__use_tmpfile(false);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	assert_int_equal(output_file__open(&o, path), 0);
	assert_non_null(o.tmp_name);
	assert_int_equal(strncmp(unit__listing(dir, true), "s.json.tmp.", 11), 0);
	assert_int_equal(strlen(unit__listing(dir, true)), strlen("s.json.tmp.XXXXXX"));
	fputs("first\n", o.f);
	assert_int_equal(output_file__commit(&o), 0);
	assert_string_equal(unit__listing(dir, true), "s.json");
	assert_text(path, "first\n");
	assert_int_equal(output_file__open(&o, path), 0);
	output_file__abort(&o);
	assert_string_equal(unit__listing(dir, true), "s.json");
}

/* A link at the file's own name is replaced by the file: what it points to is not touched. */
static void test_link_at_name_replaced(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], victim[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/s.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_file(victim, "precious\n");
	assert_int_equal(symlink("victim", path), 0);
	for (int unnamed = 0; unnamed < 2; unnamed++) {
		output_file__use_tmpfile(unnamed);
		write_file(path, "snapshot\n");
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_text(victim, "precious\n");
		unlink(path);
		assert_int_equal(symlink("victim", path), 0);
	}
}

/* The invoking user's own links are followed, relative targets and chains of them too. */
static void test_own_link_followed(void **state)
{
	const char *dir = *state;
	char sub[PATH_MAX], link_path[PATH_MAX], path[PATH_MAX + 16];

	snprintf(sub, sizeof(sub), "%s/real", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(link_path, sizeof(link_path), "%s/hop", dir);
	assert_int_equal(symlink("real", link_path), 0);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	assert_int_equal(symlink("./hop/", link_path), 0);
	snprintf(path, sizeof(path), "%s/link/s.json", dir);
	write_file(path, "through\n");
	assert_string_equal(unit__listing(sub, true), "s.json");
	/* a file where a directory should be is no directory, link or not */
	snprintf(path, sizeof(path), "%s/real/s.json/x.json", dir);
	assert_int_equal(output_file__open(&(struct output_file){}, path), -ENOTDIR);
}

/* Another user's link is refused anywhere on the way, also behind a trusted one. */
static void test_foreign_link_refused(void **state)
{
	const char *dir = *state;
	char target[PATH_MAX], link_path[PATH_MAX], path[PATH_MAX + 32];
	struct snapshot_files f;
	struct output_file o;

	need_root();
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(mkdir(target, 0755), 0);
	snprintf(link_path, sizeof(link_path), "%s/planted", dir);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(lchown(link_path, NOBODY, NOBODY), 0);
	snprintf(path, sizeof(path), "%s/planted/s.json", dir);
	assert_int_equal(output_file__open(&o, path), -EPERM);
	snprintf(path, sizeof(path), "%s/planted/", dir);
	assert_int_equal(snapshot_files__open(&f, path, 0), -EPERM);
	snprintf(path, sizeof(path), "%s/planted/snap-%%t.json", dir);
	assert_int_equal(snapshot_files__open(&f, path, 0), -EPERM);
	/* root's own link to the foreign one: the foreign one is still refused */
	snprintf(link_path, sizeof(link_path), "%s/mine", dir);
	assert_int_equal(symlink("planted", link_path), 0);
	snprintf(path, sizeof(path), "%s/mine/sub/", dir);
	assert_int_equal(snapshot_files__open(&f, path, 0), -EPERM);
	assert_string_equal(unit__listing(target, true), "");
	/* through sudo, the invoking user's link is followed, a third user's is not */
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65534", 1);
	snprintf(path, sizeof(path), "%s/planted/s.json", dir);
	assert_int_equal(output_file__open(&o, path), 0);
	output_file__abort(&o);
	setenv("SUDO_UID", "65533", 1);
	assert_int_equal(output_file__open(&o, path), -EPERM);
	assert_string_equal(unit__listing(target, true), "");
}

/* Through sudo: the files and a directory made for them are the invoking user's. */
static void test_sudo_owner(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX + 32];
	struct snapshot_files f;
	struct stat st;

	need_root();
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65533", 1);
	for (int unnamed = 0; unnamed < 2; unnamed++) {
		output_file__use_tmpfile(unnamed);
		snprintf(path, sizeof(path), "%s/s%d.json", dir, unnamed);
		write_file(path, "x\n");
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_uid, NOBODY);
		assert_int_equal(st.st_gid, 65533);
	}
	snprintf(path, sizeof(path), "%s/trail/", dir);
	assert_int_equal(snapshot_files__open(&f, path, 0), 0);
	fputs("x\n", snapshot_files__next(&f));
	assert_int_equal(snapshot_files__commit(&f), 0);
	snapshot_files__release(&f);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, NOBODY);
	assert_int_equal(st.st_gid, 65533);
	snprintf(path, sizeof(path), "%s/trail/snap-0001.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, NOBODY);
	assert_int_equal(st.st_gid, 65533);
	/* not sudo's: a value that is no id is ignored, the file stays root's */
	setenv("SUDO_UID", "65534x", 1);
	snprintf(path, sizeof(path), "%s/root.json", dir);
	write_file(path, "x\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode_follows_umask, unit__make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_unnamed_until_commit, unit__make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_named_fallback, unit__make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_link_at_name_replaced, unit__make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_own_link_followed, unit__make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_foreign_link_refused, unit__make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_sudo_owner, unit__make_dir, remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
