// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pprof and folded output (user/render/) from hand-made snapshots, read by
 * the snapshot reader as memtrace report reads files: the exact folded
 * lines, and the pprof profile decoded back field by field.
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
#include <zlib.h>

#include "render/folded.h"
#include "render/pprof.h"

#define TOTALS                                                                      \
	"\"totals\": {\"current_bytes\": 0, \"peak_bytes\": 0, \"allocs\": 0, \"frees\": 0," \
	" \"reallocs\": 0, \"failed_allocs\": 0, \"allocated_bytes\": 0, \"freed_bytes\": 0," \
	" \"unknown_frees\": 0}"
#define HEAD "{\"schema\": \"memtrace.snapshot.v1\", \"duration_s\": 2.5, " TOTALS ", "
#define NATIVE(sym, mod, off, file, line, inl)                                              \
	"{\"kind\": \"native\", \"symbol\": " sym ", \"module\": " mod ", \"module_offset\": " \
	off ", \"file\": " file ", \"line\": " line ", \"inlined\": " inl "}"
#define MAIN NATIVE("\"main\"", "\"/bin/app\"", "\"0x1100\"", "\"app.c\"", "40", "false")

/*
 * Site 0 and 1: one stack (main -> work, in two processes), summed in folded.
 * Site 2: a helper inlined into work, a frame without a symbol, a ';' in a
 * name. Site 3: Python frames under a C function. Site 4: GPU memory. Site 5:
 * no stack.
 */
static const char snap_a[] =
	HEAD "\"processes\": [{\"pid\": 10, \"comm\": \"app\"}, {\"pid\": 11, \"comm\": \"app2\"}],"
	"\"leaks\": ["
	"{\"pid\": 10, \"allocator\": \"libc\", \"bytes\": 4000, \"count\": 4, \"stack\": ["
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1010\"", "\"app.c\"", "12", "false") ","
	MAIN "]},"
	"{\"pid\": 11, \"allocator\": \"libc\", \"bytes\": 96, \"count\": 3, \"stack\": ["
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1010\"", "\"app.c\"", "12", "false") ","
	MAIN "]},"
	"{\"pid\": 10, \"allocator\": \"cxx\", \"bytes\": 512, \"count\": 1, \"stack\": ["
	NATIVE("\"helper\"", "\"/bin/app\"", "\"0x1020\"", "\"util.h\"", "7", "true") ","
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1020\"", "\"app.c\"", "14", "false") ","
	NATIVE("null", "\"/lib/libx.so\"", "\"0x2a\"", "null", "null", "false") ","
	NATIVE("\"a;b\"", "\"/bin/app\"", "\"0x1200\"", "null", "null", "false") ","
	MAIN "]},"
	"{\"pid\": 10, \"allocator\": \"libc\", \"bytes\": 100, \"count\": 1, \"stack\": ["
	NATIVE("\"PyBytes_FromSize\"", "\"/lib/libpython.so\"", "\"0x500\"", "null", "null",
	       "false") ","
	"{\"kind\": \"python\", \"symbol\": \"Model.step\", \"file\": \"/src/train.py\", \"line\": 28,"
	" \"module\": null, \"module_offset\": null, \"inlined\": false},"
	"{\"kind\": \"python\", \"symbol\": \"<module>\", \"file\": \"train.py\", \"line\": 3,"
	" \"module\": null, \"module_offset\": null, \"inlined\": false}]},"
	"{\"pid\": 10, \"allocator\": \"cuda.device\", \"bytes\": 1048576, \"count\": 2, \"stack\": ["
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1010\"", "\"app.c\"", "12", "false") ","
	MAIN "]},"
	"{\"pid\": 10, \"allocator\": \"libc\", \"bytes\": 8, \"count\": 1, \"stack\": []}"
	"]}";

/* A second snapshot: another run of the same stack, summed with the first. */
static const char snap_b[] =
	HEAD "\"processes\": [{\"pid\": 20, \"comm\": \"app\"}], \"leaks\": ["
	"{\"pid\": 20, \"allocator\": \"libc\", \"bytes\": 1000, \"count\": 1, \"stack\": ["
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1010\"", "\"app.c\"", "12", "false") ","
	MAIN "]}]}";

static void load(const char *text, struct snapshot *s)
{
	char err[512];

	if (snapshot_reader__parse(text, strlen(text), "test.json", s, err, sizeof(err)))
		fail_msg("%s", err);
}

static char *folded(const struct snapshot *s, size_t n, enum folded_value value)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(folded__write(s, n, value, m), 0);
	fclose(m);
	return buf;
}

