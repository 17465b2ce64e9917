// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The diff engine on hand-built snapshots: processes paired by name, sites
 * classified exactly, rules applied to totals and processes, and the three
 * outputs (text, JSON read back with jansson, bounded markdown).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/diff.h"
#include "compare/diff_format.h"
#include "compare/diff_report.h"
#include "compare/rule_eval.h"

#define MAX_PROCS 8
#define MAX_LEAKS 600

/* A snapshot made by hand: every leak is two frames, leaf and caller, in its process's exe. */
struct build {
	struct snapshot s;
	struct snap_process procs[MAX_PROCS];
	struct snap_leak leaks[MAX_LEAKS];
	struct snap_frame frames[MAX_LEAKS][2];
	char names[MAX_LEAKS][32];
};

static struct build *build_new(const char *path)
{
	struct build *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->s.path = (char *)path;
	b->s.procs = b->procs;
	b->s.leaks = b->leaks;
	return b;
}

static size_t add_proc(struct build *b, uint32_t pid, const char *comm, const char *exe,
		       uint64_t peak)
{
	struct snap_process *p = &b->procs[b->s.nr_procs];

	assert_true(b->s.nr_procs < MAX_PROCS);
	*p = (struct snap_process){ .pid = pid, .comm = (char *)comm, .exe = (char *)exe };
	p->c.peak_bytes = peak;
	b->s.totals.peak_bytes += peak;
	return b->s.nr_procs++;
}

static void add_leak(struct build *b, size_t proc, const char *leaf, const char *file,
		     uint64_t bytes, uint64_t count)
{
	size_t i = b->s.nr_leaks++;
	struct snap_leak *l = &b->leaks[i];
	char *exe = b->procs[proc].exe;

	assert_true(i < MAX_LEAKS);
	snprintf(b->names[i], sizeof(b->names[i]), "%s", leaf);
	b->frames[i][0] = (struct snap_frame){ b->names[i], exe, (char *)file, 10, false, NULL, false, 0 };
	b->frames[i][1] = (struct snap_frame){ (char *)"main", exe, (char *)file, 99, false, NULL, false, 0 };
	*l = (struct snap_leak){
		.pid = b->procs[proc].pid,
		.bytes = bytes,
		.count = count,
		.frames = b->frames[i],
		.nr_frames = 2,
		.process = proc,
	};
	b->procs[proc].c.current_bytes += bytes;
	b->s.totals.current_bytes += bytes;
}

static void test_classification(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t pb = add_proc(base, 100, "app", "/a/app", 0), pn = add_proc(new, 200, "app",
									       "/a/app", 0);
	struct diff d;

	(void)state;
	add_leak(base, pb, "same", "x.c", 100, 1);
	add_leak(base, pb, "grows", "x.c", 200, 2);
	add_leak(base, pb, "shrinks", "x.c", 300, 3);
	add_leak(base, pb, "goes", "x.c", 50, 1);
	add_leak(base, pb, "more_blocks", "x.c", 64, 1);
	add_leak(new, pn, "same", "x.c", 100, 1);
	add_leak(new, pn, "grows", "x.c", 500, 5);
	add_leak(new, pn, "shrinks", "x.c", 100, 1);
	add_leak(new, pn, "comes", "x.c", 70, 7);
	add_leak(new, pn, "more_blocks", "x.c", 64, 2);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	assert_int_equal(d.nr_pairs, 1);
	assert_int_equal(d.nr_sites, 6);
	assert_int_equal(d.by_status[SITE_NEW], 1);
	assert_int_equal(d.by_status[SITE_GONE], 1);
	assert_int_equal(d.by_status[SITE_GROWN], 2);
	assert_int_equal(d.by_status[SITE_SHRUNK], 1);
	assert_int_equal(d.by_status[SITE_SAME], 1);
	/* the biggest change first; equal changes by status */
	assert_string_equal(diff_site__site(&d.sites[0])->shown->frames[0].symbol, "grows");
	assert_int_equal(d.sites[0].status, SITE_GROWN);
	assert_int_equal(diff_site__before(&d.sites[0]), 200);
	assert_int_equal(diff_site__after(&d.sites[0]), 500);
	assert_string_equal(diff_site__site(&d.sites[1])->shown->frames[0].symbol, "shrinks");
	assert_int_equal(d.sites[1].status, SITE_SHRUNK);
	assert_string_equal(diff_site__site(&d.sites[2])->shown->frames[0].symbol, "comes");
	assert_int_equal(d.sites[2].status, SITE_NEW);
	assert_null(d.sites[2].before);
	assert_int_equal(d.sites[2].after->count, 7);
	assert_string_equal(diff_site__site(&d.sites[3])->shown->frames[0].symbol, "goes");
	assert_int_equal(d.sites[3].status, SITE_GONE);
	assert_null(d.sites[3].after);
	/* as many bytes in more blocks: grown */
	assert_string_equal(diff_site__site(&d.sites[4])->shown->frames[0].symbol, "more_blocks");
	assert_int_equal(d.sites[4].status, SITE_GROWN);
	assert_int_equal(d.sites[5].status, SITE_SAME);
	assert_int_equal(d.nr_allocators, 1);
	assert_string_equal(d.allocators[0].name, "libc");
	assert_int_equal(d.allocators[0].before_bytes, 714);
	assert_int_equal(d.allocators[0].after_bytes, 834);
	assert_int_equal(d.allocators[0].after_count, 16);
	diff__release(&d);
	free(base);
	free(new);
}

