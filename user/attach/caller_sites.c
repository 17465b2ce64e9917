// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <elfutils/libdw.h>
#include <libelf.h>

#include "attach/caller_sites.h"
#include "symbolize/debuginfo.h"
#include "symbolize/elf_file.h"
#include "util/array.h"

/* Far more than any of these functions: past it the code is not what we take it for. */
#define MAX_FUNC_BYTES 4096
/* A frame deeper than this is no operator new's */
#define MAX_FRAME_OFFSET (1 << 16)

/* DWARF x86-64 register numbers */
#define DWARF_REG_RBP 6
#define DWARF_REG_RSP 7

/* The Itanium C++ ABI's operator new, every variant (x86-64: size_t is m) */
static const char *const cxx_new_names[] = {
	"_Znwm",
	"_Znam",
	"_ZnwmRKSt9nothrow_t",
	"_ZnamRKSt9nothrow_t",
	"_ZnwmSt11align_val_t",
	"_ZnamSt11align_val_t",
	"_ZnwmSt11align_val_tRKSt9nothrow_t",
	"_ZnamSt11align_val_tRKSt9nothrow_t",
};

/* glibc's cleanup of a thread's cache; the second where it is not inlined into the first */
static const char *const freeres_names[] = {
	"__malloc_arena_thread_freeres",
	"tcache_thread_shutdown",
};

/* What a scan has open: the file's symbols, its code, its CFI and a disassembler. */
struct scan {
	struct elf_file *ef;
	int fd;
	Elf *elf;
	Dwarf_CFI *cfi;
	csh cs;
	bool cs_open;
	uint64_t done[16];	/* functions looked at, by address: aliases count once */
	int nr_done;
};

static int scan__open(struct scan *s, const char *open_path)
{
	*s = (struct scan){ .fd = -1 };
	s->fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s->cs) != CS_ERR_OK)
		return -ENOMEM;
	s->cs_open = true;
	cs_option(s->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return elf_file__open(open_path, &s->ef);
}

/* The CFI is read only for operator new: the cleanup's sites need none. */
static int scan__open_cfi(struct scan *s)
{
	elf_version(EV_CURRENT);
	s->elf = elf_begin(s->fd, ELF_C_READ_MMAP, NULL);
	if (!s->elf)
		return -ENOEXEC;
	s->cfi = dwarf_getcfi_elf(s->elf);
	return s->cfi ? 0 : -ENOENT;
}

static void scan__close(struct scan *s)
{
	if (s->cfi)
		dwarf_cfi_end(s->cfi);
	if (s->elf)
		elf_end(s->elf);
	if (s->cs_open)
		cs_close(&s->cs);
	elf_file__free(s->ef);
	if (s->fd >= 0)
		close(s->fd);
}

static int list__add(struct caller_site_list *l, uint64_t file_offset,
		     const struct mt_caller_site *value)
{
	if (ARRAY_RESERVE(&l->sites, &l->cap, l->n + 1))
		return -ENOMEM;
	l->sites[l->n++] = (struct caller_site){ .file_offset = file_offset, .value = *value };
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct caller_site *x = a, *y = b;

	return x->file_offset < y->file_offset ? -1 : x->file_offset > y->file_offset;
}

