// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare/merge.h"
#include "output/snapshot.h"
#include "util/json_writer.h"

/* one input's renumbered PIDs */
struct renumber {
	json_int_t *from, *to;
	size_t n;
};

struct leak_ref {
	json_t *leak;
	json_int_t size;	/* what the list is ordered by: bytes, or allocated_bytes */
	size_t order;		/* keeps equal sizes in input order */
};

/*
 * Any JSON value, through the writer (which keeps strings valid UTF-8).
 * Recursion is bounded: jansson refuses input nested deeper than 2048.
 */
static void write_value(struct json_writer *w, json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_writer__begin_object(w);
		json_object_foreach(v, key, item) {
			json_writer__key(w, key);
			write_value(w, item);
		}
		json_writer__end_object(w);
		break;
	case JSON_ARRAY:
		json_writer__begin_array(w);
		json_array_foreach(v, i, item)
			write_value(w, item);
		json_writer__end_array(w);
		break;
	case JSON_STRING:
		json_writer__string_len(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		json_writer__i64(w, json_integer_value(v));
		break;
	case JSON_REAL:
		json_writer__double(w, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		json_writer__bool(w, json_is_true(v));
		break;
	case JSON_NULL:
		json_writer__null(w);
		break;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *host_of(const struct merge_input *in)
{
	const char *host = json_string_value(json_object_get(in->root, "host"));

	return host ? host : "unknown";
}

/* Where a sum went past what a snapshot holds, for the one-line error. */
struct why {
	char *buf;
	size_t len;
};

/*
 * a + b into *total, or -EOVERFLOW naming where.key: a snapshot's integers
 * are at most 2^63-1, and a sum that wrapped or stuck there would be a lie.
 */
static int sum(json_int_t a, json_int_t b, json_int_t *total, const struct why *w,
	       const char *where, const char *key)
{
	if (!__builtin_add_overflow(a, b, total))
		return 0;
	snprintf(w->buf, w->len, "%s%s%s: the sum over the inputs is past 2^63-1 (%lld)", where,
		 *where && *key ? "." : "", key, (long long)INT64_MAX);
	return -EOVERFLOW;
}

/* Adds src's integer members to sums' (where names them in an error). */
static int add_counters(json_t *sums, json_t *src, const struct why *w, const char *where)
{
	json_int_t total;
	const char *key;
	json_t *v;
	int err;

	json_object_foreach(src, key, v) {
		json_int_t have = json_integer_value(json_object_get(sums, key));

		if (!json_is_integer(v))
			continue;
		err = sum(have, json_integer_value(v), &total, w, where, key);
		if (err)
			return err;
		if (json_object_set_new(sums, key, json_integer(total)))
			return -ENOMEM;
	}
	return 0;
}

static json_int_t pid_of(json_t *obj)
{
	return json_integer_value(json_object_get(obj, "pid"));
}

static bool pid_taken(const json_int_t *pids, size_t n, json_int_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static json_int_t highest_pid(const struct merge_input *in, size_t n)
{
	json_int_t high = 0;
	json_t *v;
	size_t j;

	for (size_t i = 0; i < n; i++) {
		json_array_foreach(json_object_get(in[i].root, "processes"), j, v)
			if (pid_of(v) > high)
				high = pid_of(v);
		json_array_foreach(json_object_get(in[i].root, "leaks"), j, v)
			if (pid_of(v) > high)
				high = pid_of(v);
		json_array_foreach(json_object_get(in[i].root, "freed_sites"), j, v)
			if (pid_of(v) > high)
				high = pid_of(v);
	}
	return high;
}

static int renumber__add(struct renumber *m, json_int_t from, json_int_t to)
{
	json_int_t *f = realloc(m->from, (m->n + 1) * sizeof(*f)), *t;

	if (!f)
		return -ENOMEM;
	m->from = f;
	t = realloc(m->to, (m->n + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	m->to = t;
	m->from[m->n] = from;
	m->to[m->n++] = to;
	return 0;
}

static json_int_t renumber__pid(const struct renumber *m, json_int_t pid)
{
	for (size_t k = 0; k < m->n; k++)
		if (m->from[k] == pid)
			return m->to[k];
	return pid;
}

/* Labels a process, and gives it a new PID when an earlier input took its own. */
static int relabel(json_t *p, const char *source, const json_int_t *taken, size_t nr_taken,
		   json_int_t *next, struct renumber *m, const struct why *w)
{
	json_int_t pid = pid_of(p);

	/* a merged input's processes keep the label of the file they came from */
	if (!json_object_get(p, "source") && json_object_set_new(p, "source", json_string(source)))
		return -ENOMEM;
	if (!pid_taken(taken, nr_taken, pid))
		return 0;
	/* the reader takes PIDs up to 2^32-1: past that the result could not be read back */
	if (*next >= UINT32_MAX) {
		snprintf(w->buf, w->len, "processes[].pid: no PID left to renumber PID %lld to "
					 "(they end at %u)", (long long)pid, UINT32_MAX);
		return -EOVERFLOW;
	}
	++*next;
	if (renumber__add(m, pid, *next) || json_object_set_new(p, "pid", json_integer(*next)) ||
	    json_object_set_new(p, "original_pid", json_integer(pid)))
		return -ENOMEM;
	return 0;
}

/*
 * PIDs repeated within one input stay as they are: its leaks could not be
 * told apart otherwise.
 */
static int relabel_processes(struct merge_input *in, size_t n, struct renumber *maps,
			     const struct why *w)
{
	json_int_t next = highest_pid(in, n), *taken = NULL;
	size_t nr_taken = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		json_t *procs = json_object_get(in[i].root, "processes"), *p;
		size_t earlier = nr_taken, j;
		char *source;
		json_int_t *grown;

		if (asprintf(&source, "%s@%s", base_name(in[i].path), host_of(&in[i])) < 0)
			return -ENOMEM;
		grown = realloc(taken, (nr_taken + json_array_size(procs) + 1) * sizeof(*taken));
		err = grown ? 0 : -ENOMEM;
		taken = grown ? grown : taken;
		json_array_foreach(procs, j, p) {
			if (err)
				break;
			err = relabel(p, source, taken, earlier, &next, &maps[i], w);
			taken[nr_taken++] = pid_of(p);
		}
		free(source);
	}
	free(taken);
	return err;
}

static int by_bytes(const void *a, const void *b)
{
	const struct leak_ref *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

/*
 * Every input's sites of list ("leaks", "freed_sites"), PIDs renumbered as
 * their processes', largest by field first.
 */
static json_t *merged_leaks(struct merge_input *in, size_t n, const struct renumber *maps,
			    const char *list, const char *field)
{
	struct leak_ref *refs = NULL;
	json_t *out = json_array(), *leak;
	size_t nr = 0, j;

	for (size_t i = 0; out && i < n; i++) {
		json_array_foreach(json_object_get(in[i].root, list), j, leak) {
			struct leak_ref *grown = realloc(refs, (nr + 1) * sizeof(*refs));
			json_int_t pid = renumber__pid(&maps[i], pid_of(leak));

			if (!grown)
				goto fail;
			refs = grown;
			refs[nr] = (struct leak_ref){
				leak, json_integer_value(json_object_get(leak, field)), nr };
			nr++;
			if (maps[i].n && json_object_set_new(leak, "pid", json_integer(pid)))
				goto fail;
		}
	}
	if (!out)
		goto fail;
	qsort(refs, nr, sizeof(*refs), by_bytes);
	for (size_t k = 0; k < nr; k++)
		if (json_array_append(out, refs[k].leak))
			goto fail;
	free(refs);
	return out;
fail:
	free(refs);
	json_decref(out);
	return NULL;
}

/*
 * The merged leaks are listed, not summed, yet every reader sums them
 * (leak_bytes, leak_count): a result no reader could take is refused here.
 */
static int check_leak_sums(struct merge_input *in, size_t n, const struct why *w)
{
	json_int_t bytes = 0, count = 0;
	json_t *leak;
	size_t j;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		json_array_foreach(json_object_get(in[i].root, "leaks"), j, leak) {
			err = sum(bytes, json_integer_value(json_object_get(leak, "bytes")), &bytes,
				  w, "leaks[]", "bytes");
			if (!err)
				err = sum(count, json_integer_value(json_object_get(leak, "count")),
					  &count, w, "leaks[]", "count");
			if (err)
				break;
		}
	}
	return err;
}

/* An input's entries: its own, or those of the snapshots it was merged from. */
static int add_merged_from(json_t *list, const struct merge_input *in)
{
	json_t *earlier = json_object_get(in->root, "merged_from"), *e;

	if (json_is_array(earlier))
		return json_array_extend(list, earlier) ? -ENOMEM : 0;
	e = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?}", "file", in->path, "host", host_of(in),
		      "started_at", json_object_get(in->root, "started_at"), "duration_s",
		      json_object_get(in->root, "duration_s"), "stack_mode",
		      json_object_get(in->root, "stack_mode"), "final",
		      json_object_get(in->root, "final"));
	return e && !json_array_append_new(list, e) ? 0 : -ENOMEM;
}

static const char *entry_host(json_t *entry)
{
	const char *host = json_string_value(json_object_get(entry, "host"));

	return host ? host : "unknown";
}

/* Every host of the inputs, once each: "node1,node2". */
static char *hosts_of(json_t *from)
{
	char *hosts = NULL;
	size_t len = 0, i, k;
	FILE *h = open_memstream(&hosts, &len);
	json_t *e;

	if (!h)
		return NULL;
	json_array_foreach(from, i, e) {
		const char *host = entry_host(e);
		bool seen = false;

		for (k = 0; k < i && !seen; k++)
			seen = !strcmp(entry_host(json_array_get(from, k)), host);
		if (!seen)
			fprintf(h, "%s%s", i ? "," : "", host);
	}
	if (fclose(h)) {
		free(hosts);
		return NULL;
	}
	return hosts;
}

/* The header fields: the earliest start, the longest run, every host. */
static int merge_header(json_t *root, struct merge_input *in, size_t n, json_t *from)
{
	const char *started = NULL, *mode = NULL;
	char *hosts = hosts_of(from);
	double duration = 0;
	json_int_t sample = 0;
	bool mixed = false;
	int err = -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		json_t *r = in[i].root;
		const char *s = json_string_value(json_object_get(r, "started_at"));
		const char *m = json_string_value(json_object_get(r, "stack_mode"));

		if (s && (!started || strcmp(s, started) < 0))
			started = s;
		if (json_number_value(json_object_get(r, "duration_s")) > duration)
			duration = json_number_value(json_object_get(r, "duration_s"));
		if (m && mode && strcmp(m, mode))
			mixed = true;
		mode = mode ? mode : m;
		if (json_integer_value(json_object_get(r, "sample_bytes")) > sample)
			sample = json_integer_value(json_object_get(r, "sample_bytes"));
	}
	if (!hosts || json_object_set_new(root, "schema", json_string(SNAPSHOT_SCHEMA)) ||
	    json_object_set_new(root, "tool", json_pack("{s:s, s:s}", "name", "memtrace", "version",
							 MEMTRACE_VERSION)) ||
	    (started && json_object_set_new(root, "started_at", json_string(started))) ||
	    json_object_set_new(root, "host", json_string(hosts)) ||
	    json_object_set_new(root, "duration_s", json_real(duration)) ||
	    (mode &&
	     json_object_set_new(root, "stack_mode", json_string(mixed ? "mixed" : mode))) ||
	    json_object_set_new(root, "sample_bytes", json_integer(sample)))
		goto cleanup;
	err = 0;
cleanup:
	free(hosts);
	return err;
}

/* Counts add up; the peaks of separate processes add up to an upper bound of the job's. */
static int merge_counts(json_t *root, struct merge_input *in, size_t n, const struct why *w)
{
	json_t *drops = json_object(), *totals = json_object();
	json_int_t lost = 0, lost_stacks = 0;
	int err = -ENOMEM;

	if (!drops || !totals)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		json_t *r = in[i].root;

		json_int_t l = json_integer_value(json_object_get(r, "lost_events"));
		json_int_t ls = json_integer_value(json_object_get(r, "lost_stacks"));

		err = sum(lost, l, &lost, w, "", "lost_events");
		if (!err)
			err = sum(lost_stacks, ls, &lost_stacks, w, "", "lost_stacks");
		if (!err)
			err = add_counters(drops, json_object_get(r, "drops"), w, "drops");
		if (!err)
			err = add_counters(totals, json_object_get(r, "totals"), w, "totals");
		if (err)
			goto cleanup;
	}
	err = -ENOMEM;
	if (json_object_set_new(root, "lost_events", json_integer(lost)) ||
	    json_object_set_new(root, "lost_stacks", json_integer(lost_stacks)) ||
	    json_object_set(root, "drops", drops) || json_object_set(root, "totals", totals))
		goto cleanup;
	err = 0;
cleanup:
	json_decref(drops);
	json_decref(totals);
	return err;
}

/* GPU totals ("gpu": kinds, OOM events), summed like the host's; absent if no input has them. */
static int merge_gpu(json_t *root, struct merge_input *in, size_t n, const struct why *w)
{
	json_t *gpu = NULL, *kinds = NULL;
	json_int_t ooms = 0;
	int err = -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		json_t *g = json_object_get(in[i].root, "gpu"), *k, *counters;
		char where[96];
		const char *kind;

		if (!json_is_object(g))
			continue;
		if (!kinds && !(kinds = json_object()))
			goto cleanup;
		err = sum(ooms, json_integer_value(json_object_get(g, "oom_events")), &ooms, w, "gpu",
			  "oom_events");
		if (err)
			goto cleanup;
		err = -ENOMEM;
		k = json_object_get(g, "kinds");
		json_object_foreach(k, kind, counters) {
			json_t *into = json_object_get(kinds, kind);

			if (!into) {
				if (json_object_set_new(kinds, kind, json_object()))
					goto cleanup;
				into = json_object_get(kinds, kind);
			}
			snprintf(where, sizeof(where), "gpu.kinds.%s", kind);
			err = add_counters(into, counters, w, where);
			if (err)
				goto cleanup;
			err = -ENOMEM;
		}
	}
	err = 0;
	if (!kinds)
		goto cleanup;
	gpu = json_object();
	if (!gpu || json_object_set(gpu, "kinds", kinds) ||
	    json_object_set_new(gpu, "oom_events", json_integer(ooms)) ||
	    json_object_set(root, "gpu", gpu))
		err = -ENOMEM;
cleanup:
	json_decref(gpu);
	json_decref(kinds);
	return err;
}

