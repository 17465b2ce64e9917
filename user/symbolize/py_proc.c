// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include <memtrace/python.h>

#include "symbolize/py_frame_table.h"
#include "symbolize/py_proc.h"
#include "util/array.h"
#include "util/id_map.h"

/*
 * What tells one code object from another at the same address: a new one
 * has new name, file and table objects (interned strings may be shared,
 * the line table never is) and, mostly, another first line.
 */
struct code_identity {
	uint64_t name, qualname, filename, linetable;
	int32_t firstlineno;
};

struct code_entry {
	uint64_t addr;
	uint64_t checked;	/* the stack (py_proc.stacks) that last checked its identity */
	bool ok;		/* code holds what was read; else the frame is unknown */
	struct code_identity id;
	struct py_code code;
};

struct py_proc {
	bool found;
	const char *why;
	struct py_target target;
	py_read_fn read;
	void *ctx;
	pid_t pid;		/* the live reader's ctx */
	uint64_t stacks;	/* py_proc__begin_stack calls */
	struct code_entry *codes;
	size_t nr_codes, codes_cap;
	struct id_map by_addr;
};

struct py_proc *py_proc__new(const struct py_target *t, py_read_fn read, void *ctx)
{
	struct py_proc *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NULL;
	pp->found = true;
	pp->target = *t;
	pp->read = read;
	pp->ctx = ctx;
	/* a stack's checks are against 1 and up: a new entry (0) is always checked */
	pp->stacks = 1;
	return pp;
}

struct py_proc *py_proc__find(pid_t pid, const struct proc_maps *maps)
{
	struct py_target t;
	const char *why = NULL;
	struct py_proc *pp;
	int err;

	err = py_target__find(pid, maps, &t, &why);
	if (err)
		memset(&t, 0, sizeof(t));
	pp = py_proc__new(&t, py_str__read_process, NULL);
	if (!pp)
		return NULL;
	pp->pid = pid;
	pp->ctx = &pp->pid;
	pp->found = !err;
	if (err)
		pp->why = why ?: (err == -ENOENT ? "no CPython interpreter in its maps"
						  : "its interpreter could not be read");
	return pp;
}

void py_proc__free(struct py_proc *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->nr_codes; i++)
		py_code__release(&pp->codes[i].code);
	free(pp->codes);
	id_map__release(&pp->by_addr);
	free(pp);
}

bool py_proc__found(const struct py_proc *pp, const char **why)
{
	if (why)
		*why = pp->why;
	return pp->found;
}

/* Return addresses: the call is at pc - 1, which a call at a function's end needs */
static bool in_range(uint64_t pc, uint64_t start, uint64_t size)
{
	return size && pc - 1 >= start && pc - 1 - start < size;
}

bool py_proc__is_eval(const struct py_proc *pp, uint64_t pc)
{
	const struct py_layout *l = &pp->target.layout;

	return pp->found && (in_range(pc, pp->target.bias + l->eval, l->eval_size) ||
			     in_range(pc, pp->target.bias + l->eval_cold, l->eval_cold_size));
}

bool py_proc__in_module(const struct py_proc *pp, uint64_t pc)
{
	return pp->found && in_range(pc, pp->target.start, pp->target.end - pp->target.start);
}

void py_proc__begin_stack(struct py_proc *pp)
{
	pp->stacks++;
}

