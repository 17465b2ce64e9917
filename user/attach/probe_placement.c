// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "attach/probe_placement.h"

/*
 * Prologues that profit put their first push within a few instructions;
 * every instruction walked over is one more chance to misjudge, so the
 * walk gives up early.
 */
#define WALK_MAX_INSNS 8
#define WALK_MAX_BYTES 32

/* Besides the argument bits of enum placement_arg. */
#define GUARD_ARGS 0x3fu
#define GUARD_RSP  (1u << 6)
#define GUARD_RBP  (1u << 7)

/* Which guarded register a name belongs to: writing %edi or %dil clobbers %rdi. */
static uint32_t reg__guard_bit(unsigned int reg)
{
	switch (reg) {
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL:
		return PLACE_ARG_RDI;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL:
		return PLACE_ARG_RSI;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DH:
	case X86_REG_DL:
		return PLACE_ARG_RDX;
	case X86_REG_RCX:
	case X86_REG_ECX:
	case X86_REG_CX:
	case X86_REG_CH:
	case X86_REG_CL:
		return PLACE_ARG_RCX;
	case X86_REG_R8:
	case X86_REG_R8D:
	case X86_REG_R8W:
	case X86_REG_R8B:
		return PLACE_ARG_R8;
	case X86_REG_R9:
	case X86_REG_R9D:
	case X86_REG_R9W:
	case X86_REG_R9B:
		return PLACE_ARG_R9;
	case X86_REG_RSP:
	case X86_REG_ESP:
	case X86_REG_SP:
	case X86_REG_SPL:
		return GUARD_RSP;
	case X86_REG_RBP:
	case X86_REG_EBP:
	case X86_REG_BP:
	case X86_REG_BPL:
		return GUARD_RBP;
	default:
		return 0;
	}
}

/* A cut text (long vector operands) ends in "..." so nobody takes it for the whole. */
static void insn__format(const cs_insn *insn, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		     insn->op_str);
	if (n >= 0 && (size_t)n >= len && len > 3)
		memcpy(buf + len - 4, "...", 4);
}

static bool insn__in_group(csh handle, const cs_insn *insn, const uint8_t *groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (cs_insn_group(handle, insn, groups[i]))
			return true;
	}
	return false;
}

static bool insn__is_branch(csh handle, const cs_insn *insn)
{
	static const uint8_t groups[] = { CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_BRANCH_RELATIVE };

	return insn__in_group(handle, insn, groups, sizeof(groups));
}

/*
 * Mirrors the kernel's uprobe analysis (arch/x86/kernel/uprobes.c): push
 * is emulated only as 50+r, with REX 41 alone for %r8-%r15 (not ff /6, not
 * 16-bit); branches only as rel jmp/call/jcc without an operand-size
 * prefix; nops as 90, or 0f 1f /0 whose usual forms recent kernels emulate
 * too (older ones step them: slower, not wrong).
 */
static bool insn__is_emulated(csh handle, const cs_insn *insn)
{
	const cs_x86 *x86 = &insn->detail->x86;
	uint8_t op0 = x86->opcode[0], op1 = x86->opcode[1];

	switch (insn->id) {
	case X86_INS_PUSH:
		if (op0 < 0x50 || op0 > 0x57)
			return false;
		return insn->size == 1 || (insn->size == 2 && insn->bytes[0] == 0x41);
	case X86_INS_NOP:
		return op0 == 0x90 || (op0 == 0x0f && op1 == 0x1f && ((x86->modrm >> 3) & 7) == 0);
	default:
		break;
	}
	/* The group test keeps VEX opcodes that reuse these bytes out. */
	if (!insn__is_branch(handle, insn) || x86->prefix[2] == X86_PREFIX_OPSIZE)
		return false;
	return op0 == 0xe8 || op0 == 0xe9 || op0 == 0xeb || (op0 >= 0x70 && op0 <= 0x7f) ||
	       (op0 == 0x0f && op1 >= 0x80 && op1 <= 0x8f);
}

/*
 * Why the probe may not move over insn, or NULL when it may. *written gets
 * the guard bits of every register insn writes, guarded or not, so the
 * caller knows whether %rdi still holds the first argument.
 */
