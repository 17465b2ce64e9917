/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records that travel from the BPF programs to user space through the
 * "events" ring buffer. Shared by bpf/ and user/: fixed-width types only.
 *
 * Every record starts with the fields of struct mt_record_header, so the
 * consumer can route it before it knows the record's size.
 */
#ifndef MEMTRACE_EVENT_H
#define MEMTRACE_EVENT_H

/* Frames kept per stack, the direct caller included. */
#define MT_MAX_FRAMES 127

/*
 * Call sites whose return address tells who called an allocator
 * (user/attach/caller_sites.c finds them, user/attach/caller_table.c keeps the kernel's
 * table, keyed by that address in the process): an allocator's entry reads
 * the word at the stack pointer and looks it up.
 */
enum mt_caller_kind {
	/*
	 * libstdc++'s operator new calling malloc or aligned_alloc: the call
	 * is C++'s (MT_ALLOC_CXX), and its stack starts at operator new's caller.
	 */
	MT_CALLER_CXX_NEW = 1,
	/*
	 * glibc handing a thread's cached chunks back at the thread's exit
	 * (__malloc_arena_thread_freeres): not a free of the program's, dropped.
	 */
	MT_CALLER_FREERES = 2,
};

/* mt_caller_site.flags: offsets from %rbp (a frame-pointer CFA), else from the stack pointer */
#define MT_CALLER_F_FROM_RBP 0x1
/* mt_caller_site.rbp_at: the function leaves %rbp as its caller had it */
#define MT_CALLER_RBP_KEPT (-1)
/* Entries of the kernel's table, for every traced process together */
#define MT_CALLER_SITES_MAX 65536

/*
 * MT_CALLER_CXX_NEW: where operator new's own frame keeps what the stack
 * walk needs, from its CFI at the call site. The base is the stack pointer
 * at the callee's entry (which points at this return address), or %rbp.
 */
struct mt_caller_site {
	__u8 kind;		/* enum mt_caller_kind */
	__u8 flags;		/* MT_CALLER_F_* */
	__u16 pad;
	__s32 caller_at;	/* base + caller_at holds operator new's return address */
	__s32 rbp_at;		/* base + rbp_at: its caller's %rbp; or MT_CALLER_RBP_KEPT */
};

/* How stacks are captured (--stack). */
enum mt_stack_mode {
	MT_STACK_NONE,	/* no stacks: every call still counted */
	MT_STACK_FP,	/* frame-pointer walk in the kernel, plus the direct caller */
	MT_STACK_DWARF,	/* registers and stack bytes, unwound in user space with CFI */
	MT_STACK_KERNEL_DWARF,	/* unwound in the kernel from CFI tables (bpf/stack_dwarf.bpf.h) */
};

/* kernel-dwarf's walker programs: slots of the stack_walkers map (bpf/maps.bpf.h) */
enum mt_stack_walker {
	MT_STACK_WALK_CALL,	/* an allocator call's: its call_state */
	MT_STACK_WALK_GPU,	/* a GPU call's: its gpu_call_state */
	MT_STACK_WALK_PRELOAD,	/* the preload site's, which emits the record itself */
	MT_STACK_WALKERS,
};

enum mt_record_kind {
	MT_REC_CALL = 1,	/* an allocator call completed (struct mt_event) */
	MT_REC_THREAD_EXIT = 2, /* a traced thread exited (struct mt_event) */
	MT_REC_STACK = 3,	/* first sighting of a stack (struct mt_stack_record) */
	MT_REC_STEP = 4,	/* a --step-probe hit: a training step began (struct mt_event) */
	MT_REC_STACK_DUMP = 5,	/* registers and raw user stack to unwind (struct mt_stack_dump) */
	MT_REC_GPU = 6,		/* a GPU memory API call (struct mt_gpu_event) */
	MT_REC_GC = 7,		/* a runtime's garbage collection began or ended (struct mt_gc_event) */
	MT_REC_PROC = 8,	/* a traced process forked, exec-ed or exited (struct mt_proc_event) */
	MT_REC_MMAP = 9,	/* a traced process's mmap, munmap, mremap or brk (struct mt_mmap_event) */
};

