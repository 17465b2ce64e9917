// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One leak through each kind of operator new, each from a function of its
 * own, on a line marked for tests/integration/test_allocators.c: the
 * leak's stack must start at that function and line, not in libstdc++,
 * and go on to main. Then a new and its delete, whose free counts as C++'s
 * too. Nothing else allocates: no iostream, no stdio.
 */
#include <cstddef>
#include <new>

#define NOINLINE __attribute__((noinline))

struct Obj {
	char name[40];
	long value;
};
static_assert(sizeof(Obj) == 48, "the test expects 48-byte objects");

/* aligned new: operator new(size_t, align_val_t) */
struct alignas(64) Big {
	char bytes[256];
};

static void *volatile sink[6];

extern "C" {

/* operator new(size_t): _Znwm */
NOINLINE void leak_new(void)
{
	sink[0] = new Obj(); /* MARK: leak_new */
}

/* operator new[](size_t): _Znam, a tail jump to _Znwm */
NOINLINE void leak_new_array(void)
{
	sink[1] = new char[3333]; /* MARK: leak_new_array */
}

/* operator new(size_t, nothrow_t): calls _Znwm, a second level to climb */
NOINLINE void leak_nothrow(void)
{
	sink[2] = new (std::nothrow) Obj[2]; /* MARK: leak_nothrow */
}

/* operator new[](size_t, nothrow_t): calls _Znam, which jumps to _Znwm */
NOINLINE void leak_nothrow_array(void)
{
	sink[3] = new (std::nothrow) char[4444]; /* MARK: leak_nothrow_array */
}

/* operator new(size_t, align_val_t): aligned_alloc, %rbp saved and reused */
NOINLINE void leak_aligned(void)
{
	sink[4] = new Big(); /* MARK: leak_aligned */
}

/* operator new[](size_t, align_val_t, nothrow_t): three levels, two of them frames */
NOINLINE void leak_aligned_nothrow(void)
{
	sink[5] = new (std::nothrow) Big[2]; /* MARK: leak_aligned_nothrow */
}

/* through a volatile: the compiler may drop a new and delete pair it sees whole */
NOINLINE void new_and_delete(void)
{
	Obj *volatile obj = new Obj();

	delete obj;
}

}

int main()
{
	leak_new();
	leak_new_array();
	leak_nothrow();
	leak_nothrow_array();
	leak_aligned();
	leak_aligned_nothrow();
	new_and_delete();
	return 0;
}
