// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "attach/preload.h"
#include "symbolize/elf_file.h"

#define PRELOAD_NAME "libmemtrace_preload.so"
#define SITE_SYMBOL "memtrace_site"

extern char **environ;

int preload__find(char *out, size_t len)
{
	/* the build tree keeps it beside memtrace, make install under ../lib/memtrace */
	static const char *const places[] = { "%s/" PRELOAD_NAME,
					      "%s/../lib/memtrace/" PRELOAD_NAME };
	char self[PATH_MAX], *slash, *real;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -ENOENT;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		char candidate[PATH_MAX + 64];

		snprintf(candidate, sizeof(candidate), places[i], self);
		real = realpath(candidate, NULL);
		if (!real)
			continue;
		snprintf(out, len, "%s", real);
		free(real);
		return 0;
	}
	return -ENOENT;
}

char **preload__environ(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	if (asprintf(&env[j++], "LD_PRELOAD=%s%s%s", lib, old && *old ? ":" : "",
		     old ? old : "") < 0) {
		free(env);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[j++] = environ[i];
	}
	return env;
}

void preload__free_env(char **env)
{
	if (!env)
		return;
	/* only the first entry is ours; the rest belong to environ */
	free(env[0]);
	free(env);
}

bool preload__is_mapped(const struct proc_maps *maps, const char *lib)
{
	struct stat st;

	if (stat(lib, &st))
		return false;
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (m->executable && m->inode == st.st_ino && m->dev_major == major(st.st_dev) &&
		    m->dev_minor == minor(st.st_dev))
			return true;
	}
	return false;
}

int preload__attach(struct bpf_loader *l, pid_t pid, const char *lib)
{
	struct elf_file *ef = NULL;
	uint64_t offset;
	int err;

	err = elf_file__open(lib, &ef);
	if (err)
		return err;
	err = elf_file__func_offset(ef, SITE_SYMBOL, &offset, NULL);
	elf_file__free(ef);
	if (err)
		return err;
	return bpf_loader__attach_preload_site(l, pid, lib, offset);
}
