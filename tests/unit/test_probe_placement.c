// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probe_placement on the real prologues of this machine's allocators
 * (prologues.h) and on hand-assembled cases for each rule. Every expected
 * site was derived by hand from objdump -d -M intel of the same bytes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <capstone/capstone.h>

#include "attach/probe_placement.h"
#include "prologues.h"

#define CODE(a) (a), sizeof(a)
#define VADDR 0x1000ULL

#define RDI PLACE_ARG_RDI
#define RSI PLACE_ARG_RSI
#define RDX PLACE_ARG_RDX

struct want {
	uint64_t offset;
	bool emulated;
	const char *insn;
	const char *why;	/* a part of the reason */
};

static void check(const uint8_t *code, size_t size, uint64_t vaddr, uint32_t args,
		  bool zero_arg0, struct want want)
{
	struct placement_rules rules = { .args_read = args, .zero_arg0_ignored = zero_arg0 };
	struct probe_placement p;

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(probe_placement__decide(code, size, vaddr, &rules, &p), 0);
	if (p.offset != want.offset || p.emulated != want.emulated ||
	    strcmp(p.insn, want.insn) || !strstr(p.why, want.why))
		fail_msg("got +%llu %s \"%s\" (%s), want +%llu %s \"%s\" (%s)",
			 (unsigned long long)p.offset, p.emulated ? "emulated" : "stepped", p.insn,
			 p.why, (unsigned long long)want.offset,
			 want.emulated ? "emulated" : "stepped", want.insn, want.why);
	/* NUL-terminated within the arrays, whatever the caller left there */
	assert_true(memchr(p.insn, 0, sizeof(p.insn)) != NULL);
	assert_true(memchr(p.why, 0, sizeof(p.why)) != NULL);
}

/* ---- glibc 2.36-9+deb12u14 and libstdc++ 12.2.0 (prologues.h) ---- */

static void test_libc_malloc(void **state)
{
	(void)state;
	/* push r12 / push rbp / push rbx / mov rbx,rdi */
	check(CODE(libc_malloc), LIBC_MALLOC_VADDR, RDI, false,
	      (struct want){ 0, true, "push r12", "entry is emulated" });
}

static void test_libc_free_null_ignored(void **state)
{
	(void)state;
	/* test rdi,rdi / je 98fb8 (free(NULL) returns) / push rbp at +9 */
	check(CODE(libc_free), LIBC_FREE_VADDR, RDI, true,
	      (struct want){ 9, true, "push rbp", "first emulated instruction" });
}

static void test_libc_free_null_seen(void **state)
{
	(void)state;
	/*
	 * Without the exception the je is an ordinary jcc, which the kernel
	 * emulates: every call, free(NULL) too, reaches it with %rdi intact.
	 */
	check(CODE(libc_free), LIBC_FREE_VADDR, RDI, false,
	      (struct want){ 3, true, "je 0x98fb8", "first emulated instruction" });
}

static void test_libc_calloc(void **state)
{
	(void)state;
	check(CODE(libc_calloc), LIBC_CALLOC_VADDR, RDI | RSI, false,
	      (struct want){ 0, true, "push r13", "entry is emulated" });
}

static void test_libc_realloc(void **state)
{
	(void)state;
	check(CODE(libc_realloc), LIBC_REALLOC_VADDR, RDI | RSI, false,
	      (struct want){ 0, true, "push r15", "entry is emulated" });
}

static void test_libc_posix_memalign(void **state)
{
	(void)state;
	/* cmp byte ptr [rip+0x140201],0 reads memory only; the jmp back lands at +0x16 */
	check(CODE(libc_posix_memalign), LIBC_POSIX_MEMALIGN_VADDR, RDI | RDX, false,
	      (struct want){ 7, true, "push r12", "first emulated instruction" });
}

static void test_libc_memalign(void **state)
{
	(void)state;
	/*
	 * aligned_alloc is the same code. After the cmp comes "je 99620",
	 * itself emulated, so the probe sits on it; its target (+0x10) is
	 * past the site.
	 */
	check(CODE(libc_memalign), LIBC_MEMALIGN_VADDR, RSI, false,
	      (struct want){ 7, true, "je 0x99620", "first emulated instruction" });
}

static void test_libc_valloc(void **state)
{
	(void)state;
	/* the "jmp 9965d" after the hook call lands at +0xd, past push rbx at +7 */
	check(CODE(libc_valloc), LIBC_VALLOC_VADDR, RDI, false,
	      (struct want){ 7, true, "push rbx", "first emulated instruction" });
}

