// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Output conventions, fixed so that tests and readers can rely on them:
 * - control bytes are escaped as \u00xx with lowercase hex, never as \n or
 *   \t, so every one of the 32 looks the same;
 * - each byte that does not start a well-formed UTF-8 sequence (Unicode
 *   table 3-7) becomes one U+FFFD, so the replacement count tells how many
 *   bytes were bad;
 * - doubles use the shortest of %.15g, %.16g and %.17g that reads back as
 *   the same value: 0.1 stays "0.1", yet no value loses bits;
 * - pretty output ends the top-level value with a newline, so a file ends
 *   with one; compact output adds nothing, leaving framing to the caller.
 * A call that would make the document malformed (misnesting, a second
 * top-level value, nesting deeper than JSON_WRITER_MAX_DEPTH) writes
 * nothing and records -EINVAL.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_writer.h"
#include "util/text_escape.h"

#define JSON_WRITER_MAX_DEPTH 64

struct json_level {
	bool is_object;
	bool has_items;
};

struct json_writer {
	FILE *out;
	bool pretty;
	/* only the innermost container can be waiting for a key's value */
	bool key_pending;
	bool root_done;
	int err;
	unsigned int depth;
	struct json_level stack[JSON_WRITER_MAX_DEPTH];
};

struct json_writer *json_writer__new(FILE *out, bool pretty)
{
	struct json_writer *w;

	if (!out) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->out = out;
	w->pretty = pretty;
	return w;
}

void json_writer__free(struct json_writer *w)
{
	free(w);
}

int json_writer__error(const struct json_writer *w)
{
	if (w->err)
		return w->err;
	/* a failed flush of buffered output shows only in the stream's flag */
	return ferror(w->out) ? -EIO : 0;
}

static void set_error(struct json_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

/*
 * A snapshot is millions of small writes: the unlocked fwrite skips a lock
 * per call (a writer is only ever used by one thread).
 */
static void put(struct json_writer *w, const void *buf, size_t len)
{
	if (fwrite_unlocked(buf, 1, len, w->out) != len)
		set_error(w, -EIO);
}

static void put_str(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Indentation is most of a pretty snapshot's bytes: one write per line. */
static void newline_indent(struct json_writer *w, unsigned int depth)
{
	static const char line[1 + 2 * JSON_WRITER_MAX_DEPTH] = {
		'\n', [1 ... 2 * JSON_WRITER_MAX_DEPTH] = ' ',
	};

	put(w, line, 1 + 2 * depth);
}

static struct json_level *top(struct json_writer *w)
{
	return w->depth ? &w->stack[w->depth - 1] : NULL;
}

/* Separates a container's next item (a key, or an array element) from the previous one. */
static void next_item(struct json_writer *w, struct json_level *t)
{
	if (t->has_items)
		put(w, ",", 1);
	t->has_items = true;
	if (w->pretty)
		newline_indent(w, w->depth);
}

static void put_quoted(struct json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	/* bytes that pass unchanged are written in runs, not one by one */
	const unsigned char *run = p;
	size_t n;

	put(w, "\"", 1);
	while (p < end) {
		if (*p >= 0x20 && *p != '"' && *p != '\\') {
			n = text_escape__utf8_len(p, end - p);
			if (n) {
				p += n;
				continue;
			}
		}
		put(w, run, p - run);
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', *p};

			put(w, esc, sizeof(esc));
		} else if (*p < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0xf]};

			put(w, esc, sizeof(esc));
		} else {
			put(w, "\xef\xbf\xbd", 3);
		}
		run = ++p;
	}
	put(w, run, p - run);
	put(w, "\"", 1);
}

/*
 * Checks that a value may go here and writes what precedes it. Returns
 * false, having recorded -EINVAL, when it may not.
 */
static bool value_begin(struct json_writer *w)
{
	struct json_level *t = top(w);

	if (!t) {
		if (w->root_done) {
			set_error(w, -EINVAL);
			return false;
		}
		return true;
	}
	if (t->is_object) {
		if (!w->key_pending) {
			set_error(w, -EINVAL);
			return false;
		}
		w->key_pending = false;
		return true;
	}
	next_item(w, t);
	return true;
}