/* Rebuilt elsewhere, source renamed: every site matches, nothing changed. */
static void test_relocated_build_matches(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t pb = add_proc(base, 100, "diff_base", "/work/build/tests/progs/diff_base", 0);
	size_t pn = add_proc(new, 4242, "diff_base", "/elsewhere/relocated/diff_base", 0);
	struct diff d;

	(void)state;
	add_leak(base, pb, "keep_site", "/work/tests/progs/diff_base.c", 4000, 4);
	add_leak(base, pb, "base_only", "/work/tests/progs/diff_base.c", 300, 3);
	add_leak(new, pn, "keep_site", "/elsewhere/renamed/other_name.c", 4000, 4);
	add_leak(new, pn, "base_only", "/elsewhere/renamed/other_name.c", 300, 3);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	assert_int_equal(d.nr_sites, 2);
	assert_int_equal(d.by_status[SITE_SAME], 2);
	diff__release(&d);
	free(base);
	free(new);
}

static void label(const struct diff *d, size_t pair, const char *want)
{
	char buf[256];

	diff__pair_label(d, pair, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_process_pairs(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	struct diff d;

	(void)state;
	add_proc(base, 10, "trainer", "/a/python3.11", 0);
	add_proc(base, 11, "worker", "/a/python3.11", 0);
	add_proc(base, 12, "worker", "/a/python3.11", 0);
	add_proc(base, 13, "old_tool", "/a/old_tool", 0);
	add_proc(base, 14, "", "/opt/x/renamed_comm", 0);
	add_proc(new, 30, "worker", "/b/python3.11", 0);
	add_proc(new, 31, "trainer", "/b/python3.11", 0);
	add_proc(new, 32, "worker", "/b/python3.11", 0);
	add_proc(new, 33, "worker", "/b/python3.11", 0);
	add_proc(new, 34, "set_by_prctl", "/opt/y/renamed_comm", 0);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	assert_int_equal(d.nr_pairs, 6);
	/* by name; the same name pairs in order; then by executable file name */
	label(&d, 0, "trainer (pid 10 -> 31)");
	label(&d, 1, "worker (pid 11 -> 30)");
	label(&d, 2, "worker (pid 12 -> 32)");
	label(&d, 3, "old_tool (pid 13, gone)");
	label(&d, 4, "set_by_prctl (pid 14 -> 34)");
	label(&d, 5, "worker (pid 33, new)");
	label(&d, SIZE_MAX, "(no process)");
	diff__release(&d);
	free(base);
	free(new);
}

/* Merged snapshots: ranks pair by source label, not by their order or PID. */
static void test_merged_pairs(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t b0, b1, n0, n1, n2;
	struct diff d;

	(void)state;
	b0 = add_proc(base, 10, "train", "/a/train", 100);
	b1 = add_proc(base, 10, "train", "/a/train", 100);
	base->procs[b0].source = "rank0.json@node1";
	base->procs[b1].source = "rank1.json@node2";
	n1 = add_proc(new, 50, "train", "/a/train", 100);
	n0 = add_proc(new, 51, "train", "/a/train", 100);
	n2 = add_proc(new, 52, "train", "/a/train", 100);
	new->procs[n1].source = "rank1.json@node7";
	new->procs[n0].source = "rank0.json@node1";
	new->procs[n2].source = "rank2.json@node7";
	add_leak(base, b1, "rank_leak", "x.c", 100, 1);
	add_leak(new, n1, "rank_leak", "x.c", 900, 9);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	assert_int_equal(d.nr_pairs, 3);
	label(&d, 0, "train [rank0.json@node1] (pid 10 -> 51)");
	/* another host, the same rank file */
	label(&d, 1, "train [rank1.json@node2 -> rank1.json@node7] (pid 10 -> 50)");
	label(&d, 2, "train [rank2.json@node7] (pid 52, new)");
	assert_int_equal(d.nr_sites, 1);
	assert_int_equal(d.sites[0].pair, 1);
	assert_int_equal(d.sites[0].status, SITE_GROWN);
	diff__release(&d);
	free(base);
	free(new);
}

static void assert_rules(const char *text, const struct diff *d, size_t n, size_t broken,
			 struct rule_set *set, struct rule_results *res)
{
	char err[256];

	*set = (struct rule_set){};
	assert_int_equal(rule_set__parse(set, text, err, sizeof(err)), 0);
	assert_int_equal(rule_eval__diff(set, d, res, err, sizeof(err)), 0);
	assert_int_equal(res->n, n);
	assert_int_equal(res->nr_broken, broken);
}

static void assert_line(const struct diff *d, const struct rule_result *r, const char *want)
{
	char line[512];

	diff_format__diff_rule(d, r, line, sizeof(line));
	assert_string_equal(line, want);
}

static void test_rules_on_diff(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	struct rule_results res;
	struct rule_set set;
	size_t p;
	struct diff d;
	char err[256];

	(void)state;
	p = add_proc(base, 1, "train", "/a/train", 10 << 20);
	add_leak(base, p, "keep", "x.c", 1000, 1);
	add_proc(base, 2, "train", "/a/train", 1 << 20);
	p = add_proc(new, 3, "train", "/a/train", 11744052); /* +12.0% */
	add_leak(new, p, "keep", "x.c", 1000, 1);
	add_leak(new, p, "fresh", "x.c", 24, 1);
	add_proc(new, 4, "train", "/a/train", 1 << 20);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);

	assert_rules("peak_bytes:+5%", &d, 1, 1, &set, &res);
	assert_line(&d, &res.items[0], "peak_bytes:+5%: 11.0 MiB -> 12.2 MiB (+1.20 MiB, +10.9%)");
	rule_results__release(&res);
	rule_set__release(&set);

	/* one result per process of that name */
	assert_rules("train/peak_bytes:+5%", &d, 2, 1, &set, &res);
	assert_line(&d, &res.items[0],
		    "train/peak_bytes:+5%: train (pid 1 -> 3): 10.0 MiB -> 11.2 MiB (+1.20 MiB, "
		    "+12.0%)");
	assert_false(res.items[1].broken);
	assert_int_equal(res.items[1].scope, 1);
	rule_results__release(&res);
	rule_set__release(&set);

	assert_rules("new_leak_sites:0,leak_bytes:+24,leak_bytes:+23,leak_count:+0,"
		     "peak_bytes:11MiB,train/new_leak_sites:0",
		     &d, 7, 5, &set, &res);
	assert_true(res.items[0].broken);
	assert_line(&d, &res.items[0], "new_leak_sites:0: 0 -> 1 (+1)");
	assert_false(res.items[1].broken);
	assert_true(res.items[2].broken);
	assert_line(&d, &res.items[2], "leak_bytes:+23: 1000 B -> 1.00 KiB (+24 B, +2.4%)");
	assert_true(res.items[3].broken);
	/* absolute: the new value, 12.2 MiB, above 11 MiB */
	assert_true(res.items[4].broken);
	assert_false(res.items[5].broken == res.items[6].broken);
	rule_results__release(&res);
	rule_set__release(&set);

	/* a name that matches nothing is an error, not a pass */
	assert_int_equal(rule_set__parse(&set, "tarin/peak_bytes:+5%", err, sizeof(err)), 0);
	assert_int_equal(rule_eval__diff(&set, &d, &res, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "rule 'tarin/peak_bytes:+5%': no process named 'tarin' in "
				 "base.json or new.json");
	rule_set__release(&set);
	diff__release(&d);
	free(base);
	free(new);
}

static void test_rules_on_check(void **state)
{
	struct build *b = build_new("snap.json");
	struct rule_results res;
	struct site_set sites;
	struct rule_set set = {};
	char err[256], line[512];
	size_t p;

	(void)state;
	p = add_proc(b, 7, "train", "/a/train", 2048);
	add_leak(b, p, "keep", "x.c", 4096, 4);
	add_leak(b, p, "keep2", "x.c", 10, 1);
	b->leaks[1].growing = true;
	assert_int_equal(site_set__build(&sites, &b->s, 5), 0);
	assert_int_equal(rule_set__parse(&set, "leak_bytes:0,train/leak_sites:2,growing_sites:0,"
					 "peak_bytes:2KiB",
					 err, sizeof(err)),
			 0);
	assert_int_equal(rule_eval__check(&set, &b->s, &sites, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 4);
	assert_int_equal(res.nr_broken, 2);
	diff_format__check_rule(&b->s, &res.items[0], line, sizeof(line));
	assert_string_equal(line, "leak_bytes:0: 4.00 KiB (limit 0 B)");
	diff_format__check_rule(&b->s, &res.items[1], line, sizeof(line));
	assert_string_equal(line, "train/leak_sites:2: train (pid 7): 2 (limit 2)");
	assert_false(res.items[1].broken);
	assert_true(res.items[2].broken);
	assert_false(res.items[3].broken);
	rule_results__release(&res);
	rule_set__release(&set);
	site_set__release(&sites);
	free(b);
}

static char *capture(const struct diff *d, const struct rule_results *r, int format,
		     unsigned int top, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert_non_null(f);
	if (format == 0)
		assert_int_equal(diff_text__write(d, r, top, f), 0);
	else if (format == 1)
		assert_int_equal(diff_json__write(d, r, f), 0);
	else
		assert_int_equal(diff_markdown__write(d, r, top, f), 0);
	fclose(f);
	return text;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Many new sites: a table of top rows then "... N more", and never past 60000 bytes. */
static void test_markdown_bounded(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t len, pn;
	struct diff d;
	char *md, name[32], more[64];

	(void)state;
	add_proc(base, 1, "app", "/a/app", 0);
	pn = add_proc(new, 2, "app", "/a/app", 0);
	for (int i = 0; i < 500; i++) {
		/* long names: the byte budget, not the row count, must stop the table */
		snprintf(name, sizeof(name), "site_%03d_%0*d", i, 18, 0);
		add_leak(new, pn, name, "src/a_long_directory/file.c", 1000 + i, 1);
	}
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	md = capture(&d, NULL, 2, 20, &len);
	assert_int_equal(count(md, "| new |"), 20);
	assert_non_null(strstr(md, "_… 480 more changed sites_"));
	/* the biggest first */
	assert_non_null(strstr(md, "| new | +1.46 KiB | 0 B (0) | 1.46 KiB (1) | `site_499_"));
	free(md);
	md = capture(&d, NULL, 2, 0, &len);
	assert_int_equal(count(md, "| new |"), 500);
	assert_true(len < 60000);
	free(md);
	diff__release(&d);
	/* long cells: cut each at 120 bytes, and stop the table at the budget */
	for (size_t i = 0; i < new->s.nr_leaks; i++)
		new->frames[i][0].file = (char *)"/src/an_extremely_long_file_name_repeated_"
						 "an_extremely_long_file_name_repeated_"
						 "an_extremely_long_file_name_repeated_"
						 "an_extremely_long_file_name_repeated_.c";
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 1), 0);
	md = capture(&d, NULL, 2, 0, &len);
	assert_true(len < 61000);
	assert_non_null(strstr(md, "| `site_499_000000000000000000 (an_extremely_long_file_name_"
				   "repeated_an_extremely_long_file_name_repeated_an_extremely_long"
				   "…` |\n"));
	snprintf(more, sizeof(more), "_… %zu more changed sites_", 500 - count(md, "| new |"));
	assert_non_null(strstr(md, more));
	assert_true(count(md, "| new |") < 500);
	free(md);
	diff__release(&d);
	free(base);
	free(new);
}

static void test_markdown_escapes(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t len, pn;
	struct diff d;
	char *md;

	(void)state;
	add_proc(base, 1, "app", "/a/app", 0);
	pn = add_proc(new, 2, "app", "/a/app", 0);
	add_leak(new, pn, "operator|`x`", NULL, 8, 1);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	md = capture(&d, NULL, 2, 20, &len);
	assert_non_null(strstr(md, "| `operator\\|'x'` |\n"));
	free(md);
	diff__release(&d);
	free(base);
	free(new);
}

static void test_json(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	struct rule_results res;
	struct rule_set set = {};
	json_t *root, *site, *sum, *proc;
	json_error_t jerr;
	size_t len, pb, pn;
	struct diff d;
	char *text, err[128];

	(void)state;
	pb = add_proc(base, 1, "app", "/a/app", 100);
	pn = add_proc(new, 2, "app", "/a/app", 150);
	add_leak(base, pb, "keep", "k.c", 100, 1);
	add_leak(new, pn, "keep", "k.c", 150, 2);
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	assert_int_equal(rule_set__parse(&set, "peak_bytes:+10%", err, sizeof(err)), 0);
	assert_int_equal(rule_eval__diff(&set, &d, &res, err, sizeof(err)), 0);
	text = capture(&d, &res, 1, 0, &len);
	root = json_loads(text, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "schema")), "memtrace.diff.v1");
	assert_int_equal(json_integer_value(json_object_get(root, "depth")), 5);
	sum = json_object_get(json_object_get(root, "totals"), "peak_bytes");
	assert_int_equal(json_integer_value(json_object_get(sum, "before")), 100);
	assert_int_equal(json_integer_value(json_object_get(sum, "after")), 150);
	assert_int_equal(json_integer_value(json_object_get(sum, "change")), 50);
	assert_true(json_number_value(json_object_get(sum, "change_pct")) == 50.0);
	proc = json_array_get(json_object_get(root, "processes"), 0);
	assert_string_equal(json_string_value(json_object_get(proc, "status")), "matched");
	site = json_array_get(json_object_get(root, "sites"), 0);
	assert_string_equal(json_string_value(json_object_get(site, "status")), "grown");
	assert_string_equal(json_string_value(json_object_get(site, "key")),
			    "libc;keep@app;main@app");
	sum = json_object_get(site, "count");
	assert_int_equal(json_integer_value(json_object_get(sum, "change")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(root, "sites_summary"), "grown")),
			 1);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(root, "rules"), 0),
						 "broken")));
	assert_int_equal(json_integer_value(json_object_get(root, "rules_broken")), 1);
	json_decref(root);
	free(text);
	rule_results__release(&res);
	rule_set__release(&set);
	diff__release(&d);
	free(base);
	free(new);
}