static void test_libc_pvalloc(void **state)
{
	(void)state;
	check(CODE(libc_pvalloc), LIBC_PVALLOC_VADDR, RDI, false,
	      (struct want){ 7, true, "push rbx", "first emulated instruction" });
}

static void test_libc_reallocarray(void **state)
{
	(void)state;
	/* mov rax,rsi is harmless, but mul rdx clobbers %rdx, the third argument */
	check(CODE(libc_reallocarray), LIBC_REALLOCARRAY_VADDR, RDI | RSI | RDX, false,
	      (struct want){ 0, false, "mov rax, rsi", "mul rdx writes an argument register" });
}

static void test_libstdcxx_operator_new(void **state)
{
	(void)state;
	/*
	 * endbr64 / test rdi,rdi / mov eax,1 / push rbx at +0xc: the first
	 * three write only flags and %eax. The loop back from the new-handler
	 * call lands at +0x14, past the site.
	 */
	check(CODE(libstdcxx_znwm), LIBSTDCXX_ZNWM_VADDR, RDI, false,
	      (struct want){ 12, true, "push rbx", "first emulated instruction" });
}

static void test_gcc_o0_frame_pointer(void **state)
{
	(void)state;
	check(CODE(gcc_o0_frame), GCC_O0_FRAME_VADDR, RDI | RSI, false,
	      (struct want){ 0, true, "push rbp", "entry is emulated" });
}

static void test_gcc_o0_endbr64(void **state)
{
	(void)state;
	/* endbr64 is stepped but writes nothing, so the probe goes to push rbp */
	check(CODE(gcc_o0_endbr), GCC_O0_ENDBR_VADDR, RDI | RSI, false,
	      (struct want){ 4, true, "push rbp", "first emulated instruction" });
}

/* ---- branch targets ---- */

/*
 * cmp byte ptr [rip+0x1000],0 / push rbx at +7 / xor eax,eax / pop rbx /
 * ret / jmp rel8 at +0xc, whose displacement the tests set.
 */
static void check_jmp_back(uint8_t target, struct want want)
{
	uint8_t code[] = {
		0x80, 0x3d, 0x00, 0x10, 0x00, 0x00, 0x00,
		0x53,
		0x31, 0xc0,
		0x5b,
		0xc3,
		0xeb, 0x00,
	};

	code[13] = (uint8_t)(target - sizeof(code));
	check(CODE(code), VADDR, RDI, false, want);
}

static void test_branch_to_site(void **state)
{
	(void)state;
	check_jmp_back(7, (struct want){ 0, false, "cmp byte ptr [rip + 0x1000], 0",
					 "a branch lands inside the prologue, at +0x7" });
}

static void test_branch_inside_skipped_insn(void **state)
{
	(void)state;
	check_jmp_back(3, (struct want){ 0, false, "cmp byte ptr [rip + 0x1000], 0",
					 "a branch lands inside the prologue, at +0x3" });
}

static void test_branch_to_entry_or_past_site(void **state)
{
	(void)state;
	check_jmp_back(0, (struct want){ 7, true, "push rbx", "first emulated instruction" });
	check_jmp_back(8, (struct want){ 7, true, "push rbx", "first emulated instruction" });
}

static void test_call_to_site(void **state)
{
	static const uint8_t code[] = {
		0x80, 0x3d, 0x00, 0x10, 0x00, 0x00, 0x00,	/* cmp byte ptr [rip+0x1000],0 */
		0x53,						/* push rbx */
		0xe8, 0xfa, 0xff, 0xff, 0xff,			/* call +7 (recursion) */
		0x5b,						/* pop rbx */
		0xc3,						/* ret */
	};

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "cmp byte ptr [rip + 0x1000], 0",
			     "a branch lands inside the prologue, at +0x7" });
}

static void test_branch_found_past_garbage(void **state)
{
	static const uint8_t code[] = {
		0x80, 0x3d, 0x00, 0x10, 0x00, 0x00, 0x00,	/* cmp byte ptr [rip+0x1000],0 */
		0x53,						/* push rbx */
		0x5b,						/* pop rbx */
		0xc3,						/* ret */
		0x06,						/* invalid in 64-bit mode */
		0xeb, 0xfa,					/* jmp +7 */
	};

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "cmp byte ptr [rip + 0x1000], 0",
			     "a branch lands inside the prologue, at +0x7" });
}

