// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * debuginfo__find on the inline fixture's stripped copy, laid out in a
 * scratch directory the way distributions lay out debug files: by build id
 * under a debug directory, and by .gnu_debuglink name next to the module,
 * in its .debug/ subdirectory and under the debug directory. A debug file
 * with the wrong build id or CRC is passed over. debuginfod, with no
 * network: unset, refused, and a server that never answers (the time
 * budget ends the wait).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/debuginfo.h"
#include "symbolize/elf_file.h"
#include "fixture_inline.h"
#include "unit_helpers.h"

struct fixture {
	char dir[64];		/* scratch: mod/ holds the module, debug/ is the debug directory */
	char module[PATH_MAX];	/* dir/mod/lib.so, the stripped copy */
	char debug_dir[PATH_MAX];
	struct elf_file *ef;	/* the module */
	struct debuginfo *d;
};

static void run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct debuginfo_opts opts = {};
	char cmd[3 * PATH_MAX];

	if (!f)
		return -1;
	*state = f;
	strcpy(f->dir, "/tmp/test_debuginfo.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->module, sizeof(f->module), "%s/mod/lib.so", f->dir);
	snprintf(f->debug_dir, sizeof(f->debug_dir), "%s/debug", f->dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/mod %s && cp %s %s", f->dir, f->debug_dir,
		 INLINE_STRIPPED, f->module);
	if (system(cmd) || elf_file__open(f->module, &f->ef))
		return -1;
	opts.debug_dir = f->debug_dir;
	opts.debuginfod_ms = 1000;
	f->d = debuginfo__new(&opts);
	/* debuginfod only where a test sets it */
	unsetenv("DEBUGINFOD_URLS");
	return f->d ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX];

	debuginfo__free(f->d);
	elf_file__free(f->ef);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (f->dir[0] && system(cmd))
		return -1;
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	free(f);
	return 0;
}

/* Finds f's debug file, expecting it at the path fmt makes. */
static void assert_found(struct fixture *f, const char *root, const char *fmt, ...)
{
	char *found, expected[PATH_MAX];
	struct elf_file *debug;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(expected, sizeof(expected), fmt, ap);
	va_end(ap);
	assert_int_equal(debuginfo__find(f->d, f->ef, f->module, root, &debug, &found), 0);
	assert_string_equal(found, expected);
	/* the debug file has what the stripped module lost */
	assert_true(elf_file__has_symtab(debug));
	assert_true(elf_file__has_dwarf(debug));
	assert_string_equal(elf_file__build_id(debug), elf_file__build_id(f->ef));
	elf_file__free(debug);
	free(found);
}

static void assert_not_found(struct fixture *f, const char *root)
{
	struct elf_file *debug = (struct elf_file *)f;
	char *found = (char *)f;

	assert_int_equal(debuginfo__find(f->d, f->ef, f->module, root, &debug, &found), -ENOENT);
	assert_null(debug);
	assert_null(found);
}

/* ".build-id/xx/yyyy.debug" for the module's build id. */
static const char *build_id_path(struct fixture *f)
{
	static char buf[PATH_MAX];
	const char *id = elf_file__build_id(f->ef);

	assert_non_null(id);
	snprintf(buf, sizeof(buf), ".build-id/%.2s/%s.debug", id, id + 2);
	return buf;
}