/*
 * The first 8 bytes of every record, whatever its kind: user space reads
 * them (user/ingest/dispatch.c) to check the record's size and find its
 * process. Each record names the 16 bits after kind for what its kind keeps
 * there; MT_RECORD_HEADER_CHECK holds every record to this layout, so the
 * BPF side fills the header with plain stores into its one reservation.
 */
struct mt_record_header {
	__u16 kind;		/* enum mt_record_kind */
	__u16 kind_data;	/* the kind's own: its function, operation, frame count, ... */
	__u32 pid;		/* thread group id, in the host's PID namespace */
};

#define MT_RECORD_HEADER_CHECK(type)                                                      \
	_Static_assert(__builtin_offsetof(type, kind) == 0 &&                             \
			       sizeof(((type *)0)->kind) == 2 &&                          \
			       __builtin_offsetof(type, pid) ==                           \
				       __builtin_offsetof(struct mt_record_header, pid) && \
			       sizeof(((type *)0)->pid) == 4,                             \
		       #type " starts with struct mt_record_header")

/*
 * Which processes the probes serve. With MT_SCOPE_PIDS every probe is
 * attached for one process and fires only there; the other scopes attach
 * each probe once per library file, for every process that maps it, and
 * the programs decide: by the targets map, or every process but memtrace.
 */
enum mt_scope {
	MT_SCOPE_PIDS,		/* -p, launch mode */
	MT_SCOPE_TARGETS,	/* -f, --cgroup, --comm: the targets map, grown in the kernel */
	MT_SCOPE_ALL,		/* -a */
};

/* The probed libc functions. Names are in user/attach/alloc_funcs.c. */
enum mt_func {
	MT_FN_MALLOC,
	MT_FN_CALLOC,
	MT_FN_REALLOC,
	MT_FN_REALLOCARRAY,
	MT_FN_FREE,
	MT_FN_POSIX_MEMALIGN,
	MT_FN_ALIGNED_ALLOC,
	MT_FN_MEMALIGN,
	MT_FN_VALLOC,
	MT_FN_PVALLOC,
	MT_FN_COUNT,
};

/*
 * Which allocator a call went to: each has its own probe programs, as the
 * allocator is known only by which program runs (attach cookies need
 * kernel 5.15). Names are in user/attach/allocator_funcs.c. C++'s operator new
 * counts as the allocator that defines it: "cxx" for libstdc++'s (known by
 * its call of malloc, MT_CALLER_CXX_NEW), the allocator's own for
 * jemalloc's, tcmalloc's and mimalloc's. A free is its probe's here; user
 * space counts it for the allocator of the block it frees.
 */
enum mt_allocator {
	MT_ALLOC_LIBC,
	MT_ALLOC_CXX,
	MT_ALLOC_JEMALLOC,
	MT_ALLOC_TCMALLOC,
	MT_ALLOC_MIMALLOC,
	MT_ALLOC_COUNT,
};

/*
 * The preload library's site: a realloc-like call begins (its record,
 * at the end, needs the start). Not a function of its own.
 */
#define MT_SITE_CALL_BEGIN 0xff

/*
 * The probed GPU memory functions (names and libraries in user/attach/gpu_funcs.c).
 * A name with a _ptsz twin (per-thread default stream) shares its value.
 * Allocations are recorded at return, with the out-pointer read only on
 * success; frees, unmaps and releases at entry, before the memory can be
 * handed out again. A call inside another one on the same thread (the
 * runtime calling the driver) counts once, as the outer call.
 */
enum mt_gpu_func {
	/* CUDA driver API (libcuda.so.1) */
	MT_GPU_CU_MEM_ALLOC,		/* cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) */
	MT_GPU_CU_MEM_ALLOC_PITCH,	/* cuMemAllocPitch_v2(dptr*, size_t *pitch, width, height, elem) */
	MT_GPU_CU_MEM_ALLOC_MANAGED,	/* cuMemAllocManaged(dptr*, size_t bytes, unsigned flags) */
	MT_GPU_CU_MEM_ALLOC_HOST,	/* cuMemAllocHost_v2(void **pp, size_t bytes) */
	MT_GPU_CU_MEM_HOST_ALLOC,	/* cuMemHostAlloc(void **pp, size_t bytes, unsigned flags) */
	MT_GPU_CU_MEM_ALLOC_ASYNC,	/* cuMemAllocAsync(dptr*, size_t bytes, stream) */
	MT_GPU_CU_MEM_ALLOC_FROM_POOL_ASYNC, /* cuMemAllocFromPoolAsync(dptr*, bytes, pool, stream) */
	MT_GPU_CU_MEM_FREE,		/* cuMemFree_v2(dptr) */
	MT_GPU_CU_MEM_FREE_HOST,	/* cuMemFreeHost(void *p) */
	MT_GPU_CU_MEM_FREE_ASYNC,	/* cuMemFreeAsync(dptr, stream) */
	MT_GPU_CU_MEM_CREATE,		/* cuMemCreate(handle*, size_t size, const prop*, flags) */
	MT_GPU_CU_MEM_RELEASE,		/* cuMemRelease(handle) */
	MT_GPU_CU_MEM_MAP,		/* cuMemMap(ptr, size_t size, offset, handle, flags) */
	MT_GPU_CU_MEM_UNMAP,		/* cuMemUnmap(ptr, size_t size) */
	MT_GPU_CU_MEM_ADDRESS_RESERVE,	/* cuMemAddressReserve(ptr*, size, align, addr, flags) */
	MT_GPU_CU_MEM_ADDRESS_FREE,	/* cuMemAddressFree(ptr, size_t size) */
	/* CUDA runtime API (libcudart.so.*) */
	MT_GPU_CUDA_MALLOC,		/* cudaMalloc(void **p, size_t bytes) */
	MT_GPU_CUDA_MALLOC_PITCH,	/* cudaMallocPitch(void **p, size_t *pitch, width, height) */
	MT_GPU_CUDA_MALLOC_MANAGED,	/* cudaMallocManaged(void **p, size_t bytes, unsigned flags) */
	MT_GPU_CUDA_MALLOC_HOST,	/* cudaMallocHost(void **p, size_t bytes) */
	MT_GPU_CUDA_HOST_ALLOC,		/* cudaHostAlloc(void **p, size_t bytes, unsigned flags) */
	MT_GPU_CUDA_MALLOC_ASYNC,	/* cudaMallocAsync(void **p, size_t bytes, stream) */
	MT_GPU_CUDA_MALLOC_FROM_POOL_ASYNC, /* cudaMallocFromPoolAsync(void **p, bytes, pool, stream) */
	MT_GPU_CUDA_FREE,		/* cudaFree(void *p); cudaFree(NULL) initializes: ignored */
	MT_GPU_CUDA_FREE_HOST,		/* cudaFreeHost(void *p) */
	MT_GPU_CUDA_FREE_ASYNC,		/* cudaFreeAsync(void *p, stream) */
	MT_GPU_CUDA_SET_DEVICE,		/* cudaSetDevice(int device): the thread's current device */
	/* HIP (libamdhip64.so.*) */
	MT_GPU_HIP_MALLOC,		/* hipMalloc(void **p, size_t bytes) */
	MT_GPU_HIP_MALLOC_MANAGED,	/* hipMallocManaged(void **p, size_t bytes, unsigned flags) */
	MT_GPU_HIP_HOST_MALLOC,		/* hipHostMalloc(void **p, size_t bytes, unsigned flags) */
	MT_GPU_HIP_MALLOC_ASYNC,	/* hipMallocAsync(void **p, size_t bytes, stream) */
	MT_GPU_HIP_FREE,		/* hipFree(void *p) */
	MT_GPU_HIP_HOST_FREE,		/* hipHostFree(void *p) */
	MT_GPU_HIP_FREE_ASYNC,		/* hipFreeAsync(void *p, stream) */
	MT_GPU_HIP_SET_DEVICE,		/* hipSetDevice(int device) */
	/*
	 * Transfers and waits, for the resource profile (bpf/resources.bpf.h):
	 * counted in the thread's resource counters, never a record. Probed
	 * only with the resource probes on.
	 */
	MT_GPU_CUDA_MEMCPY,		/* cudaMemcpy(dst, src, size_t count, cudaMemcpyKind kind) */
	MT_GPU_CUDA_MEMCPY_ASYNC,	/* cudaMemcpyAsync(dst, src, count, kind, stream) */
	MT_GPU_CU_MEMCPY_HTOD,		/* cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) */
	MT_GPU_CU_MEMCPY_DTOH,		/* cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) */
	MT_GPU_CU_MEMCPY_DTOD,		/* cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) */
	MT_GPU_HIP_MEMCPY,		/* hipMemcpy(dst, src, size_t count, hipMemcpyKind kind) */
	MT_GPU_CUDA_DEVICE_SYNCHRONIZE,	/* cudaDeviceSynchronize(void) */
	MT_GPU_CUDA_STREAM_SYNCHRONIZE,	/* cudaStreamSynchronize(stream) */
	MT_GPU_CU_CTX_SYNCHRONIZE,	/* cuCtxSynchronize(void) */
	MT_GPU_CU_STREAM_SYNCHRONIZE,	/* cuStreamSynchronize(stream) */
	MT_GPU_HIP_DEVICE_SYNCHRONIZE,	/* hipDeviceSynchronize(void) */
	MT_GPU_HIP_STREAM_SYNCHRONIZE,	/* hipStreamSynchronize(stream) */
	MT_GPU_FN_COUNT,
};

/* CUDA_ERROR_OUT_OF_MEMORY, cudaErrorMemoryAllocation and hipErrorOutOfMemory alike */
#define MT_GPU_RESULT_OOM 2
/* mt_gpu_event.device when the call does not say */
#define MT_GPU_DEVICE_UNKNOWN (-1)

/*
 * Per-CPU counters of everything the kernel side could not deliver.
 * Each one is shown in every report and snapshot.
 */
enum mt_drop {
	MT_DROP_RINGBUF_FULL,	/* call record not reserved: ring buffer full */
	MT_DROP_CALL_MAP_FULL,	/* entry state not stored: in-flight call map full */
	MT_DROP_MISSED_ENTRY,	/* return seen without its entry state */
	MT_DROP_STACK_RINGBUF,	/* stack record not reserved: ring buffer full */
	MT_DROP_STACK_ERROR,	/* the return address at the stack pointer was unreadable */
	MT_DROP_PROCESS_NOT_FOLLOWED, /* a new process not traced: the targets map was full */
	/*
	 * Not an allocator call: a fork, exec, exit or thread-exit record, a
	 * mapping call, a GC or step record, lost (ring buffer or its state map full)
	 */
	MT_DROP_OTHER_RECORD,
	MT_DROP_COUNT,
};

/* No stack was captured for this call (frees, not sampled, or capture failed). */
#define MT_NO_STACK 0ULL
/*
 * A call's stack_id with this bit set names an mt_stack_dump (its dump_id)
 * sent just before it by the same thread; without it, an mt_stack_record.
 */
#define MT_STACK_DUMP_FLAG (1ULL << 63)

/* Bytes of user stack a dump carries: whole pages, from the page of the stack pointer up. */
#define MT_DUMP_STACK_BYTES (16 * 1024)
/*
 * mt_stack_dump.skip: frames to drop in the low byte: the allocator's own,
 * and the preload library's wrapper or libstdc++'s operator new
 */
#define MT_DUMP_SKIP 0xff
/*
 * The dump is a GPU call's, taken at its entry: host allocations inside
 * the call may send their own dumps before its record comes, at return.
 */
#define MT_DUMP_F_GPU 0x100
/* The allocator was called by operator new: the skipped frames are its (MT_CALLER_CXX_NEW) */
#define MT_DUMP_F_CXX 0x200
/* Registers a dump carries, in DWARF x86-64 numbering: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
#define MT_DUMP_REGS 17

struct mt_event {
	__u16 kind;		/* MT_REC_CALL, MT_REC_THREAD_EXIT or MT_REC_STEP */
	__u8 func;		/* enum mt_func (MT_REC_CALL): operator new is a malloc */
	__u8 allocator;		/* enum mt_allocator (MT_REC_CALL) */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 duration_ns;	/* realloc's entry to return, saturated at ~4.3 s; else 0 */
	__u64 ts_ns;		/* CLOCK_MONOTONIC at return (free: at entry) */
	__u64 stack_id;		/* mt_stack_record.stack_id, or MT_NO_STACK */
	union {
		struct {
			__u64 addr;	/* block returned, or block freed */
			__u64 size;	/* requested bytes */
			__u64 old_addr; /* realloc's input block */
		} call;
		char comm[16];		/* MT_REC_THREAD_EXIT: the thread's last name */
	};
};
MT_RECORD_HEADER_CHECK(struct mt_event);
/* the hot record: 64 bytes in the ring buffer with its 8-byte header */
_Static_assert(sizeof(struct mt_event) == 56, "struct mt_event grew");