static void test_folded_bytes(void **state)
{
	struct snapshot s = {};
	char *text;

	(void)state;
	load(snap_a, &s);
	text = folded(&s, 1, FOLDED_BYTES);
	assert_string_equal(text,
			    "<module> (train.py:3);Model.step (train.py:28);PyBytes_FromSize 100\n"
			    "[cuda.device];main;work 1048576\n"
			    "[no stack] 8\n"
			    "main;a:b;[libx.so+0x2a];work;helper 512\n"
			    "main;work 4096\n");
	free(text);
	snapshot_reader__release(&s);
}

static void test_folded_count_two_snapshots(void **state)
{
	struct snapshot s[2] = {};
	char *text;

	(void)state;
	load(snap_a, &s[0]);
	load(snap_b, &s[1]);
	text = folded(s, 2, FOLDED_BLOCKS);
	assert_string_equal(text,
			    "<module> (train.py:3);Model.step (train.py:28);PyBytes_FromSize 1\n"
			    "[cuda.device];main;work 2\n"
			    "[no stack] 1\n"
			    "main;a:b;[libx.so+0x2a];work;helper 1\n"
			    "main;work 8\n");
	free(text);
	snapshot_reader__release(&s[0]);
	snapshot_reader__release(&s[1]);
}

static void test_folded_value_names(void **state)
{
	enum folded_value v = FOLDED_COUNT;

	(void)state;
	assert_int_equal(folded__parse_value("bytes", &v), 0);
	assert_int_equal(v, FOLDED_BYTES);
	assert_int_equal(folded__parse_value("blocks", &v), 0);
	assert_int_equal(v, FOLDED_BLOCKS);
	assert_int_equal(folded__parse_value("allocated", &v), 0);
	assert_int_equal(v, FOLDED_ALLOCATED);
	assert_int_equal(folded__parse_value("count", &v), 0);
	assert_int_equal(v, FOLDED_COUNT);
	assert_int_equal(folded__parse_value("objects", &v), -EINVAL);
	assert_int_equal(folded__parse_value("", &v), -EINVAL);
}

/*
 * A snapshot with allocated totals: work allocated 6 blocks (1200 bytes) in
 * thread 31 "worker", 2 live (400 bytes); churn allocated 10 (640 bytes),
 * from several threads, all freed: a freed site. An old-style site (no
 * totals) adds its live figures to bytes and blocks only.
 */
static const char snap_totals[] =
	HEAD "\"processes\": [{\"pid\": 30, \"comm\": \"app\"}],"
	"\"leaks\": ["
	"{\"pid\": 30, \"allocator\": \"libc\", \"bytes\": 400, \"count\": 2, \"allocs\": 6,"
	" \"allocated_bytes\": 1200, \"frees\": 4, \"freed_bytes\": 800, \"tid\": 31,"
	" \"thread_comm\": \"worker\", \"stack\": ["
	NATIVE("\"work\"", "\"/bin/app\"", "\"0x1010\"", "\"app.c\"", "12", "false") ","
	MAIN "]},"
	"{\"pid\": 30, \"allocator\": \"libc\", \"bytes\": 5, \"count\": 1, \"stack\": ["
	NATIVE("\"old\"", "\"/lib/libx.so\"", "\"0x2a\"", "null", "null", "false") "]}"
	"], \"freed_sites\": ["
	"{\"pid\": 30, \"allocator\": \"libc\", \"bytes\": 0, \"count\": 0, \"allocs\": 10,"
	" \"allocated_bytes\": 640, \"frees\": 10, \"freed_bytes\": 640, \"tid\": null,"
	" \"thread_comm\": null, \"stack\": ["
	NATIVE("\"churn\"", "\"/bin/app\"", "\"0x1030\"", "\"app.c\"", "20", "false") ","
	MAIN "]}],"
	"\"modules\": [{\"path\": \"/bin/app\", \"build_id\": \"0a1b2c3d\"},"
	" {\"path\": \"/lib/libx.so\", \"build_id\": null}]}";

static void test_folded_totals(void **state)
{
	static const struct {
		enum folded_value value;
		const char *text;
	} want[] = {
		{ FOLDED_BYTES, "main;work 400\nold 5\n" },
		{ FOLDED_BLOCKS, "main;work 2\nold 1\n" },
		/* the old-style site has no totals: 0, left out */
		{ FOLDED_ALLOCATED, "main;churn 640\nmain;work 1200\n" },
		{ FOLDED_COUNT, "main;churn 10\nmain;work 6\n" },
	};
	struct snapshot s = {};

	(void)state;
	load(snap_totals, &s);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *text = folded(&s, 1, want[i].value);

		assert_string_equal(text, want[i].text);
		free(text);
	}
	snapshot_reader__release(&s);
}