/* ---- what may be walked over ---- */

static void test_sub_register_write(void **state)
{
	static const uint8_t mov_edi[] = { 0xbf, 0x01, 0x00, 0x00, 0x00, 0x53 };
	static const uint8_t mov_dil[] = { 0x40, 0xb7, 0x01, 0x53 };

	(void)state;
	check(CODE(mov_edi), VADDR, RDI, false,
	      (struct want){ 0, false, "mov edi, 1", "mov edi, 1 writes an argument register" });
	check(CODE(mov_dil), VADDR, RDI, false,
	      (struct want){ 0, false, "mov dil, 1", "mov dil, 1 writes an argument register" });
	/* the same write is harmless when the program does not read %rdi */
	check(CODE(mov_edi), VADDR, RSI, false,
	      (struct want){ 5, true, "push rbx", "first emulated instruction" });
}

static void test_every_argument_register(void **state)
{
	static const struct {
		uint8_t code[6];
		size_t size;
		uint32_t arg;
		const char *insn;
	} cases[] = {
		{ { 0x66, 0xbe, 0x01, 0x00, 0x53 }, 5, PLACE_ARG_RSI, "mov si, 1" },
		{ { 0xb6, 0x01, 0x53 }, 3, PLACE_ARG_RDX, "mov dh, 1" },
		{ { 0xb9, 0x01, 0x00, 0x00, 0x00, 0x53 }, 6, PLACE_ARG_RCX, "mov ecx, 1" },
		{ { 0x45, 0x31, 0xc0, 0x53 }, 4, PLACE_ARG_R8, "xor r8d, r8d" },
		{ { 0x41, 0xb1, 0x01, 0x53 }, 4, PLACE_ARG_R9, "mov r9b, 1" },
	};
	char why[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(why, sizeof(why), "%s writes an argument register", cases[i].insn);
		check(cases[i].code, cases[i].size, VADDR, cases[i].arg, false,
		      (struct want){ 0, false, cases[i].insn, why });
		/* every other argument may be clobbered */
		check(cases[i].code, cases[i].size, VADDR, 0x3f & ~cases[i].arg, false,
		      (struct want){ cases[i].size - 1, true, "push rbx",
				     "first emulated instruction" });
	}
}

static void test_implicit_write(void **state)
{
	/* mul rsi writes %rdx behind the operands' back */
	static const uint8_t code[] = { 0x48, 0xf7, 0xe6, 0x53 };

	(void)state;
	check(CODE(code), VADDR, RDI | RSI | RDX, false,
	      (struct want){ 0, false, "mul rsi", "mul rsi writes an argument register" });
	check(CODE(code), VADDR, RDI | RSI, false,
	      (struct want){ 3, true, "push rbx", "first emulated instruction" });
}

static void test_stack_pointer_write(void **state)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x53 };

	(void)state;
	check(CODE(code), VADDR, 0, false,
	      (struct want){ 0, false, "sub rsp, 0x18", "sub rsp, 0x18 writes the stack pointer" });
}

static void test_frame_pointer_write(void **state)
{
	static const uint8_t code[] = { 0x31, 0xed, 0x53 };

	(void)state;
	check(CODE(code), VADDR, 0, false,
	      (struct want){ 0, false, "xor ebp, ebp", "xor ebp, ebp writes the frame pointer" });
}

static void test_memory_write(void **state)
{
	static const uint8_t code[] = { 0x48, 0x89, 0x7c, 0x24, 0x08, 0x53 };

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "mov qword ptr [rsp + 8], rdi",
			     "mov qword ptr [rsp + 8], rdi writes memory" });
}

static void test_lock_prefix(void **state)
{
	static const uint8_t code[] = { 0xf0, 0x48, 0xff, 0x07, 0x53 };

	(void)state;
	check(CODE(code), VADDR, 0, false,
	      (struct want){ 0, false, "lock inc qword ptr [rdi]",
			     "lock inc qword ptr [rdi] has a lock or rep prefix" });
}

static void test_unemulated_control_flow(void **state)
{
	static const uint8_t call_rax[] = { 0xff, 0xd0, 0x53 };
	static const uint8_t ret[] = { 0xc3, 0x53 };

	(void)state;
	check(CODE(call_rax), VADDR, 0, false,
	      (struct want){ 0, false, "call rax", "call rax is control flow" });
	check(CODE(ret), VADDR, 0, false, (struct want){ 0, false, "ret", "ret is control flow" });
}