struct mt_gpu_event {
	__u16 kind;		/* MT_REC_GPU */
	__u16 func;		/* enum mt_gpu_func */
	__u32 pid;
	__u32 tid;
	__u32 result;		/* CUresult, cudaError_t or hipError_t: 0 success (frees: 0) */
	__u64 ts_ns;		/* CLOCK_MONOTONIC at return (frees: at entry) */
	__u64 stack_id;		/* as mt_event.stack_id; MT_NO_STACK for frees */
	/*
	 * The pointer allocated (0 on failure), freed, mapped, unmapped,
	 * reserved or given back; cuMemCreate/cuMemRelease: the handle.
	 */
	__u64 addr;
	__u64 size;		/* bytes requested (pitch calls: pitch * height); frees: as given or 0 */
	__u64 handle;		/* cuMemMap: the physical allocation mapped; else 0 */
	__s32 device;		/* cuMemCreate: location id; set-device: the device; else -1 */
	__u32 pad;
};
MT_RECORD_HEADER_CHECK(struct mt_gpu_event);

/* What happened to a traced process (mt_proc_event.op). */
enum mt_proc_op {
	MT_PROC_FORK = 1,	/* a new process: pid is the child, ppid its parent */
	MT_PROC_EXEC = 2,	/* pid runs a new image: the old one's blocks are gone */
	MT_PROC_EXIT = 3,	/* the last thread of pid exited */
};

