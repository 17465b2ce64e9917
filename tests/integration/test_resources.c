// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-thread resource profile (issue 17) against tests/progs/resource_work.c,
 * whose worker threads each do one known thing. Exact where the program
 * knows the figure (bytes it read, sent and received; its heap from
 * mallinfo2); bounded where the kernel decides (how many bios a read
 * becomes, how many calls a send takes); verdicts where the thread's wait
 * dominates by design, with margins that hold on a loaded 2-CPU machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* resource_work.c's figures */
#define RW_SPIN_NS (400 * 1000000ULL)
#define RW_READ_SIZE (8ULL << 20)
#define RW_READS 16
#define RW_NET_REQUEST (64 * 1024ULL)
#define RW_NET_REPLY (16 * 1024ULL)
#define RW_NET_ROUNDS 64
#define RW_FAULT_PAGES ((64ULL << 20) / 4096)
#define RW_FILE_PAGES ((16ULL << 20) / 4096)

/* A file on the build directory's disk: O_DIRECT and page-cache drops need a real one */
#define DISK_DIR "build/tests"

static json_t *group(const json_t *thread, const char *name)
{
	json_t *res = json_object_get(thread, "resources"), *g;

	assert_non_null(res);
	g = json_object_get(res, name);
	assert_non_null(g);
	return g;
}

static uint64_t res_u64(const json_t *thread, const char *grp, const char *key)
{
	return harness__u64(group(thread, grp), key);
}

static const char *verdict(const json_t *thread)
{
	return harness__str(group(thread, "bottleneck"), "verdict");
}

/* The parts of the wall time add up to it, whatever the thread did */
static void assert_wall_adds_up(const json_t *thread)
{
	const char *parts[] = { "on_cpu_ns", "runnable_ns", "fault_ns", "io_ns",
				"network_ns", "gpu_ns", "other_ns" };
	json_t *wall = group(thread, "wall");
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		sum += harness__u64(wall, parts[i]);
	assert_int_equal(sum, harness__u64(wall, "wall_ns"));
}

static json_t *run_mode(struct mt_run *run, const char *const *args)
{
	harness__run(run, args);
	if (run->status != 0)
		fprintf(stderr, "%s", run->err);
	assert_int_equal(run->status, 0);
	assert_non_null(run->snap);
	return harness__only_process(run->snap);
}

/* The run's header: every probe group running, and no PMU on a machine without one */
static void assert_header(const json_t *snap)
{
	json_t *res = json_object_get(snap, "resources"), *probes;
	const char *groups[] = { "scheduler", "page_faults", "block_io", "sockets", "gpu" };

	assert_non_null(res);
	assert_true(json_is_true(json_object_get(res, "enabled")));
	probes = json_object_get(res, "probes");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		assert_true(json_is_true(json_object_get(probes, groups[i])));
	assert_int_equal(json_object_size(json_object_get(res, "missing")), 0);
	assert_true(json_is_null(json_object_get(res, "pmu")));
	assert_non_null(strstr(harness__str(res, "pmu_reason"), "PMU"));
	assert_int_equal(harness__u64(res, "threads_lost"), 0);
}

/* 400 ms of its own CPU time: on CPU or waiting for it for nearly all its life */
static void test_spinner_is_cpu(void **state)
{
	struct mt_run run;
	json_t *p, *t;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "spin",
						  NULL });
	assert_header(run.snap);
	t = harness__thread_by_comm(p, "spinner");
	/* the kernel's CPU clock, which the program spun on, is what sched_switch sees */
	assert_true(res_u64(t, "cpu", "on_cpu_ns") >= RW_SPIN_NS);
	assert_true(res_u64(t, "cpu", "on_cpu_ns") < RW_SPIN_NS + RW_SPIN_NS / 4);
	assert_true(res_u64(t, "cpu", "user_ns") + res_u64(t, "cpu", "system_ns") > 0);
	assert_int_equal(res_u64(t, "io", "read_bytes"), 0);
	assert_int_equal(res_u64(t, "network", "tx_bytes"), 0);
	assert_string_equal(verdict(t), "cpu");
	assert_true(json_real_value(json_object_get(group(t, "bottleneck"), "share")) >= 0.5);
	assert_wall_adds_up(t);
	harness__release(&run);
}