static void test_odd_instructions(void **state)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b, 0x53 };
	static const uint8_t hlt[] = { 0xf4, 0x53 };
	static const uint8_t xend[] = { 0x0f, 0x01, 0xd5, 0x53 };
	/* stores to [rdi] though capstone shows neither a memory operand nor a write */
	static const uint8_t maskmov[] = { 0x66, 0x0f, 0xf7, 0xc1, 0x53 };

	(void)state;
	check(CODE(ud2), VADDR, 0, false,
	      (struct want){ 0, false, "ud2", "ud2 is not understood" });
	check(CODE(hlt), VADDR, 0, false,
	      (struct want){ 0, false, "hlt", "hlt is not understood" });
	check(CODE(xend), VADDR, 0, false,
	      (struct want){ 0, false, "xend", "xend is not understood" });
	check(CODE(maskmov), VADDR, 0, false,
	      (struct want){ 0, false, "maskmovdqu xmm0, xmm1",
			     "maskmovdqu xmm0, xmm1 is not understood" });
}

static void test_lea_of_unread_register(void **state)
{
	/* lea rsi,[rdi-0x10] / push rbp, as in free */
	static const uint8_t code[] = { 0x48, 0x8d, 0x77, 0xf0, 0x55 };

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 4, true, "push rbp", "first emulated instruction" });
	check(CODE(code), VADDR, RDI | RSI, false,
	      (struct want){ 0, false, "lea rsi, [rdi - 0x10]",
			     "lea rsi, [rdi - 0x10] writes an argument register" });
}

static void test_long_text_cut(void **state)
{
	/*
	 * vpblendvb ymm15, ymm14, ymmword ptr fs:[r15 + r14*8 - 0x12345678],
	 * ymm13 (72 characters, walked over) / sub rsp,8
	 */
	static const uint8_t code[] = { 0x64, 0xc4, 0x03, 0x0d, 0x4c, 0xbc, 0xf7, 0x88, 0xa9,
					0xcb, 0xed, 0xd0, 0x48, 0x83, 0xec, 0x08 };

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false,
			     "vpblendvb ymm15, ymm14, ymmword ptr fs:[r15 + r14*8 - 0x1234...",
			     "sub rsp, 8 writes the stack pointer" });
}

/* ---- what the kernel emulates ---- */

static void test_push_encodings(void **state)
{
	static const uint8_t push_r8[] = { 0x41, 0x50 };
	static const uint8_t push_long[] = { 0xff, 0xf3 };	/* push rbx as ff /6 */
	static const uint8_t push_16[] = { 0x66, 0x53 };	/* push bx */

	(void)state;
	check(CODE(push_r8), VADDR, 0, false,
	      (struct want){ 0, true, "push r8", "entry is emulated" });
	check(CODE(push_long), VADDR, 0, false,
	      (struct want){ 0, false, "push rbx", "push rbx writes the stack pointer" });
	check(CODE(push_16), VADDR, 0, false,
	      (struct want){ 0, false, "push bx", "push bx writes the stack pointer" });
}

static void test_nops(void **state)
{
	static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55 };
	static const uint8_t endbr_nop6[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x66, 0x0f, 0x1f, 0x44,
					      0x00, 0x00, 0x55 };
	static const uint8_t pause[] = { 0xf3, 0x90, 0x55 };
	/* 0f 19, a reserved-hint nop the kernel does not emulate */
	static const uint8_t hint_nop[] = { 0x0f, 0x19, 0xc0, 0x55 };

	(void)state;
	check(CODE(nop5), VADDR, RDI, false,
	      (struct want){ 0, true, "nop dword ptr [rax + rax]", "entry is emulated" });
	check(CODE(endbr_nop6), VADDR, RDI, false,
	      (struct want){ 4, true, "nop word ptr [rax + rax]", "first emulated instruction" });
	/* a spin hint, not a nop to the kernel's eyes: stepped, so walked over */
	check(CODE(pause), VADDR, RDI, false,
	      (struct want){ 2, true, "push rbp", "first emulated instruction" });
	check(CODE(hint_nop), VADDR, RDI, false,
	      (struct want){ 3, true, "push rbp", "first emulated instruction" });
}

