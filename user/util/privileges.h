/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What memtrace needs from the system before it can trace anything. */
#ifndef MEMTRACE_PRIVILEGES_H
#define MEMTRACE_PRIVILEGES_H

#include <sys/types.h>

/*
 * CAP_SYS_ADMIN and CAP_SYS_PTRACE in the effective set, whatever the uid
 * (privileges.c says why each); and kernel BTF. Prints a one-line error
 * and returns a negative errno when one is missing. On success it also
 * clears the ambient capabilities, so that a launched CMD inherits none.
 */
int privileges__check(void);

/*
 * The user who ran memtrace through sudo: 0 and their ids when memtrace runs
 * as root with SUDO_UID and SUDO_GID set to valid ids; -ENOENT otherwise.
 */
int privileges__sudo_user(uid_t *uid, gid_t *gid);

#endif /* MEMTRACE_PRIVILEGES_H */
