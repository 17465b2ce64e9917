// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach/allocator_funcs.h"

static const char *const names[MT_ALLOC_COUNT] = {
	[MT_ALLOC_LIBC] = "libc",
	[MT_ALLOC_CXX] = "cxx",
	[MT_ALLOC_JEMALLOC] = "jemalloc",
	[MT_ALLOC_TCMALLOC] = "tcmalloc",
	[MT_ALLOC_MIMALLOC] = "mimalloc",
};

static const char *const shape_names[SHAPE_COUNT] = {
	[SHAPE_MALLOC] = "malloc",
	[SHAPE_CALLOC] = "calloc",
	[SHAPE_REALLOC] = "realloc",
	[SHAPE_REALLOCARRAY] = "reallocarray",
	[SHAPE_POSIX_MEMALIGN] = "posix_memalign",
	[SHAPE_ALIGNED_ALLOC] = "aligned_alloc",
	[SHAPE_FREE] = "free",
	[SHAPE_FREE_NESTED] = "free_nested",
	[SHAPE_CXX_NEW] = "cxx_new",
};

/*
 * The Itanium C++ ABI's mangled operator new and delete, every variant
 * (x86-64: size_t is m); new_shape is how the allocator's new is counted.
 */
#define CXX_NEW(new_shape)                                                     \
	{ "_Znwm", new_shape },                                                \
	{ "_Znam", new_shape },                                                \
	{ "_ZnwmRKSt9nothrow_t", new_shape },                                  \
	{ "_ZnamRKSt9nothrow_t", new_shape },                                  \
	{ "_ZnwmSt11align_val_t", new_shape },                                 \
	{ "_ZnamSt11align_val_t", new_shape },                                 \
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", new_shape },                   \
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", new_shape }

#define CXX_NEW_DELETE(new_shape)                                              \
	CXX_NEW(new_shape),                                                    \
	{ "_ZdlPv", SHAPE_FREE_NESTED },                                       \
	{ "_ZdaPv", SHAPE_FREE_NESTED },                                       \
	{ "_ZdlPvm", SHAPE_FREE_NESTED },                                      \
	{ "_ZdaPvm", SHAPE_FREE_NESTED },                                      \
	{ "_ZdlPvRKSt9nothrow_t", SHAPE_FREE_NESTED },                         \
	{ "_ZdaPvRKSt9nothrow_t", SHAPE_FREE_NESTED },                         \
	{ "_ZdlPvSt11align_val_t", SHAPE_FREE_NESTED },                        \
	{ "_ZdaPvSt11align_val_t", SHAPE_FREE_NESTED },                        \
	{ "_ZdlPvmSt11align_val_t", SHAPE_FREE_NESTED },                       \
	{ "_ZdaPvmSt11align_val_t", SHAPE_FREE_NESTED },                       \
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", SHAPE_FREE_NESTED },          \
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", SHAPE_FREE_NESTED }

/* The standard C names, which a malloc replacement defines to take over from libc. */
#define C_STANDARD                                                             \
	{ "malloc", SHAPE_MALLOC },                                            \
	{ "calloc", SHAPE_CALLOC },                                            \
	{ "realloc", SHAPE_REALLOC },                                          \
	{ "reallocarray", SHAPE_REALLOCARRAY },                                \
	{ "free", SHAPE_FREE },                                                \
	{ "posix_memalign", SHAPE_POSIX_MEMALIGN },                            \
	{ "aligned_alloc", SHAPE_ALIGNED_ALLOC },                              \
	{ "memalign", SHAPE_ALIGNED_ALLOC },                                   \
	{ "valloc", SHAPE_MALLOC },                                            \
	{ "pvalloc", SHAPE_MALLOC }

/*
 * libstdc++'s operators, none probed: its new calls malloc (aligned new:
 * aligned_alloc), whose probe tells it by its return address
 * (caller_sites.h); its delete jumps to free, counted for the block's
 * allocator. They are listed to find the files that hold them.
 */
static const struct allocator_symbol cxx_symbols[] = {
	CXX_NEW(SHAPE_CXX_NEW),
	{},
};

/*
 * jemalloc 5.3's operator new and delete inline its fast paths and call
 * no exported function: they are probed themselves. A build configured
 * with --with-jemalloc-prefix=je_ names the C interface je_malloc, ...
 */
static const struct allocator_symbol jemalloc_symbols[] = {
	C_STANDARD,
	{ "je_malloc", SHAPE_MALLOC },
	{ "je_calloc", SHAPE_CALLOC },
	{ "je_realloc", SHAPE_REALLOC },
	{ "je_free", SHAPE_FREE },
	{ "je_posix_memalign", SHAPE_POSIX_MEMALIGN },
	{ "je_aligned_alloc", SHAPE_ALIGNED_ALLOC },
	{ "je_memalign", SHAPE_ALIGNED_ALLOC },
	{ "je_valloc", SHAPE_MALLOC },
	{ "mallocx", SHAPE_MALLOC },
	{ "je_mallocx", SHAPE_MALLOC },
	{ "rallocx", SHAPE_REALLOC },
	{ "je_rallocx", SHAPE_REALLOC },
	{ "dallocx", SHAPE_FREE_NESTED },
	{ "je_dallocx", SHAPE_FREE_NESTED },
	{ "sdallocx", SHAPE_FREE_NESTED },
	{ "je_sdallocx", SHAPE_FREE_NESTED },
	CXX_NEW_DELETE(SHAPE_MALLOC),
	{},
};