static uint64_t field_u64(const uint8_t *buf, uint16_t off)
{
	uint64_t v = 0;

	if (off != PY_OFF_NONE)
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* One read of the code object's head: the identity is a few pointers in its first ~120 bytes */
static int read_identity(const struct py_proc *pp, uint64_t addr, struct code_identity *id)
{
	const struct py_offsets *o = &pp->target.layout.off;
	const uint16_t ptrs[] = { o->code_name, o->code_qualname, o->code_filename,
				  o->code_linetable };
	size_t len = (size_t)o->code_firstlineno + sizeof(id->firstlineno);
	uint8_t buf[512];
	int err;

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
		if (ptrs[i] != PY_OFF_NONE && ptrs[i] + sizeof(uint64_t) > len)
			len = ptrs[i] + sizeof(uint64_t);
	if (o->code_firstlineno == PY_OFF_NONE || len > sizeof(buf))
		return -EINVAL;
	err = pp->read(pp->ctx, addr, buf, len);
	if (err)
		return err;
	*id = (struct code_identity){ .name = field_u64(buf, o->code_name),
				      .qualname = field_u64(buf, o->code_qualname),
				      .filename = field_u64(buf, o->code_filename),
				      .linetable = field_u64(buf, o->code_linetable) };
	memcpy(&id->firstlineno, buf + o->code_firstlineno, sizeof(id->firstlineno));
	return 0;
}

static bool same_identity(const struct code_identity *a, const struct code_identity *b)
{
	return a->name == b->name && a->qualname == b->qualname && a->filename == b->filename &&
	       a->linetable == b->linetable && a->firstlineno == b->firstlineno;
}

/* Reads e's code object again when it is not the one read before (or none was) */
static void check_entry(struct py_proc *pp, struct code_entry *e)
{
	struct code_identity id;

	e->checked = pp->stacks;
	if (read_identity(pp, e->addr, &id)) {
		/* gone: whatever it was, it is not what the stack names now */
		e->ok = false;
		return;
	}
	if (e->ok && same_identity(&id, &e->id))
		return;
	py_code__release(&e->code);
	e->ok = !py_code__read(pp->read, pp->ctx, &pp->target.layout, e->addr, &e->code);
	if (!e->ok)
		py_code__release(&e->code);
	e->id = id;
}

static struct code_entry *entry_of(struct py_proc *pp, uint64_t addr)
{
	int64_t idx = id_map__get(&pp->by_addr, addr);

	if (idx >= 0)
		return &pp->codes[idx];
	if (ARRAY_RESERVE(&pp->codes, &pp->codes_cap, pp->nr_codes + 1) ||
	    id_map__put(&pp->by_addr, addr, (uint32_t)pp->nr_codes))
		return NULL;
	pp->codes[pp->nr_codes] = (struct code_entry){ .addr = addr };
	return &pp->codes[pp->nr_codes++];
}

/* The line of a frame at instruction index (code units) of code e */
static uint32_t line_of(const struct py_proc *pp, const struct code_entry *e, uint64_t index)
{
	const struct py_layout *l = &pp->target.layout;
	uint64_t instr;
	int line;

	if (index == MT_PY_INDEX_NONE)
		return e->code.firstlineno > 0 ? (uint32_t)e->code.firstlineno : 0;
	/* 3.10 keeps f_lasti itself; 3.11+ a pointer into co_code_adaptive */
	instr = l->off.code_adaptive == PY_OFF_NONE ? index
						    : e->addr + l->off.code_adaptive + 2 * index;
	/* an instruction the table gives no line (an artificial one) shows its function's first */
	if (py_code__line(&e->code, l, e->addr, instr, &line) || line <= 0)
		line = e->code.firstlineno;
	return line > 0 ? (uint32_t)line : 0;
}

int py_proc__frame(struct py_proc *pp, uint64_t word, struct py_proc_frame *out)
{
	uint64_t addr = mt_py_word_code(word);
	struct code_entry *e;

	*out = (struct py_proc_frame){ .name = PY_FRAME_UNKNOWN_CODE };
	if (!pp->found || !addr)
		return 1;
	e = entry_of(pp, addr);
	if (!e)
		return -ENOMEM;
	if (e->checked != pp->stacks)
		check_entry(pp, e);
	if (!e->ok)
		return 1;
	out->name = e->code.name;
	out->file = e->code.file;
	out->line = line_of(pp, e, mt_py_word_index(word));
	return 0;
}
