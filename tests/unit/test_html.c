// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML pages (user/render/html*.c) from hand-made snapshots: the page
 * around the data (CSP, the built-in style and script), the data read back
 * as JSON (no '<' in it, frames and strings interned once, the snapshot's
 * numbers), and the diff page's statuses. tests/integration/test_html.c
 * opens real pages in a browser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/diff.h"
#include "render/html.h"
#include "render/html_assets.h"

#define TOTALS(cur)                                                                                \
	"\"totals\": {\"current_bytes\": " cur ", \"peak_bytes\": 9000, \"allocs\": 7,"            \
	" \"frees\": 2, \"reallocs\": 0, \"failed_allocs\": 0, \"allocated_bytes\": 9100,"         \
	" \"freed_bytes\": 100, \"unknown_frees\": 0}"
#define FRAME(sym, file, line)                                                                     \
	"{\"symbol\": \"" sym "\", \"module\": \"/bin/app\", \"file\": \"" file                    \
	"\", \"line\": " line "}"
#define WORK	FRAME("work", "app.c", "12")
#define MAIN	FRAME("main", "app.c", "40")
#define HOSTILE "</script><!--x"

static const char base_text[] =
	"{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"box\", \"duration_s\": 2.5,"
	" \"lost_events\": 3, \"command\": [\"./app\", \"-x\"], " TOTALS(
		"5000") ","
			" \"gpu\": {\"oom_events\": 2, \"kinds\": {\"device\": {\"current_bytes\": "
			"4096}}},"
			" \"processes\": [{\"pid\": 10, \"comm\": \"app\", \"threads\": [{\"tid\": "
			"11,"
			"  \"comm\": \"worker\", \"current_bytes\": 64}],"
			"  \"timeline\": {\"resolution_s\": 0.1, \"t_s\": [0, 0.2], "
			"\"host_bytes\": {\"libc\": [10, 20]},"
			"   \"events\": [{\"t_s\": 0.1, \"type\": \"gc\", \"duration_s\": 0.01, "
			"\"generation\": 1}]}}],"
			" \"leaks\": ["
			"{\"pid\": 10, \"bytes\": 4000, \"count\": 4, \"first_seen_s\": 0.5, "
			"\"lifetimes\":"
			" [{\"le_ns\": 1000, \"freed\": 1, \"live\": 4}], \"stack\": [" WORK
			", " MAIN "]},"
			"{\"pid\": 10, \"allocator\": \"cxx\", \"bytes\": 96, \"count\": 3, "
			"\"stack\": [" WORK ", " MAIN "]},"
			"{\"pid\": 10, \"bytes\": 900, \"count\": 3, \"stack\": [" FRAME(
				HOSTILE, "h.c", "3") ", " MAIN "]}"
			"], \"freed_sites\": [{\"pid\": 10, \"bytes\": 0, \"count\": 0,"
			" \"allocs\": 5, \"allocated_bytes\": 500, \"stack\": [" MAIN "]}]}";

/* the same process: work's libc site grew, the hostile one is gone, extra is new */
static const char new_text[] =
	"{\"schema\": \"memtrace.snapshot.v1\", \"host\": \"box\", \"duration_s\": 2.5, " TOTALS(
		"7000") ","
			" \"processes\": [{\"pid\": 20, \"comm\": \"app\"}], \"leaks\": ["
			"{\"pid\": 20, \"bytes\": 6000, \"count\": 6, \"stack\": [" WORK ", " MAIN
			"]},"
			"{\"pid\": 20, \"allocator\": \"cxx\", \"bytes\": 96, \"count\": 3, "
			"\"stack\": [" WORK ", " MAIN "]},"
			"{\"pid\": 20, \"bytes\": 2048, \"count\": 4, \"stack\": [" FRAME(
				"extra", "app.c", "50") ", " MAIN "]}"
							"]}";

#define DATA_OPEN "<script type=\"application/json\" id=\"memtrace-data\">"

static void load(const char *text, struct snapshot *s)
{
	char err[512];

	if (snapshot_reader__parse(text, strlen(text), "test.json", s, err, sizeof(err)))
		fail_msg("%s", err);
}

/* The page's data, parsed; the page itself in *page (free it). */
static json_t *page_data(char *page, size_t len)
{
	char *from = strstr(page, DATA_OPEN), *to;
	json_error_t jerr;
	json_t *data;

	assert_non_null(from);
	from += strlen(DATA_OPEN);
	to = strstr(from, "</script>");
	assert_non_null(to);
	/* nothing in the data can end its element or open a comment */
	assert_null(memchr(from, '<', (size_t)(to - from)));
	data = json_loadb(from, (size_t)(to - from), 0, &jerr);
	if (!data)
		fail_msg("page data: %d:%d: %s", jerr.line, jerr.column, jerr.text);
	assert_true(to < page + len);
	return data;
}