/*
 * Mappings totals ("mappings"): each input's is its processes' sum, so the
 * merged one sums them; absent if no input has one.
 */
static int merge_mappings(json_t *root, struct merge_input *in, size_t n, const struct why *w)
{
	json_t *sums = NULL;
	int err = -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object_get(in[i].root, "mappings");

		if (!json_is_object(m))
			continue;
		if (!sums && !(sums = json_object()))
			goto cleanup;
		err = add_counters(sums, m, w, "mappings");
		if (err)
			goto cleanup;
		err = -ENOMEM;
	}
	err = sums && json_object_set(root, "mappings", sums) ? -ENOMEM : 0;
cleanup:
	json_decref(sums);
	return err;
}

/* The entry of allocators (an array) named name, made when it is not there yet. */
static json_t *allocator_sums(json_t *allocators, const char *name)
{
	json_t *a;
	size_t i;

	json_array_foreach(allocators, i, a)
		if (!strcmp(json_string_value(json_object_get(a, "name")), name))
			return a;
	a = json_pack("{ss}", "name", name);
	if (!a || json_array_append_new(allocators, a))
		return NULL;
	return a;
}

/* The run's figures by allocator ("allocators"), summed by name; absent if no input has them. */
static int merge_allocators(json_t *root, struct merge_input *in, size_t n, const struct why *w)
{
	json_t *all = NULL;
	int err = -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		json_t *list = json_object_get(in[i].root, "allocators"), *a, *into;
		size_t j;

		if (!json_is_array(list))
			continue;
		if (!all && !(all = json_array()))
			goto cleanup;
		json_array_foreach(list, j, a) {
			json_t *name = json_object_get(a, "name");
			char where[96];

			if (!json_is_string(name))
				continue;
			into = allocator_sums(all, json_string_value(name));
			if (!into)
				goto cleanup;
			snprintf(where, sizeof(where), "allocators[%s]", json_string_value(name));
			err = add_counters(into, a, w, where);
			if (err)
				goto cleanup;
			err = -ENOMEM;
		}
	}
	err = all && json_object_set(root, "allocators", all) ? -ENOMEM : 0;
