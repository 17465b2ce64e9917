// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the resource probes (bpf/resources.bpf.h) cost, per op (tools/bench.sh, R):
 * `res_workload WORKLOAD N` runs N ops and prints "ns_per_op X".
 *   pairs     one malloc(64) and its free: the allocation probes', none of the resource ones
 *   syscall   one getppid(): a system call that no resource probe sees
 *   pingpong  one byte each way over two pipes between two threads: two wakeups and
 *             two context switches or more
 *   udp       one 64-byte datagram sent to itself over loopback and received
 *   fault     one fresh anonymous page written (its minor fault), 4096 pages a mapping
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long n;
static int ping[2], pong[2];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void pairs(void)
{
	for (long i = 0; i < n; i++) {
		void *volatile p = malloc(64);

		free(p);
	}
}

static void syscalls(void)
{
	for (long i = 0; i < n; i++)
		getppid();
}

static void *ponger(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < n; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			exit(2);
	return NULL;
}

static void pingpong(void)
{
	pthread_t t;
	char c = 'p';

	if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, ponger, NULL))
		exit(2);
	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			exit(2);
	pthread_join(t, NULL);
}

static void udp(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	char buf[64] = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockname(fd, (struct sockaddr *)&addr, &len))
		exit(2);
	for (long i = 0; i < n; i++)
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&addr, len) != sizeof(buf) ||
		    recv(fd, buf, sizeof(buf), 0) != sizeof(buf))
			exit(2);
	close(fd);
}

static void faults(void)
{
	const size_t pages = 4096;

	for (long done = 0; done < n; done += (long)pages) {
		char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			exit(2);
		madvise(p, pages * 4096, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < pages; i++)
			p[i * 4096] = 1;
		munmap(p, pages * 4096);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} workloads[] = {
		{ "pairs", pairs }, { "syscall", syscalls }, { "pingpong", pingpong },
		{ "udp", udp },	    { "fault", faults },
	};
	double t0;

	if (argc != 3 || (n = atol(argv[2])) <= 0)
		return 64;
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (strcmp(argv[1], workloads[i].name))
			continue;
		t0 = now_ns();
		workloads[i].fn();
		printf("ns_per_op %.1f\n", (now_ns() - t0) / (double)n);
		return 0;
	}
	return 64;
}
