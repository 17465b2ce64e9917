// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/elf_file.h"
#include "symbolize/frame_pointers.h"

#define MAX_SAMPLES 256
/* shorter than a frame set-up: PLT-like stubs */
#define MIN_FUNC_SIZE 8

/*
 * The C runtime's start-up code linked into every program (_start, _init,
 * frame_dummy, ...) says nothing about how the program was built; nor do
 * reserved names in general (__libc_*, _IO_*).
 */
static bool is_program_code(const char *name)
{
	return name[0] != '_' && strcmp(name, "frame_dummy") && strcmp(name, "register_tm_clones") &&
	       strcmp(name, "deregister_tm_clones");
}

static bool sets_up_frame(const unsigned char *code)
{
	static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	/* push %rbp; mov %rsp,%rbp (both encodings of the mov) */
	static const unsigned char frame[] = { 0x55, 0x48, 0x89, 0xe5 };
	static const unsigned char frame_alt[] = { 0x55, 0x48, 0x8b, 0xec };

	if (!memcmp(code, endbr64, sizeof(endbr64)))
		code += sizeof(endbr64);
	return !memcmp(code, frame, sizeof(frame)) || !memcmp(code, frame_alt, sizeof(frame_alt));
}

int frame_pointers__detect(const char *path, bool *uses_fp)
{
	struct elf_file *ef = NULL;
	size_t n, step, checked = 0, framed = 0;
	int fd, err;

	*uses_fp = false;
	err = elf_file__open(path, &ef);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	n = elf_file__symbol_count(ef);
	step = n > MAX_SAMPLES ? n / MAX_SAMPLES : 1;
	for (size_t i = 0; i < n; i += step) {
		unsigned char code[8];
		uint64_t off, size;
		const char *name;

		if (elf_file__symbol_code(ef, i, &name, &off, &size) || size < MIN_FUNC_SIZE ||
		    !is_program_code(name))
			continue;
		if (pread(fd, code, sizeof(code), (off_t)off) != sizeof(code))
			continue;
		checked++;
		framed += sets_up_frame(code);
	}
	*uses_fp = checked && 2 * framed >= checked;
	close(fd);
cleanup:
	elf_file__free(ef);
	return err;
}
