/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the unit tests share, linked into every one of them: hand-made ring
 * buffer records fed to a tracker, a run's report and snapshot written to
 * memory, the snapshot's JSON read back key by key, counters compared,
 * scratch directories, symbol offsets. Each fails the running test
 * (cmocka) on anything unexpected.
 */
#ifndef MEMTRACE_UNIT_HELPERS_H
#define MEMTRACE_UNIT_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "account/run_summary.h"
#include "account/tracker.h"

/* Hands a record to the tracker, which must take it. */
void unit__feed(struct tracker *t, void *rec, size_t size);
/* A stack record: n frames, leaf first. */
void unit__stack(struct tracker *t, uint32_t pid, uint64_t id, size_t n, const uint64_t *frames);

/* An allocator call as the BPF side reports it; what a test leaves out is 0. */
struct unit_call {
	enum mt_func func;
	uint32_t pid, tid;
	uint64_t ts_ns;
	uint64_t duration_ns;
	uint64_t stack_id;
	uint64_t addr, size, old_addr;
};

struct mt_event unit__call_event(const struct unit_call *c);
/* Feeds c's record to the tracker. */
void unit__call(struct tracker *t, const struct unit_call *c);

/* The text report of s, top sites, in *text (its old value freed) of *len bytes. */
const char *unit__report(const struct run_summary *s, int top, char **text, size_t *len);
/* The snapshot of s, in *text as above, and parsed back into *root (its old value released). */
json_t *unit__snapshot(const struct run_summary *s, char **text, size_t *len, json_t **root);

/* Fails the test at file:line, naming what, unless got's every counter is want's. */
void unit__check_counters(const struct mt_counters *got, const struct mt_counters *want,
			  const char *what, const char *file, int line);

/* counters__write_json's keys, in its order. */
#define UNIT_COUNTERS 9
extern const char *const unit_counter_keys[UNIT_COUNTERS];
/* Fails the test at file:line unless obj's counters (those keys) are want's. */
void unit__check_json_counters(json_t *obj, const struct mt_counters *want, const char *what,
			       const char *file, int line);

/* obj's key, which must be there. */
json_t *unit__get(json_t *obj, const char *key);
/* obj's key, a non-negative integer. */
uint64_t unit__get_u64(json_t *obj, const char *key);
/* obj's key, an array of n elements. */
json_t *unit__get_array(json_t *obj, const char *key, size_t n);

/* cmocka setup and teardown: a new directory under /tmp in *state, then gone with its files. */
int unit__make_dir(void **state);
int unit__remove_dir(void **state);
/* dir's names, sorted, joined by spaces; those starting with '.' only with hidden. */
const char *unit__listing(const char *dir, bool hidden);

/* CLOCK_MONOTONIC, in seconds. */
double unit__now_s(void);
/* The file offset of the function name in the ELF file at path, which must have it. */
uint64_t unit__func_offset(const char *path, const char *name);

#endif /* MEMTRACE_UNIT_HELPERS_H */
