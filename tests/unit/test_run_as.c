// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * run_as: who launch mode's CMD runs as (--user, or sudo's SUDO_UID and
 * SUDO_GID when memtrace is root), and the environment it gets. nobody
 * (65534, group nogroup 65534, home /nonexistent) is Debian's fixed entry.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/run_as.h"

static void assert_nobody(const struct run_as *r)
{
	assert_true(r->change);
	assert_int_equal(r->uid, 65534);
	assert_int_equal(r->gid, 65534);
	assert_string_equal(r->user, "nobody");
	assert_int_equal(r->nr_groups, 1);
	assert_int_equal(r->groups[0], 65534);
	assert_string_equal(r->env[0], "HOME=/nonexistent");
	assert_string_equal(r->env[1], "USER=nobody");
	assert_string_equal(r->env[2], "LOGNAME=nobody");
}

static void clear_sudo(void)
{
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
}

static void test_user_by_name_and_uid(void **state)
{
	struct run_as r;
	char why[128] = "";

	(void)state;
	clear_sudo();
	assert_int_equal(run_as__resolve("nobody", &r, why, sizeof(why)), 0);
	assert_nobody(&r);
	run_as__release(&r);
	assert_int_equal(run_as__resolve("65534", &r, why, sizeof(why)), 0);
	assert_nobody(&r);
	run_as__release(&r);
	assert_string_equal(why, "");
}

/* the user memtrace already is: nothing to change, the environment left alone */
static void test_same_user_keeps_all(void **state)
{
	struct run_as r;
	char why[128], self[16];

	(void)state;
	snprintf(self, sizeof(self), "%u", geteuid());
	assert_int_equal(run_as__resolve(self, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	assert_null(r.groups);
	assert_null(r.env[0]);
	assert_int_equal(run_as__apply(&r), 0);
	run_as__release(&r);
}

static void test_unknown_user(void **state)
{
	struct run_as r;
	char why[128];

	(void)state;
	assert_int_equal(run_as__resolve("memtrace-no-such-user", &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "--user memtrace-no-such-user: no such user");
	assert_false(r.change);
	/* a number no user has; -1 is "unchanged" to set*id(), never a user */
	assert_int_equal(run_as__resolve("4294967294", &r, why, sizeof(why)), -EINVAL);
	assert_int_equal(run_as__resolve("4294967295", &r, why, sizeof(why)), -EINVAL);
	assert_int_equal(run_as__resolve("", &r, why, sizeof(why)), -EINVAL);
}

/* SUDO_UID and SUDO_GID count only for root: sudo is how one gets to be root */
static void test_sudo(void **state)
{
	struct run_as r;
	char why[160];

	(void)state;
	clear_sudo();
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65534", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	if (geteuid() != 0) {
		assert_false(r.change);
		clear_sudo();
		return;
	}
	assert_nobody(&r);
	run_as__release(&r);
	/* sudo run with another group: that gid, login's groups */
	setenv("SUDO_GID", "4", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_int_equal(r.gid, 4);
	assert_int_equal(r.nr_groups, 1);
	assert_int_equal(r.groups[0], 65534);
	run_as__release(&r);
	/* root ran sudo: root */
	setenv("SUDO_UID", "0", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	/* --user wins over sudo's */
	setenv("SUDO_UID", "65534", 1);
	assert_int_equal(run_as__resolve("root", &r, why, sizeof(why)), 0);
	assert_false(r.change);
	/* not sudo's (both ids, decimal): not run through sudo, as for the output files */
	unsetenv("SUDO_GID");
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	setenv("SUDO_GID", "65534", 1);
	setenv("SUDO_UID", "12x", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	setenv("SUDO_UID", "-1", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), 0);
	assert_false(r.change);
	/* sudo's, but no user of this machine: CMD would have no HOME, no groups */
	setenv("SUDO_UID", "4294967294", 1);
	assert_int_equal(run_as__resolve(NULL, &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "SUDO_UID 4294967294 is no user of this machine: choose the user "
				 "with --user");
	clear_sudo();
}

/* HOME, USER and LOGNAME replaced wherever they were, once each; the rest kept in order */
static void test_environ(void **state)
{
	char *env[] = { "PATH=/bin", "HOME=/root", "USER=root", "LANG=C", "LOGNAME=root",
			"HOMEDIR=x", NULL };
	struct run_as r;
	char why[128], **out;

	(void)state;
	clear_sudo();
	assert_int_equal(run_as__resolve("nobody", &r, why, sizeof(why)), 0);
	out = run_as__environ(&r, env);
	assert_non_null(out);
	assert_string_equal(out[0], "PATH=/bin");
	assert_string_equal(out[1], "LANG=C");
	assert_string_equal(out[2], "HOMEDIR=x");
	assert_string_equal(out[3], "HOME=/nonexistent");
	assert_string_equal(out[4], "USER=nobody");
	assert_string_equal(out[5], "LOGNAME=nobody");
	assert_null(out[6]);
	free(out);
	out = run_as__environ(&r, (char *[]){ NULL });
	assert_non_null(out);
	assert_string_equal(out[0], "HOME=/nonexistent");
	assert_null(out[3]);
	free(out);
	run_as__release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_by_name_and_uid),
		cmocka_unit_test(test_same_user_keeps_all),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_sudo),
		cmocka_unit_test(test_environ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
