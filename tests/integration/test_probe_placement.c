// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe placement on the real libc: free()'s probe sits past its NULL
 * check, on the first instruction the kernel emulates, and still counts
 * every non-NULL free; the counts match probes at the entries exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static json_t *site_of(json_t *snap, const char *function)
{
	json_t *sites = json_object_get(json_object_get(harness__only_process(snap), "probes"),
					"sites"),
	       *site;
	size_t i;

	json_array_foreach(sites, i, site)
		if (!strcmp(harness__str(site, "function"), function))
			return site;
	fail_msg("no probe site for %s", function);
	return NULL;
}

/*
 * An independent witness: objdump's offset of free's third instruction
 * when it starts "test %rdi,%rdi; je", as glibc's does.
 */
static long objdump_free_third_insn(const char *libc)
{
	char cmd[512], line[512];
	unsigned long start = 0, addr;
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn %s | grep -A3 '^[0-9a-f]* <__libc_free@@'", libc);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%lx <", &addr) == 1 && strchr(line, '<') && !strchr(line, '\t')) {
			start = addr;
			continue;
		}
		if (sscanf(line, " %lx:", &addr) != 1)
			continue;
		if (n == 0 && !strstr(line, "test   %rdi,%rdi"))
			break;
		if (++n == 3) {
			pclose(p);
			return (long)(addr - start);
		}
	}
	pclose(p);
	return -1;
}

static void test_free_past_null_check(void **state)
{
	static const char *const counters[] = { "allocs", "frees", "unknown_frees", "current_bytes",
						"allocated_bytes", "freed_bytes" };
	struct mt_run placed, entry;
	json_t *p, *q, *site;
	long witness;

	(void)state;
	harness__run(&placed, (const char *const[]){ "--json", "--", PROG("free_patterns"), NULL });
	harness__run(&entry, (const char *const[]){ "--json", "--probe-at-entry", "--",
						     PROG("free_patterns"), NULL });
	assert_int_equal(placed.status, 0);
	assert_int_equal(entry.status, 0);
	assert_non_null(placed.snap);
	assert_non_null(entry.snap);

	site = site_of(placed.snap, "free");
	witness = objdump_free_third_insn(harness__str(
		json_object_get(harness__only_process(placed.snap), "probes"), "module"));
	if (witness < 0)
		fail_msg("this libc's free() does not start with a NULL check: nothing to move past");
	assert_int_equal(harness__u64(site, "offset"), witness);
	assert_true(json_is_true(json_object_get(site, "emulated")));
	assert_int_equal(harness__u64(site_of(entry.snap, "free"), "offset"), 0);

	p = harness__only_process(placed.snap);
	q = harness__only_process(entry.snap);
	assert_int_equal(harness__u64(p, "frees"), 1000);
	assert_int_equal(harness__u64(p, "allocs"), 1010);
	assert_int_equal(harness__u64(p, "unknown_frees"), 0);
	assert_int_equal(harness__u64(p, "current_bytes"), 10 * 4000);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		assert_int_equal(harness__u64(p, counters[i]), harness__u64(q, counters[i]));
	harness__release(&placed);
	harness__release(&entry);
}

/* Every libc function: each probe where the snapshot says, and the same counts either way. */
static void test_all_functions_same_counts(void **state)
{
	static const char *const counters[] = { "allocs", "frees", "reallocs", "failed_allocs",
						"allocated_bytes", "freed_bytes", "current_bytes",
						"unknown_frees" };
	struct mt_run placed, entry;

	(void)state;
	harness__run(&placed, (const char *const[]){ "--json", "--", PROG("alloc_patterns"), NULL });
	harness__run(&entry, (const char *const[]){ "--json", "--probe-at-entry", "--",
						     PROG("alloc_patterns"), NULL });
	assert_non_null(placed.snap);
	assert_non_null(entry.snap);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		assert_int_equal(harness__u64(harness__only_process(placed.snap), counters[i]),
				 harness__u64(harness__only_process(entry.snap), counters[i]));
	assert_int_equal(json_array_size(json_object_get(placed.snap, "leaks")),
			 json_array_size(json_object_get(entry.snap, "leaks")));
	harness__release(&placed);
	harness__release(&entry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_past_null_check),
		cmocka_unit_test(test_all_functions_same_counts),
	};

	harness__require_bpf("probe placement");
	return cmocka_run_group_tests_name("integration: probe placement", tests, NULL, NULL);
}
