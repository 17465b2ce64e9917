// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>

#include "symbolize/py_lines.h"

/*
 * 3.10: (byte-offset delta, line delta) pairs from offset 0 and line
 * firstlineno; each covers [start, start + delta). A line delta of -128
 * gives its range no line and leaves the running line as it was.
 */
static int find_310(const uint8_t *table, size_t len, int firstlineno, uint32_t off, int *line)
{
	uint32_t start = 0, end;
	int cur = firstlineno;

	for (size_t i = 0; i + 1 < len; i += 2) {
		int8_t delta = (int8_t)table[i + 1];

		end = start + table[i];
		if (delta != -128)
			cur += delta;
		if (off >= start && off < end) {
			if (delta == -128)
				return -ENOENT;
			*line = cur;
			return 0;
		}
		start = end;
	}
	return len % 2 ? -EINVAL : -ENOENT;
}

/* A 3.11+ varint: 6 bits a byte, low first, bit 6 says another follows. */
static bool read_varint(const uint8_t *table, size_t len, size_t *i, uint32_t *out)
{
	uint32_t v = 0;

	for (int shift = 0; *i < len && shift < 32; shift += 6) {
		uint8_t b = table[(*i)++];

		v |= (uint32_t)(b & 63) << shift;
		if (!(b & 64)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* A signed one keeps the sign in bit 0. */
static bool read_svarint(const uint8_t *table, size_t len, size_t *i, int *out)
{
	uint32_t v;

	if (!read_varint(table, len, i, &v))
		return false;
	*out = v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
	return true;
}

/*
 * One 3.11+ entry at *i, whose first byte has bit 7 set: its length in
 * bytes of code (*bytes), its line delta, and whether it has a line.
 * Codes 0-9: the same line, one more byte; 10-12: line + code - 10, two
 * bytes; 13: a signed varint delta; 14: one, then the end line delta,
 * column and end column; 15: no location.
 */
static bool read_entry(const uint8_t *table, size_t len, size_t *i, uint32_t *bytes, int *delta,
		       bool *has_line)
{
	uint8_t b = table[(*i)++];
	int code = (b >> 3) & 15;
	uint32_t skip;

	*bytes = 2 * ((b & 7) + 1);
	*delta = 0;
	*has_line = code != 15;
	if (code < 10) {
		*i += 1;
	} else if (code < 13) {
		*delta = code - 10;
		*i += 2;
	} else if (code == 13) {
		return read_svarint(table, len, i, delta);
	} else if (code == 14) {
		return read_svarint(table, len, i, delta) && read_varint(table, len, i, &skip) &&
		       read_varint(table, len, i, &skip) && read_varint(table, len, i, &skip);
	}
	return *i <= len;
}

static int find_311(const uint8_t *table, size_t len, int firstlineno, uint32_t off, int *line)
{
	uint32_t start = 0, bytes;
	int cur = firstlineno, delta;
	bool has_line;
	size_t i = 0;

	while (i < len) {
		if (!(table[i] & 128) || !read_entry(table, len, &i, &bytes, &delta, &has_line))
			return -EINVAL;
		cur += delta;
		if (off >= start && off < start + bytes) {
			if (!has_line)
				return -ENOENT;
			*line = cur;
			return 0;
		}
		start += bytes;
	}
	return -ENOENT;
}

int py_lines__find(int minor, const uint8_t *table, size_t len, int firstlineno, uint32_t off,
		   int *line)
{
	if (minor == 10)
		return find_310(table, len, firstlineno, off, line);
	if (minor >= 11 && minor <= 13)
		return find_311(table, len, firstlineno, off, line);
	return -ENOTSUP;
}