/* the reader takes module_offset as the writer writes it, "0x" and hex digits, or refuses it */
static void test_bad_module_offset(void **state)
{
	static const char *const bad[] = { "\"12\"", "\"0x\"", "\"0x12g\"", "12",
					   "\"0x10000000000000000\"" };
	char text[2048], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snapshot s = {};

		snprintf(text, sizeof(text),
			 HEAD "\"processes\": [], \"leaks\": [{\"pid\": 1, \"stack\": ["
			 NATIVE("\"f\"", "\"/bin/app\"", "%s", "null", "null", "false") "]}]}",
			 bad[i]);
		assert_int_equal(snapshot_reader__parse(text, strlen(text), "t.json", &s, err,
							sizeof(err)), -EINVAL);
		if (!strstr(err, "leaks[0].stack[0].module_offset"))
			fail_msg("%s: %s", bad[i], err);
		snapshot_reader__release(&s);
	}
}

/* ---- a reader of just enough protobuf to check the profile ---- */

struct field {
	uint32_t num;
	unsigned int wire;
	uint64_t v;		/* varint */
	const uint8_t *data;	/* length-delimited */
	size_t len;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

static bool next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t tag;

	if (*p >= end)
		return false;
	tag = varint(p, end);
	f->num = (uint32_t)(tag >> 3);
	f->wire = tag & 7;
	if (f->wire == 0) {
		f->v = varint(p, end);
	} else {
		assert_int_equal(f->wire, 2);
		f->len = varint(p, end);
		assert_true(f->len <= (size_t)(end - *p));
		f->data = *p;
		*p += f->len;
	}
	return true;
}

struct profile {
	char *strings[256];
	size_t nr_strings;
	struct field samples[16], locations[32], functions[32], mappings[8];
	size_t nr_samples, nr_locations, nr_functions, nr_mappings;
	uint64_t default_sample_type, duration_nanos;
	size_t nr_sample_types;
};

static void decode(const struct pb_buf *pb, struct profile *prof)
{
	const uint8_t *p = pb->data, *end = pb->data + pb->len;
	struct field f;

	memset(prof, 0, sizeof(*prof));
	while (next_field(&p, end, &f)) {
		switch (f.num) {
		case 1: prof->nr_sample_types++; break;
		case 2: prof->samples[prof->nr_samples++] = f; break;
		case 3: prof->mappings[prof->nr_mappings++] = f; break;
		case 4: prof->locations[prof->nr_locations++] = f; break;
		case 5: prof->functions[prof->nr_functions++] = f; break;
		case 6: prof->strings[prof->nr_strings++] = strndup((const char *)f.data, f.len); break;
		case 10: prof->duration_nanos = f.v; break;
		case 14: prof->default_sample_type = f.v; break;
		default: fail_msg("unexpected field %u", f.num);
		}
	}
}

/* The sub-fields num of a message, varints or packed varints, into v; their number. */
static size_t ints(const struct field *msg, uint32_t num, uint64_t *v, size_t max)
{
	const uint8_t *p = msg->data, *end = msg->data + msg->len;
	struct field f;
	size_t n = 0;

	while (next_field(&p, end, &f)) {
		if (f.num != num)
			continue;
		if (f.wire == 0) {
			v[n++] = f.v;
			continue;
		}
		for (const uint8_t *q = f.data; q < f.data + f.len && n < max;)
			v[n++] = varint(&q, f.data + f.len);
	}
	return n;
}

/* The sub-messages num of a message. */
static size_t messages(const struct field *msg, uint32_t num, struct field *out, size_t max)
{
	const uint8_t *p = msg->data, *end = msg->data + msg->len;
	struct field f;
	size_t n = 0;

	while (next_field(&p, end, &f))
		if (f.num == num && f.wire == 2 && n < max)
			out[n++] = f;
	return n;
}

static const char *label(const struct profile *prof, const struct field *sample, const char *key,
			 uint64_t *num)
{
	struct field labels[8];
	size_t n = messages(sample, 3, labels, 8);

	for (size_t i = 0; i < n; i++) {
		uint64_t k, s = 0;

		ints(&labels[i], 1, &k, 1);
		if (strcmp(prof->strings[k], key))
			continue;
		if (ints(&labels[i], 2, &s, 1))
			return prof->strings[s];
		if (num)
			ints(&labels[i], 3, num, 1);
		return "";
	}
	return NULL;
}