static void test_operand_size_branch(void **state)
{
	/* the kernel refuses to emulate 66-prefixed branches, so this je is stepped */
	static const uint8_t code[] = { 0x66, 0x74, 0x00, 0x53 };

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "je 0x1003", "je 0x1003 is control flow" });
}

/* ---- the free(NULL) exception ---- */

static void test_zero_arg0_pair(void **state)
{
	/* test rdi,rdi / je +0x20 (rel8) / push rbp */
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x1b, 0x55 };

	(void)state;
	check(CODE(code), VADDR, RDI, true,
	      (struct want){ 5, true, "push rbp", "first emulated instruction" });
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 3, true, "je 0x1020", "first emulated instruction" });
}

static void test_zero_arg0_needs_rdi_twice(void **state)
{
	/* test rdi,rsi or test rsi,rdi / je: not a NULL test of the first argument */
	static const uint8_t rdi_rsi[] = { 0x48, 0x85, 0xf7, 0x74, 0x1b, 0x55 };
	static const uint8_t rsi_rdi[] = { 0x48, 0x85, 0xfe, 0x74, 0x1b, 0x55 };

	(void)state;
	check(CODE(rdi_rsi), VADDR, RDI, true,
	      (struct want){ 3, true, "je 0x1020", "first emulated instruction" });
	check(CODE(rsi_rdi), VADDR, RDI, true,
	      (struct want){ 3, true, "je 0x1020", "first emulated instruction" });
}

static void test_zero_arg0_needs_je(void **state)
{
	/* test rdi,rdi / jne: the taken path is every call but free(NULL) */
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x75, 0x1b, 0x55 };

	(void)state;
	check(CODE(code), VADDR, RDI, true,
	      (struct want){ 3, true, "jne 0x1020", "first emulated instruction" });
}

static void test_zero_arg0_needs_untouched_rdi(void **state)
{
	/* mov edi,1 / test rdi,rdi / je: %rdi no longer holds the argument */
	static const uint8_t code[] = { 0xbf, 0x01, 0x00, 0x00, 0x00, 0x48, 0x85, 0xff,
					0x74, 0x16, 0x55 };

	(void)state;
	check(CODE(code), VADDR, RSI, true,
	      (struct want){ 8, true, "je 0x1020", "first emulated instruction" });
}

/* ---- limits ---- */

static void test_instruction_limit(void **state)
{
	/* xor eax,eax n times, then push rbx */
	uint8_t code[2 * 8 + 1];
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		code[2 * i] = 0x31;
		code[2 * i + 1] = 0xc0;
	}
	code[16] = 0x53;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "xor eax, eax",
			     "no emulated instruction in the first 8 instructions" });
	/* seven of them leave the push as the eighth instruction */
	check(code + 2, sizeof(code) - 2, VADDR, RDI, false,
	      (struct want){ 14, true, "push rbx", "first emulated instruction" });
}

static void test_byte_limit(void **state)
{
	/* mov eax,1 six times (30 bytes), then xor eax,eax or nothing, then push rbx */
	uint8_t code[5 * 6 + 2 + 1];
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		memcpy(code + 5 * i, "\xb8\x01\x00\x00\x00", 5);
	memcpy(code + 30, "\x31\xc0\x53", 3);
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "mov eax, 1",
			     "no emulated instruction in the first 32 bytes" });
	code[30] = 0x53;
	check(code, 31, VADDR, RDI, false,
	      (struct want){ 30, true, "push rbx", "first emulated instruction" });
}

static void test_code_ends(void **state)
{
	static const uint8_t code[] = { 0x31, 0xc0 };

	(void)state;
	check(CODE(code), VADDR, RDI, false,
	      (struct want){ 0, false, "xor eax, eax",
			     "the function ends before an emulated instruction" });
}

static void test_undecodable(void **state)
{
	static const uint8_t first[] = { 0x06, 0x53 };
	static const uint8_t second[] = { 0x31, 0xc0, 0x06, 0x53 };

	(void)state;
	check(CODE(first), VADDR, RDI, false,
	      (struct want){ 0, false, "", "cannot decode the instruction at +0x0" });
	check(CODE(second), VADDR, RDI, false,
	      (struct want){ 0, false, "xor eax, eax", "cannot decode the instruction at +0x2" });
}

/* ---- errors ---- */

