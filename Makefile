# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
#   make            build build/memtrace
#   make demo       install build dependencies, build, trace the demo workload
#   make test       install build dependencies, build, run unit + integration tests
#   make bench      build, then measure memtrace's overhead and costs (a few minutes)
#   make fuzz       fuzz the snapshot reader for FUZZ_SECONDS (default 60)
#   make soak       memtrace -a over SOAK_PROCS short-lived processes (default 50000)
#   make install    copy memtrace to $(PREFIX)/sbin
#   V=1             show full command lines
.DELETE_ON_ERROR:
.SUFFIXES:

VERSION  := 0.1.0
BUILD    := build
PREFIX   ?= /usr/local
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS     ?= -g -O2
WARNINGS   := -Wall -Wextra -Werror
CPPFLAGS   := -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) -DMEMTRACE_VERSION='"$(VERSION)"'
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(CFLAGS)
LDLIBS     := -lbpf -lelf -ldw -lz -lpthread -lcapstone -ljansson -liberty -lm -lncursesw -ltinfo
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# libbpf's usdt.bpf.h includes <linux/errno.h>, whose <asm/errno.h> is under the multiarch dir
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Ivmlinux -Iinclude \
	      -idirafter /usr/include/$(shell $(CC) -dumpmachine)

# user/STAGE/*.c: the stages in data-path order (tools/check-stages.sh keeps their includes
# pointing one way); user/main.c stays on top, user/preload/ is a library of its own.
STAGES     := util symbolize attach account ingest output compare render cli
USER_SRCS  := $(foreach s,$(STAGES),$(wildcard user/$(s)/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
SAN_OBJS   := $(patsubst $(BUILD)/%,$(BUILD)/asan/%,$(LIB_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
SAN_UNITS  := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))
UNIT_HELP  := $(BUILD)/tests/unit/unit_helpers.o
SAN_HELP   := $(BUILD)/asan/tests/unit/unit_helpers.o
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRCS))
PROG_SRCS  := $(wildcard tests/progs/*.c)
PROG_BINS  := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROG_SRCS))
DEMO_BIN   := $(BUILD)/demo_workload

.PHONY: all install deps demo test unit integration test-progs clean vmlinux
all: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so

deps:
	$(Q)tools/install-deps.sh

# ---- kernel side: .bpf.c -> .bpf.o -> .skel.h ----
$(BUILD)/memtrace.bpf.o: bpf/memtrace.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/memtrace.skel.h: $(BUILD)/memtrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memtrace > $@

vmlinux:
	$(Q)tools/gen-vmlinux.sh > vmlinux/vmlinux.h

# ---- user side ----
# Only the loader includes the generated skeleton; -MMD cannot know that
# before the first build.
$(BUILD)/user/attach/bpf_loader.o $(BUILD)/asan/user/attach/bpf_loader.o: $(BUILD)/memtrace.skel.h

# The HTML report's page (user/render/html/) as C arrays, with Debian's xxd: the files stay
# real HTML, CSS and JavaScript, and the binary carries them. Static: tests/unit/test_html.c
# includes them too, to find them whole in a page.
HTML_ASSETS := user/render/html/report.html user/render/html/report.css user/render/html/report.js
$(BUILD)/render/html_assets.h: $(HTML_ASSETS)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)(cd user/render/html && for f in $(notdir $(HTML_ASSETS)); do xxd -i $$f; done) | \
		sed 's/^unsigned /static const unsigned /' > $@

$(BUILD)/user/render/html_page.o $(BUILD)/asan/user/render/html_page.o: \
		$(BUILD)/render/html_assets.h

$(BUILD)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmemtrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# jemalloc linked in: memtrace's own allocations never trap in libc's probed malloc (util/heap.h)
$(BUILD)/memtrace: $(BUILD)/user/main.o $(BUILD)/libmemtrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ -l:libjemalloc.a $(LDLIBS)

install: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so
	install -D -m 0755 $< $(DESTDIR)$(PREFIX)/sbin/memtrace
	install -D -m 0644 $(BUILD)/libmemtrace_preload.so \
		$(DESTDIR)$(PREFIX)/lib/memtrace/libmemtrace_preload.so

# Launch mode's preload library: frame pointers and no tail calls, so that at
# its probe site %rbp is always the wrapper's frame (user/preload/).
$(BUILD)/libmemtrace_preload.so: user/preload/memtrace_preload.c | $(BUILD)
	$(call msg,CC-SO,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -shared -fPIC -fno-omit-frame-pointer \
		-fno-optimize-sibling-calls -ftls-model=initial-exec -o $@ $< -ldl

# ---- sanitizer build of the library, for the unit tests ----
$(BUILD)/asan/user/%.o: user/%.c
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/libmemtrace.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# ---- tests ----
# tests/unit/unit_helpers.c: what the unit tests share, linked into each of them.
$(UNIT_HELP): tests/unit/unit_helpers.c | $(BUILD)/tests/unit
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(SAN_HELP): tests/unit/unit_helpers.c | $(BUILD)/asan/tests/unit
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_HELP) $(BUILD)/libmemtrace.a | $(BUILD)/tests/unit
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -MMD -MP -o $@ $< $(UNIT_HELP) \
		$(BUILD)/libmemtrace.a -lcmocka -ljansson $(LDLIBS)

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(SAN_HELP) $(BUILD)/asan/libmemtrace.a \
		| $(BUILD)/asan/tests/unit
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -o $@ $< $(SAN_HELP) \
		$(BUILD)/asan/libmemtrace.a -lcmocka -ljansson $(LDLIBS)

# Unit-test fixtures: a PIE and a shared library with known symbols.
$(BUILD)/tests/fixtures/libfixture.so: tests/fixtures/fixture_lib.c | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -g -O1 -fPIC -shared -o $@ $<

$(BUILD)/tests/fixtures/fixture_pie: tests/fixtures/fixture_pie.c | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -g -O1 -fPIE -pie -o $@ $<

# Inlined calls (always_inline, whatever -O), and a stripped copy that names its separate
# debug file, as distributions ship libraries.
FIX_INLINE := $(BUILD)/tests/fixtures/libfixture_inline
$(FIX_INLINE).so: tests/fixtures/fixture_inline.c | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -g -O2 -fno-optimize-sibling-calls -fPIC -shared -o $@ $<

$(FIX_INLINE).debug: $(FIX_INLINE).so
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(FIX_INLINE).stripped.so: $(FIX_INLINE).so $(FIX_INLINE).debug
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --strip-all --add-gnu-debuglink=$(FIX_INLINE).debug $< $@

# USDT notes written out by hand, as <sys/sdt.h> would (tests/unit/test_usdt_notes.c).
$(BUILD)/tests/fixtures/libfixture_usdt.so: tests/fixtures/fixture_usdt.c | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -O1 -fPIC -shared -o $@ $<

# An executable with a je_-prefixed jemalloc interface linked in (test_allocator_locate.c).
$(BUILD)/tests/fixtures/fixture_je_prefixed: tests/fixtures/fixture_je_prefixed.c \
		| $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -g -O1 -Wall -Werror -o $@ $<

# C++ names: a namespaced method, overloads, a template, extern "C", an inlined method
# (tests/unit/test_symbolizer.c, test_snapshot.c).
$(BUILD)/tests/fixtures/libfixture_cxx.so: tests/fixtures/fixture_cxx.cc | $(BUILD)/tests/fixtures
	$(call msg,CXX-FIX,$@)
	$(Q)$(CXX) -g -O2 -fno-optimize-sibling-calls -fPIC -shared -Wall -Werror -o $@ $<

# Operator new and glibc's thread-exit cleanup written out with their CFI (test_caller_sites.c);
# the cleanup also stripped, with its symbols in a separate debug file, and without any.
FIX_CXX_NEW := $(BUILD)/tests/fixtures/libfixture_cxx_new.so
FIX_FREERES := $(BUILD)/tests/fixtures/libfixture_freeres
$(FIX_CXX_NEW): tests/fixtures/fixture_cxx_new.S | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -shared -fPIC -o $@ $<

$(FIX_FREERES).so: tests/fixtures/fixture_freeres.S | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -shared -fPIC -o $@ $<

$(FIX_FREERES).debug: $(FIX_FREERES).so
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(FIX_FREERES).stripped.so: $(FIX_FREERES).so $(FIX_FREERES).debug
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --strip-all --add-gnu-debuglink=$(FIX_FREERES).debug $< $@

$(FIX_FREERES).nodebug.so: $(FIX_FREERES).so
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --strip-all $< $@

# CFI only in .debug_frame, then stripped with it moved to a debug file (test_unwind_table.c).
FIX_DFRAME := $(BUILD)/tests/fixtures/libfixture_debug_frame
$(FIX_DFRAME).so: tests/fixtures/fixture_debug_frame.c | $(BUILD)/tests/fixtures
	$(call msg,CC-FIX,$@)
	$(Q)$(CC) -g -O0 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fPIC -shared \
		-o $@ $<

$(FIX_DFRAME).debug: $(FIX_DFRAME).so
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(FIX_DFRAME).stripped.so: $(FIX_DFRAME).so $(FIX_DFRAME).debug
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --strip-all --add-gnu-debuglink=$(FIX_DFRAME).debug $< $@

FIXTURES := $(BUILD)/tests/fixtures/libfixture.so $(BUILD)/tests/fixtures/fixture_pie \
	$(BUILD)/tests/fixtures/libfixture_cxx.so \
	$(BUILD)/tests/fixtures/fixture_je_prefixed \
	$(FIX_INLINE).so $(FIX_INLINE).debug $(FIX_INLINE).stripped.so \
	$(BUILD)/tests/fixtures/libfixture_usdt.so $(FIX_CXX_NEW) \
	$(FIX_FREERES).so $(FIX_FREERES).debug $(FIX_FREERES).stripped.so $(FIX_FREERES).nodebug.so \
	$(FIX_DFRAME).so $(FIX_DFRAME).debug $(FIX_DFRAME).stripped.so

include tests/progs/progs.mk

# test_gpu reads the probed symbols from the contract table itself.
$(BUILD)/tests/integration/test_gpu: tests/integration/test_gpu.c user/attach/gpu_funcs.c \
		tests/integration/harness.c | $(BUILD)/tests/integration
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration $(ALL_CFLAGS) -MMD -MP -o $@ $< \
		user/attach/gpu_funcs.c tests/integration/harness.c -lcmocka -ljansson

$(BUILD)/tests/integration/%: tests/integration/%.c tests/integration/harness.c \
		| $(BUILD)/tests/integration
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration $(ALL_CFLAGS) -MMD -MP -o $@ $< \
		tests/integration/harness.c -lcmocka -ljansson

$(DEMO_BIN): tools/demo/demo_workload.c | $(BUILD)
	$(call msg,CC-DEMO,$@)
	$(Q)$(CC) -g -O1 -fno-omit-frame-pointer -fno-inline -Wall -Werror -pthread -o $@ $<

test-progs: $(PROG_BINS) $(ALLOC_PROGS) $(PY_EXTS)

unit: $(UNIT_BINS) $(SAN_UNITS) $(FIXTURES) $(BUILD)/tests/progs/static_alloc \
		$(BUILD)/tests/progs/jemalloc_static
	$(Q)tests/run-tests.sh unit $(UNIT_BINS) $(SAN_UNITS)

integration: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so $(PROG_BINS) $(INTEG_BINS) \
		$(DIFF_PROGS) $(GPU_DOUBLE_LIBS) $(GPU_PROGS) $(ALLOC_PROGS) $(PY_EXTS)
	$(Q)tests/run-tests.sh integration $(INTEG_BINS)

test: deps
	$(Q)tools/check-stages.sh
	$(Q)tools/check-function-length.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(DEMO_BIN)
	$(Q)$(BUILD)/memtrace --html $(BUILD)/demo.html -- $(DEMO_BIN)
	@echo "The same run as a page: $(BUILD)/demo.html (open it in a browser)"

# ---- fuzzing: libFuzzer with ASan/UBSan, on a copy of the seed corpus ----
# Built with clang (libFuzzer is clang's), apart from the gcc objects. jansson
# is the system's, so uninstrumented: coverage guides through our code only.
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 $(SAN_FLAGS)
FUZZ_OBJS    := $(FUZZ_DIR)/user/compare/snapshot_reader.o $(FUZZ_DIR)/user/compare/snapshot_fields.o \
		$(FUZZ_DIR)/user/compare/snapshot_timeline.o $(FUZZ_DIR)/user/compare/snapshot_details.o \
		$(FUZZ_DIR)/user/symbolize/demangle.o \
		$(FUZZ_DIR)/user/util/units.o
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_snapshot_reader

.PHONY: fuzz soak
SOAK_PROCS ?= 50000
# The same test as in make test, longer: memtrace's own memory stays flat.
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/progs/exec_leaker \
		$(BUILD)/tests/integration/test_soak
	$(Q)MEMTRACE_SOAK_PROCS=$(SOAK_PROCS) tests/run-tests.sh integration \
		$(BUILD)/tests/integration/test_soak


$(FUZZ_DIR)/user/%.o: user/%.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARNINGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
		-MMD -MP -c $< -o $@

$(FUZZ_BIN): tests/fuzz/fuzz_snapshot_reader.c $(FUZZ_OBJS) | $(FUZZ_DIR)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARNINGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP \
		-o $@ $< $(FUZZ_OBJS) -ljansson -liberty

# The corpus grows in build/, never in the repository; findings land in
# $(FUZZ_DIR)/crash-* (or leak-, timeout-, oom-) and fail the run.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BIN)
	$(Q)mkdir -p $(FUZZ_DIR)/corpus
	$(Q)cp tests/fuzz/corpus/* $(FUZZ_DIR)/corpus/
	$(Q)$(FUZZ_BIN) -max_len=65536 -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-dict=tests/fuzz/snapshot.dict -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus

# ---- benchmarks: make bench prints one table (tools/bench.sh) ----
BENCH_DIR   := $(BUILD)/tests/bench
BENCH_PROGS := $(patsubst tests/bench/%.c,$(BENCH_DIR)/%,$(wildcard tests/bench/*_bench.c))

.PHONY: bench bench-progs

$(BENCH_DIR)/floor.bpf.o: tests/bench/floor.bpf.c | $(BENCH_DIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_DIR)/floor.skel.h: $(BENCH_DIR)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor > $@

# -fno-builtin keeps every malloc+free pair; frame pointers, so memtrace's
# stack walks go as deep as in a program built to be profiled. Its new/delete
# loop is C++ (newdelete.cc), so it links libstdc++ like any C++ program.
$(BENCH_DIR)/newdelete.o: tests/bench/newdelete.cc | $(BENCH_DIR)
	$(call msg,CXX-BENCH,$@)
	$(Q)$(CXX) -std=gnu++17 $(WARNINGS) -g -O2 -fno-omit-frame-pointer -MMD -MP -c -o $@ $<

$(BENCH_DIR)/workload: tests/bench/workload.c $(BENCH_DIR)/newdelete.o | $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) -std=gnu11 $(WARNINGS) -g -O2 -fno-builtin -fno-omit-frame-pointer -pthread \
		-MMD -MP -o $@ $< $(BENCH_DIR)/newdelete.o -lstdc++

# The same loops without frame pointers, each allocator call at the bottom of a 10-deep
# chain (tools/bench.sh, F: the in-kernel DWARF unwinder's cost).
$(BENCH_DIR)/workload_nofp: tests/bench/workload.c $(BENCH_DIR)/newdelete.o | $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) -std=gnu11 $(WARNINGS) -g -O2 -fno-builtin -fomit-frame-pointer -DCALL_CHAIN \
		-pthread -MMD -MP -o $@ $< $(BENCH_DIR)/newdelete.o -lstdc++

$(BENCH_DIR)/floor: tests/bench/floor.c $(BENCH_DIR)/floor.skel.h $(BUILD)/libmemtrace.a \
		| $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) -I$(BENCH_DIR) $(ALL_CFLAGS) -MMD -MP -o $@ $< \
		$(BUILD)/libmemtrace.a $(LDLIBS)

# memtrace's time around CMD (tools/bench.sh, E): a C program and the same as C++, both
# finding the CUDA test double's runtime through their RUNPATH.
$(BENCH_DIR)/edges: tests/bench/edges.c | $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) -std=gnu11 $(WARNINGS) -g -O2 -MMD -MP \
		-Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN/../gpu_double' -o $@ $< -ldl

$(BENCH_DIR)/edges_cxx: tests/bench/edges.c | $(BENCH_DIR)
	$(call msg,CXX-BENCH,$@)
	$(Q)$(CXX) -x c++ $(WARNINGS) -g -O2 -MMD -MP \
		-Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN/../gpu_double' -o $@ $< -ldl

# -rdynamic: the benches check the symbolizer's names against dladdr1.
$(BENCH_DIR)/%_bench: tests/bench/%_bench.c $(BUILD)/libmemtrace.a | $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/bench $(ALL_CFLAGS) -rdynamic -MMD -MP -o $@ $< \
		$(BUILD)/libmemtrace.a -ljansson $(LDLIBS)

# The resource probes' workloads (tools/bench.sh, R): a plain program, as a traced one would be.
$(BENCH_DIR)/res_workload: tests/bench/res_workload.c | $(BENCH_DIR)
	$(call msg,CC-BENCH,$@)
	$(Q)$(CC) -std=gnu11 $(WARNINGS) -g -O2 -fno-builtin -fno-omit-frame-pointer -pthread \
		-MMD -MP -o $@ $<

# The empty recipe keeps make from saying "Nothing to be done" above the table.
bench-progs: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so $(BENCH_DIR)/workload \
		$(BENCH_DIR)/workload_nofp \
		$(BENCH_DIR)/floor $(BENCH_PROGS) $(BENCH_DIR)/edges $(BENCH_DIR)/edges_cxx \
		$(BENCH_DIR)/res_workload \
		$(GPU_DOUBLE_LIBS)
	@:

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-progs
	$(Q)tools/bench.sh $(BUILD)

$(BENCH_DIR):
	$(Q)mkdir -p $@

-include $(wildcard $(BENCH_DIR)/*.d)

$(BUILD) $(BUILD)/tests/unit $(BUILD)/asan/tests/unit $(BUILD)/tests/progs \
$(BUILD)/tests/integration $(BUILD)/tests/fixtures $(FUZZ_DIR) $(GPU_DOUBLE):
	$(Q)mkdir -p $@

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/user/*.d $(BUILD)/user/*/*.d \
	$(BUILD)/asan/user/*/*.d $(BUILD)/tests/unit/*.d $(BUILD)/asan/tests/unit/*.d \
	$(BUILD)/tests/integration/*.d $(FUZZ_DIR)/*.d $(FUZZ_DIR)/user/*/*.d)
