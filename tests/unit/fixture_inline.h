/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The inline fixture (tests/fixtures/fixture_inline.c) as the DWARF tests
 * use it: a return address it records inside an inlined call, and the
 * lines its MARK comments stand on, so that no test hard-codes a line.
 */
#ifndef MEMTRACE_TEST_FIXTURE_INLINE_H
#define MEMTRACE_TEST_FIXTURE_INLINE_H

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define INLINE_LIB      "build/tests/fixtures/libfixture_inline.so"
#define INLINE_STRIPPED "build/tests/fixtures/libfixture_inline.stripped.so"
#define INLINE_DEBUG    "build/tests/fixtures/libfixture_inline.debug"
#define INLINE_SOURCE   "tests/fixtures/fixture_inline.c"
/* the name the stripped copy's .gnu_debuglink gives */
#define INLINE_DEBUGLINK "libfixture_inline.debug"

/* The line of INLINE_SOURCE with the comment "MARK: name", or 0. */
static inline unsigned int fixture_inline__line(const char *name)
{
	char line[256], mark[64];
	unsigned int n = 0, found = 0;
	FILE *f = fopen(INLINE_SOURCE, "r");

	if (!f)
		return 0;
	snprintf(mark, sizeof(mark), "MARK: %s */", name);
	while (!found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, mark))
			found = n;
	}
	fclose(f);
	return found;
}

/*
 * Runs the fixture (dlopen()ed as handle) so that it records a return
 * address inside inline_leaf, inlined into inline_mid, inlined into
 * inline_outer. Returns it; *vaddr gets it as a link-time address. 0 on
 * failure.
 */
static inline uint64_t fixture_inline__ret(void *handle, uint64_t *vaddr)
{
	int (*entry)(int) = (int (*)(int))dlsym(handle, "fixture_inline_entry");
	void **ret = dlsym(handle, "fixture_inline_ret");
	struct link_map *lm;

	if (!entry || !ret || dlinfo(handle, RTLD_DI_LINKMAP, &lm))
		return 0;
	entry(1);
	*vaddr = (uint64_t)(uintptr_t)*ret - lm->l_addr;
	return (uint64_t)(uintptr_t)*ret;
}

#endif /* MEMTRACE_TEST_FIXTURE_INLINE_H */
