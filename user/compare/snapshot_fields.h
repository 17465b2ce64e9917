/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The snapshot reader's fields, one at a time (snapshot_reader.c and the
 * readers of its parts): an optional field that is absent or null leaves
 * *out at its default, a required one must be there and not null; a value
 * of the wrong type is named by its path ("processes[2].peak_bytes"):
 * jansson keeps no line or column after parsing.
 */
#ifndef MEMTRACE_SNAPSHOT_FIELDS_H
#define MEMTRACE_SNAPSHOT_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/counters.h"

/* Room for "leaks[N].stack[M].growth_bytes_per_s" with N and M as large as size_t goes. */
#define FIELDS_PATH_LEN 128

struct field_reader {
	const char *name;	/* the file, as messages name it */
	char *err;		/* the one-line reason of the first failure */
	size_t err_len;
};

/* Writes the file's name, then fmt (which starts with its own ':'), to r->err; returns err. */
__attribute__((format(printf, 3, 4))) int fields__fail(const struct field_reader *r, int err,
						       const char *fmt, ...);
/* Text from the file goes to a terminal: control bytes and non-ASCII become '?'. */
const char *fields__printable(const char *s, char *buf, size_t len);
/* What v is, for "expected X, found Y": "an object", "-3", "2.0". */
const char *fields__describe(const json_t *v, char *buf, size_t len);
/* -EINVAL: "file: where.key: expected want, found v" */
int fields__wrong_type(const struct field_reader *r, const char *where, const char *key,
		       const char *want, const json_t *v);
/* -EINVAL: "file: where.key: missing: not a complete memtrace snapshot" */
int fields__missing(const struct field_reader *r, const char *where, const char *key);

int fields__u64(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		bool required, uint64_t max, uint64_t *out);
int fields__u32(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		uint32_t *out);
int fields__bool(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		 bool *out);
/* *present (may be NULL) is set when the field held a number */
int fields__number(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		   bool *present, double *out);
/* A copy of the string at key, or of dflt (NULL: none) when absent or null; -ENOMEM. */
int fields__string(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		   const char *dflt, char **out);
/* An optional "0x..." string: the writer's hex addresses (frames.c). */
int fields__hex(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		uint64_t *out);
/* *out is NULL when an optional array is absent or null. */
int fields__array(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		  bool required, json_t **out);
/* *out is NULL when an optional object is absent or null. */
int fields__object(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		   json_t **out);
/* The counters of struct mt_counters, by their snapshot names. */
int fields__counters(const struct field_reader *r, json_t *obj, const char *where, bool required,
		     struct mt_counters *c);

#endif /* MEMTRACE_SNAPSHOT_FIELDS_H */