/* gperftools: the tc_ names are mostly aliases of the standard ones, which share their probe. */
static const struct allocator_symbol tcmalloc_symbols[] = {
	C_STANDARD,
	{ "tc_malloc", SHAPE_MALLOC },
	{ "tc_calloc", SHAPE_CALLOC },
	{ "tc_realloc", SHAPE_REALLOC },
	{ "tc_free", SHAPE_FREE },
	{ "tc_posix_memalign", SHAPE_POSIX_MEMALIGN },
	{ "tc_memalign", SHAPE_ALIGNED_ALLOC },
	{ "tc_valloc", SHAPE_MALLOC },
	{ "tc_pvalloc", SHAPE_MALLOC },
	{ "tc_malloc_skip_new_handler", SHAPE_MALLOC },
	{ "tc_free_sized", SHAPE_FREE_NESTED },
	CXX_NEW_DELETE(SHAPE_MALLOC),
	{},
};

/* mimalloc's override build: malloc is mi_malloc, free is mi_free and operator delete. */
static const struct allocator_symbol mimalloc_symbols[] = {
	C_STANDARD,
	{ "mi_malloc", SHAPE_MALLOC },
	{ "mi_zalloc", SHAPE_MALLOC },
	{ "mi_calloc", SHAPE_CALLOC },
	{ "mi_realloc", SHAPE_REALLOC },
	{ "mi_reallocarray", SHAPE_REALLOCARRAY },
	{ "mi_free", SHAPE_FREE },
	{ "mi_posix_memalign", SHAPE_POSIX_MEMALIGN },
	{ "mi_malloc_aligned", SHAPE_MALLOC },
	{ "mi_new", SHAPE_MALLOC },
	{ "mi_new_aligned", SHAPE_MALLOC },
	{ "mi_free_size", SHAPE_FREE_NESTED },
	CXX_NEW_DELETE(SHAPE_MALLOC),
	{},
};

static const struct allocator_family families[MT_ALLOC_COUNT] = {
	[MT_ALLOC_CXX] = {
		.allocator = MT_ALLOC_CXX,
		.name = "cxx",
		.libraries = (const char *const[]){ "libstdc++.so", NULL },
		.markers = (const char *const[]){ "_Znwm", NULL },
		.symbols = cxx_symbols,
	},
	[MT_ALLOC_JEMALLOC] = {
		.allocator = MT_ALLOC_JEMALLOC,
		.name = "jemalloc",
		.libraries = (const char *const[]){ "libjemalloc.so", NULL },
		.markers = (const char *const[]){ "mallocx", "je_mallocx", "je_malloc", NULL },
		.symbols = jemalloc_symbols,
	},
	[MT_ALLOC_TCMALLOC] = {
		.allocator = MT_ALLOC_TCMALLOC,
		.name = "tcmalloc",
		/* also libtcmalloc_minimal, _debug and _and_profiler */
		.libraries = (const char *const[]){ "libtcmalloc", NULL },
		.markers = (const char *const[]){ "tc_malloc", NULL },
		.symbols = tcmalloc_symbols,
	},
	[MT_ALLOC_MIMALLOC] = {
		.allocator = MT_ALLOC_MIMALLOC,
		.name = "mimalloc",
		.libraries = (const char *const[]){ "libmimalloc.so", "libmimalloc-", NULL },
		.markers = (const char *const[]){ "mi_malloc", NULL },
		.symbols = mimalloc_symbols,
	},
};

const char *allocator_funcs__name(enum mt_allocator a)
{
	return (unsigned int)a < MT_ALLOC_COUNT ? names[a] : "?";
}

const struct allocator_family *allocator_funcs__family(enum mt_allocator a)
{
	if ((unsigned int)a >= MT_ALLOC_COUNT || !families[a].name)
		return NULL;
	return &families[a];
}

int allocator_funcs__prog_name(enum mt_allocator a, enum allocator_shape shape, char *buf,
			       size_t len)
{
	int n;

	if (!allocator_funcs__family(a) || (unsigned int)shape >= SHAPE_COUNT)
		return -EINVAL;
	n = snprintf(buf, len, "%s_%s_enter", names[a], shape_names[shape]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool allocator_funcs__has_return(enum allocator_shape shape)
{
	return shape != SHAPE_FREE && shape != SHAPE_CXX_NEW;
}

bool allocator_funcs__is_probed(enum allocator_shape shape)
{
	return shape != SHAPE_CXX_NEW;
}

bool allocator_funcs__is_library(const struct allocator_family *f, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (const char *const *lib = f->libraries; *lib; lib++)
		if (!strncmp(base, *lib, strlen(*lib)))
			return true;
	return false;
}