/* Copies from to the path fmt makes, creating its directory. */
static void put(const char *from, const char *fmt, ...)
{
	char to[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(to, sizeof(to), fmt, ap);
	va_end(ap);
	run("mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", to, from, to);
}

static void test_nothing_there(void **state)
{
	struct fixture *f = *state;

	assert_false(elf_file__has_symtab(f->ef));
	assert_not_found(f, NULL);
}

static void test_build_id(void **state)
{
	struct fixture *f = *state;

	put(INLINE_DEBUG, "%s/%s", f->debug_dir, build_id_path(f));
	assert_found(f, NULL, "%s/%s", f->debug_dir, build_id_path(f));
}

/* A file at the build-id path with another build id is another file's: passed over. */
static void test_build_id_mismatch(void **state)
{
	struct fixture *f = *state;

	put("build/tests/fixtures/libfixture.so", "%s/%s", f->debug_dir, build_id_path(f));
	assert_not_found(f, NULL);
	/* the debuglink still finds the right one */
	put(INLINE_DEBUG, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
}

/* gdb's places and order: next to the module, in .debug/, under DEBUG_DIR + its directory. */
static void test_debuglink_places(void **state)
{
	struct fixture *f = *state;

	put(INLINE_DEBUG, "%s%s/mod/%s", f->debug_dir, f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s%s/mod/%s", f->debug_dir, f->dir, INLINE_DEBUGLINK);
	put(INLINE_DEBUG, "%s/mod/.debug/%s", f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s/mod/.debug/%s", f->dir, INLINE_DEBUGLINK);
	put(INLINE_DEBUG, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	/* the build id goes first */
	put(INLINE_DEBUG, "%s/%s", f->debug_dir, build_id_path(f));
	assert_found(f, NULL, "%s/%s", f->debug_dir, build_id_path(f));
}

/* Same name, other contents (here one byte more): the CRC in .gnu_debuglink rejects it. */
static void test_debuglink_crc(void **state)
{
	struct fixture *f = *state;

	put(INLINE_DEBUG, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	run("printf x >> '%s/mod/%s'", f->dir, INLINE_DEBUGLINK);
	assert_not_found(f, NULL);
	/* and the search goes on past it */
	put(INLINE_DEBUG, "%s/mod/.debug/%s", f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s/mod/.debug/%s", f->dir, INLINE_DEBUGLINK);
}

/*
 * A process in another mount namespace: the module is known by its path
 * there, "/mod/lib.so" under root; its own debug files come before this
 * machine's.
 */
static void test_root_first(void **state)
{
	struct fixture *f = *state;
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/root", f->dir);
	snprintf(f->module, sizeof(f->module), "/mod/lib.so");
	put(INLINE_DEBUG, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	/* the host's /mod has no such file: nothing by debuglink without the root */
	assert_not_found(f, NULL);
	put(INLINE_DEBUG, "%s/mod/%s", root, INLINE_DEBUGLINK);
	assert_found(f, root, "%s/mod/%s", root, INLINE_DEBUGLINK);
	put(INLINE_DEBUG, "%s/%s", f->debug_dir, build_id_path(f));
	assert_found(f, root, "%s/%s", f->debug_dir, build_id_path(f));
	put(INLINE_DEBUG, "%s%s/%s", root, f->debug_dir, build_id_path(f));
	assert_found(f, root, "%s%s/%s", root, f->debug_dir, build_id_path(f));
}

static void use_debuginfod(struct fixture *f, const char *url)
{
	char cache[PATH_MAX];

	/* its own cache: a failure cached elsewhere would answer for the server */
	snprintf(cache, sizeof(cache), "%s/debuginfod-cache", f->dir);
	assert_int_equal(setenv("DEBUGINFOD_CACHE_PATH", cache, 1), 0);
	assert_int_equal(setenv("DEBUGINFOD_URLS", url, 1), 0);
}

static void test_debuginfod_refused(void **state)
{
	struct fixture *f = *state;
	double start = unit__now_s();

	/* port 1 on the loopback: nothing listens, the connection is refused at once */
	use_debuginfod(f, "http://127.0.0.1:1");
	assert_not_found(f, NULL);
	assert_not_found(f, NULL);
	assert_true(unit__now_s() - start < 5);
	/* local files still work */
	put(INLINE_DEBUG, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
	assert_found(f, NULL, "%s/mod/%s", f->dir, INLINE_DEBUGLINK);
}

/* A server that accepts the connection and never answers: the 1 s budget ends the wait. */
static void test_debuginfod_silent(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	struct fixture *f = *state;
	char url[64];
	double start;
	int sock;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sock >= 0);
	/* listening but never accepting: the kernel completes the handshake alone */
	assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(sock, 16), 0);
	assert_int_equal(getsockname(sock, (struct sockaddr *)&addr, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(addr.sin_port));
	use_debuginfod(f, url);

	start = unit__now_s();
	assert_not_found(f, NULL);
	/* the budget is 1 s; the client notices about once a second */
	assert_true(unit__now_s() - start >= 0.9);
	assert_true(unit__now_s() - start < 5);
	/* spent: not asked again */
	start = unit__now_s();
	assert_not_found(f, NULL);
	assert_true(unit__now_s() - start < 0.5);
	close(sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_there, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_id_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debuglink_places, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debuglink_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debuginfod_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debuginfod_silent, setup, teardown),
	};

	return cmocka_run_group_tests_name("unit: debuginfo", tests, NULL, NULL);
}
