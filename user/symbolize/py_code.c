// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/py_code.h"
#include "symbolize/py_lines.h"

/* PyBytesObject (Include/cpython/bytesobject.h): ob_size at 16, the bytes at 32, every version */
#define BYTES_SIZE 16
#define BYTES_DATA 32

static int read_u64(py_read_fn read, void *ctx, uint64_t addr, uint64_t *out)
{
	return read(ctx, addr, out, sizeof(*out));
}

static int read_linetable(py_read_fn read, void *ctx, uint64_t bytes, struct py_code *out)
{
	int64_t size;
	int err = read(ctx, bytes + BYTES_SIZE, &size, sizeof(size));

	if (err)
		return err;
	if (size < 0 || size > PY_CODE_MAX_LINETABLE)
		return -EINVAL;
	out->linetable = malloc(size ? (size_t)size : 1);
	if (!out->linetable)
		return -ENOMEM;
	out->linetable_len = (size_t)size;
	return size ? read(ctx, bytes + BYTES_DATA, out->linetable, (size_t)size) : 0;
}

int py_code__read(py_read_fn read, void *ctx, const struct py_layout *l, uint64_t addr,
		  struct py_code *out)
{
	const struct py_offsets *o = &l->off;
	uint16_t name_at = o->code_qualname != PY_OFF_NONE ? o->code_qualname : o->code_name;
	uint64_t name, file, table;
	int32_t first;
	int err;

	memset(out, 0, sizeof(*out));
	err = read_u64(read, ctx, addr + name_at, &name) ?:
	      read_u64(read, ctx, addr + o->code_filename, &file) ?:
	      read_u64(read, ctx, addr + o->code_linetable, &table) ?:
	      read(ctx, addr + o->code_firstlineno, &first, sizeof(first));
	if (err)
		return err;
	out->firstlineno = first;
	return py_str__read(read, ctx, l->minor, name, out->name, sizeof(out->name)) ?:
	       py_str__read(read, ctx, l->minor, file, out->file, sizeof(out->file)) ?:
	       read_linetable(read, ctx, table, out);
}

void py_code__release(struct py_code *c)
{
	free(c->linetable);
	c->linetable = NULL;
	c->linetable_len = 0;
}

int py_code__line(const struct py_code *c, const struct py_layout *l, uint64_t code_addr,
		  uint64_t instr, int *line)
{
	uint64_t start;

	if (l->off.code_adaptive == PY_OFF_NONE) {
		/* 3.10: f_lasti, an int: -1 before the first instruction */
		if ((int32_t)instr < 0) {
			*line = c->firstlineno;
			return 0;
		}
		return py_lines__find(l->minor, c->linetable, c->linetable_len, c->firstlineno,
				      2 * (uint32_t)instr, line);
	}
	start = code_addr + l->off.code_adaptive;
	/* 3.11, 3.12: prev_instr is one unit before the start until the frame runs */
	if (instr < start) {
		*line = c->firstlineno;
		return 0;
	}
	return py_lines__find(l->minor, c->linetable, c->linetable_len, c->firstlineno,
			      (uint32_t)(instr - start), line);
}