static void assert_page(const char *page, size_t len)
{
	assert_memory_equal(page, "<!DOCTYPE html>\n", 16);
	assert_non_null(strstr(page, "<meta http-equiv=\"Content-Security-Policy\" content=\""
				     "default-src 'none'; style-src 'unsafe-inline'; "
				     "script-src 'unsafe-inline'; img-src data:\">"));
	/* the built-in style and script, whole */
	assert_non_null(memmem(page, len, report_css, report_css_len));
	assert_non_null(memmem(page, len, report_js, report_js_len));
	assert_non_null(memmem(page, len, report_html, report_html_len));
}

static const char *str_at(json_t *data, json_t *index)
{
	assert_true(json_is_integer(index));
	return json_string_value(json_array_get(json_object_get(data, "strings"),
						(size_t)json_integer_value(index)));
}

/* frame number i of the data: "name file:line module" */
static void frame_text(json_t *data, json_int_t i, char *buf, size_t len)
{
	json_t *f = json_array_get(json_object_get(data, "frames"), (size_t)i);

	assert_int_equal(json_array_size(f), 4);
	snprintf(buf, len, "%s %s:%lld %s", str_at(data, json_array_get(f, 0)),
		 str_at(data, json_array_get(f, 1)),
		 (long long)json_integer_value(json_array_get(f, 2)),
		 str_at(data, json_array_get(f, 3)));
}

/* got equals want (stolen) */
static void assert_json(const json_t *got, json_t *want)
{
	assert_non_null(want);
	assert_true(json_equal(got, want));
	json_decref(want);
}

static json_int_t int_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_report_data(void **state)
{
	struct snapshot s;
	char *page = NULL, text[256];
	size_t len = 0;
	json_t *data, *sites, *snap, *proc, *strings;
	FILE *m;

	(void)state;
	load(base_text, &s);
	m = open_memstream(&page, &len);
	assert_non_null(m);
	assert_int_equal(html__write_report(&s, 1, m), 0);
	assert_int_equal(fclose(m), 0);
	assert_page(page, len);
	data = page_data(page, len);
	assert_string_equal(json_string_value(json_object_get(data, "kind")), "report");

	/* frames once each: work, main, the hostile one; their strings once each too */
	assert_int_equal(json_array_size(json_object_get(data, "frames")), 3);
	strings = json_object_get(data, "strings");
	for (size_t i = 0; i < json_array_size(strings); i++)
		for (size_t j = i + 1; j < json_array_size(strings); j++)
			assert_string_not_equal(json_string_value(json_array_get(strings, i)),
						json_string_value(json_array_get(strings, j)));
	sites = json_object_get(data, "sites");
	assert_int_equal(json_array_size(sites), 4);
	/* the freed site last, marked, with its allocated totals and nothing live */
	assert_true(json_is_true(json_object_get(json_array_get(sites, 3), "freed")));
	assert_int_equal(int_at(json_array_get(sites, 3), "bytes"), 0);
	assert_int_equal(int_at(json_array_get(sites, 3), "allocs"), 5);
	assert_int_equal(int_at(json_array_get(sites, 3), "allocated_bytes"), 500);
	assert_null(json_object_get(json_array_get(sites, 0), "freed"));
	frame_text(data,
		   json_integer_value(
			   json_array_get(json_object_get(json_array_get(sites, 0), "stack"), 0)),
		   text, sizeof(text));
	assert_string_equal(text, "work app.c:12 /bin/app");
	frame_text(data,
		   json_integer_value(
			   json_array_get(json_object_get(json_array_get(sites, 2), "stack"), 0)),
		   text, sizeof(text));
	assert_string_equal(text, HOSTILE " h.c:3 /bin/app");
	/* both sites of work's stack name the same frames */
	assert_true(json_equal(json_object_get(json_array_get(sites, 0), "stack"),
			       json_object_get(json_array_get(sites, 1), "stack")));
	assert_int_equal(int_at(json_array_get(sites, 0), "bytes"), 4000);
	assert_int_equal(int_at(json_array_get(sites, 0), "count"), 4);
	assert_int_equal(int_at(json_array_get(sites, 0), "proc"), 0);
	assert_true(json_real_value(json_object_get(json_array_get(sites, 0), "first_seen_s")) ==
		    0.5);
	assert_json(json_object_get(json_array_get(sites, 0), "lifetimes"),
		    json_pack("[[i, i, i]]", 1000, 1, 4));
	assert_true(json_is_null(json_object_get(json_array_get(sites, 1), "first_seen_s")));
	/* no per-site totals in this snapshot: no allocs, so the page offers no such view */
	assert_null(json_object_get(json_array_get(sites, 0), "allocs"));
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(sites, 1), "allocator")), "cxx");

	snap = json_array_get(json_object_get(data, "snapshots"), 0);
	assert_int_equal(int_at(json_object_get(snap, "totals"), "current_bytes"), 5000);
	assert_int_equal(int_at(json_object_get(snap, "totals"), "allocated_bytes"), 9100);
	assert_int_equal(int_at(snap, "lost_events"), 3);
	assert_int_equal(int_at(snap, "gpu_oom_events"), 2);
	assert_int_equal(int_at(json_object_get(json_object_get(snap, "gpu_kinds"), "device"),
				"current_bytes"),
			 4096);
	assert_string_equal(json_string_value(json_array_get(json_object_get(snap, "command"), 1)),
			    "-x");
	proc = json_array_get(json_object_get(snap, "processes"), 0);
	assert_string_equal(json_string_value(json_object_get(proc, "comm")), "app");
	assert_int_equal(int_at(json_object_get(json_array_get(json_object_get(proc, "threads"), 0),
						"counters"),
				"current_bytes"),
			 64);
	assert_json(
		json_object_get(json_object_get(json_object_get(proc, "timeline"), "host_bytes"),
				"libc"),
		json_pack("[i, i]", 10, 20));
	assert_int_equal(
		int_at(json_array_get(json_object_get(json_object_get(proc, "timeline"), "events"),
				      0),
		       "generation"),
		1);
	json_decref(data);
	free(page);
	snapshot_reader__release(&s);
}

