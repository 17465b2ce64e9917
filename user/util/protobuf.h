/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The little of protobuf's wire format a profile needs: varints (wire type
 * 0) and length-delimited fields (wire type 2: bytes, strings, packed
 * repeated varints, nested messages). A nested message is built in a buffer
 * of its own and then copied in, its length known: simpler than patching
 * lengths in place, and a profile's messages are small.
 */
#ifndef MEMTRACE_PROTOBUF_H
#define MEMTRACE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb_buf {
	uint8_t *data;
	size_t len, cap;
	/* the first failure (-ENOMEM); later writes do nothing, so callers check once */
	int err;
};

/* Bytes already encoded (fields of the same message, built elsewhere), as they are. */
void pb__append(struct pb_buf *b, const void *data, size_t len);
/* A varint alone: 1 to 10 bytes, low 7 bits first. */
void pb__varint(struct pb_buf *b, uint64_t v);
/* Field number field, wire type 0: int64, uint64 and bool (negative int64s take 10 bytes). */
void pb__uint(struct pb_buf *b, uint32_t field, uint64_t v);
/* Field number field, wire type 2: len bytes of data. */
void pb__bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
void pb__string(struct pb_buf *b, uint32_t field, const char *s);
/* A nested message built in sub; sub is emptied for the next one (its memory kept). */
void pb__message(struct pb_buf *b, uint32_t field, struct pb_buf *sub);
/* A packed repeated varint field (proto3's default for repeated scalars). */
void pb__packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);
/* NULL-safe on a zeroed buffer */
void pb__release(struct pb_buf *b);

#endif /* MEMTRACE_PROTOBUF_H */
