/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * C++ linkage names made readable: "_ZN2ns5Model4leakEi" ->
 * "ns::Model::leak(int)", with libiberty's demangler (the one c++filt and
 * gdb use), bounded so that a name a traced program chose cannot cost
 * memtrace more than a few hundred microseconds and 64 KiB.
 */
#ifndef MEMTRACE_DEMANGLE_H
#define MEMTRACE_DEMANGLE_H

#include <stdbool.h>

/* Longest demangled name kept; a longer one leaves the name mangled. */
#define DEMANGLE_MAX_OUTPUT 65536

/* name is an Itanium C++ ABI linkage name ("_Z..."): worth demangling. */
bool demangle__is_mangled(const char *name);

/*
 * The readable form of a C++ linkage name, malloc'ed; NULL when name is
 * not one (a C function's name, NULL), does not demangle (malformed, or
 * over the demangler's own bound of 1024 bytes of input), would demangle
 * to more than DEMANGLE_MAX_OUTPUT bytes, or memory runs out. Callers keep
 * the mangled name then.
 */
char *demangle__cxx(const char *name);

#endif /* MEMTRACE_DEMANGLE_H */
