// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Threads with one known resource behaviour each, for the resource profile
 * (tests/integration/test_resources.c). `resource_work MODE [ARG]` runs one
 * worker thread, named for its mode, then exits:
 *   spin            "spinner": 400 ms of its own CPU time, nothing else
 *   read DIR        "reader": 16 reads of 8 MiB with O_DIRECT from a 128 MiB file
 *                   written (and synced) by the main thread in DIR
 *   net             "netclient": 64 requests of 64 KiB over loopback TCP, each answered
 *                   with 16 KiB by "netserver" after 5 ms
 *   fault DIR       "toucher": a fresh 64 MiB anonymous mapping (no huge pages), a
 *                   write to every page; then "mapreader": a read of every page of a
 *                   16 MiB file in DIR, mapped after its pages left the page cache,
 *                   with readahead off (one major fault per page)
 *   sockets         the main thread: 3 TCP sockets (listening, connected, accepted), 2
 *                   bound UDP ones, an unbound TCP and UDP one (in no table of the kernel:
 *                   not counted) and a UNIX socket pair, held for 2.5 s (two of
 *                   memtrace's reads, a second apart), while "sockuser" sends a byte on
 *                   the connected TCP socket and a datagram from one UDP socket to the
 *                   other, receives both (2 TCP, 2 UDP sockets moved data) and a byte
 *                   over the UNIX pair (not counted), then waits as long
 *   frag FILE       the main thread: 100000 blocks of 100 bytes, then all but every
 *                   tenth freed; writes "arena uordblks live" (mallinfo2, and the bytes
 *                   it holds) to FILE
 * The figures are the test's (RW_* below, repeated there).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RW_SPIN_NS (400 * 1000000LL)
#define RW_READ_SIZE (8 << 20)
#define RW_READS 16
#define RW_NET_REQUEST (64 * 1024)
#define RW_NET_REPLY (16 * 1024)
#define RW_NET_ROUNDS 64
#define RW_NET_DELAY_NS (5 * 1000000L)
#define RW_FAULT_MAP (64 << 20)
#define RW_FAULT_FILE (16 << 20)

static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spin(void *arg)
{
	volatile unsigned long x = 0;
	long long start = thread_cpu_ns();

	(void)arg;
	pthread_setname_np(pthread_self(), "spinner");
	while (thread_cpu_ns() - start < RW_SPIN_NS)
		for (int i = 0; i < 10000; i++)
			x += i;
	return NULL;
}

static char read_path[4096];

static void *direct_read(void *arg)
{
	void *buf;
	int fd;

	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	if (posix_memalign(&buf, 4096, RW_READ_SIZE))
		exit(2);
	fd = open(read_path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror("resource_work: O_DIRECT open");
		exit(2);
	}
	for (int i = 0; i < RW_READS; i++)
		if (pread(fd, buf, RW_READ_SIZE, (off_t)i * RW_READ_SIZE) != RW_READ_SIZE) {
			perror("resource_work: pread");
			exit(2);
		}
	close(fd);
	free(buf);
	return NULL;
}

static void make_file(const char *dir, int chunks)
{
	char *chunk = malloc(RW_READ_SIZE);
	int fd;

	snprintf(read_path, sizeof(read_path), "%s/resource_work.%d", dir, getpid());
	fd = open(read_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !chunk) {
		perror("resource_work: cannot make the file");
		exit(2);
	}
	memset(chunk, 'r', RW_READ_SIZE);
	for (int i = 0; i < chunks; i++)
		if (write(fd, chunk, RW_READ_SIZE) != RW_READ_SIZE)
			exit(2);
	fsync(fd);
	close(fd);
	free(chunk);
}

/* Reads exactly n bytes */
static void read_all(int fd, char *buf, size_t n)
{
	while (n) {
		ssize_t got = recv(fd, buf, n, 0);

		if (got <= 0)
			exit(3);
		n -= (size_t)got;
	}
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t put = send(fd, buf, n, 0);

		if (put <= 0)
			exit(3);
		buf += put;
		n -= (size_t)put;
	}
}

static int listener;

static void *net_server(void *arg)
{
	static char buf[RW_NET_REQUEST];
	struct timespec delay = { 0, RW_NET_DELAY_NS };
	int fd;

	(void)arg;
	pthread_setname_np(pthread_self(), "netserver");
	fd = accept(listener, NULL, NULL);
	if (fd < 0)
		exit(3);
	for (int i = 0; i < RW_NET_ROUNDS; i++) {
		read_all(fd, buf, RW_NET_REQUEST);
		nanosleep(&delay, NULL);
		write_all(fd, buf, RW_NET_REPLY);
	}
	close(fd);
	return NULL;
}

static void *net_client(void *arg)
{
	static char buf[RW_NET_REQUEST];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	pthread_setname_np(pthread_self(), "netclient");
	getsockname(listener, (struct sockaddr *)&addr, &len);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len))
		exit(3);
	memset(buf, 'n', sizeof(buf));
	for (int i = 0; i < RW_NET_ROUNDS; i++) {
		write_all(fd, buf, RW_NET_REQUEST);
		read_all(fd, buf, RW_NET_REPLY);
	}
	close(fd);
	return NULL;
}

