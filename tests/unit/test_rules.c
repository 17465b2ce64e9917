// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --fail-on rules: every unit, percentages, absolute limits, per-process
 * rules, rules files, the exact error messages, and when a rule breaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/rules.h"

#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

static struct rule parse_one(const char *text)
{
	struct rule_set set = {};
	char err[256] = "";
	struct rule r;

	if (rule_set__parse(&set, text, err, sizeof(err)))
		fail_msg("'%s' did not parse: %s", text, err);
	assert_int_equal(set.n, 1);
	r = set.rules[0];
	r.text = NULL;
	r.process = set.rules[0].process ? strdup(set.rules[0].process) : NULL;
	rule_set__release(&set);
	return r;
}

static void assert_limit(const char *text, enum metric m, enum limit_kind kind, int64_t amount)
{
	struct rule r = parse_one(text);

	if (r.metric != m || r.kind != kind || r.amount != amount)
		fail_msg("'%s': got metric %d kind %d amount %lld", text, r.metric, r.kind,
			 (long long)r.amount);
	assert_null(r.process);
}

static void assert_error(const char *text, const char *want)
{
	struct rule_set set = {};
	char err[256] = "";

	assert_int_equal(rule_set__parse(&set, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	rule_set__release(&set);
}

static void test_units(void **state)
{
	(void)state;
	assert_limit("peak_bytes:+0", METRIC_PEAK_BYTES, LIMIT_CHANGE, 0);
	assert_limit("peak_bytes:+100", METRIC_PEAK_BYTES, LIMIT_CHANGE, 100);
	assert_limit("peak_bytes:+100B", METRIC_PEAK_BYTES, LIMIT_CHANGE, 100);
	assert_limit("peak_bytes:+1KiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, KIB);
	assert_limit("peak_bytes:+1K", METRIC_PEAK_BYTES, LIMIT_CHANGE, KIB);
	assert_limit("peak_bytes:+3MiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, 3 * MIB);
	assert_limit("peak_bytes:+2GiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, 2 * GIB);
	assert_limit("peak_bytes:+1TiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, TIB);
	/* case does not matter; IEC does */
	assert_limit("peak_bytes:+1mib", METRIC_PEAK_BYTES, LIMIT_CHANGE, MIB);
	assert_limit("peak_bytes:+1 MiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, MIB);
	assert_limit("peak_bytes:+1.5MiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, MIB + MIB / 2);
	/* fractions of a unit round down to whole bytes */
	assert_limit("peak_bytes:+0.1KiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, 102);
	assert_limit("current_bytes:-1MiB", METRIC_CURRENT_BYTES, LIMIT_CHANGE, -MIB);
	assert_limit("leak_bytes:+0", METRIC_LEAK_BYTES, LIMIT_CHANGE, 0);
	assert_limit("peak_bytes:+8388607TiB", METRIC_PEAK_BYTES, LIMIT_CHANGE, 8388607 * TIB);
}

static void test_percent(void **state)
{
	(void)state;
	assert_limit("peak_bytes:+5%", METRIC_PEAK_BYTES, LIMIT_PERCENT, 50000);
	assert_limit("allocs:+10%", METRIC_ALLOCS, LIMIT_PERCENT, 100000);
	assert_limit("allocs:+0%", METRIC_ALLOCS, LIMIT_PERCENT, 0);
	assert_limit("allocs:+0.5%", METRIC_ALLOCS, LIMIT_PERCENT, 5000);
	assert_limit("allocs:+0.0001%", METRIC_ALLOCS, LIMIT_PERCENT, 1);
	assert_limit("leak_bytes:-25%", METRIC_LEAK_BYTES, LIMIT_PERCENT, -250000);
	assert_limit("allocs:+1000%", METRIC_ALLOCS, LIMIT_PERCENT, 10000000);
}

static void test_absolute(void **state)
{
	(void)state;
	assert_limit("leak_bytes:0", METRIC_LEAK_BYTES, LIMIT_ABSOLUTE, 0);
	assert_limit("peak_bytes:2GiB", METRIC_PEAK_BYTES, LIMIT_ABSOLUTE, 2 * GIB);
	assert_limit("new_leak_sites:0", METRIC_NEW_LEAK_SITES, LIMIT_ABSOLUTE, 0);
	assert_limit("leak_sites:12", METRIC_LEAK_SITES, LIMIT_ABSOLUTE, 12);
	assert_limit("lost_events:0", METRIC_LOST_EVENTS, LIMIT_ABSOLUTE, 0);
	assert_limit("  growing_sites : 0  ", METRIC_GROWING_SITES, LIMIT_ABSOLUTE, 0);
}

static void test_every_metric(void **state)
{
	char text[64];

	(void)state;
	for (int m = 0; m < METRIC_COUNT; m++) {
		snprintf(text, sizeof(text), "%s:7", metric__name(m));
		assert_limit(text, m, LIMIT_ABSOLUTE, 7);
		assert_int_equal(metric__lookup(metric__name(m), strlen(metric__name(m))), m);
	}
	assert_int_equal(metric__lookup("peak", 4), -ENOENT);
}

static void test_per_process(void **state)
{
	struct rule r;

	(void)state;
	r = parse_one("train/peak_bytes:+5%");
	assert_string_equal(r.process, "train");
	assert_int_equal(r.metric, METRIC_PEAK_BYTES);
	assert_int_equal(r.kind, LIMIT_PERCENT);
	free(r.process);
	/* a name may hold '/' and ':' itself: the metric is after the last '/' */
	r = parse_one("pt_data/worker:3/leak_bytes:+1KiB");
	assert_string_equal(r.process, "pt_data/worker:3");
	assert_int_equal(r.metric, METRIC_LEAK_BYTES);
	assert_int_equal(r.amount, KIB);
	free(r.process);
	r = parse_one(" python3.11 / leak_count : +0 ");
	assert_string_equal(r.process, "python3.11");
	assert_int_equal(r.metric, METRIC_LEAK_COUNT);
	free(r.process);
}

static void test_list(void **state)
{
	struct rule_set set = {};
	char err[256];

	(void)state;
	assert_int_equal(rule_set__parse(&set, "peak_bytes:+5%, leak_bytes:+0,train/allocs:+10%",
					 err, sizeof(err)),
			 0);
	assert_int_equal(rule_set__parse(&set, "new_leak_sites:0", err, sizeof(err)), 0);
	assert_int_equal(set.n, 4);
	assert_string_equal(set.rules[0].text, "peak_bytes:+5%");
	assert_string_equal(set.rules[1].text, "leak_bytes:+0");
	assert_string_equal(set.rules[2].text, "train/allocs:+10%");
	assert_string_equal(set.rules[2].process, "train");
	assert_int_equal(set.rules[3].metric, METRIC_NEW_LEAK_SITES);
	rule_set__release(&set);
}

static void test_errors(void **state)
{
	(void)state;
	assert_error("peak_bytes", "'peak_bytes': expected [PROCESS/]METRIC:LIMIT");
	assert_error("peak:+5%", "'peak:+5%': unknown metric 'peak'");
	assert_error("train/peak:+5%", "'train/peak:+5%': unknown metric 'peak'");
	assert_error("peak_bytes:", "'peak_bytes:': invalid limit ''");
	assert_error("peak_bytes:+", "'peak_bytes:+': invalid limit ''");
	assert_error("peak_bytes:lots", "'peak_bytes:lots': invalid limit 'lots'");
	assert_error("peak_bytes:1.", "'peak_bytes:1.': invalid limit '1.'");
	assert_error("peak_bytes:5%",
		     "'peak_bytes:5%': a percentage is a change: write +N% or -N%, or an absolute "
		     "limit");
	assert_error("peak_bytes:+0.00001%",
		     "'peak_bytes:+0.00001%': percentage out of range (at most 4 decimals)");
	assert_error("peak_bytes:+1KB",
		     "'peak_bytes:+1KB': unit 'KB' is ambiguous: write KiB (powers of 1024)");
	assert_error("peak_bytes:+1mb",
		     "'peak_bytes:+1mb': unit 'mb' is ambiguous: write MiB (powers of 1024)");
	assert_error("peak_bytes:+1PiB",
		     "'peak_bytes:+1PiB': unknown unit 'PiB' (B, KiB, MiB, GiB or TiB)");
	assert_error("peak_bytes:+1.5", "'peak_bytes:+1.5': '1.5' is not a whole number");
	assert_error("allocs:+1KiB", "'allocs:+1KiB': allocs is a count: no unit");
	assert_error("peak_bytes:+8388608TiB", "'peak_bytes:+8388608TiB': limit too large");
	assert_error("peak_bytes:99999999999999999999",
		     "'peak_bytes:99999999999999999999': invalid limit '99999999999999999999'");
	assert_error("/peak_bytes:0", "'/peak_bytes:0': empty process name");
	assert_error("train/lost_events:0",
		     "'train/lost_events:0': lost_events is counted for the whole run only");
	assert_error("", "'': empty rule");
	assert_error("peak_bytes:+5%,", "'peak_bytes:+5%,': empty rule");
	assert_error("peak_bytes:0,,leak_bytes:0", "'peak_bytes:0,,leak_bytes:0': empty rule");
}

static void test_check_absolute(void **state)
{
	struct rule_set set = {};
	char err[256];

	(void)state;
	assert_int_equal(rule_set__parse(&set, "leak_bytes:0,peak_bytes:2GiB", err, sizeof(err)),
			 0);
	assert_int_equal(rule_set__check_absolute(&set, err, sizeof(err)), 0);
	assert_int_equal(rule_set__parse(&set, "peak_bytes:+5%", err, sizeof(err)), 0);
	assert_int_equal(rule_set__check_absolute(&set, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'peak_bytes:+5%': a change needs a base snapshot: memtrace check "
				 "takes absolute limits, memtrace diff changes");
	rule_set__release(&set);
	assert_int_equal(rule_set__parse(&set, "new_leak_sites:0", err, sizeof(err)), 0);
	assert_int_equal(rule_set__check_absolute(&set, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'new_leak_sites:0': new_leak_sites compares two snapshots: use "
				 "memtrace diff");
	rule_set__release(&set);
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/memtrace-rules-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_rules_file(void **state)
{
	char *path = write_file("# memtrace limits for CI\n"
				"\n"
				"peak_bytes:+5%      # the job's peak\n"
				"   \t\n"
				"leak_bytes:+0, new_leak_sites:0\n"
				"train/allocs:+10%\n"
				"# the end");
	struct rule_set set = {};
	char err[256];

	(void)state;
	assert_int_equal(rule_set__load(&set, path, err, sizeof(err)), 0);
	assert_int_equal(set.n, 4);
	assert_string_equal(set.rules[0].text, "peak_bytes:+5%");
	assert_string_equal(set.rules[1].text, "leak_bytes:+0");
	assert_string_equal(set.rules[2].text, "new_leak_sites:0");
	assert_string_equal(set.rules[3].process, "train");
	rule_set__release(&set);
	unlink(path);
	free(path);
}

static void test_rules_file_errors(void **state)
{
	char *path = write_file("# ok\npeak_bytes:+5%\n\nleak_bytes:+1KB\n"), want[512];
	struct rule_set set = {};
	char err[512];

	(void)state;
	assert_int_equal(rule_set__load(&set, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:4: 'leak_bytes:+1KB': unit 'KB' is ambiguous: write KiB (powers of 1024)",
		 path);
	assert_string_equal(err, want);
	rule_set__release(&set);
	unlink(path);
	assert_int_equal(rule_set__load(&set, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "cannot read rules file %s: No such file or directory", path);
	assert_string_equal(err, want);
	free(path);
}

static bool broken(const char *text, uint64_t before, uint64_t after)
{
	struct rule r = parse_one(text);
	bool b = rule__broken(&r, before, after);

	free(r.process);
	return b;
}

static void test_broken(void **state)
{
	(void)state;
	/* +N: the increase may be N, not more */
	assert_false(broken("peak_bytes:+1KiB", 10000, 11024));
	assert_true(broken("peak_bytes:+1KiB", 10000, 11025));
	assert_false(broken("leak_bytes:+0", 500, 500));
	assert_false(broken("leak_bytes:+0", 500, 0));
	assert_true(broken("leak_bytes:+0", 500, 501));
	/* +N%: exact, no rounding: 5% of 1000 is 50 */
	assert_false(broken("peak_bytes:+5%", 1000, 1050));
	assert_true(broken("peak_bytes:+5%", 1000, 1051));
	assert_false(broken("allocs:+0.5%", 200000, 201000));
	assert_true(broken("allocs:+0.5%", 200000, 201001));
	/* from 0, any increase breaks a percentage */
	assert_false(broken("peak_bytes:+50%", 0, 0));
	assert_true(broken("peak_bytes:+50%", 0, 1));
	/* -N and -N%: must drop by at least that much */
	assert_false(broken("leak_bytes:-10%", 1000, 900));
	assert_true(broken("leak_bytes:-10%", 1000, 901));
	assert_false(broken("current_bytes:-1KiB", 4096, 3072));
	assert_true(broken("current_bytes:-1KiB", 4096, 3073));
	assert_true(broken("current_bytes:-1KiB", 0, 0));
	/* absolute: the value itself, whatever it was */
	assert_false(broken("leak_bytes:0", 999, 0));
	assert_true(broken("leak_bytes:0", 0, 1));
	assert_false(broken("peak_bytes:2GiB", 0, 2 * GIB));
	assert_true(broken("peak_bytes:2GiB", 0, 2 * GIB + 1));
	/* the largest values still compare exactly */
	assert_false(broken("peak_bytes:+100%", INT64_MAX / 2, INT64_MAX - 1));
	assert_true(broken("peak_bytes:+0", 0, INT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_every_metric),
		cmocka_unit_test(test_per_process),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_check_absolute),
		cmocka_unit_test(test_rules_file),
		cmocka_unit_test(test_rules_file_errors),
		cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