/* A register's rule as an offset from the CFA: "offset(N)" is [call_frame_cfa, plus_uconst N]. */
static int rule_offset(const Dwarf_Op *ops, size_t nops, int64_t *off)
{
	if (nops < 1 || nops > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return -ENOENT;
	*off = 0;
	if (nops == 2) {
		if (ops[1].atom != DW_OP_plus_uconst)
			return -ENOENT;
		/* a negative offset, stored in the unsigned operand */
		*off = (int64_t)ops[1].number;
	}
	return 0;
}

static bool fits(int64_t v)
{
	return v >= 0 && v < MAX_FRAME_OFFSET;
}

/*
 * Where, at the call at call_vaddr, the calling function's frame keeps its
 * return address and its caller's %rbp, as offsets from the callee's entry
 * stack pointer (the stack pointer at the call, less the 8 bytes of the
 * return address the call pushes) or, for a CFA kept in %rbp (code built
 * with frame pointers), from %rbp, which the callee's probe still sees.
 * -ENOENT for any other rule.
 */
static int cfi_site(Dwarf_CFI *cfi, uint64_t call_vaddr, struct mt_caller_site *out)
{
	Dwarf_Op ops_mem[3], *ops;
	int64_t cfa_off, ra_off, rbp_off, base;
	Dwarf_Frame *frame = NULL;
	int ra_reg, err = -ENOENT;
	size_t nops;

	if (dwarf_cfi_addrframe(cfi, call_vaddr, &frame))
		return -ENOENT;
	ra_reg = dwarf_frame_info(frame, NULL, NULL, NULL);
	if (dwarf_frame_cfa(frame, &ops, &nops) || nops != 1 || ops[0].atom != DW_OP_bregx ||
	    (ops[0].number != DWARF_REG_RSP && ops[0].number != DWARF_REG_RBP))
		goto cleanup;
	*out = (struct mt_caller_site){ .kind = MT_CALLER_CXX_NEW };
	cfa_off = (int64_t)ops[0].number2;
	if (ops[0].number == DWARF_REG_RBP) {
		out->flags = MT_CALLER_F_FROM_RBP;
		base = cfa_off;
	} else {
		base = cfa_off + 8;
	}
	if (ra_reg < 0 || dwarf_frame_register(frame, ra_reg, ops_mem, &ops, &nops) ||
	    rule_offset(ops, nops, &ra_off) || !fits(base + ra_off))
		goto cleanup;
	out->caller_at = (__s32)(base + ra_off);
	out->rbp_at = MT_CALLER_RBP_KEPT;
	if (dwarf_frame_register(frame, DWARF_REG_RBP, ops_mem, &ops, &nops))
		goto cleanup;
	/* no ops: the same value (or an undefined one, which no walk can restore either) */
	if (nops) {
		if (rule_offset(ops, nops, &rbp_off) || !fits(base + rbp_off))
			goto cleanup;
		out->rbp_at = (__s32)(base + rbp_off);
	}
	err = 0;
cleanup:
	free(frame);
	return err;
}

/* The calls the probe can tell in one function; an alias of a function done is skipped. */
typedef int (*call_fn)(struct scan *s, const cs_insn *insn, uint64_t ret_offset,
		       struct caller_site_list *out, void *arg);

static int scan_function(struct scan *s, const char *name, call_fn on_call, void *arg,
			 struct caller_site_list *out)
{
	uint64_t file_off, vaddr, size = 0;
	cs_insn *insns = NULL;
	uint8_t *code = NULL;
	size_t count;
	ssize_t n;
	int err = 0;

	if (elf_file__func_offset(s->ef, name, &file_off, &vaddr) ||
	    elf_file__func_size(s->ef, name, &size) || !size)
		return -ENOENT;
	for (int i = 0; i < s->nr_done; i++)
		if (s->done[i] == vaddr)
			return 0;
	if (s->nr_done < (int)(sizeof(s->done) / sizeof(s->done[0])))
		s->done[s->nr_done++] = vaddr;
	if (size > MAX_FUNC_BYTES)
		size = MAX_FUNC_BYTES;
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	n = pread(s->fd, code, size, (off_t)file_off);
	if (n <= 0) {
		err = n < 0 ? -errno : -EIO;
		goto cleanup;
	}
	out->nr_funcs++;
	count = cs_disasm(s->cs, code, (size_t)n, vaddr, 0, &insns);
	for (size_t i = 0; i < count && !err; i++) {
		const cs_x86 *x86 = &insns[i].detail->x86;

		if (insns[i].id != X86_INS_CALL || x86->op_count != 1)
			continue;
		err = on_call(s, &insns[i], file_off + (insns[i].address + insns[i].size - vaddr),
			      out, arg);
	}
	cs_free(insns, count);
cleanup:
	free(code);
	return err;
}

/*
 * Every call site in the functions named (those the file has), after a
 * scan opened with err; the list sorted by offset. -ENOENT: none of them.
 * Closes the scan.
 */
static int scan_functions(struct scan *s, int err, const char *const *names, size_t n,
			  call_fn on_call, void *arg, struct caller_site_list *out)
{
	for (size_t i = 0; i < n && !err; i++) {
		err = scan_function(s, names[i], on_call, arg, out);
		if (err == -ENOENT)
			err = 0;
	}
	if (!err && !out->nr_funcs)
		err = -ENOENT;
	scan__close(s);
	if (err)
		caller_sites__release(out);
	else
		qsort(out->sites, out->n, sizeof(*out->sites), by_offset);
	return err;
}

static int on_cxx_call(struct scan *s, const cs_insn *insn, uint64_t ret_offset,
		       struct caller_site_list *out, void *arg)
{
	struct mt_caller_site value;

	(void)arg;
	/* the new handler: the program's code, which may call anything */
	if (insn->detail->x86.operands[0].type == X86_OP_REG)
		return 0;
	if (cfi_site(s->cfi, insn->address, &value)) {
		out->nr_unknown++;
		return 0;
	}
	return list__add(out, ret_offset, &value);
}

int caller_sites__scan_cxx(const char *open_path, struct caller_site_list *out)
{
	struct scan s;
	int err;

	*out = (struct caller_site_list){};
	err = scan__open(&s, open_path);
	if (!err)
		err = scan__open_cfi(&s);
	return scan_functions(&s, err, cxx_new_names,
			      sizeof(cxx_new_names) / sizeof(cxx_new_names[0]), on_cxx_call, NULL, out);
}

/* A direct call of free (its internal alias __libc_free has its address). */
static int on_freeres_call(struct scan *s, const cs_insn *insn, uint64_t ret_offset,
			   struct caller_site_list *out, void *arg)
{
	const cs_x86_op *op = &insn->detail->x86.operands[0];
	const uint64_t *free_vaddr = arg;

	(void)s;
	if (op->type != X86_OP_IMM || (uint64_t)op->imm != *free_vaddr)
		return 0;
	return list__add(out, ret_offset,
			 &(struct mt_caller_site){ .kind = MT_CALLER_FREERES,
						   .rbp_at = MT_CALLER_RBP_KEPT });
}

static bool names_freeres(const struct elf_file *ef)
{
	uint64_t off;

	for (size_t i = 0; i < sizeof(freeres_names) / sizeof(freeres_names[0]); i++)
		if (!elf_file__func_offset(ef, freeres_names[i], &off, NULL))
			return true;
	return false;
}

/* Stripped libraries name their static functions in the separate debug file only. */
static int add_debug_symbols(struct elf_file *ef, const char *path, const char *root)
{
	struct debuginfo_opts opts = { .local_only = true };
	struct debuginfo *d = debuginfo__new(&opts);
	struct elf_file *dbg = NULL;
	char *dbg_path = NULL;
	int err;

	if (!d)
		return -ENOMEM;
	err = debuginfo__find(d, ef, path, root, &dbg, &dbg_path);
	if (!err)
		err = elf_file__add_symbols(ef, dbg);
	elf_file__free(dbg);
	free(dbg_path);
	debuginfo__free(d);
	return err;
}

int caller_sites__scan_freeres(const char *path, const char *open_path, const char *root,
			       struct caller_site_list *out)
{
	uint64_t free_off, free_vaddr;
	struct scan s;
	int err;

	*out = (struct caller_site_list){};
	err = scan__open(&s, open_path);
	if (!err)
		err = elf_file__func_offset(s.ef, "free", &free_off, &free_vaddr);
	if (!err && !names_freeres(s.ef))
		err = add_debug_symbols(s.ef, path, root);
	return scan_functions(&s, err, freeres_names,
			      sizeof(freeres_names) / sizeof(freeres_names[0]), on_freeres_call,
			      &free_vaddr, out);
}

void caller_sites__release(struct caller_site_list *l)
{
	free(l->sites);
	*l = (struct caller_site_list){};
}