/* O_DIRECT: every byte from the disk, in at least one bio per read */
static void test_direct_reader_is_io(void **state)
{
	struct mt_run run;
	json_t *p, *t;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "read",
						  DISK_DIR, NULL });
	t = harness__thread_by_comm(p, "reader");
	assert_int_equal(res_u64(t, "io", "read_bytes"), RW_READS * RW_READ_SIZE);
	assert_int_equal(res_u64(t, "io", "write_bytes"), 0);
	assert_int_equal(res_u64(t, "io", "write_ops"), 0);
	/* the block layer splits a read along the file's extents: at least one bio each */
	assert_true(res_u64(t, "io", "read_ops") >= RW_READS);
	assert_true(res_u64(t, "io", "read_ops") <= RW_READS * RW_READ_SIZE / 4096);
	assert_true(res_u64(t, "io", "blocked_ns") > 0);
	assert_int_equal(res_u64(t, "io", "blocked_ns"), harness__u64(group(t, "wall"), "io_ns"));
	assert_string_equal(verdict(t), "io");
	assert_wall_adds_up(t);
	/* the main thread wrote the file, and synced it: its writes are its own */
	assert_true(res_u64(harness__thread_by_comm(p, "resource_work"), "io", "write_bytes") >=
		    RW_READS * RW_READ_SIZE);
	harness__release(&run);
}

/* Loopback TCP, request and answer: exact bytes each way, the client waiting on the server */
static void test_tcp_client_is_network(void **state)
{
	struct mt_run run;
	json_t *p, *client, *server;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "net",
						  NULL });
	client = harness__thread_by_comm(p, "netclient");
	server = harness__thread_by_comm(p, "netserver");
	assert_int_equal(res_u64(client, "network", "tx_bytes"), RW_NET_ROUNDS * RW_NET_REQUEST);
	assert_int_equal(res_u64(client, "network", "rx_bytes"), RW_NET_ROUNDS * RW_NET_REPLY);
	assert_int_equal(res_u64(server, "network", "rx_bytes"), RW_NET_ROUNDS * RW_NET_REQUEST);
	assert_int_equal(res_u64(server, "network", "tx_bytes"), RW_NET_ROUNDS * RW_NET_REPLY);
	/* a blocking send or receive may take several calls: at least one per message */
	assert_true(res_u64(client, "network", "tx_packets") >= RW_NET_ROUNDS);
	assert_true(res_u64(client, "network", "rx_packets") >= RW_NET_ROUNDS);
	assert_string_equal(verdict(client), "network");
	assert_wall_adds_up(client);
	assert_wall_adds_up(server);
	/* the process's figures are its threads' sums */
	assert_int_equal(harness__u64(json_object_get(json_object_get(p, "resources"), "network"),
				      "tx_bytes"),
			 RW_NET_ROUNDS * (RW_NET_REQUEST + RW_NET_REPLY));
	harness__release(&run);
}

/*
 * Fresh anonymous pages: a minor fault each, most of whose cost on a VM is
 * outside the guest's fault handler (~9 us a fault here, ~1.4 inside it):
 * counted at what a fault costs end to end (resources.fault_cost_ns, measured
 * at the start), the toucher's time is its faults'. The reader's faults
 * read the disk: asleep, in the handler.
 */