static void test_invalid_arguments(void **state)
{
	static const uint8_t code[] = { 0x55 };
	struct placement_rules rules = { .args_read = RDI };
	struct probe_placement p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(probe_placement__decide(code, 0, VADDR, &rules, &p), -EINVAL);
	assert_int_equal(p.offset, 0);
	assert_false(p.emulated);
	assert_string_equal(p.insn, "");
	assert_true(p.why[0] != '\0');

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(probe_placement__decide(NULL, 1, VADDR, &rules, &p), -EINVAL);
	assert_int_equal(p.offset, 0);
	assert_string_equal(p.insn, "");

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(probe_placement__decide(code, 1, VADDR, NULL, &p), -EINVAL);
	assert_int_equal(p.offset, 0);

	assert_int_equal(probe_placement__decide(code, 1, VADDR, &rules, NULL), -EINVAL);
}

/*
 * Stands in for capstone's cs_open so a test can make it fail; the library
 * object binds to this definition, everything else reaches the real one.
 */
static cs_err cs_open_result = CS_ERR_OK;

cs_err cs_open(cs_arch arch, cs_mode mode, csh *handle)
{
	cs_err (*real)(cs_arch, cs_mode, csh *);

	if (cs_open_result != CS_ERR_OK)
		return cs_open_result;
	real = (cs_err (*)(cs_arch, cs_mode, csh *))dlsym(RTLD_NEXT, "cs_open");
	if (!real)
		return CS_ERR_ARCH;
	return real(arch, mode, handle);
}

static void test_disassembler_unavailable(void **state)
{
	struct placement_rules rules = { .args_read = RDI };
	struct probe_placement p;

	(void)state;
	cs_open_result = CS_ERR_MEM;
	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(probe_placement__decide(CODE(libc_posix_memalign),
						 LIBC_POSIX_MEMALIGN_VADDR, &rules, &p),
			 -ENOMEM);
	cs_open_result = CS_ERR_ARCH;
	assert_int_equal(probe_placement__decide(CODE(libc_posix_memalign),
						 LIBC_POSIX_MEMALIGN_VADDR, &rules, &p),
			 -EOPNOTSUPP);
	cs_open_result = CS_ERR_OK;
	assert_int_equal(p.offset, 0);
	assert_false(p.emulated);
	assert_string_equal(p.insn, "");
	assert_non_null(strstr(p.why, "disassembler"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc_malloc),
		cmocka_unit_test(test_libc_free_null_ignored),
		cmocka_unit_test(test_libc_free_null_seen),
		cmocka_unit_test(test_libc_calloc),
		cmocka_unit_test(test_libc_realloc),
		cmocka_unit_test(test_libc_posix_memalign),
		cmocka_unit_test(test_libc_memalign),
		cmocka_unit_test(test_libc_valloc),
		cmocka_unit_test(test_libc_pvalloc),
		cmocka_unit_test(test_libc_reallocarray),
		cmocka_unit_test(test_libstdcxx_operator_new),
		cmocka_unit_test(test_gcc_o0_frame_pointer),
		cmocka_unit_test(test_gcc_o0_endbr64),
		cmocka_unit_test(test_branch_to_site),
		cmocka_unit_test(test_branch_inside_skipped_insn),
		cmocka_unit_test(test_branch_to_entry_or_past_site),
		cmocka_unit_test(test_call_to_site),
		cmocka_unit_test(test_branch_found_past_garbage),
		cmocka_unit_test(test_sub_register_write),
		cmocka_unit_test(test_every_argument_register),
		cmocka_unit_test(test_implicit_write),
		cmocka_unit_test(test_stack_pointer_write),
		cmocka_unit_test(test_frame_pointer_write),
		cmocka_unit_test(test_memory_write),
		cmocka_unit_test(test_lock_prefix),
		cmocka_unit_test(test_unemulated_control_flow),
		cmocka_unit_test(test_odd_instructions),
		cmocka_unit_test(test_long_text_cut),
		cmocka_unit_test(test_lea_of_unread_register),
		cmocka_unit_test(test_push_encodings),
		cmocka_unit_test(test_nops),
		cmocka_unit_test(test_operand_size_branch),
		cmocka_unit_test(test_zero_arg0_pair),
		cmocka_unit_test(test_zero_arg0_needs_rdi_twice),
		cmocka_unit_test(test_zero_arg0_needs_je),
		cmocka_unit_test(test_zero_arg0_needs_untouched_rdi),
		cmocka_unit_test(test_instruction_limit),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_code_ends),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_disassembler_unavailable),
	};

	return cmocka_run_group_tests_name("unit: probe_placement", tests, NULL, NULL);
}
