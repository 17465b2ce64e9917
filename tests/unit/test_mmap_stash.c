// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Mapping records waiting for their process: handed over in order, expired, capped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/mmap_stash.h"

struct seen {
	uint64_t times[8];
	char paths[8][32];
	int n;
};

static int record(void *ctx, const struct mmap_watch_event *e)
{
	struct seen *s = ctx;

	s->times[s->n] = e->time_ns;
	strcpy(s->paths[s->n], e->map.path ? e->map.path : "-");
	s->n++;
	return 0;
}

static void add(struct mmap_stash *s, enum mmap_watch_kind kind, uint32_t pid, uint64_t t,
		const char *path)
{
	/* the caller's path lives only until add returns: the stash keeps a copy */
	char buf[32];
	struct mmap_watch_event e = { .kind = kind, .pid = pid, .time_ns = t };

	if (path) {
		strcpy(buf, path);
		e.map.path = buf;
	}
	assert_int_equal(mmap_stash__add(s, &e), 0);
	if (path)
		memset(buf, 'x', sizeof(buf) - 1);
}

static void test_take_in_order(void **state)
{
	struct mmap_stash s = {};
	struct seen got = {};

	(void)state;
	add(&s, MMAP_WATCH_MAP, 7, 10, "/a");
	add(&s, MMAP_WATCH_EXEC, 8, 11, NULL);
	add(&s, MMAP_WATCH_MAP, 8, 12, "/lib/libc.so.6");
	add(&s, MMAP_WATCH_MAP, 7, 13, "/b");
	assert_int_equal(mmap_stash__take(&s, 8, record, &got), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.times[0], 11);
	assert_int_equal(got.times[1], 12);
	assert_string_equal(got.paths[1], "/lib/libc.so.6");
	/* taken once: pid 7's stay, in order */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.events[0].time_ns, 10);
	assert_string_equal(s.events[1].map.path, "/b");
	assert_int_equal(mmap_stash__take(&s, 8, record, &got), 0);
	assert_int_equal(got.n, 2);
	mmap_stash__release(&s);
}

static void test_expire(void **state)
{
	struct mmap_stash s = {};

	(void)state;
	add(&s, MMAP_WATCH_MAP, 1, 100, "/a");
	add(&s, MMAP_WATCH_MAP, 2, 200, "/b");
	add(&s, MMAP_WATCH_MAP, 3, 300, "/c");
	mmap_stash__expire(&s, 201);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.events[0].pid, 3);
	assert_int_equal(s.dropped, 2);
	mmap_stash__release(&s);
}

/* Full: the oldest quarter goes at once, counted. */
static void test_cap(void **state)
{
	struct mmap_stash s = {};

	(void)state;
	for (uint64_t i = 0; i <= MMAP_STASH_MAX; i++)
		add(&s, MMAP_WATCH_MAP, (uint32_t)i, i, "/x");
	assert_int_equal(s.n, MMAP_STASH_MAX - MMAP_STASH_MAX / 4 + 1);
	assert_int_equal(s.dropped, MMAP_STASH_MAX / 4);
	assert_int_equal(s.events[0].time_ns, MMAP_STASH_MAX / 4);
	assert_int_equal(s.events[s.n - 1].time_ns, MMAP_STASH_MAX);
	mmap_stash__release(&s);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_in_order),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