/*
 * Lifecycle records come through the same ring buffer as the calls, in
 * order: every record of a process's old image precedes its EXEC, every
 * record of a process precedes its EXIT, so a PID used again after an
 * EXIT names a new process.
 */
struct mt_proc_event {
	__u16 kind;		/* MT_REC_PROC */
	__u16 op;		/* enum mt_proc_op */
	__u32 pid;		/* thread group id, in the host's PID namespace */
	__u32 tid;		/* the thread that forked, exec-ed or exited last */
	__u32 ppid;		/* the parent's thread group id */
	__u32 ns_pid;		/* pid as the process's own PID namespace numbers it */
	__s32 exit_code;	/* EXIT: the wait status; else 0 */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 start_boottime;	/* the process's start, ns since boot: /proc's starttime */
	char comm[16];		/* EXEC: the new image's name; FORK: the child's (the parent's) */
};
MT_RECORD_HEADER_CHECK(struct mt_proc_event);

/*
 * --stack=dwarf: what user space needs to unwind without frame pointers,
 * taken where the allocator's probe fired (the return address is at sp).
 */
struct mt_stack_dump {
	__u16 kind;		/* MT_REC_STACK_DUMP */
	__u16 skip;		/* MT_DUMP_SKIP: frames to drop; MT_DUMP_F_GPU, MT_DUMP_F_CXX */
	__u32 pid;
	__u32 tid;
	__u32 size;		/* bytes of stack[] filled */
	__u64 dump_id;		/* MT_STACK_DUMP_FLAG set; the call record's stack_id */
	__u64 stack_base;	/* address of stack[0]: the page holding regs[7] (sp) */
	__u64 regs[MT_DUMP_REGS];
	/*
	 * kernel-dwarf: the thread's Python frames (include/memtrace/python.h),
	 * leaf first, taken when the native walk met a mapping not told yet
	 */
	__u16 nr_py;
	__u16 py_flags;		/* MT_STACK_F_PY_TRUNCATED */
	__u32 pad;
	__u64 py[MT_MAX_FRAMES];
	__u8 stack[MT_DUMP_STACK_BYTES];
};
MT_RECORD_HEADER_CHECK(struct mt_stack_dump);

