// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/privileges.h"
#include "util/run_as.h"

static const char *const env_names[] = { "HOME=", "USER=", "LOGNAME=" };

/* --user's uid: decimal, and not (id_t)-1, which set*id() read as "unchanged". */
static int parse_id(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= UINT_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* The user's supplementary groups, from the group database as login would have them. */
static int read_groups(const char *name, gid_t gid, struct run_as *out)
{
	int n = 32;

	for (;;) {
		gid_t *groups = realloc(out->groups, (size_t)n * sizeof(*groups));
		int want = n;

		if (!groups)
			return -ENOMEM;
		out->groups = groups;
		if (getgrouplist(name, gid, groups, &want) >= 0) {
			out->nr_groups = (size_t)want;
			return 0;
		}
		/* -1 with want set to the number it has: try again with room for them all */
		if (want <= n)
			return -EIO;
		n = want;
	}
}

static int fill(struct run_as *out, const struct passwd *pw, gid_t gid)
{
	out->change = pw->pw_uid != geteuid();
	if (!out->change)
		return 0;
	out->uid = pw->pw_uid;
	out->gid = gid;
	out->user = strdup(pw->pw_name);
	if (!out->user ||
	    asprintf(&out->env[0], "%s%s", env_names[0], pw->pw_dir ? pw->pw_dir : "/") < 0 ||
	    asprintf(&out->env[1], "%s%s", env_names[1], pw->pw_name) < 0 ||
	    asprintf(&out->env[2], "%s%s", env_names[2], pw->pw_name) < 0)
		return -ENOMEM;
	/* login's groups, whatever group sudo was run with: the primary one and memberships */
	return read_groups(out->user, pw->pw_gid, out);
}

int run_as__resolve(const char *user, struct run_as *out, char *why, size_t why_len)
{
	uid_t sudo_uid, pw_uid;
	gid_t sudo_gid;
	struct passwd *pw;
	unsigned int uid;
	int err;

	*out = (struct run_as){};
	if (user) {
		pw = getpwnam(user);
		if (!pw && !parse_id(user, &uid))
			pw = getpwuid(uid);
		if (!pw) {
			snprintf(why, why_len, "--user %s: no such user", user);
			return -EINVAL;
		}
		pw_uid = pw->pw_uid;
		err = fill(out, pw, pw->pw_gid);
		goto out;
	}
	/* the user the output files go to: one rule for who ran sudo */
	if (privileges__sudo_user(&sudo_uid, &sudo_gid))
		return 0;
	pw = getpwuid(sudo_uid);
	if (!pw) {
		snprintf(why, why_len, "SUDO_UID %u is no user of this machine: choose the user "
				       "with --user", sudo_uid);
		return -EINVAL;
	}
	pw_uid = pw->pw_uid;
	err = fill(out, pw, sudo_gid);
out:
	if (err) {
		snprintf(why, why_len, "cannot look up the groups of user %u: %s", pw_uid,
			 strerror(-err));
		run_as__release(out);
	}
	return err;
}

char **run_as__environ(const struct run_as *r, char *const *env)
{
	size_t n = 0, k = 0;
	char **out;

	while (env[n])
		n++;
	out = calloc(n + 4, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (size_t j = 0; j < 3; j++)
			replaced |= !strncmp(env[i], env_names[j], strlen(env_names[j]));
		if (!replaced)
			out[k++] = env[i];
	}
	for (size_t j = 0; j < 3; j++)
		out[k++] = r->env[j];
	return out;
}

int run_as__apply(const struct run_as *r)
{
	if (!r->change)
		return 0;
	if (setgroups(r->nr_groups, r->groups) || setresgid(r->gid, r->gid, r->gid) ||
	    setresuid(r->uid, r->uid, r->uid))
		return -errno;
	return 0;
}

void run_as__release(struct run_as *r)
{
	free(r->groups);
	free(r->user);
	for (size_t j = 0; j < 3; j++)
		free(r->env[j]);
	*r = (struct run_as){};
}