static void value_end(struct json_writer *w)
{
	if (w->depth)
		return;
	w->root_done = true;
	if (w->pretty)
		put(w, "\n", 1);
}

static void begin(struct json_writer *w, bool is_object)
{
	if (w->depth == JSON_WRITER_MAX_DEPTH) {
		set_error(w, -EINVAL);
		return;
	}
	if (!value_begin(w))
		return;
	put(w, is_object ? "{" : "[", 1);
	w->stack[w->depth].is_object = is_object;
	w->stack[w->depth].has_items = false;
	w->depth++;
}

static void end(struct json_writer *w, bool is_object)
{
	struct json_level *t = top(w);

	if (!t || t->is_object != is_object || w->key_pending) {
		set_error(w, -EINVAL);
		return;
	}
	w->depth--;
	if (t->has_items && w->pretty)
		newline_indent(w, w->depth);
	put(w, is_object ? "}" : "]", 1);
	value_end(w);
}

void json_writer__begin_object(struct json_writer *w)
{
	begin(w, true);
}

void json_writer__end_object(struct json_writer *w)
{
	end(w, true);
}

void json_writer__begin_array(struct json_writer *w)
{
	begin(w, false);
}

void json_writer__end_array(struct json_writer *w)
{
	end(w, false);
}

void json_writer__key(struct json_writer *w, const char *key)
{
	struct json_level *t = top(w);

	if (!key || !t || !t->is_object || w->key_pending) {
		set_error(w, -EINVAL);
		return;
	}
	next_item(w, t);
	put_quoted(w, key, strlen(key));
	put_str(w, w->pretty ? ": " : ":");
	w->key_pending = true;
}

/* For values that are written as they are: numbers and literals. */
static void raw_value(struct json_writer *w, const char *text)
{
	if (!value_begin(w))
		return;
	put_str(w, text);
	value_end(w);
}

void json_writer__string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!s) {
		raw_value(w, "null");
		return;
	}
	if (!value_begin(w))
		return;
	put_quoted(w, s, len);
	value_end(w);
}

void json_writer__string(struct json_writer *w, const char *s)
{
	json_writer__string_len(w, s, s ? strlen(s) : 0);
}

void json_writer__u64(struct json_writer *w, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	raw_value(w, buf);
}

void json_writer__i64(struct json_writer *w, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	raw_value(w, buf);
}

void json_writer__double(struct json_writer *w, double v)
{
	/* "-2.2250738585072014e-308" is the longest %.17g makes */
	char buf[32];
	int prec;

	if (!isfinite(v)) {
		/* null keeps the document valid; the error tells the caller it lost a value */
		set_error(w, -EINVAL);
		raw_value(w, "null");
		return;
	}
	for (prec = 15;; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (prec == 17 || strtod(buf, NULL) == v)
			break;
	}
	/*
	 * 50.0 prints as "50": a reader that tells integers from reals (jansson,
	 * Python) would see the field change type from one snapshot to the next
	 */
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	raw_value(w, buf);
}

void json_writer__bool(struct json_writer *w, bool v)
{
	raw_value(w, v ? "true" : "false");
}

void json_writer__null(struct json_writer *w)
{
	raw_value(w, "null");
}

void json_writer__kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_writer__key(w, key);
	json_writer__string(w, s);
}

void json_writer__kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_writer__key(w, key);
	json_writer__u64(w, v);
}

void json_writer__kv_i64(struct json_writer *w, const char *key, int64_t v)
{
	json_writer__key(w, key);
	json_writer__i64(w, v);
}

void json_writer__kv_double(struct json_writer *w, const char *key, double v)
{
	json_writer__key(w, key);
	json_writer__double(w, v);
}

void json_writer__kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_writer__key(w, key);
	json_writer__bool(w, v);
}