/*
 * The frame-pointer walk stopped at a frame pointer that cannot be one
 * (code without frame pointers), or at MT_MAX_FRAMES, rather than at the
 * NULL one that ends every chain.
 */
#define MT_STACK_F_TRUNCATED 1

struct mt_stack_record {
	__u16 kind;		/* MT_REC_STACK */
	__u16 nr_frames;
	__u32 pid;
	__u64 stack_id;		/* hash of pid and frames; never MT_NO_STACK */
	__u32 flags;		/* MT_STACK_F_* */
	__u32 pad;
	/* leaf first: frames[0] is the allocator's direct caller */
	__u64 frames[MT_MAX_FRAMES];
};
MT_RECORD_HEADER_CHECK(struct mt_stack_record);

/* The runtimes whose collections are probed (user/attach/gc_probe.c says where). */
enum mt_gc_runtime {
	MT_GC_PYTHON = 1,	/* CPython: python:gc__start(int generation), gc__done(ssize_t) */
	MT_GC_JVM = 2,		/* HotSpot: hotspot:gc__begin(bool full), gc__end() */
};

enum mt_gc_phase {
	MT_GC_START = 1,
	MT_GC_DONE = 2,
};

/* mt_gc_event.generation of HotSpot's collections: the probe says only full or not */
#define MT_GC_JVM_YOUNG 0
#define MT_GC_JVM_FULL 1

