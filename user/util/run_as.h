/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Launch mode's CMD runs as the user who asked for it: the one who ran sudo
 * (SUDO_UID, SUDO_GID), or --user's. memtrace itself stays root. Everything
 * is looked up before the fork, in the parent, so that a bad user is one
 * line and no child; the child only makes system calls (run_as__apply).
 */
#ifndef MEMTRACE_RUN_AS_H
#define MEMTRACE_RUN_AS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run_as {
	bool change;		/* false: CMD keeps memtrace's identity and environment */
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* the user's supplementary groups, gid among them */
	size_t nr_groups;
	char *user;		/* its name */
	/* "HOME=...", "USER=...", "LOGNAME=...": CMD's environment gets these */
	char *env[3];
};

/*
 * user: --user's argument (a name or a numeric uid; "root" or 0 keeps
 * root), or NULL: the user who ran memtrace through sudo, with SUDO_GID's
 * group (privileges__sudo_user), else nobody to change to. On error (no
 * such user, a SUDO_UID that names none) why gets one line and -EINVAL is
 * returned.
 */
int run_as__resolve(const char *user, struct run_as *out, char *why, size_t why_len);
/* A copy of env (its strings shared) with HOME, USER and LOGNAME the user's; NULL: -ENOMEM. */
char **run_as__environ(const struct run_as *r, char *const *env);
/*
 * In the forked child, before execve: the groups, gid and uid, in that
 * order (setuid last: it takes the right to do the others). Only system
 * calls, nothing that allocates. 0 or a negative errno.
 */
int run_as__apply(const struct run_as *r);
void run_as__release(struct run_as *r);

#endif /* MEMTRACE_RUN_AS_H */
