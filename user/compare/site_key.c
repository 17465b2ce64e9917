// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/site_key.h"

#define DELETED " (deleted)"

const char *site_key__module(const char *path, char *buf, size_t len)
{
	const char *name = strrchr(path, '/'), *so;
	size_t n;

	name = name ? name + 1 : path;
	n = strlen(name);
	/* a library replaced on disk while the process ran: the same module */
	if (n >= strlen(DELETED) && !strcmp(name + n - strlen(DELETED), DELETED))
		n -= strlen(DELETED);
	/* "libfoo.so.1.2.3" and "libfoo.so.1.2.4" after an upgrade: one module */
	for (so = name; (so = memmem(so, n - (so - name), ".so", 3)); so += 3) {
		if (so + 3 == name + n || so[3] == '.') {
			n = so + 3 - name;
			break;
		}
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

char *site_key__build(const struct snap_leak *leak, unsigned int depth)
{
	size_t n = leak->nr_frames, size = 0;
	char module[256], *key = NULL;
	FILE *f = open_memstream(&key, &size);

	if (!f)
		return NULL;
	if (depth && n > depth)
		n = depth;
	fputs(leak->allocator ? leak->allocator : "libc", f);
	for (size_t i = 0; i < n; i++) {
		const struct snap_frame *fr = &leak->frames[i];
		/* the mangled name: what snapshots of every age agree on */
		const char *name = fr->linkage_name ? fr->linkage_name : fr->symbol;
		const char *base;

		/* no line: an edit above the function keeps its site the same site */
		if (fr->python) {
			base = fr->file ? strrchr(fr->file, '/') : NULL;
			fprintf(f, ";py:%s@%s", name ? name : "?",
				base ? base + 1 : fr->file ? fr->file : "?");
			continue;
		}
		fprintf(f, ";%s@%s", name ? name : "?",
			fr->module ? site_key__module(fr->module, module, sizeof(module)) : "?");
	}
	if (fclose(f)) {
		free(key);
		return NULL;
	}
	return key;
}