static const char *insn__blocker(csh handle, const cs_insn *insn, uint32_t guarded,
				 uint32_t *written)
{
	static const uint8_t flow[] = { CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_RET, CS_GRP_INT,
					CS_GRP_IRET, CS_GRP_BRANCH_RELATIVE };
	/* These fault, or jump in disguise (a transaction abort, a VM exit). */
	static const uint8_t odd[] = { CS_GRP_PRIVILEGE, X86_GRP_VM, X86_GRP_SGX, X86_GRP_RTM };
	const cs_x86 *x86 = &insn->detail->x86;
	cs_regs regs_read, regs_write;
	uint8_t n_read, n_write, i;
	uint32_t bits = 0;

	*written = 0;
	if (insn__in_group(handle, insn, flow, sizeof(flow)))
		return "is control flow";
	if (x86->prefix[0])
		return "has a lock or rep prefix";
	if (insn__in_group(handle, insn, odd, sizeof(odd)))
		return "is not understood";
	switch (insn->id) {
	case X86_INS_UD0:
	case X86_INS_UD2:
	case X86_INS_UD2B:
	/* These store through %rdi without a memory operand to show it. */
	case X86_INS_MASKMOVQ:
	case X86_INS_MASKMOVDQU:
	case X86_INS_VMASKMOVDQU:
		return "is not understood";
	default:
		break;
	}
	if (cs_regs_access(handle, insn, regs_read, &n_read, regs_write, &n_write) != CS_ERR_OK)
		return "is not understood";
	for (i = 0; i < n_write; i++)
		bits |= reg__guard_bit(regs_write[i]);
	*written = bits;
	bits &= guarded;
	if (bits & GUARD_ARGS)
		return "writes an argument register";
	if (bits & GUARD_RSP)
		return "writes the stack pointer";
	if (bits & GUARD_RBP)
		return "writes the frame pointer";
	for (i = 0; i < x86->op_count; i++) {
		if (x86->operands[i].type != X86_OP_MEM)
			continue;
		if (x86->operands[i].access == CS_AC_INVALID)
			return "is not understood";
		if (x86->operands[i].access & CS_AC_WRITE)
			return "writes memory";
	}
	return NULL;
}

static bool insn__is_test_rdi(const cs_insn *insn)
{
	const cs_x86 *x86 = &insn->detail->x86;

	return insn->id == X86_INS_TEST && x86->op_count == 2 &&
	       x86->operands[0].type == X86_OP_REG && x86->operands[0].reg == X86_REG_RDI &&
	       x86->operands[1].type == X86_OP_REG && x86->operands[1].reg == X86_REG_RDI;
}