static json_t *site_by_status(json_t *data, const char *status)
{
	json_t *sites = json_object_get(data, "sites"), *site;
	size_t i;

	json_array_foreach(sites, i, site) {
		json_t *diff = json_object_get(site, "diff");

		if (!strcmp(json_string_value(json_object_get(diff, "status")), status))
			return site;
	}
	fail_msg("no %s site", status);
	return NULL;
}

static void test_diff_data(void **state)
{
	struct snapshot base, new;
	struct diff d = {};
	char *page = NULL, text[256];
	size_t len = 0;
	json_t *data, *site, *m;
	FILE *f;
	size_t i;

	(void)state;
	load(base_text, &base);
	load(new_text, &new);
	assert_int_equal(diff__compute(&d, &base, &new, 5), 0);
	f = open_memstream(&page, &len);
	assert_non_null(f);
	assert_int_equal(html__write_diff(&d, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_page(page, len);
	data = page_data(page, len);
	assert_string_equal(json_string_value(json_object_get(data, "kind")), "diff");

	site = site_by_status(data, "grown");
	assert_int_equal(int_at(json_object_get(site, "diff"), "before"), 4000);
	assert_int_equal(int_at(json_object_get(site, "diff"), "after"), 6000);
	/* the new side's bytes and blocks size the flame graph */
	assert_int_equal(int_at(site, "bytes"), 6000);
	assert_int_equal(int_at(site, "count"), 6);
	assert_string_equal(json_string_value(json_object_get(site, "pname")), "app");
	site = site_by_status(data, "new");
	frame_text(data, json_integer_value(json_array_get(json_object_get(site, "stack"), 0)),
		   text, sizeof(text));
	assert_string_equal(text, "extra app.c:50 /bin/app");
	site = site_by_status(data, "gone");
	assert_int_equal(int_at(json_object_get(site, "diff"), "before"), 900);
	assert_int_equal(int_at(site, "bytes"), 0);
	assert_true(json_is_null(json_object_get(site, "proc")));

	json_array_foreach(json_object_get(data, "totals"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "name")), "current_bytes"))
			continue;
		assert_int_equal(int_at(m, "before"), 5000);
		assert_int_equal(int_at(m, "after"), 7000);
		assert_true(json_is_true(json_object_get(m, "bytes")));
		break;
	}
	assert_true(i < json_array_size(json_object_get(data, "totals")));
	json_decref(data);
	free(page);
	diff__release(&d);
	snapshot_reader__release(&base);
	snapshot_reader__release(&new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_data),
		cmocka_unit_test(test_diff_data),
	};

	return cmocka_run_group_tests_name("HTML pages", tests, NULL, NULL);
}
