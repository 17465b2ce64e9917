// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "util/text_escape.h"

size_t text_escape__utf8_len(const unsigned char *s, size_t left)
{
	/* the second byte's range is what rules out overlongs, surrogates and > U+10FFFF */
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (!left)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0) {
		n = 2;
	} else if (s[0] < 0xf0) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] < 0xf5) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Well-formed, yet a terminal acts on it or a reader is misled: C1
 * controls, line and paragraph separators, bidirectional overrides.
 */
static bool hidden_control(const unsigned char *s, size_t n)
{
	if (n == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (n != 3 || s[0] != 0xe2)
		return false;
	return (s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
	       (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
}

static size_t hex_bytes(const unsigned char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = hex[s[i] >> 4];
		out[4 * i + 3] = hex[s[i] & 0xf];
	}
	return 4 * n;
}

/*
 * One character of s (left bytes there): how many bytes of s it takes,
 * and its escape in out (at most 4 * TEXT_ESCAPE_RATIO bytes), *out_len long.
 */
static size_t escape_one(const unsigned char *s, size_t left, enum text_escape_mode mode, char *out,
			 size_t *out_len)
{
	size_t n = text_escape__utf8_len(s, left);

	if (!n || s[0] < 0x20 || s[0] == 0x7f || hidden_control(s, n)) {
		n = n ? n : 1;
		*out_len = hex_bytes(s, n, out);
		return n;
	}
	*out_len = n;
	memcpy(out, s, n);
	if (s[0] == '\\') {
		out[1] = '\\';
		*out_len = 2;
	} else if (s[0] == '`' && mode != TEXT_ESCAPE_PLAIN) {
		out[0] = '\'';
	} else if (s[0] == '|' && mode == TEXT_ESCAPE_MD_CELL) {
		out[0] = '\\';
		out[1] = '|';
		*out_len = 2;
	}
	return n;
}

size_t text_escape__buf(const char *s, size_t len, enum text_escape_mode mode, char *buf,
			size_t size, bool *cut)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char one[4 * TEXT_ESCAPE_RATIO];
	size_t used = 0, n, out_len;

	if (cut)
		*cut = false;
	if (!size)
		return 0;
	while (p < end) {
		n = escape_one(p, end - p, mode, one, &out_len);
		if (used + out_len >= size) {
			if (cut)
				*cut = true;
			break;
		}
		memcpy(buf + used, one, out_len);
		used += out_len;
		p += n;
	}
	buf[used] = '\0';
	return used;
}

const char *text_escape(const char *s, char *buf, size_t size)
{
	text_escape__buf(s ? s : "", s ? strlen(s) : 0, TEXT_ESCAPE_PLAIN, buf, size, NULL);
	return buf;
}

int text_escape__fputs(const char *s, FILE *f)
{
	const char *text = s ? s : "";
	const unsigned char *p = (const unsigned char *)text, *end = p + strlen(text);
	char one[4 * TEXT_ESCAPE_RATIO];
	size_t n, out_len;

	while (p < end) {
		n = escape_one(p, end - p, TEXT_ESCAPE_PLAIN, one, &out_len);
		if (fwrite(one, 1, out_len, f) != out_len)
			return -EIO;
		p += n;
	}
	return 0;
}
