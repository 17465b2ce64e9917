// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * PyASCIIObject (Include/cpython/unicodeobject.h): length at 16, the state
 * bit field at 32 (kind in bits 2-4, compact bit 5, ascii bit 6), then on
 * 3.10 and 3.11 the wstr pointer, which 3.12 removed: the header is 48
 * bytes, 40 from 3.12. A compact non-ASCII string (PyCompactUnicodeObject)
 * adds utf8_length and utf8, and wstr_length before 3.12: 72 bytes, 56
 * from 3.12. The characters follow the header, 1, 2 or 4 bytes each.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>

#include "symbolize/py_str.h"

#define STR_LENGTH 16
#define STR_STATE 32
#define STATE_KIND(s) (((s) >> 2) & 7)
#define STATE_COMPACT (1u << 5)
#define STATE_ASCII (1u << 6)
/* the characters read at once, at most: a name or file name is shorter */
#define MAX_CHARS 1024

int py_str__read_process(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(*(pid_t *)ctx, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* c as UTF-8 at out[*n], if it fits below cap - 1 (the NUL's place). */
static bool put_utf8(uint32_t c, char *out, size_t cap, size_t *n)
{
	uint8_t b[4];
	size_t len;

	/* a lone surrogate (a str may hold one) is no UTF-8: U+FFFD */
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		b[0] = c;
		len = 1;
	} else if (c < 0x800) {
		b[0] = 0xc0 | c >> 6;
		b[1] = 0x80 | (c & 63);
		len = 2;
	} else if (c < 0x10000) {
		b[0] = 0xe0 | c >> 12;
		b[1] = 0x80 | ((c >> 6) & 63);
		b[2] = 0x80 | (c & 63);
		len = 3;
	} else {
		b[0] = 0xf0 | c >> 18;
		b[1] = 0x80 | ((c >> 12) & 63);
		b[2] = 0x80 | ((c >> 6) & 63);
		b[3] = 0x80 | (c & 63);
		len = 4;
	}
	if (*n + len >= cap)
		return false;
	memcpy(out + *n, b, len);
	*n += len;
	return true;
}

int py_str__read(py_read_fn read, void *ctx, int minor, uint64_t addr, char *out, size_t cap)
{
	uint8_t head[STR_STATE + 4], chars[MAX_CHARS * 4];
	size_t header, width, count, n = 0;
	uint32_t state;
	int64_t length;
	int err;

	if (minor < 10 || minor > 13)
		return -ENOTSUP;
	err = read(ctx, addr, head, sizeof(head));
	if (err)
		return err;
	memcpy(&length, head + STR_LENGTH, sizeof(length));
	memcpy(&state, head + STR_STATE, sizeof(state));
	width = STATE_KIND(state);
	if (!(state & STATE_COMPACT))
		return -ENOTSUP;
	if (length < 0 || (width != 1 && width != 2 && width != 4) ||
	    ((state & STATE_ASCII) && width != 1))
		return -EINVAL;
	if (state & STATE_ASCII)
		header = minor < 12 ? 48 : 40;
	else
		header = minor < 12 ? 72 : 56;
	count = (size_t)length < MAX_CHARS ? (size_t)length : MAX_CHARS;
	err = count ? read(ctx, addr + header, chars, count * width) : 0;
	if (err)
		return err;
	for (size_t i = 0; i < count; i++) {
		uint32_t c = 0;

		/* little endian, as the host: the low bytes of c */
		memcpy(&c, chars + i * width, width);
		if (!put_utf8(c, out, cap, &n))
			break;
	}
	out[n] = '\0';
	return 0;
}
