# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The programs the tests trace (tests/progs/), the GPU test double (tests/gpu_double/) and
# their variants: included by the top Makefile, which owns BUILD, the compilers and the
# directory rules.

# Target programs: frame pointers and no inlining, so stacks name every caller.
PROG_CFLAGS := -g -O1 -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
	-fno-builtin -Wall -Werror -pthread

$(BUILD)/tests/progs/%: tests/progs/%.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -o $@ $<

# Without frame pointers, on purpose: what --stack=dwarf and kernel-dwarf are for.
NOFP_CFLAGS := -g -O2 -fomit-frame-pointer -fno-optimize-sibling-calls -fno-builtin -Wall \
	-Werror
NOFP_PROGS  := deep_nofp nofp_chain qsort_nofp signal_nofp

$(NOFP_PROGS:%=$(BUILD)/tests/progs/%): $(BUILD)/tests/progs/%: tests/progs/%.c \
		| $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -o $@ $<

# Loaded by dlopen_nofp at run time, after memtrace attached.
$(BUILD)/tests/progs/libnofp.so: tests/progs/lib/nofp_lib.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -shared -fPIC $(NOFP_CFLAGS) -o $@ $<

$(BUILD)/tests/progs/dlopen_nofp: $(BUILD)/tests/progs/libnofp.so

# No CFI but the .debug_frame of its debug file, split out and named by .gnu_debuglink: no
# start files, whose own .eh_frame would give the library an .eh_frame_hdr.
DEBUGLINK_LIB := $(BUILD)/tests/progs/libdebuglink.so
$(DEBUGLINK_LIB).full: tests/progs/lib/debuglink_lib.c | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) -shared -fPIC -nostartfiles -fno-asynchronous-unwind-tables -fno-unwind-tables \
		$(NOFP_CFLAGS) -o $@ $<

$(DEBUGLINK_LIB).debug: $(DEBUGLINK_LIB).full
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(DEBUGLINK_LIB): $(DEBUGLINK_LIB).full $(DEBUGLINK_LIB).debug
	$(call msg,OBJCOPY,$@)
	$(Q)cd $(@D) && objcopy --strip-all --add-gnu-debuglink=$(notdir $@).debug \
		$(notdir $<) $(notdir $@)

$(BUILD)/tests/progs/debuglink_caller: tests/progs/debuglink_caller.c $(DEBUGLINK_LIB)
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -o $@ $< -L$(BUILD)/tests/progs -ldebuglink \
		-Wl,-rpath,'$$ORIGIN'

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
	gpu_real_cudart top_gpu gpu_transfers)

$(BUILD)/tests/progs/gpu_linked $(BUILD)/tests/progs/gpu_transfers: $(BUILD)/tests/progs/%: \
		tests/progs/%.c $(GPU_DOUBLE_DEPS) $(GPU_DOUBLE)/libcudart.so.13 | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) $(GPU_API_FLAGS) $(GPU_RPATH) -o $@ $< -L$(GPU_DOUBLE) \
		-l:libcudart.so.13 -l:libcuda.so.1

# memtrace top's GPU column (test_top): 3 MiB held through the double's cudaMalloc
$(BUILD)/tests/progs/top_gpu: tests/progs/top_gpu.c $(GPU_DOUBLE_DEPS) \
		$(GPU_DOUBLE)/libcudart.so.13 | $(BUILD)/tests/progs
	$(call msg,CC-PROG,$@)
	$(Q)$(CC) $(PROG_CFLAGS) $(GPU_API_FLAGS) $(GPU_RPATH) -o $@ $< -L$(GPU_DOUBLE) \
		-l:libcudart.so.13

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

# The Python test extension (tests/progs/python/mtext.c), one build per interpreter it is
# loaded into: Debian's python3.11 (python3.11-dev's headers) and each pyenv CPython 3.10-3.13
# present (their own include/; none when pyenv is absent, and nothing to skip then). An
# extension resolves the interpreter's symbols when it is loaded: no libpython at link time.
# tests/integration/test_python_stacks.c loads build/tests/progs/python/TAG/mtext.so.
PY_EXT_DIR    := $(BUILD)/tests/progs/python
PYENV_ROOT_VERSIONS ?= /root/.pyenv/versions
PYENV_PYTHONS := $(notdir $(wildcard $(PYENV_ROOT_VERSIONS)/3.1[0-3].*))
PY_EXTS       := $(PY_EXT_DIR)/debian-3.11/mtext.so \
	$(PYENV_PYTHONS:%=$(PY_EXT_DIR)/pyenv-%/mtext.so)
PY_EXT_CFLAGS := $(PROG_CFLAGS) -shared -fPIC

$(PY_EXT_DIR)/debian-3.11/mtext.so: tests/progs/python/mtext.c
	$(call msg,CC-PYEXT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PY_EXT_CFLAGS) -I/usr/include/python3.11 -o $@ $<

$(PY_EXT_DIR)/pyenv-%/mtext.so: tests/progs/python/mtext.c
	$(call msg,CC-PYEXT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PY_EXT_CFLAGS) \
		-I$(firstword $(wildcard $(PYENV_ROOT_VERSIONS)/$*/include/python3.*)) -o $@ $<