/* The function names of a location's lines, innermost first, joined by '|'. */
static void location_names(const struct profile *prof, uint64_t id, char *buf, size_t len)
{
	const struct field *loc = &prof->locations[id - 1];
	struct field lines[8];
	size_t n = messages(loc, 4, lines, 8);
	uint64_t check;

	ints(loc, 1, &check, 1);
	assert_int_equal(check, id);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		uint64_t fn, name;

		ints(&lines[i], 1, &fn, 1);
		ints(&prof->functions[fn - 1], 2, &name, 1);
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "|" : "",
			 prof->strings[name]);
	}
}

static void release_profile(struct profile *prof)
{
	for (size_t i = 0; i < prof->nr_strings; i++)
		free(prof->strings[i]);
}

static void test_pprof_profile(void **state)
{
	struct snapshot s = {};
	struct pb_buf pb = {};
	struct profile prof;
	uint64_t values[2], ids[8], pid = 0;
	char names[256];
	size_t n;

	(void)state;
	load(snap_a, &s);
	assert_int_equal(pprof__encode(&s, 1, &pb), 0);
	decode(&pb, &prof);
	assert_string_equal(prof.strings[0], "");
	assert_int_equal(prof.nr_sample_types, 2);
	assert_string_equal(prof.strings[prof.default_sample_type], "inuse_space");
	assert_int_equal(prof.duration_nanos, 2500000000ULL);
	/* one sample per site, none merged: pprof sums them itself */
	assert_int_equal(prof.nr_samples, 6);
	/* the modules with frames: /bin/app, /lib/libx.so and libpython */
	assert_int_equal(prof.nr_mappings, 3);

	/* site 0: values [inuse_objects, inuse_space], leaf first, labels */
	assert_int_equal(ints(&prof.samples[0], 2, values, 2), 2);
	assert_int_equal(values[0], 4);
	assert_int_equal(values[1], 4000);
	assert_int_equal(ints(&prof.samples[0], 1, ids, 8), 2);
	location_names(&prof, ids[0], names, sizeof(names));
	assert_string_equal(names, "work");
	location_names(&prof, ids[1], names, sizeof(names));
	assert_string_equal(names, "main");
	assert_string_equal(label(&prof, &prof.samples[0], "comm", NULL), "app");
	assert_string_equal(label(&prof, &prof.samples[0], "allocator", NULL), "libc");
	assert_non_null(label(&prof, &prof.samples[0], "pid", &pid));
	assert_int_equal(pid, 10);
	assert_null(label(&prof, &prof.samples[0], "kind", NULL));

	/* site 1: the same stack, the same locations */
	assert_int_equal(ints(&prof.samples[1], 1, values, 2), 2);
	assert_int_equal(values[0], ids[0]);
	assert_int_equal(values[1], ids[1]);
	assert_string_equal(label(&prof, &prof.samples[1], "comm", NULL), "app2");

	/* site 2: the inlined helper is a line of work's location */
	n = ints(&prof.samples[2], 1, ids, 8);
	assert_int_equal(n, 4);
	location_names(&prof, ids[0], names, sizeof(names));
	assert_string_equal(names, "helper|work");
	location_names(&prof, ids[1], names, sizeof(names));
	assert_string_equal(names, "[libx.so+0x2a]");
	location_names(&prof, ids[2], names, sizeof(names));
	assert_string_equal(names, "a;b");

	/* site 3: Python functions by their own names */
	n = ints(&prof.samples[3], 1, ids, 8);
	assert_int_equal(n, 3);
	location_names(&prof, ids[1], names, sizeof(names));
	assert_string_equal(names, "Model.step");
	location_names(&prof, ids[2], names, sizeof(names));
	assert_string_equal(names, "<module>");

	/* site 4: GPU memory, labelled by kind */
	assert_string_equal(label(&prof, &prof.samples[4], "allocator", NULL), "cuda.device");
	assert_string_equal(label(&prof, &prof.samples[4], "kind", NULL), "device");

	/* site 5: no stack, still its bytes */
	n = ints(&prof.samples[5], 1, ids, 8);
	assert_int_equal(n, 1);
	location_names(&prof, ids[0], names, sizeof(names));
	assert_string_equal(names, "[no stack]");

	release_profile(&prof);
	pb__release(&pb);
	snapshot_reader__release(&s);
}

/* The string a message's field num names in the string table; NULL when absent. */
static const char *string_field(const struct profile *prof, const struct field *msg, uint32_t num)
{
	uint64_t i;

	return ints(msg, num, &i, 1) ? prof->strings[i] : NULL;
}