cleanup:
	json_decref(all);
	return err;
}

/* What --max-sites left out of each input's list of sites (key: "leaks_omitted"...). */
static int merge_omitted(json_t *root, struct merge_input *in, size_t n, const char *key,
			 const struct why *w)
{
	json_t *omitted = json_object();
	int err = omitted ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < n; i++)
		err = add_counters(omitted, json_object_get(in[i].root, key), w, key);
	if (!err && json_object_set(root, key, omitted))
		err = -ENOMEM;
	json_decref(omitted);
	return err;
}

/* Every input's modules, each (path, build id) once, in input order. */
static json_t *merged_modules(struct merge_input *in, size_t n)
{
	json_t *all = json_array(), *m, *seen;
	size_t j, k;

	for (size_t i = 0; all && i < n; i++) {
		json_array_foreach(json_object_get(in[i].root, "modules"), j, m) {
			bool known = false;

			json_array_foreach(all, k, seen)
				known |= json_equal(seen, m);
			if (!known && json_array_append(all, m)) {
				json_decref(all);
				return NULL;
			}
		}
	}
	return all;
}

/* Whether some input has key: a list older snapshots lack stays absent when all lack it. */
static bool any_has(struct merge_input *in, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (json_object_get(in[i].root, key))
			return true;
	return false;
}