static void test_text(void **state)
{
	struct build *base = build_new("base.json"), *new = build_new("new.json");
	size_t len, pb, pn;
	struct diff d;
	char *text;

	(void)state;
	pb = add_proc(base, 1, "app", "/a/app", 100);
	pn = add_proc(new, 2, "app", "/a/app", 150);
	add_leak(base, pb, "keep", "/src/k.c", 100, 1);
	add_leak(new, pn, "keep", "/src/k.c", 150, 2);
	for (int i = 0; i < 30; i++)
		add_leak(new, pn, i % 2 ? "odd" : "even", "/src/k.c", 1, 1);
	new->frames[new->s.nr_leaks - 1][1].symbol = (char *)"other_caller";
	assert_int_equal(diff__compute(&d, &base->s, &new->s, 5), 0);
	text = capture(&d, NULL, 0, 2, &len);
	assert_non_null(strstr(text, "memtrace diff: base.json -> new.json\n"));
	assert_non_null(strstr(text, "  peak_bytes                  100 B          150 B  +50 B, "
				     "+50.0%\n"));
	assert_non_null(strstr(text, "  app (pid 1 -> 2): peak +50 B, +50.0%; current +80 B, "
				     "+80.0%; allocs 0; leaks +80 B, +80.0%\n"));
	assert_non_null(strstr(text, "Leak sites (by allocator and 5 leaf frames): 3 new, 0 gone, "
				     "1 grown, 0 shrunk, 0 unchanged\n"));
	assert_non_null(strstr(text, "  grown     +50 B, +50.0%               100 B (1) -> "
				     "150 B (2)        keep (k.c:10)\n"));
	assert_non_null(strstr(text, "  ... 2 more changed sites (--top)\n"));
	assert_null(strstr(text, "Rules:"));
	free(text);
	diff__release(&d);
	free(base);
	free(new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_relocated_build_matches),
		cmocka_unit_test(test_process_pairs),
		cmocka_unit_test(test_merged_pairs),
		cmocka_unit_test(test_rules_on_diff),
		cmocka_unit_test(test_rules_on_check),
		cmocka_unit_test(test_markdown_bounded),
		cmocka_unit_test(test_markdown_escapes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
