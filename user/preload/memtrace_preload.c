// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Launch mode's preload library (LD_PRELOAD=libmemtrace_preload.so, set by
 * memtrace for CMD). Each allocator function here calls the next
 * definition (libc's, or an allocator the program links) and reports the
 * call at one probe site, memtrace_site: a 5-byte nop, which the kernel
 * turns into a call when a uprobe is put on it. One probe hit per call
 * instead of an entry probe and a return probe, each an int3 trap.
 *
 * Built with frame pointers: at the site %rbp is the wrapper's frame, whose
 * return address is the program's call site.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/types.h>
#include <memtrace/event.h>

#define EXPORT __attribute__((visibility("default")))

/* memtrace_site(func, size, addr, old_addr): where memtrace's probe goes. */
/* With call-frame information: --stack=dwarf unwinds through it to the wrapper. */
__asm__(".text\n"
	".globl memtrace_site\n"
	".type memtrace_site, @function\n"
	"memtrace_site:\n"
	"\t.cfi_startproc\n"
	"\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size memtrace_site, .-memtrace_site\n");
EXPORT void memtrace_site(unsigned long func, size_t size, void *addr, void *old_addr);

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} next;

/*
 * Calls made by the allocator underneath (glibc's reallocarray jumps to
 * realloc through the PLT, that is, to our realloc) belong to the call
 * that is reporting: they are passed through unreported.
 */
static __thread unsigned int depth __attribute__((tls_model("initial-exec")));

/*
 * dlsym may allocate before the functions it finds are known: those few
 * blocks come from here, and are never freed.
 */
static char bootstrap[16384] __attribute__((aligned(64)));
static size_t bootstrap_used;
static int resolving;

static void *bootstrap_alloc(size_t size)
{
	size_t at = (bootstrap_used + 63) & ~(size_t)63;

	if (size > sizeof(bootstrap) - at)
		return NULL;
	bootstrap_used = at + size;
	return bootstrap + at;
}

static int from_bootstrap(const void *p)
{
	return (const char *)p >= bootstrap && (const char *)p < bootstrap + sizeof(bootstrap);
}

static void resolve(void)
{
	resolving = 1;
	next.malloc = dlsym(RTLD_NEXT, "malloc");
	next.calloc = dlsym(RTLD_NEXT, "calloc");
	next.realloc = dlsym(RTLD_NEXT, "realloc");
	next.reallocarray = dlsym(RTLD_NEXT, "reallocarray");
	next.free = dlsym(RTLD_NEXT, "free");
	next.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	next.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	next.memalign = dlsym(RTLD_NEXT, "memalign");
	next.valloc = dlsym(RTLD_NEXT, "valloc");
	next.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
	resolving = 0;
}

__attribute__((constructor)) static void preload_init(void)
{
	if (!next.free)
		resolve();
}

#define REPORT(func, size, addr, old)                                          \
	do {                                                                   \
		if (!depth)                                                    \
			memtrace_site(func, size, (void *)(addr), (void *)(old)); \
	} while (0)

/* The next definition of fn, resolved at first use (before our constructor runs, too). */
#define NEXT(fn) (next.fn ? next.fn : (resolve(), next.fn))

EXPORT void *malloc(size_t size)
{
	void *p;

	if (resolving)
		return bootstrap_alloc(size);
	depth++;
	p = NEXT(malloc)(size);
	depth--;
	REPORT(MT_FN_MALLOC, size, p, NULL);
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (resolving) {
		/* bootstrap memory is static, hence zeroed */
		if (__builtin_mul_overflow(n, size, &bytes))
			return NULL;
		return bootstrap_alloc(bytes);
	}
	depth++;
	p = NEXT(calloc)(n, size);
	depth--;
	REPORT(MT_FN_CALLOC, __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes, p, NULL);
	return p;
}

EXPORT void free(void *p)
{
	if (!p || from_bootstrap(p))
		return;
	/* before the block can be handed out again */
	REPORT(MT_FN_FREE, 0, p, NULL);
	depth++;
	NEXT(free)(p);
	depth--;
}

EXPORT void *realloc(void *old, size_t size)
{
	void *p;

	if (from_bootstrap(old)) {
		/* rare: a block from before the real functions were known; its size is lost */
		size_t room = (size_t)(bootstrap + sizeof(bootstrap) - (char *)old);

		p = malloc(size);
		if (p)
			memcpy(p, old, size < room ? size : room);
		return p;
	}
	REPORT(MT_SITE_CALL_BEGIN, 0, NULL, NULL);
	depth++;
	p = NEXT(realloc)(old, size);
	depth--;
	REPORT(MT_FN_REALLOC, size, p, old);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t bytes;
	void *p;

	REPORT(MT_SITE_CALL_BEGIN, 0, NULL, NULL);
	depth++;
	p = NEXT(reallocarray)(old, n, size);
	depth--;
	REPORT(MT_FN_REALLOCARRAY, __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes, p,
	       old);
	return p;
}

EXPORT int posix_memalign(void **out, size_t alignment, size_t size)
{
	int err;

	depth++;
	err = NEXT(posix_memalign)(out, alignment, size);
	depth--;
	REPORT(MT_FN_POSIX_MEMALIGN, size, err ? NULL : *out, NULL);
	return err;
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	void *p;

	depth++;
	p = NEXT(aligned_alloc)(alignment, size);
	depth--;
	REPORT(MT_FN_ALIGNED_ALLOC, size, p, NULL);
	return p;
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	void *p;

	depth++;
	p = NEXT(memalign)(alignment, size);
	depth--;
	REPORT(MT_FN_MEMALIGN, size, p, NULL);
	return p;
}

EXPORT void *valloc(size_t size)
{
	void *p;

	depth++;
	p = NEXT(valloc)(size);
	depth--;
	REPORT(MT_FN_VALLOC, size, p, NULL);
	return p;
}

EXPORT void *pvalloc(size_t size)
{
	void *p;

	depth++;
	p = NEXT(pvalloc)(size);
	depth--;
	REPORT(MT_FN_PVALLOC, size, p, NULL);
	return p;
}
