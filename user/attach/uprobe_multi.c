// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "attach/uprobe_multi.h"

/* BPF_F_UPROBE_MULTI_RETURN */
#define UPROBE_MULTI_RETURN 1U

/*
 * union bpf_attr's link_create as kernels from 6.6 lay it out for
 * uprobe_multi; Debian 12's <linux/bpf.h> (6.1) predates it.
 */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
};

static int link_create(int prog_fd, const char *path, const uint64_t *offsets, size_t n,
		       bool retprobe, pid_t pid)
{
	struct link_create_uprobe_multi attr;
	int fd;

	/* the kernel refuses bytes it does not know about unless they are zero */
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.path = (uintptr_t)path;
	attr.offsets = (uintptr_t)offsets;
	attr.cnt = n;
	attr.multi_flags = retprobe ? UPROBE_MULTI_RETURN : 0;
	attr.pid = pid > 0 ? (uint32_t)pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets, size_t n,
			 bool retprobe, pid_t pid)
{
	if (!n)
		return -EINVAL;
	return link_create(prog_fd, path, offsets, n, retprobe, pid);
}

/*
 * A kernel that knows uprobe_multi takes the program, then refuses "/" as
 * not a regular file (EBADF); an older one refuses the attach type itself.
 */
static bool probe_kernel(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE);
	const uint64_t offset = 0;
	int prog_fd, link_fd;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return false;
	link_fd = link_create(prog_fd, "/", &offset, 1, false, 0);
	close(prog_fd);
	if (link_fd >= 0) {
		close(link_fd);
		return true;
	}
	return link_fd == -EBADF;
}

bool uprobe_multi__supported(void)
{
	static int supported = -1;

	if (supported < 0)
		supported = probe_kernel();
	return supported;
}
