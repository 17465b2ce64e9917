// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * C++ leaks whose callers have names worth demangling
 * (tests/integration/test_cxx_names.c holds the expected names and
 * bytes): a method of a class in a namespace, its overload, a function
 * template, an extern "C" function, and a method inlined into another.
 * Every block is leaked; nothing else allocates (no iostream, no stdio).
 */
#include <cstddef>

#define NOINLINE __attribute__((noinline))

/* The compiler must not drop a new it can see through. */
static void *volatile kept[8];
static int nkept;

namespace ns {

class Model {
public:
	NOINLINE void leak(int n);	/* _ZN2ns5Model4leakEi */
	NOINLINE void leak(double x);	/* _ZN2ns5Model4leakEd */
	NOINLINE void train(int n);	/* _ZN2ns5Model5trainEi */

private:
	/* always_inline beats -fno-inline: only the DWARF names it */
	__attribute__((always_inline)) inline void grow(int n);
};

void Model::leak(int n)
{
	kept[nkept++] = new char[n];
}

void Model::leak(double x)
{
	kept[nkept++] = new char[(int)(x * 111)];
}

void Model::grow(int n)
{
	kept[nkept++] = new char[n]; /* MARK: grow_new */
}

void Model::train(int n)
{
	grow(n * 2); /* MARK: train_grow */
}

/* _ZN2ns4makeIlEEPT_i: long* ns::make<long>(int) */
template <typename T> NOINLINE T *make(int n)
{
	return new T[n];
}

} // namespace ns

extern "C" NOINLINE void c_leak(void)
{
	kept[nkept++] = new char[77];
}

int main()
{
	ns::Model m;

	m.leak(1000);
	m.leak(1000);
	m.leak(3.0);
	m.train(2048);
	kept[nkept++] = ns::make<long>(4);
	c_leak();
	return 0;
}