static void test_faults_are_memory(void **state)
{
	struct mt_run run;
	json_t *p, *toucher, *reader;
	uint64_t cost, faults, handler;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "fault",
						  DISK_DIR, NULL });
	cost = harness__u64(json_object_get(run.snap, "resources"), "fault_cost_ns");
	/* a fault is dearer than a write to a present page and cheaper than a disk read */
	assert_true(cost >= 50 && cost < 1000000);
	toucher = harness__thread_by_comm(p, "toucher");
	faults = res_u64(toucher, "memory", "minor_faults");
	assert_true(faults >= RW_FAULT_PAGES);
	/* its stack and the thread's own start fault a few pages more, not thousands */
	assert_true(faults < RW_FAULT_PAGES + 64);
	assert_int_equal(res_u64(toucher, "memory", "major_faults"), 0);
	handler = res_u64(toucher, "memory", "fault_ns");
	assert_true(handler > 0);
	assert_int_equal(res_u64(toucher, "wall", "fault_ns"),
			 handler > faults * cost ? handler : faults * cost);
	assert_string_equal(verdict(toucher), "memory");
	assert_wall_adds_up(toucher);
	reader = harness__thread_by_comm(p, "mapreader");
	/* readahead off: one major fault per page, but for pages still in the page cache */
	assert_true(res_u64(reader, "memory", "major_faults") <= RW_FILE_PAGES);
	assert_true(res_u64(reader, "memory", "major_faults") >= RW_FILE_PAGES * 15 / 16);
	assert_string_equal(verdict(reader), "memory");
	assert_wall_adds_up(reader);
	harness__release(&run);
}

/*
 * Sockets are the process's: counted from its descriptors while it runs;
 * UNIX ones not. A thread's are those it moved data on.
 */
static void test_process_sockets(void **state)
{
	struct mt_run run;
	json_t *p, *net, *rss;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "sockets",
						  NULL });
	net = group(p, "network");
	assert_int_equal(harness__u64(net, "tcp_sockets"), 3);
	assert_int_equal(harness__u64(net, "udp_sockets"), 2);
	/* a thread's: the process's sockets it moved data on, while they are open */
	net = group(harness__thread_by_comm(p, "sockuser"), "network");
	assert_int_equal(harness__u64(net, "tcp_sockets"), 2);
	assert_int_equal(harness__u64(net, "udp_sockets"), 2);
	assert_int_equal(harness__u64(net, "tx_packets"), 2);
	assert_int_equal(harness__u64(net, "rx_packets"), 2);
	net = group(harness__thread_by_comm(p, "resource_work"), "network");
	assert_int_equal(harness__u64(net, "tcp_sockets"), 0);
	assert_int_equal(harness__u64(net, "udp_sockets"), 0);
	/* read at the same time: its resident bytes in the timeline, a page at least */
	rss = json_object_get(json_object_get(p, "timeline"), "rss_bytes");
	assert_true(json_is_array(rss));
	assert_int_equal(json_array_size(rss),
			 json_array_size(json_object_get(json_object_get(p, "timeline"), "t_s")));
	assert_true(json_integer_value(json_array_get(rss, json_array_size(rss) - 1)) >= 4096);
	harness__release(&run);
}

/* Nine of ten small blocks freed: the heap stays, as mallinfo2 says */
static void test_heap_fragmentation(void **state)
{
	char path[] = "/tmp/memtrace-frag-XXXXXX";
	unsigned long long arena, in_use, live;
	struct mt_run run;
	json_t *p, *heap;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("resource_work"), "frag",
						  path, NULL });
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu %llu", &arena, &in_use, &live), 3);
	fclose(f);
	unlink(path);
	heap = json_object_get(group(p, "memory"), "heap_fragmentation");
	assert_non_null(heap);
	assert_int_equal(harness__u64(heap, "heap_bytes"), arena);
	assert_int_equal(harness__u64(heap, "live_bytes"), live);
	assert_int_equal(harness__u64(heap, "unused_bytes"), arena - live);
	assert_true(in_use >= live && in_use < arena);
	/* 90% freed between the blocks kept: at least that much of the heap unused */
	assert_true(json_real_value(json_object_get(heap, "ratio")) > 0.85);
	harness__release(&run);
}

/* tests/progs/gpu_transfers.c's copies, by direction, and its waits on the double */
#define KIB 1024ULL
#define MIB (1024 * 1024ULL)
#define GPU_DOUBLE_SYNC_NS (50 * 1000000ULL)

