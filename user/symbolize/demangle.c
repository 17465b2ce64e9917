// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libiberty's cplus_demangle_v3_callback rather than libstdc++'s
 * __cxa_demangle: both are the same demangler, but __cxa_demangle builds
 * its whole answer in one malloc'ed string, and a name can demangle to
 * exponentially more than itself through nested back-references (measured:
 * a 260-byte name, 1.1 GB and 10.6 s). The callback hands the text over
 * piece by piece and the demangler holds no heap memory meanwhile, so the
 * sink can stop it at DEMANGLE_MAX_OUTPUT with a longjmp that leaks
 * nothing. Input is bounded by the demangler itself: names over 1024 bytes
 * are refused, which bounds the stack its arrays take.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "symbolize/demangle.h"

/* gdb's choice: parameters and qualifiers, std::string rather than its template */
#define DEMANGLE_OPTIONS (DMGL_PARAMS | DMGL_ANSI)

/* On the heap: its fields change between setjmp and longjmp. */
struct sink {
	char *buf;
	size_t len, cap;
	jmp_buf stop;
};

static void sink__append(const char *s, size_t len, void *opaque)
{
	struct sink *k = opaque;
	size_t cap = k->cap;
	char *grown;

	/* room for the NUL too */
	if (len >= DEMANGLE_MAX_OUTPUT - k->len)
		longjmp(k->stop, 1);
	while (k->len + len + 1 > cap)
		cap *= 2;
	if (cap > k->cap) {
		grown = realloc(k->buf, cap);
		if (!grown)
			longjmp(k->stop, 1);
		k->buf = grown;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, s, len);
	k->len += len;
}

bool demangle__is_mangled(const char *name)
{
	return name && name[0] == '_' && name[1] == 'Z';
}

char *demangle__cxx(const char *name)
{
	struct sink *k;
	char *out = NULL, *shrunk;

	/* not even tried on other names: the demangler would read "i" as the type int */
	if (!demangle__is_mangled(name))
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->cap = 128;
	k->buf = malloc(k->cap);
	if (!k->buf)
		goto cleanup;
	if (setjmp(k->stop))
		goto cleanup;
	if (!cplus_demangle_v3_callback(name, DEMANGLE_OPTIONS, sink__append, k) || !k->len)
		goto cleanup;
	k->buf[k->len] = '\0';
	shrunk = realloc(k->buf, k->len + 1);
	out = shrunk ? shrunk : k->buf;
	k->buf = NULL;
cleanup:
	free(k->buf);
	free(k);
	return out;
}
