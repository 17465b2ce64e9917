// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How long a fresh symbolizer takes to name 100k distinct addresses spread
 * evenly over the text of libc and of this binary, in shuffled order, from
 * this process's own memory map: the first pass, ELF files opened and
 * symbol tables read inside the timing, as at the end of a real run.
 *
 * A sample of the answers is checked against dladdr1 (this binary is
 * linked with -rdynamic), so a symbolizer that got faster by getting
 * things wrong fails here instead.
 *
 * Prints symbolize_100k_s, and symbolize_named (the share of addresses
 * that got a function name) and symbolize_checked (how many were compared
 * with dladdr1, all of which agreed).
 *
 * Then the same over libstdc++'s text alone (dlopen()ed), whose names are
 * nearly all C++ and demangled as they are first met: symbolize_cxx_100k_s,
 * symbolize_cxx_named, symbolize_cxx_demangled (the share of addresses
 * whose name was demangled) and symbolize_cxx_checked.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/proc_maps.h"
#include "symbolize/symbolizer.h"

#define NR_ADDRS     100000
#define CHECK_STRIDE 97		/* ~1000 of the addresses are checked */
#define MIN_CHECKED  200
#define SEED         0x13198a2e03707344ULL

static uint64_t rng = SEED;

static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_target(const struct proc_map *m, const char *exe, bool cxx)
{
	const char *base;

	if (!m->executable || !m->path)
		return false;
	if (!cxx && !strcmp(m->path, exe))
		return true;
	base = strrchr(m->path, '/');
	return base && !strncmp(base + 1, cxx ? "libstdc++.so" : "libc.so", cxx ? 12 : 7);
}

/*
 * Addresses at an even stride over every executable mapping of libc and
 * this binary, or with cxx, of libstdc++.
 */
static int spread_addrs(const struct proc_maps *maps, bool cxx, uint64_t *addrs)
{
	char exe[PATH_MAX];
	uint64_t text = 0, stride, pos = 0;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t n = 0;

	if (len < 0)
		return -errno;
	exe[len] = '\0';
	for (size_t i = 0; i < maps->n; i++)
		if (is_target(&maps->maps[i], exe, cxx))
			text += maps->maps[i].end - maps->maps[i].start;
	if (text < NR_ADDRS)
		return -ENOENT;
	stride = text / NR_ADDRS;
	for (size_t i = 0; i < maps->n && n < NR_ADDRS; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!is_target(m, exe, cxx))
			continue;
		/* pos carries over, so the stride stays even across mappings */
		for (; pos < m->end - m->start && n < NR_ADDRS; pos += stride)
			addrs[n++] = m->start + pos;
		pos -= m->end - m->start;
	}
	if (n < NR_ADDRS)
		return -ENOENT;
	/* a shuffled order: the frames of real stacks do not come sorted */
	for (size_t i = NR_ADDRS - 1; i > 0; i--) {
		size_t j = next_rand() % (i + 1);
		uint64_t tmp = addrs[i];

		addrs[i] = addrs[j];
		addrs[j] = tmp;
	}
	return 0;
}

/*
 * Where the dynamic linker knows a function that contains ip, the
 * symbolizer must name a function starting at the same address (aliases
 * may differ in name). Returns the number of addresses compared, or -1
 * after printing the first disagreement.
 */
static int check_sample(const uint64_t *addrs, const struct frame_info *info)
{
	int checked = 0;

	for (size_t i = 0; i < NR_ADDRS; i += CHECK_STRIDE) {
		const ElfW(Sym) *sym = NULL;
		uint64_t start;
		Dl_info dl;

		if (!dladdr1((void *)addrs[i], &dl, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
		    !dl.dli_saddr)
			continue;
		start = (uint64_t)dl.dli_saddr;
		if (addrs[i] < start || addrs[i] >= start + sym->st_size)
			continue;
		checked++;
		if (info[i].symbol && addrs[i] - info[i].symbol_offset == start)
			continue;
		fprintf(stderr,
			"symbolize_bench: 0x%llx is %s+0x%llx for dladdr1, but %s+0x%llx for the "
			"symbolizer\n",
			(unsigned long long)addrs[i], dl.dli_sname,
			(unsigned long long)(addrs[i] - start),
			info[i].symbol ? info[i].symbol : "(none)",
			(unsigned long long)info[i].symbol_offset);
		return -1;
	}
	return checked;
}

/*
 * One cold pass: a fresh symbolizer names NR_ADDRS addresses of this
 * process's maps, spread over libc and this binary, or over libstdc++.
 * Prints PREFIX_100k_s, PREFIX_named, (with cxx) PREFIX_demangled and
 * PREFIX_checked. 0, or non-zero after saying why.
 */
static int bench_pass(const char *prefix, bool cxx, uint64_t *addrs, struct frame_info *info)
{
	struct proc_maps maps = {};
	struct symbolizer *sym = NULL;
	size_t named = 0, demangled = 0;
	int err, checked = 0;
	double start, secs;

	err = proc_maps__read(getpid(), &maps);
	if (!err)
		err = spread_addrs(&maps, cxx, addrs);
	if (err) {
		fprintf(stderr, "symbolize_bench: cannot find %s text: %s\n",
			cxx ? "libstdc++'s" : "libc's and my own", strerror(-err));
		goto cleanup;
	}
	sym = symbolizer__new();
	if (!sym) {
		err = -ENOMEM;
		goto cleanup;
	}
	start = now_s();
	for (size_t i = 0; i < NR_ADDRS; i++)
		symbolizer__resolve(sym, &maps, NULL, addrs[i], false, &info[i]);
	secs = now_s() - start;

	for (size_t i = 0; i < NR_ADDRS; i++) {
		named += info[i].symbol != NULL;
		demangled += info[i].linkage_name != NULL;
	}
	checked = check_sample(addrs, info);
	if (checked < MIN_CHECKED) {
		if (checked >= 0)
			fprintf(stderr, "symbolize_bench: only %d addresses could be checked\n",
				checked);
		err = -EPROTO;
		goto cleanup;
	}
	printf("%s_100k_s %.3f\n", prefix, secs);
	printf("%s_named %.3f\n", prefix, (double)named / NR_ADDRS);
	if (cxx)
		printf("%s_demangled %.3f\n", prefix, (double)demangled / NR_ADDRS);
	printf("%s_checked %d\n", prefix, checked);
cleanup:
	symbolizer__free(sym);
	proc_maps__release(&maps);
	return err;
}

int main(void)
{
	uint64_t *addrs = calloc(NR_ADDRS, sizeof(*addrs));
	struct frame_info *info = calloc(NR_ADDRS, sizeof(*info));
	void *cxx = NULL;
	int err = -ENOMEM;

	if (!addrs || !info)
		goto cleanup;
	err = bench_pass("symbolize", false, addrs, info);
	if (err)
		goto cleanup;
	/* loaded after the first pass, which must not change */
	cxx = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	if (!cxx) {
		fprintf(stderr, "symbolize_bench: %s\n", dlerror());
		err = -ENOENT;
		goto cleanup;
	}
	err = bench_pass("symbolize_cxx", true, addrs, info);
cleanup:
	if (cxx)
		dlclose(cxx);
	free(info);
	free(addrs);
	return err ? 1 : 0;
}
