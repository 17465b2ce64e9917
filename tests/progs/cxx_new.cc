// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * operator new and delete of known sizes, each from its own caller
 * (tests/integration/test_allocators.c holds the expected numbers). Built
 * three times: with libstdc++'s operators (cxx_new), and linked with
 * jemalloc (cxx_new_jemalloc) or tcmalloc (cxx_new_tcmalloc), whose own
 * operators take over. Nothing else allocates: no iostream, no stdio.
 */
#include <cstddef>

#define NOINLINE __attribute__((noinline))

struct Foo {
	char name[24];
	long value;
};
static_assert(sizeof(Foo) == 32, "the test expects 32-byte objects");

/* aligned new: operator new(size_t, align_val_t) */
struct alignas(64) Big {
	char bytes[128];
};

/* The compiler must not drop a new and delete pair it can see through. */
static char *volatile arrays[5];
static Foo *volatile objects[3];
static Big *volatile bigs[2];

extern "C" {

NOINLINE void new_arrays(void)
{
	for (int i = 0; i < 5; i++)
		arrays[i] = new char[1000];
}

NOINLINE void new_objects(void)
{
	for (int i = 0; i < 3; i++)
		objects[i] = new Foo();
}

NOINLINE void new_aligned(void)
{
	for (int i = 0; i < 2; i++)
		bigs[i] = new Big();
}

/* delete[] (unsized for char), sized delete, sized aligned delete: one each */
NOINLINE void delete_some(void)
{
	delete[] arrays[0];
	delete objects[0];
	delete bigs[0];
}

}

int main()
{
	new_arrays();
	new_objects();
	new_aligned();
	delete_some();
	return 0;
}
