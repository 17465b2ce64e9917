// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Read after the rest of the document (snapshot_reader.c), from the same
 * tree: the leaks are already counted, so each leak's details are one
 * element of an array as long as theirs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/snapshot_details.h"

static int read_command(const struct field_reader *r, json_t *root, struct snapshot *s)
{
	char where[FIELDS_PATH_LEN];
	json_t *cmd;
	int err;

	err = fields__array(r, root, "", "command", false, &cmd);
	if (err || !cmd || !json_array_size(cmd))
		return err;
	s->command = calloc(json_array_size(cmd), sizeof(*s->command));
	if (!s->command)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(cmd); i++) {
		json_t *v = json_array_get(cmd, i);

		snprintf(where, sizeof(where), "command[%zu]", i);
		if (!json_is_string(v))
			return fields__wrong_type(r, where, NULL, "a string", v);
		s->command[i] = strdup(json_string_value(v));
		if (!s->command[i])
			return -ENOMEM;
		s->nr_command++;
	}
	return 0;
}

static int read_gpu(const struct field_reader *r, json_t *root, struct snapshot *s)
{
	char where[FIELDS_PATH_LEN];
	json_t *gpu, *kinds, *v;
	const char *name;
	int err;

	err = fields__object(r, root, "", "gpu", &gpu);
	if (!err && gpu)
		err = fields__u64(r, gpu, "gpu", "oom_events", false, UINT64_MAX,
				  &s->gpu_oom_events);
	if (!err && gpu)
		err = fields__object(r, gpu, "gpu", "kinds", &kinds);
	if (err || !gpu || !kinds || !json_object_size(kinds))
		return err;
	s->gpu_kinds = calloc(json_object_size(kinds), sizeof(*s->gpu_kinds));
	if (!s->gpu_kinds)
		return -ENOMEM;
	json_object_foreach(kinds, name, v) {
		struct snap_gpu_kind *k = &s->gpu_kinds[s->nr_gpu_kinds++];

		snprintf(where, sizeof(where), "gpu.kinds.%.64s", name);
		if (!json_is_object(v))
			return fields__wrong_type(r, where, NULL, "an object", v);
		k->name = strdup(name);
		if (!k->name)
			return -ENOMEM;
		err = fields__counters(r, v, where, false, &k->c);
		if (err)
			return err;
	}
	return 0;
}

static int read_lifetimes(const struct field_reader *r, json_t *leak, const char *where,
			  struct snap_leak_detail *d)
{
	char at[FIELDS_PATH_LEN];
	json_t *arr;
	int err;

	err = fields__array(r, leak, where, "lifetimes", false, &arr);
	if (err || !arr || !json_array_size(arr))
		return err;
	d->lifetimes = calloc(json_array_size(arr), sizeof(*d->lifetimes));
	if (!d->lifetimes)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(arr) && !err; i++) {
		json_t *v = json_array_get(arr, i);
		struct snap_lifetime *l = &d->lifetimes[i];

		snprintf(at, sizeof(at), "%.80s.lifetimes[%zu]", where, i);
		if (!json_is_object(v))
			return fields__wrong_type(r, at, NULL, "an object", v);
		err = fields__u64(r, v, at, "le_ns", true, UINT64_MAX, &l->le_ns);
		if (!err)
			err = fields__u64(r, v, at, "freed", false, UINT64_MAX, &l->freed);
		if (!err)
			err = fields__u64(r, v, at, "live", false, UINT64_MAX, &l->live);
		d->nr_lifetimes++;
	}
	return err;
}

static int read_detail(const struct field_reader *r, json_t *leak, size_t i,
		       struct snap_leak_detail *d)
{
	char where[FIELDS_PATH_LEN];
	int err;

	snprintf(where, sizeof(where), "leaks[%zu]", i);
	err = fields__number(r, leak, where, "first_seen_s", &d->has_first_seen, &d->first_seen_s);
	if (!err)
		err = fields__number(r, leak, where, "oldest_age_s", &d->has_oldest_age,
				     &d->oldest_age_s);
	if (!err)
		err = fields__number(r, leak, where, "growth_bytes_per_step",
				     &d->has_growth_per_step, &d->growth_bytes_per_step);
	if (!err)
		err = read_lifetimes(r, leak, where, d);
	return err;
}

int snapshot_details__read(const struct field_reader *r, json_t *root, struct snapshot *s)
{
	json_t *leaks = json_object_get(root, "leaks");
	int err;

	err = fields__string(r, root, "", "started_at", NULL, &s->started_at);
	if (!err)
		err = read_command(r, root, s);
	if (!err)
		err = read_gpu(r, root, s);
	if (err || !s->nr_leaks)
		return err;
	s->leak_details = calloc(s->nr_leaks, sizeof(*s->leak_details));
	if (!s->leak_details)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_leaks && !err; i++)
		err = read_detail(r, json_array_get(leaks, i), i, &s->leak_details[i]);
	return err;
}

void snapshot_details__release(struct snapshot *s)
{
	for (size_t i = 0; i < s->nr_command; i++)
		free(s->command[i]);
	free(s->command);
	for (size_t i = 0; i < s->nr_gpu_kinds; i++)
		free(s->gpu_kinds[i].name);
	free(s->gpu_kinds);
	for (size_t i = 0; s->leak_details && i < s->nr_leaks; i++)
		free(s->leak_details[i].lifetimes);
	free(s->leak_details);
	free(s->started_at);
}
