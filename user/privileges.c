// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "privileges.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* CAP_BPF and CAP_PERFMON appeared in 5.8; old headers may lack them. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1U << (cap % 32));
}

static bool has_needed_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	/* uprobes through perf events, BPF maps and programs, other users' /proc */
	return (has_cap(data, CAP_SYS_ADMIN) ||
		(has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))) &&
	       has_cap(data, CAP_SYS_PTRACE);
}

int privileges__check(void)
{
	if (geteuid() != 0 && !has_needed_caps()) {
		fprintf(stderr, "memtrace: needs root (or CAP_BPF, CAP_PERFMON and "
				"CAP_SYS_PTRACE): run it with sudo\n");
		return -EPERM;
	}
	if (access(BTF_PATH, R_OK)) {
		fprintf(stderr, "memtrace: no kernel BTF (%s): a kernel built with "
				"CONFIG_DEBUG_INFO_BTF=y is needed\n", BTF_PATH);
		return -ENOENT;
	}
	return 0;
}

/* A uid or gid as sudo writes it: decimal digits only, and not (uid_t)-1, which means "none". */
static int parse_id(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= 0xffffffffUL)
		return -EINVAL;
	*out = v;
	return 0;
}

int privileges__sudo_user(uid_t *uid, gid_t *gid)
{
	unsigned int u, g;

	if (geteuid() != 0 || parse_id(getenv("SUDO_UID"), &u) ||
	    parse_id(getenv("SUDO_GID"), &g))
		return -ENOENT;
	*uid = u;
	*gid = g;
	return 0;
}