__attribute__((format(printf, 3, 4)))
static void placement__entry(struct probe_placement *out, const struct probe_placement *entry,
			     const char *fmt, ...)
{
	va_list ap;

	*out = *entry;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

/* Fills *out with the site the walk found, or the entry; returns the site's offset. */
static uint64_t placement__walk(csh handle, cs_insn *insn, const uint8_t *code, size_t size,
				uint64_t vaddr, const struct placement_rules *rules,
				struct probe_placement *entry, struct probe_placement *out)
{
	uint32_t guarded = (rules->args_read & GUARD_ARGS) | GUARD_RSP | GUARD_RBP;
	uint32_t written_before = 0, written;
	bool after_test_rdi = false;
	const uint8_t *p = code;
	const char *blocker;
	uint64_t addr = vaddr, off;
	size_t left = size;
	char text[sizeof(out->insn)];
	int i;

	for (i = 0; i < WALK_MAX_INSNS; i++) {
		off = addr - vaddr;
		if (off >= WALK_MAX_BYTES) {
			placement__entry(out, entry,
					 "no emulated instruction in the first %d bytes",
					 WALK_MAX_BYTES);
			return 0;
		}
		if (!left) {
			placement__entry(out, entry,
					 "the function ends before an emulated instruction");
			return 0;
		}
		if (!cs_disasm_iter(handle, &p, &left, &addr, insn)) {
			placement__entry(out, entry, "cannot decode the instruction at +0x%" PRIx64,
					 off);
			return 0;
		}
		insn__format(insn, text, sizeof(text));
		if (i == 0) {
			memcpy(entry->insn, text, sizeof(entry->insn));
			entry->emulated = insn__is_emulated(handle, insn);
		}
		/*
		 * Only a NULL first argument takes this branch, and those calls
		 * need not be seen, so neither does the probe.
		 */
		if (after_test_rdi && insn->id == X86_INS_JE) {
			after_test_rdi = false;
			continue;
		}
		if (insn__is_emulated(handle, insn)) {
			out->offset = off;
			out->emulated = true;
			memcpy(out->insn, text, sizeof(out->insn));
			snprintf(out->why, sizeof(out->why), "%s",
				 off ? "first emulated instruction" : "entry is emulated");
			return off;
		}
		blocker = insn__blocker(handle, insn, guarded, &written);
		if (blocker) {
			placement__entry(out, entry, "%s %s", text, blocker);
			return 0;
		}
		/* A test of %rdi once something overwrote it says nothing of the argument. */
		after_test_rdi = rules->zero_arg0_ignored && !(written_before & PLACE_ARG_RDI) &&
				 insn__is_test_rdi(insn);
		written_before |= written;
	}
	placement__entry(out, entry, "no emulated instruction in the first %d instructions",
			 WALK_MAX_INSNS);
	return 0;
}

/*
 * Linear sweep of the whole body for a relative branch into (vaddr,
 * vaddr + site]: a path that reaches the site without the entry would hit
 * the probe with a stale frame, or a second time.
 */
static bool placement__branch_inside(csh handle, cs_insn *insn, const uint8_t *code,
				     size_t size, uint64_t vaddr, uint64_t site, uint64_t *target)
{
	const uint8_t *p = code;
	uint64_t addr = vaddr, t;
	size_t left = size;
	uint8_t i;

	while (left) {
		if (!cs_disasm_iter(handle, &p, &left, &addr, insn)) {
			/* Data or padding: try again one byte further. */
			p++;
			left--;
			addr++;
			continue;
		}
		if (!insn__is_branch(handle, insn))
			continue;
		for (i = 0; i < insn->detail->x86.op_count; i++) {
			if (insn->detail->x86.operands[i].type != X86_OP_IMM)
				continue;
			t = (uint64_t)insn->detail->x86.operands[i].imm;
			if (t > vaddr && t <= vaddr + site) {
				*target = t;
				return true;
			}
		}
	}
	return false;
}

static int disasm__errno(cs_err err)
{
	switch (err) {
	case CS_ERR_MEM:
		return -ENOMEM;
	case CS_ERR_ARCH:
	case CS_ERR_MODE:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

int probe_placement__decide(const uint8_t *code, size_t size, uint64_t vaddr,
			    const struct placement_rules *rules, struct probe_placement *out)
{
	struct probe_placement entry = {};
	cs_insn *insn = NULL;
	uint64_t site, target;
	csh handle = 0;
	cs_err cerr;
	int err = 0;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!code || !size || !rules) {
		snprintf(out->why, sizeof(out->why), "no code to place a probe in");
		return -EINVAL;
	}

	/* Opened per call: a decision is made once per attach, not per event. */
	cerr = cs_open(CS_ARCH_X86, CS_MODE_64, &handle);
	if (cerr != CS_ERR_OK)
		handle = 0;
	else
		cerr = cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	if (cerr == CS_ERR_OK) {
		insn = cs_malloc(handle);
		if (!insn)
			cerr = CS_ERR_MEM;
	}
	if (cerr != CS_ERR_OK) {
		snprintf(out->why, sizeof(out->why), "cannot use the x86-64 disassembler: %s",
			 cs_strerror(cerr));
		err = disasm__errno(cerr);
		goto cleanup;
	}

	site = placement__walk(handle, insn, code, size, vaddr, rules, &entry, out);
	if (site && placement__branch_inside(handle, insn, code, size, vaddr, site, &target))
		placement__entry(out, &entry, "a branch lands inside the prologue, at +0x%" PRIx64,
				 target - vaddr);

cleanup:
	if (insn)
		cs_free(insn, 1);
	if (handle)
		cs_close(&handle);
	return err;
}