/* The processes of every input, in input order, relabelled (relabel_processes). */
static json_t *merged_processes(struct merge_input *in, size_t n)
{
	json_t *all = json_array();

	for (size_t i = 0; all && i < n; i++) {
		if (json_array_extend(all, json_object_get(in[i].root, "processes"))) {
			json_decref(all);
			return NULL;
		}
	}
	return all;
}

static int build(json_t *root, struct merge_input *in, size_t n, struct renumber *maps,
		 const struct why *w)
{
	json_t *first = in[0].root, *from = json_array();
	int err = from ? relabel_processes(in, n, maps, w) : -ENOMEM;
	bool final = true;

	if (!err)
		err = check_leak_sums(in, n, w);
	for (size_t i = 0; !err && i < n; i++)
		err = add_merged_from(from, &in[i]);
	if (!err)
		err = merge_header(root, in, n, from);
	if (!err)
		err = merge_counts(root, in, n, w);
	if (!err)
		err = merge_gpu(root, in, n, w);
	if (!err)
		err = merge_mappings(root, in, n, w);
	if (!err)
		err = merge_allocators(root, in, n, w);
	if (err)
		goto cleanup;
	/* an interval snapshot in the mix makes the merged one an interval snapshot too */
	for (size_t i = 0; i < n; i++)
		final &= !json_is_false(json_object_get(in[i].root, "final"));
	err = -ENOMEM;
	if (json_object_set_new(root, "final", json_boolean(final)) ||
	    (json_object_get(first, "interval_s") &&
	     json_object_set(root, "interval_s", json_object_get(first, "interval_s"))) ||
	    (json_object_get(first, "leak_age_s") &&
	     json_object_set(root, "leak_age_s", json_object_get(first, "leak_age_s"))) ||
	    json_object_set_new(root, "processes", merged_processes(in, n)))
		goto cleanup;
	err = merge_omitted(root, in, n, "leaks_omitted", w);
	if (!err && any_has(in, n, "freed_sites"))
		err = merge_omitted(root, in, n, "freed_sites_omitted", w);
	if (err)
		goto cleanup;
	err = -ENOMEM;
	if (json_object_set_new(root, "leaks", merged_leaks(in, n, maps, "leaks", "bytes")) ||
	    (any_has(in, n, "freed_sites") &&
	     json_object_set_new(root, "freed_sites",
				 merged_leaks(in, n, maps, "freed_sites", "allocated_bytes"))) ||
	    (any_has(in, n, "modules") &&
	     json_object_set_new(root, "modules", merged_modules(in, n))) ||
	    json_object_set(root, "merged_from", from))
		goto cleanup;
	err = 0;
cleanup:
	json_decref(from);
	return err;
}

int merge__write(struct merge_input *in, size_t n, FILE *out, char *why_buf, size_t why_len)
{
	const struct why why = { .buf = why_buf, .len = why_len };
	struct renumber *maps = calloc(n + 1, sizeof(*maps));
	json_t *root = json_object();
	struct json_writer *w = NULL;
	int err = -ENOMEM;

	if (!n)
		err = -EINVAL;
	if (!maps || !root || !n)
		goto cleanup;
	if (why_len)
		why_buf[0] = '\0';
	err = build(root, in, n, maps, &why);
	if (err)
		goto cleanup;
	w = json_writer__new(out, true);
	if (!w) {
		err = -ENOMEM;
		goto cleanup;
	}
	write_value(w, root);
	err = json_writer__error(w);
	if (!err && fflush(out))
		err = -EIO;
cleanup:
	json_writer__free(w);
	json_decref(root);
	for (size_t i = 0; maps && i < n; i++) {
		free(maps[i].from);
		free(maps[i].to);
	}
	free(maps);
	return err;
}
