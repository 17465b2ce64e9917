// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/protobuf.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

void pb__append(struct pb_buf *b, const void *data, size_t len)
{
	int err;

	if (!b->err && len && !data)
		b->err = -EINVAL;
	if (b->err || !len)
		return;
	if (len > SIZE_MAX - b->len) {
		b->err = -ENOMEM;
		return;
	}
	err = ARRAY_RESERVE(&b->data, &b->cap, b->len + len);
	if (err) {
		b->err = err;
		return;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb__varint(struct pb_buf *b, uint64_t v)
{
	uint8_t out[10];
	size_t n = 0;

	do {
		out[n] = v & 0x7f;
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	pb__append(b, out, n);
}

static void tag(struct pb_buf *b, uint32_t field, unsigned int wire)
{
	pb__varint(b, (uint64_t)field << 3 | wire);
}

void pb__uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	tag(b, field, WIRE_VARINT);
	pb__varint(b, v);
}

void pb__bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	tag(b, field, WIRE_LEN);
	pb__varint(b, len);
	pb__append(b, data, len);
}

void pb__string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb__bytes(b, field, s, strlen(s));
}

void pb__message(struct pb_buf *b, uint32_t field, struct pb_buf *sub)
{
	if (sub->err && !b->err)
		b->err = sub->err;
	pb__bytes(b, field, sub->data, sub->len);
	sub->len = 0;
}

void pb__packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	struct pb_buf tmp = {};

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		pb__varint(&tmp, v[i]);
	pb__message(b, field, &tmp);
	pb__release(&tmp);
}

void pb__release(struct pb_buf *b)
{
	free(b->data);
	*b = (struct pb_buf){};
}
