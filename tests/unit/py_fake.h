/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fake CPython 3.11 process for the unit tests of Python frames: code
 * objects, str and bytes objects laid out by hand at made-up addresses,
 * read through a py_read_fn, and an interpreter (py_target) whose eval
 * loop and module are made-up ranges. Lets a test change a code object in
 * place, as a freed one taken by another at the same address.
 */
#ifndef MEMTRACE_TESTS_PY_FAKE_H
#define MEMTRACE_TESTS_PY_FAKE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "symbolize/py_layout.h"
#include "symbolize/py_target.h"

#define PY_FAKE_BASE 0x7f0000001000ULL
/* the fake interpreter module, and its eval loop inside it */
#define PY_FAKE_MODULE_START 0x400000ULL
#define PY_FAKE_MODULE_END 0x600000ULL
#define PY_FAKE_EVAL 0x450000ULL
#define PY_FAKE_EVAL_SIZE 0x10000ULL

struct py_fake {
	uint8_t mem[1 << 16];
	size_t used;
	uint64_t reads;		/* reads served: a cached code object costs none */
	uint64_t gone;		/* reads at this address fail: a freed and unmapped object */
};

static inline int py_fake__read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct py_fake *f = ctx;

	f->reads++;
	if (f->gone && addr == f->gone)
		return -EFAULT;
	if (addr < PY_FAKE_BASE || addr - PY_FAKE_BASE + len > f->used)
		return -EFAULT;
	memcpy(buf, f->mem + (addr - PY_FAKE_BASE), len);
	return 0;
}

static inline uint64_t py_fake__alloc(struct py_fake *f, size_t size)
{
	uint64_t at = PY_FAKE_BASE + f->used;

	f->used += (size + 15) & ~(size_t)15;
	return at;
}

static inline void py_fake__put(struct py_fake *f, uint64_t addr, const void *v, size_t len)
{
	memcpy(f->mem + (addr - PY_FAKE_BASE), v, len);
}

/* A compact ASCII str of 3.11: length at 16, state at 32, the characters at 48 */
static inline uint64_t py_fake__str(struct py_fake *f, const char *s)
{
	int64_t n = (int64_t)strlen(s);
	uint32_t state = 1u << 2 | 1u << 5 | 1u << 6;
	uint64_t at = py_fake__alloc(f, 48 + (size_t)n + 1);

	py_fake__put(f, at + 16, &n, sizeof(n));
	py_fake__put(f, at + 32, &state, sizeof(state));
	py_fake__put(f, at + 48, s, (size_t)n + 1);
	return at;
}

/* A bytes object: ob_size at 16, the bytes at 32 */
static inline uint64_t py_fake__bytes(struct py_fake *f, const uint8_t *b, size_t n)
{
	int64_t size = (int64_t)n;
	uint64_t at = py_fake__alloc(f, 32 + n + 1);

	py_fake__put(f, at + 16, &size, sizeof(size));
	py_fake__put(f, at + 32, b, n);
	return at;
}

/*
 * Fills the code object at addr (3.11 offsets): its name, file, first line,
 * and a location table whose first 8 code units are on line first + 2.
 */
static inline void py_fake__code_at(struct py_fake *f, uint64_t addr, const char *name,
				    const char *qualname, const char *file, int32_t first)
{
	/* code 13 (no columns), 8 units; signed varint +2 */
	static const uint8_t table[] = { 0x80 | 13 << 3 | 7, 2 << 1 };
	struct py_offsets o;
	uint64_t v;

	py_layout__builtin(11, &o);
	v = py_fake__str(f, name);
	py_fake__put(f, addr + o.code_name, &v, sizeof(v));
	v = py_fake__str(f, qualname);
	py_fake__put(f, addr + o.code_qualname, &v, sizeof(v));
	v = py_fake__str(f, file);
	py_fake__put(f, addr + o.code_filename, &v, sizeof(v));
	v = py_fake__bytes(f, table, sizeof(table));
	py_fake__put(f, addr + o.code_linetable, &v, sizeof(v));
	py_fake__put(f, addr + o.code_firstlineno, &first, sizeof(first));
}

static inline uint64_t py_fake__code(struct py_fake *f, const char *qualname, const char *file,
				     int32_t first)
{
	const char *dot = strrchr(qualname, '.');
	uint64_t at = py_fake__alloc(f, 256);

	py_fake__code_at(f, at, dot ? dot + 1 : qualname, qualname, file, first);
	return at;
}

/* The interpreter of the fake process: 3.11, non-PIE (bias 0) */
static inline void py_fake__target(struct py_target *t)
{
	memset(t, 0, sizeof(*t));
	t->layout.major = 3;
	t->layout.minor = 11;
	t->layout.marker = PY_MARKER_IS_ENTRY;
	t->layout.eval = PY_FAKE_EVAL;
	t->layout.eval_size = PY_FAKE_EVAL_SIZE;
	py_layout__builtin(11, &t->layout.off);
	strcpy(t->module, "/usr/bin/python3.11");
	t->start = PY_FAKE_MODULE_START;
	t->end = PY_FAKE_MODULE_END;
}

#endif /* MEMTRACE_TESTS_PY_FAKE_H */
