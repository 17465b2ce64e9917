// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "util/privileges.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/*
 * What the kernel checks, measured with capsh on 6.18 (README, "Requirements"):
 * - CAP_SYS_ADMIN: creating a uprobe (perf_uprobe_event_init, since commit
 *   ba677dbe77af "perf: Revert to requiring CAP_SYS_ADMIN for uprobes" in
 *   6.16 and the stable kernels it went back to; CAP_PERFMON was enough from
 *   5.8 until then). It also stands for CAP_BPF and CAP_PERFMON, which the
 *   BPF programs and maps need: the kernel's bpf_capable() and
 *   perfmon_capable() accept CAP_SYS_ADMIN for either. With CAP_BPF,
 *   CAP_PERFMON and CAP_SYS_PTRACE alone, the first probe fails (EACCES).
 * - CAP_SYS_PTRACE: another user's /proc/PID/maps, /proc/PID/root and
 *   /proc/PID/exe, where the targets' libraries are read.
 * Root's uid is not enough: a container's root usually lacks both.
 */
static const struct {
	int cap;
	const char *name;
} needed[] = {
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
};

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1U << (cap % 32));
}

/* "CAP_SYS_ADMIN and CAP_SYS_PTRACE" of those missing into buf; false when none is. */
static bool missing_caps(char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	size_t n = 0, nr = sizeof(needed) / sizeof(needed[0]);
	bool any = false;

	buf[0] = '\0';
	if (syscall(SYS_capget, &hdr, data))
		memset(data, 0, sizeof(data));
	for (size_t i = 0; i < nr; i++) {
		if (has_cap(data, needed[i].cap))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", any ? " and " : "",
			      needed[i].name);
		any = true;
	}
	return any;
}

int privileges__check(void)
{
	char missing[64];

	if (missing_caps(missing, sizeof(missing))) {
		fprintf(stderr, "memtrace: needs CAP_SYS_ADMIN (uprobes) and CAP_SYS_PTRACE (other "
				"users' processes); missing %s: run it as root (sudo)\n",
			missing);
		return -EPERM;
	}
	if (access(BTF_PATH, R_OK)) {
		fprintf(stderr, "memtrace: no kernel BTF (%s): a kernel built with "
				"CONFIG_DEBUG_INFO_BTF=y is needed\n", BTF_PATH);
		return -ENOENT;
	}
	/*
	 * Capabilities given to memtrace as ambient ones (capsh --addamb,
	 * systemd's AmbientCapabilities=) would pass on to CMD in launch mode:
	 * the program traced gets none of memtrace's privileges.
	 */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
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