/*
 * Sample types alloc_objects, alloc_space, inuse_objects, inuse_space (the
 * default); a freed site has alloc_* only; tid and thread labels; each
 * mapping with its build id.
 */
static void test_pprof_totals(void **state)
{
	static const char *const types[] = { "alloc_objects", "count", "alloc_space", "bytes",
					      "inuse_objects", "count", "inuse_space", "bytes" };
	struct snapshot s = {};
	struct pb_buf pb = {};
	struct profile prof;
	uint64_t values[4], tid = 0;
	struct field st[4];
	const uint8_t *p;
	struct field f;
	size_t n = 0;

	(void)state;
	load(snap_totals, &s);
	assert_int_equal(pprof__encode(&s, 1, &pb), 0);
	decode(&pb, &prof);
	assert_int_equal(prof.nr_sample_types, 4);
	/* the sample types are the profile's field 1, in order */
	for (p = pb.data; next_field(&p, pb.data + pb.len, &f) && n < 4;)
		if (f.num == 1)
			st[n++] = f;
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(string_field(&prof, &st[i], 1), types[2 * i]);
		assert_string_equal(string_field(&prof, &st[i], 2), types[2 * i + 1]);
	}
	assert_string_equal(prof.strings[prof.default_sample_type], "inuse_space");
	/* work, the old-style site, then the freed site */
	assert_int_equal(prof.nr_samples, 3);
	assert_int_equal(ints(&prof.samples[0], 2, values, 4), 4);
	assert_int_equal(values[0], 6);
	assert_int_equal(values[1], 1200);
	assert_int_equal(values[2], 2);
	assert_int_equal(values[3], 400);
	assert_string_equal(label(&prof, &prof.samples[0], "thread", NULL), "worker");
	assert_non_null(label(&prof, &prof.samples[0], "tid", &tid));
	assert_int_equal(tid, 31);
	/* a site of a snapshot without totals: its alloc_* 0, nothing said of threads */
	assert_int_equal(ints(&prof.samples[1], 2, values, 4), 4);
	assert_int_equal(values[0], 0);
	assert_int_equal(values[1], 0);
	assert_int_equal(values[3], 5);
	assert_null(label(&prof, &prof.samples[1], "thread", NULL));
	assert_int_equal(ints(&prof.samples[2], 2, values, 4), 4);
	assert_int_equal(values[0], 10);
	assert_int_equal(values[1], 640);
	assert_int_equal(values[2], 0);
	assert_int_equal(values[3], 0);
	assert_string_equal(label(&prof, &prof.samples[2], "thread", NULL), "several");
	assert_null(label(&prof, &prof.samples[2], "tid", NULL));
	/* /bin/app with its build id (field 6), /lib/libx.so without */
	assert_int_equal(prof.nr_mappings, 2);
	assert_string_equal(string_field(&prof, &prof.mappings[0], 5), "/bin/app");
	assert_string_equal(string_field(&prof, &prof.mappings[0], 6), "0a1b2c3d");
	assert_string_equal(string_field(&prof, &prof.mappings[1], 5), "/lib/libx.so");
	assert_null(string_field(&prof, &prof.mappings[1], 6));
	release_profile(&prof);
	pb__release(&pb);
	snapshot_reader__release(&s);
}

/* pprof__write is pprof__encode, gzip-compressed */
static void test_pprof_gzip(void **state)
{
	struct snapshot s = {};
	struct pb_buf pb = {};
	char *buf = NULL;
	size_t len = 0;
	unsigned char out[65536];
	z_stream zs = {};
	FILE *m;

	(void)state;
	load(snap_a, &s);
	assert_int_equal(pprof__encode(&s, 1, &pb), 0);
	m = open_memstream(&buf, &len);
	assert_int_equal(pprof__write(&s, 1, m), 0);
	fclose(m);
	assert_true(len > 2);
	assert_int_equal((unsigned char)buf[0], 0x1f);
	assert_int_equal((unsigned char)buf[1], 0x8b);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (unsigned char *)buf;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, pb.len);
	assert_memory_equal(out, pb.data, pb.len);
	inflateEnd(&zs);
	free(buf);
	pb__release(&pb);
	snapshot_reader__release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_bytes),
		cmocka_unit_test(test_folded_count_two_snapshots),
		cmocka_unit_test(test_folded_value_names),
		cmocka_unit_test(test_folded_totals),
		cmocka_unit_test(test_pprof_totals),
		cmocka_unit_test(test_bad_module_offset),
		cmocka_unit_test(test_pprof_profile),
		cmocka_unit_test(test_pprof_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