/*
 * A collection began or ended on a thread. Both are sent and user space
 * pairs them per thread (user/account/gc_stats.c): collections are rare, so the
 * second record costs nothing, and an end without its start (tracing began
 * mid-collection) is seen and counted rather than lost in a map.
 */
struct mt_gc_event {
	__u16 kind;		/* MT_REC_GC */
	__u8 phase;		/* enum mt_gc_phase */
	__u8 runtime;		/* enum mt_gc_runtime */
	__u32 pid;
	__u32 tid;
	__s32 generation;	/* MT_GC_START: CPython's 0-2, or MT_GC_JVM_*; MT_GC_DONE: -1 */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__s64 collected;	/* MT_GC_DONE: objects collected (CPython); else -1: not told */
};
MT_RECORD_HEADER_CHECK(struct mt_gc_event);

/*
 * Mappings made with the syscalls themselves (MT_REC_MMAP), whoever calls
 * them: libc's malloc for its large blocks and its heap, a static
 * program's own libc, Go's runtime. Kept apart from the malloc family's
 * counts, which would otherwise see the same bytes twice.
 */
enum mt_mmap_op {
	MT_MMAP_OP_MMAP,	/* mmap(addr, len, prot, flags, fd, off) */
	MT_MMAP_OP_MUNMAP,	/* munmap(addr, len) */
	MT_MMAP_OP_MREMAP,	/* mremap(old_addr, old_len, len, flags, addr) */
	MT_MMAP_OP_BRK,		/* brk(addr) */
};

/* mt_mmap_event.backing, from mmap's flags (MAP_ANONYMOUS, MAP_SHARED); 0 for other ops */
#define MT_MMAP_B_ANON 0x1	/* no file behind it */
#define MT_MMAP_B_FILE 0x2	/* a file, through fd */
#define MT_MMAP_B_SHARED 0x4	/* MAP_SHARED or MAP_SHARED_VALIDATE: seen by other processes */

struct mt_mmap_event {
	__u16 kind;		/* MT_REC_MMAP */
	__u16 op;		/* enum mt_mmap_op */
	__u32 pid;
	__u32 tid;
	__u32 prot;		/* mmap: PROT_*; else 0 */
	__u32 flags;		/* mmap: MAP_*; mremap: MREMAP_*; else 0 */
	__s32 fd;		/* mmap: the file descriptor as given; else -1 */
	__u32 backing;		/* mmap: MT_MMAP_B_*; else 0 */
	__u32 pad;
	__u64 ts_ns;		/* CLOCK_MONOTONIC at return (munmap: at entry) */
	/*
	 * mmap: the hint (or the fixed address); munmap: the start;
	 * mremap: new_addr (MREMAP_FIXED); brk: the break asked for (0: a query).
	 */
	__u64 addr;
	__u64 len;		/* mmap, munmap: bytes as given; mremap: new_len; brk: 0 */
	__u64 old_addr;		/* mremap: the range moved or resized; brk: the break before */
	__u64 old_len;		/* mremap: its length; else 0 */
	/*
	 * mmap, mremap: the address mapped, or -errno; brk: the break after
	 * (unchanged on failure); munmap: 0, as it is recorded at entry,
	 * before another thread can be handed the range.
	 */
	__s64 result;
	__u64 brk_start;	/* brk: where the heap starts (mm->start_brk); else 0 */
};
MT_RECORD_HEADER_CHECK(struct mt_mmap_event);

#endif /* MEMTRACE_EVENT_H */
