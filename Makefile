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
LDLIBS     := -lbpf -lelf -ldw -lz -lpthread -lcapstone -ljansson -liberty
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# libbpf's usdt.bpf.h includes <linux/errno.h>, whose <asm/errno.h> is under the multiarch dir
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Ivmlinux -Iinclude \
	      -idirafter /usr/include/$(shell $(CC) -dumpmachine)

USER_SRCS  := $(wildcard user/*.c)
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(filter-out user/main.c,$(USER_SRCS)))
SAN_OBJS   := $(patsubst $(BUILD)/%,$(BUILD)/asan/%,$(LIB_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
SAN_UNITS  := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))
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
$(BUILD)/user/bpf_loader.o $(BUILD)/asan/user/bpf_loader.o: $(BUILD)/memtrace.skel.h

$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmemtrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/memtrace: $(BUILD)/user/main.o $(BUILD)/libmemtrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

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
$(BUILD)/asan/user/%.o: user/%.c | $(BUILD)/asan/user
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/libmemtrace.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# ---- tests ----
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libmemtrace.a | $(BUILD)/tests/unit
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libmemtrace.a \
		-lcmocka -ljansson $(LDLIBS)

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(BUILD)/asan/libmemtrace.a | $(BUILD)/asan/tests/unit
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -o $@ $< \
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

FIXTURES := $(BUILD)/tests/fixtures/libfixture.so $(BUILD)/tests/fixtures/fixture_pie \
	$(BUILD)/tests/fixtures/libfixture_cxx.so \
	$(BUILD)/tests/fixtures/fixture_je_prefixed \
	$(FIX_INLINE).so $(FIX_INLINE).debug $(FIX_INLINE).stripped.so \
	$(BUILD)/tests/fixtures/libfixture_usdt.so $(FIX_CXX_NEW) \
	$(FIX_FREERES).so $(FIX_FREERES).debug $(FIX_FREERES).stripped.so $(FIX_FREERES).nodebug.so

# Target programs: frame pointers and no inlining, so stacks name every caller.
PROG_CFLAGS := -g -O1 -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
	-fno-builtin -Wall -Werror -pthread

$(BUILD)/tests/progs/%: tests/progs/%.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $<

# Without frame pointers, on purpose: what --stack=dwarf is for.
$(BUILD)/tests/progs/deep_nofp: tests/progs/deep_nofp.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -g -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -fno-builtin -Wall \
		-Werror -o $@ $<

$(BUILD)/tests/progs/static_alloc: tests/progs/static_alloc.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -static -g -O1 -fno-omit-frame-pointer -fno-inline -fno-builtin -Wall -Werror \
		-o $@ $<

$(BUILD)/tests/progs/static_mappings: tests/progs/static_mappings.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -static -g -O1 -fno-omit-frame-pointer -fno-inline -fno-builtin -Wall -Werror \
		-o $@ $<

$(BUILD)/tests/progs/libcaller.so: tests/progs/lib/caller_lib.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -shared -fPIC -g -O1 -fno-omit-frame-pointer -fno-inline -fno-builtin -Wall \
		-Werror -o $@ $<

# Loaded by dlopen_exit at run time, by the path it is given; never linked.
$(BUILD)/tests/progs/libdlopened.so: tests/progs/lib/dlopened_lib.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -shared -fPIC -g -O1 -fno-omit-frame-pointer -fno-inline \
		-fno-optimize-sibling-calls -fno-builtin -Wall -Werror -o $@ $<

$(BUILD)/tests/progs/dlopen_exit: $(BUILD)/tests/progs/libdlopened.so

$(BUILD)/tests/progs/shlib_caller: tests/progs/shlib_caller.c $(BUILD)/tests/progs/libcaller.so
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -g -O1 -fno-omit-frame-pointer -fno-inline -fno-builtin -Wall -Werror -o $@ $< \
		-L$(BUILD)/tests/progs -lcaller -Wl,-rpath,'$$ORIGIN'

# memtrace diff's subject in variants, each named diff_prog as a program keeps its name
# from run to run: one source built with switches, and a copy under another file name
# linked at another path (tests/progs/diff_prog.c says what each does).
DIFF_DIR   := $(BUILD)/tests/progs
DIFF_PROGS := $(DIFF_DIR)/leakier/diff_prog $(DIFF_DIR)/peakier/diff_prog \
	$(DIFF_DIR)/relocated/diff_prog

$(DIFF_DIR)/leakier/diff_prog: tests/progs/diff_prog.c | $(DIFF_DIR)/leakier
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -DLEAK_MORE -o $@ $<

$(DIFF_DIR)/peakier/diff_prog: tests/progs/diff_prog.c | $(DIFF_DIR)/peakier
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -DBIG_PEAK -o $@ $<

$(DIFF_DIR)/renamed/other_name.c: tests/progs/diff_prog.c | $(DIFF_DIR)/renamed
	$(call msg,CP,$@)
	$(Q)cp $< $@

$(DIFF_DIR)/relocated/diff_prog: $(DIFF_DIR)/renamed/other_name.c | $(DIFF_DIR)/relocated
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $<

$(addprefix $(DIFF_DIR)/,leakier peakier renamed relocated):
	$(Q)mkdir -p $@

# The GPU test double (tests/gpu_double/: host memory behind CUDA and HIP names; no GPU
# anywhere). Checked against NVIDIA's headers when they are installed, else against our plain
# prototypes: `make GPU_DOUBLE_HEADERS=fallback` forces those. No inlining, sibling calls or
# identical-code folding: each exported name keeps an address and a frame of its own.
GPU_DOUBLE   := $(BUILD)/tests/gpu_double
CUDA_INCLUDE ?= /usr/local/cuda/include
GPU_DOUBLE_HEADERS ?= $(if $(wildcard $(CUDA_INCLUDE)/cuda.h),cuda,fallback)
GPU_API_FLAGS := -Itests/gpu_double \
	$(if $(filter cuda,$(GPU_DOUBLE_HEADERS)),-DGPU_DOUBLE_CUDA_HEADERS -I$(CUDA_INCLUDE))
GPU_DOUBLE_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -fno-inline -fno-optimize-sibling-calls \
	-fno-ipa-icf -fno-omit-frame-pointer -fPIC -shared -fvisibility=hidden -pthread
GPU_DOUBLE_DEPS := tests/gpu_double/gpu_double_api.h tests/gpu_double/gpu_double_pool.h
GPU_DOUBLE_LIBS := $(GPU_DOUBLE)/libcuda.so.1 $(GPU_DOUBLE)/libcudart.so.13 \
	$(GPU_DOUBLE)/libamdhip64.so.6

$(GPU_DOUBLE)/libcuda.so.1: tests/gpu_double/cuda_driver_double.c \
		tests/gpu_double/gpu_double_pool.c $(GPU_DOUBLE_DEPS) | $(GPU_DOUBLE)
	$(call msg,CC-SO,$@)
	$(Q)$(CC) $(GPU_API_FLAGS) $(GPU_DOUBLE_CFLAGS) -Wl,-soname,libcuda.so.1 -o $@ \
		$(filter %.c,$^)

$(GPU_DOUBLE)/libcudart.so.13: tests/gpu_double/cuda_runtime_double.c $(GPU_DOUBLE_DEPS) \
		$(GPU_DOUBLE)/libcuda.so.1 | $(GPU_DOUBLE)
	$(call msg,CC-SO,$@)
	$(Q)$(CC) $(GPU_API_FLAGS) $(GPU_DOUBLE_CFLAGS) -Wl,-soname,libcudart.so.13 -o $@ $< \
		-L$(GPU_DOUBLE) -l:libcuda.so.1 -Wl,-rpath,'$$ORIGIN'

$(GPU_DOUBLE)/libamdhip64.so.6: tests/gpu_double/hip_double.c tests/gpu_double/gpu_double_pool.c \
		$(GPU_DOUBLE_DEPS) | $(GPU_DOUBLE)
	$(call msg,CC-SO,$@)
	$(Q)$(CC) $(GPU_API_FLAGS) $(GPU_DOUBLE_CFLAGS) -Wl,-soname,libamdhip64.so.6 -o $@ \
		$(filter %.c,$^)

# GPU programs (tests/progs/gpu_*.c say what each allocates): gpu_linked and gpu_hip link the
# double; gpu_dlopen and gpu_dlsym find it at run time through their RUNPATH; gpu_real_cudart
# opens the library it is given by path, and must not find the double's libcuda.
GPU_RPATH := -Wl,--enable-new-dtags -Wl,-rpath,'$$ORIGIN/../gpu_double'
GPU_PROGS := $(addprefix $(BUILD)/tests/progs/,gpu_linked gpu_hip gpu_dlopen gpu_dlsym \
	gpu_real_cudart)

$(BUILD)/tests/progs/gpu_linked: tests/progs/gpu_linked.c $(GPU_DOUBLE_DEPS) \
		$(GPU_DOUBLE)/libcudart.so.13 | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) $(GPU_API_FLAGS) $(GPU_RPATH) -o $@ $< -L$(GPU_DOUBLE) \
		-l:libcudart.so.13 -l:libcuda.so.1

$(BUILD)/tests/progs/gpu_hip: tests/progs/gpu_hip.c $(GPU_DOUBLE_DEPS) \
		$(GPU_DOUBLE)/libamdhip64.so.6 | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) $(GPU_API_FLAGS) $(GPU_RPATH) -o $@ $< -L$(GPU_DOUBLE) \
		-l:libamdhip64.so.6

$(BUILD)/tests/progs/gpu_dlopen $(BUILD)/tests/progs/gpu_dlsym: $(BUILD)/tests/progs/%: \
		tests/progs/%.c $(GPU_DOUBLE)/libcudart.so.13 | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) $(GPU_RPATH) -o $@ $< -ldl

$(BUILD)/tests/progs/gpu_real_cudart: tests/progs/gpu_real_cudart.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $< -ldl

# Allocators beside libc (tests/progs/cxx_*.cc, jemalloc_calls.c): linked with libstdc++ alone,
# or with jemalloc, tcmalloc or mimalloc taking malloc (and operator new) over.
ALLOC_PROGS := $(addprefix $(BUILD)/tests/progs/,cxx_new cxx_bad_alloc cxx_names cxx_stacks \
	cxx_new_jemalloc cxx_new_tcmalloc cxx_new_static \
	tcmalloc_calls mimalloc_calls jemalloc_linked_in jemalloc_static)
PROG_CXXFLAGS := $(filter-out -pthread,$(PROG_CFLAGS)) -std=gnu++17

CXX_PROGS := $(addprefix $(BUILD)/tests/progs/,cxx_new cxx_bad_alloc cxx_names cxx_stacks)
$(CXX_PROGS): $(BUILD)/tests/progs/%: tests/progs/%.cc | $(BUILD)/tests/progs
	$(call msg,CXX-PROG,$@)
	$(Q)$(CXX) $(PROG_CXXFLAGS) -o $@ $<

# libstdc++ in the executable: its operators are found there
$(BUILD)/tests/progs/cxx_new_static: tests/progs/cxx_new.cc | $(BUILD)/tests/progs
	$(call msg,CXX-PROG,$@)
	$(Q)$(CXX) $(PROG_CXXFLAGS) -static-libstdc++ -o $@ $<

$(BUILD)/tests/progs/cxx_new_%: tests/progs/cxx_new.cc | $(BUILD)/tests/progs
	$(call msg,CXX-PROG,$@)
	$(Q)$(CXX) $(PROG_CXXFLAGS) -o $@ $< -l$*

$(BUILD)/tests/progs/jemalloc_calls: tests/progs/jemalloc_calls.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -DWITH_JEMALLOC_API -o $@ $< -ljemalloc

# jemalloc in the executable itself: beside a shared libc, and in a static executable, where
# its malloc takes the place of glibc's.
$(BUILD)/tests/progs/jemalloc_linked_in: tests/progs/jemalloc_calls.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -DWITH_JEMALLOC_API -o $@ $< -Wl,-Bstatic -ljemalloc_pic \
		-Wl,-Bdynamic -lstdc++ -lm -ldl

$(BUILD)/tests/progs/jemalloc_static: tests/progs/jemalloc_calls.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -static $(PROG_CFLAGS) -DWITH_JEMALLOC_API -o $@ $< -ljemalloc -lstdc++ -lm

$(BUILD)/tests/progs/tcmalloc_calls: tests/progs/jemalloc_calls.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $< -ltcmalloc

$(BUILD)/tests/progs/mimalloc_calls: tests/progs/jemalloc_calls.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $< -lmimalloc

# test_gpu reads the probed symbols from the contract table itself.
$(BUILD)/tests/integration/test_gpu: tests/integration/test_gpu.c user/gpu_funcs.c \
		user/gpu_funcs.h tests/integration/harness.c tests/integration/harness.h \
		| $(BUILD)/tests/integration
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration $(ALL_CFLAGS) -o $@ $< user/gpu_funcs.c \
		tests/integration/harness.c -lcmocka -ljansson

$(BUILD)/tests/integration/%: tests/integration/%.c tests/integration/harness.c \
		tests/integration/harness.h | $(BUILD)/tests/integration
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration $(ALL_CFLAGS) -o $@ $< \
		tests/integration/harness.c -lcmocka -ljansson

$(DEMO_BIN): tools/demo/demo_workload.c | $(BUILD)
	$(call msg,CC-DEMO,$@)
	$(Q)$(CC) -g -O1 -fno-omit-frame-pointer -fno-inline -Wall -Werror -pthread -o $@ $<

test-progs: $(PROG_BINS) $(ALLOC_PROGS)

unit: $(UNIT_BINS) $(SAN_UNITS) $(FIXTURES) $(BUILD)/tests/progs/static_alloc \
		$(BUILD)/tests/progs/jemalloc_static
	$(Q)tests/run-tests.sh unit $(UNIT_BINS) $(SAN_UNITS)

integration: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so $(PROG_BINS) $(INTEG_BINS) \
		$(DIFF_PROGS) $(GPU_DOUBLE_LIBS) $(GPU_PROGS) $(ALLOC_PROGS)
	$(Q)tests/run-tests.sh integration $(INTEG_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(DEMO_BIN)
	$(Q)$(BUILD)/memtrace -- $(DEMO_BIN)

# ---- fuzzing: libFuzzer with ASan/UBSan, on a copy of the seed corpus ----
# Built with clang (libFuzzer is clang's), apart from the gcc objects. jansson
# is the system's, so uninstrumented: coverage guides through our code only.
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 $(SAN_FLAGS)
FUZZ_OBJS    := $(FUZZ_DIR)/user/snapshot_reader.o $(FUZZ_DIR)/user/demangle.o
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_snapshot_reader

.PHONY: fuzz soak
SOAK_PROCS ?= 50000
# The same test as in make test, longer: memtrace's own memory stays flat.
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/progs/exec_leaker \
		$(BUILD)/tests/integration/test_soak
	$(Q)MEMTRACE_SOAK_PROCS=$(SOAK_PROCS) tests/run-tests.sh integration \
		$(BUILD)/tests/integration/test_soak


$(FUZZ_DIR)/user/%.o: user/%.c | $(FUZZ_DIR)/user
	$(call msg,CC-FUZZ,$@)
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

# The empty recipe keeps make from saying "Nothing to be done" above the table.
bench-progs: $(BUILD)/memtrace $(BUILD)/libmemtrace_preload.so $(BENCH_DIR)/workload \
		$(BENCH_DIR)/floor $(BENCH_PROGS) $(BENCH_DIR)/edges $(BENCH_DIR)/edges_cxx \
		$(GPU_DOUBLE_LIBS)
	@:

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-progs
	$(Q)tools/bench.sh $(BUILD)

$(BENCH_DIR):
	$(Q)mkdir -p $@

-include $(wildcard $(BENCH_DIR)/*.d)

$(BUILD) $(BUILD)/user $(BUILD)/asan/user $(BUILD)/tests/unit $(BUILD)/asan/tests/unit \
$(BUILD)/tests/progs $(BUILD)/tests/integration $(BUILD)/tests/fixtures $(FUZZ_DIR) \
$(FUZZ_DIR)/user $(GPU_DOUBLE):
	$(Q)mkdir -p $@

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/user/*.d $(BUILD)/asan/user/*.d \
	$(BUILD)/tests/unit/*.d $(BUILD)/asan/tests/unit/*.d $(FUZZ_DIR)/*.d \
	$(FUZZ_DIR)/user/*.d)