static void test_gpu_transfers_and_waits(void **state)
{
	struct mt_run run;
	json_t *p, *copier, *waiter, *g;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--", PROG("gpu_transfers"), NULL });
	copier = harness__thread_by_comm(p, "copier");
	g = group(copier, "gpu");
	/* the runtime's cudaMemcpy calls the driver's copy: one call each, not two */
	assert_int_equal(harness__u64(g, "h2d_bytes"), 3 * MIB + 64 * KIB + 2 * 128 * KIB);
	assert_int_equal(harness__u64(g, "h2d_calls"), 3 + 1 + 2);
	assert_int_equal(harness__u64(g, "d2h_bytes"), 2 * 256 * KIB + 32 * KIB);
	assert_int_equal(harness__u64(g, "d2h_calls"), 2 + 1);
	assert_int_equal(harness__u64(g, "d2d_bytes"), 512 * KIB + 16 * KIB);
	assert_int_equal(harness__u64(g, "d2d_calls"), 1 + 1);
	assert_int_equal(harness__u64(g, "other_calls"), 0);
	waiter = harness__thread_by_comm(p, "waiter");
	g = group(waiter, "gpu");
	assert_int_equal(harness__u64(g, "h2d_calls") + harness__u64(g, "d2h_calls") +
				 harness__u64(g, "d2d_calls"),
			 0);
	/* six waits of 50 ms asleep; a loaded machine may wake it late, not early */
	assert_true(harness__u64(g, "sync_ns") >= 6 * GPU_DOUBLE_SYNC_NS);
	assert_true(harness__u64(g, "sync_ns") < 6 * GPU_DOUBLE_SYNC_NS * 2);
	assert_int_equal(harness__u64(group(waiter, "wall"), "gpu_ns"), harness__u64(g, "sync_ns"));
	assert_string_equal(verdict(waiter), "gpu");
	assert_wall_adds_up(waiter);
	assert_wall_adds_up(copier);
	/* the process's: its threads' */
	assert_int_equal(harness__u64(json_object_get(json_object_get(p, "resources"), "gpu"),
				      "h2d_bytes"),
			 3 * MIB + 64 * KIB + 2 * 128 * KIB);
	harness__release(&run);
}

/* --no-resources: nothing loaded, every resources object null, and said why */
static void test_no_resources(void **state)
{
	struct mt_run run;
	json_t *p, *res, *missing;

	(void)state;
	p = run_mode(&run, (const char *const[]){ "--json", "--no-resources", "--",
						  PROG("resource_work"), "spin", NULL });
	res = json_object_get(run.snap, "resources");
	assert_true(json_is_false(json_object_get(res, "enabled")));
	assert_true(json_is_false(json_object_get(json_object_get(res, "probes"), "scheduler")));
	missing = json_object_get(res, "missing");
	assert_string_equal(harness__str(missing, "scheduler"), "--no-resources");
	assert_string_equal(harness__str(missing, "sockets"), "--no-resources");
	/* nothing measured: no fault of memtrace's own for a profile nobody reads */
	assert_true(json_is_null(json_object_get(res, "fault_cost_ns")));
	assert_true(json_is_null(json_object_get(p, "resources")));
	assert_true(json_is_null(json_object_get(harness__thread_by_comm(p, "spinner"),
						 "resources")));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spinner_is_cpu),
		cmocka_unit_test(test_direct_reader_is_io),
		cmocka_unit_test(test_tcp_client_is_network),
		cmocka_unit_test(test_faults_are_memory),
		cmocka_unit_test(test_process_sockets),
		cmocka_unit_test(test_heap_fragmentation),
		cmocka_unit_test(test_gpu_transfers_and_waits),
		cmocka_unit_test(test_no_resources),
	};

	harness__require_bpf("resources");
	return cmocka_run_group_tests_name("integration: resources", tests, NULL, NULL);
}