static void *touch(void *arg)
{
	char *p = mmap(NULL, RW_FAULT_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	pthread_setname_np(pthread_self(), "toucher");
	if (p == MAP_FAILED)
		exit(4);
	/* one fault per 4 KiB page: no huge page makes one fault of 512 */
	madvise(p, RW_FAULT_MAP, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < RW_FAULT_MAP; off += 4096)
		p[off] = 1;
	*(char **)arg = p;
	return NULL;
}

/* Every page of the file from the disk, in its own major fault */
static void *map_read(void *arg)
{
	volatile char *p;
	long sum = 0;
	int fd;

	(void)arg;
	pthread_setname_np(pthread_self(), "mapreader");
	fd = open(read_path, O_RDONLY);
	if (fd < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		exit(4);
	p = mmap(NULL, RW_FAULT_FILE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || madvise((void *)p, RW_FAULT_FILE, MADV_RANDOM))
		exit(4);
	for (size_t off = 0; off < RW_FAULT_FILE; off += 4096)
		sum += p[off];
	munmap((void *)p, RW_FAULT_FILE);
	close(fd);
	return sum == RW_FAULT_FILE / 4096 * 'r' ? NULL : (void *)1;
}

#define RW_FRAG_BLOCKS 100000
#define RW_FRAG_SIZE 100
#define RW_FRAG_KEEP 10

/* A heap left mostly empty: every tenth block held, so none of it can go back */
static int fragment(const char *out)
{
	static void *blocks[RW_FRAG_BLOCKS];
	struct mallinfo2 mi;
	size_t live = 0;
	FILE *f;

	for (int i = 0; i < RW_FRAG_BLOCKS; i++)
		if (!(blocks[i] = malloc(RW_FRAG_SIZE)))
			return 7;
	for (int i = 0; i < RW_FRAG_BLOCKS; i++) {
		if (i % RW_FRAG_KEEP) {
			free(blocks[i]);
			blocks[i] = NULL;
		} else {
			live += RW_FRAG_SIZE;
		}
	}
	mi = mallinfo2();
	f = fopen(out, "w");
	if (!f)
		return 7;
	fprintf(f, "%zu %zu %zu\n", mi.arena, mi.uordblks, live);
	return fclose(f) ? 7 : 0;
}

/* The sockets of "sockets": connected TCP, accepted TCP, two bound UDP, a UNIX pair */
static int sock_fds[6];

/* Data through four IP sockets and the UNIX pair, then held while memtrace reads */
static void *sock_use(void *arg)
{
	struct sockaddr_in to;
	socklen_t len = sizeof(to);
	struct timespec hold = { 2, 500000000L };
	char c = 'x';

	(void)arg;
	prctl(PR_SET_NAME, "sockuser");
	if (getsockname(sock_fds[3], (struct sockaddr *)&to, &len) ||
	    send(sock_fds[0], &c, 1, 0) != 1 || recv(sock_fds[1], &c, 1, 0) != 1 ||
	    sendto(sock_fds[2], &c, 1, 0, (struct sockaddr *)&to, len) != 1 ||
	    recv(sock_fds[3], &c, 1, 0) != 1 || send(sock_fds[4], &c, 1, 0) != 1 ||
	    recv(sock_fds[5], &c, 1, 0) != 1)
		return (void *)1;
	nanosleep(&hold, NULL);
	return NULL;
}

static void run(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, fn, arg) || pthread_join(t, &ret))
		exit(5);
	if (ret)
		exit(6);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "spin")) {
		run(spin, NULL);
	} else if (!strcmp(mode, "read") && argc > 2) {
		make_file(argv[2], RW_READS);
		run(direct_read, NULL);
		unlink(read_path);
	} else if (!strcmp(mode, "net")) {
		struct sockaddr_in addr = { .sin_family = AF_INET,
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		pthread_t server;

		listener = socket(AF_INET, SOCK_STREAM, 0);
		if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
		    listen(listener, 1) || pthread_create(&server, NULL, net_server, NULL))
			return 3;
		run(net_client, NULL);
		pthread_join(server, NULL);
	} else if (!strcmp(mode, "fault") && argc > 2) {
		char *map;

		run(touch, &map);
		munmap(map, RW_FAULT_MAP);
		make_file(argv[2], RW_FAULT_FILE / RW_READ_SIZE);
		run(map_read, NULL);
		unlink(read_path);
	} else if (!strcmp(mode, "sockets")) {
		struct sockaddr_in addr = { .sin_family = AF_INET,
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct sockaddr_in any = addr;
		socklen_t len = sizeof(addr);
		int *fd = sock_fds;

		listener = socket(AF_INET, SOCK_STREAM, 0);
		fd[0] = socket(AF_INET, SOCK_STREAM, 0);
		fd[2] = socket(AF_INET, SOCK_DGRAM, 0);
		fd[3] = socket(AF_INET, SOCK_DGRAM, 0);
		if (listener < 0 || fd[0] < 0 || fd[2] < 0 || fd[3] < 0 ||
		    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, 1) ||
		    getsockname(listener, (struct sockaddr *)&addr, &len) ||
		    connect(fd[0], (struct sockaddr *)&addr, len) ||
		    (fd[1] = accept(listener, NULL, NULL)) < 0 ||
		    bind(fd[2], (struct sockaddr *)&any, sizeof(any)) ||
		    bind(fd[3], (struct sockaddr *)&any, sizeof(any)) ||
		    socket(AF_INET, SOCK_STREAM, 0) < 0 || socket(AF_INET, SOCK_DGRAM, 0) < 0 ||
		    socketpair(AF_UNIX, SOCK_STREAM, 0, &fd[4]))
			return 3;
		run(sock_use, NULL);
	} else if (!strcmp(mode, "frag") && argc > 2) {
		return fragment(argv[2]);
	} else {
		fprintf(stderr, "usage: resource_work spin|read DIR|net|fault DIR|sockets|frag FILE\n");
		return 64;
	}
	return 0;
}
