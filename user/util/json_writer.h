/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Streaming JSON writer. Strings are written as valid UTF-8: bytes below
 * 0x20 become \u00XX, '"' and '\\' are escaped, and bytes that are not
 * valid UTF-8 become U+FFFD. Non-finite doubles are refused (written as
 * null, and the writer remembers -EINVAL). Commas and, with pretty output,
 * indentation are handled by the writer.
 */
#ifndef MEMTRACE_JSON_WRITER_H
#define MEMTRACE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

struct json_writer *json_writer__new(FILE *out, bool pretty);
void json_writer__free(struct json_writer *w);
/* 0, or the first error: -EINVAL (NaN/Inf, misnesting) or -EIO (write failed) */
int json_writer__error(const struct json_writer *w);

void json_writer__begin_object(struct json_writer *w);
void json_writer__end_object(struct json_writer *w);
void json_writer__begin_array(struct json_writer *w);
void json_writer__end_array(struct json_writer *w);
/* inside an object: the next value's key */
void json_writer__key(struct json_writer *w, const char *key);

void json_writer__string(struct json_writer *w, const char *s); /* NULL writes null */
void json_writer__string_len(struct json_writer *w, const char *s, size_t len);
void json_writer__u64(struct json_writer *w, uint64_t v);
void json_writer__i64(struct json_writer *w, int64_t v);
void json_writer__double(struct json_writer *w, double v);
void json_writer__bool(struct json_writer *w, bool v);
void json_writer__null(struct json_writer *w);

/* key + value in one call */
void json_writer__kv_string(struct json_writer *w, const char *key, const char *s);
void json_writer__kv_u64(struct json_writer *w, const char *key, uint64_t v);
void json_writer__kv_i64(struct json_writer *w, const char *key, int64_t v);
void json_writer__kv_double(struct json_writer *w, const char *key, double v);
void json_writer__kv_bool(struct json_writer *w, const char *key, bool v);

#endif /* MEMTRACE_JSON_WRITER_H */
